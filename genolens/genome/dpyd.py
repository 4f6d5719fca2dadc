"""DPYD called as PharmCAT calls it: from the lowest-function alleles, not from a best-scoring diplotype.

PharmCAT (PharmGKB/PharmCAT@5431bf1, ``NamedAlleleMatcher.callLowestFunctionGene``, ``DpydHapB3Matcher``,
``LowestFunctionGeneCaller``) calls DPYD apart from the other genes, and so does this module. Every DPYD allele but
HapB3 is one variant at one position; HapB3 is c.1236G>A (rs56038477, exonic) with c.1129-5923C>G (rs75017182,
intronic), and the intronic variant alone is its own allele (``c.1129-5923C>G``, also decreased function).

- **Phase known** (at most one unit of unknown orientation: phased calls, or a single heterozygous call) **or
  phase sets** (FORMAT/PS): each chromosome copy carries the alleles of its variants, several of them as a
  combination (``[c.498G>A + c.2582A>G]``); HapB3 is read per copy from its two positions. With phase sets, every
  arrangement of the sets is a diplotype. Each diplotype is scored from the lowest-function allele of each copy,
  and the lowest-scoring diplotype gives the activity score.
- **Phase unknown** (two or more unphased heterozygous calls, no phase set): the alleles found are listed
  (``"c.2933A>G (homozygous)"`` when on both copies), ``Reference`` only when a copy can be all reference and at
  most two alleles are found; HapB3 is counted from the two positions' allele counts. The two lowest-function
  alleles are scored as if on different copies (CPIC's rule for unphased DPYD: the lowest possible score).

The activity score is the sum of the two alleles' CPIC activity values and gives the phenotype through PharmCAT's
DPYD table. HapB3 warnings follow PharmCAT's messages (c.1236G>A without c.1129-5923C>G on a copy is not HapB3;
c.1236G>A with c.1129-5923C>G not in the file is read as HapB3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product

from genolens.errors import PanelError
from genolens.genome.pharmcat_definitions import Definition, natural_key

REFERENCE = "Reference"
HAPB3 = "c.1129-5923C>G, c.1236G>A (HapB3)"
HAPB3_INTRONIC = "c.1129-5923C>G"
EXONIC_RSID = "rs56038477"
INTRONIC_RSID = "rs75017182"
MISMATCH = ("c.1236G>A (rs56038477) is on a chromosome copy without c.1129-5923C>G (rs75017182), so it is not read "
            "as HapB3 (PharmCAT: pcat-dpyd-hapB3-intronic-mismatch-exonic)")
EXONIC_ONLY = ("c.1129-5923C>G (rs75017182) is not in the file: HapB3 is read from c.1236G>A (rs56038477) alone "
               "(PharmCAT: pcat-dpyd-hapB3-exonic-only)")
MAX_UNITS = 14
"""Phase sets and unphased heterozygous calls at most when phase sets are used (2**13 arrangements)."""


@dataclass(frozen=True)
class DpydCall:
    """DPYD's call under PharmCAT's lowest-function rule."""

    calls: tuple[str, ...]
    """What PharmCAT reports: diplotypes (``"Reference/c.1905+1G>A (*2A)"``, several when phase sets leave the
    arrangement open), or, when ``alleles_found``, the alleles found (``"c.2933A>G (homozygous)"``)."""
    alleles_found: bool
    """True when the phase is unknown and ``calls`` lists the alleles found, not diplotypes."""
    lookup: tuple[str, ...]
    """The two alleles the activity score sums (lowest function first); ``()`` when none."""
    activity_score: float | None
    """Sum of the two ``lookup`` alleles' CPIC activity values; ``None`` when not called."""
    phenotype: str
    """PharmCAT's DPYD phenotype of ``activity_score``; ``"Indeterminate"`` when not called."""
    warnings: tuple[str, ...]
    """HapB3 warnings (``MISMATCH``, ``EXONIC_ONLY``), in words."""
    note: str
    """How the call was made, in words."""


@dataclass(frozen=True)
class _Layout:
    ref: tuple[str, ...]
    by_variant: Mapping[tuple[int, str], str]
    """(position index, VCF allele) -> the single-position allele it defines (the intronic HapB3 included)."""
    activity: Mapping[str, float]
    exon: int
    intron: int
    defined: frozenset[tuple[int, str]]
    """Every (position index, VCF allele) an allele defines, HapB3's included."""


