"""One prediction explained end to end: attribution, ledger, reliability and the missing-data band.

This is the explanation layer's front door for the CLI and the dashboard: it adapts a model
bundle to :mod:`genolens.explain.attribution` and friends. :func:`explain_all` explains every
output of a bundle at once, sharing the prediction, the forward passes of attribution and
reliability, and the sensitivity band; :func:`explain` is the single-output view of it (same
numbers).

Threads: the models are small, so PyTorch's intra-op threads only add waiting on a shared or busy
machine (measured on 2 cores: median 6.8-12.8 s with 2 threads vs well under 1 s with one). Call
:func:`use_one_thread` once at start-up in any process that explains (CLI, dashboard).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import torch

from genolens.datamodel import (
    Attribution,
    Baseline,
    ExplainContext,
    Ledger,
    LedgerLevel,
    OutputPrediction,
    PatientGenome,
    Prediction,
    Reliability,
)
from genolens.errors import ExplainError
from genolens.explain.attribution import attribute_outputs
from genolens.explain.attribution_methods import Method
from genolens.explain.baselines import (
    all_reference,
    ancestry_average,
    population_average,
    reference_distribution,
    relative,
)
from genolens.explain.reliability import deletion_curves, grade
from genolens.explain.rollup import input_origins, ledger
from genolens.modeling.bundle import Bundle
from genolens.modeling.predict import features_for, predict
from genolens.provenance import RESEARCH_USE_LINE

BaselineChoice = Literal["population", "reference", "ancestry", "distribution", "relative"]
BASELINE_CHOICES: tuple[BaselineChoice, ...] = get_args(BaselineChoice)
_SHAP = ("gradient_shap", "deeplift_shap")
_EXACT_MAX_MISSING = 6  # 3**6 = 729 genotype combinations: enumerate; above, sample
_BAND_SAMPLES = 512


@dataclass(frozen=True)
class Explanation:
    """One output of one bundle for one patient, explained."""

    bundle: str
    """Bundle name."""
    prediction: Prediction
    """The bundle's prediction (every output) for the patient."""
    output: OutputPrediction
    """The explained output."""
    attribution: Attribution
    """Per-input contributions on the logit scale."""
    ledger: Ledger
    """Rows that add up to prediction minus baseline."""
    reliability: Reliability
    """Grade A/B/C with its reasons."""
    sensitivity_band: tuple[float, float]
    """Lowest and highest probability over plausible genotypes at the missing sites; (p, p) when none."""
    sensitivity_note: str
    """How the band was computed (exact enumeration or sampling, how many sites)."""



def context_for(bundle: Bundle, *, n_reference: int = 256, seed: int = 0) -> ExplainContext:
    """Describe a bundle's inputs for the explanation layer.

    The bundle stores population means but no reference people, so the reference cohort for the
    distribution baseline is drawn here: genotypes under Hardy-Weinberg from the mean dosages,
    covariates normal with the card's mean and SD (said in the baseline's caption).
    """
    ref = bundle.reference
    n_gen = len(ref.feature_mean)
    rng = np.random.default_rng(seed)
    freq = np.clip(ref.feature_mean / 2.0, 0.0, 1.0)
    genotypes = rng.binomial(2, freq, size=(n_reference, n_gen)).astype(np.float64)  # (n_ref, n_genetic)
    sds = np.array([c.sd for c in bundle.info.covariates])
    covs = rng.normal(bundle.covariate_mean, sds, size=(n_reference, len(sds)))  # (n_ref, n_covariates)
    labels = {c.name: c.label for c in bundle.info.covariates}
    units = {c.name: c.units for c in bundle.info.covariates}
    return ExplainContext(
        feature_names=(*(v.id for v in bundle.panel.variants), *bundle.covariates), n_genetic=n_gen,
        output_names=bundle.outputs, panel=bundle.panel,
        population_mean=np.concatenate([ref.feature_mean, bundle.covariate_mean]),
        ancestry_means=dict(zip(ref.ancestries, ref.feature_mean_by_ancestry, strict=True)),
        reference_sample=np.concatenate([genotypes, covs], axis=1), covariate_labels=labels,
        covariate_units=units, reads=bundle.reads)


