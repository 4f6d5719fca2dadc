"""Reading containers and damaged files: every failure is a VcfReadError that says what to do."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from genolens.errors import GenoLensError, SampleError, VcfReadError
from genolens.genome.patient import list_samples, read_patient
from genolens.genome.spool import spooled_upload
from genolens.genome.vcf import open_vcf
from tests.factories import DATA, bgzf_compress


def _dosages(path: Path, **kw: object) -> dict[str, float | None]:
    p = read_patient(path, **kw)  # type: ignore[arg-type]
    return {s.rsid: s.dosage for r in p.panels for s in r.sites if s.status != "absent"}


def test_plain_gzip_bgzip_and_indexed_reads_agree(tmp_path: Path) -> None:
    text = (DATA / "absent_vs_nocall_vs_filtered_vs_refblock.vcf").read_bytes()
    plain = _dosages(DATA / "absent_vs_nocall_vs_filtered_vs_refblock.vcf")
    gz = tmp_path / "patient.vcf.gz"
    gz.write_bytes(gzip.compress(text))
    bgz = tmp_path / "patient.bgz.vcf.gz"
    bgz.write_bytes(bgzf_compress(text))
    assert _dosages(gz) == plain
    p = read_patient(bgz)
    assert p.read_mode.startswith("one pass over the text")  # no index: the check kept the panel records
    assert p.info.compression == "bgzf"
    assert _dosages(bgz) == plain
    assert not list(tmp_path.glob("*.csi")), "the index is built privately, not beside the user's file"


def test_unsorted_bgzip_file_is_read_in_one_pass_and_said_unsorted(tmp_path: Path) -> None:
    bgz = tmp_path / "unsorted.vcf.gz"
    bgz.write_bytes(bgzf_compress((DATA / "unsorted_records.vcf").read_bytes()))
    p = read_patient(bgz)
    assert p.read_mode.startswith("one pass over the text")
    assert any(w.startswith("Records are not sorted") for w in p.qc.warnings)
    assert _dosages(bgz) == _dosages(DATA / "unsorted_records.vcf")


def test_file_truncated_mid_block_is_refused(tmp_path: Path) -> None:
    text = (DATA / "absent_vs_nocall_vs_filtered_vs_refblock.vcf").read_bytes()
    body = text + b"".join(
        f"chr1\t{98_000_000 + i}\t.\tA\tG\t50\tPASS\t.\tGT:GQ:DP\t0/1:50:30\n".encode() for i in range(5000)
    )
    whole = bgzf_compress(body, block=20_000)
    cut = tmp_path / "truncated.vcf.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(VcfReadError, match="truncated"):
        read_patient(cut)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"foo\n", "does not look like a VCF"),
    (b"\x00\x01\x02binary junk" * 10, "does not look like a VCF"),
    (b"##fileformat=VCFv4.2\nchr1\t1\t.\tA\tG\t.\t.\t.\n", "line 2 is a record, but no '#CHROM' header line"),
    (b"\x1f\x8b\x08\x00garbage that is not deflate", "cannot be decompressed"),
])
def test_bad_files_get_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    bad = tmp_path / "bad.vcf"
    bad.write_bytes(content)
    with pytest.raises(VcfReadError, match=message):
        read_patient(bad)


def test_index_file_given_instead_of_vcf(tmp_path: Path) -> None:
    tbi = tmp_path / "x.vcf.gz.tbi"
    tbi.write_bytes(gzip.compress(b"TBI\x01" + b"\x00" * 40))
    with pytest.raises(VcfReadError, match="index, not a VCF"):
        read_patient(tbi)


def test_malformed_record_names_the_record() -> None:
    with pytest.raises(VcfReadError, match=r"line 5 has a POS that is not a whole number"):
        read_patient(DATA / "malformed_upload.vcf")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(VcfReadError, match="does not exist"):
        read_patient(tmp_path / "nope.vcf")
    with pytest.raises(VcfReadError, match="is a folder"):
        read_patient(tmp_path)


def test_samples_are_listed_and_the_caller_picks_one() -> None:
    assert list_samples(DATA / "multiallelic_tpmt.vcf") == ("HET_3C_41", "HOM_41", "HET_3C")
    with pytest.raises(SampleError, match="3 samples; choose one: HET_3C_41, HOM_41, HET_3C"):
        read_patient(DATA / "multiallelic_tpmt.vcf")
    with pytest.raises(SampleError, match="Sample 'NA12878' is not in this VCF; samples present: HET_3C_41"):
        read_patient(DATA / "multiallelic_tpmt.vcf", sample="NA12878")


def test_duplicate_sample_names_are_refused_by_name() -> None:
    with pytest.raises(VcfReadError, match=r"same sample column twice \(NA12878\)"):
        list_samples(DATA / "duplicate_sample_names.vcf")


def test_upload_is_spooled_privately_and_deleted() -> None:
    data = (DATA / "chr_prefix_mismatch.vcf").read_bytes()
    with spooled_upload(data, "../../etc/evil name.vcf") as path:
        assert path.read_bytes() == data
        assert path.parent.stat().st_mode & 0o077 == 0
        assert path.name == "etc_evil_name.vcf" or path.name == "evil_name.vcf"
        p = read_patient(path, source_name="evil name.vcf")
    assert not path.exists() and not path.parent.exists()
    assert p.source_name == "evil name.vcf"


def test_private_workdir_is_removed_after_reading(tmp_path: Path) -> None:
    bgz = tmp_path / "p.vcf.gz"
    bgz.write_bytes(bgzf_compress((DATA / "chr_prefix_mismatch.vcf").read_bytes()))
    with open_vcf(bgz) as vf:
        records, mode = vf.read_sites(0, [("10", 94781859)])
        workdir = vf._workdir
        assert workdir.exists()
    assert not workdir.exists()
    assert mode.startswith("region queries")
    assert [r.gt_text for r in records[("10", 94781859)]] == ["1/1"]


def test_every_error_is_a_genolens_error() -> None:
    assert issubclass(VcfReadError, GenoLensError) and issubclass(SampleError, GenoLensError)


def test_vcf44_explicit_phase_prefix_is_read_with_the_separators_between_alleles() -> None:
    # VCF 4.4 writes the first allele's phase as a prefix ("/0|1", "|1"); cyvcf2 0.35's htslib refuses it.
    # The reader drops only the prefix (in a private copy), so the calls between alleles read as written.
    path = DATA / "vcf44_explicit_phase_prefix.vcf"
    with open_vcf(path) as vf:
        a, _ = vf.read_sites(0, [("1", 1000), ("1", 2000)])
        b, _ = vf.read_sites(1, [("1", 1000), ("1", 2000)])
    assert [(r.gt, r.phased) for r in a[("1", 1000)] + a[("1", 2000)]] == [((0, 1), True), ((0, 1), False)]
    assert [(r.gt, r.phased) for r in b[("1", 1000)] + b[("1", 2000)]] == [((1,), False), ((0, 1), False)]


def _phase(path: Path, samples: int) -> list[tuple[str | None, int | None]]:
    with open_vcf(path) as vf:
        return [(r.gt_text, r.ps) for i in range(samples) for r in vf.read_sites(i, [("1", 1000)])[0][("1", 1000)]]


def test_phase_set_is_read_for_phased_genotypes_only() -> None:
    # VCF 4.3 FORMAT/PS: phased genotypes without PS form one set; PS of an unphased genotype is ignored.
    assert _phase(DATA / "phase_set_ps_integer.vcf", 4) == [("0|1", 1000), ("0|1", None), ("0|1", None),
                                                           ("0/1", None)]


def test_phase_set_declared_as_text_is_read_whole_and_an_unreadable_one_unphases_the_genotype() -> None:
    # Undeclared, htslib reads PS as a String: 98765 must not become its first character. A PS that is not a
    # non-negative integer cannot be told apart from other sets, so no cis/trans is read from it.
    assert _phase(DATA / "phase_set_ps_undeclared.vcf", 3) == [("0|1", 98765), ("0/1", None), ("0|1", None)]
