"""Predictions for one patient from loaded bundles: probability, interval, percentile, band, flags.

The ensemble's forward pass runs in numpy on the bundle's weights
(:func:`genolens.modeling.architecture.member_logits`, within 1e-6 of torch's), so predicting never imports
torch; the bundle is never mutated, so one cached bundle can serve many sessions. Missing genetic inputs are imputed
with the population mean dosage and flagged; clinical inputs not given are set to the population
mean and flagged as defaulted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from genolens.datamodel import (
    AncestryEstimate,
    Features,
    Flag,
    OutputPrediction,
    PatientGenome,
    Prediction,
    RiskBand,
)
from genolens.datamodel.clinical import PatientDetails
from genolens.errors import BundleError
from genolens.modeling.architecture import member_logits
from genolens.modeling.bundle import (
    ANCESTRY_MIN_COMMON,
    ANCESTRY_MIN_SHARE,
    Bundle,
    ancestry_loglik,
    ancestry_sites,
)
from genolens.modeling.clinical import ModelInputs, model_inputs
from genolens.modeling.logistic import sigmoid
from genolens.provenance import RESEARCH_USE_LINE

OUT_OF_RANGE_SD = 4.0
"""A clinical value further than this many training SDs from the training mean is flagged."""


@dataclass(frozen=True)
class PredictOptions:
    """How intervals are summarised."""

    interval: tuple[float, float] = (5.0, 95.0)
    """Percentiles of the calibrated member probabilities that bound the ensemble interval."""


def features_for(patient: PatientGenome, bundle: Bundle) -> Features:
    """Return the patient's features on the bundle's panel.

    Raises
    ------
    BundleError
        When the patient was not read against the bundle's panel, or its inputs differ.
    """
    for r in patient.panels:
        if r.panel == bundle.panel.name:
            if r.features.names != tuple(v.id for v in bundle.panel.variants):
                raise BundleError(f"The patient's {r.panel} features do not match bundle {bundle.name}'s panel "
                                  "inputs; re-read the patient with the bundle's panel.")
            return r.features
    read = ", ".join(r.panel for r in patient.panels) or "none"
    raise BundleError(f"The patient was not read against panel {bundle.panel.name} (read: {read}); pass the "
                      f"bundle's panel to read_patient(panels=...).")


def predict(bundle: Bundle, features: Features, clinical: Mapping[str, float] | None = None, *,
            options: PredictOptions | None = None, ancestry: AncestryEstimate | None = None) -> Prediction:
    """Predict every output of one bundle for one patient.

    Parameters
    ----------
    bundle
        A loaded bundle.
    features
        The patient's features on the bundle's panel: values shape (n_genetic,), NaN where missing.
    clinical
        Covariate values by card name (units as in the card); absent ones take the population mean.
    options
        Interval percentiles.
    ancestry
        The patient's ancestry from the 1000 Genomes markers (``PatientGenome.ancestry``): when estimated, it
        decides the ancestry flag; otherwise the bundle's own simulated per-ancestry frequencies are used.

    Raises
    ------
    BundleError
        When ``features`` has the wrong number of inputs, or a clinical value is not finite.
    """
    opts = options or PredictOptions()
    given = dict(clinical or {})
    assumed = dict(clinical.assumed_inputs) if isinstance(clinical, ModelInputs) else {}
    ref = bundle.reference
    values = np.asarray(features.values, dtype=np.float64)
    if values.shape != ref.feature_mean.shape:
        raise BundleError(f"Bundle {bundle.name} expects {ref.feature_mean.shape[0]} genetic inputs, "
                          f"got {values.shape[0]}.")
    missing = np.isnan(values)
    genetic = np.where(missing, ref.feature_mean, values)
    cov = bundle.covariate_mean.copy()
    defaulted: list[str] = []
    out_of_range: dict[str, float] = {}
    for i, c in enumerate(bundle.covariates):
        if c in assumed:
            cov[i] = float(given[c])
            defaulted.append(c)
        elif c in given and given[c] is not None:
            if not np.isfinite(given[c]):
                raise BundleError(f"Clinical input {c}={given[c]!r} is not a finite number.")
            cov[i] = float(given[c])
            sd = bundle.info.covariate(c).sd
            if sd > 0 and abs(cov[i] - bundle.covariate_mean[i]) > OUT_OF_RANGE_SD * sd:
                out_of_range[c] = (cov[i] - bundle.covariate_mean[i]) / sd
        else:
            defaulted.append(c)
    x = np.concatenate([genetic, cov]).astype(np.float32)  # (n_genetic + n_covariates,)
    logits = member_logits(bundle.weights, bundle.network, x[None, :])[:, 0, :]  # (members, n_outputs)
    logits = logits.astype(np.float64)
    reads = bundle.reads  # (n_genetic,), like missing (predict checked the length above)
    coverage = float(1.0 - missing[reads].mean()) if reads.any() else 1.0  # over the inputs the network reads
    imputed = tuple(n for n, m in zip(features.names, missing, strict=True) if m)
    imputed_read = tuple(n for n, m, r in zip(features.names, missing, reads, strict=True) if m and r)
    shared = _flags(bundle, values, coverage, imputed, imputed_read, defaulted, out_of_range, int(reads.sum()),
                    assumed, ancestry)
    matched = ancestry.group if ancestry is not None and ancestry.status == "assigned" else None
    outputs = tuple(_output(bundle, k, logits[:, k], shared, opts, matched) for k in range(len(bundle.outputs)))
    return Prediction(bundle=bundle.name, version=bundle.version, outputs=outputs, inputs=x,
                      input_names=(*features.names, *bundle.covariates), imputed=imputed, defaulted=tuple(defaulted),
                      coverage=coverage)


def _percentile(ref: np.ndarray, z: float) -> float:
    """Mid-rank percentile 0..100 of ``z`` in the sorted scores ``ref``."""
    below, at_or_below = np.searchsorted(ref, z, side="left"), np.searchsorted(ref, z, side="right")
    return float(100.0 * (below + at_or_below) / 2.0 / len(ref))


def _output(bundle: Bundle, k: int, logits: np.ndarray, shared: list[Flag], opts: PredictOptions,
            group: str | None = None) -> OutputPrediction:
    """One output from its calibrated member logits (shape (members,)); ``group``: the patient's assigned ancestry."""
    z = float(logits.mean())
    p = sigmoid(z)
    probs = sigmoid(logits)
    lo, hi = np.percentile(probs, opts.interval)
    ref = bundle.reference.logits[k]
    percentile = _percentile(ref, z)
    by_group = bundle.reference.logits_by_ancestry
    matched = (group, _percentile(by_group[group][k], z)) if group is not None and group in by_group else None
    rr = p / float(bundle.mean_probability[k])
    flags = list(shared)
    if len(logits) == 1:
        flags.append(Flag("no_ensemble", "Single-member model: the interval shows no model uncertainty."))
    if z < ref[0] or z > ref[-1]:
        flags.append(Flag("score_out_of_range", f"The score lies outside every score of the {len(ref)} "
                                                "reference people; the percentile is at its limit."))
    return OutputPrediction(output=bundle.outputs[k], logit=z, probability=p,
                            interval=(min(float(lo), p), max(float(hi), p)), percentile=percentile,
                            relative_risk=rr, band=band(rr, bundle.bands), flags=tuple(flags),
                            ancestry_percentile=matched)



