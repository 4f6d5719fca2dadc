"""Ground truth for the explanations: attributions of held-out simulated patients against the simulator's model.

On a simulated cohort the true model is known (``truth.json``, recomputed by
:func:`~genolens.modeling.outcomes.oracle_logit`), so an explanation can be checked against the
*true contribution* of every input:

- **True contribution** of input *i* to one patient's true logit, relative to the same
  population-average baseline *b* the model is explained against: the exact baseline Shapley value
  of *i* in each term of the true logit, summed over terms. For an additive term ``beta * x_i`` it
  is ``beta * (x_i - b_i)``; for a product ``beta * x_a * x_c`` it is
  ``beta * (x_a - b_a) * (x_c + b_c) / 2`` to ``a`` (and symmetrically to ``c``) — in both cases
  exactly the Integrated Gradients of the true logit along the straight path from *b*. Derived
  genotype features (a capped count of no-function alleles, a DPYD activity deficit) are not
  differentiable in the dosages (IG is undefined on their steps), so for them the Shapley value
  over the feature's own variants is exact: the occlusion difference ``f(x) - f(x with that
  variant at baseline)`` when the feature has one variant, its average over orders when it has
  several. The values add up to ``true_logit(x) - true_logit(b)`` (checked).
- **(a)** per patient, the Pearson correlation between the model's Integrated Gradients and the
  true contributions over the *genetic* inputs; **(b)** the AUROC of the cohort-mean |contribution|
  for telling the truly causal inputs (variants and covariates the truth uses) from the rest, via
  :func:`~genolens.explain.reliability.causal_recovery`; **(c)** the model-randomisation sanity
  check of Adebayo et al. (2018) via :func:`~genolens.explain.reliability.randomisation_check`,
  completed with the ground truth: the explanation of the trained network must match the truth
  (grade A) and that of the network with every layer re-initialised must not (grade C).

:func:`validate_bundle` runs this for one bundle and writes a ``[validation]`` table into its
``card.toml`` and a ``validation`` entry into ``metrics.json``; the weights are not touched, so the
card's ``weights_sha256`` stays valid. ``python -m genolens validate`` calls :func:`validate_bundle`.
The true contributions are computed in :mod:`~genolens.explain.true_contributions`, the per-output
figures (a)-(c) in :mod:`~genolens.explain.truth_metrics`; this module runs them over a bundle.
"""

from __future__ import annotations

import json
import math
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genolens.datamodel import Baseline, Panel
from genolens.errors import GroundTruthError
from genolens.explain.baselines import population_average
from genolens.explain.explanation import context_for
from genolens.explain.true_contributions import TRUTH_DEFINITION
from genolens.explain.truth_metrics import (
    AUROC_TARGET,
    N_RANDOMISATION,
    R_POOR,
    R_TARGET,
    OutcomeValidation,
    validate_outcome,
)
from genolens.modeling.bundle import dumps_toml, json_safe, load_bundle
from genolens.modeling.outcomes import truth_on_panel
from genolens.modeling.train import simulator_truth
from genolens.modeling.train_config import TrainConfig
from genolens.modeling.training_data import impute, known_outcomes_only, load_cohort, split_indices


