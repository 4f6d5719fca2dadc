"""Star alleles from PharmCAT's definitions: PharmCAT's NamedAlleleMatcher matching and scoring for one gene,
never guessing a variant (the rules are in :mod:`genolens.genome.pgx`'s docstring; DPYD by
:mod:`genolens.genome.dpyd`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import product
from typing import Literal

from genolens.datamodel import USABLE_STATUSES, Locus, SiteCall
from genolens.genome.copies import copies, phase_sets, phase_unknown, split_note
from genolens.genome.dpyd import call_dpyd
from genolens.genome.gene_call import GeneCall
from genolens.genome.pharmcat_definitions import Definition, NamedAllele, fits_cell, natural_key

MissingPolicy = Literal["pharmcat", "strict"]
"""How missing defining positions are handled: ``pharmcat`` or ``strict`` (see ``pgx.MISSING_POLICIES``)."""
_MAX_HETS = 14  # 2**13 phase arrangements at most


@dataclass
class _Observed:
    copies: dict[int, tuple[str, ...]]
    """Position index -> the VCF allele (PharmCAT form) on each chromosome copy."""
    phased: dict[int, int | None]
    """Position index -> FORMAT/PS of a phased call (``None``: phased without PS)."""
    missing: list[int]
    unplaced: list[str]
    notes: list[str]
    half_called: list[str]
    """Missing positions whose genotype has one allele missing and the other non-reference (``./1``)."""


def _half_called(gt: str) -> bool:
    parts = re.split(r"[/|]", gt)
    return "." in parts and any(x not in (".", "0") for x in parts)


def _observe_definition(d: Definition, sites: Mapping[str, tuple[SiteCall, Locus]]) -> _Observed:
    obs = _Observed({}, {}, [], [], [], [])
    for i, p in enumerate(d.positions):
        found = [sites.get(vid) for vid in p.ids()]
        rows = [x for x in found if x is not None]
        if not rows or any(s.status not in USABLE_STATUSES for s, _ in rows):
            obs.missing.append(i)
            half = [s.genotype for s, _ in rows if s.genotype and _half_called(s.genotype)]
            if half:
                obs.half_called.append(f"{p.label()} {half[0]} (one allele of the genotype is missing, the other is "
                                       "not reference)")
            continue
        labels = [copies(s, loc) for s, loc in rows]
        site = rows[0][0]
        shown = f"{p.label()} {'/'.join(site.alleles or ()) or site.genotype or site.dosage}"
        if any(lab is None for lab in labels) or len({len(lab or ()) for lab in labels}) != 1:
            obs.unplaced.append(f"{shown} (cannot be split into chromosome copies)")
            continue
        per_copy: list[str | None] = []
        for c in range(len(labels[0] or ())):
            marks = [lab[c] for lab in labels if lab is not None]
            if "E" in marks:
                per_copy.append(p.alts[marks.index("E")])
            elif all(m == "O" for m in marks):
                per_copy.append(p.ref)
            else:
                per_copy.append(None)
        if any(a is None for a in per_copy):
            obs.unplaced.append(f"{shown} (an allele PharmCAT does not define at this position)")
            continue
        obs.copies[i] = tuple(a for a in per_copy if a is not None)
        if site.genotype and "|" in site.genotype:
            obs.phased[i] = site.phase_set
    return obs


def _hap_matches(d: Definition, alleles: list[NamedAllele], present: list[int],
                 hap: Mapping[int, str]) -> list[NamedAllele]:
    """The ``alleles`` that match a haplotype and explain every non-reference allele on it."""
    out = []
    for a in alleles:
        if not all(fits_cell(a.cells[i], hap[i]) for i in present):
            continue
        if any(hap[i] != d.positions[i].ref and a.cells[i] is None for i in present):
            continue  # a variant this allele does not define: not explained
        out.append(a)
    return out


def call_whole_genome(d: Definition, sites: Mapping[str, tuple[SiteCall, Locus]],
                       as_read: Mapping[str, tuple[SiteCall, Locus]], policy: MissingPolicy,
                       assumed: set[str]) -> GeneCall:
    """Call one gene; when the whole-genome assumption (reference at absent positions) leaves the called variants
    unexplained, call again from the positions actually in the file, and say so.

    A file that lists rs4244285 A/A but not rs12769205 (both define CYP2C19 *2) contradicts "absent means
    reference"; the assumption, not the called genotype, gives way, and the absent positions are listed missing.
    """
    call = _call_definition(d, sites, policy, assumed)
    if not (call.phenotype == "Indeterminate" and call.uncertainty.startswith("No combination")
            and assumed & {p.label() for p in d.positions}):
        return call
    again = _call_definition(d, {**sites, **as_read}, policy, set())
    if again.uncertainty.startswith("No combination"):
        return call
    return replace(again, note=f"{again.note} The whole-genome assumption (reference at the {d.gene} positions "
                              "absent from the file) left the called variants unexplained, so the gene was called "
                              "from the positions in the file; the absent ones are listed missing.")


def _dip_names(dips: Sequence[tuple[NamedAllele, NamedAllele]]) -> tuple[str, ...]:
    return tuple(f"{a.name}/{b.name}" for a, b in dips)


def _call_definition(d: Definition, sites: Mapping[str, tuple[SiteCall, Locus]], policy: MissingPolicy,
                     assumed: set[str]) -> GeneCall:
    """Call one gene from PharmCAT's definitions: PharmCAT's matching and scoring, never guessing a variant."""
    obs = _observe_definition(d, sites)
    notes = obs.notes
    missing = tuple(d.positions[i].label() for i in obs.missing)
    present = sorted(obs.copies)
    testable = [a for a in d.alleles if a.reference or any(a.cells[i] is not None for i in present)]
    normal = {a.key for a in d.alleles if a.reference}
    # Alleles that would change the function first (what a reader must not miss), then the rest, in PharmCAT's order
    untested = tuple(a.name for a in sorted((a for a in d.alleles if a not in testable), key=lambda a: a.key in normal))
    notes.append(f"{len(d.positions)} PharmCAT-defining positions, {len(d.alleles)} alleles "
                 f"(PharmCAT@5431bf1, data 2025-11-05); {len(present)} positions called.")
    if missing:
        notes.append(f"Missing ({len(missing)}): {', '.join(missing)}; called from the positions present, as PharmCAT "
                     "does." + (f" Alleles not tested (every defining position missing): {', '.join(untested)}."
                                if untested else ""))
    used = sorted(assumed & {p.label() for p in d.positions})
    if used:
        notes.append(f"Assumed reference because the file was declared a whole-genome call set: {', '.join(used)}.")

    top: list[str] = []

    def done(phenotype: str, names: tuple[str, ...] = (), score: float | None = None,
             possible: tuple[str, ...] = (), why: str = "") -> GeneCall:
        pharmcat = phenotype
        if policy == "strict" and missing and phenotype != "Indeterminate":
            notes.append(f"Strict policy: Indeterminate because {len(missing)} defining positions are missing; "
                         f"PharmCAT's policy gives {pharmcat}.")
            phenotype, why = "Indeterminate", why or f"Strict policy: {len(missing)} defining positions missing"
            possible = possible or tuple(pharmcat.split(" or "))
        return GeneCall(d.gene, names, phenotype, score, missing, " ".join(notes), possible, why,
                        untested_alleles=untested, policy=policy, pharmcat_phenotype=pharmcat,
                        pharmcat_diplotypes=tuple(top))

    unplaced = [*obs.unplaced, *obs.half_called]  # a half-called ALT (./1) is a variant the call cannot ignore
    if unplaced:
        text = "; ".join(unplaced)
        notes.append(f"Called but not placed on any {d.gene} allele: {text}.")
        return done("Indeterminate", why=f"Called variant not placed on any PharmCAT {d.gene} allele: {text}")
    ploidies = {len(c) for c in obs.copies.values()}
    if not present or ploidies != {2}:
        why = "No defining position was called" if not present else f"Unexpected ploidy {sorted(ploidies)}"
        notes.append(f"{why}.")
        return done("Indeterminate", why=why)
    if d.gene == "DPYD":
        got = call_dpyd(d, obs.copies, obs.phased)
        notes.append(got.note)
        notes.extend(f"HapB3: {w}." for w in got.warnings)
        top[:] = got.calls
        if got.activity_score is None:
            return done("Indeterminate", why=got.note)
        return replace(done(got.phenotype, got.calls, got.activity_score), alleles_found=got.alleles_found,
                       lowest_function=got.lookup)
    hets = [i for i in present if len(set(obs.copies[i])) > 1]
    by_set = phase_sets(obs.phased, hets)
    sets = {ps: [d.positions[i].label() for i in idx] for ps, idx in by_set.items()}
    unphased = [d.positions[i].label() for i in hets if i not in obs.phased]
    notes.extend(split_note(sets))
    # Units whose relative phase is unknown: each phase set (its hets keep their order) and each unphased het.
    # The first unit is fixed (symmetry); every other is flipped as a block.
    units = [*by_set.values(), *([i] for i in hets if i not in obs.phased)]
    if len(units) > _MAX_HETS:
        what = f"{len(unphased)} unphased heterozygous positions" + (f" and {len(sets)} phase sets" if sets else "")
        notes.append(f"{what}: too many phase arrangements to try.")
        return done("Indeterminate", why=what)
    # Every pair that explains one phase arrangement, with its PharmCAT score (the number of defining positions
    # its alleles specify among those present); per arrangement, the best-scoring pairs are that phase's answer.
    fits: dict[tuple[str, str], tuple[int, NamedAllele, NamedAllele]] = {}
    phase_best: dict[tuple[str, str], tuple[int, NamedAllele, NamedAllele]] = {}
    for flips in product((False, True), repeat=max(len(units) - 1, 0)):
        flip = {i for unit, f in zip(units[1:], flips, strict=True) if f for i in unit}
        h1 = {i: obs.copies[i][1 if i in flip else 0] for i in present}
        h2 = {i: obs.copies[i][0 if i in flip else 1] for i in present}
        m1, m2 = _hap_matches(d, testable, present, h1), _hap_matches(d, testable, present, h2)
        if not m1 or not m2:
            continue
        sc = {id(a): sum(a.cells[i] is not None for i in present) for a in (*m1, *m2)}
        top_sum = max(sc[id(a)] for a in m1) + max(sc[id(b)] for b in m2)
        for a in m1:
            for b in m2:
                x, y = sorted((a, b), key=lambda n: natural_key(n.name))  # PharmCAT's order: *1/*38, *4/*17
                fits[(x.name, y.name)] = (sc[id(a)] + sc[id(b)], x, y)
                if sc[id(a)] + sc[id(b)] == top_sum:
                    phase_best[(x.name, y.name)] = (top_sum, x, y)
    if not fits:
        variants = [f"{d.positions[i].label()} {'/'.join(obs.copies[i])}" for i in present
                    if any(c != d.positions[i].ref for c in obs.copies[i])]
        text = ", ".join(variants)
        notes.append(f"No combination of PharmCAT {d.gene} alleles explains the calls ({text}).")
        return done("Indeterminate", why=f"No combination of PharmCAT {d.gene} alleles explains the called "
                                         f"variants: {text}")
    ranked = sorted(phase_best.values(), key=lambda t: -t[0])
    top_score = ranked[0][0]
    best = [(x, y) for s, x, y in ranked if s == top_score]
    top[:] = _dip_names(best)
    phases = [(x, y) for s, x, y in ranked if s != top_score]  # best of another phase arrangement
    lower = [(x, y) for _, x, y in sorted(fits.values(), key=lambda t: -t[0]) if (x.name, y.name) not in phase_best]
    listed_all = _dip_names([*best, *phases, *lower])  # PharmCAT's order: best score first
    phenos = list(dict.fromkeys(d.phenotype(x, y) for x, y in best))
    scores = {d.score(x, y) for x, y in best}
    score = scores.pop() if len(scores) == 1 else None
    alt_phen = sorted({d.phenotype(x, y) for x, y in phases} - set(phenos))
    if phases or lower:
        notes.append("Other diplotypes fit with a lower PharmCAT score (fewer defining positions specified): "
                     + ", ".join(f"{x.name}/{y.name}" for x, y in (*phases, *lower)) + "; as PharmCAT, the "
                     "best-scoring diplotype gives the phenotype" + (", except where only phase separates them."
                                                                     if alt_phen and len(units) > 1 else "."))
    if alt_phen and len(units) > 1:
        # Only phase separates them: PharmCAT reports its top score; GenoLens does not guess the phase.
        arranged = [*best, *phases]
        phenos_all = list(dict.fromkeys(d.phenotype(x, y) for x, y in arranged))
        sentence, decide = phase_unknown(sets, unphased)
        notes.append(f"{sentence}; PharmCAT reports {' or '.join(f'{x.name}/{y.name}' for x, y in best)} "
                     f"({' or '.join(phenos)}).")
        listed = " or ".join(f"{x.name}/{y.name}" for x, y in arranged)
        return done(" or ".join(phenos_all), listed_all, score, tuple(phenos_all), f"Phase unknown: {listed}; {decide}")
    if len(phenos) > 1:
        return done(" or ".join(phenos), listed_all, score, tuple(phenos),
                    "Several diplotypes fit equally: " + " or ".join(f"{x.name}/{y.name}" for x, y in best))
    phenotype = phenos[0]
    if phenotype != "Indeterminate":
        return done(phenotype, listed_all, score)
    dips = " or ".join(f"{x.name}/{y.name}" for x, y in best)
    unknown = sorted({n.name for x, y in best for n in (x, y) if not d.function_known(n)})
    possible = tuple(dict.fromkeys(p for x, y in best for p in d.read_as_known(x, y)))
    if unknown and possible:
        why = (f"{d.gene} {' and '.join(unknown)} alone is of unknown function, so {dips} has no assigned phenotype; "
               f"read as normal or as decreased function, it gives {' or '.join(possible)}")
    else:
        why = f"PharmCAT gives no phenotype for {dips} ({', '.join(sorted({n.key for x, y in best for n in (x, y)}))})"
    notes.append(f"{why}.")
    return done(phenotype, listed_all, score, possible, why)