def band(relative_risk: float, thresholds: Mapping[str, float]) -> RiskBand:
    """Risk band of a relative risk under the card's thresholds (below average < average < above < high)."""
    if relative_risk >= thresholds["high"]:
        return "high"
    if relative_risk >= thresholds["above_average"]:
        return "above average"
    if relative_risk < thresholds["below_average"]:
        return "below average"
    return "average"


def _flags(bundle: Bundle, values: np.ndarray, coverage: float, imputed: tuple[str, ...],
           imputed_read: tuple[str, ...], defaulted: list[str], out_of_range: Mapping[str, float],
           n_read: int, assumed: Mapping[str, str], ancestry: AncestryEstimate | None = None) -> list[Flag]:
    flags = []
    n = len(values)
    what = f"the {n} genetic inputs" if n_read == n else f"the {n_read} variants the model reads (of {n})"
    if coverage < bundle.coverage_threshold:
        flags.append(Flag("low_coverage", f"Only {coverage:.0%} of {what} were observed (the card "
                                          f"requires {bundle.coverage_threshold:.0%}); treat this prediction as "
                                          "unreliable."))
    if imputed:
        used, unread = imputed_read, len(imputed) - len(imputed_read)
        shown = ", ".join(used[:5]) + (f" and {len(used) - 5} more" if len(used) > 5 else "")
        text = (f"{len(used)} of {what} were missing and set to the population mean dosage: {shown}." if used
                else "No variant the model reads was missing.")
        if unread:
            text += f" {unread} missing variants have weight zero in this model and do not change it."
        flags.append(Flag("imputed_genetic", text))
    if assumed:
        text = "; ".join(assumed[c] for c in defaulted)
        flags.append(Flag("assumed_clinical", text[:1].upper() + text[1:] + "."))
    elif defaulted:
        means = ", ".join(f"{bundle.info.covariate(c).label} = {bundle.info.covariate(c).mean:.4g} "
                          f"({bundle.info.covariate(c).units})" for c in defaulted)
        flags.append(Flag("defaulted_clinical", f"Not given, set to the population mean: {means}."))
    for c, z in out_of_range.items():
        info = bundle.info.covariate(c)
        flags.append(Flag("clinical_out_of_range", f"{info.label} lies {z:+.1f} SD from the training mean "
                                                   f"{info.mean:.4g} ({info.units}); the model has seen few "
                                                   "people like this."))
    flags.append(_ancestry_flag(bundle, values, ancestry))
    return [f for f in flags if f.code != "ancestry_ok"]


