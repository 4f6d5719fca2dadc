"""Tables derived from a patient (pure pandas; the cached wrappers live in ``components.cached``)."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from components.inert import plain as plain  # re-exported: the one escaper (components.inert)
from genolens.datamodel import CALL_STATUSES, PanelResult
from genolens.present import percentile_words as percentile_words  # re-exported for the pages

MATCH_LOG_COLUMNS = ("rsID", "gene", "chrom", "pos", "status", "genotype", "dosage", "GQ", "DP", "PS", "note")

STATUS_MEANING = {
    "called": "genotype called at the site",
    "reference_block": "covered by a gVCF reference block (counts as called, hom-ref)",
    "absent": "site not in the file",
    "no_call": ("site present but no usable genotype (./., or a 0/0 or reference block at GQ 0 or DP 0: "
                "no read supports it)"),
    "filtered": "call failed a FILTER",
    "ref_mismatch": "the file's REF differs from the panel's",
}
"""Plain words for each ``CallStatus`` (legend of the match log)."""


def match_log(result: PanelResult) -> pd.DataFrame:
    """Return the per-site match log of one panel, one row per panel variant, in panel order."""
    rows = [
        {
            "rsID": s.rsid or s.variant_id,
            "gene": s.gene,
            "chrom": s.chrom,
            "pos": s.pos,
            "status": s.status,
            "genotype": s.genotype,
            "dosage": s.dosage,
            "GQ": s.gq,
            "DP": s.dp,
            "PS": s.phase_set,
            "note": s.note,
        }
        for s in result.sites
    ]
    frame = pd.DataFrame(rows, columns=list(MATCH_LOG_COLUMNS))
    frame = frame.astype(
        {"pos": "Int64", "dosage": "Float64", "GQ": "Int64", "DP": "Int64", "PS": "Int64",
         "rsID": "string", "gene": "string", "status": "string", "genotype": "string", "note": "string"}
    )
    order = sorted(set(frame["chrom"].dropna().astype(str)), key=chrom_sort_key)
    frame["chrom"] = pd.Categorical(frame["chrom"], categories=order, ordered=True)
    return frame


_CHROM_RANK = {"X": 23, "Y": 24, "M": 25, "MT": 25}


def chrom_sort_key(chrom: str) -> tuple[int, str]:
    """Natural order of chromosome names: 1 < 2 < ... < 22 < X < Y < MT, with or without ``chr``."""
    bare = chrom.removeprefix("chr").removeprefix("Chr").upper()
    if bare.isdigit():
        return int(bare), ""
    return _CHROM_RANK.get(bare, 26), bare


def status_counts(result: PanelResult) -> dict[str, int]:
    """Return how many sites have each status, in ``CALL_STATUSES`` order, zeros left out."""
    counts = Counter(s.status for s in result.sites)
    return {status: counts[status] for status in CALL_STATUSES if counts[status]}


def origin_counts(result: PanelResult) -> dict[str, int]:
    """Return how many model inputs were observed, assumed reference, or missing."""
    counts = Counter(result.features.origin)
    return {t: counts[t] for t in ("observed", "assumed_reference", "missing") if counts[t]}
