"""An index GenoLens builds for a bgzipped file without one is built once per upload: later reads of the same
bytes (another sample, build or policy) find it in the private index folder, named by the file's SHA-256.

An index is built only when the text check could not keep the panel records itself (module vcf_prefilter): here,
a gVCF whose reference blocks are more than a tenth of its text (:func:`_gvcf`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from genolens.genome import vcf
from genolens.genome.isolated import read_patient_isolated
from genolens.genome.patient import read_patient
from tests.factories import DATA, bgzf_compress


def _bgzipped(tmp_path: Path, name: str, text: bytes) -> tuple[Path, str]:
    path = tmp_path / name
    path.write_bytes(bgzf_compress(text))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def _gvcf(name: str) -> bytes:
    """A fixture VCF with 2.4 MB of chr10 reference blocks (after its chr10 records), so the prefilter gives up."""
    lines = (DATA / name).read_text().splitlines(keepends=True)
    head = [ln for ln in lines if ln.startswith("#")]
    head.insert(-1, '##ALT=<ID=NON_REF,Description="Any other allele">\n')
    head.insert(-1, '##INFO=<ID=END,Number=1,Type=Integer,Description="End of the block">\n')
    records = [ln for ln in lines if not ln.startswith("#")]
    chr10 = [ln for ln in records if ln.startswith("chr10\t")]
    if not any(ln.startswith("##contig=<ID=chr10,") for ln in head):
        head.insert(-1, "##contig=<ID=chr10,length=133797422>\n")
    blocks = [f"chr10\t{start}\t.\tA\t<NON_REF>\t.\tPASS\tEND={start + 9}\tGT\t0/0\n"
              for start in range(100_000_000, 100_400_000, 10)]
    rest = [ln for ln in records if not ln.startswith("chr10\t")]
    return "".join(head + chr10 + blocks + rest).encode()


def _count_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    built: list[str] = []
    real = vcf._HTS.bcf_index_build3

    def counting(path: bytes, out: bytes, min_shift: int, threads: int) -> int:
        built.append(out.decode())
        return int(real(path, out, min_shift, threads))

    monkeypatch.setattr(vcf._HTS, "bcf_index_build3", counting)
    return built


def test_second_read_of_the_same_bytes_reuses_the_index_and_reads_the_same_calls(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = _count_builds(monkeypatch)
    path, sha = _bgzipped(tmp_path, "pgx_cyp2c19_2_17_no_index.vcf.gz", _gvcf("pgx_cyp2c19_2_17.vcf"))
    folder = tmp_path / "indexes"
    folder.mkdir(mode=0o700)
    first = read_patient(path, sha256=sha, index_dir=folder)
    assert "index built by GenoLens" in first.read_mode and len(built) == 1
    assert [p.name for p in folder.iterdir()] == [f"{sha}-{path.stat().st_size}.tbi"]
    second = read_patient(path, sha256=sha, index_dir=folder, absent="reference")
    assert len(built) == 1  # not built again
    assert second.read_mode == first.read_mode  # the same words: a report never depends on what was cached
    assert [s.genotype for r in second.panels for s in r.sites] == [s.genotype for r in first.panels for s in r.sites]


def test_other_bytes_under_the_same_name_get_their_own_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = _count_builds(monkeypatch)
    folder = tmp_path / "indexes"
    folder.mkdir(mode=0o700)
    a, sha_a = _bgzipped(tmp_path, "upload.vcf.gz", _gvcf("pgx_cyp2c19_2_17.vcf"))
    read_patient(a, sha256=sha_a, index_dir=folder)
    b, sha_b = _bgzipped(tmp_path, "upload.vcf.gz", _gvcf("pgx_dpyd_2a_het.vcf"))
    assert "index built by GenoLens" in read_patient(b, sha256=sha_b, index_dir=folder).read_mode
    assert len(list(folder.iterdir())) == 2 and len(built) == 2


def test_without_a_hash_no_index_is_kept(tmp_path: Path) -> None:
    path, _ = _bgzipped(tmp_path, "no_hash.vcf.gz", _gvcf("pgx_cyp2c19_2_17.vcf"))
    folder = tmp_path / "indexes"
    folder.mkdir(mode=0o700)
    read_patient(path, index_dir=folder)
    assert list(folder.iterdir()) == []


def test_the_dashboards_worker_reads_reuse_one_index_per_upload(tmp_path: Path) -> None:
    path, sha = _bgzipped(tmp_path, "upload_in_worker.vcf.gz", _gvcf("pgx_cyp2c19_2_17.vcf"))
    first = read_patient_isolated(path, sha256=sha)
    second = read_patient_isolated(path, sha256=sha, build="GRCh38")
    assert "index built by GenoLens" in first.read_mode
    assert second.read_mode == first.read_mode
    assert [s.genotype for r in second.panels for s in r.sites] == [s.genotype for r in first.panels for s in r.sites]
