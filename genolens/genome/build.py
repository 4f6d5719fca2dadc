"""Genome build (GRCh37 vs GRCh38) and chromosome naming.

Naming is normalised here and nowhere else: ``chr1``/``1`` -> ``"1"``, ``chrM``/``MT``/``M`` -> ``"MT"``.
The build is decided from ``##contig`` lengths first, then the ``assembly=`` values of ``##contig``
lines, then ``##reference``/``##assembly`` hints, then the REF bases the file shows at panel sites
(the panels carry both builds' REF facts; :data:`REF_BUILD_POLICY` says when they decide).
A build the user declared that the evidence contradicts is an error, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from genolens.datamodel import BUILDS, Build, BuildCall, BuildChoice, Contig, PanelVariant, RefTally, VcfInfo
from genolens.errors import BuildError

# Primary-assembly lengths (GRC releases). Only chromosomes whose length differs between builds
# decide; chrM is the same rCRS (16,569) in both, so it never votes.
CONTIG_LENGTHS: Mapping[Build, Mapping[str, int]] = {
    "GRCh37": {
        "1": 249250621, "2": 243199373, "3": 198022430, "4": 191154276, "5": 180915260,
        "6": 171115067, "7": 159138663, "8": 146364022, "9": 141213431, "10": 135534747,
        "11": 135006516, "12": 133851895, "13": 115169878, "14": 107349540, "15": 102531392,
        "16": 90354753, "17": 81195210, "18": 78077248, "19": 59128983, "20": 63025520,
        "21": 48129895, "22": 51304566, "X": 155270560, "Y": 59373566,
    },
    "GRCh38": {
        "1": 248956422, "2": 242193529, "3": 198295559, "4": 190214555, "5": 181538259,
        "6": 170805979, "7": 159345973, "8": 145138636, "9": 138394717, "10": 133797422,
        "11": 135086622, "12": 133275309, "13": 114364328, "14": 107043718, "15": 101991189,
        "16": 90338345, "17": 83257441, "18": 80373285, "19": 58617616, "20": 64444167,
        "21": 46709983, "22": 50818468, "X": 156040895, "Y": 57227415,
    },
}

_HINT_PATTERNS: Mapping[Build, re.Pattern[str]] = {
    "GRCh37": re.compile(r"grch37|hg19|b37|hs37|human_g1k_v37|ncbi37|37d5|homo_sapiens_assembly19", re.IGNORECASE),
    "GRCh38": re.compile(r"grch38|hg38|b38|hs38|ncbi38|homo_sapiens_assembly38", re.IGNORECASE),
}
# NCBI accessions of the assemblies and their patches: GenBank GCA_000001405.1-.14 are GRCh37(.p1-p13),
# .15 onwards GRCh38(.p1-p14); RefSeq GCF_000001405.13-.25 GRCh37, .26 onwards GRCh38.
_ACCESSION = re.compile(r"\bgc([af])_000001405\.([0-9]+)", re.IGNORECASE)
_BARE_ASSEMBLY: Mapping[str, str] = {"37": "GRCh37", "38": "GRCh38", "36": "NCBI36 (hg18)"}
"""``assembly=`` values that are a bare number (Hail writes ``assembly=38``)."""

_CHROM_RE = re.compile(r"^(?:chr)?([0-9]{1,2}|X|Y|M|MT)$", re.IGNORECASE)


def normalise_chrom(name: str) -> str:
    """Return the normalised chromosome name.

    Parameters
    ----------
    name
        A chromosome as written in a VCF or a table: ``chr1``, ``1``, ``chrX``, ``chrM``, ``MT``.

    Returns
    -------
    str
        ``"1"``..``"22"``, ``"X"``, ``"Y"``, ``"MT"``; any other name (``chrUn_xxx``, ``HLA-A``)
        is returned unchanged, so it simply matches no panel site.
    """
    m = _CHROM_RE.match(name.strip())
    if not m:
        return name
    core = m.group(1).upper()
    if core in ("M", "MT"):
        return "MT"
    if core.isdigit():
        return str(int(core))
    return core


def chrom_alias(file_contigs: Iterable[str]) -> dict[str, str]:
    """Map normalised names to the spelling the file uses (``{"1": "chr1"}``).

    Names the file never mentions map to nothing; the caller then tries both spellings.
    """
    return {normalise_chrom(c): c for c in file_contigs}


def build_from_contigs(contigs: Sequence[Contig]) -> tuple[Build | None, list[str]]:
    """Vote on the build from ``##contig`` lengths.

    Returns
    -------
    tuple
        The build every informative contig agrees on (``None`` when none is informative or they
        disagree) and evidence lines.
    """
    votes: dict[Build, list[str]] = {b: [] for b in BUILDS}
    for c in contigs:
        if c.length is None:
            continue
        chrom = normalise_chrom(c.name)
        for b in BUILDS:
            if CONTIG_LENGTHS[b].get(chrom) == c.length:
                votes[b].append(f"{c.name}={c.length:,}")
    found = [b for b in BUILDS if votes[b]]
    if len(found) == 1:
        b = found[0]
        shown = ", ".join(votes[b][:3]) + (f" and {len(votes[b]) - 3} more" if len(votes[b]) > 3 else "")
        return b, [f"##contig lengths match {b} ({shown})"]
    if len(found) == 2:
        lines = [f"##contig lengths match both builds: {b} ({', '.join(votes[b][:3])})" for b in BUILDS]
        return None, lines
    return None, []


def _accession_build(text: str) -> Build | None:
    m = _ACCESSION.search(text)
    if not m:
        return None
    version = int(m.group(2))
    if m.group(1).lower() == "a":
        return "GRCh37" if 1 <= version <= 14 else "GRCh38" if version >= 15 else None
    return "GRCh37" if 13 <= version <= 25 else "GRCh38" if version >= 26 else None


def named_builds(text: str) -> set[str]:
    """The builds a header value names: ``"GRCh37"``, ``"GRCh38"`` and any build GenoLens does not read
    (``"NCBI36 (hg18)"``, ``"T2T-CHM13"``); empty when it names none."""
    value = text.strip().strip('"')
    if value.lower() in _BARE_ASSEMBLY:
        return {_BARE_ASSEMBLY[value.lower()]}
    found: set[str] = {b for b in BUILDS if _HINT_PATTERNS[b].search(value)}
    if accession := _accession_build(value):
        found.add(accession)
    found |= {name for name, pattern in _OTHER_BUILDS.items() if pattern.search(value)}
    return found


def build_from_assembly(contigs: Sequence[Contig]) -> tuple[Build | None, list[str]]:
    """Decide the build from the ``assembly=`` values of ``##contig`` lines.

    Returns
    -------
    tuple
        The build every named assembly agrees on (``None`` when no line names GRCh37 or GRCh38) and
        evidence lines.

    Raises
    ------
    BuildError
        When the lines name different builds (a file is on one build).
    """
    named: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    for c in contigs:
        if not c.assembly:
            continue
        for b in named_builds(c.assembly):
            named.setdefault(b, []).append(c.name)
            values.setdefault(b, c.assembly)
    if len(named) > 1:
        shown = "; ".join(f"{values[b]} ({b}) on {', '.join(names[:3])}" for b, names in sorted(named.items()))
        raise BuildError(
            f"The ##contig lines name different assemblies: {shown}. A file is on one build, so its header "
            "is wrong or it joins files of two builds. Fix the header (e.g. `bcftools reheader`), or re-export "
            "the file from the pipeline that called it."
        )
    if not named:
        return None, []
    (b, names), = named.items()
    where = f"{len(names)} ##contig line{'s' if len(names) > 1 else ''} ({', '.join(names[:3])}" + (
        " ...)" if len(names) > 3 else ")")
    if b not in BUILDS:
        return None, [f"##contig assembly={values[b]} names {b}, which GenoLens does not read ({where})"]
    build: Build = "GRCh37" if b == "GRCh37" else "GRCh38"
    return build, [f"##contig assembly={values[b]} names {build} ({where})"]


def build_from_hints(hints: Sequence[str]) -> tuple[Build | None, list[str]]:
    """Vote on the build from ``##reference``/``##assembly`` header values."""
    found: dict[Build, str] = {}
    for h in hints:
        for b in named_builds(h):
            if b in BUILDS:
                found.setdefault(b, h)
    if len(found) == 1:
        (b, h), = found.items()
        return b, [f"header names the reference: {h.strip()[:120]}"]
    if len(found) == 2:
        return None, [f"header hints name both builds: {'; '.join(found.values())[:200]}"]
    return None, []