def _layout(d: Definition) -> _Layout:
    """DPYD's definitions arranged for this caller; raises ``PanelError`` when they no longer fit its rules."""
    labels = [p.rsid for p in d.positions]
    if EXONIC_RSID not in labels or INTRONIC_RSID not in labels:
        raise PanelError(f"The DPYD definitions lack HapB3's positions ({EXONIC_RSID}, {INTRONIC_RSID}); rebuild "
                         "data/pgx/pharmcat_alleles.tsv.")
    exon, intron = labels.index(EXONIC_RSID), labels.index(INTRONIC_RSID)
    by_variant: dict[tuple[int, str], str] = {}
    activity: dict[str, float] = {}
    defined: set[tuple[int, str]] = set()
    for a in d.alleles:
        try:
            activity[a.name] = float(a.key)
        except ValueError:
            raise PanelError(f"DPYD allele {a.name!r} has no activity value ({a.key!r}); rebuild "
                             "data/pgx/pharmcat_alleles.tsv.") from None
        cells = [(i, c) for i, c in enumerate(a.cells) if c is not None]
        if a.reference:
            continue
        defined.update(cells)
        if a.name == HAPB3 and {i for i, _ in cells} == {exon, intron}:
            continue
        if len(cells) != 1 or (cells[0][0] in (exon, intron)) != (a.name == HAPB3_INTRONIC) \
                or (cells[0][0], cells[0][1]) in by_variant:
            raise PanelError(f"DPYD allele {a.name!r} is not one variant at one position (or HapB3); the "
                             "lowest-function caller cannot place it. Rebuild data/pgx/pharmcat_alleles.tsv.")
        by_variant[cells[0]] = a.name
    if HAPB3 not in activity or HAPB3_INTRONIC not in activity:
        raise PanelError(f"The DPYD definitions lack {HAPB3!r} or {HAPB3_INTRONIC!r}; rebuild "
                         "data/pgx/pharmcat_alleles.tsv.")
    return _Layout(tuple(p.ref for p in d.positions), by_variant, activity, exon, intron, frozenset(defined))


def name_key(name: str) -> tuple[int, int, list[list[str | int]]]:
    """Sort key of allele and combination names in PharmCAT's order (combinations last, fewer parts first)."""
    if name.startswith("[") and " + " in name:
        parts = name[1:-1].split(" + ")
        return 1, len(parts), [natural_key(p) for p in parts]
    return 0, 0, [natural_key(name)]


def _combination(names: Sequence[str]) -> str:
    parts = sorted(names, key=natural_key)
    return REFERENCE if not parts else parts[0] if len(parts) == 1 else f"[{' + '.join(parts)}]"


def _units(het: Sequence[int], phased: Mapping[int, int | None]) -> list[list[int]]:
    """Heterozygous positions grouped by what keeps their relative phase: the calls phased without PS (one
    block), each phase set, and each unphased call."""
    fixed = [i for i in het if i in phased and phased[i] is None]
    sets: dict[int, list[int]] = {}
    for i in het:
        ps = phased.get(i)
        if ps is not None:
            sets.setdefault(ps, []).append(i)
    return [*([fixed] if fixed else []), *sets.values(), *([i] for i in het if i not in phased)]


def _copy_alleles(lay: _Layout, strand: Mapping[int, str], warnings: set[str]) -> list[str]:
    """The alleles one chromosome copy carries (``[]``: reference); HapB3 read from its two positions."""
    out = [lay.by_variant[(i, a)] for i, a in strand.items()
           if a != lay.ref[i] and i not in (lay.exon, lay.intron)]
    intron, exon = strand.get(lay.intron), strand.get(lay.exon)
    has_exon = exon is not None and exon != lay.ref[lay.exon]
    if intron is not None and intron != lay.ref[lay.intron]:
        out.append(HAPB3 if has_exon else HAPB3_INTRONIC)
    elif has_exon and intron is not None:
        warnings.add(MISMATCH)
    elif has_exon:
        warnings.add(EXONIC_ONLY)
        out.append(HAPB3)
    return out


def by_function(d: Definition, names: Sequence[str]) -> list[str]:
    """DPYD allele names, lowest function first (CPIC activity value, then name), as PharmCAT ranks them.

    Raises
    ------
    KeyError
        When a name is not a DPYD allele (naming it).
    """
    activity = {a.name: float(a.key) for a in d.alleles}
    return sorted(names or [REFERENCE], key=lambda n: (activity[n], natural_key(n)))


