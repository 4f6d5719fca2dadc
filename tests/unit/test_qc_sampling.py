"""File QC samples every chromosome, says what it sampled, and counts like ``bcftools stats`` on those records.

The files are generated here (seeded): a sorted single-sample VCF on chromosomes 20-22 with GRCh38
lengths, SNVs (about two transitions per transversion), insertions, deletions, a few multi-allelic SNVs,
hom-ref and missing genotypes. The golden figures come from ``bcftools stats -s -`` run on exactly the
records QC examined (the regions it reports, or every k-th record written out), not from GenoLens.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from genolens.genome.build import CONTIG_LENGTHS
from genolens.genome.patient import read_patient
from genolens.genome.qc import qc_windows
from genolens.genome.vcf import index_vcf
from tests.factories import bgzf_compress

needs_bcftools = pytest.mark.skipif(shutil.which("bcftools") is None,
                                    reason="bcftools absent (apt-get install bcftools)")
CHROMS = ("20", "21", "22")
PER_CHROM = 8_000
TRANSITION = {"A": "G", "G": "A", "C": "T", "T": "C"}


def _records(seed: int = 13) -> list[str]:
    """Sorted record lines; bcftools counts SNP and indel genotypes apart, so no record mixes the two."""
    rng = np.random.default_rng(seed)
    lines = []
    for chrom in CHROMS:
        length = CONTIG_LENGTHS["GRCh38"][chrom]
        for pos in np.sort(rng.choice(np.arange(1, length - 10), PER_CHROM, replace=False)):
            ref = "ACGT"[rng.integers(4)]
            kind = rng.random()
            others = [b for b in "ACGT" if b not in (ref, TRANSITION[ref])]
            if kind < 0.80:
                alt = TRANSITION[ref] if rng.random() < 2 / 3 else others[rng.integers(2)]
            elif kind < 0.88:
                alt = ref + "ACGT"[rng.integers(4)] * int(rng.integers(1, 4))
            elif kind < 0.96:
                ref, alt = ref + "ACGT"[rng.integers(4)] * int(rng.integers(1, 4)), ref
            else:
                alt = f"{TRANSITION[ref]},{others[0]}"
            multi = "," in alt
            gt = rng.choice(["1/2", "0/1", "2/2", "./."] if multi else ["0/1", "1/1", "0|1", "0/0", "./."],
                            p=[0.5, 0.3, 0.15, 0.05] if multi else [0.5, 0.3, 0.1, 0.06, 0.04])
            dp, gq = rng.integers(5, 90), rng.integers(1, 99)
            lines.append(f"chr{chrom}\t{pos}\t.\t{ref}\t{alt}\t50\tPASS\t.\tGT:DP:GQ\t{gt}:{dp}:{gq}\n")
    return lines


def _header() -> str:
    contigs = "".join(f"##contig=<ID=chr{c},length={CONTIG_LENGTHS['GRCh38'][c]}>\n" for c in CHROMS)
    return ("##fileformat=VCFv4.2\n" + contigs
            + '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
            + '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">\n'
            + '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">\n'
            + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n")


def _bcftools_stats(path: Path, *extra: str) -> dict[str, float]:
    """Records, Ti/Tv and het/hom-alt (SNPs from PSC plus indels from PSI) of sample S1, from bcftools."""
    out = subprocess.run(["bcftools", "stats", "-s", "-", *extra, str(path)], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    tables: dict[str, tuple[list[str], list[str]]] = {}
    for i, line in enumerate(out):
        if line.startswith(("# PSC", "# PSI")):
            names = [c.split("]", 1)[1] for c in line[2:].split("\t")[1:]]
            tables[line[2:5]] = (names, out[i + 1].split("\t")[1:])
    psc = dict(zip(*tables["PSC"], strict=True))
    psi = dict(zip(*tables["PSI"], strict=True))
    records = next(int(ln.split("\t")[-1]) for ln in out if ln.startswith("SN\t") and "number of records:" in ln)
    het = int(psc["nHets"]) + int(psi["nInsHets"]) + int(psi["nDelHets"])
    hom = int(psc["nNonRefHom"]) + int(psi["nInsAltHoms"]) + int(psi["nDelAltHoms"])
    return {"records": records, "ti_tv": int(psc["nTransitions"]) / int(psc["nTransversions"]), "het_hom": het / hom}


def test_windows_follow_chromosome_length_tile_each_chromosome_and_cap_the_records() -> None:
    windows, per = qc_windows([("chr1", 1000), ("chr2", 3000), ("chrUn", None)], records=4000, windows=8)
    assert per == 4000 // len(windows)
    by_chrom = {c: [(s, e) for n, s, e in windows if n == c] for c in ("chr1", "chr2", "chrUn")}
    assert [len(v) for v in by_chrom.values()] == [2, 6, 1]  # 8 windows by length 1:3; unknown length: one
    assert by_chrom["chr1"] == [(1, 500), (501, None)]  # tiling, the last reading on to the end
    assert by_chrom["chr2"][0] == (1, 500) and by_chrom["chr2"][-1] == (2501, None)
    assert by_chrom["chrUn"] == [(1, None)]
    assert qc_windows([("chr1", 10)], records=100)[0] == [("chr1", 1, None)]  # few records: one window


@needs_bcftools
def test_indexed_sorted_file_qc_samples_every_chromosome_and_matches_bcftools_stats(tmp_path: Path) -> None:
    path = tmp_path / "sorted_chr20_to_22_indexed.vcf.gz"
    path.write_bytes(bgzf_compress((_header() + "".join(_records())).encode()))
    index_vcf(path)
    qc = read_patient(path, panels=[], qc_records=3_000).qc
    assert (qc.sampling, qc.complete, qc.stride) == ("regions", False, 1)
    assert qc.chromosomes == CHROMS  # not only the first chromosome of a sorted file
    starts = {c: [int(r.split(":")[1].split("-")[0]) for r in qc.regions if r.startswith(f"chr{c}:")] for c in CHROMS}
    assert all(max(s) > CONTIG_LENGTHS["GRCh38"][c] // 3 for c, s in starts.items())  # past each chromosome's start
    assert any("3 chromosome(s) (20, 21, 22), read through the index" in w for w in qc.warnings)
    regions = tmp_path / "regions.tsv"
    regions.write_text("".join(f"{r.split(':')[0]}\t{r.split(':')[1].replace('-', chr(9))}\n" for r in qc.regions))
    theirs = _bcftools_stats(path, "-R", str(regions), "--regions-overlap", "0")
    assert qc.records == theirs["records"]  # the regions name exactly the records examined
    assert 2_900 <= qc.records <= 3_100
    assert qc.ti_tv == pytest.approx(theirs["ti_tv"], rel=0.01)
    assert qc.het_hom_alt == pytest.approx(theirs["het_hom"], rel=0.01)


@needs_bcftools
def test_unindexed_file_qc_takes_every_kth_record_of_the_whole_file_and_matches_bcftools_stats(tmp_path: Path) -> None:
    lines = _records()
    path = tmp_path / "sorted_chr20_to_22_plain_gzip.vcf.gz"  # plain gzip: no index can be built, one scan
    path.write_bytes(gzip.compress((_header() + "".join(lines)).encode()))
    qc = read_patient(path, panels=[], qc_records=3_000).qc
    # 24,000 records, at most 3,000 kept: the stride doubles to 8 (24,000 / 4 = 6,000 would be too many)
    assert (qc.sampling, qc.stride, qc.records, qc.complete) == ("stride", 8, 3_000, False)
    assert qc.chromosomes == CHROMS and qc.regions == ()
    assert any("one record in every 8 of the whole file" in w for w in qc.warnings)
    every_8th = tmp_path / "every_8th_record.vcf"
    every_8th.write_text(_header() + "".join(lines[::8]))
    theirs = _bcftools_stats(every_8th)
    assert qc.records == theirs["records"]
    assert qc.ti_tv == pytest.approx(theirs["ti_tv"], rel=0.01)
    assert qc.het_hom_alt == pytest.approx(theirs["het_hom"], rel=0.01)


def test_small_indexed_file_is_examined_whole(tmp_path: Path) -> None:
    lines = _records()[::40]  # 600 records, under the cap: every record, in file order
    path = tmp_path / "small_indexed.vcf.gz"
    path.write_bytes(bgzf_compress((_header() + "".join(lines)).encode()))
    index_vcf(path)
    qc = read_patient(path, panels=[], qc_records=1_000).qc
    assert (qc.sampling, qc.complete, qc.records, qc.regions) == ("all", True, 600, ())
    assert qc.chromosomes == CHROMS and not any("File QC describes" in w for w in qc.warnings)