def build_from_header(info: VcfInfo) -> tuple[Build | None, str, list[str]]:
    """Decide the build from the header alone: ``##contig`` lengths, then ``assembly=``, then hints.

    Returns
    -------
    tuple
        The build (``None`` when the header does not settle it), which evidence decided
        (``"contigs"``, ``"assembly"`` or ``"header"``; ``""`` when none) and every evidence line.

    Raises
    ------
    BuildError
        When ``##contig`` lines name different assemblies.
    """
    evidence: list[str] = []
    decided: Build | None = None
    source = ""
    for name, (vote, lines) in (
        ("contigs", build_from_contigs(info.contigs)),
        ("assembly", build_from_assembly(info.contigs)),
        ("header", build_from_hints(info.hints)),
    ):
        evidence += lines
        if vote is not None and decided is None:
            decided, source = vote, name
    return decided, source, evidence


@dataclass(frozen=True)
class RefBuildPolicy:
    """When the REF bases a file shows at panel sites decide its build."""

    min_agree: int
    """At least this many panel sites show the winning build's REF base at its coordinates."""
    min_share: float
    """And those sites are at least this share of every REF base compared: the winner's disagreeing sites
    and the other build's agreeing sites count against it."""

    def words(self) -> str:
        return (f"deciding needs at least {self.min_agree} sites showing one build's REF base, and those at "
                f"least {self.min_share:.0%} of all the REF bases compared")


