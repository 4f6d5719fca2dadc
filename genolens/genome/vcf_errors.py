"""Error messages for htslib/cyvcf2 failures: what is wrong with the file, where, and what to do."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from genolens.datamodel import VcfInfo
from genolens.errors import VcfReadError


def open_error(info: VcfInfo, exc: BaseException) -> VcfReadError:
    """The error for a file htslib cannot open: its header is malformed or incomplete."""
    name = Path(info.path).name
    return VcfReadError(
        f"'{name}' cannot be opened as a {info.kind.upper()}: its header is malformed or incomplete "
        f"(htslib: {_short(exc)}). Check that the file starts with '##fileformat=VCFv4.x' and has a "
        "'#CHROM' line, or export it again from your pipeline."
    )


def record_error(info: VcfInfo, n: int | None, exc: BaseException, *, where: str = "") -> VcfReadError:
    """The error for record ``n`` (1-based; ``None`` when unknown) at ``where``: damaged data or a malformed line."""
    name = Path(info.path).name
    at = f"record {n:,}" if n is not None else "a record"
    if where:
        at += f" ({where})"
    detail = _short(exc)
    if info.compression != "none" and ("ret: -2" in detail or "BGZF" in detail or "truncat" in detail.lower()):
        return VcfReadError(
            f"'{name}' is damaged or truncated at {at}: the compressed data cannot be read further. "
            "Copy or download the file again."
        )
    line = _body_line(Path(info.path), n, compressed=info.compression != "none") if info.kind != "bcf" else ""
    shown = f": '{line}'" if line else f" ({detail})"
    return VcfReadError(
        f"'{name}' has a malformed {at} that htslib cannot parse{shown}. Fix or remove that record "
        "(`bcftools view` reports the same line) and load the file again."
    )


def _body_line(path: Path, n: int | None, *, compressed: bool) -> str:
    """Return record ``n`` (1-based, header skipped) as text, shortened, or "" when not found."""
    if n is None or n > 1_000_000:
        return ""
    opener: Callable[..., Any] = gzip.open if compressed else open
    try:
        with opener(path, "rb") as fh:
            seen = 0
            for raw in fh:
                if raw.startswith(b"#"):
                    continue
                seen += 1
                if seen == n:
                    text = str(raw.decode("utf-8", "replace")).rstrip("\r\n").replace("\t", " ")
                    return text[:80] + ("..." if len(text) > 80 else "")
    except (OSError, EOFError, zlib.error):
        return ""
    return ""


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
