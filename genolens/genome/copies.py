"""The chromosome copies of one call: which allele each copy carries, and which calls share a phase set.

Both pharmacogenomic callers (:mod:`genolens.genome.pgx` for the panel's genes, :mod:`genolens.genome.star_alleles`
for PharmCAT's definitions) read a site's genotype copy by copy and group phased heterozygous calls by FORMAT/PS
(VCF 4.3: phased calls without PS are one set, apart from those with one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TypeVar

from genolens.datamodel import Locus, SiteCall


def copies(site: SiteCall, locus: Locus) -> tuple[str, ...] | None:
    """Label each chromosome copy ``E`` (panel effect allele), ``O`` (the other allele) or ``N``
    (an allele the panel does not define); ``None`` when the call cannot be split by copy."""
    if site.dosage is None:
        return None
    effect = round(site.dosage)
    if abs(site.dosage - effect) > 1e-6:
        return None
    if site.genotype is None:  # FORMAT/DS only: an integral dosage, unphased
        return ("E",) * effect + ("O",) * (2 - effect) if 0 <= effect <= 2 else None
    try:
        idx = [int(x) for x in re.split(r"[/|]", site.genotype)]
    except ValueError:
        return None
    ref_is_effect = locus.ref.upper() == locus.effect_allele.upper()
    zero = "E" if ref_is_effect else "O"
    alleles = site.alleles or ()
    alts = sorted({i for i in idx if i})
    want = effect - (idx.count(0) if ref_is_effect else 0)
    if not alts:
        return tuple(zero for _ in idx) if want == 0 else None
    if len(alts) == 1:
        copies = len(idx) - idx.count(0)
        text = alleles[idx.index(alts[0])].upper() if len(alleles) == len(idx) else ""
        alt = "E" if want == copies else "O" if ref_is_effect and text == locus.other_allele.upper() else "N"
        if alt != "E" and want:
            return None
        return tuple(alt if i else zero for i in idx)
    # Two different ALTs (1/2): only an exact allele string can say which one is the effect allele.
    if len(alleles) != len(idx):
        return None
    labels = tuple(zero if i == 0 else "E" if s.upper() == locus.effect_allele.upper() else
                   "O" if ref_is_effect and s.upper() == locus.other_allele.upper() else "N"
                   for i, s in zip(idx, alleles, strict=True))
    return labels if labels.count("E") == effect else None


_K = TypeVar("_K", str, int)
PhaseSets = dict[int | None, list[str]]
"""FORMAT/PS -> the heterozygous positions phased in that set, in gene order (``None``: phased without PS)."""


def phase_sets(phased: Mapping[_K, int | None], hets: Sequence[_K]) -> dict[int | None, list[_K]]:
    """Group the phased heterozygous positions by phase set, in order of their first position (VCF 4.3
    FORMAT/PS: the genotypes phased without PS are one set, apart from those with one)."""
    sets: dict[int | None, list[_K]] = {}
    for key in hets:
        if key in phased:
            sets.setdefault(phased[key], []).append(key)
    return sets


def split_note(sets: PhaseSets) -> list[str]:
    """The note saying the phase sets split a gene (``[]`` when one set or none holds its phased hets)."""
    if len(sets) < 2:
        return []
    listed = "; ".join(f"{'no PS' if ps is None else f'PS {ps}'}: {', '.join(labels)}" for ps, labels in sets.items())
    return [f"Phased in {len(sets)} phase sets ({listed}): cis/trans between sets unknown."]


def phase_unknown(sets: PhaseSets, unphased: Sequence[str]) -> tuple[str, str]:
    """(the note's sentence, the uncertainty's ending) for a gene whose phase arrangements differ in phenotype."""
    if not sets:
        return ("The calls are unphased; phased calls (GT with '|') would decide between the diplotypes",
                "phased calls would decide")
    rest = f", and {', '.join(unphased)} {'is' if len(unphased) == 1 else 'are'} unphased" if unphased else ""
    return (f"Phase is known only within a phase set{rest}; calls phased in one phase set would decide between "
            "the diplotypes", "calls phased in one phase set would decide")
