"""The text check keeps the panel records and the QC sample of a file without an index (module vcf_prefilter):
every read of it must find what a read through an index finds, and the QC sample must be the one a record-by-record
stride keeps.

The oracle is the same bytes read through an htslib index (region queries), and, for the QC sample, cyvcf2's own
records offered one by one to :meth:`QcCollector.offer`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import cyvcf2
import numpy as np
import pytest

from genolens.datamodel import PatientGenome
from genolens.genome import vcf
from genolens.genome.patient import read_patient
from genolens.genome.vcf_qc import QcCollector
from tests.factories import CORPUS, ROOT, bgzf_compress

DEMO = ROOT / "data" / "demo"
FILES = sorted(DEMO.glob("*.vcf.gz")) + [p for p in sorted((CORPUS / "patients").glob("*/*.vcf.gz"))
                                         if p.stat().st_size < 1 << 20][:4]


def _pair(tmp_path: Path, src: Path) -> tuple[Path, Path]:
    """The same bytes twice: alone (read through the prefilter) and with an htslib index beside them."""
    (tmp_path / "alone").mkdir()
    (tmp_path / "indexed").mkdir()
    alone, indexed = tmp_path / "alone" / src.name, tmp_path / "indexed" / src.name
    shutil.copyfile(src, alone)
    shutil.copyfile(src, indexed)
    vcf.index_vcf(indexed)
    return alone, indexed


def _calls(g: PatientGenome) -> list[tuple[object, ...]]:
    """Every panel's match log and model inputs (NaN written as None, so that equal inputs compare equal)."""
    return [(r.panel, r.sites, r.features.names, [None if np.isnan(x) else float(x) for x in r.features.values],
             r.features.missing.tolist(), r.features.origin) for r in g.panels]


@pytest.mark.parametrize("src", FILES, ids=lambda p: p.name)
def test_a_file_without_an_index_reads_what_its_index_reads(tmp_path: Path, src: Path) -> None:
    alone, indexed = _pair(tmp_path, src)
    samples = cyvcf2.VCF(str(alone)).samples
    for sample in samples[:2]:
        for absent in ("missing", "reference") if src.parent == DEMO else ("reference",):
            got = read_patient(alone, sample=sample, absent=absent)
            want = read_patient(indexed, sample=sample, absent=absent)
            # a gVCF whose reference blocks are most of its text is read through an index built for it
            assert got.read_mode.startswith(("one pass over the text", "region queries (TBI index built"))
            assert want.read_mode.startswith("region queries (index")
            assert got.build == want.build
            assert _calls(got) == _calls(want), (src.name, sample, absent)
            if want.qc.sampling == "all":  # every record in both: the same QC
                assert got.qc == want.qc


def test_no_index_is_built_for_a_variants_only_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[bytes] = []
    monkeypatch.setattr(vcf._HTS, "bcf_index_build3", lambda *a: built.append(a[0]) or 1)
    path = tmp_path / "brca1.vcf.gz"
    shutil.copyfile(DEMO / "brca1_185delAG_carrier.vcf.gz", path)
    got = read_patient(path)
    assert got.read_mode.startswith("one pass over the text") and built == []


BLOCK_BEFORE_SITE = """##fileformat=VCFv4.2
##ALT=<ID=NON_REF,Description="Any other allele">
##INFO=<ID=END,Number=1,Type=Integer,Description="End of the block">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##contig=<ID=chr10,length=133797422>
##contig=<ID=chr16,length=90338345>
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tPATIENT
chr10\t94761000\t.\tC\t<NON_REF>\t.\tPASS\tEND=94762000\tGT\t0/0
chr10\t94781859\trs4244285\tG\tA\t99\tPASS\t.\tGT\t0/1
chr16\t31096368\trs9923231\tC\tT\t99\tPASS\t.\tGT\t0/1
"""


def test_a_reference_block_that_starts_before_a_panel_site_still_covers_it(tmp_path: Path) -> None:
    src = tmp_path / "block_before_site.vcf.gz"
    src.write_bytes(bgzf_compress(BLOCK_BEFORE_SITE.encode()))
    alone, indexed = _pair(tmp_path, src)
    got, want = read_patient(alone), read_patient(indexed)
    assert _calls(got) == _calls(want)
    covered = [s for r in got.panels for s in r.sites if s.pos == 94761900]  # rs12248560, CYP2C19*17
    assert covered and all(s.status == "reference_block" for s in covered), covered


def _many_records(n: int, *, backwards_at: int | None = None) -> str:
    rng = np.random.default_rng(7)
    lines = ["##fileformat=VCFv4.2", '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
             "##contig=<ID=chr1,length=248956422>", "##contig=<ID=chr2,length=242193529>",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1"]
    pos = 1000
    for i in range(n):
        chrom = "chr1" if i < n // 2 else "chr2"
        pos = 1000 if i == n // 2 else pos + int(rng.integers(1, 500))
        if backwards_at is not None and i == backwards_at:
            pos -= 700
        ref, alt = rng.choice(list("ACGT"), 2, replace=False)
        gt = rng.choice(["0/1", "1/1", "0/0", "./."])
        lines.append(f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t50\tPASS\t.\tGT:DP\t{gt}:{int(rng.integers(5, 60))}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("cap", [64, 1000, 5000])
def test_the_qc_sample_is_the_stride_a_record_by_record_scan_keeps(tmp_path: Path, cap: int) -> None:
    path = tmp_path / "many.vcf"
    path.write_text(_many_records(3000))
    got = read_patient(path, qc_records=cap).qc
    oracle = QcCollector(0, cap, vcf.read_header(path))
    for n, v in enumerate(cyvcf2.VCF(str(path))):
        oracle.offer(v, n)
    assert got.stride == oracle.stride and got.records == len(oracle)
    assert (got.sampling == "all") == (oracle.stride == 1)
    assert got.chromosomes == ("1", "2") and not any("not sorted" in w for w in got.warnings)


def test_positions_going_backwards_are_noticed(tmp_path: Path) -> None:
    path = tmp_path / "backwards.vcf"
    path.write_text(_many_records(400, backwards_at=100))
    assert any(w.startswith("Records are not sorted") for w in read_patient(path).qc.warnings)