REF_BUILD_POLICY = RefBuildPolicy(min_agree=3, min_share=0.8)
"""The policy: a clear majority (80%) and a minimum count (3 sites), so that one odd site cannot decide.
A file on build B has a record at B's coordinates of a panel site far more often than at the other
build's (which are usually elsewhere), and its REF there is B's base unless the file is wrong."""


def ref_tallies(variants: Iterable[PanelVariant], refs_at: Callable[[str, int], Iterable[str]],
                builds: Sequence[Build] = BUILDS) -> tuple[RefTally, ...]:
    """Per build, count panel sites whose REF base the file shows, and sites where it shows another.

    Parameters
    ----------
    variants
        Panel variants; those without a REF fact for a build, and those at the same coordinates on both
        builds (which cannot tell them apart), are skipped.
    refs_at
        The REF strings of the file's records that start at a (normalised chromosome, position);
        gVCF reference blocks included (their REF is the base at their first position).
    builds
        The builds to compare (the decided one only, when the header settled it).
    """
    tally = {b: [0, 0] for b in builds}
    seen: set[tuple[Build, str, int]] = set()
    for v in variants:
        if (v.grch37.chrom, v.grch37.pos) == (v.grch38.chrom, v.grch38.pos):
            continue
        for b in builds:
            loc = v.locus(b)
            key = (b, loc.chrom, loc.pos)
            if not loc.ref or key in seen:
                continue
            seen.add(key)
            firsts = {r[:1].upper() for r in refs_at(loc.chrom, loc.pos) if r}
            if firsts:
                tally[b][0 if loc.ref[0].upper() in firsts else 1] += 1
    return tuple(RefTally(b, a, d) for b, (a, d) in tally.items())


def ref_words(tallies: Sequence[RefTally]) -> str:
    """The tallies in words: ``GRCh38: 14 match, 0 disagree; GRCh37: 0 match, 1 disagree``."""
    return "; ".join(f"{t.build}: {t.agree} match, {t.disagree} disagree" for t in tallies)


def build_from_ref_bases(tallies: Sequence[RefTally],
                         policy: RefBuildPolicy = REF_BUILD_POLICY) -> tuple[Build | None, list[str]]:
    """Decide the build from REF-base tallies under ``policy``; ``None`` with an evidence line when they do not."""
    by = {t.build: t for t in tallies}
    if len(by) < 2:
        return None, [f"REF bases at panel sites: {ref_words(tallies)}"] if any(
            t.agree or t.disagree for t in tallies) else []
    compared = sum(t.agree + t.disagree for t in tallies)
    if compared == 0:
        return None, []
    for b in BUILDS:
        win, other = by[b], by["GRCh37" if b == "GRCh38" else "GRCh38"]
        total = win.agree + win.disagree + other.agree
        if win.agree >= policy.min_agree and win.agree >= policy.min_share * total:
            return b, [f"decided from {win.agree} REF bases at panel sites matching {b}, {win.disagree} "
                       f"disagreeing ({other.build} coordinates: {other.agree} matching, {other.disagree} "
                       "disagreeing)"]
    return None, [f"REF bases at {compared} panel sites do not decide the build ({ref_words(tallies)}; "
                  f"{policy.words()})"]


@dataclass(frozen=True)
class FastaVote:
    """What one reference FASTA the user gave says about the file (see ``genolens.genome.reference``)."""

    build: Build
    """The build the FASTA is on."""
    name: str
    """The FASTA's file name."""
    evidence: str
    """How the FASTA's build was told."""
    file_agreement: RefTally
    """Panel sites (on the FASTA's build) where the file's REF starts with the FASTA's base, and where not."""

    def decides(self, policy: RefBuildPolicy = REF_BUILD_POLICY) -> bool:
        """Whether the file's REF bases agree with this FASTA under ``policy``."""
        t = self.file_agreement
        return t.agree >= policy.min_agree and t.agree >= policy.min_share * (t.agree + t.disagree)


