"""The server folder offers and opens only regular VCF files inside it, after every link is followed; no message
shows a server path or a byte of a server file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import config
from tests.factories import DATA, ROOT

GOOD = DATA / "qc_counts.vcf"
PASSWD_LIKE = b"root:*:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\n"

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A server folder with one good VCF and every kind of thing that must not be offered."""
    inside = tmp_path / "server"
    inside.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copy(GOOD, inside / "good.vcf")
    (outside / "secret.vcf").write_bytes(PASSWD_LIKE)
    (inside / "passwd.vcf").symlink_to("/etc/passwd")
    (inside / "outside.vcf").symlink_to(outside / "secret.vcf")
    (inside / "upward.vcf").symlink_to(Path("..") / "elsewhere" / "secret.vcf")
    os.mkfifo(inside / "fifo.vcf")
    (inside / "folder.vcf").mkdir()
    (inside / "zero.vcf").symlink_to("/dev/zero")
    (inside / "loop_a.vcf").symlink_to(inside / "loop_b.vcf")
    (inside / "loop_b.vcf").symlink_to(inside / "loop_a.vcf")
    (inside / "dangling.vcf").symlink_to(inside / "gone.vcf")
    (inside / "notes.txt").write_text("not offered: not a VCF name")
    return inside


def test_only_the_regular_file_inside_is_listed(folder: Path) -> None:
    assert config.server_vcf_files(folder) == [(folder / "good.vcf").resolve()]


@pytest.mark.parametrize("entry", ["passwd.vcf", "outside.vcf", "upward.vcf", "fifo.vcf", "folder.vcf", "zero.vcf",
                                   "loop_a.vcf", "dangling.vcf", "nowhere.vcf"])
def test_nothing_but_a_regular_file_inside_passes_the_check(folder: Path, entry: str) -> None:
    assert config.inside(folder, folder / entry) is None


def test_a_link_to_a_file_inside_is_offered_once_by_its_real_name(folder: Path) -> None:
    (folder / "latest.vcf").symlink_to(folder / "good.vcf")
    assert config.server_vcf_files(folder) == [(folder / "good.vcf").resolve()]


def test_a_folder_that_is_missing_or_a_loop_lists_nothing(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    assert config.server_vcf_files(tmp_path / "loop") == []
    assert config.server_vcf_files(tmp_path / "missing") == []
    assert not config.folder_exists(tmp_path / "loop")


def _app(monkeypatch: pytest.MonkeyPatch, folder: Path) -> AppTest:
    monkeypatch.setenv(config.VCF_DIR_ENV, str(folder))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.radio(key="source").set_value("Server folder").run()
    assert not at.exception
    return at


def _shown(at: AppTest) -> str:
    parts = [str(e.value) for kind in ("markdown", "caption", "info", "warning", "error", "success", "subheader")
             for e in getattr(at, kind)]
    parts += [str(s.help or "") for s in at.selectbox] + [str(o) for s in at.selectbox for o in s.options]
    return "\n".join(parts)


def test_the_page_offers_only_the_good_file_and_never_a_server_path(
        monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    at = _app(monkeypatch, folder)
    box = at.selectbox(key="server_file")
    assert box.options == ["good.vcf"]
    at = box.select((folder / "good.vcf").resolve()).run()
    assert not at.exception and not at.error
    assert at.session_state["genolens"].patient.source_name == "good.vcf"
    assert str(folder.parent) not in _shown(at)


def test_a_non_vcf_inside_the_folder_is_refused_without_quoting_it(
        monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    (folder / "shadow.vcf").write_bytes(PASSWD_LIKE)
    at = _app(monkeypatch, folder)
    at.selectbox(key="server_file").select((folder / "shadow.vcf").resolve()).run()
    assert not at.exception
    error = "\n".join(str(e.value) for e in at.error)
    assert "does not look like a VCF" in error and "text of another kind" in error
    assert "root" not in _shown(at) and "20228" not in _shown(at)
    assert str(folder.parent) not in _shown(at)


def test_a_server_link_named_in_the_address_bar_is_not_opened(
        monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setenv(config.VCF_DIR_ENV, str(folder))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update({"source": "server", "file": "passwd.vcf"})
    at.run()
    assert not at.exception and not at.error
    assert at.session_state["genolens"].patient is None
    assert "root" not in _shown(at)


def test_missing_folder_message_names_no_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    at = _app(monkeypatch, tmp_path / "secret_mount" / "patients")
    assert "does not exist" in "\n".join(str(w.value) for w in at.warning)
    assert "secret_mount" not in _shown(at) and str(tmp_path) not in _shown(at)
