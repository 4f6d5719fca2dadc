"""Builders shared by the tests: paths, ../shared access, a BGZF writer, toy models, a tiny panel, a synthetic
cohort and its VCF, a small trained bundle, and PharmCAT's published calls.

Import as ``from tests.factories import ...`` (pyproject puts the project root on pytest's pythonpath).
"""

from __future__ import annotations

import csv
import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from genolens.datamodel import Panel
from genolens.genome.panel import COLUMNS, load_panel
from genolens.modeling.export import write_trained_bundle
from genolens.modeling.logistic import sigmoid
from genolens.modeling.train import TrainResult, train_cohort
from genolens.modeling.train_config import TrainConfig
from genolens.modeling.training_data import Cohort

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"  # tiny fixture VCFs written for these tests
DEMO = ROOT / "data" / "demo"  # the demo patients shipped with the app
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


# --- ../shared ---------------------------------------------------------------------------------------------------

def need_shared(*parts: str) -> Path:
    """Return a path under ../shared, or skip the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/{'/'.join(parts)} not present on this machine")
    return path


def pharmcat_report(path: Path) -> dict[str, tuple[str, str]]:
    """Gene -> (Source Diplotype, Phenotype), read from PharmCAT's calls-only report TSV."""
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    header = rows[1]  # row 0 is the PharmCAT version line
    gene, dip, phen = header.index("Gene"), header.index("Source Diplotype"), header.index("Phenotype")
    return {r[gene]: (r[dip], r[phen]) for r in rows[2:] if len(r) > phen and not r[gene].startswith("---")}


# --- files -------------------------------------------------------------------------------------------------------

def bgzf_compress(data: bytes, *, block: int = 60_000, eof: bool = True) -> bytes:
    """Compress ``data`` as BGZF (independent of htslib: RFC 1952 members with the BC extra field)."""
    out = bytearray()
    for i in range(0, len(data), block):
        chunk = data[i : i + block]
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        cdata = comp.compress(chunk) + comp.flush()
        bsize = len(cdata) + 25
        out += b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00BC\x02\x00" + struct.pack("<H", bsize)
        out += cdata + struct.pack("<II", zlib.crc32(chunk) & 0xFFFFFFFF, len(chunk))
    if eof:
        out += BGZF_EOF
    return bytes(out)


def tiny_panel(folder: Path, n: int, *, name: str = "tiny") -> Panel:
    """A panel table of ``n`` made-up SNPs rs1..rsn on chromosome 1 (effect A, other G)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        f = {"id": f"rs{i + 1}", "rsid": f"rs{i + 1}", "gene": f"G{i + 1}", "allele_name": "",
             "chrom_grch38": "1", "pos_grch38": str(10_000 + 100 * i), "ref_grch38": "", "effect_grch38": "A",
             "other_grch38": "G", "chrom_grch37": "1", "pos_grch37": str(20_000 + 100 * i), "ref_grch37": "",
             "effect_grch37": "A", "other_grch37": "G", "evidence": "made up for a test", "log_or": "0.1",
             "function": "", "activity_value": "", "eaf": "0.3", "source": "tests"}
        rows.append("\t".join(f[c] for c in COLUMNS))
    text = "# title: Tiny test panel\n" + "\t".join(COLUMNS) + "\n" + "\n".join(rows) + "\n"
    (folder / f"{name}.tsv").write_text(text)
    return load_panel(name, directory=folder)


def write_cohort_vcf(path: Path, panel: Panel, dosages: np.ndarray) -> None:
    """A GRCh38 multi-sample VCF: REF = other allele, ALT = effect allele, GT from ``dosages`` (n, p)."""
    samples = "\t".join(f"s{i}" for i in range(len(dosages)))
    lines = ["##fileformat=VCFv4.2", "##reference=GRCh38", '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">',
             f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{samples}"]
    gts = {0: "0/0", 1: "0/1", 2: "1/1", -1: "./."}
    for j, v in enumerate(panel.variants):
        loc = v.grch38
        calls = "\t".join(gts[int(d) if not np.isnan(d) else -1] for d in dosages[:, j])
        lines.append(f"{loc.chrom}\t{loc.pos}\t{v.rsid}\t{loc.other_allele}\t{loc.effect_allele}\t.\tPASS\t.\tGT\t{calls}")
    path.write_text("\n".join(lines) + "\n")


# --- bombs: small compressed files that expand to gigabytes (generated at test time, never committed) ----------

_BOMB_HEADER = (b"##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n"
                b'##FORMAT=<ID=GT,Number=1,Type=String,Description="g">\n')
_BOMB_COLUMNS = b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT"
_BOMB_BLOCK = 4 << 20


def _gzip_members(path: Path, parts: list[tuple[bytes, int]]) -> int:
    """Write each (text, times) as one gzip member repeated ``times`` times (concatenated members are one
    gzip stream); return the decompressed size. Only one member per part is ever compressed: fast."""
    size = 0
    with path.open("wb") as out:
        for text, times in parts:
            out.write(zlib.compress(text, 9, wbits=31) * times)
            size += len(text) * times
    return size


def records_bomb(path: Path) -> int:
    """Valid records only, 8 GB in about 20 MB of gzip: nothing but the size tells it from a real file.

    Returns the decompressed size. (Deflate expands at most ~1,000 times, so "1 MB to 20 GB" cannot be one
    stream; the running expansion check refuses any such file after a few tens of megabytes either way.)
    """
    record = b"chr1\t100\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\n"
    block = record * (_BOMB_BLOCK // len(record))
    return _gzip_members(path, [(_BOMB_HEADER + _BOMB_COLUMNS + b"\tS1\n", 1), (block, (8 << 30) // len(block))])


def line_bomb(path: Path) -> int:
    """One record whose INFO column is a gigabyte long, in about 1 MB of gzip; returns the decompressed size."""
    return _gzip_members(path, [(_BOMB_HEADER + _BOMB_COLUMNS + b"\tS1\nchr1\t100\t.\tA\tG\t.\tPASS\tX=", 1),
                                (b"A" * _BOMB_BLOCK, (1 << 30) // _BOMB_BLOCK), (b"\tGT\t0/1\n", 1)])


def samples_bomb(path: Path) -> int:
    """A #CHROM line naming ten million samples (gzip); returns the decompressed size."""
    names = b"".join(b"\tS%07d" % i for i in range(10_000_000))
    return _gzip_members(path, [(_BOMB_HEADER + _BOMB_COLUMNS, 1), (names, 1), (b"\n", 1)])


