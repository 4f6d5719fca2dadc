"""Join the records at one position into one multi-allelic record, as ``bcftools norm -m+`` would.

A file whose multi-allelic records were split (``bcftools norm -m-``, a common pipeline step) writes a
sample's ``1/2`` as ``1/0`` on the first ALT's record and ``0/1`` on the second's: each ``0`` there is
"not this ALT", not the reference. Reading one of those records alone would take a carrier of an allele
the panel does not define for a reference homozygote (a confident PGx phenotype that ignores the
variant, or a dosage that counts the other ALT as REF). Joining them first gives the same genotype as the
unsplit record, so a split file reads exactly as the original.

Records join when one REF is a prefix of the other (the longer REF is kept and the shorter record's ALTs
are extended with its missing bases, as bcftools does; symbolic ALTs are kept as written) and their FILTERs
agree (a split keeps the original's FILTER on every part; two records a caller wrote apart, one failing its
filter, are read apart as before). Genotypes join
per sample: the ALTs each record gives are counted, the rest of the ploidy is REF. When the records give
more ALT alleles than the ploidy, or a phased haplotype two different ALTs, they contradict each other and
the joined genotype is missing, with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TypeVar

import numpy as np

from genolens.datamodel import CohortRecord, Record

_SYMBOLIC = ("<NON_REF>", "<*>", "*")
_R = TypeVar("_R", Record, CohortRecord)

CONTRADICTION = "the records at this position give more ALT alleles than the ploidy (split records that disagree)"
"""Why a joined genotype is missing although every record had one."""


def join_at_position(records: Sequence[_R]) -> tuple[list[_R], dict[int, str]]:
    """Join the records (all at one POS, none a gVCF block) that can be joined; return them, and for each
    joined record whose genotype was made missing although its records had one (by its index in the list),
    why."""
    if len(records) < 2:
        return list(records), {}
    groups: list[list[_R]] = []
    for r in sorted(records, key=lambda r: -len(r.ref)):
        group = next((g for g in groups
                      if g[0].ref.upper().startswith(r.ref.upper()) and set(g[0].filters) == set(r.filters)), None)
        if group is None:
            groups.append([r])
        else:
            group.append(r)
    joined: list[_R] = []
    problems: dict[int, str] = {}
    for g in groups:
        if len(g) == 1:
            joined.append(g[0])
            continue
        one, why = _join(g)
        if why is not None:
            problems[len(joined)] = why
        joined.append(one)
    return joined, problems


def _join(group: Sequence[_R]) -> tuple[_R, str | None]:
    """Join records whose REFs are prefixes of ``group[0].ref`` (the longest)."""
    ref = group[0].ref
    alts: list[str] = []
    maps: list[np.ndarray] = []  # per record: its allele index -> the joined index (0 stays 0)
    for r in group:
        tail = ref[len(r.ref):]
        index = [0]
        for a in r.alts:
            allele = a if a in _SYMBOLIC else a + tail
            if allele not in alts:
                alts.append(allele)
            index.append(alts.index(allele) + 1)
        maps.append(np.array(index, dtype=np.int64))
    filters = group[0].filters  # the same in every record of a group
    end = max(r.end for r in group)
    if isinstance(group[0], Record):
        return _join_sample(group, maps, ref, tuple(alts), filters, end)
    gts = [r.gt for r in group]
    if any(g is None for g in gts):
        gt = None
    else:
        gt, _ = _join_genotypes([np.asarray(g, dtype=np.int64) for g in gts], maps)
    return replace(group[0], ref=ref, alts=tuple(alts), filters=filters, end=end, gt=gt), None


def _join_sample(group: Sequence[Record], maps: Sequence[np.ndarray], ref: str, alts: tuple[str, ...],
                 filters: tuple[str, ...], end: int) -> tuple[Record, str | None]:
    first = group[0]
    if any(r.gt_text is None for r in group):  # no GT somewhere: nothing to join genotype-wise
        return replace(first, ref=ref, alts=alts, filters=filters, end=end, gt=(), gt_text=None, ds=None), None
    ploidy = {len(r.gt) for r in group}
    phased = all(r.phased for r in group) and len({r.ps for r in group}) == 1
    arrays = [np.array([r.gt], dtype=np.int64) for r in group]
    why = None
    if len(ploidy) != 1:
        joined, why = np.full((1, max(ploidy)), -1), "the records at this position differ in ploidy"
    elif phased:
        joined, why = _join_haplotypes(arrays, maps)
    else:
        joined, bad = _join_genotypes(arrays, maps)
        why = CONTRADICTION if bad[0] else None
    gt = tuple(int(a) for a in joined[0])
    sep = "|" if phased and why is None else "/"
    text = " + ".join(r.gt_text or "." for r in group)
    gt_text = text if why is not None else sep.join("." if a < 0 else str(a) for a in gt)
    gqs = [r.gq for r in group if r.gq is not None]
    return replace(first, ref=ref, alts=alts, filters=filters, end=end, gt=gt, phased=phased and why is None,
                   gt_text=gt_text, ds=None, gq=min(gqs) if gqs else None,
                   ps=first.ps if phased and why is None else None), why


def _join_genotypes(gts: Sequence[np.ndarray], maps: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Unphased join of genotype arrays (each (n, ploidy), no ploidy padding: the cohort reads each ploidy apart
    and cyvcf2's padding is read as missing): per row the ALTs every record gives, REF for the rest, in ascending
    order; a row with a missing allele, or more ALTs than the ploidy, is all missing.
    Returns the joined array (n, ploidy) and which rows contradicted (bool, (n,))."""
    n, ploidy = gts[0].shape
    missing = np.zeros(n, dtype=bool)
    carried = []
    for g, m in zip(gts, maps, strict=True):
        missing |= (g < 0).any(axis=1)
        carried.append(np.where(g > 0, m[np.clip(g, 0, len(m) - 1)], 0))
    every = np.concatenate(carried, axis=1)  # (n, records * ploidy): ALT indices given, 0 elsewhere
    contradiction = ((every > 0).sum(axis=1) > ploidy) & ~missing
    joined = np.sort(-np.sort(-every, axis=1)[:, :ploidy], axis=1)  # the ploidy largest, ascending
    joined[missing | contradiction] = -1
    return joined, contradiction


def _join_haplotypes(gts: Sequence[np.ndarray], maps: Sequence[np.ndarray]) -> tuple[np.ndarray, str | None]:
    """Phased join of one sample (each (1, ploidy)): each haplotype takes the ALT a record gives it."""
    hap = np.zeros(gts[0].shape, dtype=np.int64)
    for g, m in zip(gts, maps, strict=True):
        if (g < 0).any():
            return np.full(gts[0].shape, -1), None
        alt = np.where(g > 0, m[np.clip(g, 0, len(m) - 1)], 0)
        if ((hap > 0) & (alt > 0)).any():
            return np.full(gts[0].shape, -1), "two records at this position give one phased haplotype different ALTs"
        hap = np.where(alt > 0, alt, hap)
    return hap, None