def decide_build(
    info: VcfInfo,
    *,
    declared: BuildChoice,
    ref_tallies: Sequence[RefTally] = (),
    fastas: Sequence[FastaVote] = (),
) -> BuildCall:
    """Decide the build of a file from its header, REF bases at panel sites and the user's reference FASTA.

    Parameters
    ----------
    info
        The header summary.
    declared
        ``"auto"``, or the build the user says the file is on.
    ref_tallies
        Per build, the panel sites where the file shows that build's REF base and another
        (:func:`ref_tallies`); ``()`` when not compared.
    fastas
        The reference FASTAs the user gave. The file's build must be one of theirs; when nothing else
        decides, the one FASTA whose bases the file's REF bases agree with (:data:`REF_BUILD_POLICY`) does.

    Raises
    ------
    BuildError
        When ``declared`` contradicts the evidence, the header names two builds, no FASTA given is on the
        file's build, or ``"auto"`` finds no evidence (the message says how many REF bases were compared and
        what to do).
    """
    decided, source, evidence = build_from_header(info)
    ref_build, ref_lines = build_from_ref_bases(ref_tallies)
    if decided is not None and len(ref_tallies) == 1 and ref_tallies[0].build == decided:
        t = ref_tallies[0]
        if t.agree or t.disagree:
            ref_lines = [f"REF bases at panel sites agree with {decided}: {t.agree} match, {t.disagree} disagree"]
    evidence += ref_lines
    if decided is None and ref_build is not None:
        decided, source = ref_build, "ref_bases"
    if decided is None and declared == "auto":
        agreeing = [f for f in fastas if f.decides()]
        if len(agreeing) == 1:
            decided, source = agreeing[0].build, "reference"
    tallies = tuple(ref_tallies)
    if declared != "auto":
        if decided is not None and decided != declared:
            raise BuildError(
                f"You said this file is on {declared}, but it is on {decided}: {evidence[0]}. "
                f"Choose build {decided} (or 'auto'), or check that this is the file you meant."
            )
        evidence = [f"declared by the user as {declared}", *evidence]
        source = "declared" if decided is None else source
        decided = declared
    if decided is None:
        compared = sum(t.agree + t.disagree for t in ref_tallies)
        refs = (f"REF bases at {compared} panel sites do not decide it ({ref_words(ref_tallies)}; "
                f"{REF_BUILD_POLICY.words()})" if compared else "no panel site in the file shows a REF base to "
                "compare with either build")
        given = "".join(f"; the file's REF bases at panel sites do not confirm the reference FASTA {f.name} "
                        f"({f.build}: {f.file_agreement.agree} match, {f.file_agreement.disagree} differ)"
                        for f in fastas)
        raise BuildError(
            f"Cannot tell whether this file is on GRCh37 or GRCh38: {_header_words(info)}, and {refs}{given}. "
            "Choose the build explicitly (GRCh37 or GRCh38) if you know it, or give the reference FASTA the "
            "file was called against (--reference); a file on another build (NCBI36, T2T) must be lifted over "
            "first."
        )
    if fastas:
        mine = next((f for f in fastas if f.build == decided), None)
        if mine is None:
            shown = ", ".join(f"{f.name} is {f.build} ({f.evidence})" for f in fastas)
            raise BuildError(
                f"The reference FASTA you gave is on the other build: {shown}; this file is on {decided} "
                f"({evidence[0]}). Give the {decided} FASTA the file was called against, or no FASTA."
            )
        t = mine.file_agreement
        evidence.append(f"reference FASTA {mine.name} is {decided} ({mine.evidence}); the file's REF bases at "
                        f"{t.agree + t.disagree} panel sites: {t.agree} match it, {t.disagree} differ")
    return BuildCall(decided, tuple(evidence), source, tallies)  # type: ignore[arg-type]


_OTHER_BUILDS = {"NCBI36 (hg18)": re.compile(r"NCBI_?36|hg18|b36\b", re.IGNORECASE),
                 "T2T-CHM13": re.compile(r"T2T|CHM13|hs1\b", re.IGNORECASE)}
"""Builds a header may name that GenoLens does not read (said in the message, never guessed from)."""


def _header_words(info: VcfInfo) -> str:
    """What the header says about the build when it decides nothing, in words."""
    sized = [f"{c.name}={c.length:,}" for c in info.contigs if c.length is not None]
    contigs = (f"its ##contig lengths ({', '.join(sized[:3])}{' ...' if len(sized) > 3 else ''}) match neither "
               "build" if sized else "its header has no ##contig lengths")
    assemblies = sorted({c.assembly for c in info.contigs if c.assembly})
    hints = [h.strip()[:80] for h in info.hints] + [f"assembly={a[:40]}" for a in assemblies[:2]]
    other = next((b for h in hints for b in named_builds(h.removeprefix("assembly=")) if b not in BUILDS), None)
    named = (f"its ##reference/##assembly ({'; '.join(hints[:2])}) names {other}, which GenoLens does not read"
             if other else f"its ##reference/##assembly ({'; '.join(hints[:2])}) names neither" if hints
             else "no ##reference line or ##contig assembly= names a build")
    return f"{contigs}, {named}"