def make_baseline(context: ExplainContext, choice: BaselineChoice, *, patient: PatientGenome,
                  ancestry: str | None = None, relative_values: np.ndarray | None = None,
                  relative_name: str = "a relative", seed: int = 0) -> Baseline:
    """Build the baseline the user chose (see :data:`BASELINE_CHOICES`)."""
    if choice == "population":
        return population_average(context)
    if choice == "reference":
        return all_reference(context, build=patient.build.build)
    if choice == "ancestry":
        if not ancestry:
            raise ExplainError(f"The ancestry-matched baseline needs an ancestry; choose from: "
                               f"{', '.join(context.ancestry_means) or 'none (the model has no ancestry data)'}.")
        return ancestry_average(context, ancestry)
    if choice == "distribution":
        return reference_distribution(context, n=64, seed=seed)
    if choice == "relative":
        if relative_values is None:
            raise ExplainError("The relative's-genotype baseline needs another sample from the same VCF.")
        return relative(context, relative_values, who=relative_name)
    raise ExplainError(f"Baseline '{choice}' unknown. Choose from: {', '.join(BASELINE_CHOICES)}.")


def use_one_thread() -> None:
    """Run PyTorch with one intra-op thread in this process (call once at CLI/dashboard start-up).

    ``torch.set_num_threads`` is process-wide, so it is not changed inside :func:`explain`; the
    explanation's batches are small enough that a second thread never pays for its start-up and, on
    a loaded machine, makes every operation wait for a free core.
    """
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def explain(bundle: Bundle, patient: PatientGenome, *, output: str | None = None, method: Method = "ig",
            baseline: BaselineChoice = "population", clinical: Mapping[str, float] | None = None,
            ancestry: str | None = None, relative_values: np.ndarray | None = None, level: LedgerLevel = "gene",
            reliability: bool = True, seed: int = 0) -> Explanation:
    """Explain one output of ``bundle`` for ``patient``.

    Parameters
    ----------
    bundle, patient
        The model and the patient read against the bundle's panel.
    output
        Output name; the first output when ``None``.
    method
        Attribution method (Integrated Gradients by default).
    baseline
        Comparison point: population average, all-reference genotype, ancestry-matched average,
        reference-cohort distribution (for the *Shap methods) or a relative's genotype.
    clinical
        Clinical inputs by card name; others default to the population mean (flagged).
    ancestry, relative_values
        For the ``ancestry`` and ``relative`` baselines (relative: the other sample's dosages on the
        bundle's panel, NaN where missing).
    level
        Granularity of the ledger's genetic rows.
    reliability
        Also compare methods, members and the deletion curve, and grade the explanation.
    seed
        Seed of every random draw (distribution baseline, sampled methods, band sampling).
    """
    name = bundle.outputs[output_index(bundle, output)]
    return explain_all(bundle, patient, outputs=[name], method=method, baseline=baseline, clinical=clinical,
                       ancestry=ancestry, relative_values=relative_values, level=level, reliability=reliability,
                       seed=seed)[name]


