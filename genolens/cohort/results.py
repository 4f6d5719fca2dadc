"""Read a cohort job's results folder and answer the Cohort page with small aggregates, never the full matrix.

A results folder (layout in :mod:`genolens.cohort.job`) of 100,000 samples holds millions of prediction rows and an
attribution table of samples x model inputs per bundle. Everything here reads only the columns it needs (pyarrow),
keeps one bundle output's attributions in memory at a time (float32), and returns what a page draws: histogram
counts, quantiles, at most ``top`` rows of the gene matrix, per-variant means in the top risk decile, one sample's
rows. Opened folders are cached by (resolved path, manifest mtime), so a finished rerun is read again.

Ancestry: the job records each sample's continental ancestry from the 1000 Genomes markers
(:mod:`genolens.genome.ancestry`): assigned (one superpopulation, posterior >= 0.99) or not. Distributions give
counts and quantiles per assigned group beside the whole; samples not assigned form their own group.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from genolens.cohort.chunk import ATTRIBUTION_KEYS, chunk_dir
from genolens.cohort.job import FORMAT
from genolens.errors import CohortJobError, OptionError
from genolens.explain.rollup import groups

NOT_ASSIGNED = "not assigned"
"""The group of samples whose ancestry was not assigned (too few markers, uncertain, or unusual)."""
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.9, 0.95)
"""Quantiles of each risk distribution."""
PREDICTION_READ = ("sample", "sample_index", "bundle", "output", "probability", "band", "not_computed", "ancestry")
"""The prediction columns kept in memory for every sample (the rest is read per sample on drill-down)."""

SortKey = Literal["risk", "gene"]


@dataclass(frozen=True, eq=False)
class CohortResults:
    """An opened, complete results folder (hashed by identity: cached aggregates are keyed on it)."""

    path: Path
    """The folder, resolved."""
    manifest: dict[str, Any]
    """``manifest.json``."""
    samples: np.ndarray
    """object, shape (n,): sample names in input column order."""
    outputs: tuple[tuple[str, str], ...]
    """(bundle, output) pairs in manifest order."""
    probability: dict[tuple[str, str], np.ndarray]
    """(bundle, output) -> float64, shape (n,): probability per sample (NaN: no estimate)."""
    band: dict[tuple[str, str], np.ndarray]
    """(bundle, output) -> object, shape (n,): the risk band words per sample."""
    not_computed: dict[tuple[str, str], np.ndarray]
    """(bundle, output) -> object, shape (n,): why no estimate ('' when scored)."""
    ancestry: np.ndarray
    """object, shape (n,): each sample's assigned 1000 Genomes superpopulation, or :data:`NOT_ASSIGNED`."""

    @property
    def n(self) -> int:
        """Samples in the results."""
        return len(self.samples)

    def bundle(self, name: str) -> dict[str, Any]:
        """The manifest's entry for bundle ``name``."""
        for b in self.manifest["bundles"]:
            if b["name"] == name:
                return dict(b)
        raise OptionError(f"Bundle {name!r} is not in these results; bundles: "
                          f"{', '.join(b['name'] for b in self.manifest['bundles'])}.")


def open_results(folder: str | os.PathLike[str]) -> CohortResults:
    """Open a complete results folder (cached per folder and manifest modification time).

    Raises
    ------
    CohortJobError
        No ``manifest.json``, a manifest of another format, a job still running, or a chunk file missing.
    """
    path = Path(folder).resolve()
    manifest = path / "manifest.json"
    try:
        mtime = manifest.stat().st_mtime_ns
    except OSError:
        raise CohortJobError(f"{path} has no manifest.json, so it is not a cohort job's results folder; choose "
                             "the folder given as --out to `python -m genolens cohort`.") from None
    return _open(path, mtime)