def _ancestry_flag(bundle: Bundle, values: np.ndarray, ancestry: AncestryEstimate | None) -> Flag:
    ref = bundle.reference
    trained = ", ".join(ref.ancestries) or "not recorded"
    if ancestry is not None and ancestry.status == "unusual":
        return Flag("ancestry_unusual", f"{ancestry.words} The model was trained on simulated people of "
                                        f"{trained} ancestry; it may not transfer to this patient.")
    if ancestry is not None and ancestry.status != "not_estimated" and ancestry.group not in ref.ancestries:
        return Flag("ancestry_unusual", f"{ancestry.words} The model was trained on simulated people of {trained} "
                                        "ancestry only; it may not transfer to this patient.")
    if ancestry is not None and ancestry.status != "not_estimated":
        return Flag("ancestry_ok", ancestry.words)
    if not ref.ancestries or not np.isfinite(ref.ancestry_floor):
        return Flag("ancestry_not_checked", "Ancestry was not checked: the bundle has no per-ancestry "
                                            "reference frequencies.")
    freq = ref.feature_mean_by_ancestry / 2  # (n_groups, n_genetic)
    common = ancestry_sites(freq)
    seen = common & ~np.isnan(values)
    if common.sum() < ANCESTRY_MIN_COMMON or seen.sum() < ANCESTRY_MIN_SHARE * common.sum():
        return Flag("ancestry_not_checked", f"Ancestry was not checked: {seen.sum()} of the {common.sum()} common "
                                            "variants it reads were observed (it needs "
                                            f"{ANCESTRY_MIN_SHARE:.0%}; a variant-only file hides hom-ref calls).")
    ll = ancestry_loglik(values[None, seen], freq[:, seen])[0]  # (n_groups,)
    best = int(np.nanargmax(ll))
    if ll[best] < ref.ancestry_floor:
        return Flag("ancestry_unusual", f"The genotypes fit none of the training ancestries "
                                        f"({', '.join(ref.ancestries)}) as well as 99% of reference people do; "
                                        "the model may not transfer to this patient.")
    return Flag("ancestry_ok", f"Genotypes most like the {ref.ancestries[best]} reference group.")


def prediction_json(pred: Prediction) -> dict[str, Any]:
    """JSON-ready form of one bundle's prediction: ``{output: {probability, interval, ...}}``."""
    return {o.output: {"probability": o.probability, "interval": list(o.interval), "percentile": o.percentile,
                       "ancestry_percentile": None if o.ancestry_percentile is None else {
                           "group": o.ancestry_percentile[0], "percentile": o.ancestry_percentile[1]},
                       "relative_risk": o.relative_risk, "band": o.band,
                       "flags": [{"code": f.code, "message": f.message} for f in o.flags]}
            for o in pred.outputs}


def predict_json(patient: PatientGenome, bundles: Sequence[Bundle], details: PatientDetails, *,
                 on: dt.date | None = None) -> dict[str, Any]:
    """The CLI's ``predict --json`` record: ``{"predictions": {bundle: {output: {...}}}, "not_computed": ...,
    "absolute_risk": {bundle: {output: {"risks": [...], "note": ...}}}}`` (the risks as on the report's cards).

    Each bundle reads ``details`` under :mod:`genolens.modeling.clinical`; a bundle that cannot (sex not
    given, or not meant for the patient's sex) is listed under ``not_computed`` with the reason.
    """
    from genolens.modeling.absolute_reference import absolute_json

    preds: list[Prediction] = []
    skipped: dict[str, str] = {}
    absolute: dict[str, dict[str, Any]] = {}
    for b in bundles:
        inputs = model_inputs(b.info, details, on=on, sexes=b.info.sexes)
        if inputs.missing:
            skipped[b.name] = inputs.missing
        else:
            preds.append(predict(b, features_for(patient, b), inputs, ancestry=patient.ancestry))
            if found := absolute_json(b, preds[-1], inputs):
                absolute[b.name] = found
    return {"predictions": {p.bundle: prediction_json(p) for p in preds}, "not_computed": skipped,
            "absolute_risk": absolute,
            "versions": {b.name: b.version for b in bundles}, "research_use_only": RESEARCH_USE_LINE}
