"""Attribution: closed-form answers on toy models (captum's own test idea), completeness, no mutation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from genolens.datamodel import Baseline
from genolens.errors import ExplainError
from genolens.explain.attribution import attribute, attribute_outputs
from genolens.explain.attribution_methods import METHODS, explained_units
from genolens.modeling.networks import Ensemble, NetworkConfig, RiskNet
from tests.factories import F32_RTOL, assert_close_f32, linear_model

N = 6
W = np.array([0.8, -1.2, 0.3, 0.0, 2.0, -0.5])  # one output
BIAS = 0.25


def point(values: np.ndarray) -> Baseline:
    return Baseline("relative", np.asarray(values, dtype=np.float64), None, "a test point")


def distribution(samples: np.ndarray) -> Baseline:
    s = np.asarray(samples, dtype=np.float64)
    return Baseline("reference_distribution", s.mean(axis=0), s, "a test cohort")


def bump(k: float) -> nn.Sequential:
    """A small RiskNet-like SiLU network whose steepness ``k`` controls how many IG steps it needs."""
    first, last = nn.Linear(4, 2), nn.Linear(2, 1)
    with torch.no_grad():
        first.weight.fill_(k / 8)
        first.bias.copy_(torch.tensor([-0.3 * k, -0.7 * k]))
        last.weight.copy_(torch.tensor([[1.0, -1.0]]))
        last.bias.zero_()
    return nn.Sequential(first, nn.SiLU(), last).requires_grad_(False)


def risk_ensemble(members: int = 3, *, seed: int = 1) -> Ensemble:
    cfg = NetworkConfig(kind="risk", n_genetic=10, n_covariates=2, n_outputs=2, hidden=8, members=members)
    ens = Ensemble(cfg, seed=seed)
    ens.set_calibration(torch.tensor([1.3, 0.7]), torch.tensor([-0.2, 0.1]))
    return ens.freeze()


def patient(n: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, n).astype(np.float64)
    x[-2:] = [55.0, 27.5]
    return x


dosages = st.lists(st.integers(0, 2), min_size=N, max_size=N).map(lambda v: np.array(v, dtype=np.float64))


@settings(max_examples=30, deadline=None)
@given(x=dosages, b=dosages)
def test_ig_on_a_linear_model_is_w_times_x_minus_baseline(x: np.ndarray, b: np.ndarray) -> None:
    a = attribute(linear_model(W, BIAS), x, baseline=point(b), target=0)
    assert_close_f32(a.values, W * (x - b))
    assert a.converged and a.parameters["n_steps"] == 32
    assert a.prediction_logit == pytest.approx(W @ x + BIAS, rel=F32_RTOL, abs=F32_RTOL)  # float32 logit


@pytest.mark.parametrize("method", ["deeplift", "input_x_gradient", "feature_ablation", "shapley_sampling"])
def test_additive_methods_agree_with_the_closed_form_on_a_linear_model(method: str) -> None:
    x, b = np.array([2, 0, 1, 2, 1, 0.0]), np.array([0, 2, 1, 0, 0, 1.0])
    a = attribute(linear_model(W, BIAS), x, method=method, baseline=point(b), target=0)  # type: ignore[arg-type]
    assert_close_f32(a.values, W * (x - b))
    assert a.converged and abs(a.residual) < 1e-5


def test_deeplift_shap_adds_up_against_the_mean_of_the_baseline_distribution() -> None:
    rng = np.random.default_rng(2)
    samples = rng.integers(0, 3, (5, N)).astype(np.float64)
    x = np.array([2, 2, 0, 1, 0, 1.0])
    a = attribute(linear_model(W, BIAS), x, method="deeplift_shap", baseline=distribution(samples), target=0)
    assert_close_f32(a.values, W * (x - samples.mean(axis=0)))
    assert a.baseline_logit == pytest.approx(float((samples @ W).mean()) + BIAS, rel=F32_RTOL)  # float32
    assert "average prediction over the baseline people" in a.completeness


def test_saliency_is_the_signed_gradient_and_claims_no_completeness() -> None:
    a = attribute(linear_model(W, BIAS), np.ones(N), method="saliency", baseline=point(np.zeros(N)), target=0)
    assert_close_f32(a.values, W)
    assert np.isnan(a.residual) and not a.converged


def test_ig_raises_its_steps_until_complete_and_says_when_it_is_not() -> None:
    net, x, b = bump(80.0), np.full(4, 2.0), point(np.zeros(4))
    fixed = attribute(net, x, baseline=b, target=0, n_steps=32)
    assert not fixed.converged and abs(fixed.residual) > 0.01 * abs(fixed.delta)
    assert "NOT within" in fixed.completeness
    auto = attribute(net, x, baseline=b, target=0)
    assert int(auto.parameters["n_steps"]) > 32 and auto.converged
    assert abs(auto.residual) < 0.01 * abs(auto.delta)
    assert auto.residual == pytest.approx(auto.delta - auto.values.sum(), abs=1e-12)


def test_completeness_on_a_risknet_ensemble_is_within_one_percent() -> None:
    ens, x = risk_ensemble(), patient()
    for target in (0, 1):
        a = attribute(ens, x, baseline=point(np.zeros(12)), target=target)
        assert a.converged and abs(a.residual) <= max(0.01 * abs(a.delta), 1e-4)
        with torch.no_grad():
            fx = float(ens(torch.tensor(x[None], dtype=torch.float32))[0, target])
        assert a.prediction_logit == pytest.approx(fx, rel=F32_RTOL)  # float32 logit


def test_ensemble_attribution_is_the_mean_of_member_attributions() -> None:
    ens, x, b = risk_ensemble(), patient(), point(np.full(12, 1.0))
    a = attribute(ens, x, baseline=b, target=1, n_steps=64)
    assert a.member_values.shape == (3, 12)
    for k, member in enumerate(ens.members):  # each member alone, calibrated by hand

        class Calibrated(nn.Module):
            def forward(self, z: torch.Tensor) -> torch.Tensor:
                return member(z) * ens.cal_slope + ens.cal_bias  # type: ignore[no-any-return]  # noqa: B023

        alone = attribute(Calibrated(), x, baseline=b, target=1, n_steps=64)
        assert_close_f32(a.member_values[k], alone.values)
    np.testing.assert_allclose(a.values, a.member_values.mean(axis=0), atol=1e-12)  # float64 mean of the same
    np.testing.assert_allclose(a.spread, a.member_values.std(axis=0), atol=1e-12)
    whole = attribute(ens, x, baseline=b, target=1, n_steps=64, members="ensemble")
    assert_close_f32(whole.values, a.values)  # IG is linear in the model
    assert whole.member_values.shape == (1, 12) and a.spread.max() > 0


def test_explained_units_average_to_the_ensemble_output() -> None:
    ens, x = risk_ensemble(), torch.tensor(patient()[None], dtype=torch.float32)
    units = explained_units(ens)
    with torch.no_grad():
        mean = torch.stack([u(x) for u in units]).mean(dim=0)
        torch.testing.assert_close(mean, ens(x))
    assert explained_units(ens, members="ensemble") == [ens]


def test_deeplift_applies_the_rescale_rule_to_silu() -> None:
    net, x, b = bump(80.0), np.full(4, 2.0), point(np.zeros(4))
    a = attribute(net, x, method="deeplift", baseline=b, target=0)
    assert abs(a.residual) < 1e-4 * abs(a.delta)  # the plain SiLU gradient would miss by far more


def test_identical_members_have_zero_spread() -> None:
    ens = risk_ensemble()
    for m in ens.members[1:]:
        m.load_state_dict(ens.members[0].state_dict())
    a = attribute(ens, patient(), baseline=point(np.zeros(12)), target=0)
    assert np.all(a.spread == 0.0)


def _hooks(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._backward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


@pytest.mark.parametrize("method", ["deeplift", "deeplift_shap"])
def test_deeplift_runs_on_a_copy_and_leaves_the_shared_model_untouched(
        method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ens, x = risk_ensemble(), patient()
    before = {k: v.clone() for k, v in ens.state_dict().items()}
    base = distribution(np.random.default_rng(1).integers(0, 3, (4, 12)).astype(np.float64))
    hooked: list[nn.Module] = []  # every module Captum hooks, even if it removes the hooks afterwards
    for name in ("register_forward_hook", "register_forward_pre_hook"):
        original = getattr(nn.Module, name)

        def spy(self: nn.Module, *args: object, _original: object = original, **kwargs: object) -> object:
            hooked.append(self)
            return _original(self, *args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(nn.Module, name, spy)
    a = attribute(ens, x, method=method, baseline=base, target=0)  # type: ignore[arg-type]
    monkeypatch.undo()
    shared = {id(m) for m in ens.modules()}
    assert hooked and not any(id(m) in shared for m in hooked)
    assert _hooks(ens) == 0
    assert not any(hasattr(m, "input") or hasattr(m, "output") for m in ens.modules())
    assert all(torch.equal(before[k], v) for k, v in ens.state_dict().items())
    assert a.converged  # SiLU gets the rescale rule, so DeepLift adds up
    for unit in explained_units(ens):
        assert _hooks(unit) == 0


def test_feature_ablation_over_a_group_mask_gives_one_value_per_group() -> None:
    x, b = np.array([2, 1, 0, 2, 2, 1.0]), np.zeros(N)
    mask = np.array([0, 0, 1, 1, 2, 2])
    for method in ("feature_ablation", "shapley_sampling", "ig"):
        a = attribute(linear_model(W, BIAS), x, method=method, baseline=point(b), target=0,
                      feature_mask=mask, group_names=["A", "B", "C"])
        assert a.names == ("A", "B", "C") and a.values.shape == (3,)
        assert a.groups == ((0, 1), (2, 3), (4, 5))
        expected = [W[:2] @ x[:2], W[2:4] @ x[2:4], W[4:] @ x[4:]]
        assert_close_f32(a.values, expected)


def test_stochastic_methods_are_seeded_and_leave_global_rngs_alone() -> None:
    ens, x = risk_ensemble(), patient()
    base = distribution(np.random.default_rng(3).integers(0, 3, (8, 12)).astype(np.float64))
    torch_state, np_state = torch.random.get_rng_state(), np.random.get_state()
    one = attribute(ens, x, method="gradient_shap", baseline=base, target=0, n_steps=64, seed=7)
    two = attribute(ens, x, method="gradient_shap", baseline=base, target=0, n_steps=64, seed=7)
    np.testing.assert_array_equal(one.values, two.values)
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state[1])  # type: ignore[index]
    assert one.parameters["samples"] == 64 and one.parameters["seed"] == 7
    # same draws for every member, so the member mean equals GradientShap of the ensemble itself
    whole = attribute(ens, x, method="gradient_shap", baseline=base, target=0, n_steps=64, seed=7, members="ensemble")
    assert_close_f32(whole.values, one.values)


def test_every_method_returns_a_described_result() -> None:
    ens, x = risk_ensemble(members=2), patient()
    base = distribution(np.random.default_rng(4).integers(0, 3, (3, 12)).astype(np.float64))
    for method in METHODS:
        a = attribute(ens, x, method=method, baseline=base, target=1, n_steps=8 if method != "ig" else None)
        assert a.method == method and a.values.shape == (12,) and a.parameters["members"] == 2
        assert a.completeness and a.baseline is base and a.target == 1


def test_bad_calls_say_what_is_wrong() -> None:
    lin, x = linear_model(W, BIAS), np.zeros(N)
    with pytest.raises(ExplainError, match="method 'lime' unknown"):
        attribute(lin, x, method="lime", baseline=point(x), target=0)  # type: ignore[arg-type]
    with pytest.raises(ExplainError, match="needs a baseline distribution"):
        attribute(lin, x, method="gradient_shap", baseline=point(x), target=0)
    with pytest.raises(ExplainError, match="missing values"):
        attribute(lin, np.full(N, np.nan), baseline=point(x), target=0)
    with pytest.raises(ExplainError, match="must both be"):
        attribute(lin, np.zeros(N + 1), baseline=point(x), target=0)
    with pytest.raises(ExplainError, match="Target 3 is not an output"):
        attribute(lin, x, baseline=point(x), target=3)
    with pytest.raises(ExplainError, match=r"group ids must be 0\.\.G-1"):
        attribute(lin, x, method="feature_ablation", baseline=point(x), target=0, feature_mask=[0, 0, 2, 2, 2, 2])


def _captum_members(ens: Ensemble, method: str, x: np.ndarray, baseline: Baseline, target: int, n: int,
                    seed: int = 0, mask: np.ndarray | None = None) -> np.ndarray:
    """Captum itself, one calibrated member at a time (what attribute() did before batching)."""
    from captum.attr import FeatureAblation, GradientShap, IntegratedGradients

    x_t = torch.tensor(x[None], dtype=torch.float32)
    b_t = torch.tensor(baseline.values[None], dtype=torch.float32)
    out = []
    for unit in explained_units(ens):
        if method == "ig":
            a = IntegratedGradients(unit).attribute(x_t, baselines=b_t, target=target, n_steps=n,
                                                    method="gausslegendre")
        elif method == "gradient_shap":
            assert baseline.samples is not None
            np.random.seed(seed)
            torch.manual_seed(seed)
            a = GradientShap(unit).attribute(x_t, baselines=torch.tensor(baseline.samples, dtype=torch.float32),
                                             target=target, n_samples=n, stdevs=0.0)
        else:
            m_t = torch.as_tensor(mask[None], dtype=torch.long) if mask is not None else None
            a = FeatureAblation(unit).attribute(x_t, baselines=b_t, target=target, feature_mask=m_t)
        out.append(a.detach()[0].double().numpy())
    return np.stack(out)  # (members, n_features)


@pytest.mark.parametrize("target", [0, 1])
def test_batched_ensemble_ig_equals_captum_integrated_gradients_per_member(target: int) -> None:
    ens, x, b = risk_ensemble(members=4), patient(), point(np.full(12, 0.5))
    for n in (32, 128):
        a = attribute(ens, x, baseline=b, target=target, n_steps=n)
        assert a.parameters["batched"]
        assert_close_f32(a.member_values, _captum_members(ens, "ig", x, b, target, n))
        np.testing.assert_allclose(a.values, a.member_values.mean(axis=0), atol=1e-12)  # float64 mean of the same


def test_batched_ig_keeps_raising_steps_per_output() -> None:
    ens = risk_ensemble()
    with torch.no_grad():  # sharp SiLU kinks on output 1's path, none on output 0's: only 1 needs more steps
        for m in ens.members:
            assert isinstance(m, RiskNet)
            first = m.interaction[0]
            assert isinstance(first, nn.Linear)
            first.weight.fill_(50.0)
            first.bias.copy_(torch.linspace(-100.0, -700.0, 8))
            m.interaction_out.weight[0].zero_()
            m.interaction_out.weight[1].copy_(torch.tensor([1.0, -1.0] * 4))
    x, b = patient(), point(np.zeros(12))
    both = attribute_outputs(ens, x, baseline=b, targets=[0, 1])
    assert [a.parameters["n_steps"] for a in both] == [32, 128]
    for t, a in zip((0, 1), both, strict=True):
        alone = attribute(ens, x, baseline=b, target=t)
        assert a.parameters["n_steps"] == alone.parameters["n_steps"] and a.converged == alone.converged
        assert_close_f32(a.values, alone.values)
        assert a.converged and abs(a.residual) <= max(0.01 * abs(a.delta), 1e-4)
        n = int(a.parameters["n_steps"])
        assert_close_f32(a.member_values, _captum_members(ens, "ig", x, b, t, n))


def test_batched_gradient_shap_draws_what_captum_draws() -> None:
    ens, x = risk_ensemble(), patient()
    base = distribution(np.random.default_rng(3).integers(0, 3, (9, 12)).astype(np.float64))
    for seed in (0, 7):
        a = attribute(ens, x, method="gradient_shap", baseline=base, target=1, n_steps=32, seed=seed)
        ref = _captum_members(ens, "gradient_shap", x, base, 1, 32, seed=seed)
        assert_close_f32(a.member_values, ref)


def test_batched_feature_ablation_equals_captum_with_and_without_a_mask() -> None:
    ens, x, b = risk_ensemble(), patient(), point(np.full(12, 1.0))
    for target in (0, 1):
        a = attribute(ens, x, method="feature_ablation", baseline=b, target=target)
        ref = _captum_members(ens, "feature_ablation", x, b, target, 0)
        assert_close_f32(a.member_values, ref)
        mask = np.array([0, 0, 1, 1, 1, 2, 3, 3, 4, 4, 5, 5])
        g = attribute(ens, x, method="feature_ablation", baseline=b, target=target, feature_mask=mask)
        ref = _captum_members(ens, "feature_ablation", x, b, target, 0, mask=mask)
        assert_close_f32(g.member_values, ref[:, [0, 2, 5, 6, 8, 10]])


@pytest.mark.parametrize("method", ["ig", "gradient_shap", "feature_ablation", "deeplift", "shapley_sampling"])
def test_attribute_outputs_is_attribute_for_each_target(method: str) -> None:
    ens, x = risk_ensemble(), patient()
    base = distribution(np.random.default_rng(5).integers(0, 3, (6, 12)).astype(np.float64))
    n = None if method == "ig" else 8
    many = attribute_outputs(ens, x, method=method, baseline=base, targets=[1, 0], n_steps=n)  # type: ignore[arg-type]
    for a in many:
        one = attribute(ens, x, method=method, baseline=base, target=a.target, n_steps=n)  # type: ignore[arg-type]
        assert_close_f32(a.values, one.values)  # batch size may move the last bit
        # the residual is a float32 sum minus a logit difference: compare it on the scale of that difference
        assert a.residual == pytest.approx(one.residual, abs=F32_RTOL * max(1.0, abs(one.delta)))
        assert a.parameters == one.parameters
    assert [a.target for a in many] == [1, 0]


def test_only_stochastic_methods_touch_the_rng(monkeypatch: pytest.MonkeyPatch) -> None:
    import genolens.explain.attribution as attribution

    seeded: list[int] = []
    original = attribution.seeded_global_rngs

    def spy(seed: int):  # type: ignore[no-untyped-def]
        seeded.append(seed)
        return original(seed)

    monkeypatch.setattr(attribution, "seeded_global_rngs", spy)
    lin, x = linear_model(W, BIAS), np.ones(N)
    for method in ("ig", "feature_ablation", "saliency", "deeplift"):
        attribute(lin, x, method=method, baseline=point(np.zeros(N)), target=0)
    # Shapley sampling draws its permutations from a generator of its own, not the global ones
    attribute(lin, x, method="shapley_sampling", baseline=point(np.zeros(N)), target=0, n_steps=4, seed=3)
    assert seeded == []
    attribute(lin, x, method="gradient_shap", baseline=distribution(np.eye(N)), target=0, n_steps=4, seed=3,
              members="ensemble")
    assert seeded == [3]
