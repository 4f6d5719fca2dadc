"""A command imports only what it does, and reads each bundle file once (issue 13: a CLI that starts at once).

The import checks run the real ``python -m genolens ...`` with ``-X importtime`` (every module the process
imported, as CPython reports it); the read counts run the CLI in-process with ``open`` counted. No timing is
asserted: the CPU seconds are measured by ``bench/predict.py`` and ``bench/explain.py``.
"""

from __future__ import annotations

import builtins
import collections
import contextlib
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genolens.cli import main
from genolens.modeling.bundle import MODELS_DIR, bundle_paths
from tests.factories import DEMO, ROOT

PATIENT = DEMO / "brca1_185delAG_carrier.vcf.gz"
DETAILS = DEMO / "details.toml"
HEAVY = ("torch", "captum", "matplotlib")


def _imported(*args: str) -> tuple[set[str], str]:
    """The top-level packages ``python -X importtime -m genolens ARGS`` imported, and what it printed."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "genolens", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    names = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in done.stderr.splitlines()
             if line.startswith("import time:") and "|" in line}
    assert "genolens" in names and "json" in names, "importtime printed nothing: the check would see nothing"
    return names, done.stdout


def test_predict_imports_neither_torch_nor_captum_nor_matplotlib() -> None:
    names, out = _imported("predict", str(PATIENT), "--details", str(DETAILS), "--json")
    record = json.loads(out)
    assert set(record["predictions"]) == {p.parent.name for p in bundle_paths()}, "every bundle must predict"
    assert not names & set(HEAVY), sorted(names & set(HEAVY))


def test_inspect_does_not_import_torch() -> None:
    names, out = _imported("inspect", str(PATIENT), "--json")
    assert json.loads(out)["sample"] == "DEMO_BRCA1"
    assert not names & set(HEAVY), sorted(names & set(HEAVY))


def test_explain_runs_captum_without_matplotlib() -> None:
    names, out = _imported("explain", str(PATIENT), "--model", "breast_cancer", "--details", str(DETAILS), "--json")
    assert json.loads(out)["ledger"], "the explanation must have a ledger"
    assert {"torch", "captum"} <= names
    assert "matplotlib" not in names


def test_warfarin_predict_does_not_import_captum() -> None:
    names, out = _imported("predict", str(DEMO / "warfarin_sensitive_vkorc1_cyp2c9.vcf.gz"), "--model",
                           "warfarin_dose", "--details", str(DETAILS), "--json")
    assert json.loads(out)["dose_mg_per_week"] is not None
    assert "captum" not in names and "matplotlib" not in names


@contextlib.contextmanager
def _opens_counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[collections.Counter[Path]]:
    """Count every ``open`` (builtins and io, as pathlib and numpy call them) of a file under ``models/``."""
    counts: collections.Counter[Path] = collections.Counter()
    real = builtins.open

    def counting(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | Path) and Path(file).resolve().is_relative_to(MODELS_DIR):
            counts[Path(file).resolve().relative_to(MODELS_DIR)] += 1
        return real(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting)
    monkeypatch.setattr(io, "open", counting)
    yield counts


def _run_cli(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(args)) == 0
    record: dict[str, Any] = json.loads(out.getvalue())
    return record


def test_predict_reads_each_bundle_file_once(monkeypatch: pytest.MonkeyPatch) -> None:
    with _opens_counted(monkeypatch) as counts:
        record = _run_cli("predict", str(PATIENT), "--details", str(DETAILS), "--json")
    shipped = [p.relative_to(MODELS_DIR) for p in bundle_paths()]
    assert set(record["predictions"]) == {p.parent.name for p in shipped}
    for folder in shipped:
        for name in ("card.toml", "weights.pt", "reference.npz"):
            assert counts[folder / name] == 1, f"{folder / name} read {counts[folder / name]} times"
    assert max(counts.values()) == 1, {str(k): v for k, v in counts.items() if v > 1}


def test_explain_reads_only_its_own_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    with _opens_counted(monkeypatch) as counts:
        _run_cli("explain", str(PATIENT), "--model", "breast_cancer", "--details", str(DETAILS), "--json")
    weights = {k for k in counts if k.name == "weights.pt"}
    assert {k.parent.parent.name for k in weights} == {"breast_cancer"}
    assert max(counts.values()) == 1, {str(k): v for k, v in counts.items() if v > 1}


def test_an_unknown_model_is_named_with_the_choices_and_nothing_is_loaded(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with _opens_counted(monkeypatch) as counts:
        assert main(["explain", str(PATIENT), "--model", "breast_cancerr", "--json"]) == 2
    err = capsys.readouterr().err
    names = ", ".join([*(p.parent.name for p in bundle_paths()), "warfarin_dose"])
    assert err.strip() == f"error: Model 'breast_cancerr' unknown. Choose from: {names}."
    assert not any(k.name == "weights.pt" for k in counts)
