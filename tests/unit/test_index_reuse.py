"""An index GenoLens builds for a bgzipped file without one is built once per upload: later reads of the same
bytes (another sample, build or policy) find it in the private index folder, named by the file's SHA-256."""

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
    path, sha = _bgzipped(tmp_path, "pgx_cyp2c19_2_17_no_index.vcf.gz", (DATA / "pgx_cyp2c19_2_17.vcf").read_bytes())
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
    a, sha_a = _bgzipped(tmp_path, "upload.vcf.gz", (DATA / "pgx_cyp2c19_2_17.vcf").read_bytes())
    read_patient(a, sha256=sha_a, index_dir=folder)
    b, sha_b = _bgzipped(tmp_path, "upload.vcf.gz", (DATA / "pgx_dpyd_2a_het.vcf").read_bytes())
    assert "index built by GenoLens" in read_patient(b, sha256=sha_b, index_dir=folder).read_mode
    assert len(list(folder.iterdir())) == 2 and len(built) == 2


def test_without_a_hash_no_index_is_kept(tmp_path: Path) -> None:
    path, _ = _bgzipped(tmp_path, "no_hash.vcf.gz", (DATA / "pgx_cyp2c19_2_17.vcf").read_bytes())
    folder = tmp_path / "indexes"
    folder.mkdir(mode=0o700)
    read_patient(path, index_dir=folder)
    assert list(folder.iterdir()) == []


def test_the_dashboards_worker_reads_reuse_one_index_per_upload(tmp_path: Path) -> None:
    path, sha = _bgzipped(tmp_path, "upload_in_worker.vcf.gz", (DATA / "pgx_cyp2c19_2_17.vcf").read_bytes())
    first = read_patient_isolated(path, sha256=sha)
    second = read_patient_isolated(path, sha256=sha, build="GRCh38")
    assert "index built by GenoLens" in first.read_mode
    assert second.read_mode == first.read_mode
    assert [s.genotype for r in second.panels for s in r.sites] == [s.genotype for r in first.panels for s in r.sites]
