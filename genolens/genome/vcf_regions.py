"""Region queries: panel sites grouped into regions, and the chromosome spelling the index knows."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from typing import Any

from genolens.datamodel import VcfInfo
from genolens.genome.build import normalise_chrom

Site = tuple[str, int]
"""A requested site: normalised chromosome and 1-based position."""
# Sites this close share one region query: the records between them cost less than a second
# seek and block decompression.
_CLUSTER_GAP = 2_000
QUERY_LOCK = threading.Lock()
"""Held while a query watches for warnings (``warnings.catch_warnings`` is not thread-safe)."""


def file_spellings(reader: Any, info: VcfInfo) -> dict[str, list[str]]:
    """Per normalised chromosome, the names to try: the header's spelling first, then the other.

    The index is keyed on the names the records use, which can differ from the header's
    (``##contig=<ID=chr1>`` with records on ``1``).
    """
    spellings: dict[str, list[str]] = {}
    for n in [*list(reader.seqnames or []), *(c.name for c in info.contigs)]:
        names = spellings.setdefault(normalise_chrom(n), [])
        if n not in names:
            names.append(n)
    for chrom, names in spellings.items():
        for alt in (chrom, f"chr{chrom}", "chrM" if chrom == "MT" else chrom, "M" if chrom == "MT" else chrom):
            if alt not in names:
                names.append(alt)
    return spellings


def region_clusters(sites: Sequence[Site], gap: int = _CLUSTER_GAP) -> list[tuple[str, list[int]]]:
    """Group sorted sites into regions whose neighbouring sites lie within ``gap`` bases."""
    out: list[tuple[str, list[int]]] = []
    for chrom, pos in sorted(sites):
        if out and out[-1][0] == chrom and pos - out[-1][1][-1] <= gap:
            out[-1][1].append(pos)
        else:
            out.append((chrom, [pos]))
    return out


def query_one(reader: Any, spellings: dict[str, list[str]], chrom: str, start: int, end: int) -> list[Any]:
    """Query one region under the spelling the index knows.

    The first query on a chromosome tries each spelling and watches for cyvcf2's "no intervals"
    warning (the index does not know that name); the spelling that works is then used alone, and
    a chromosome the index does not know at all is skipped without further queries.
    """
    names = spellings.setdefault(chrom, [chrom, f"chr{chrom}"])
    if names and names[0].startswith("="):  # settled: "=name" works, "=" means none does
        name = names[0][1:]
        return list(reader(f"{name}:{start}-{end}")) if name else []
    for name in names:
        with QUERY_LOCK, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            hits = list(reader(f"{name}:{start}-{end}"))
        if not any("no intervals" in str(w.message) for w in caught):
            spellings[chrom] = [f"={name}"]
            return hits
    spellings[chrom] = ["="]
    return []