# --- toy models --------------------------------------------------------------------------------------------------

def linear_model(weights: np.ndarray, bias: float = 0.0) -> nn.Linear:
    """A frozen one-output linear score with known float32 weights (a LinearScore-like polygenic score)."""
    w = np.asarray(weights, dtype=np.float64)
    lin = nn.Linear(len(w), 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(w[None], dtype=torch.float32))
        lin.bias.fill_(bias)
    return lin.requires_grad_(False)


# --- a synthetic cohort and a small trained bundle ---------------------------------------------------------------

N_SNP = 20
BETA = np.linspace(-0.4, 0.5, N_SNP)
F_EUR = np.linspace(0.1, 0.5, N_SNP)
F_AFR = np.clip(F_EUR[::-1] + 0.05, 0.0, 0.9)
FAST = TrainConfig(members=5, batch_size=2048, lr=1e-2, epochs=25, patience=3, calib_fraction=0.2,
                   test_fraction=0.4, seed=0)
SMALL = replace(FAST, members=3, epochs=4, test_fraction=0.3)


def true_logit(g: np.ndarray, cov: Mapping[str, np.ndarray]) -> np.ndarray:
    """The known model: additive effects, two gene-gene interactions and two covariates."""
    return (-2.0 + g @ BETA + 1.5 * g[:, 0] * g[:, 1] - 1.0 * (g[:, 2] > 0) * (g[:, 3] > 0)
            + 0.04 * (cov["age"] - 55.0) + 0.05 * (cov["bmi"] - 27.0))


def synthetic_cohort(n: int, seed: int) -> Cohort:
    """People of two ancestries (different allele frequencies) with outcomes from ``true_logit``."""
    rng = np.random.default_rng(seed)
    anc = np.where(rng.random(n) < 0.7, "EUR", "AFR")
    g = rng.binomial(2, np.where((anc == "EUR")[:, None], F_EUR, F_AFR)).astype(np.float64)  # (n, N_SNP)
    cov = {"age": rng.normal(55.0, 10.0, n), "bmi": rng.normal(27.0, 4.0, n)}
    y = (rng.random(n) < sigmoid(true_logit(g, cov))).astype(np.float64)
    return Cohort(samples=tuple(f"s{i}" for i in range(n)), genetic=g, covariates=np.column_stack(list(cov.values())),
                  outcomes=y[:, None], ancestry=anc, genetic_names=tuple(f"rs{i + 1}" for i in range(N_SNP)),
                  covariate_names=("age", "bmi"), outcome_names=("y_disease",), build="GRCh38")


