"""`python -m genolens audit verify LOG`: exit 0 and "ok: N entries" on an intact log, exit 2 naming the line
of an edited, a deleted and a reordered entry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from genolens.audit import append
from tests.factories import ROOT


def _verify(log: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "genolens", "audit", "verify", str(log)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "audit.jsonl"
    for i, action in enumerate(("sign_in", "view_page", "export", "sign_out")):
        append(path, user="a@example.org", role="clinician", action=action, detail=f"n{i}")  # type: ignore[arg-type]
    return path


def test_an_intact_log_exits_0_with_its_count(log: Path) -> None:
    run = _verify(log)
    assert (run.returncode, run.stdout.split(" in ")[0]) == (0, "ok: 4 entries")


@pytest.mark.parametrize(("change", "line"), [
    (lambda ls: [ls[0], ls[1].replace('"n1"', '"n9"'), *ls[2:]], 2),  # edited
    (lambda ls: [ls[0], *ls[2:]], 2),  # deleted
    (lambda ls: [ls[0], ls[2], ls[1], ls[3]], 2),  # reordered
])
def test_a_tampered_log_exits_2_naming_the_line(log: Path, change: object, line: int) -> None:
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text("".join(change(lines)), encoding="utf-8")  # type: ignore[operator]
    run = _verify(log)
    assert run.returncode == 2
    assert run.stdout.startswith("FAILED") and f"line {line}:" in run.stdout
    assert "Traceback" not in run.stderr
