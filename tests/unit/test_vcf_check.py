"""Files that crashed htslib, or were read silently wrong, are refused before htslib sees them.

Each fixture in tests/data is named after the defect it carries; the expected line numbers are
counted by hand in the fixture (four header lines, then the records).
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from genolens.errors import VcfReadError
from genolens.genome.patient import read_patient
from genolens.genome.vcf_check import InputLimits, check_vcf_text
from genolens.genome.vcf_errors import safe_excerpt
from tests.factories import DATA, bgzf_compress

HEADER = (b"##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n"
          b'##FORMAT=<ID=GT,Number=1,Type=String,Description="g">\n'
          b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n")
RECORD = b"chr1\t100\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\n"


@pytest.mark.parametrize(("fixture", "message"), [
    ("blank_trailing_line.vcf", r"line 6 is blank \(at the end of the file\)"),
    ("undeclared_contig_bad_pos.vcf", r"line 5 has a POS that is not a whole number"),
    ("second_chrom_line.vcf", r"line 6 is a second '#CHROM' line"),
    ("meta_line_after_records.vcf", r"line 6 is a header line \('#'\), but it comes after the records"),
    ("non_utf8_chrom.vcf", r"line 5 contains a byte that is not UTF-8 text \(0xFF\)"),
    ("empty_pos.vcf", r"line 5 has an empty POS column"),
    ("empty_ref.vcf", r"line 5 has an empty REF column"),
    ("empty_alt.vcf", r"line 5 has an empty ALT column"),
    ("allele_index_beyond_alt.vcf", r"genotype allele 3 at record 1, but only 1 ALT allele"),
    ("end_before_pos.vcf", r"END=50 before POS=100 at record 1"),
])
def test_known_crashers_and_silent_misreads_are_refused_with_the_line(fixture: str, message: str) -> None:
    with pytest.raises(VcfReadError, match=message):
        read_patient(DATA / fixture)


@pytest.mark.parametrize("compress", [gzip.compress, bgzf_compress])
def test_nul_bytes_after_the_header_of_a_gzip_are_refused(tmp_path: Path, compress: object) -> None:
    path = tmp_path / "nul_after_header.vcf.gz"
    path.write_bytes(compress(HEADER + RECORD + b"\0" * 5000))  # type: ignore[operator]
    with pytest.raises(VcfReadError, match=r"line 6 contains a NUL byte"):
        read_patient(path)


def test_crlf_file_is_checked_and_read_in_one_pass(tmp_path: Path) -> None:
    path = tmp_path / "crlf.vcf.gz"
    path.write_bytes(gzip.compress((HEADER + RECORD).replace(b"\n", b"\r\n")))
    assert read_patient(path, qc_records=10).qc.records == 1
    path.write_bytes(gzip.compress((HEADER + RECORD + b"\n").replace(b"\n", b"\r\n")))
    with pytest.raises(VcfReadError, match=r"line 6 is blank"):
        read_patient(path)


def test_pos_zero_is_allowed_as_the_specification_says() -> None:
    check_vcf_text(io.BytesIO(HEADER + RECORD.replace(b"\t100\t", b"\t0\t")), "t.vcf", limit=1 << 20)


@pytest.mark.parametrize(("body", "message"), [
    (RECORD.replace(b"\t100\t", b"\t1e5\t"), r"line 5 has a POS that is not a whole number"),
    (RECORD.replace(b"\t100\t", b"\t" + b"9" * 19 + b"\t"), r"line 5 has a POS that is not a whole number"),
    (RECORD.replace(b"chr1", b""), r"line 5 has an empty CHROM column"),
    (b"chr1\t100\t.\tA\tG\t.\tPASS\n", r"line 5 has 7 tab-separated columns"),
    (RECORD + b"\n" + RECORD, r"line 6 is blank \(between records\)"),
])
def test_malformed_fixed_columns_name_the_line(body: bytes, message: str) -> None:
    with pytest.raises(VcfReadError, match=message):
        check_vcf_text(io.BytesIO(HEADER + body), "t.vcf", limit=1 << 20)


def test_a_defect_past_the_first_chunk_names_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("genolens.genome.vcf_check.CHUNK_BYTES", 100)  # lines straddle chunk borders
    good = b"".join(RECORD.replace(b"\t100\t", f"\t{100 + i}\t".encode()) for i in range(50))
    check_vcf_text(io.BytesIO(HEADER + good), "t.vcf", limit=1 << 20)
    with pytest.raises(VcfReadError, match=r"line 55 has an empty REF column"):
        check_vcf_text(io.BytesIO(HEADER + good + RECORD.replace(b"\tA\t", b"\t\t")), "t.vcf", limit=1 << 20)


def test_limits_name_what_was_passed() -> None:
    small = InputLimits(max_line_bytes=64, max_samples=2)
    with pytest.raises(VcfReadError, match=r"line 5 is longer than 64 bytes"):
        check_vcf_text(io.BytesIO(HEADER + RECORD[:-1] + b"x" * 100 + b"\n"), "t.vcf", limit=1 << 20, limits=small)
    three = HEADER.replace(b"S1\n", b"S1\tS2\tS3\n")
    with pytest.raises(VcfReadError, match=r"more than 2 sample columns"):
        check_vcf_text(io.BytesIO(three), "t.vcf", limit=1 << 20, limits=small)
    with pytest.raises(VcfReadError, match=r"expands to more than 100 bytes .* over 10 times"):
        check_vcf_text(io.BytesIO(HEADER + RECORD), "t.vcf.gz", limit=100, compressed_size=10)
    assert InputLimits().decompressed_limit(60 << 20) == 3000 << 20  # a whole-genome VCF.gz (~4.3x) fits
    assert InputLimits().decompressed_limit(1 << 20) == 64 << 20


def test_messages_never_carry_markup_from_the_file() -> None:
    assert safe_excerpt("chr1\t100\t<img src=x onerror=alert(7)>`![a](http://x)`") == \
        "chr1 100 ?img src=x onerror=alert?7?????a??http://x??"
