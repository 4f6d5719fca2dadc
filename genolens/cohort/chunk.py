"""One chunk of samples: dosages, every bundle's predictions, Integrated Gradients, two kinds of Parquet file.

A chunk is the unit of work a Dask worker runs and the unit of restart: its files are written into a private
folder ``chunks/.chunk-NNNNN.tmp-XXXX`` and renamed to ``chunks/chunk-NNNNN`` only when every file is complete, so
a chunk folder that exists is complete, and a half-written one never looks complete (its name starts with a dot).

Every number is the single-patient path's: dosages from :func:`genolens.genome.encode.dosage_matrix` (the record
choice and allele count of :func:`~genolens.genome.encode.call_site`), the absent-site rule of
:func:`~genolens.genome.encode.encode`, :func:`~genolens.modeling.predict.predict`, and
:func:`~genolens.explain.attribution.attribute_outputs` with the population-average baseline and seed 0, as
:func:`~genolens.workflows.explain_bundle` calls it (its IG step ladder checks completeness per sample).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from genolens.cohort.store import Site, genotypes, open_store
from genolens.datamodel import (
    AbsentPolicy,
    AncestryEstimate,
    Build,
    CohortRecord,
    Features,
    GenotypeOrigin,
    Panel,
)
from genolens.datamodel.clinical import NO_DETAILS, PatientDetails
from genolens.errors import CohortJobError
from genolens.explain.attribution import attribute_outputs
from genolens.explain.baselines import population_average
from genolens.explain.batched_rows import ig_rows
from genolens.explain.explanation import context_for, use_one_thread
from genolens.genome.ancestry import complete_dosages, counted_markers, load_markers
from genolens.genome.ancestry import estimate as estimate_ancestry
from genolens.genome.encode import dosage_matrix
from genolens.modeling.bundle import Bundle, load_bundle
from genolens.modeling.clinical import model_inputs
from genolens.modeling.networks import Ensemble
from genolens.modeling.predict import predict

PREDICTION_COLUMNS = ("sample", "sample_index", "bundle", "version", "output", "probability", "logit",
                      "interval_low", "interval_high", "percentile", "relative_risk", "band", "coverage",
                      "n_imputed", "flags", "not_computed", "ig_residual", "ig_converged", "ig_steps",
                      "ancestry", "ancestry_status", "ancestry_percentile")
"""Columns of ``predictions.parquet``, one row per sample x bundle x output."""
ATTRIBUTION_KEYS = ("sample", "sample_index", "output", "prediction_logit", "baseline_logit", "residual")
"""Leading columns of ``attributions-<bundle>.parquet``; one float64 column per model input follows."""


@dataclass(frozen=True)
class Plan:
    """What every chunk of one job shares (sent to the workers; small: no genotypes)."""

    store: str
    """Path of the VCF Zarr store."""
    samples: tuple[str, ...]
    """Every sample, in column order."""
    rows: np.ndarray
    """int64, shape (n_rows,): the store's rows at panel sites."""
    records: tuple[CohortRecord, ...]
    """One per row, without genotypes."""
    sites: Mapping[Site, tuple[int, ...]]
    """Site -> positions in ``rows`` of its records."""
    bundles: tuple[str, ...]
    """Bundle folders, loaded on each worker."""
    panel_dir: str | None
    """Where the bundles' panels live (``None``: the shipped ``data/panels``)."""
    build: Build
    """The file's build."""
    absent: AbsentPolicy
    """Policy for sites absent from the file."""
    on: str | None
    """ISO date the clinical inputs hold on (``None``: undated), fixed when the job started."""
    details: Mapping[str, PatientDetails]
    """Each sample's details by name; a sample without gets none (no estimate from a model that reads sex)."""
    results: str
    """The results folder."""
    chromosomes: tuple[str, ...] = ()
    """Normalised chromosomes the file has records on (ancestry markers under the whole-genome policy)."""
    panels: Mapping[str, Panel] = field(default_factory=dict)
    """By panel name, the bundle panels with REFs the reference FASTA gave (only panels it gave some to)."""


