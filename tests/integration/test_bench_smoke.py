"""Every bench/*.py still runs: each is started with --smoke (tiny sizes, the real code path and its baseline)
and must exit 0 and end with its figures. Timings are printed, never asserted. A new bench is picked up by the
glob; a bench may use only genolens's public names."""

from __future__ import annotations

import ast
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import ROOT

BENCHES = sorted((ROOT / "bench").glob("*.py"))
FIGURE = re.compile(r"(\w+)=(\S+)")
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))


def _needs(bench: Path) -> list[pytest.MarkDecorator]:
    """Marks for what a bench needs beyond Python: the browser one is an e2e check."""
    if bench.name in ("ui.py", "load.py"):
        return [pytest.mark.e2e, pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"{CHROMIUM} is absent")]
    if bench.name == "ingest.py":  # it installs bcftools and tabix itself when it may (root), as CI is
        missing = not (shutil.which("bcftools") and shutil.which("bgzip"))
        return [pytest.mark.skipif(missing and os.geteuid() != 0,
                                   reason="bcftools/bgzip absent and not root: apt-get install bcftools tabix")]
    if bench.name == "cohort.py":  # it installs plink2 itself when it may (root), as CI is (make system-test-deps)
        return [pytest.mark.slow,  # two LocalCluster jobs and plink2 on 40 simulated samples: 1-6 min on 2 busy cores
                pytest.mark.skipif(not shutil.which("plink2") and os.geteuid() != 0,
                                   reason="plink2 absent and not root: apt-get install plink2")]
    return []


def test_the_glob_finds_the_benches() -> None:
    assert {"predict.py", "explain.py", "ingest.py", "ui.py", "cohort.py"} <= {b.name for b in BENCHES}


@pytest.mark.parametrize("bench", [pytest.param(b, marks=_needs(b), id=b.name) for b in BENCHES])
def test_bench_runs_in_smoke_mode_and_prints_its_figures(bench: Path) -> None:
    # the timeout only stops a hung run (a browser that never settles); nothing here judges speed
    done = subprocess.run([sys.executable, str(bench), "--smoke"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{bench.name} --smoke exited {done.returncode}:\n{output[-4000:]}"
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    figures = dict(FIGURE.findall(last))
    assert figures and FIGURE.sub("", last).strip() == "", f"{bench.name} did not end with its figures: {last!r}"
    assert all(math.isfinite(float(v)) for v in figures.values()), f"{bench.name}: {last!r}"
    print(f"{bench.name}: {last}")


@pytest.mark.parametrize("bench", BENCHES, ids=lambda b: b.name)
def test_bench_imports_no_private_genolens_name(bench: Path) -> None:
    private = []
    for node in ast.walk(ast.parse(bench.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "genolens":
            private += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
            private += [node.module] if any(p.startswith("_") for p in (node.module or "").split(".")) else []
        elif isinstance(node, ast.Import):
            private += [a.name for a in node.names
                        if a.name.split(".")[0] == "genolens" and any(p.startswith("_") for p in a.name.split("."))]
    assert not private, f"{bench.name} imports private genolens names: {private}"
