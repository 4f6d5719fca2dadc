"""Left-align indels against the user's reference FASTA, as ``bcftools norm -f`` does.

An insertion or deletion inside a repeat can be written at any position of the repeat: ``chr5:1296140 A>AG``
before ``GGG`` is the same variant as ``chr5:1296143 G>GG``. VCF's convention (and the panels') is the
left-most position, but not every caller or conversion writes it, and a panel site read at the left-most
POS would then see no record and miss the variant. With a FASTA, GenoLens therefore reads every position
the panel's indels could be written at (:func:`equivalent_positions`), and moves each indel record found to
its left-aligned, trimmed form (:func:`left_align`, the algorithm of Tan, Abecasis and Kang 2015,
Bioinformatics 31:2202, which ``vt normalize`` and ``bcftools norm`` implement) before it is matched.

Records are left as written when they are not plain sequence alleles (gVCF blocks, symbolic or ``*``
alleles), when their REF is not the FASTA's bases (the REF mismatch is reported elsewhere), or when the
FASTA has no base where the shift needs one. Without a FASTA nothing is shifted: a panel indel written
elsewhere in its repeat stays unmatched (GenoLens only trims shared bases, as before).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

from genolens.datamodel import Build, PanelVariant, RecordSite

Bases = Callable[[str, int, int], str]
"""The FASTA's ``n`` bases from 1-based ``pos`` of a normalised chromosome; ``""`` where it has none."""

Site = tuple[str, int]
_R = TypeVar("_R", bound=RecordSite)

MAX_SHIFT = 500
"""The furthest an indel is shifted (bases); a longer repeat is left where the file put it."""


def _plain(allele: str) -> bool:
    return bool(allele) and set(allele.upper()) <= set("ACGTN")


def _single_bases(r: RecordSite) -> bool:
    """An SNV (every allele one base): nothing to trim or shift, so the FASTA is not asked (most records)."""
    return len(r.ref) == 1 and all(len(a) == 1 for a in r.alts)


def _on(bases: Bases, chrom: str) -> Callable[[int, int], str]:
    """``bases`` on one chromosome."""
    return lambda pos, n: bases(chrom, pos, n)


def left_align(bases: Callable[[int, int], str], pos: int, ref: str,
               alts: Sequence[str]) -> tuple[int, str, tuple[str, ...]] | None:
    """The left-aligned, trimmed (pos, ref, alts) of a record, or ``None`` to leave it as written.

    ``bases(pos, n)`` gives the FASTA's ``n`` bases from ``pos`` on the record's chromosome. Every allele is
    trimmed and shifted together, as ``bcftools norm -f`` does for a multi-allelic record: while all alleles
    end with the same base, that base is dropped; when an allele becomes empty, the FASTA base before them is
    prepended; last, shared leading bases are dropped while every allele keeps at least one base.
    """
    alleles = [ref.upper(), *(a.upper() for a in alts)]
    if not alts or not all(_plain(a) for a in alleles) or bases(pos, len(ref)) != alleles[0]:
        return None
    start = pos
    while True:
        changed = False
        if all(alleles) and len({a[-1] for a in alleles}) == 1:
            alleles = [a[:-1] for a in alleles]
            changed = True
        if not all(alleles):
            if start - pos >= MAX_SHIFT or pos <= 1:
                return None
            before = bases(pos - 1, 1)
            if not before:
                return None
            alleles = [before + a for a in alleles]
            pos -= 1
            changed = True
        if not changed:
            break
    while all(len(a) >= 2 for a in alleles) and len({a[0] for a in alleles}) == 1:
        alleles = [a[1:] for a in alleles]
        pos += 1
    return pos, alleles[0], tuple(alleles[1:])


def equivalent_positions(bases: Callable[[int, int], str], pos: int, ref: str, alt: str) -> range:
    """Every POS at which the indel ``pos ref>alt`` (left-aligned, REF the FASTA's) can be written with an
    anchor base, from ``pos`` to its right-most form; ``range(pos, pos + 1)`` when it cannot shift (not an
    indel, or the FASTA lacks the bases)."""
    r, a = ref.upper(), alt.upper()
    if len(r) == len(a) or not (_plain(r) and _plain(a)) or bases(pos, len(r)) != r:
        return range(pos, pos + 1)
    while r and a and r[0] == a[0]:  # drop the anchor: the inserted or deleted sequence sits after it
        r, a = r[1:], a[1:]
        pos += 1
    start = pos
    while pos - start < MAX_SHIFT:  # shift right while the base after the event repeats its first base
        first = (r or a)[0]
        after = bases(pos + len(r), 1)
        if not after or after != first:
            break
        r, a = (r[1:] + after, a) if r else (r, a[1:] + after)
        pos += 1
    return range(start - 1, pos)


def left_aligned(records: Mapping[Site, Sequence[_R]], bases: Bases) -> tuple[dict[Site, list[_R]], int]:
    """The records with every indel moved to its left-aligned form and filed under its new POS, and how many
    records moved.

    ``records`` are keyed by normalised (chromosome, position), as the reader returns them (a record under
    its POS, gVCF reference blocks under every site they cover). Blocks and records that are not shifted keep
    their keys.
    """
    out: dict[Site, list[_R]] = {}
    done: dict[int, _R] = {}
    moved = 0
    for (chrom, at), recs in records.items():
        for r in recs:
            new = done.get(id(r))
            if new is None:
                new = aligned_record(r, chrom, bases)
                moved += new is not r
                done[id(r)] = new
            filed = out.setdefault((chrom, at) if new is r else (chrom, new.pos), [])
            if not any(x is new for x in filed):
                filed.append(new)
    return out, moved


def aligned_record(r: _R, chrom: str, bases: Bases) -> _R:
    """``r`` moved to its left-aligned, trimmed form (a new record) when that changes its POS, else ``r`` itself.

    ``chrom`` is the record's normalised chromosome; gVCF blocks and SNVs are never moved (nor asked about).
    """
    aligned = None if r.is_reference_block or _single_bases(r) else left_align(_on(bases, chrom), r.pos, r.ref,
                                                                              r.alts)
    if aligned is None or aligned[0] == r.pos:
        return r
    p, ref, alts = aligned
    return replace(r, pos=p, ref=ref, alts=alts, end=p + len(ref) - 1)


def shifted_sites(variants: Iterable[PanelVariant], build: Build, bases: Bases) -> list[Site]:
    """The positions, other than its own, at which each panel indel (on ``build``) could be written in its
    repeat, told by the FASTA: the reader looks there too."""
    out: set[Site] = set()
    for v in variants:
        locus = v.locus(build)
        if locus.pos < 1 or len(locus.effect_allele) == len(locus.other_allele):
            continue
        for ref, alt in ((locus.effect_allele, locus.other_allele), (locus.other_allele, locus.effect_allele)):
            span = equivalent_positions(_on(bases, locus.chrom), locus.pos, ref, alt)
            out.update((locus.chrom, p) for p in span if p != locus.pos)
    return sorted(out)