def _sides(text: str) -> list[list[str]]:
    """``"A/[B + C]"`` -> ``[["A"], ["B", "C"]]`` (combination names split into their alleles)."""
    sides = [s.strip() for s in text.split("/")]
    return [[n.strip() for n in s[1:-1].split(" + ")] if s.startswith("[") and s.endswith("]") else [s]
            for s in sides]


def score_diplotypes(d: Definition, diplotypes: Sequence[str]) -> tuple[tuple[str, str], float] | None:
    """The two alleles and activity score PharmCAT looks DPYD up by: for each diplotype, the lowest-function allele
    of each copy; of several diplotypes, the lowest-scoring one (ties: by allele name).

    Parameters
    ----------
    d
        PharmCAT's DPYD definition.
    diplotypes
        PharmCAT diplotype texts (``"c.498G>A/[c.2933A>G + c.1905+1G>A (*2A)]"``), one or more.

    Returns
    -------
    tuple
        ((allele of copy 1, allele of copy 2), activity score); ``None`` when a text does not name two copies of
        DPYD alleles.
    """
    activity = {a.name: float(a.key) for a in d.alleles}
    best: tuple[float, list[str | int], list[str | int], tuple[str, str]] | None = None
    for text in diplotypes:
        sides = sorted(_sides(text), key=lambda s: name_key(_combination(s)))
        if len(sides) != 2 or any(n not in activity for s in sides for n in s):
            return None
        a, b = (by_function(d, s)[0] for s in sides)
        key = (activity[a] + activity[b], natural_key(a), natural_key(b), (a, b))
        best = key if best is None or key[:3] < best[:3] else best
    return None if best is None else (best[3], best[0])


def _phased(d: Definition, lay: _Layout, copies: Mapping[int, tuple[str, ...]],
            units: list[list[int]]) -> DpydCall | str:
    if len(units) > MAX_UNITS:
        return f"{len(units)} phase sets and unphased heterozygous calls: too many arrangements to try"
    warnings: set[str] = set()
    found: set[tuple[str, str]] = set()
    for flips in product((False, True), repeat=max(len(units) - 1, 0)):
        flip = {i for unit, f in zip(units[1:], flips, strict=True) if f for i in unit}
        haps = [_copy_alleles(lay, {i: c[(k + (i in flip)) % 2] for i, c in copies.items()}, warnings)
                for k in (0, 1)]
        n1, n2 = sorted((_combination(h) for h in haps), key=name_key)
        found.add((n1, n2))
    calls = tuple(f"{n1}/{n2}" for n1, n2 in sorted(found, key=lambda t: (name_key(t[0]), name_key(t[1]))))
    scored = score_diplotypes(d, calls)
    if scored is None:  # every name comes from the definitions
        raise PanelError(f"DPYD {calls} cannot be scored; rebuild data/pgx/pharmcat_alleles.tsv.")
    if len(calls) == 1:
        how = (f"DPYD {calls[0]}: the lowest-function allele of each chromosome copy is scored (PharmCAT's and "
               f"CPIC's rule)")
    else:
        how = (f"{len(calls)} diplotypes fit (the phase between phase sets is unknown): {', '.join(calls)}; as "
               "PharmCAT, the lowest-scoring one gives the activity score")
    return _result(calls, False, scored[0], scored[1], warnings, how)


def _unphased_hapb3(lay: _Layout, copies: Mapping[int, tuple[str, ...]], warnings: set[str]) -> list[str]:
    """HapB3 alleles counted from the two positions' allele counts, as PharmCAT does for unphased calls."""
    intron, exon = copies.get(lay.intron), copies.get(lay.exon)
    n_i = None if intron is None else sum(a != lay.ref[lay.intron] for a in intron)
    n_e = None if exon is None else sum(a != lay.ref[lay.exon] for a in exon)
    if n_i is None:
        if n_e:  # PharmCAT warns whenever both exonic alleles are called, 0/0 too; here only when one is c.1236G>A
            warnings.add(EXONIC_ONLY)
        return [HAPB3] * (n_e or 0)
    if n_e is None:
        return [HAPB3_INTRONIC] * n_i
    if n_i == n_e:
        return [HAPB3] * n_i
    if n_i > n_e:
        return [HAPB3_INTRONIC] * (n_i - n_e) + [HAPB3] * n_e
    warnings.add(MISMATCH)
    return [HAPB3] * n_i


