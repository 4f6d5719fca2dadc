"""The start-up sweep of temporary folders a crashed or killed server left behind.

Each test builds fake folders in a private temp dir; times are given explicitly (``now``), so no
test depends on the clock. A dead process id comes from a child that has exited and been reaped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from genolens.genome import spool
from genolens.genome.spool import OWNER_FILE, STALE_AFTER_S, spooled_upload, sweep_stale_uploads

NOW = 1_900_000_000.0  # a fixed "now", seconds since the epoch


def dead_pid() -> int:
    """The id of a process that has exited and been reaped (so no process has it, barring reuse)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    try:
        os.kill(child.pid, 0)
    except ProcessLookupError:
        return child.pid
    pytest.skip("the exited child's process id was reused at once")


def folder(tmp: Path, name: str, *, age_s: float, owner: int | None = None) -> Path:
    path = tmp / name
    path.mkdir()
    (path / "patient.vcf").write_text("##fileformat=VCFv4.2\n")
    if owner is not None:
        (path / OWNER_FILE).write_text(str(owner))
    os.utime(path, (NOW - age_s, NOW - age_s))
    return path


def test_upload_folder_of_a_dead_server_is_removed_even_when_young(tmp_path: Path) -> None:
    left = folder(tmp_path, "genolens-upload-dead", age_s=5, owner=dead_pid())
    assert sweep_stale_uploads(tmp_path, now=NOW) == [left]
    assert not left.exists()


def test_upload_folder_of_a_live_process_is_kept_even_when_old(tmp_path: Path) -> None:
    parent = os.getppid()  # alive: it started this test run
    kept = folder(tmp_path, "genolens-upload-live", age_s=10 * STALE_AFTER_S, owner=parent)
    assert sweep_stale_uploads(tmp_path, now=NOW) == []
    assert (kept / "patient.vcf").is_file()


def test_folder_of_this_process_id_from_before_it_started_is_removed(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # A restarted container gives the new server the old one's id: the folder's age tells them apart.
    monkeypatch.setattr(spool, "_STARTED", NOW)
    before = folder(tmp_path, "genolens-upload-before", age_s=60, owner=os.getpid())
    during = folder(tmp_path, "genolens-upload-during", age_s=-60, owner=os.getpid())
    assert sweep_stale_uploads(tmp_path, now=NOW) == [before]
    assert during.is_dir()


def test_folders_without_an_owner_go_by_age(tmp_path: Path) -> None:
    old = folder(tmp_path, "genolens-worker-old", age_s=STALE_AFTER_S + 1)
    old_read = folder(tmp_path, "genolens-read-old", age_s=2 * STALE_AFTER_S)
    young = folder(tmp_path, "genolens-worker-young", age_s=STALE_AFTER_S - 1)
    unreadable = folder(tmp_path, "genolens-upload-garbled", age_s=STALE_AFTER_S - 1)
    (unreadable / OWNER_FILE).write_text("not a pid")
    os.utime(unreadable, (NOW - STALE_AFTER_S + 1, NOW - STALE_AFTER_S + 1))
    assert sweep_stale_uploads(tmp_path, now=NOW) == sorted([old, old_read])
    assert young.is_dir() and unreadable.is_dir()
    assert sweep_stale_uploads(tmp_path, now=NOW, max_age_s=0.5) == sorted([young, unreadable])


def test_other_names_files_and_links_are_left_alone(tmp_path: Path) -> None:
    other = folder(tmp_path, "someone-else-upload-x", age_s=10 * STALE_AFTER_S)
    plain = tmp_path / "genolens-upload-a-file"
    plain.write_text("not a folder")
    os.utime(plain, (NOW - 10 * STALE_AFTER_S,) * 2)
    target = folder(tmp_path, "kept-target", age_s=10 * STALE_AFTER_S)
    link = tmp_path / "genolens-upload-link"
    link.symlink_to(target, target_is_directory=True)
    assert sweep_stale_uploads(tmp_path, now=NOW) == []
    assert other.is_dir() and plain.is_file() and link.is_symlink() and (target / "patient.vcf").is_file()


def test_a_live_upload_is_not_swept_and_its_folder_names_its_owner(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    with spooled_upload(b"##fileformat=VCFv4.2\n", "patient.vcf") as path:
        assert (path.parent / OWNER_FILE).read_text() == str(os.getpid())
        assert path.parent.name.startswith(spool.UPLOAD_PREFIX)
        assert sweep_stale_uploads(tmp_path, now=NOW + 10 * STALE_AFTER_S) == []
        assert path.is_file()
    assert list(tmp_path.iterdir()) == []


def test_a_missing_temp_dir_sweeps_nothing(tmp_path: Path) -> None:
    assert sweep_stale_uploads(tmp_path / "absent", now=NOW) == []


def test_the_dashboard_sweeps_once_per_server_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from components import startup

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    startup.sweep_temp_folders.clear()
    first = folder(tmp_path, "genolens-upload-first", age_s=0, owner=dead_pid())
    try:
        assert startup.sweep_temp_folders() == (first.name,)
        later = folder(tmp_path, "genolens-upload-later", age_s=0, owner=dead_pid())
        assert startup.sweep_temp_folders() == (first.name,)  # the cached answer: no second sweep
        assert later.is_dir() and not first.exists()
    finally:
        startup.sweep_temp_folders.clear()
