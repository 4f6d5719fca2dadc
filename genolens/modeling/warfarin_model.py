"""The warfarin dose bundle: a deep ensemble trained on the real IWPC patients, beside the published algorithms.

:func:`train_warfarin` reads the IWPC data set from ``../shared`` (:mod:`genolens.modeling.iwpc`), splits it
80/20 (derivation/validation, seeded), chooses the network's size and weight decay by cross-validation on the
derivation part only, trains the ensemble (:mod:`genolens.modeling.dose_network`) on the derivation part, and
scores it on the held-out validation part beside the IWPC pharmacogenetic and clinical algorithms, a fixed
35 mg/week and an ordinary least-squares refit (:mod:`genolens.modeling.warfarin_baselines`): same patients,
same metric code. It writes ``weights.pt`` and ``card.toml`` (kind ``dose``) with every figure, the split and
the CC BY-SA attribution. The point estimate is the median of the predictive distribution (the
IWPC algorithm's squared linear predictor is a median on the dose scale too); the interval is its 5th-95th
percentile.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from genolens.errors import CohortError
from genolens.modeling.bundle import dumps_toml
from genolens.modeling.dose_network import (
    DoseTrainConfig,
    cross_validate,
    interval_coverage,
    predict_dose,
    save_dose_ensemble,
    train_dose_ensemble,
)
from genolens.modeling.iwpc import WarfarinCohort, design_matrix, iwpc_csv, load_iwpc, split_iwpc
from genolens.modeling.warfarin_baselines import (
    IWPC_CLINICAL,
    IWPC_PHARMACOGENETIC,
    dose_metrics,
    fit_ols,
    fixed_dose,
    iwpc_dose,
    ols_dose,
    race_groups,
)
from genolens.provenance import RESEARCH_USE, package_versions

DOSE_KIND = "dose"
"""The card kind of a dose bundle (not loaded as a risk/response :class:`~genolens.modeling.bundle.Bundle`)."""

GENOTYPE_PREFIXES: tuple[str, ...] = ("vkorc1_", "cyp2c9_")
"""Design-matrix columns that code a genotype (0 for the reference CYP2C9 *1/*1 and VKORC1 G/G)."""
BASELINE_CAPTION = ("the derivation cohort's mean patient (mean age, height, weight, race mix, amiodarone and "
                    "enzyme-inducer use) with the reference genotypes CYP2C9 *1/*1 and VKORC1 G/G")
"""What the warfarin ledger's contributions are relative to, in words."""


def clinical_baseline(X: np.ndarray, names: tuple[str, ...] | list[str]) -> np.ndarray:
    """The explanation baseline: the column means of ``X`` with every genotype column set to 0 (all-*1, G/G).

    Parameters
    ----------
    X : np.ndarray
        Design matrix of the derivation patients, shape (n, p), columns ``names`` (no NaN).
    names : sequence of str
        Column names (:data:`genolens.modeling.iwpc.DESIGN_NAMES`).

    Returns
    -------
    np.ndarray
        float64, shape (p,).
    """
    base: np.ndarray = np.asarray(X, dtype=np.float64).mean(axis=0)
    for i, name in enumerate(names):
        if name.startswith(GENOTYPE_PREFIXES):
            base[i] = 0.0
    return base


def baseline_section(X: np.ndarray, names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The card's ``[explain.baseline]`` table: names, values of :func:`clinical_baseline` and the caption."""
    return {"names": list(names), "values": clinical_baseline(X, names).tolist(), "caption": BASELINE_CAPTION}


GRID: tuple[tuple[int, float], ...] = ((16, 1e-3), (32, 1e-3), (32, 1e-2))
"""(hidden units, weight decay) tried by cross-validation on the derivation part."""

ATTRIBUTION = ("Data: International Warfarin Pharmacogenetics Consortium, PharmGKB release (CC BY-SA 4.0). "
               "Estimation of the warfarin dose with clinical and pharmacogenetic data. N Engl J Med "
               "2009;360:753-764. The weights are derived from these data and shared under the same licence.")

LIMITATIONS = (
    "Trained on the patients of the IWPC release with complete age, height and weight and a target INR not "
    "known to lie outside 2-3 (4,193 of 5,700; the paper kept 5,052); stable weekly dose as each site reported it.",
    "Populations as in the data: mostly White, Asian and Black or African American patients from 21 sites in 9 "
    "countries; other groups are few and fall under 'missing or mixed race'.",
    "The split is stratified by race and VKORC1 genotype, not by site (the release has no site column), so the "
    "held-out figures are not those of an external site.",
    "Genotypes read: CYP2C9 *2 and *3 and VKORC1 -1639G>A only, as in the published algorithm; other alleles "
    "(CYP2C9 *5, *6, *8, *11, CYP4F2) are not read.",
)


def _metrics_table(pred: Mapping[str, np.ndarray], actual: np.ndarray,
                   groups: Mapping[str, np.ndarray]) -> dict[str, dict[str, dict[str, float]]]:
    """model -> group ("all" or a race) -> {mae, pct_ideal, r2, n}."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name, p in pred.items():
        out[name] = {"all": dose_metrics(p, actual)}
        for race, mask in groups.items():
            if mask.any():
                out[name][race] = dose_metrics(p[mask], actual[mask])
    return out


def choose_config(X: np.ndarray, dose: np.ndarray, *, seed: int, folds: int = 3,
                  grid: tuple[tuple[int, float], ...] = GRID, base: DoseTrainConfig | None = None,
                  ) -> tuple[DoseTrainConfig, dict[str, float]]:
    """The grid point with the lowest cross-validated MAE (of the median) on the data given (derivation only)."""
    start = base or DoseTrainConfig(seed=seed)
    scores: dict[str, float] = {}
    best: tuple[float, DoseTrainConfig] | None = None
    for hidden, decay in grid:
        config = replace(start, hidden=hidden, weight_decay=decay)
        cv = cross_validate(X, dose, config, folds=folds, seed=seed)
        mae = float(np.mean(cv["mae_median"]))
        scores[f"hidden={hidden} weight_decay={decay:g}"] = mae
        if best is None or mae < best[0]:
            best = (mae, config)
    assert best is not None
    return best[1], scores


def train_warfarin(out: Path, *, csv: Path | None = None, seed: int = 2009,
                   base: DoseTrainConfig | None = None, grid: tuple[tuple[int, float], ...] = GRID,
                   folds: int = 3) -> dict[str, Any]:
    """Train, score and write the warfarin dose bundle into ``out``; return the card as written.

    Raises
    ------
    CohortError
        When the IWPC data set is not found (it is read from ``../shared/datasets/iwpc_warfarin``).
    """
    path = csv or iwpc_csv()
    if path is None or not Path(path).is_file():
        raise CohortError("The IWPC warfarin data set was not found at ../shared/datasets/iwpc_warfarin/"
                          "iwpc_warfarin.csv; the dose model is trained from it and cannot be trained without it.")
    cohort = load_iwpc(Path(path))
    derivation, validation = split_iwpc(cohort, seed=seed)
    X, names = design_matrix(cohort)
    dose = cohort.dose_mg_week
    config, cv_scores = choose_config(X[derivation], dose[derivation], seed=seed, folds=folds, grid=grid, base=base)
    model = train_dose_ensemble(X[derivation], dose[derivation], config)
    out.mkdir(parents=True, exist_ok=True)
    save_dose_ensemble(model, out / "weights.pt")
    card = _card(out, cohort, derivation, validation, X, names, dose, model, config, cv_scores, seed)
    _write_card(out / "card.toml", card)
    return card


def evaluate(cohort: WarfarinCohort, mask: np.ndarray, X: np.ndarray, names: tuple[str, ...], dose: np.ndarray,
             model: Any, ols: tuple[float, np.ndarray]) -> tuple[dict[str, Any], float]:
    """Every model's figures on the patients of ``mask`` (same patients, same metric code) and the network's
    90% interval coverage there."""
    pred = predict_dose(model, X[mask])
    preds = {
        "network": pred.median,
        "iwpc_pharmacogenetic": iwpc_dose(X[mask], names, IWPC_PHARMACOGENETIC),
        "iwpc_clinical": iwpc_dose(X[mask], names, IWPC_CLINICAL),
        "fixed_35": fixed_dose(int(mask.sum())),
        "ols_refit": ols_dose(X[mask], *ols),
    }
    groups = {race: m[mask] for race, m in race_groups(cohort).items()}
    return _metrics_table(preds, dose[mask], groups), interval_coverage(pred, dose[mask])


def _card(out: Path, cohort: WarfarinCohort, derivation: np.ndarray, validation: np.ndarray, X: np.ndarray,
          names: tuple[str, ...], dose: np.ndarray, model: Any, config: DoseTrainConfig,
          cv_scores: Mapping[str, float], seed: int) -> dict[str, Any]:
    ols = fit_ols(X[derivation], np.sqrt(dose[derivation]))
    held_out, coverage = evaluate(cohort, validation, X, names, dose, model, ols)
    derived, coverage_d = evaluate(cohort, derivation, X, names, dose, model, ols)
    weights = (out / "weights.pt").read_bytes()
    return {
        "bundle": {"name": out.parent.name, "version": out.name, "kind": DOSE_KIND,
                   "research_use_only": RESEARCH_USE,
                   "intended_use": "Research estimate of the stable weekly warfarin dose (mg/week) for adults with "
                                   "a target INR of 2-3, from age, height, weight, race, amiodarone, enzyme "
                                   "inducers and the CYP2C9 *2/*3 and VKORC1 -1639G>A genotypes. Not validated "
                                   "for clinical use.",
                   "seed": seed},
        "outputs": {"names": ["dose_mg_per_week"], "dose_mg_per_week": {
            "outcome": "stable weekly warfarin dose (mg/week) for a target INR of 2-3",
            "point": "median of the predictive distribution", "interval": "5th-95th percentile"}},
        "inputs": {"names": list(names), "coding": "IWPC pharmacogenetic algorithm (appendix S1e)"},
        "training": {"description": f"{int(derivation.sum()):,} real IWPC patients (derivation part); "
                                    f"{int(validation.sum()):,} held out (validation part)",
                     "data": "../shared/datasets/iwpc_warfarin/iwpc_warfarin.csv",
                     "n_patients": len(cohort), "n_derivation": int(derivation.sum()),
                     "n_validation": int(validation.sum()),
                     "split": "80/20, seeded, stratified by race x VKORC1 genotype (the release has no site "
                              "column)", "config": asdict(config), "cross_validation_mae_median": dict(cv_scores)},
        "metrics": {"validation": held_out, "derivation": derived,
                    "interval_coverage_90": {"validation": coverage, "derivation": coverage_d},
                    "published": {"iwpc_pharmacogenetic_validation_mae": 8.8, "iwpc_clinical_validation_mae": 10.1,
                                  "fixed_validation_mae": 13.2, "iwpc_pharmacogenetic_derivation_mae": 8.3}},
        "explain": {"baseline": baseline_section(X[derivation], names)},
        "ols_refit": {"intercept": ols[0], "coefficients": dict(zip(names, ols[1].tolist(), strict=True))},
        "limitations": {"text": list(LIMITATIONS)},
        "provenance": {"attribution": ATTRIBUTION, "licence": "CC BY-SA 4.0",
                       "weights_sha256": hashlib.sha256(weights).hexdigest(),
                       **package_versions(("numpy", "torch"))},
    }


def _write_card(path: Path, card: Mapping[str, Any]) -> None:
    path.write_text(dumps_toml(card), encoding="utf-8")
