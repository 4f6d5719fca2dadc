"""Export a training run as a bundle: reference distribution, card and metrics of a trained ensemble.

:func:`write_trained_bundle` turns a :class:`~genolens.modeling.train.TrainResult` into a bundle
folder (through :func:`~genolens.modeling.bundle.write_bundle`); :func:`train_bundle` is the whole
path from a cohort VCF and phenotype table to that folder (``python -m genolens train``). The
bundle module knows nothing of training: imports run train -> bundle only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from genolens.datamodel import BuildChoice, Panel
from genolens.genome.panel import load_panel
from genolens.modeling.bundle import (
    ANCESTRY_MIN_COMMON,
    Reference,
    ancestry_loglik,
    ancestry_sites,
    write_bundle,
)
from genolens.modeling.card import covariate_kind
from genolens.modeling.logistic import sigmoid
from genolens.modeling.networks import NetworkKind
from genolens.modeling.outcomes import COVARIATE_UNITS, OUTCOME_WORDS, SIMULATED_HORIZON, truth_on_panel
from genolens.modeling.train import TrainResult, simulator_oracle, simulator_truth, train_cohort
from genolens.modeling.train_config import TrainConfig
from genolens.modeling.training_data import Cohort, known_outcomes_only, load_cohort
from genolens.provenance import RESEARCH_USE

DEFAULT_BANDS = {"below_average": 0.8, "above_average": 1.25, "high": 2.0}
"""Relative-risk thresholds (probability / population mean probability) between the risk bands."""

REFERENCE_POINTS = 2001
"""Quantiles kept of the reference distribution: percentiles to 0.05 points, a few kB per output."""


def reference_quantiles(scores: np.ndarray) -> np.ndarray:
    """Sorted reference scores per row, reduced to ``REFERENCE_POINTS`` evenly spaced quantiles.

    ``scores`` has shape (n_outputs, n_people); a row with fewer people is kept whole (sorted).
    """
    if scores.shape[1] <= REFERENCE_POINTS:
        return np.sort(scores, axis=1)
    return np.asarray(np.quantile(scores, np.linspace(0.0, 1.0, REFERENCE_POINTS), axis=1).T)  # (n_outputs, points)


def write_trained_bundle(out: Path, result: TrainResult, cohort: Cohort, panel: Panel, *,
                         source: Mapping[str, str], units: Mapping[str, str], sexes: tuple[str, ...] = ()) -> Path:
    """Write the bundle of a trained ensemble (name and version from ``out``'s last two parts).

    ``sexes``: the sexes the model is meant for (its cohort's outcomes apply to them only); empty: any.
    """
    people = " and ".join({"female": "women", "male": "men"}.get(s, s) for s in sexes) if sexes else "adults"
    groups = tuple(sorted(set(result.test_ancestry))) if result.test_ancestry is not None else ()
    logits = reference_quantiles(result.test_logits.T)  # (n_outputs, <= REFERENCE_POINTS)
    by_group = {g: reference_quantiles(result.test_logits[result.test_ancestry == g].T) for g in groups}
    means = np.array([np.nanmean(cohort.genetic[cohort.ancestry == g], axis=0) for g in groups]).reshape(
        len(groups), cohort.genetic.shape[1])  # (n_groups, n_genetic), also when there are no groups
    floor = float("nan")
    if groups:
        common = ancestry_sites(means / 2)
        if common.sum() >= ANCESTRY_MIN_COMMON:
            ll = ancestry_loglik(cohort.genetic[:, common], means[:, common] / 2).max(axis=1)
            floor = float(np.nanpercentile(ll, 1))
    reference = Reference(logits, groups, by_group, result.feature_mean, means, floor)
    mean_p = sigmoid(result.test_logits).mean(axis=0)
    cov_mean, cov_sd = cohort.covariates.mean(axis=0), cohort.covariates.std(axis=0)
    card: dict[str, Any] = {
        "bundle": {"name": out.parent.name, "version": out.name, "kind": result.network.kind,
                   "research_use_only": RESEARCH_USE,
                   "intended_use": f"Research estimate of the probability of {_outcomes(cohort.outcome_names)} "
                                   "from the "
                                   f"{panel.title} panel and the patient's clinical details, for {people} like the "
                                   "simulated training cohort (ages 25-85). Not validated for clinical use.",
                   "seed": result.config.seed, **({"sexes": list(sexes)} if sexes else {})},
        "architecture": asdict(result.network),
        "panel": {"name": panel.name, "sha256": panel.sha256, "inputs_sha256": panel.inputs_sha256, "file": "",
                  "build_of_training_vcf": cohort.build},
        "inputs": {"genetic": list(cohort.genetic_names), "covariates": list(cohort.covariate_names),
                   "coverage_threshold": 0.8,
                   "missing_genetic": "imputed with the population mean dosage (reference.npz) and flagged",
                   "missing_clinical": "sex is required (no prediction without it); any other detail not given "
                                       "is set to a stated reference value and named on the card "
                                       "(genolens.modeling.clinical)"},
        "covariates": {c: {"mean": float(m), "sd": float(s),
                           "units": units.get(c, COVARIATE_UNITS.get(c, "as in the training table")),
                           "kind": covariate_kind(cohort.covariates[:, i])}
                       for i, (c, m, s) in enumerate(zip(cohort.covariate_names, cov_mean, cov_sd, strict=True))},
        "outputs": {"names": list(cohort.outcome_names),
                    **{o: {"mean_probability": float(p), "reference_n": int(logits.shape[1]),
                            "horizon": SIMULATED_HORIZON, **OUTCOME_WORDS.get(o, {})}
                       for o, p in zip(cohort.outcome_names, mean_p, strict=True)}},
        "bands": DEFAULT_BANDS,
        "training": {"description": f"{len(cohort.samples):,} people of the training cohort "
                                    f"({Path(source.get('vcf', '?')).name}); ancestries: "
                                    f"{', '.join(groups) or 'not given'}",
                     **{k: v for k, v in source.items()}, **{f"n_{k}": v for k, v in result.sizes.items()},
                     **asdict(result.config), "selected_genetic_inputs": dict(result.selected)},
        "calibration": {"method": "Platt scaling of the ensemble-mean logit on the calibration part",
                        "slope": result.ensemble.cal_slope.tolist(), "bias": result.ensemble.cal_bias.tolist()},
        "metrics": {o: {f"{model}_{k}": v for model, table in result.metrics[o].items()
                        for k, v in table["all"].items() if k not in ("n", "cases")}
                    for o in cohort.outcome_names},
        "limitations": {"text": [
            "Trained on the cohort described under [training]; performance elsewhere is unknown.",
            "Interval is the spread of ensemble members (model uncertainty), not a confidence interval "
            "for the person's absolute risk.",
            "Inputs outside the training distribution (low coverage, unusual ancestry) are flagged, not corrected.",
        ]},
    }
    return write_bundle(out, result.ensemble, card, reference, {**result.metrics, "curves": result.curves})


def train_bundle(vcf: str | os.PathLike[str], phenotypes: str | os.PathLike[str], panel: str,
                 out: str | os.PathLike[str], *, outcomes: Sequence[str] | None = None,
                 covariates: Sequence[str] | None = None, seed: int = 0, members: int = 5,
                 kind: NetworkKind = "risk", build: BuildChoice = "auto", units: Mapping[str, str] | None = None,
                 panel_dir: Path | None = None, config: TrainConfig | None = None, select: bool = True) -> Path:
    """Train a bundle from a cohort and write it to ``out`` (``models/<name>/<version>/``).

    When ``truth.json`` (a simulated cohort) sits beside the phenotype table, the default outcomes
    are those whose truth names this panel, the default covariates those their true models use,
    and the oracle (true model) is evaluated beside the network and the linear PRS. ``config``,
    when given, overrides ``seed``, ``members`` and ``select``. Returns the bundle folder.
    """
    chosen = load_panel(panel, directory=panel_dir)
    truth = simulator_truth(Path(phenotypes).with_name("truth.json"))
    mine = {k: v for k, v in truth.items() if v.get("panel") == chosen.name}
    if outcomes is None and mine:
        outcomes = sorted(mine)
    if covariates is None and mine:
        covariates = sorted({c for k in outcomes or () if k in mine for c in mine[k]["covariates"]})
    cohort = known_outcomes_only(load_cohort(vcf, phenotypes, chosen, outcomes=outcomes, covariates=covariates,
                                             build=build))
    cfg = config or TrainConfig(members=members, seed=seed, select=select)
    known = all(o in mine and truth_on_panel(mine[o], chosen)
                and set(mine[o]["covariates"]) <= set(cohort.covariate_names) for o in cohort.outcome_names)
    result = train_cohort(cohort, cfg, kind=kind, oracle=simulator_oracle(mine) if mine and known else None)
    sexes = sorted({_SEX_WORDS[float(mine[o]["population"]["cov_sex"])] for o in cohort.outcome_names
                    if o in mine and "cov_sex" in mine[o].get("population", {})})
    return write_trained_bundle(Path(out), result, cohort, chosen, source={"vcf": str(vcf),
                                "phenotypes": str(phenotypes)}, units=units or {}, sexes=tuple(sexes))


_SEX_WORDS = {0.0: "female", 1.0: "male"}
"""``cov_sex`` coding of the simulated cohorts (1 = male)."""



def _outcomes(names: Sequence[str]) -> str:
    """The outcomes in words, for the card's intended use."""
    return "; ".join(OUTCOME_WORDS.get(n, {}).get("outcome", n.removeprefix("y_").replace("_", " ")) for n in names)
