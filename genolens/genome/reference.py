"""The user's reference FASTA: its bases at panel sites, read through htslib (pysam).

This module is the one boundary with the FASTA. A FASTA is optional: without one, the REF facts the panels
ship serve. With one (``--reference GRCh38.fa[.gz]`` on the command line, a server setting for the
dashboard), GenoLens tells its build (sequence lengths, else its bases at panel sites), checks that the
file is on it, reports every panel site where the file's REF is not the FASTA's bases, and supplies the
REF of panel sites that ship without one, so that the whole-genome policy can count them as reference.
Its bases also left-align the file's indels before matching (:mod:`genolens.genome.left_align`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

from genolens.datamodel import Build, Contig, Panel, PanelVariant, RefMismatch, RefTally
from genolens.errors import ReferenceFastaError
from genolens.genome.build import (
    REF_BUILD_POLICY,
    FastaVote,
    build_from_contigs,
    normalise_chrom,
    ref_tallies,
)

RefsAt = Callable[[str, int], Iterable[str]]
"""The REF strings of the file's records that start at a (normalised chromosome, position)."""


class ReferenceFasta:
    """An indexed FASTA (plain, or bgzip-compressed with its ``.gzi``), open for reading bases.

    Raises
    ------
    ReferenceFastaError
        The file is missing, not a FASTA, gzip-compressed without bgzip, or has no index beside it.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.name = self.path.name
        _check(self.path)
        import pysam  # the boundary: htslib's faidx, imported only when a FASTA is given

        try:
            self._fa: Any = pysam.FastaFile(str(self.path))
        except (OSError, ValueError) as exc:
            raise ReferenceFastaError(f"The reference FASTA '{self.name}' cannot be read with its index: {exc}. "
                                      f"Index it again (`samtools faidx {self.name}`).") from None
        self.lengths: dict[str, int] = dict(zip(self._fa.references, self._fa.lengths, strict=True))
        self._names = {normalise_chrom(n): n for n in self._fa.references}

    def bases(self, chrom: str, pos: int, n: int = 1) -> str:
        """The ``n`` bases from 1-based ``pos`` of a normalised chromosome, upper case; ``""`` when the FASTA
        lacks the chromosome or the range, or gives an unknown base (``N``) there."""
        name = self._names.get(chrom)
        if name is None or pos < 1 or n < 1 or pos - 1 + n > self.lengths[name]:
            return ""
        try:
            seq = str(self._fa.fetch(name, pos - 1, pos - 1 + n)).upper()
        except (OSError, ValueError) as exc:
            raise ReferenceFastaError(f"The reference FASTA '{self.name}' cannot be read at {name}:{pos}: {exc}. "
                                      "Copy it again, or rebuild its index.") from None
        return seq if len(seq) == n and set(seq) <= set("ACGT") else ""

    def close(self) -> None:
        self._fa.close()

    def __enter__(self) -> ReferenceFasta:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _check(path: Path) -> None:
    """Refuse what htslib would report badly: a missing file, another format, plain gzip, a missing index."""
    name = path.name
    if not path.is_file():
        raise ReferenceFastaError(f"The reference FASTA '{name}' does not exist or is not a file. Check the path.")
    try:
        with path.open("rb") as fh:
            head = fh.read(18)
    except OSError as exc:
        raise ReferenceFastaError(f"The reference FASTA '{name}' cannot be read: {exc.strerror}.") from None
    if head[:2] == b"\x1f\x8b":
        if head[12:14] != b"BC":
            raise ReferenceFastaError(f"The reference FASTA '{name}' is gzip-compressed but not with bgzip, so it "
                                      f"cannot be read by position. Recompress it: `zcat {name} | bgzip > "
                                      f"{name.removesuffix('.gz')}.bgz.gz`, then `samtools faidx` it.")
        needed = [f"{path}.fai", f"{path}.gzi"]
    elif head[:1] == b">":
        needed = [f"{path}.fai"]
    else:
        raise ReferenceFastaError(f"'{name}' is not a FASTA file (a FASTA starts with '>'). Give the reference "
                                  "FASTA (.fa, .fasta, or bgzip-compressed .fa.gz).")
    missing = [Path(n).name for n in needed if not os.path.isfile(n)]
    if missing:
        raise ReferenceFastaError(f"The reference FASTA '{name}' has no index beside it ({', '.join(missing)}). "
                                  f"Index it with `samtools faidx {name}` (GenoLens never writes beside it).")


def fasta_build(fasta: ReferenceFasta, variants: Sequence[PanelVariant]) -> tuple[Build, str]:
    """Tell the FASTA's build: from its sequence lengths, else from its bases at panel sites.

    A FASTA has a base at both builds' coordinates of a site, so its bases decide a build when they show
    that build's REF at :data:`~genolens.genome.build.REF_BUILD_POLICY`'s minimum count and share of the
    sites compared at its coordinates, and the other build's REF does not.

    Raises
    ------
    ReferenceFastaError
        When neither decides, or the lengths and the bases name different builds.
    """
    by_length, lines = build_from_contigs([Contig(n, n_bases) for n, n_bases in fasta.lengths.items()])
    tallies = ref_tallies(variants, lambda chrom, pos: [b] if (b := fasta.bases(chrom, pos)) else [])
    policy = REF_BUILD_POLICY
    fits = [t for t in tallies if t.agree >= policy.min_agree and t.agree >= policy.min_share * (t.agree + t.disagree)]
    by_bases = fits[0].build if len(fits) == 1 else None
    shown = "; ".join(f"{t.build}'s at {t.agree} of {t.agree + t.disagree}" for t in tallies)
    if by_length and by_bases and by_length != by_bases:
        raise ReferenceFastaError(f"The reference FASTA '{fasta.name}' has {by_length} sequence lengths but "
                                  f"{by_bases} bases at panel sites ({shown}). Check that it is one assembly.")
    if by_length:
        return by_length, lines[0].replace("##contig lengths", "sequence lengths")
    if by_bases:
        return by_bases, f"its bases at panel sites equal the REF of {shown}"
    raise ReferenceFastaError(
        f"Cannot tell whether the reference FASTA '{fasta.name}' is GRCh37 or GRCh38: its sequence lengths match "
        f"neither build and its bases at panel sites do not decide (they equal the REF of {shown}). Give "
        "a GRCh37 or GRCh38 FASTA, or none.")


def fasta_vote(fasta: ReferenceFasta, build: Build, evidence: str, variants: Sequence[PanelVariant],
               refs_at: RefsAt) -> FastaVote:
    """Count the panel sites (on ``build``) where the file's REF starts with the FASTA's base, and where not."""
    agree = disagree = 0
    for chrom, pos in _sites(variants, build):
        base = fasta.bases(chrom, pos)
        firsts = {r[:1].upper() for r in refs_at(chrom, pos) if r}
        if base and firsts:
            agree, disagree = (agree + 1, disagree) if base in firsts else (agree, disagree + 1)
    return FastaVote(build, fasta.name, evidence, RefTally(build, agree, disagree))


def ref_mismatches(fasta: ReferenceFasta, variants: Sequence[PanelVariant], build: Build,
                   refs_at: RefsAt) -> tuple[int, tuple[RefMismatch, ...]]:
    """Compare the file's REF with the FASTA's bases at every panel site on ``build``.

    Returns
    -------
    tuple
        How many sites were compared (the file has a record there and the FASTA known bases), and the sites
        where the file's REF is not the FASTA's bases of the same length, in panel order.
    """
    ids: dict[tuple[str, int], list[str]] = {}
    for v in variants:
        loc = v.locus(build)
        ids.setdefault((loc.chrom, loc.pos), []).append(v.id)
    compared = 0
    found: list[RefMismatch] = []
    for (chrom, pos), names in ids.items():
        refs = sorted({r.upper() for r in refs_at(chrom, pos) if r})
        checked = [(r, fasta.bases(chrom, pos, len(r))) for r in refs]
        checked = [(r, b) for r, b in checked if b]
        if not checked:
            continue
        compared += 1
        found += [RefMismatch(chrom, pos, r, b, tuple(names)) for r, b in checked if r != b]
    return compared, tuple(found)


def with_fasta_refs(panel: Panel, build: Build, fasta: ReferenceFasta) -> tuple[Panel, int]:
    """The panel with the REF of each site that ships without one taken from the FASTA.

    The REF is the longest of the two alleles that the FASTA spells at the site (a deletion's longer allele
    spells the reference, and so does its shorter prefix); a site where the FASTA spells neither allele (an
    allele given on the other strand, an unknown base) keeps no REF. Returns the panel and how many sites
    got a REF; the panel's hash stays the shipped table's.
    """
    filled = 0
    variants = []
    for v in panel.variants:
        loc = v.locus(build)
        if not loc.ref:
            spelt = [a for a in (loc.effect_allele, loc.other_allele)
                     if a and fasta.bases(loc.chrom, loc.pos, len(a)) == a.upper()]
            if spelt:
                loc = replace(loc, ref=max(spelt, key=len))
                v = replace(v, grch38=loc) if build == "GRCh38" else replace(v, grch37=loc)
                filled += 1
        variants.append(v)
    return (replace(panel, variants=tuple(variants)) if filled else panel), filled


def _sites(variants: Iterable[PanelVariant], build: Build) -> list[tuple[str, int]]:
    return sorted({(v.locus(build).chrom, v.locus(build).pos) for v in variants})