def explain_all(bundle: Bundle, patient: PatientGenome, *, outputs: Sequence[str] | None = None,
                method: Method = "ig", baseline: BaselineChoice = "population",
                clinical: Mapping[str, float] | None = None, ancestry: str | None = None,
                relative_values: np.ndarray | None = None, level: LedgerLevel = "gene", reliability: bool = True,
                seed: int = 0) -> dict[str, Explanation]:
    """Explain several (by default all) outputs of ``bundle`` for ``patient`` in one go.

    The parameters are :func:`explain`'s, with ``outputs`` (names, with or without ``y_``) in place
    of ``output``. Each explanation equals what :func:`explain` gives for that output alone; the
    prediction, the baseline, the attribution and reliability forward passes and the sensitivity
    band are computed once for all of them.

    Returns
    -------
    dict
        Full output name (as in ``bundle.outputs``) -> :class:`Explanation`, in the bundle's order.
    """
    every = range(len(bundle.outputs))
    wanted = sorted({output_index(bundle, o) for o in outputs}) if outputs is not None else list(every)
    features = features_for(patient, bundle)
    pred = predict(bundle, features, clinical, ancestry=patient.ancestry)
    ctx = context_for(bundle, seed=seed)
    if baseline == "relative" and relative_values is not None:
        relative_values = np.concatenate([np.where(np.isnan(relative_values), bundle.reference.feature_mean,
                                                   relative_values), pred.inputs[ctx.n_genetic:]])
    if method in _SHAP and baseline == "population":
        baseline = "distribution"
    base = make_baseline(ctx, baseline, patient=patient, ancestry=ancestry, relative_values=relative_values,
                         seed=seed)
    x = pred.inputs.astype(np.float64)
    attrs = attribute_outputs(bundle.model, x, method=method, baseline=base, targets=wanted, seed=seed,
                              context=ctx)
    origins = input_origins(features.origin, bundle.covariates, pred.defaulted)
    graded = (_reliability(bundle, attrs, x, base, wanted, ctx, seed) if reliability
              else [grade(a) for a in attrs])
    bands = sensitivity_bands(bundle, x, np.isnan(features.values), wanted, seed=seed)
    return {bundle.outputs[k]: Explanation(bundle.name, pred, pred.outputs[k], a,
                                           ledger(a, ctx, origins=origins, level=level), g, (lo, hi), note)
            for k, a, g, (lo, hi, note) in zip(wanted, attrs, graded, bands, strict=True)}


def output_index(bundle: Bundle, output: str | None) -> int:
    """Index of ``output`` (with or without ``y_``) in ``bundle.outputs``; the first output for ``None``.

    Raises
    ------
    ExplainError
        When the bundle has no such output (the message lists those it has).
    """
    if output is None:
        return 0
    for k, name in enumerate(bundle.outputs):
        if output in (name, name.removeprefix("y_")):
            return k
    raise ExplainError(f"Output '{output}' unknown for bundle {bundle.name}. Choose from: "
                       f"{', '.join(bundle.outputs)}.")


def _reliability(bundle: Bundle, attrs: Sequence[Attribution], x: np.ndarray, base: Baseline,
                 targets: Sequence[int], ctx: ExplainContext, seed: int) -> list[Reliability]:
    """Grade each output's attribution (all outputs' checks share their forward passes)."""
    method = attrs[0].method
    others: list[list[Attribution]] = []
    if method != "ig":
        others.append(attribute_outputs(bundle.model, x, method="ig", baseline=base, targets=targets, context=ctx))
    if method != "feature_ablation":
        others.append(attribute_outputs(bundle.model, x, method="feature_ablation", baseline=base, targets=targets,
                                        context=ctx))
    if method not in _SHAP:
        dist = reference_distribution(ctx, n=32, seed=seed)
        others.append(attribute_outputs(bundle.model, x, method="gradient_shap", baseline=dist, targets=targets,
                                        context=ctx, seed=seed, n_steps=32))
    deletions = deletion_curves(bundle.model, attrs, n_random=20, seed=seed)
    randomisation = None  # computed once per bundle by the validation script, not per patient
    return [grade(a, others=[o[i] for o in others], deletion=d, randomisation=randomisation)
            for i, (a, d) in enumerate(zip(attrs, deletions, strict=True))]


