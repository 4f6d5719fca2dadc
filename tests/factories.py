"""Builders shared by the tests: paths, ../shared access, a BGZF writer, toy models, a tiny panel, a synthetic
cohort and its VCF, a small trained bundle, and PharmCAT's published calls.

Import as ``from tests.factories import ...`` (pyproject puts the project root on pytest's pythonpath).
"""

from __future__ import annotations

import csv
import re
import struct
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