def small_bundle(root: Path) -> tuple[Path, TrainResult]:
    """Train a small bundle on the synthetic cohort; write it to ``root/models/tiny_risk/0.1.0``."""
    panel = tiny_panel(root / "panels", N_SNP)
    cohort = synthetic_cohort(6_000, seed=3)
    result = train_cohort(cohort, SMALL)
    out = write_trained_bundle(root / "models" / "tiny_risk" / "0.1.0", result, cohort, panel,
                               source={"vcf": "synthetic", "phenotypes": "synthetic"},
                               units={"age": "years", "bmi": "kg/m²"})
    return out, result


# --- float32 comparisons -----------------------------------------------------------------------------------------

# float32 carries 24 bits (eps 1.2e-7); a sum of a few hundred roundings, or a batch of another size taking another
# reduction order, stays well under 1e-5 of the magnitudes involved. An absolute tolerance would be too strict for
# values near 40 and too loose for values near 1e-3, so every float32 result is compared relative to its scale.
F32_RTOL = 1e-5


def assert_close_f32(actual: object, desired: object, *, rtol: float = F32_RTOL) -> None:
    """Compare float32 results relative to their size: ``rtol`` per element, with a floor of ``rtol`` times the
    largest magnitude so that an element that cancels to ~0 is judged on the scale of the whole array."""
    a = np.asarray(actual.detach() if isinstance(actual, torch.Tensor) else actual, dtype=np.float64)
    d = np.asarray(desired.detach() if isinstance(desired, torch.Tensor) else desired, dtype=np.float64)
    scale = float(np.max(np.abs(d))) if d.size else 0.0
    np.testing.assert_allclose(a, d, rtol=rtol, atol=rtol * scale)


def shown(markdown: str) -> str:
    """What a reader sees of markdown the dashboard escaped (``components.inert.plain``): every backslash escape
    of an ASCII punctuation mark read as that mark (CommonMark 0.31, section 2.4), invisible word joiners dropped."""
    return _ESCAPED.sub(r"\1", markdown).replace("\u2060", "")


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


# --- cohort jobs (genolens.cohort) -----------------------------------------------------------------------------

def simulated_cohort_vcf(path: Path, panel: Panel, n: int, *, seed: int) -> Path:
    """The synthetic cohort's VCF with ``##contig`` lines (bio2zarr needs them) and three cases the job must read
    as one patient is read: a missing genotype (s3 at rs3), a haploid call among diploid ones (s4 at rs5: ``1``)
    and a site absent from the file (rs7)."""
    g = synthetic_cohort(n, seed=seed).genetic.copy()
    g[3, 2] = np.nan
    write_cohort_vcf(path, panel, g)
    lines = path.read_text().splitlines()
    header = [ln for ln in lines if ln.startswith("#")]
    body = [ln.split("\t") for ln in lines if not ln.startswith("#")]
    body[4][9 + 4] = "1"
    body = [f for f in body if f[2] != "rs7"]
    header.insert(2, "##contig=<ID=1,length=248956422>")
    path.write_text("\n".join([*header, *("\t".join(f) for f in body)]) + "\n")
    return path


def cohort_job_rows(results: Path) -> dict[tuple[str, str, str], dict[str, object]]:
    """A cohort job's predictions with their attribution vectors: (sample, bundle, output) -> the prediction row,
    plus ``attribution`` (float64, one value per model input) when the sample was scored."""
    import pyarrow.parquet as pq

    rows: dict[tuple[str, str, str], dict[str, object]] = {}
    for folder in sorted((results / "chunks").glob("chunk-*")):
        for r in pq.read_table(folder / "predictions.parquet").to_pylist():
            rows[(r["sample"], r["bundle"], r["output"])] = r
        for part in folder.glob("attributions-*.parquet"):
            bundle = part.stem.removeprefix("attributions-")
            table = pq.read_table(part)
            values = np.column_stack([table.column(c).to_numpy() for c in table.column_names[6:]]) \
                if table.num_rows else np.zeros((0, 0))
            for i, (s, o) in enumerate(zip(table.column("sample").to_pylist(), table.column("output").to_pylist(),
                                           strict=True)):
                rows[(s, bundle, o)]["attribution"] = values[i]
    return rows


# --- cohort results: a small real job, and a large folder tiled from it -------------------------------------------

