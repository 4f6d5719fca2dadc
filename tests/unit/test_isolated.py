"""A read in a worker process: a crash, a timeout or an error ends that read only, and leaves no file behind."""

from __future__ import annotations

import os
import signal
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from genolens.errors import SampleError, VcfReadError
from genolens.genome.isolated import read_patient_isolated, run_isolated
from genolens.genome.patient import patient_to_json, read_patient
from tests.factories import DATA, DEMO


def _write_then_crash(marker: str, progress: Callable[[float, str], None] | None = None) -> None:
    scratch = Path(tempfile.mkdtemp()) / "normalised.vcf"  # what a reader leaves in its temporary folder
    scratch.write_text("patient data")
    Path(marker).write_text(str(scratch))
    if progress:
        progress(0.5, "half way")
    os.kill(os.getpid(), signal.SIGSEGV)


def _sleep(seconds: float, progress: Callable[[float, str], None] | None = None) -> None:
    time.sleep(seconds)


def test_a_crash_becomes_a_read_error_and_the_worker_files_are_removed(tmp_path: Path) -> None:
    marker = tmp_path / "scratch.txt"
    seen: list[tuple[float, str]] = []
    with pytest.raises(VcfReadError, match=r"The VCF reader crashed \(SIGSEGV\) while reading 'x.vcf'"):
        run_isolated(_write_then_crash, (str(marker),), {}, name="x.vcf", timeout=60,
                     progress=lambda f, m: seen.append((f, m)))
    scratch = Path(marker.read_text())
    assert scratch.parent.name.startswith("tmp") and not scratch.parent.parent.exists()
    assert seen == [(0.5, "half way")]


def test_a_read_past_its_time_is_stopped() -> None:
    with pytest.raises(VcfReadError, match=r"Reading 'slow.vcf' took longer than 1 s and was stopped"):
        run_isolated(_sleep, (30.0,), {}, name="slow.vcf", timeout=1)


def test_the_isolated_read_equals_the_in_process_read_and_passes_errors_on() -> None:
    path = DATA / "pgx_cyp2c19_2_17.vcf"
    steps: list[float] = []
    isolated = read_patient_isolated(path, progress=lambda f, _m: steps.append(f))
    direct = read_patient(path)
    assert patient_to_json(isolated) == patient_to_json(direct)
    assert steps[0] == 0.0 and steps[-1] == 1.0
    with pytest.raises(SampleError, match="Sample 'NOBODY' is not in this VCF"):
        read_patient_isolated(path, sample="NOBODY")
    with pytest.raises(VcfReadError, match=r"line 6 is blank"):
        read_patient_isolated(DATA / "blank_trailing_line.vcf")


def test_sample_names_listed_in_a_worker_equal_the_in_process_list_and_errors_pass_on() -> None:
    from genolens.genome.isolated import list_samples_isolated
    from genolens.genome.patient import list_samples

    trio = DEMO / "trio_cyp2c19_brca2.vcf.gz"
    assert list_samples_isolated(trio) == list_samples(trio) and len(list_samples(trio)) == 3
    with pytest.raises(VcfReadError) as in_process:
        list_samples(DATA / "not_a_vcf.txt")
    with pytest.raises(VcfReadError) as isolated:
        list_samples_isolated(DATA / "not_a_vcf.txt")
    assert str(isolated.value) == str(in_process.value)


def _pid(progress: Callable[[float, str], None] | None = None) -> int:
    return os.getpid()


@pytest.fixture
def warm() -> object:
    """Spares on for one test, and off (every spare ended) afterwards."""
    from genolens.genome import isolated

    isolated.keep_worker_warm()
    yield isolated
    isolated._KEEP_WARM[0] = False
    isolated._drop_spares()


def test_a_warm_spare_serves_the_next_call_and_is_replaced(warm: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each call still runs in a process of its own that ends with it; the spare started ahead is that process."""
    iso = warm
    (spare, folder, _), = iso._SPARES  # type: ignore[attr-defined]
    assert spare.poll() is None and Path(folder).is_dir()
    assert run_isolated(_pid, (), {}, name="pid", timeout=60) == spare.pid
    assert spare.poll() is not None and not Path(folder).exists()  # ended, its folder removed
    (second, _, _), = iso._SPARES  # type: ignore[attr-defined]
    assert second.pid != spare.pid and second.poll() is None
    # Changed environment (e.g. new input limits): the spare started before is not used.
    monkeypatch.setenv("GENOLENS_TEST_SPARE", "1")  # a GenoLens setting
    assert run_isolated(_pid, (), {}, name="pid", timeout=60) != second.pid
    assert second.poll() is not None
    (third, _, env), = iso._SPARES  # type: ignore[attr-defined]
    assert env.get("GENOLENS_TEST_SPARE") == "1"
    assert run_isolated(_pid, (), {}, name="pid", timeout=60) == third.pid
