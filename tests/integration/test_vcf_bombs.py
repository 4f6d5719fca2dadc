"""Decompression, line and sample-count bombs are refused early, with bounded memory.

Each bomb is generated in tmp_path at test time (never committed) by streaming compression, and read in a
fresh subprocess that reports its peak RSS growth over the read (``/proc/self/status`` VmHWM, reset
through ``/proc/self/clear_refs`` before it): the text check must refuse the file long before the end,
holding at most a chunk and one line.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import ROOT, line_bomb, records_bomb, samples_bomb

RSS_GROWTH_LIMIT_MB = 200  # the bound on server memory growth for a bomb


def _read_in_subprocess(path: Path) -> dict[str, object]:
    code = f"""
import json, time
from genolens.errors import VcfReadError
from genolens.genome.patient import read_patient
def status(key):
    return next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith(key))  # KiB
before = status("VmRSS:")
open("/proc/self/clear_refs", "w").write("5")  # peak RSS (VmHWM) restarts from the current RSS
start = time.monotonic()
try:
    read_patient({str(path)!r})
    message = None
except VcfReadError as exc:
    message = str(exc)
after = status("VmHWM:")
print(json.dumps({{"message": message, "rss_growth_mb": (after - before) / 1024, "seconds": time.monotonic() - start}}))
"""
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=600, check=True)
    result: dict[str, object] = json.loads(run.stdout.decode().strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(("make", "message"), [
    (records_bomb, r"expands to more than [\d.]+ MB when decompressed, over [\d,]+ times the compressed data read"),
    (line_bomb, r"line 5 is longer than 16 MB, the longest line GenoLens reads"),
    (samples_bomb, r"line 4 is longer than 16 MB"),
])
def test_bombs_are_refused_early_with_bounded_memory(tmp_path: Path, make: object, message: str) -> None:
    path = tmp_path / "bomb.vcf.gz"
    expanded = make(path)  # type: ignore[operator]
    assert expanded > 80 << 20 and path.stat().st_size < 40 << 20
    result = _read_in_subprocess(path)
    print(f"{make.__name__}: {path.stat().st_size / 2**20:.1f} MB expanding to {expanded / 2**30:.1f} GB: "  # type: ignore[attr-defined]
          f"{result}")
    assert result["message"] is not None
    assert re.search(message, str(result["message"])), result["message"]
    assert float(result["rss_growth_mb"]) <= RSS_GROWTH_LIMIT_MB  # type: ignore[arg-type]
