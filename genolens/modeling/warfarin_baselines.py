"""Baselines for the warfarin dose: the published IWPC algorithms, a fixed dose and an OLS refit.

Coefficients are those of IWPC, N Engl J Med 2009;360:753-764, appendix S1e (pharmacogenetic) and S1f
(clinical), on the square-root weekly dose scale, keyed by :data:`genolens.modeling.iwpc.DESIGN_NAMES`.
Every baseline is scored by the same :func:`dose_metrics`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np

from genolens.errors import CohortError
from genolens.modeling.iwpc import WarfarinCohort

INTERCEPT = "intercept"
"""The key of the intercept in a coefficient mapping."""

IWPC_PHARMACOGENETIC: Mapping[str, float] = MappingProxyType({
    INTERCEPT: 5.6044,
    "age_decades": -0.2614, "height_cm": 0.0087, "weight_kg": 0.0128,
    "vkorc1_AG": -0.8677, "vkorc1_AA": -1.6974, "vkorc1_unknown": -0.4854,
    "cyp2c9_12": -0.5211, "cyp2c9_13": -0.9357, "cyp2c9_22": -1.0616, "cyp2c9_23": -1.9206,
    "cyp2c9_33": -2.3312, "cyp2c9_unknown": -0.2188,
    "asian": -0.1092, "black": -0.2760, "race_unknown": -0.1032,
    "enzyme_inducer": 1.1816, "amiodarone": -0.5503,
})
"""IWPC pharmacogenetic algorithm (appendix S1e): sqrt(mg/week) = intercept + sum(coef * x)."""

IWPC_CLINICAL: Mapping[str, float] = MappingProxyType({
    INTERCEPT: 4.0376,
    "age_decades": -0.2546, "height_cm": 0.0118, "weight_kg": 0.0134,
    "asian": -0.6752, "black": 0.4060, "race_unknown": 0.0443,
    "enzyme_inducer": 1.2799, "amiodarone": -0.5695,
})
"""IWPC clinical algorithm (appendix S1f); names it lacks have coefficient 0."""

RACE_GROUPS: tuple[str, ...] = ("White", "Asian", "Black or African American")
"""The race groups reported one by one (the "Unknown" patients count only overall)."""


def iwpc_dose(X: np.ndarray, names: Sequence[str], coefficients: Mapping[str, float]) -> np.ndarray:
    """Weekly dose (mg) of a square-root-scale linear algorithm.

    Parameters
    ----------
    X : np.ndarray
        Design matrix (n, p) with columns ``names``.
    names : Sequence[str]
        Column names of ``X``.
    coefficients : Mapping[str, float]
        ``"intercept"`` and coefficients by column name; a column without one counts 0.

    Returns
    -------
    np.ndarray
        ``max(intercept + X @ beta, 0) ** 2`` in mg/week, shape (n,).

    Raises
    ------
    CohortError
        When a coefficient names no column of ``X``.
    """
    unknown = sorted(set(coefficients) - set(names) - {INTERCEPT})
    if unknown:
        raise CohortError(f"warfarin algorithm: coefficients {unknown} name no design-matrix column")
    beta = np.array([coefficients.get(n, 0.0) for n in names], dtype=np.float64)
    root = coefficients.get(INTERCEPT, 0.0) + np.asarray(X, dtype=np.float64) @ beta
    return np.square(np.clip(root, 0.0, None))


def fixed_dose(n: int, mg_week: float = 35.0) -> np.ndarray:
    """The same weekly dose for ``n`` patients (35 mg/week = 5 mg/day, the paper's fixed-dose arm)."""
    return np.full(n, float(mg_week))


def fit_ols(X: np.ndarray, sqrt_dose: np.ndarray) -> tuple[float, np.ndarray]:
    """Ordinary least squares of the square-root dose on ``X`` with an intercept.

    Parameters
    ----------
    X : np.ndarray
        Design matrix (n, p).
    sqrt_dose : np.ndarray
        Square root of the weekly dose, shape (n,).

    Returns
    -------
    tuple[float, np.ndarray]
        The intercept and the coefficients (p,), from ``numpy.linalg.lstsq`` (minimum-norm solution
        when a column is constant, e.g. a genotype absent from the data).
    """
    X = np.asarray(X, dtype=np.float64)
    A = np.column_stack([np.ones(X.shape[0]), X])
    solution, *_ = np.linalg.lstsq(A, np.asarray(sqrt_dose, dtype=np.float64), rcond=None)
    return float(solution[0]), solution[1:]


def ols_dose(X: np.ndarray, intercept: float, coef: np.ndarray) -> np.ndarray:
    """Weekly dose (mg) of an OLS fit on the square-root scale: ``max(intercept + X @ coef, 0) ** 2``."""
    root = intercept + np.asarray(X, dtype=np.float64) @ np.asarray(coef, dtype=np.float64)
    return np.square(np.clip(root, 0.0, None))


def dose_metrics(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """Accuracy of predicted weekly doses, as the IWPC paper reports it.

    Parameters
    ----------
    predicted : np.ndarray
        Predicted doses, mg/week.
    actual : np.ndarray
        Actual stable doses, mg/week (positive).

    Returns
    -------
    dict[str, float]
        ``mae`` (mean absolute error, mg/week), ``pct_ideal`` (% of patients whose prediction lies within
        80-120% of the actual dose), ``r2`` (1 - SSres/SStot on mg/week; NaN with fewer than 2 patients
        or constant actual doses), ``n`` (patients). NaN figures when ``n`` is 0.
    """
    p = np.asarray(predicted, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    if p.shape != a.shape:
        raise CohortError(f"dose metrics: {p.shape} predictions for {a.shape} doses")
    n = int(a.size)
    if n == 0:
        return {"mae": float("nan"), "pct_ideal": float("nan"), "r2": float("nan"), "n": 0}
    ss_tot = float(np.sum((a - a.mean()) ** 2))
    r2 = 1.0 - float(np.sum((a - p) ** 2)) / ss_tot if n > 1 and ss_tot > 0 else float("nan")
    ideal = (p >= 0.8 * a) & (p <= 1.2 * a)
    return {"mae": float(np.mean(np.abs(p - a))), "pct_ideal": 100.0 * float(np.mean(ideal)), "r2": r2,
            "n": n}


def race_groups(cohort: WarfarinCohort) -> dict[str, np.ndarray]:
    """Boolean masks of the patients of each race group in :data:`RACE_GROUPS`, in that order."""
    return {group: np.asarray(cohort.race == group) for group in RACE_GROUPS}
