"""The cohort's batched Integrated Gradients equal the single-patient path's, sample by sample: the oracle is
:func:`genolens.explain.attribution.attribute_outputs` (Captum-checked elsewhere) called on each row alone."""

from __future__ import annotations

import numpy as np
import pytest

from genolens.explain.attribution import IG_STEPS, attribute_outputs
from genolens.explain.baselines import population_average
from genolens.explain.batched_rows import ig_rows
from genolens.explain.explanation import context_for
from genolens.modeling.bundle import bundle_paths, load_bundle


@pytest.mark.parametrize("strict", [False, True], ids=["shipped-ladder", "short-ladder-climbs"])
@pytest.mark.parametrize("name", ["coronary_artery_disease", "treatment_response"])
def test_every_row_equals_attribute_outputs_on_that_row_alone(name: str, strict: bool,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    ladder = IG_STEPS
    if strict:  # the shipped models converge at 32 steps; a ladder from 1 step makes rows climb to different rungs
        ladder = (1, 2, 4, 8, 16, 32, 64)
        for module in ("genolens.explain.attribution", "genolens.explain.batched_rows"):
            monkeypatch.setattr(f"{module}.IG_STEPS", ladder)
    path = next(p for p in bundle_paths() if p.parent.name == name)
    bundle = load_bundle(path)
    ctx = context_for(bundle, seed=0)
    base = population_average(ctx)
    rng = np.random.default_rng(7)
    n_genetic = len(bundle.panel.variants)
    x = np.tile(base.values, (9, 1))
    x[:, :n_genetic] = rng.integers(0, 3, (9, n_genetic))  # dosages 0/1/2, far from the mean: real paths
    x[0] = base.values  # the baseline itself: delta 0, converged at the first rung
    x[1, n_genetic:] += 25 * rng.standard_normal(x.shape[1] - n_genetic)  # extreme covariates
    x = x.astype(np.float32).astype(np.float64)  # the model's inputs are float32, as predict gives them
    targets = list(range(len(bundle.outputs)))
    got = ig_rows(bundle.model, x, base.values, targets)
    for i, row in enumerate(x):
        want = attribute_outputs(bundle.model, row, method="ig", baseline=base, targets=targets, seed=0, context=ctx)
        for j, a in enumerate(want):
            np.testing.assert_allclose(got.values[i, j], a.values, rtol=0, atol=1e-6, err_msg=f"row {i} output {j}")
            assert got.n_steps[i, j] == a.parameters["n_steps"] and got.converged[i, j] == a.converged
            # the network runs in float32: a batched forward may round a logit's last bit differently (one ulp is
            # 1.9e-6 at |logit| 16-32, reached by the extreme covariates of row 1)
            tol = max(1e-6, 2 * float(np.spacing(np.float32(abs(a.prediction_logit)))))
            assert got.residual[i, j] == pytest.approx(a.residual, abs=tol)
            assert got.prediction_logit[i, j] == pytest.approx(a.prediction_logit, abs=tol)
            assert got.baseline_logit[j] == pytest.approx(a.baseline_logit, abs=1e-9)
    assert set(got.n_steps.ravel().tolist()) <= set(ladder)
    if strict:
        assert len(set(got.n_steps.ravel().tolist())) > 1, "the short ladder should make rows stop on different rungs"


def test_no_rows_gives_empty_results() -> None:
    bundle = load_bundle(next(p for p in bundle_paths() if p.parent.name == "coronary_artery_disease"))
    base = population_average(context_for(bundle, seed=0))
    got = ig_rows(bundle.model, np.zeros((0, base.values.shape[0])), base.values, [0])
    assert got.values.shape == (0, 1, base.values.shape[0]) and got.n_steps.shape == (0, 1)