def held_out_patients(bundle_card: Mapping[str, Any], cohort_dir: Path, panel: Panel, outputs: Sequence[str],
                      covariates: Sequence[str], feature_mean: np.ndarray, *, n_patients: int,
                      seed: int, fresh: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Read the cohort as training did; return (test-part row indices used, inputs (n, n_features)).

    The split is :func:`~genolens.modeling.training_data.split_indices` with the bundle's recorded
    training settings, so only people the network never saw (nor was calibrated on) are used. With
    ``fresh`` the cohort is one simulated with a seed never used in training: anyone may be drawn.
    People none of whose outcomes apply (men, for a women-only model) are left out, as training did.
    """
    training = bundle_card["training"]
    cfg = TrainConfig(**{f.name: training[f.name] for f in fields(TrainConfig) if f.name in training})
    vcf = cohort_dir / Path(str(training.get("vcf", "cohort.GRCh38.vcf.gz"))).name
    pheno = cohort_dir / "phenotypes.csv"
    if not vcf.is_file() or not pheno.is_file():
        raise GroundTruthError(f"Cohort folder {cohort_dir} lacks {vcf.name} or phenotypes.csv; run make models.")
    cohort = known_outcomes_only(load_cohort(vcf, pheno, panel, outcomes=outputs, covariates=covariates,
                                             build=bundle_card["panel"].get("build_of_training_vcf", "auto")))
    if fresh:
        rows = np.sort(np.random.default_rng(seed).choice(len(cohort.samples), size=min(n_patients,
                                                          len(cohort.samples)), replace=False))
        return rows, np.hstack([impute(cohort.genetic[rows], feature_mean), cohort.covariates[rows]])
    expected = sum(int(training[f"n_{k}"]) for k in ("train", "val", "calibration", "test"))
    if len(cohort.samples) != expected:
        raise GroundTruthError(f"The cohort has {len(cohort.samples)} usable people, the bundle was trained on "
                              f"{expected}; the test part cannot be recovered. Validate against the training cohort.")
    test = split_indices(len(cohort.samples), cfg)["test"]
    rows = np.sort(np.random.default_rng(seed).choice(test, size=min(n_patients, len(test)), replace=False))
    x = np.hstack([impute(cohort.genetic[rows], feature_mean), cohort.covariates[rows]])  # (n, n_features)
    return rows, x


def validate_bundle(bundle_path: str | Path, cohort_dir: str | Path, *, n_patients: int = 200, seed: int = 0,
                    write: bool = True, panel_dir: Path | None = None, fresh: bool = False) -> dict[str, Any]:
    """Validate every output of a bundle against the simulated cohort's truth; write the figures into the bundle.

    Parameters
    ----------
    bundle_path : path
        ``models/<name>/<version>/``.
    cohort_dir : path
        The simulated cohort the bundle was trained on (``cohort.GRCh38.vcf.gz``, ``phenotypes.csv``,
        ``truth.json``).
    n_patients : int
        Held-out patients drawn from the test part.
    seed : int
        Seed of the draw, the attributions and the re-initialisation.
    write : bool
        Add ``[validation]`` to ``card.toml`` and ``validation`` to ``metrics.json``.
    fresh : bool
        ``cohort_dir`` was simulated with a seed never used in training: patients are drawn from all of it.
    panel_dir : path, optional
        Where the bundle's panel lives (default ``data/panels``), as for :func:`load_bundle`.

    Returns
    -------
    dict
        The ``[validation]`` table (per output under the output's name) plus ``ld`` details and ``seconds``.

    Raises
    ------
    GroundTruthError
        When the cohort has no truth for the bundle's outputs or the truth's panel hash differs.
    """
    start = time.perf_counter()
    folder, cohort = Path(bundle_path), Path(cohort_dir)
    bundle = load_bundle(folder, panel_dir=panel_dir)
    truth = simulator_truth(cohort / "truth.json")
    absent = [o for o in bundle.outputs if o not in truth]
    if absent:
        raise GroundTruthError(f"{cohort / 'truth.json'} has no truth for {', '.join(absent)} (bundle "
                              f"{bundle.name}); validate against the simulated cohort the bundle was trained on.")
    changed = [o for o in bundle.outputs if not truth_on_panel(truth[o], bundle.panel)]
    if changed:
        raise GroundTruthError(f"The truth of {', '.join(changed)} was simulated on another version of panel "
                              f"{bundle.panel.name}; rerun make models.")
    ctx = context_for(bundle, seed=seed)
    base = population_average(ctx)
    _rows, x = held_out_patients(bundle.card, cohort, bundle.panel, bundle.outputs, bundle.covariates,
                                 bundle.reference.feature_mean, n_patients=n_patients, seed=seed, fresh=fresh)
    raw = json.loads((cohort / "truth.json").read_text(encoding="utf-8")).get("_variants", {})
    windows = {vid: int(v["window"]) for vid, v in raw.items() if isinstance(v, Mapping) and "window" in v}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: one thread is faster than contended intra-op threads
    try:
        results = [validate_outcome(bundle.model, truth[o], x, baseline=base, target=k, context=ctx, output=o,
                                    windows=windows, seed=seed) for k, o in enumerate(bundle.outputs)]
    finally:
        torch.set_num_threads(threads)
    simulation = json.loads((cohort / "truth.json").read_text(encoding="utf-8")).get("_simulation", {})
    table = _table(results, n_patients=len(x), seed=seed, baseline=base, cohort=cohort, fresh=fresh,
                   cohort_seed=simulation.get("seed"))
    if write:
        write_validation(folder, table, details={r.output: {"pearson_r": r.pearson_r.tolist(), "ld": list(r.ld)}
                                                 for r in results})
    return {**table, "seconds": round(time.perf_counter() - start, 1),
            "ld": {r.output: list(r.ld) for r in results}}


def _table(results: Sequence[OutcomeValidation], *, n_patients: int, seed: int, baseline: Baseline,
           cohort: Path, fresh: bool = False, cohort_seed: Any = None) -> dict[str, Any]:
    """The ``[validation]`` table: method and settings, worst figures over outputs, then one sub-table per output."""
    per = {r.output: r.record() for r in results}

    def worst(key: str) -> float:
        vals = [float(v[key]) for v in per.values() if not math.isnan(float(v[key]))]
        return min(vals) if vals else float("nan")

    return {
        "n_patients": n_patients, "seed": seed, "cohort": cohort.name,
        **({"cohort_seed": cohort_seed} if cohort_seed is not None else {}),
        "patients": (f"drawn from a cohort simulated with seed {cohort_seed}, never used in training, selection or "
                     "calibration" if fresh else
                     "drawn from the test part of the bundle's own training split (never trained or calibrated on)"),
        "method": "ig", "method_description": "Integrated Gradients of the calibrated ensemble logit, member by "
                                              "member, completeness-checked (genolens.explain.attribution)",
        "baseline": baseline.kind, "baseline_caption": baseline.caption, "truth": TRUTH_DEFINITION,
        "compared": "per-patient Pearson r over the genetic inputs; causal AUROC over all inputs (variants and "
                    "covariates) ranked by cohort-mean |contribution|; both again per allele (allele_*), where the "
                    "truth counts several variants as one allele and so has no parameter for how its credit "
                    "splits between them (their contributions summed, model and truth alike); targets are "
                    "checked on the per-allele figures",
        "r_target": R_TARGET, "auroc_target": AUROC_TARGET,
        "mean_pearson_r": worst("mean_pearson_r"), "causal_auroc": worst("causal_auroc"),
        "allele_mean_pearson_r": worst("allele_mean_pearson_r"), "allele_causal_auroc": worst("allele_causal_auroc"),
        "randomisation": "pass" if all(v["randomisation"] == "pass" for v in per.values()) else "fail",
        "randomisation_rule": (
            f"pass when the explanation's grade against the truth drops to C (mean r < {R_POOR}) for the network "
            "with every layer re-initialised (randomisation_check's last step, same seed) from A or B for the trained "
            f"one, and the Adebayo rank correlation of |attribution| (mean over {N_RANDOMISATION} held-out patients) "
            "is not graded C (|rho| > 0.6)"),
        "passed": all(v["passed"] for v in per.values()),
        "summary": ("figures above are the lowest over the outputs below" if len(per) > 1 else
                    "figures above are those of the single output below"),
        "causal_auroc_note": "NaN where every input of the model is causal (nothing to rank against)",
        **per,
    }


def write_validation(bundle_path: str | Path, table: Mapping[str, Any],
                     details: Mapping[str, Any] | None = None) -> None:
    """Replace the bundle's ``[validation]`` card table and ``metrics.json`` entry; weights are left alone.

    The card is re-read and re-written with :func:`~genolens.modeling.bundle.dumps_toml`; every other
    table is kept as it was, so ``weights_sha256`` still matches ``weights.pt``.
    """
    folder = Path(bundle_path)
    card = tomllib.loads((folder / "card.toml").read_text(encoding="utf-8"))
    card["validation"] = dict(table)
    (folder / "card.toml").write_text(dumps_toml(card), encoding="utf-8")
    metrics_path = folder / "metrics.json"
    metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.is_file() else {}
    metrics["validation"] = json_safe({**table, **({"details": dict(details)} if details else {})})
    metrics_path.write_text(json.dumps(metrics, indent=1, allow_nan=False), encoding="utf-8")


def _misses(out: Mapping[str, Any]) -> list[str]:
    """Why an output did not pass, in words (empty when it did)."""
    misses = []
    for key, v in out.items():
        if not (isinstance(v, Mapping) and "mean_pearson_r" in v):
            continue
        r, auroc = v.get("allele_mean_pearson_r", v["mean_pearson_r"]), v.get("allele_causal_auroc", v["causal_auroc"])
        if r < R_TARGET:
            misses.append(f"{key}: mean r {r:.3f} < {R_TARGET}")
        if auroc < AUROC_TARGET:  # NaN (nothing to rank) compares False
            misses.append(f"{key}: causal AUROC {auroc:.3f} < {AUROC_TARGET}")
        if v["randomisation"] != "pass":
            misses.append(f"{key}: randomisation check failed")
    return misses


def validation_summary(name: str, out: Mapping[str, Any]) -> str:
    """Bundle ``name``'s validation figures (``out`` from :func:`validate_bundle`) in words, and any missed target."""
    lines = [f"{name}: {out['n_patients']} held-out patients, {out['seconds']} s"]
    for key, v in out.items():
        if isinstance(v, Mapping) and "mean_pearson_r" in v:
            lines.append(f"  {key}: mean r {v['mean_pearson_r']:.3f} (locus {v['locus_mean_pearson_r']:.3f}), "
                         f"causal AUROC {v['causal_auroc']:.3f} (neighbours {v['neighbour_auroc']:.3f}), "
                         f"randomisation {v['randomisation']} (Adebayo rho {v['randomisation_final_spearman']:+.2f} "
                         f"grade {v['randomisation_grade']}; randomised net r {v['randomised_mean_pearson_r']:.2f})")
            if v.get("alleles"):
                lines.append(f"    per allele ({', '.join(v['alleles'])} as one input): mean r "
                             f"{v['allele_mean_pearson_r']:.3f}, causal AUROC {v['allele_causal_auroc']:.3f}")
    lines.extend(f"  NOT PASSED {m}" for m in _misses(out))
    return "\n".join(lines)
