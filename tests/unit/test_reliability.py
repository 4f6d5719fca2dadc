"""Reliability: rank correlation by hand, deletion curves on an additive model, the randomisation check."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from genolens.datamodel import Attribution, Baseline
from genolens.errors import ExplainError
from genolens.explain.attribution import attribute
from genolens.explain.reliability import (
    causal_recovery,
    deletion_curve,
    deletion_curves,
    grade,
    member_agreement,
    method_agreement,
    randomisation_check,
    spearman,
)
from genolens.modeling.networks import Ensemble, NetworkConfig
from tests.factories import F32_RTOL, assert_close_f32, linear_model

W = np.array([1.5, -0.7, 0.3, 0.9, -1.1, 0.05, 0.6, -0.2, 1.2, 0.4])
X = np.array([2, 1, 0, 2, 1, 2, 1, 0, 1, 2.0])
BASE = Baseline("relative", np.zeros(10), None, "no effect alleles")


def ensemble() -> Ensemble:
    cfg = NetworkConfig(kind="risk", n_genetic=8, n_covariates=2, n_outputs=1, hidden=8, members=3)
    return Ensemble(cfg, seed=5).freeze()


def test_spearman_with_ties_matches_the_hand_computed_value() -> None:
    assert spearman(np.array([1, 2, 3.0]), np.array([10, 20, 30.0])) == pytest.approx(1.0)
    assert spearman(np.array([1, 2, 3.0]), np.array([3, 2, 1.0])) == pytest.approx(-1.0)
    # ranks (0, 1.5, 1.5, 3) vs (0, 1, 2, 3): 4.5 / sqrt(4.5 * 5)
    assert spearman(np.array([1, 2, 2, 3.0]), np.array([1, 2, 3, 4.0])) == pytest.approx(4.5 / np.sqrt(22.5))
    assert np.isnan(spearman(np.ones(3), np.arange(3.0)))


def test_methods_that_agree_on_an_additive_model_score_one_and_a_scramble_does_not() -> None:
    ig = attribute(linear_model(W), X, baseline=BASE, target=0)
    ablation = attribute(linear_model(W), X, method="feature_ablation", baseline=BASE, target=0)
    assert method_agreement([ig, ablation], k=5) == pytest.approx(1.0)
    scrambled = dataclasses.replace(ig, values=ig.values[::-1].copy())
    assert method_agreement([ig, ablation, scrambled], k=5) < 0.5
    assert np.isnan(method_agreement([ig]))


def test_causal_recovery_is_the_mann_whitney_auroc() -> None:
    ig = attribute(linear_model(W), X, baseline=BASE, target=0)  # |W * X| = 3, .7, 0, 1.8, 1.1, .1, .6, 0, 1.2, .8
    names = ig.names
    assert causal_recovery(ig, [names[0], names[3]]) == 1.0  # the two largest
    assert causal_recovery(ig, [names[2], names[7]]) == 0.0  # the two zeros: below all 8 others
    assert causal_recovery(ig, [names[0], names[2]]) == pytest.approx(8.5 / 16)  # 8 wins + a tie with x7, of 16
    with pytest.raises(ExplainError, match="not in the attribution: rs9"):
        causal_recovery(ig, ["rs9"])


def test_deletion_curve_order_beats_random_orders_on_an_additive_model() -> None:
    ig = attribute(linear_model(W), X, baseline=BASE, target=0)
    curve = deletion_curve(linear_model(W), ig, n_random=30, seed=1)
    assert curve.score == 1.0 and curve.random_logits.shape == (30, 11)
    # float32 logits: relative to the full score (the last point, every input deleted, is 0 up to that rounding)
    assert curve.logits[0] == pytest.approx(float(W @ X), rel=F32_RTOL)
    assert curve.logits[-1] == pytest.approx(0, abs=F32_RTOL * abs(float(W @ X)))
    assert curve.order[0] == int(np.argmax(W * X))
    backwards = dataclasses.replace(ig, values=-ig.values)
    assert deletion_curve(linear_model(W), backwards, n_random=30, seed=1).score == 0.0


def test_randomisation_check_drops_and_leaves_the_model_alone() -> None:
    ens = ensemble()
    before = {k: v.clone() for k, v in ens.state_dict().items()}
    x = np.array([2, 0, 1, 2, 1, 0, 2, 1, 60.0, 25.0])
    base = Baseline("relative", np.array([0, 0, 0, 0, 0, 0, 0, 0, 50.0, 25.0]), None, "test")
    check = randomisation_check(ens, x, baseline=base, target=0, seed=3)
    assert check.layers[-1] == "all" and len(check.layers) == len(check.correlations) == 4
    assert check.layers[0] == "covariate"  # output side first, the same layer of all members together
    assert check.final < 0.8
    assert all(torch.equal(before[k], v) for k, v in ens.state_dict().items())


def test_grade_is_the_worst_check_with_reasons() -> None:
    ig = attribute(linear_model(W), X, baseline=BASE, target=0)
    others = [attribute(linear_model(W), X, method=m, baseline=BASE, target=0)
              for m in ("feature_ablation", "deeplift")]
    good = grade(ig, others=others, deletion=deletion_curve(linear_model(W), ig, n_random=20))
    assert good.grade == "A" and good.reasons == ()
    assert [c.name for c in good.checks] == ["completeness", "method_agreement", "deletion"]
    first = nn.Linear(10, 1)
    with torch.no_grad():
        first.weight.fill_(3.0)
        first.bias.fill_(-20.0)
    steep = nn.Sequential(first, nn.Tanh(), nn.Linear(1, 1)).requires_grad_(False)
    rough = attribute(steep, X, baseline=BASE, target=0, n_steps=2)  # far from complete
    poor = grade(rough)
    assert [c.name for c in poor.checks] == ["completeness"]  # one model: no member check
    assert poor.grade == "C" and poor.reasons[0].startswith("Unattributed share")
    ens = ensemble()
    x = np.array([2, 0, 1, 2, 1, 0, 2, 1, 60.0, 25.0])
    a = attribute(ens, x, baseline=BASE, target=0)
    graded = grade(a, k=4)
    assert [c.name for c in graded.checks] == ["completeness", "member_agreement"]
    assert graded.checks[1].value == member_agreement(a, k=4)
    for m in ens.members[1:]:
        m.load_state_dict(ens.members[0].state_dict())
    assert member_agreement(attribute(ens, x, baseline=BASE, target=0)) == 1.0


def _deletion_by_loop(model: nn.Module, a: Attribution, n_random: int, seed: int) -> tuple[tuple[int, ...], np.ndarray]:
    """The plain definition: one row per step of each order, built by copying."""
    rng = np.random.default_rng(seed)
    order = tuple(int(i) for i in np.argsort(-a.values, kind="mergesort"))
    rows = []
    for o in [order, *(tuple(int(i) for i in rng.permutation(len(order))) for _ in range(n_random))]:
        x = a.inputs.copy()
        rows.append(x.copy())
        for g in o:
            x[list(a.groups[g])] = a.baseline.values[list(a.groups[g])]
            rows.append(x.copy())
    with torch.no_grad():
        out = model(torch.as_tensor(np.stack(rows), dtype=torch.float32))[:, a.target].double().numpy()
    return order, out.reshape(n_random + 1, len(order) + 1)


def test_deletion_curves_of_several_outputs_match_the_row_by_row_definition() -> None:
    cfg = NetworkConfig(kind="risk", n_genetic=8, n_covariates=2, n_outputs=2, hidden=8, members=3)
    ens = Ensemble(cfg, seed=2).freeze()
    base = Baseline("relative", np.full(10, 0.5), None, "half")
    grouped = attribute(ens, X, method="ig", baseline=base, target=0, feature_mask=[0, 0, 1, 2, 2, 2, 3, 4, 5, 5])
    attrs = [attribute(ens, X, baseline=base, target=1), grouped, attribute(ens, X, baseline=base, target=0)]
    curves = deletion_curves(ens, attrs, n_random=7, seed=4)
    for a, c in zip(attrs, curves, strict=True):
        order, logits = _deletion_by_loop(ens, a, 7, 4)
        assert c.order == order
        assert_close_f32(c.logits, logits[0])
        assert_close_f32(c.random_logits, logits[1:])
        alone = deletion_curve(ens, a, n_random=7, seed=4)
        assert alone.order == c.order and alone.score == c.score
        assert_close_f32(alone.random_logits, c.random_logits)