def sensitivity_band(bundle: Bundle, x: np.ndarray, missing: np.ndarray, target: int, *,
                     seed: int = 0) -> tuple[float, float, str]:
    """Range of the predicted probability over plausible genotypes at the missing genetic inputs.

    Only missing inputs the network reads count (:attr:`Bundle.reads`). With at most six such sites every
    combination of 0/1/2 effect alleles is evaluated; with more,
    512 genotype sets are drawn under Hardy-Weinberg from the population allele frequencies and the
    2.5th-97.5th percentile range is reported.

    Returns
    -------
    tuple
        (low, high, how it was computed in words).
    """
    return sensitivity_bands(bundle, x, missing, [target], seed=seed)[0]


def sensitivity_bands(bundle: Bundle, x: np.ndarray, missing: np.ndarray, targets: Sequence[int], *,
                      seed: int = 0) -> list[tuple[float, float, str]]:
    """:func:`sensitivity_band` for several outputs from one forward pass (same genotype sets for all)."""
    reads = bundle.reads  # (n_genetic,), like missing
    idx = np.flatnonzero(missing & reads)  # a site the network gives weight zero cannot move the prediction
    if len(idx) == 0:
        batch = x[None, :]
        how = "no genetic input the model reads is missing"
    elif len(idx) <= _EXACT_MAX_MISSING:
        combos = np.array(list(itertools.product((0.0, 1.0, 2.0), repeat=len(idx))))  # (3**k, k)
        how = f"exact: all {len(combos)} genotype combinations at the {len(idx)} missing site(s) the model reads"
    else:
        freq = np.clip(bundle.reference.feature_mean[idx] / 2.0, 0.0, 1.0)
        combos = np.random.default_rng(seed).binomial(2, freq, size=(_BAND_SAMPLES, len(idx))).astype(np.float64)
        how = (f"sampled: {_BAND_SAMPLES} genotype sets at the {len(idx)} missing sites the model reads, from "
               "population allele frequencies (2.5th-97.5th percentile)")
    unread = int((missing & ~reads).sum())
    if unread:
        how += f"; {unread} other missing site(s) have weight zero in this model"
    if len(idx):
        batch = np.repeat(x[None, :], len(combos) + 1, axis=0)  # row 0: the patient as imputed
        batch[1:, idx] = combos
    with torch.inference_mode():
        probs = torch.sigmoid(bundle.model(torch.as_tensor(batch, dtype=torch.float32))).double().numpy()
    bands = []
    for t in targets:
        p0, p = float(probs[0, t]), probs[1:, t]
        if len(idx) == 0:
            bands.append((p0, p0, how))
            continue
        if len(idx) <= _EXACT_MAX_MISSING:
            lo, hi = float(p.min()), float(p.max())
        else:
            lo, hi = (float(v) for v in np.percentile(p, [2.5, 97.5]))
        bands.append((min(lo, p0), max(hi, p0), how))
    return bands


def explanation_json(e: Explanation) -> dict[str, Any]:
    """The CLI's ``explain --json`` record."""
    a = e.attribution
    return {
        "prediction": {"bundle": e.bundle, "output": e.output.output, "probability": e.output.probability,
                       "interval": list(e.output.interval), "percentile": e.output.percentile,
                       "band": e.output.band,
                       "flags": [{"code": f.code, "message": f.message} for f in e.output.flags]},
        "attribution": {"method": a.method, "baseline": a.baseline.kind, "baseline_caption": a.baseline.caption,
                        "features": list(a.names), "values": [float(v) for v in a.values],
                        "spread": [float(v) for v in a.spread], "completeness_residual": a.residual,
                        "completeness": a.completeness, "parameters": dict(a.parameters)},
        "ledger": [{"label": r.label, "section": r.section, "level": r.level, "contribution": r.contribution,
                    "spread": r.spread, "evidence": r.evidence, "note": r.note, "origins": list(r.origins)}
                   for r in e.ledger.rows],
        "reliability": {"grade": e.reliability.grade, "reasons": list(e.reliability.reasons)},
        "sensitivity_band": [e.sensitivity_band[0], e.sensitivity_band[1]],
        "sensitivity_note": e.sensitivity_note,
        "research_use_only": RESEARCH_USE_LINE,
    }