def trio_cohort_vcf(path: Path, n: int, *, seed: int) -> Path:
    """``path`` (``*.vcf.gz``, bgzipped: needs bgzip): the demo trio's 27,940 records
    (header, sites, alleles) with ``n`` made-up samples ``C0000``..: each GT drawn from Hardy-Weinberg with a
    per-record allele frequency uniform in [0.02, 0.5] (``0/0``, ``0/1``, ``1/1``), FORMAT reduced to GT. A small
    real cohort whose samples differ at every panel site the trio covers."""
    import gzip

    rng = np.random.default_rng(seed)
    names = [f"C{i:04d}" for i in range(n)]
    out = []
    with gzip.open(DEMO / "trio_cyp2c19_brca2.vcf.gz", "rt") as fh:
        for line in fh:
            if line.startswith("##"):
                out.append(line.rstrip("\n"))
            elif line.startswith("#"):
                out.append("\t".join([*line.rstrip("\n").split("\t")[:9], *names]))
            else:
                f = line.rstrip("\n").split("\t")
                dose = rng.binomial(2, rng.uniform(0.02, 0.5), n)
                out.append("\t".join([*f[:8], "GT", *np.array(["0/0", "0/1", "1/1"])[dose]]))
    text = path.with_suffix("")  # name.vcf.gz -> name.vcf
    text.write_text("\n".join(out) + "\n")
    subprocess.run(["bgzip", "-f", str(text)], check=True)  # a multi-contig file: bgzipped (the job indexes it)
    return path


def cohort_details(samples: list[str], *, seed: int) -> dict[str, object]:
    """Details for every sample (sex alternating, age 30-75, a few relatives), so every shipped model scores it."""
    from genolens.datamodel.clinical import patient_details

    rng = np.random.default_rng(seed)
    return {s: patient_details({"sex": ("female", "male")[i % 2], "age": int(rng.integers(30, 76)),
                                "breast_cancer_relatives": int(rng.integers(0, 3))})
            for i, s in enumerate(samples)}


