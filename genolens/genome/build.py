"""Genome build (GRCh37 vs GRCh38) and chromosome naming.

Naming is normalised here and nowhere else: ``chr1``/``1`` -> ``"1"``, ``chrM``/``MT``/``M`` -> ``"MT"``.
The build is decided from ``##contig`` lengths first, then ``##reference``/``##assembly``
hints, then the REF bases the file shows at panel sites (the panel carries both builds).
A build the user declared that the evidence contradicts is an error, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from genolens.datamodel import BUILDS, Build, BuildCall, BuildChoice, Contig, VcfInfo
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
    "GRCh37": re.compile(r"grch37|hg19|b37|hs37|human_g1k_v37|ncbi37|37d5", re.IGNORECASE),
    "GRCh38": re.compile(r"grch38|hg38|b38|hs38|ncbi38|gca_000001405\.15", re.IGNORECASE),
}

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


def build_from_hints(hints: Sequence[str]) -> tuple[Build | None, list[str]]:
    """Vote on the build from ``##reference``/``##assembly`` header values."""
    found: dict[Build, str] = {}
    for h in hints:
        for b in BUILDS:
            if _HINT_PATTERNS[b].search(h):
                found.setdefault(b, h)
    if len(found) == 1:
        (b, h), = found.items()
        return b, [f"header names the reference: {h.strip()[:120]}"]
    if len(found) == 2:
        return None, [f"header hints name both builds: {'; '.join(found.values())[:200]}"]
    return None, []


def decide_build(
    info: VcfInfo,
    *,
    declared: BuildChoice,
    ref_votes: Mapping[Build, int] | None = None,
) -> BuildCall:
    """Decide the build of a file from its header and, failing that, REF bases at panel sites.

    Parameters
    ----------
    info
        The header summary.
    declared
        ``"auto"``, or the build the user says the file is on.
    ref_votes
        Per build, how many panel sites show the REF bases that build expects at its own
        coordinates (see ``genolens.genome.patient``). ``None`` when not computed.

    Raises
    ------
    BuildError
        When ``declared`` contradicts the evidence, or ``"auto"`` finds no evidence.
    """
    evidence: list[str] = []
    decided: Build | None = None
    source: str = ""
    for name, (vote, lines) in (
        ("contigs", build_from_contigs(info.contigs)),
        ("header", build_from_hints(info.hints)),
    ):
        evidence += lines
        if vote is not None and decided is None:
            decided, source = vote, name
    ref_build, ref_lines = _build_from_ref_votes(ref_votes)
    evidence += ref_lines
    if decided is None and ref_build is not None:
        decided, source = ref_build, "ref_bases"
    if declared != "auto":
        if decided is not None and decided != declared:
            raise BuildError(
                f"You said this file is on {declared}, but it is on {decided}: {evidence[0]}. "
                f"Choose build {decided} (or 'auto'), or check that this is the file you meant."
            )
        return BuildCall(declared, (f"declared by the user as {declared}", *evidence),
                         "declared" if decided is None else source)  # type: ignore[arg-type]
    if decided is None:
        raise BuildError(
            f"Cannot tell whether this file is on GRCh37 or GRCh38: {_header_words(info)}, and no panel site "
            "shows decisive REF bases. Choose the build explicitly (GRCh37 or GRCh38) if you know it; a file "
            "on another build (NCBI36, T2T) must be lifted over first."
        )
    return BuildCall(decided, tuple(evidence), source)  # type: ignore[arg-type]


_OTHER_BUILDS = {"NCBI36 (hg18)": re.compile(r"NCBI_?36|hg18|b36\b", re.IGNORECASE),
                 "T2T-CHM13": re.compile(r"T2T|CHM13|hs1\b", re.IGNORECASE)}
"""Builds a header may name that GenoLens does not read (said in the message, never guessed from)."""


def _header_words(info: VcfInfo) -> str:
    """What the header says about the build when it decides nothing, in words."""
    sized = [f"{c.name}={c.length:,}" for c in info.contigs if c.length is not None]
    contigs = (f"its ##contig lengths ({', '.join(sized[:3])}{' ...' if len(sized) > 3 else ''}) match neither "
               "build" if sized else "its header has no ##contig lengths")
    hints = [h.strip()[:80] for h in info.hints]
    other = next((b for h in hints for b, pattern in _OTHER_BUILDS.items() if pattern.search(h)), None)
    named = (f"its ##reference/##assembly ({'; '.join(hints[:2])}) names {other}, which GenoLens does not read"
             if other else f"its ##reference/##assembly ({'; '.join(hints[:2])}) names neither" if hints
             else "no ##reference line names a build")
    return f"{contigs}, {named}"


def _build_from_ref_votes(ref_votes: Mapping[Build, int] | None) -> tuple[Build | None, list[str]]:
    if not ref_votes:
        return None, []
    n37, n38 = ref_votes.get("GRCh37", 0), ref_votes.get("GRCh38", 0)
    if n37 == n38:
        return None, ([f"REF bases at panel sites are undecided ({n37} vs {n38})"] if n37 else [])
    win: Build = "GRCh38" if n38 > n37 else "GRCh37"
    lose = "GRCh37" if win == "GRCh38" else "GRCh38"
    # Demand a clear majority so one odd site cannot decide.
    if max(n37, n38) < 3 or min(n37, n38) * 4 > max(n37, n38):
        return None, [f"REF bases at panel sites are undecided ({win} {max(n37, n38)}, {lose} {min(n37, n38)})"]
    return win, [f"REF bases at {max(n37, n38)} panel sites match {win} coordinates ({lose}: {min(n37, n38)})"]