@functools.lru_cache(maxsize=4)
def _open(path: Path, mtime: int) -> CohortResults:
    try:
        manifest: dict[str, Any] = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CohortJobError(f"{path / 'manifest.json'} cannot be read ({exc}); run the job again.") from None
    if manifest.get("format") != FORMAT:
        raise CohortJobError(f"{path} holds results of format {manifest.get('format')!r}, not {FORMAT!r}; this "
                             "GenoLens reads only its own format. Run the job again with this version.")
    if manifest.get("status") != "complete":
        raise CohortJobError(f"The job writing {path} is {manifest.get('status', 'unfinished')!r}, not complete; "
                             "wait for it to finish (or rerun it: it resumes), then open the folder again.")
    # The repeated words (bundle, output, band, reason, ancestry) are read as codes into a few shared strings:
    # 50,000 samples x 11 outputs as one Python string per cell cost about 350 MB of the server's memory.
    words = [c for c in PREDICTION_READ if c not in ("sample", "sample_index", "probability")]
    table = _read(_chunk_files(path, manifest, "predictions.parquet"), list(PREDICTION_READ), read_dictionary=words)
    coded = {c: _codes(table.column(c)) for c in words}
    n = int(manifest["input"]["samples"])
    index = table.column("sample_index").to_numpy()
    probability = table.column("probability").to_numpy()
    samples = np.empty(n, dtype=object)
    first = np.unique(index, return_index=True)[1]  # one row per sample: a name per sample, not per row
    samples[index[first]] = np.array(table.column("sample").take(first).to_pylist(), dtype=object)
    outputs = tuple((b["name"], o) for b in manifest["bundles"] for o in b["outputs"])
    ancestry = np.full(n, NOT_ASSIGNED, dtype=object)
    codes, names = coded["ancestry"]
    assigned = names[codes] != ""
    ancestry[index[assigned]] = names[codes[assigned]]
    (bundle_codes, bundles), (output_codes, output_names) = coded["bundle"], coded["output"]
    (band_codes, bands), (why_codes, whys) = coded["band"], coded["not_computed"]
    pair = bundle_codes.astype(np.int64) * len(output_names) + output_codes
    prob, band, why = {}, {}, {}
    for code in dict.fromkeys(pair.tolist()):  # first-seen order, as the rows were written
        rows = np.flatnonzero(pair == code)
        key = (str(bundles[code // len(output_names)]), str(output_names[code % len(output_names)]))
        where = index[rows]
        prob[key] = _spread(n, where, probability[rows].astype(np.float64), np.nan)
        band[key] = _spread(n, where, bands[band_codes[rows]], "")
        why[key] = _spread(n, where, whys[why_codes[rows]], "not in the results")
    del table, coded, codes, names
    _give_back()
    return CohortResults(path, manifest, samples, tuple(k for k in outputs if k in prob), prob, band, why, ancestry)


def _codes(column: Any) -> tuple[np.ndarray, np.ndarray]:
    """A dictionary-encoded string column as (int codes, shape (rows,); object array of its distinct words, each
    one shared string; a missing value reads as ``""``)."""
    unified = column.unify_dictionaries()
    words = unified.chunk(0).dictionary.to_pylist() if unified.num_chunks else []
    names = np.array([*(w or "" for w in words), ""], dtype=object)
    parts = [c.indices.fill_null(len(words)).to_numpy() for c in unified.chunks]
    codes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    return codes, names


def _spread(n: int, where: np.ndarray, values: np.ndarray, fill: Any) -> np.ndarray:
    """``values`` placed at sample positions ``where`` of an array of ``n`` (``fill`` elsewhere)."""
    out = np.full(n, fill, dtype=values.dtype)
    out[where] = values
    return out


def _chunk_files(path: Path, manifest: dict[str, Any], name: str) -> list[str]:
    files = [chunk_dir(path, i) / name for i in range(int(manifest["chunks"]["count"]))]
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise CohortJobError(f"{len(missing)} chunk file(s) of {path} are missing (first: {missing[0]}); the folder "
                             "was changed after the job finished. Run the job again into a new folder.")
    return [os.fspath(f) for f in files]


def _read(files: list[str], columns: list[str], **options: Any) -> Any:
    """``pyarrow.parquet.read_table`` through the system allocator, whose freed memory :func:`_give_back` can
    return (pyarrow's default mimalloc pool kept about 150 MB per 50,000-sample read in the server)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if pa.default_memory_pool().backend_name != "system":
        pa.set_memory_pool(pa.system_memory_pool())
    return pq.read_table(files, columns=columns, **options)


def _give_back() -> None:
    """Return the heap a large read freed to the system (glibc ``malloc_trim``; nothing elsewhere). A cached
    aggregate keeps a few MB, while the table it was built from left 100-200 MB of freed heap in the server."""
    import ctypes
    import ctypes.util

    with contextlib.suppress(OSError, AttributeError, TypeError):  # not glibc: the memory stays, as before
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)


def _key(results: CohortResults, bundle: str, output: str) -> tuple[str, str]:
    key = (bundle, output)
    if key not in results.probability:
        raise OptionError(f"{bundle} {output!r} is not in these results; choose from "
                          f"{', '.join(f'{b} {o}' for b, o in results.outputs)}.")
    return key


# --- distributions ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Distribution:
    """One output's risk distribution, pre-binned."""

    bundle: str
    output: str
    scored: int
    """Samples with an estimate."""
    no_estimate: int
    """Samples without one (e.g. sex not given to a model that reads it)."""
    edges: np.ndarray
    """float64, shape (bins + 1,): bin edges on the probability scale."""
    counts: np.ndarray
    """int64, shape (bins,): samples per bin."""
    quantiles: dict[float, float]
    """q -> probability, for :data:`QUANTILES` (empty when nothing was scored)."""
    groups: str
    """How samples are grouped, in words (scored samples per ancestry group)."""
    group_counts: dict[str, np.ndarray]
    """Ancestry group -> int64, shape (bins,): its scored samples per bin (the groups' counts add up to
    ``counts``); groups in descending size, :data:`NOT_ASSIGNED` last."""
    group_quantiles: dict[str, dict[float, float]]
    """Ancestry group -> its quantiles, for every group with at least 20 scored samples."""


@functools.lru_cache(maxsize=64)
def distribution(results: CohortResults, bundle: str, output: str, *, bins: int = 40) -> Distribution:
    """Histogram counts and quantiles of one output's probabilities over the scored samples."""
    p = results.probability[_key(results, bundle, output)]
    scored = p[~np.isnan(p)]
    if scored.size:
        lo, hi = float(scored.min()), float(scored.max())
        counts, edges = np.histogram(scored, bins=bins, range=(lo, hi if hi > lo else lo + 1e-9))
        qs = dict(zip(QUANTILES, np.quantile(scored, QUANTILES).tolist(), strict=True))
    else:
        counts, edges, qs = np.zeros(bins, dtype=np.int64), np.linspace(0.0, 1.0, bins + 1), {}
    ok = ~np.isnan(p)
    names = sorted(set(results.ancestry[ok].tolist()), key=lambda g: (g == NOT_ASSIGNED, -int(
        (results.ancestry[ok] == g).sum()), g))
    group_counts, group_qs = {}, {}
    for g in names:
        mine = p[ok & (results.ancestry == g)]
        group_counts[g] = np.histogram(mine, bins=edges)[0].astype(np.int64)
        if mine.size >= 20:
            group_qs[g] = dict(zip(QUANTILES, np.quantile(mine, QUANTILES).tolist(), strict=True))
    words = ("ancestry from the 1000 Genomes markers: " + ", ".join(
        f"{g} {int(c.sum()):,}" for g, c in group_counts.items())) if names else "no sample scored"
    return Distribution(bundle, output, int(scored.size), int(p.size - scored.size), edges,
                        counts.astype(np.int64), qs, words, group_counts, group_qs)


# --- attributions ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Attributions:
    """One bundle output's attributions for every scored sample, rolled up to genes, with the per-input means the
    top-decile view needs. The samples x inputs matrix itself is not kept (on 100,000 samples of a 380-input
    model it is 150 MB a cached output): the page draws genes, and one sample's inputs come from its chunk."""

    rows: np.ndarray
    """int64, shape (m,): sample positions (into :attr:`CohortResults.samples`) of the scored samples."""
    inputs: tuple[str, ...]
    """Model input ids, in model order."""
    genes: tuple[str, ...]
    """Gene (or locus) labels; clinical inputs are their own ``clinical: NAME`` group."""
    gene_values: np.ndarray
    """float32, shape (m, n_genes): Integrated Gradients (logit scale) summed per gene."""
    gene_of: tuple[str, ...]
    """Per input: its gene label."""
    threshold: float
    """The probability at the 90th percentile of the scored samples (NaN when none): the top decile is at or
    above it."""
    in_top: int
    """Samples in the top decile."""
    top_mean: np.ndarray
    """float64, shape (n_inputs,): each input's mean attribution in the top decile."""
    rest_mean: np.ndarray
    """float64, shape (n_inputs,): in the other scored samples (zeros when there are none)."""


@functools.lru_cache(maxsize=3)
def attributions(results: CohortResults, bundle: str, output: str) -> Attributions:
    """Read one bundle output's attribution columns from every chunk; roll the inputs up to genes."""
    import pyarrow.compute as pc

    _key(results, bundle, output)
    entry = results.bundle(bundle)
    inputs = tuple(i["id"] for i in entry["inputs"])
    table = _read(_chunk_files(results.path, results.manifest, f"attributions-{bundle}.parquet"),
                  ["sample_index", "output", *inputs])
    if len(entry["outputs"]) > 1:
        table = table.filter(pc.equal(table.column("output"), output))
    values = np.empty((table.num_rows, len(inputs)), dtype=np.float32)
    for j, name in enumerate(inputs):
        values[:, j] = table.column(name).to_numpy()
    rows = table.column("sample_index").to_numpy().astype(np.int64)
    del table
    keys = tuple(i["gene"] if i["kind"] == "genetic" else f"clinical: {i['id'].removeprefix('cov_')}"
                 for i in entry["inputs"])
    mask, genes = groups(keys)
    onehot = np.zeros((len(inputs), len(genes)), dtype=np.float32)
    onehot[np.arange(len(inputs)), mask] = 1.0
    p = results.probability[(bundle, output)][rows]
    threshold = float(np.quantile(p, 0.9)) if p.size else float("nan")
    upper = p >= threshold
    top_mean = values[upper].mean(axis=0, dtype=np.float64) if upper.any() else np.zeros(len(inputs))
    rest_mean = values[~upper].mean(axis=0, dtype=np.float64) if (~upper).any() else np.zeros(len(inputs))
    gene_values = values @ onehot
    del values
    _give_back()
    return Attributions(rows, inputs, genes, gene_values, keys, threshold, int(upper.sum()), top_mean, rest_mean)


@dataclass(frozen=True)
class MatrixView:
    """At most ``top`` samples of the gene matrix, sorted and filtered on the server."""

    samples: tuple[str, ...]
    """Sample names, in the chosen order."""
    probability: np.ndarray
    """float64, shape (rows,): each sample's probability."""
    genes: tuple[str, ...]
    """Columns: the genes with the largest mean |attribution| over the matching samples (the chosen gene first)."""
    values: np.ndarray
    """float32, shape (rows, len(genes)): attribution per gene, logit scale."""
    matching: int
    """Samples that pass the filters (before keeping ``top``)."""


@functools.lru_cache(maxsize=64)
def gene_matrix(results: CohortResults, bundle: str, output: str, *, sort_by: SortKey = "risk", gene: str = "",
                risk: tuple[float, float] = (0.0, 1.0), descending: bool = True, top: int = 200,
                columns: int = 25) -> MatrixView:
    """The samples x genes attribution matrix, filtered to a probability range, sorted, cut to ``top`` rows.

    Parameters
    ----------
    sort_by
        ``"risk"``: by probability; ``"gene"``: by the attribution of ``gene``.
    gene
        A gene label (:attr:`Attributions.genes`): required for ``sort_by="gene"``; always the first column.
    risk
        Keep samples whose probability lies in [low, high].
    top, columns
        Rows and gene columns returned (at most).

    Raises
    ------
    OptionError
        An unknown gene, sort key or an empty range.
    """
    a = attributions(results, bundle, output)
    if sort_by not in ("risk", "gene") or (sort_by == "gene" and gene not in a.genes) \
            or (gene and gene not in a.genes) or risk[0] > risk[1] or top < 1:
        raise OptionError(f"sort_by={sort_by!r}, gene={gene!r}, risk={risk!r}, top={top}: sort by risk or by a gene "
                          f"of {bundle} ({', '.join(a.genes[:5])}, ...), with low <= high and top >= 1.")
    p = results.probability[(bundle, output)][a.rows]
    keep = np.flatnonzero((p >= risk[0]) & (p <= risk[1]))
    score = p[keep] if sort_by == "risk" else a.gene_values[keep, a.genes.index(gene)]
    order = keep[np.argsort(-score if descending else score, kind="stable")[:top]]
    strength = np.abs(a.gene_values[keep]).mean(axis=0) if keep.size else np.zeros(len(a.genes))
    chosen = [int(j) for j in np.argsort(-strength, kind="stable")]
    if gene:
        chosen = [a.genes.index(gene), *(j for j in chosen if a.genes[j] != gene)]
    chosen = chosen[:columns]
    cols = np.asarray(chosen, dtype=np.int64)
    return MatrixView(tuple(str(s) for s in results.samples[a.rows[order]]), p[order],
                      tuple(a.genes[j] for j in chosen), a.gene_values[np.ix_(order, cols)], int(keep.size))


@dataclass(frozen=True)
class Drivers:
    """The inputs that drive the top risk decile: mean attribution there against the rest of the scored samples."""

    threshold: float
    """The probability at the 90th percentile: samples at or above it form the top decile."""
    in_top: int
    """Samples in the top decile."""
    inputs: tuple[str, ...]
    """Model input ids, largest difference first."""
    genes: tuple[str, ...]
    """Each input's gene label."""
    top_mean: np.ndarray
    """float64, shape (k,): mean attribution in the top decile (logit scale)."""
    rest_mean: np.ndarray
    """float64, shape (k,): mean attribution in the other scored samples."""


@functools.lru_cache(maxsize=64)
def top_decile_drivers(results: CohortResults, bundle: str, output: str, *, top: int = 20) -> Drivers:
    """The ``top`` inputs whose mean attribution differs most between the top risk decile and the rest."""
    a = attributions(results, bundle, output)
    if not a.rows.size:
        empty = np.zeros(0)
        return Drivers(float("nan"), 0, (), (), empty, empty)
    order = np.argsort(-(a.top_mean - a.rest_mean), kind="stable")[:top]
    return Drivers(a.threshold, a.in_top, tuple(a.inputs[j] for j in order), tuple(a.gene_of[j] for j in order),
                   a.top_mean[order], a.rest_mean[order])


# --- one sample --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SampleRows:
    """One sample's rows of the results (drill-down when its VCF is not at hand)."""

    sample: str
    predictions: list[dict[str, Any]]
    """Its prediction rows (every column of ``predictions.parquet``), one per bundle x output."""
    attributions: dict[tuple[str, str], dict[str, float]]
    """(bundle, output) -> input id -> attribution (logit scale), for the outputs it was scored on."""


def sample_rows(results: CohortResults, sample: str) -> SampleRows:
    """Read one sample's predictions and attributions from its chunk only.

    Raises
    ------
    OptionError
        The sample is not in the results.
    """
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    where = np.flatnonzero(results.samples == sample)
    if not where.size:
        raise OptionError(f"Sample {sample!r} is not in these results ({results.n} samples).")
    index = int(where[0])
    folder = chunk_dir(results.path, index // int(results.manifest["chunks"]["size"]))

    def rows(name: str, columns: list[str] | None = None) -> Any:
        t = pq.read_table(folder / name, columns=columns)
        return t.filter(pc.equal(t.column("sample_index"), index))

    predictions = rows("predictions.parquet").to_pylist()
    attrs: dict[tuple[str, str], dict[str, float]] = {}
    for b in results.manifest["bundles"]:
        t = rows(f"attributions-{b['name']}.parquet")
        names = [c for c in t.column_names if c not in ATTRIBUTION_KEYS]
        for r in t.to_pylist():
            attrs[(b["name"], r["output"])] = {c: float(r[c]) for c in names}
    return SampleRows(sample, predictions, attrs)


__all__ = ["NOT_ASSIGNED", "QUANTILES", "Attributions", "CohortResults", "Distribution", "Drivers", "MatrixView",
           "SampleRows", "attributions", "distribution", "gene_matrix", "open_results", "sample_rows",
           "top_decile_drivers"]