def chunk_dir(results: str | os.PathLike[str], index: int) -> Path:
    """The folder of a complete chunk."""
    return Path(results) / "chunks" / f"chunk-{index:05d}"


@functools.lru_cache(maxsize=32)
def _loaded(path: str, panel_dir: str | None) -> tuple[Bundle, Any, Any]:
    """A bundle with its explanation context and population-average baseline, once per worker process."""
    bundle = load_bundle(path, panel_dir=Path(panel_dir) if panel_dir else None)
    ctx = context_for(bundle, seed=0)
    return bundle, ctx, population_average(ctx)


def warm(bundles: Sequence[str], panel_dir: str | None) -> None:
    """Load ``bundles`` into this process's cache, as the first chunk would: the task a job sends every worker
    when it starts, so that loading torch and the bundles overlaps the driver's own start (hashing, the build,
    the conversion's scan) instead of delaying the first chunk."""
    use_one_thread()
    for path in bundles:
        _loaded(path, panel_dir)


def score_chunk(plan: Plan, index: int, start: int, stop: int) -> int:
    """Score samples ``start:stop`` with every bundle and write ``chunks/chunk-<index>``; return ``index``.

    Does nothing when that chunk is already complete (a rerun, or a task Dask ran twice after losing a worker).
    """
    final = chunk_dir(plan.results, index)
    if final.is_dir():
        return index
    use_one_thread()
    blocks = np.array([r.is_reference_block for r in plan.records], dtype=bool)
    gt = genotypes(open_store(Path(plan.store)), plan.rows, start, stop, blocks)  # (n_rows, n, ploidy)
    by_ploidy = _records_by_ploidy(plan, gt)
    ancestries = _ancestries(plan, by_ploidy, stop - start)
    on = dt.date.fromisoformat(plan.on) if plan.on else None
    predictions: list[dict[str, Any]] = []
    attributions: dict[str, dict[str, list[Any]]] = {}
    for path in plan.bundles:
        bundle, ctx, base = _loaded(path, plan.panel_dir)
        dm, origin = _dosages(bundle, plan, by_ploidy, stop - start)
        attributions[bundle.name] = _score_bundle(bundle, ctx, base, dm, origin, plan, start, on, predictions,
                                                  ancestries)
    tmp = final.parent / f".{final.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    try:
        _write(tmp / "predictions.parquet", {c: [r[c] for r in predictions] for c in PREDICTION_COLUMNS},
               _PREDICTION_TYPES)
        for name, table in attributions.items():
            _write(tmp / f"attributions-{name}.parquet", table, _ATTRIBUTION_TYPES)
        os.rename(tmp, final)
    except OSError:
        if not final.is_dir():  # not a twin task that finished first
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return index


def _records_by_ploidy(plan: Plan, gt: np.ndarray) -> dict[int, dict[Site, list[CohortRecord]]]:
    """Per ploidy k present, every site's records with the genotypes of the samples of ploidy k (others missing).

    bio2zarr pads a sample whose ploidy is lower than the record's with -2 (a haploid chrX call among diploid
    ones); the single-patient path reads that sample's genotype at its own ploidy, so the cohort counts each
    ploidy class apart and never reads the padding as a missing allele.
    """
    ploidy = (gt != -2).sum(axis=2)  # (n_rows, n)
    out: dict[int, dict[Site, list[CohortRecord]]] = {}
    for k in sorted(set(np.unique(ploidy).tolist()) - {0}):
        g = gt[:, :, :k].copy()  # (n_rows, n, k)
        g[ploidy != k] = -1
        recs = [replace(r, gt=g[i]) for i, r in enumerate(plan.records)]
        out[k] = {site: [recs[i] for i in ix] for site, ix in plan.sites.items()}
    return out


