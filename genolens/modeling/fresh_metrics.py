"""A bundle's figures on a fresh simulated cohort: a seed never used in training, selection or calibration.

For each output, on everyone the output applies to (women only for breast cancer):

* **Discrimination beside the truth:** AUROC of the calibrated network and of the oracle (the
  simulation's own true logit, :func:`~genolens.modeling.outcomes.oracle_logit`); the target is a
  gap of at most :data:`AUROC_GAP`.
* **Calibration:** slope and intercept of the logistic recalibration of the outcome on the network's
  logit (target slope within :data:`SLOPE_RANGE`), expected calibration error (target at most
  :data:`ECE_TARGET`), and mean predicted against observed.
* **Breast cancer's 10-year absolute risk** (the engine the cards use: iCARE's method, the bundle's
  shipped reference and baseline hazard) against the simulated diagnoses in the 10 years after each
  woman's age, as expected/observed (target within :data:`EO_RANGE`), for women aged 25-74 (the shipped
  mortality table ends at 84).

:func:`write_fresh_validation` writes the figures, with the cohort's seed, into the card's
``[fresh_validation]`` table and ``metrics.json``; ``python -m genolens validate --fresh`` runs both.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from genolens.errors import GroundTruthError
from genolens.modeling.absolute_reference import BREAST_OUTPUT, breast_engine, log_rr
from genolens.modeling.absolute_risk import absolute_risk
from genolens.modeling.architecture import member_logits
from genolens.modeling.bundle import Bundle, dumps_toml, json_safe
from genolens.modeling.evaluate import auroc, calibration, ece
from genolens.modeling.logistic import sigmoid
from genolens.modeling.outcomes import oracle_logit, truth_on_panel
from genolens.modeling.train import simulator_truth
from genolens.modeling.training_data import impute, known_outcomes_only, load_cohort

AUROC_GAP = 0.005
SLOPE_RANGE = (0.95, 1.05)
ECE_TARGET = 0.005
EO_RANGE = (0.95, 1.05)
_BATCH = 50_000


def _logits(bundle: Bundle, x: np.ndarray) -> np.ndarray:
    """Calibrated ensemble-mean logits, float64 (n, n_outputs), in batches."""
    parts = [member_logits(bundle.weights, bundle.network, x[i:i + _BATCH]).astype(np.float64).mean(axis=0)
             for i in range(0, len(x), _BATCH)]
    return np.concatenate(parts, axis=0)


def fresh_metrics(bundle: Bundle, cohort_dir: str | Path) -> dict[str, Any]:
    """Every output's figures on the fresh cohort in ``cohort_dir`` (``truth.json``, ``phenotypes.csv``, VCF).

    Raises
    ------
    GroundTruthError
        When the cohort has no truth for an output or was simulated on another panel version.
    """
    folder = Path(cohort_dir)
    truth = simulator_truth(folder / "truth.json")
    missing = [o for o in bundle.outputs if o not in truth or not truth_on_panel(truth[o], bundle.panel)]
    if missing:
        raise GroundTruthError(f"{folder / 'truth.json'} has no truth on this panel version for "
                               f"{', '.join(missing)}; simulate the fresh cohort with the current code.")
    simulation = json.loads((folder / "truth.json").read_text(encoding="utf-8")).get("_simulation", {})
    vcf = folder / Path(str(bundle.card["training"].get("vcf", "cohort.GRCh38.vcf.gz"))).name  # as training read
    cohort = known_outcomes_only(load_cohort(vcf, folder / "phenotypes.csv", bundle.panel, outcomes=bundle.outputs,
                                             covariates=bundle.covariates,
                                             build=bundle.card["panel"].get("build_of_training_vcf", "auto")))
    x = np.hstack([impute(cohort.genetic, bundle.reference.feature_mean), cohort.covariates]).astype(np.float32)
    z = _logits(bundle, x)
    cov = {c: cohort.covariates[:, i] for i, c in enumerate(cohort.covariate_names)}
    out: dict[str, Any] = {"cohort": folder.name, "cohort_seed": simulation.get("seed"),
                           "people": len(cohort.samples),
                           "rule": f"AUROC within {AUROC_GAP} of the oracle, calibration slope {SLOPE_RANGE[0]}-"
                                   f"{SLOPE_RANGE[1]}, ECE <= {ECE_TARGET}; breast 10-year E/O {EO_RANGE[0]}-"
                                   f"{EO_RANGE[1]}"}
    for k, name in enumerate(bundle.outputs):
        y = cohort.outcomes[:, k]
        known = ~np.isnan(y)
        p = sigmoid(z[known, k])
        oracle = oracle_logit(truth[name], np.nan_to_num(cohort.genetic[known]), {c: v[known] for c, v in cov.items()})
        slope, intercept = calibration(y[known], p)
        row: dict[str, Any] = {
            "n": int(known.sum()), "cases": int(y[known].sum()),
            "network_auroc": round(auroc(y[known], p), 4), "oracle_auroc": round(auroc(y[known], oracle), 4),
            "calibration_slope": round(slope, 4), "calibration_intercept": round(intercept, 4),
            "ece": round(ece(y[known], p), 5), "mean_predicted": round(float(p.mean()), 5),
            "observed": round(float(y[known].mean()), 5)}
        row["passed"] = bool(row["oracle_auroc"] - row["network_auroc"] <= AUROC_GAP
                             and SLOPE_RANGE[0] <= slope <= SLOPE_RANGE[1] and row["ece"] <= ECE_TARGET)
        if name == BREAST_OUTPUT and (engine := breast_engine(bundle)) is not None and "cov_age" in cov:
            age = np.floor(cov["cov_age"][known]).astype(np.int64)
            young = age <= 74
            lp = log_rr(bundle, x[known][young])
            risk = absolute_risk(lp, age[young], age[young] + 10, hazard0=engine.hazard0,
                                 incidence=engine.incidence, mortality=engine.mortality)  # (women,)
            expected = float(risk.sum())
            observed = int(y[known][young].sum())
            row["absolute_10y"] = {"women": int(young.sum()), "expected": round(expected, 1), "observed": observed,
                                   "e_over_o": round(expected / observed, 4) if observed else float("nan")}
            if cohort.ancestry is not None:  # the simulated incidence is anchored to SEER in European women
                group = cohort.ancestry[known][young]
                for g in sorted(set(group)):
                    e, o = float(risk[group == g].sum()), int(y[known][young][group == g].sum())
                    row["absolute_10y"][g] = {"women": int((group == g).sum()), "expected": round(e, 1),
                                              "observed": o, "e_over_o": round(e / o, 4) if o else float("nan")}
            row["passed"] = bool(row["passed"] and observed and EO_RANGE[0] <= expected / observed <= EO_RANGE[1])
        out[name] = row
    out["passed"] = all(out[o]["passed"] for o in bundle.outputs)
    return out


def write_fresh_validation(bundle: Bundle, table: dict[str, Any]) -> None:
    """Replace the card's ``[fresh_validation]`` table and the ``metrics.json`` entry; the weights are untouched."""
    card = tomllib.loads((bundle.path / "card.toml").read_text(encoding="utf-8"))
    card["fresh_validation"] = table
    (bundle.path / "card.toml").write_text(dumps_toml(card), encoding="utf-8")
    metrics_path = bundle.path / "metrics.json"
    metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.is_file() else {}
    metrics["fresh_validation"] = json_safe(table)
    metrics_path.write_text(json.dumps(metrics, indent=1, allow_nan=False), encoding="utf-8")


def fresh_summary(name: str, table: dict[str, Any], outputs: tuple[str, ...]) -> str:
    """The fresh-cohort figures of one bundle in words."""
    lines = [f"{name}: fresh cohort {table['cohort']} (seed {table['cohort_seed']}), {table['people']:,} people"]
    for o in outputs:
        r = table[o]
        line = (f"  {o}: AUROC {r['network_auroc']:.4f} (oracle {r['oracle_auroc']:.4f}), slope "
                f"{r['calibration_slope']:.3f}, ECE {r['ece']:.4f}, mean p {r['mean_predicted']:.4f} vs "
                f"{r['observed']:.4f}")
        if "absolute_10y" in r:
            a = r["absolute_10y"]
            line += f"; 10-year E/O {a['e_over_o']:.3f} ({a['expected']} / {a['observed']})"
        lines.append(line + ("" if r["passed"] else "  NOT PASSED"))
    return "\n".join(lines)
