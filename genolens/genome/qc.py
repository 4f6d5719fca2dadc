"""Quality figures a clinician must see before trusting anything read from a file.

Per panel, coverage and the match log live on :class:`~genolens.datamodel.PanelResult`; this module
summarises the file itself for one sample: call rate, Ti/Tv, het/hom-alt ratio and DP/GQ.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence

from genolens.datamodel import FileQC, PanelResult, Record
from genolens.genome.build import normalise_chrom

_TRANSITIONS = frozenset({("A", "G"), ("G", "A"), ("C", "T"), ("T", "C")})
_SYMBOLIC = frozenset({"<NON_REF>", "<*>", "*"})
_MIN_FOR_RATIO_WARNINGS = 1000


def file_qc(records: Iterable[Record], *, limit: int | None) -> FileQC:
    """Summarise records of one sample.

    Parameters
    ----------
    records
        Records in file order (already capped at ``limit`` by the reader).
    limit
        The cap the reader applied; ``None`` when every record was read.
    """
    n = variants = blocks = called = with_gt = het = hom_alt = ti = tv = 0
    dps: list[int] = []
    gqs: list[int] = []
    unsorted = False
    last: tuple[str, int] | None = None
    chromosomes: dict[str, None] = {}
    for r in records:
        n += 1
        if last is not None and r.chrom == last[0] and r.pos < last[1]:
            unsorted = True
        if last is None or r.chrom != last[0]:
            chromosomes.setdefault(normalise_chrom(r.chrom))
        last = (r.chrom, r.pos)
        if r.is_reference_block:
            blocks += 1
            continue
        if not any(a not in _SYMBOLIC for a in r.alts):
            continue
        variants += 1
        if r.dp is not None:
            dps.append(r.dp)
        if r.gq is not None:
            gqs.append(r.gq)
        if r.gt_text is None:
            continue
        with_gt += 1
        if not r.gt or any(a < 0 for a in r.gt):
            continue
        called += 1
        carried = {a for a in r.gt if a > 0}
        if not carried:
            continue
        if len(set(r.gt)) > 1:
            het += 1
        else:
            hom_alt += 1
        for a in carried:
            alt = r.alts[a - 1] if a - 1 < len(r.alts) else ""
            if len(r.ref) == 1 and len(alt) == 1 and alt not in _SYMBOLIC:
                if (r.ref.upper(), alt.upper()) in _TRANSITIONS:
                    ti += 1
                else:
                    tv += 1
    complete = limit is None or n < limit
    qc = FileQC(
        records=n,
        complete=complete,
        variant_records=variants,
        reference_blocks=blocks,
        call_rate=called / with_gt if with_gt else None,
        ti_tv=ti / tv if tv else None,
        het_hom_alt=het / hom_alt if hom_alt else None,
        dp_median=float(statistics.median(dps)) if dps else None,
        gq_median=float(statistics.median(gqs)) if gqs else None,
        chromosomes=tuple(chromosomes),
        warnings=(),
    )
    return _with_warnings(qc, unsorted=unsorted, snvs=ti + tv, genotyped=het + hom_alt, has_gt=with_gt > 0)


def _with_warnings(qc: FileQC, *, unsorted: bool, snvs: int, genotyped: int, has_gt: bool) -> FileQC:
    found: list[str] = []
    if qc.records == 0:
        found.append("The file has a header but no records: nothing could be read for this sample.")
    elif qc.variant_records and not has_gt:
        found.append("The file has no GT field: genotypes come from DS dosages where present.")
    if qc.call_rate is not None and qc.call_rate < 0.9:
        found.append(f"Low call rate: {qc.call_rate:.0%} of variant records have a genotype for this sample.")
    if qc.ti_tv is not None and snvs >= _MIN_FOR_RATIO_WARNINGS and not 1.8 <= qc.ti_tv <= 3.3:
        found.append(f"Ti/Tv {qc.ti_tv:.2f} is outside 1.8-3.3 (genome ~2.0-2.1, exome ~3.0): "
                     "many calls may be artefacts.")
    if qc.het_hom_alt is not None and genotyped >= _MIN_FOR_RATIO_WARNINGS and not 1.0 <= qc.het_hom_alt <= 3.0:
        found.append(f"Het/hom-alt ratio {qc.het_hom_alt:.2f} is outside 1.0-3.0: check for contamination "
                     "or the wrong sample.")
    if unsorted:
        found.append("Records are not sorted by position; the file was read in one pass.")
    if not qc.complete:
        found.append(f"File QC describes the first {qc.records:,} records only.")
    return FileQC(**{**qc.__dict__, "warnings": tuple(found)})


def panel_warnings(result: PanelResult, file_chromosomes: Sequence[str] = ()) -> tuple[str, ...]:
    """Plain-language warnings for one panel's coverage and match log.

    Parameters
    ----------
    result
        The panel matched against one sample.
    file_chromosomes
        Chromosomes the file has records on (from :func:`file_qc`); when given, absent sites on
        other chromosomes are explained as such.
    """
    found: list[str] = []
    n = len(result.sites)
    if n and result.coverage < 0.8:
        found.append(f"{result.title}: only {result.coverage:.0%} of {n} sites have a usable call; "
                     "predictions from this panel rest on imputed values.")
    if file_chromosomes:
        have = set(file_chromosomes)
        elsewhere = [s for s in result.sites if s.status == "absent" and s.chrom not in have]
        if elsewhere:
            chroms = ", ".join(sorted({s.chrom for s in elsewhere}, key=_chrom_order))
            found.append(f"{result.title}: {len(elsewhere)} site(s) lie on chromosomes this file has no "
                         f"records for ({chroms}); the file covers {', '.join(file_chromosomes[:8])} only.")
    counts: dict[str, int] = {}
    for s in result.sites:
        counts[s.status] = counts.get(s.status, 0) + 1
    for status, words in (("ref_mismatch", "show a different REF than the panel (wrong build or strand?)"),
                          ("filtered", "failed the caller's FILTER"), ("no_call", "have no genotype")):
        if counts.get(status):
            found.append(f"{result.title}: {counts[status]} site(s) {words}.")
    return tuple(found)


def _chrom_order(chrom: str) -> tuple[int, str]:
    return (int(chrom), "") if chrom.isdigit() else (100, chrom)
