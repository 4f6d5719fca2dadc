"""Shared fixtures: paths to the tiny fixture VCFs, ../shared, and a BGZF writer for tests."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SHARED = ROOT.parent / "shared"
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def need_shared(*parts: str) -> Path:
    """Return a path under ../shared, or skip the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/{'/'.join(parts)} not present on this machine")
    return path


def bgzf_compress(data: bytes, *, block: int = 60_000, eof: bool = True) -> bytes:
    """Compress ``data`` as BGZF (independent of htslib: RFC 1952 members with the BC extra field)."""
    out = bytearray()
    for i in range(0, len(data), block):
        chunk = data[i : i + block]
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        cdata = comp.compress(chunk) + comp.flush()
        bsize = len(cdata) + 25
        out += b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00BC\x02\x00" + struct.pack("<H", bsize)
        out += cdata + struct.pack("<II", zlib.crc32(chunk) & 0xFFFFFFFF, len(chunk))
    if eof:
        out += BGZF_EOF
    return bytes(out)


@pytest.fixture
def data_dir() -> Path:
    return DATA
