"""Error messages for htslib/cyvcf2 failures: what is wrong with the file, where, and what to do."""

from __future__ import annotations

import gzip
import re
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
        at += f" ({safe_excerpt(where, 40)})"
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


def allele_error(info: VcfInfo, n: int | None, allele: int, n_alts: int) -> VcfReadError:
    """The error for a genotype naming allele ``allele`` in a record (``n``, 1-based) with ``n_alts`` ALT alleles."""
    at = f"record {n:,}" if n is not None else "a record"
    return VcfReadError(
        f"'{Path(info.path).name}' has a genotype allele {allele} at {at}, but only {n_alts} ALT allele(s) "
        f"there, so the genotype names an allele that does not exist. Fix that record's GT or ALT column "
        "(`bcftools norm` cannot repair it) and load the file again."
    )


def end_error(info: VcfInfo, n: int | None, pos: int, end: int) -> VcfReadError:
    """The error for a record (``n``, 1-based) whose INFO END lies before its POS."""
    at = f"record {n:,}" if n is not None else "a record"
    return VcfReadError(
        f"'{Path(info.path).name}' has END={end:,} before POS={pos:,} at {at}: a record cannot end before it "
        "starts. Fix that record's END (or POS) and load the file again."
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
                    return safe_excerpt(raw.decode("utf-8", "replace"))
    except (OSError, EOFError, zlib.error):
        return ""
    return ""


def safe_excerpt(text: str, width: int = 60) -> str:
    """At most ``width`` characters of file content, each a letter, digit, space or one of ``.:_-/|,;=*``.

    Anything else (markup, quotes, control or non-ASCII characters) becomes ``?``, so a message can show
    where a problem is without carrying what an untrusted file wrote.
    """
    flat = text.rstrip("\r\n").replace("\t", " ")
    kept = "".join(c if c.isascii() and (c.isalnum() or c in " .:_-/|,;=*") else "?" for c in flat[:width])
    return kept + ("..." if len(flat) > width else "")


def _short(exc: BaseException) -> str:
    """htslib's message, first line, with folders dropped from any path and file content made inert."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return safe_excerpt(re.sub(r"(?:/[^/\s]*)*/", "", text), 160)
