"""Score every sample of a multi-sample VCF with every bundle; summarise attributions across samples.

The cohort use case: the cohort page (through ``components.cached``) calls these functions.
The file is read once for all samples (``read_matrix`` + ``dosage_matrix``); the build is the one
``read_patient`` decides for the first sample. Sites not called are missing (imputed with the
population mean and flagged, as for one patient); sites absent from the file are missing too, unless
the caller says the file is a whole-genome call set (``absent="reference"``, the same rule as
``encode`` for one patient: absent sites with a known REF are hom-ref, marked ``assumed_reference``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from genolens.datamodel import AbsentPolicy, Build, CohortRecord, Features, GenotypeOrigin
from genolens.datamodel.clinical import NO_DETAILS, PatientDetails
from genolens.errors import CohortError
from genolens.explain.attribution import attribute
from genolens.explain.baselines import population_average
from genolens.explain.explanation import context_for
from genolens.explain.rollup import group_mask
from genolens.genome.encode import dosage_matrix
from genolens.genome.patient import read_patient
from genolens.genome.vcf import open_vcf
from genolens.modeling.bundle import Bundle
from genolens.modeling.clinical import model_inputs
from genolens.modeling.predict import predict

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class CohortResult:
    """Every sample of one file scored by every bundle."""

    samples: tuple[str, ...]
    """Sample names in column order."""
    build: Build
    """Build decided on the first sample."""
    probabilities: dict[str, dict[str, np.ndarray]] = field(repr=False)
    """bundle -> output -> float64, shape (n_samples,): predicted probability; NaN where no estimate was made."""
    bands: dict[str, dict[str, tuple[str, ...]]] = field(repr=False)
    """bundle -> output -> risk band per sample."""
    coverage: dict[str, np.ndarray] = field(repr=False)
    """bundle -> float64, shape (n_samples,): share of the genetic inputs the bundle reads that were called."""
    inputs: dict[str, np.ndarray] = field(repr=False)
    """bundle -> float64, shape (n_samples, n_features): model inputs after imputation and defaults; a row of
    NaN for a sample without an estimate."""
    imputed: dict[str, tuple[tuple[str, ...], ...]] = field(repr=False, default_factory=dict)
    """bundle -> per sample: genetic input ids that were missing and set to the population mean."""
    defaulted: dict[str, tuple[tuple[str, ...], ...]] = field(repr=False, default_factory=dict)
    """bundle -> per sample: clinical inputs not given and shown at a stated reference value."""
    absent_policy: AbsentPolicy = "missing"
    """How sites absent from the file were read (``"reference"``: whole-genome call set)."""
    not_computed: dict[str, tuple[str, ...]] = field(repr=False, default_factory=dict)
    """bundle -> per sample: why no estimate was made (``"sex not given ..."``), ``""`` when one was."""


def _features(bundle: Bundle, row: np.ndarray, assumed: np.ndarray, policy: AbsentPolicy) -> Features:
    missing = np.isnan(row)
    origin: tuple[GenotypeOrigin, ...] = tuple(
        "missing" if m else "assumed_reference" if a else "observed" for m, a in zip(missing, assumed, strict=True))
    return Features(names=tuple(v.id for v in bundle.panel.variants), values=row, missing=missing,
                    origin=origin, policy=policy)


def _assume_reference(bundle: Bundle, build: Build, records: Mapping[tuple[str, int], Sequence[CohortRecord]],
                      dm: np.ndarray) -> np.ndarray:
    """Fill, in place, the columns of sites absent from the file with hom-ref dosages; return which were filled.

    A site is absent when the file has no record at its position and no reference block covering it
    (as ``call_site`` decides for one patient); only sites whose REF the panel records are filled.
    """
    assumed = np.zeros(dm.shape[1], dtype=bool)
    for j, v in enumerate(bundle.panel.variants):
        locus = v.locus(build)
        found = records.get((locus.chrom, locus.pos), ())
        if locus.ref and not any(r.pos == locus.pos or r.is_reference_block for r in found):
            dm[:, j] = 2.0 if locus.ref.upper() == locus.effect_allele.upper() else 0.0
            assumed[j] = True
    return assumed


def score_cohort(path: str | os.PathLike[str], bundles: Sequence[Bundle], *, absent: AbsentPolicy = "missing",
                 details: Mapping[str, PatientDetails] | None = None, on: dt.date | None = None,
                 progress: Progress | None = None) -> CohortResult:
    """Read every sample at every bundle's panel sites and predict every output.

    Parameters
    ----------
    path
        A VCF/BCF with one or more samples.
    bundles
        The bundles to score with.
    absent
        ``"missing"`` (default) or ``"reference"`` (the file is a whole-genome call set), as for one patient.
    details, on
        Each sample's details by sample name, and the date they hold on: every model reads them under
        :mod:`genolens.modeling.clinical`, as for one patient. A sample without sex gets no estimate from
        a model that reads sex (probability NaN, the reason in ``not_computed``).
    progress
        Called with (fraction, message).

    Raises
    ------
    CohortError
        When the file has no record at any of the sites the bundles read (0% panel coverage).
    """
    report = progress or (lambda _f, _m: None)
    report(0.0, "Deciding the genome build on the first sample")
    with open_vcf(path) as vf:
        samples = vf.info.samples
    build = read_patient(path, sample=samples[0], panels=[b.panel for b in bundles], qc_records=0).build.build
    sites = sorted({(v.locus(build).chrom, v.locus(build).pos) for b in bundles for v in b.panel.variants})
    report(0.1, f"Reading {len(sites)} panel sites for {len(samples)} samples")
    with open_vcf(path) as vf:
        records, _mode = vf.read_matrix(sites, progress=lambda f, m: report(0.1 + 0.4 * f, m))
    if not any(records.get(site) for site in sites):
        name = os.path.basename(os.fspath(path))
        raise CohortError(
            f"{name} has no record at any of the {len(sites)} variant sites the models read (build {build}), so "
            "every prediction would be the population average. It probably covers other regions (e.g. one "
            "chromosome the models do not use). Choose a multi-sample file that covers the models' variants.")
    probs: dict[str, dict[str, np.ndarray]] = {}
    bands: dict[str, dict[str, tuple[str, ...]]] = {}
    coverage, inputs, imputed, defaulted, skipped = {}, {}, {}, {}, {}
    given = details or {}
    for k, b in enumerate(bundles):
        report(0.5 + 0.5 * k / len(bundles), f"Scoring {len(samples)} samples with {b.name}")
        dm = dosage_matrix(b.panel, build, records, len(samples))  # (n_samples, n_variants), NaN missing
        assumed = _assume_reference(b, build, records, dm) if absent == "reference" \
            else np.zeros(dm.shape[1], dtype=bool)
        clinical = [model_inputs(b.info, given.get(s, NO_DETAILS), on=on, sexes=b.info.sexes) for s in samples]
        preds = [None if c.missing else predict(b, _features(b, dm[i], assumed, absent), c)
                 for i, c in enumerate(clinical)]
        n_in = len(b.panel.variants) + len(b.covariates)
        probs[b.name] = {o: np.array([np.nan if p is None else p.outputs[j].probability for p in preds])
                         for j, o in enumerate(b.outputs)}
        bands[b.name] = {o: tuple("no estimate" if p is None else p.outputs[j].band for p in preds)
                         for j, o in enumerate(b.outputs)}
        coverage[b.name] = np.array([_coverage(b, dm[i]) for i in range(len(samples))])
        inputs[b.name] = np.stack([np.full(n_in, np.nan) if p is None else p.inputs.astype(np.float64)
                                   for p in preds])
        imputed[b.name] = tuple(tuple(v.id for v, m in zip(b.panel.variants, np.isnan(dm[i]), strict=True) if m)
                                for i in range(len(samples)))
        defaulted[b.name] = tuple(() if p is None else p.defaulted for p in preds)
        skipped[b.name] = tuple(c.missing for c in clinical)
    report(1.0, "Done")
    return CohortResult(tuple(samples), build, probs, bands, coverage, inputs, imputed, defaulted, absent, skipped)


def _coverage(bundle: Bundle, row: np.ndarray) -> float:
    """Share of the genetic inputs the model reads that were called (as :func:`predict` computes it)."""
    reads = bundle.reads
    return float(1.0 - np.isnan(row)[reads].mean()) if reads.any() else 1.0


def gene_summary(bundle: Bundle, inputs: np.ndarray, *, output: str,
                 n_steps: int = 32) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Mean |contribution| and mean contribution per gene (and clinical factor) over samples.

    Integrated Gradients against the population average, grouped at gene level per sample; samples
    without an estimate (rows of NaN) are left out.

    Returns
    -------
    names, mean_abs, mean_signed
        Group names and float64 arrays of shape (n_groups,).
    """
    ctx = context_for(bundle)
    mask, names = group_mask(ctx, level="gene")
    base = population_average(ctx)
    target = bundle.outputs.index(output)
    rows = [np.bincount(mask, weights=attribute(bundle.model, x, baseline=base, target=target, context=ctx,
                                                n_steps=n_steps).values, minlength=len(names))
            for x in inputs if not np.isnan(x).any()]
    if not rows:
        return names, np.zeros(len(names)), np.zeros(len(names))
    values = np.stack(rows)  # (n_estimated, n_groups)
    return names, np.abs(values).mean(axis=0), values.mean(axis=0)
