"""Dose network: a known heteroscedastic truth on the sqrt scale, mixture quantiles, Captum completeness, files.

The synthetic truth: sqrt(dose) = 5.5 + 0.9 x0 - 0.6 x1 + 0.3 x2 + noise, noise sd 0.6 exp(0.35 x3),
x standard normal (the scale of the IWPC cohort: median about 30 mg/week). The oracle knows this.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from captum.attr import IntegratedGradients

from genolens.errors import BundleError, CohortError, OptionError
from genolens.modeling.dose_network import (
    DoseEnsemble,
    DosePrediction,
    DoseTrainConfig,
    cross_validate,
    interval_coverage,
    load_dose_ensemble,
    mixture_dose_quantiles,
    predict_dose,
    save_dose_ensemble,
    train_dose_ensemble,
)

N_INPUTS = 6
TINY = DoseTrainConfig(members=2, hidden=8, epochs=3, batch_size=128, patience=2, seed=3)
SMALL = DoseTrainConfig(members=3, hidden=16, epochs=80, batch_size=128, patience=10, lr=5e-3, seed=1)
Z90 = 1.6448536269514722  # standard normal 95th percentile (tables)


def truth(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Inputs (n, 6), actual doses (n,), the true sqrt-scale mean and sd (n,) each."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, N_INPUTS))
    mu = 5.5 + 0.9 * x[:, 0] - 0.6 * x[:, 1] + 0.3 * x[:, 2]
    sd = 0.6 * np.exp(0.35 * x[:, 3])
    s = np.clip(mu + sd * rng.normal(size=n), 0.5, None)  # clipping touches ~1e-12 of the mass
    return x, s**2, mu, sd


@pytest.fixture(scope="module")
def trained() -> DoseEnsemble:
    x, dose, _, _ = truth(3000, seed=11)
    return train_dose_ensemble(x, dose, SMALL)


@pytest.fixture(scope="module")
def fresh() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return truth(6000, seed=99)


Truth = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def random_model(members: int = 3) -> DoseEnsemble:
    """An untrained ensemble with a cohort-like standardisation (doses around 30 mg/week)."""
    model = DoseEnsemble(N_INPUTS, replace(TINY, members=members))
    model.set_standardisation(np.linspace(-1, 1, N_INPUTS), np.linspace(0.5, 2, N_INPUTS), 5.5, 1.2)
    return model.freeze()


# --- the mixture's quantiles -------------------------------------------------------------------------------------

def test_one_gaussian_member_gives_the_closed_form_dose_quantiles() -> None:
    mu, sd = np.array([[5.5, 3.0, 8.0]]), np.array([[0.6, 0.4, 1.5]])
    q = mixture_dose_quantiles(mu, sd**2, (0.05, 0.5, 0.95))
    expected = np.stack([(mu[0] - Z90 * sd[0]) ** 2, mu[0] ** 2, (mu[0] + Z90 * sd[0]) ** 2])
    np.testing.assert_allclose(q, expected, rtol=1e-7, atol=1e-6)


def test_mixture_quantiles_match_a_monte_carlo_estimate() -> None:
    mu, var = np.array([[4.0], [5.5], [7.0]]), np.array([[0.25], [1.0], [0.49]])
    q = mixture_dose_quantiles(mu, var, (0.05, 0.5, 0.95))[:, 0]
    rng = np.random.default_rng(5)
    which = rng.integers(0, 3, size=400_000)
    s = mu[which, 0] + np.sqrt(var[which, 0]) * rng.normal(size=which.size)
    np.testing.assert_allclose(q, np.quantile(s**2, [0.05, 0.5, 0.95]), rtol=0.01)


def test_mass_below_zero_on_the_sqrt_scale_is_folded_into_the_dose() -> None:
    # S ~ N(0, 1): D = S^2 is chi-square(1), whose median is 0.454936 (tables), not 0^2
    q = mixture_dose_quantiles(np.zeros((1, 1)), np.ones((1, 1)), (0.5,))
    assert q[0, 0] == pytest.approx(0.454936423, abs=1e-6)


def test_quantile_probabilities_outside_zero_one_are_refused() -> None:
    with pytest.raises(OptionError, match="Quantile probabilities"):
        mixture_dose_quantiles(np.zeros((1, 1)), np.ones((1, 1)), (0.0, 0.5))


# --- the module's outputs -----------------------------------------------------------------------------------------

def test_forward_is_the_mixture_mean_of_the_member_gaussians_in_mg_per_week() -> None:
    model = random_model()
    x = torch.as_tensor(truth(7, seed=2)[0], dtype=torch.float32)
    mu, var = model.member_params(x)
    assert mu.shape == var.shape == (3, 7)
    assert torch.allclose(model(x), (mu**2 + var).mean(dim=0), rtol=1e-6)
    pred = predict_dose(model, x.numpy())
    np.testing.assert_allclose(pred.mean, model(x).double().numpy(), rtol=1e-5)
    assert all(a.dtype == np.float64 and a.shape == (7,) for a in (pred.mean, pred.median, pred.lo, pred.hi))
    assert np.all((pred.lo < pred.median) & (pred.median < pred.hi))


def test_interval_coverage_counts_the_ends_as_inside() -> None:
    pred = DosePrediction(mean=np.full(4, 30.0), median=np.full(4, 30.0), lo=np.full(4, 20.0), hi=np.full(4, 40.0))
    assert interval_coverage(pred, np.array([20.0, 40.0, 19.9, 41.0])) == 0.5


def test_integrated_gradients_on_forward_reaches_completeness() -> None:
    x, dose, _, _ = truth(400, seed=4)
    model = train_dose_ensemble(x, dose, TINY)
    patient = torch.as_tensor(x[:3], dtype=torch.float32)
    base = model.x_mean.expand(3, -1).clone()  # the derivation mean patient
    ig = IntegratedGradients(model)
    attr = ig.attribute(patient, baselines=base, n_steps=128, method="gausslegendre")
    with torch.no_grad():
        gap = model(patient) - model(base)  # (3,) mg/week
    np.testing.assert_allclose(attr.sum(dim=1).numpy(), gap.numpy(), rtol=0.01, atol=1e-4)
    assert float(gap.abs().min()) > 0.1  # the check is not vacuous


def test_save_and_load_give_identical_predictions(tmp_path: Path) -> None:
    model = random_model()
    save_dose_ensemble(model, tmp_path / "dose.pt")
    back = load_dose_ensemble(tmp_path / "dose.pt")
    assert back.config == model.config
    x = truth(5, seed=8)[0]
    a, b = predict_dose(model, x), predict_dose(back, x)
    for field in ("mean", "median", "lo", "hi"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def test_loading_another_kind_of_file_is_a_bundle_error(tmp_path: Path) -> None:
    torch.save({"format": "something/else"}, tmp_path / "other.pt")
    with pytest.raises(BundleError, match="not a GenoLens dose model"):
        load_dose_ensemble(tmp_path / "other.pt")
    (tmp_path / "broken.pt").write_bytes(b"not a torch file")
    with pytest.raises(BundleError, match="cannot be read"):
        load_dose_ensemble(tmp_path / "broken.pt")


def test_inputs_of_the_wrong_width_or_with_nan_are_refused() -> None:
    model = random_model()
    with pytest.raises(BundleError, match="shape"):
        predict_dose(model, np.zeros((2, N_INPUTS + 1)))
    x = np.zeros((2, N_INPUTS))
    x[1, 2] = np.nan
    with pytest.raises(BundleError, match="rows \\[1\\]"):
        predict_dose(model, x)
    with pytest.raises(CohortError, match="positive"):
        train_dose_ensemble(np.zeros((50, 2)), np.r_[np.full(49, 30.0), 0.0], TINY)


def test_training_settings_out_of_range_are_refused() -> None:
    with pytest.raises(OptionError, match="val_fraction"):
        DoseTrainConfig(val_fraction=0.0)
    with pytest.raises(OptionError, match="members"):
        DoseTrainConfig(members=0)


def test_training_is_deterministic_for_a_seed_and_differs_for_another() -> None:
    x, dose, _, _ = truth(300, seed=6)
    first, again = train_dose_ensemble(x, dose, TINY), train_dose_ensemble(x, dose, TINY)
    other = train_dose_ensemble(x, dose, replace(TINY, seed=4))
    probe = torch.as_tensor(x[:20], dtype=torch.float32)
    assert torch.equal(first(probe), again(probe))
    assert not torch.equal(first(probe), other(probe))


# --- what the trained ensemble learns -----------------------------------------------------------------------------

@pytest.mark.slow  # trains a model
def test_the_ensemble_error_approaches_the_oracle(trained: DoseEnsemble, fresh: Truth) -> None:
    x, dose, mu, _ = fresh
    pred = predict_dose(trained, x)
    oracle = float(np.mean(np.abs(mu**2 - dose)))  # the true median: the best MAE there is
    constant = float(np.mean(np.abs(np.median(dose) - dose)))
    assert float(np.mean(np.abs(pred.median - dose))) <= 1.05 * oracle < constant
    assert float(np.mean(np.abs(pred.mean - dose))) <= 1.06 * oracle


@pytest.mark.slow  # trains a model
def test_the_90_percent_interval_covers_85_to_95_percent_of_fresh_patients(trained: DoseEnsemble,
                                                                            fresh: Truth) -> None:
    x, dose, _, sd = fresh
    pred = predict_dose(trained, x)
    assert 0.85 <= interval_coverage(pred, dose) <= 0.95
    # heteroscedastic: the interval is wider where the true noise is larger (sd grows with x3)
    width = np.sqrt(pred.hi) - np.sqrt(pred.lo)
    assert np.corrcoef(width, sd)[0, 1] > 0.8


@pytest.mark.slow  # trains five models
def test_cross_validation_reports_every_fold() -> None:
    x, dose, _, _ = truth(500, seed=12)
    cv = cross_validate(x, dose, TINY, folds=3, seed=2)
    assert cv["n"] == [167.0, 167.0, 166.0]
    assert all(len(v) == 3 for v in cv.values())
    assert all(0.0 <= c <= 1.0 for c in cv["coverage_90"]) and all(m > 0 for m in cv["mae"])
