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
import zlib
from pathlib import Path

import pytest

from tests.factories import ROOT

HEADER = (b"##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n"
          b'##FORMAT=<ID=GT,Number=1,Type=String,Description="g">\n')
COLUMNS = b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT"
RSS_GROWTH_LIMIT_MB = 200  # the bound on server memory growth for a bomb


def _member(data: bytes) -> bytes:
    return zlib.compress(data, 9, wbits=31)


def _write(path: Path, parts: list[tuple[bytes, int]]) -> int:
    """Write each (text, times) as one gzip member repeated ``times`` times (concatenated members are one
    gzip stream); return the decompressed size. Only one member per part is ever compressed: fast."""
    size = 0
    with path.open("wb") as out:
        for text, times in parts:
            out.write(_member(text) * times)
            size += len(text) * times
    return size


BLOCK = 4 << 20


def _records_bomb(path: Path) -> int:
    """Valid records only, 8 GB in about 20 MB: nothing but the size tells it from a real file.

    (Deflate expands at most ~1,000 times, so "1 MB to 20 GB" cannot be one stream; the running
    expansion check refuses any such file after a few tens of megabytes either way.)
    """
    record = b"chr1\t100\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\n"
    block = record * (BLOCK // len(record))
    return _write(path, [(HEADER + COLUMNS + b"\tS1\n", 1), (block, (8 << 30) // len(block))])


def _line_bomb(path: Path) -> int:
    """One record whose INFO column is a gigabyte long, in about 1 MB."""
    return _write(path, [(HEADER + COLUMNS + b"\tS1\nchr1\t100\t.\tA\tG\t.\tPASS\tX=", 1),
                         (b"A" * BLOCK, (1 << 30) // BLOCK), (b"\tGT\t0/1\n", 1)])


def _samples_bomb(path: Path) -> int:
    """A #CHROM line naming ten million samples."""
    names = b"".join(b"\tS%07d" % i for i in range(10_000_000))
    return _write(path, [(HEADER + COLUMNS, 1), (names, 1), (b"\n", 1)])


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
    (_records_bomb, r"expands to more than [\d.]+ MB when decompressed, over [\d,]+ times the compressed data read"),
    (_line_bomb, r"line 5 is longer than 16 MB, the longest line GenoLens reads"),
    (_samples_bomb, r"line 4 is longer than 16 MB"),
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