def _unphased(d: Definition, lay: _Layout, copies: Mapping[int, tuple[str, ...]], fixed: Sequence[int]) -> DpydCall:
    warnings: set[str] = set()
    hapb3 = _unphased_hapb3(lay, copies, warnings)
    plain = {i: c for i, c in copies.items() if i not in (lay.exon, lay.intron)}
    found = sorted({lay.by_variant[(i, a)] for i, c in plain.items() for a in c if a != lay.ref[i]}, key=natural_key)
    twice = {lay.by_variant[(i, c[0])] for i, c in plain.items() if c[0] == c[1] != lay.ref[i]}
    if not found and not hapb3:
        twice.add(REFERENCE)
    # A copy can be all reference when no call is homozygous for a variant and the phased block allows it.
    hom_ref = all(c[0] != c[1] or c[0] == lay.ref[i] for i, c in copies.items())
    block_ref = not fixed or any(all(copies[i][k] == lay.ref[i] for i in fixed) for k in (0, 1))
    if hom_ref and block_ref and len(found) + 1 + len(hapb3) <= 2:
        found.insert(0, REFERENCE)
    alleles = [n for n in found for _ in range(2 if n in twice else 1)] + hapb3
    if len(alleles) < 2:
        return _result((), True, (), None, warnings, f"only {len(alleles)} DPYD allele found")
    shown = sorted(dict.fromkeys(alleles), key=name_key)
    calls = tuple(f"{n} (homozygous)" if alleles.count(n) > 1 else n for n in shown)
    a, b = by_function(d, alleles)[:2]
    how = (f"Phase unknown: the DPYD alleles found are {', '.join(calls)}; as PharmCAT (CPIC's rule for unphased "
           "DPYD), the two lowest-function alleles are scored as if on different chromosome copies, the lowest "
           "score possible")
    return _result(calls, True, (a, b), lay.activity[a] + lay.activity[b], warnings, how)


def _result(calls: tuple[str, ...], alleles_found: bool, pair: tuple[str, ...], score: float | None,
            warnings: set[str], how: str) -> DpydCall:
    return DpydCall(calls, alleles_found, pair, score, "Indeterminate", tuple(sorted(warnings)), how)


def call_dpyd(d: Definition, copies: Mapping[int, tuple[str, ...]], phased: Mapping[int, int | None]) -> DpydCall:
    """Call DPYD from the alleles of each position present, as PharmCAT does.

    Parameters
    ----------
    d
        PharmCAT's DPYD definition (:func:`genolens.genome.pharmcat_definitions.load_definitions`).
    copies
        Position index (in ``d.positions``) -> the VCF allele on each of the two chromosome copies, for every
        position present; every non-reference allele must be one a DPYD allele defines there.
    phased
        Position index -> FORMAT/PS of a phased call (``None``: phased without PS); unphased positions absent.

    Returns
    -------
    DpydCall
        The diplotypes (or alleles found), the two alleles scored, the activity score and phenotype.

    Raises
    ------
    PanelError
        When the definitions no longer fit the lowest-function rule (an allele of several positions besides
        HapB3), or ``copies`` holds an allele no DPYD allele defines.
    """
    lay = _layout(d)
    for i, c in copies.items():
        odd = [a for a in c if a != lay.ref[i] and (i, a) not in lay.defined]
        if odd:
            raise PanelError(f"DPYD {d.positions[i].label()}: allele {odd[0]} is not defined by any DPYD allele.")
    het = [i for i in sorted(copies) if len(set(copies[i])) > 1]
    units = _units(het, phased)
    uses_sets = any(ps is not None for ps in phased.values())
    if len(units) <= 1 or uses_sets:
        got = _phased(d, lay, copies, units)
        if isinstance(got, str):
            return DpydCall((), False, (), None, "Indeterminate", (), got)
    else:
        got = _unphased(d, lay, copies, [i for i in het if i in phased])
    if got.activity_score is None:
        return got
    phenotype = d.phenotypes.get(f"{got.activity_score:g}", "Indeterminate")
    a, b = got.lookup
    note = (f"{got.note}: {a} ({lay.activity[a]:g}) + {b} ({lay.activity[b]:g}) = activity score "
            f"{got.activity_score:g}, {phenotype}.")
    return DpydCall(got.calls, got.alleles_found, got.lookup, got.activity_score, phenotype, got.warnings, note)