def _dosages(bundle: Bundle, plan: Plan, by_ploidy: Mapping[int, Mapping[Site, Sequence[CohortRecord]]],
             n: int) -> tuple[np.ndarray, tuple[GenotypeOrigin, ...]]:
    """Effect-allele dosages (n, n_variants; NaN missing) and how each column was obtained (absent policy)."""
    panel = plan.panels.get(bundle.panel.name, bundle.panel)  # with the FASTA's REFs, as for one patient
    dm = np.full((n, len(panel.variants)), np.nan)
    for records in by_ploidy.values():
        dm = np.where(np.isnan(dm), dosage_matrix(panel, plan.build, records, n), dm)
    origin: list[GenotypeOrigin] = []
    for j, v in enumerate(panel.variants):
        locus = v.locus(plan.build)
        if plan.absent == "reference" and (locus.chrom, locus.pos) not in plan.sites and locus.ref:
            dm[:, j] = 2.0 if locus.ref.upper() == locus.effect_allele.upper() else 0.0
            origin.append("assumed_reference")
        else:
            origin.append("observed")
    return dm, tuple(origin)


def _ancestries(plan: Plan, by_ploidy: Mapping[int, Mapping[Site, Sequence[CohortRecord]]],
                n: int) -> list[AncestryEstimate]:
    """Each sample's ancestry from the markers, as :func:`~genolens.genome.patient.read_patient` estimates it."""
    markers = load_markers()
    any_ploidy = next(iter(by_ploidy.values()), {})
    counted, has_record = counted_markers(plan.build, any_ploidy, absent=plan.absent, chromosomes=plan.chromosomes)
    present = np.flatnonzero(has_record)
    sub = markers.panel(present)
    found = np.full((n, len(present)), np.nan)
    for records in by_ploidy.values():
        found = np.where(np.isnan(found), dosage_matrix(sub, plan.build, records, n), found)
    out = []
    row = np.full(len(markers), np.nan)  # one sample's markers at a time: n x 29k floats would be 230 MB a chunk
    for i in range(n):
        row[present] = found[i]
        v, assumed, considered = complete_dosages(row, counted, has_record, absent=plan.absent)
        out.append(estimate_ancestry(v, assumed, considered, absent=plan.absent))
    return out


def _score_bundle(bundle: Bundle, ctx: Any, base: Any, dm: np.ndarray, origin: tuple[GenotypeOrigin, ...],
                  plan: Plan, start: int, on: dt.date | None, rows: list[dict[str, Any]],
                  ancestries: Sequence[AncestryEstimate]) -> dict[str, list[Any]]:
    """Predict and attribute every sample of the chunk; append prediction rows; return the attribution table."""
    names = ctx.feature_names
    clash = set(names) & set(ATTRIBUTION_KEYS)
    if clash:
        raise CohortJobError(f"Bundle {bundle.name} has inputs named {sorted(clash)}, which the attribution table "
                             "uses for its own columns; rename them in the bundle.")
    table: dict[str, list[Any]] = {c: [] for c in (*ATTRIBUTION_KEYS, *names)}
    ids = tuple(v.id for v in bundle.panel.variants)
    targets = list(range(len(bundle.outputs)))
    scored: list[tuple[int, Any]] = []  # (position in the chunk, its prediction or why it has none)
    for i, values in enumerate(dm):
        sample = plan.samples[start + i]
        inputs = model_inputs(bundle.info, plan.details.get(sample, NO_DETAILS), on=on, sexes=bundle.info.sexes)
        if inputs.missing:
            scored.append((i, inputs.missing))
            continue
        missing = np.isnan(values)
        features = Features(names=ids, values=values, missing=missing, policy=plan.absent,
                            origin=tuple("missing" if m else o for m, o in zip(missing, origin, strict=True)))
        scored.append((i, predict(bundle, features, inputs, ancestry=ancestries[i])))
    preds = [(i, pred) for i, pred in scored if not isinstance(pred, str)]
    attrs = _attributions(bundle, ctx, base, [pred.inputs for _, pred in preds], targets)
    found = dict(zip((i for i, _ in preds), attrs, strict=True))
    for i, pred in scored:
        sample, where = plan.samples[start + i], start + i
        a_i = ancestries[i]
        common = {"sample": sample, "sample_index": where, "bundle": bundle.name, "version": bundle.version,
                  "ancestry": a_i.group if a_i.status == "assigned" and a_i.group else "",
                  "ancestry_status": a_i.status}
        if isinstance(pred, str):
            rows.extend({**common, **_empty(o, pred)} for o in bundle.outputs)
            continue
        for o, a in zip(pred.outputs, found[i], strict=True):
            rows.append({**common, "output": o.output, "probability": o.probability, "logit": o.logit,
                         "interval_low": o.interval[0], "interval_high": o.interval[1], "percentile": o.percentile,
                         "relative_risk": o.relative_risk, "band": o.band, "coverage": pred.coverage,
                         "n_imputed": len(pred.imputed), "flags": [f.code for f in o.flags], "not_computed": "",
                         "ig_residual": a.residual, "ig_converged": a.converged, "ig_steps": a.n_steps,
                         "ancestry_percentile": o.ancestry_percentile[1] if o.ancestry_percentile else float("nan")})
            for key, value in zip(ATTRIBUTION_KEYS, (sample, where, o.output, a.prediction_logit,
                                                     a.baseline_logit, a.residual), strict=True):
                table[key].append(value)
            for name, value in zip(names, a.values.tolist(), strict=True):
                table[name].append(value)
    return table