def tiled_cohort_results(small: Path, out: Path, n: int, *, seed: int, chunk_size: int = 1000) -> Path:
    """A results folder of ``n`` samples in exactly the job's layout and schema, tiled from a real job's ``small``.

    How: every sample ``T000000``.. copies every row of one sample of ``small`` drawn at random (predictions: one
    per bundle x output; attributions: one per scored output), then is perturbed by one factor ``f`` drawn from
    a log-normal (sigma 0.25): each attribution is multiplied by ``f`` and the logit, its interval and the
    attribution table's ``prediction_logit`` move by the change in their sum, ``(f - 1) * sum``, so completeness
    (logit = baseline + sum + residual) still holds and ``probability`` is the sigmoid of the new logit. Copied
    unchanged from the source sample: percentile, relative risk, band, coverage, flags, ``not_computed`` and the
    IG columns. The manifest is ``small``'s with the sample count, the chunk count and size, the summary and the
    input name changed (the name says it is tiled). Seeded: the same arguments give the same files.
    """
    import json

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from genolens.cohort.job import _summary  # the job's own per-bundle summary, over the tiled predictions

    manifest = json.loads((small / "manifest.json").read_text())
    chunks = sorted((small / "chunks").glob("chunk-*"))
    pred = pq.read_table([c / "predictions.parquet" for c in chunks]).sort_by("sample_index")
    per = pred.num_rows // manifest["input"]["samples"]  # rows per sample: bundle x output
    attr = {b["name"]: pq.read_table([c / f"attributions-{b['name']}.parquet" for c in chunks]).sort_by("sample_index")
            for b in manifest["bundles"]}
    # per prediction row: the sum of its attributions (0 where not scored), to move the logit by (f - 1) * sum
    total = np.zeros(pred.num_rows)
    row_of = {(s, b, o): i for i, (s, b, o) in enumerate(zip(pred.column("sample_index").to_pylist(),
                                                            pred.column("bundle").to_pylist(),
                                                            pred.column("output").to_pylist(), strict=True))}
    for name, t in attr.items():
        sums = np.column_stack([t.column(c).to_numpy() for c in t.column_names[6:]]).sum(axis=1)
        for s, o, v in zip(t.column("sample_index").to_pylist(), t.column("output").to_pylist(), sums, strict=True):
            total[row_of[(s, name, o)]] = v
    src_rows = {name: np.searchsorted(t.column("sample_index").to_numpy(), [np.arange(manifest["input"]["samples"]),
                                                                            np.arange(1, manifest["input"]["samples"]
                                                                                      + 1)])
                for name, t in attr.items()}  # (2, n_small): first and past-last row of each source sample
    rng = np.random.default_rng(seed)
    starts = range(0, n, chunk_size)
    if out.exists():
        shutil.rmtree(out)
    for k, start in enumerate(starts):
        stop = min(start + chunk_size, n)
        src = rng.integers(0, manifest["input"]["samples"], stop - start)
        f = rng.lognormal(0.0, 0.25, stop - start)
        idx = np.arange(start, stop)
        folder = out / "chunks" / f"chunk-{k:05d}"
        folder.mkdir(parents=True)
        rows = (src[:, None] * per + np.arange(per)).ravel()
        t = pred.take(rows)
        delta = (np.repeat(f, per) - 1.0) * total[rows]
        logit = t.column("logit").to_numpy() + delta
        t = _set(t, "sample", pa.array(np.repeat([f"T{i:06d}" for i in idx], per), pa.string()))
        t = _set(t, "sample_index", pa.array(np.repeat(idx, per), pa.int64()))
        t = _set(t, "logit", pa.array(logit))
        t = _set(t, "probability", pa.array(sigmoid(logit)))
        for c in ("interval_low", "interval_high"):
            p = np.clip(t.column(c).to_numpy(), 1e-12, 1 - 1e-12)
            t = _set(t, c, pa.array(sigmoid(np.log(p / (1 - p)) + delta)))
        pq.write_table(t, folder / "predictions.parquet")
        for name, a in attr.items():
            first, last = src_rows[name][0][src], src_rows[name][1][src]
            counts = last - first
            take = np.repeat(first - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
            who = np.repeat(np.arange(stop - start), counts)
            ta = a.take(take)
            fa = f[who]
            inputs = ta.column_names[6:]
            before = np.column_stack([ta.column(c).to_numpy() for c in inputs]).sum(axis=1) if inputs else 0.0
            ta = _set(ta, "sample", pa.array([f"T{i:06d}" for i in idx[who]], pa.string()))
            ta = _set(ta, "sample_index", pa.array(idx[who], pa.int64()))
            ta = _set(ta, "prediction_logit", pc.add(ta.column("prediction_logit"), pa.array((fa - 1.0) * before)))
            for c in inputs:
                ta = _set(ta, c, pa.array(ta.column(c).to_numpy() * fa))
            pq.write_table(ta, folder / f"attributions-{name}.parquet")
    manifest["input"] = {**manifest["input"], "samples": n, "name": f"tiled-{n} from {manifest['input']['name']}"}
    manifest["chunks"] = {**manifest["chunks"], "count": len(starts), "size": chunk_size}
    manifest["summary"] = _summary(out, len(starts))
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return out


def _set(table: object, name: str, column: object) -> object:
    """``table`` with column ``name`` replaced (same position)."""
    i = table.column_names.index(name)  # type: ignore[attr-defined]
    return table.set_column(i, table.schema.field(i).name, column)  # type: ignore[attr-defined]


# --- reference FASTAs: slices padded with N, bases from a known source ---------------------------------------------

def pharmcat_bases(chrom: str) -> dict[int, str]:
    """PharmCAT's GRCh38 REF at each of its allele-defining positions on ``chrom``, from its published VCF."""
    bases = {}
    with open(need_shared("corpus", "pgx", "pharmcat_positions.vcf"), encoding="utf-8") as fh:
        for line in fh:
            f = line.split("\t", 5)
            if not line.startswith("#") and f[0] == chrom:
                bases[int(f[1])] = f[3]
    return bases


def write_fasta(path: Path, sequences: Mapping[str, tuple[int, Mapping[int, str]]], *, bgzip: bool = False) -> Path:
    """A FASTA of one sequence per name, ``length`` bases of N with ``bases`` (1-based position -> bases) written in,
    indexed by htslib (``pysam.faidx``); bgzip-compressed (BGZF, with its ``.gzi``) when ``bgzip``."""
    import pysam

    parts = []
    for name, (length, bases) in sequences.items():
        seq = bytearray(b"N" * length)
        for pos, ref in bases.items():
            seq[pos - 1:pos - 1 + len(ref)] = ref.encode()
        body = b"\n".join(bytes(seq[i:i + 60]) for i in range(0, len(seq), 60))
        parts.append(b">" + name.encode() + b" slice, N elsewhere\n" + body + b"\n")
    plain = path.with_name(f"{path.name}.plain") if bgzip else path
    plain.write_bytes(b"".join(parts))
    if bgzip:
        pysam.tabix_compress(str(plain), str(path), force=True)  # BGZF blocks, as `bgzip` writes
    pysam.faidx(str(path))
    return path