@dataclass(frozen=True)
class _IG:
    """What a chunk keeps of one (sample, output) attribution."""

    values: np.ndarray
    prediction_logit: float
    baseline_logit: float
    residual: float
    converged: bool
    n_steps: int


def _attributions(bundle: Bundle, ctx: Any, base: Any, inputs: Sequence[np.ndarray],
                  targets: Sequence[int]) -> list[list[_IG]]:
    """IG of every sample (its model inputs) for every output: per sample, one entry per output.

    An ensemble (every shipped bundle) is explained for the whole chunk at once (:func:`ig_rows`); any other
    model one sample at a time through :func:`attribute_outputs`. Both are the single-patient path's numbers.
    """
    if not inputs:
        return []
    if isinstance(bundle.model, Ensemble):
        r = ig_rows(bundle.model, np.stack(inputs).astype(np.float64), base.values, targets)
        return [[_IG(r.values[i, j], float(r.prediction_logit[i, j]), float(r.baseline_logit[j]),
                     float(r.residual[i, j]), bool(r.converged[i, j]), int(r.n_steps[i, j]))
                 for j in range(len(targets))] for i in range(len(inputs))]
    out = []
    for x in inputs:
        attrs = attribute_outputs(bundle.model, x.astype(np.float64), method="ig", baseline=base, targets=targets,
                                  seed=0, context=ctx)
        out.append([_IG(a.values, a.prediction_logit, a.baseline_logit, a.residual, a.converged,
                        int(a.parameters["n_steps"])) for a in attrs])
    return out


def _empty(output: str, reason: str) -> dict[str, Any]:
    """A prediction row for an output the model makes no estimate of (sex not given, ...)."""
    nan = float("nan")
    return {"output": output, "probability": nan, "logit": nan, "interval_low": nan, "interval_high": nan,
            "percentile": nan, "relative_risk": nan, "band": "no estimate", "coverage": nan, "n_imputed": 0,
            "flags": [], "not_computed": reason, "ig_residual": nan, "ig_converged": False, "ig_steps": 0,
            "ancestry_percentile": nan}


_PREDICTION_TYPES = {"sample": "string", "sample_index": "int64", "bundle": "string", "version": "string",
                     "output": "string", "band": "string", "n_imputed": "int64", "flags": "list<string>",
                     "not_computed": "string", "ig_converged": "bool", "ig_steps": "int64", "ancestry": "string",
                     "ancestry_status": "string"}
_ATTRIBUTION_TYPES = {"sample": "string", "sample_index": "int64", "output": "string"}


def _write(path: Path, columns: Mapping[str, Sequence[Any]], types: Mapping[str, str]) -> None:
    """One Parquet file; columns not named in ``types`` are float64 (typed even when the chunk has no row)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    kinds = {"string": pa.string(), "int64": pa.int64(), "bool": pa.bool_(), "list<string>": pa.list_(pa.string())}
    schema = pa.schema([(c, kinds[types[c]] if c in types else pa.float64()) for c in columns])
    pq.write_table(pa.table(dict(columns), schema=schema), path)
