"""Guideline (CPIC-style) phenotypes from a sample's pharmacogenomic positions, without guessing.

CYP2C19, CYP2C9, VKORC1, SLCO1B1, TPMT, NUDT15, DPYD, CYP3A5 and UGT1A1 (``PHARMCAT_GENES``) are called from every
allele PharmCAT defines for them (``data/pgx/pharmcat_alleles.tsv``, derived from PharmCAT@5431bf1, data
2025-11-05, by ``data/pgx/build_pharmcat_alleles.py``), all their defining positions read through the
``pharmcat_positions`` panel. Matching follows PharmCAT's NamedAlleleMatcher: an allele matches a haplotype when
every position it specifies agrees (IUPAC codes allowed, unspecified positions match anything); a diplotype's
score is the number of positions its alleles specify; the best score is PharmCAT's call, and every diplotype
that fits is listed after it. Two rules are GenoLens's own and never give a confident phenotype PharmCAT would
not: a called non-reference allele must be specified by the allele it is placed on (a variant no allele
combination explains makes the gene ``Indeterminate`` with the variant named), and calls of unknown phase whose
arrangements give different phenotypes give ``"A or B"`` (PharmCAT's top score is listed first).

DPYD is called as PharmCAT calls it, by its lowest-function rule (:mod:`genolens.genome.dpyd`): diplotypes (with
combinations such as ``[c.498G>A + c.2582A>G]``) when phase is known or given by phase sets, the alleles found when
it is not, and the activity score from the lowest-function allele of each copy (unphased: the two lowest found).
A genotype with one allele missing and the other not reference (``./1``) at a defining position makes the gene
``Indeterminate`` with the call named: PharmCAT makes no call for such a gene, except DPYD, which it reads by the
called half.

Missing positions (absent, no-call, filtered, or REF mismatch) are handled as PharmCAT does: the gene is called
from the positions present, the missing ones are listed, and the alleles that could not be tested (every defining
position missing) are named. ``missing="strict"`` makes such a gene ``Indeterminate`` instead, with PharmCAT's
answer kept beside it. Phenotypes are PharmCAT's (``phenotype/<GENE>.json``: function pair or activity score ->
phenotype).

Phase is read by phase set (FORMAT/PS): phased calls (GT with ``|``) are in known cis/trans relation only when
they share a PS. Each phase set keeps its order, and is otherwise one more unit whose orientation is unknown,
like an unphased heterozygous call: the first unit is fixed, every other is tried both ways as a block. As in
VCF 4.3, phased calls without PS (or with ``.``) are one set, apart from those with a PS; a PS that is not a
non-negative integer leaves its call unphased (``genolens.genome.vcf_records``). A gene whose phased
heterozygous calls lie in several sets says so in its note.

G6PD (classes from PyPGx ``allele-table.csv``) and the HLA-B*57:01 tag SNP are called from the
``pharmacogenomics`` panel with the rules in ``GENES``, as summarised in ``../shared/facts/pgx_variants.tsv``.

This module runs the calls (:func:`call_pgx`) and holds the panel genes' rules; PharmCAT-definition matching is
:mod:`genolens.genome.star_alleles`, the copy-by-copy reading and phase sets :mod:`genolens.genome.copies`, and
the call and report types :mod:`genolens.genome.gene_call`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from itertools import combinations_with_replacement
from typing import Any

from genolens.datamodel import USABLE_STATUSES, Locus, Panel, PatientGenome, SiteCall
from genolens.errors import OptionError, OutsideCallError, PanelError
from genolens.genome.copies import PhaseSets, copies, phase_sets, phase_unknown, split_note
from genolens.genome.dpyd import score_diplotypes
from genolens.genome.gene_call import GeneCall, PgxReport
from genolens.genome.outside_calls import OutsideCall
from genolens.genome.panel import load_panel
from genolens.genome.pharmcat_definitions import (
    PHARMCAT_GENES,
    load_definitions,
)
from genolens.genome.star_alleles import MissingPolicy, call_whole_genome


@dataclass(frozen=True)
class _Allele:
    name: str
    variants: frozenset[str]
    """rsIDs at which this haplotype carries the panel's effect allele (all others: the other allele)."""
    function: str
    activity: float | None = None


def _a(name: str, variants: tuple[str, ...], function: str, activity: float | None = None) -> _Allele:
    return _Allele(name, frozenset(variants), function, activity)


Rule = Callable[[tuple[_Allele, ...]], str]
_MET = ("Normal Metabolizer", "Intermediate Metabolizer", "Poor Metabolizer")


def _n(dip: tuple[_Allele, ...], function: str) -> int:
    return sum(a.function == function for a in dip)


def _score(dip: tuple[_Allele, ...]) -> float:
    return sum(a.activity or 0.0 for a in dip)


def _no_function(dip: tuple[_Allele, ...]) -> str:
    return _MET[_n(dip, "no")]


def _cyp2c19(dip: tuple[_Allele, ...]) -> str:
    if _n(dip, "no"):
        return _MET[_n(dip, "no")]
    return ("Normal Metabolizer", "Rapid Metabolizer", "Ultrarapid Metabolizer")[_n(dip, "increased")]


def _by_score(dip: tuple[_Allele, ...]) -> str:
    s = _score(dip)
    return _MET[0] if s >= 2 else _MET[1] if s >= 1 else _MET[2]


def _ugt1a1(dip: tuple[_Allele, ...]) -> str:
    return "Indeterminate" if _n(dip, "unknown") else _MET[_n(dip, "decreased")]


def _g6pd(dip: tuple[_Allele, ...]) -> str:
    words = ("Normal", "Deficient") if len(dip) == 1 else ("Normal", "Variable", "Deficient")
    return words[_n(dip, "deficient")]


@dataclass(frozen=True)
class _Gene:
    name: str
    positions: tuple[str, ...]
    alleles: tuple[_Allele, ...]
    """Reference allele first."""
    rule: Rule
    note: str = ""
    scored: bool = False
    haploid_ok: bool = False


_DPYD_HAPB3 = ("rs75017182", "rs56038477")
GENES: tuple[_Gene, ...] = (
    _Gene("CYP2C19", ("rs4244285", "rs4986893", "rs12248560"),
          (_a("*1", (), "normal"), _a("*2", ("rs4244285",), "no"), _a("*3", ("rs4986893",), "no"),
           _a("*17", ("rs12248560",), "increased")), _cyp2c19,
          "PharmCAT names this reference haplotype *38."),
    _Gene("CYP2C9", ("rs1799853", "rs1057910"),
          (_a("*1", (), "normal", 1.0), _a("*2", ("rs1799853",), "decreased", 0.5),
           _a("*3", ("rs1057910",), "no", 0.0)), _by_score, scored=True),
    _Gene("VKORC1", ("rs9923231",),
          (_a("rs9923231 reference (C)", (), "normal"), _a("rs9923231 variant (T)", ("rs9923231",), "sensitive")),
          lambda d: ("-1639 GG", "-1639 AG", "-1639 AA")[_n(d, "sensitive")],
          "-1639G>A on the gene strand is rs9923231 C>T on the + strand; A (T) raises warfarin sensitivity."),
    _Gene("SLCO1B1", ("rs4149056", "rs2306283"),
          (_a("*1", (), "normal"), _a("*5", ("rs4149056",), "no"), _a("*15", ("rs4149056", "rs2306283"), "no"),
           _a("*37", ("rs2306283",), "normal")),
          lambda d: ("Normal Function", "Decreased Function", "Poor Function")[_n(d, "no")],
          "c.388G (rs2306283) without c.521C is named *37; *14/*20 (with c.463A, rs11045819, off the panel) "
          "cannot be told apart, so *37/*37 could be *14/*14 (Increased Function)."),
    _Gene("TPMT", ("rs1800462", "rs1800460", "rs1142345"),
          (_a("*1", (), "normal"), _a("*2", ("rs1800462",), "no"), _a("*3A", ("rs1800460", "rs1142345"), "no"),
           _a("*3B", ("rs1800460",), "no"), _a("*3C", ("rs1142345",), "no")), _no_function,
          "*3A is *3B + *3C in cis; unphased double heterozygotes are *1/*3A or *3B/*3C."),
    _Gene("NUDT15", ("rs116855232",), (_a("*1", (), "normal"), _a("*3", ("rs116855232",), "no")), _no_function,
          "CPIC data (2026-01) folded *2 into *3; rs116855232 T is named *3."),
    _Gene("DPYD", ("rs3918290", "rs55886062", "rs67376798", *_DPYD_HAPB3),
          (_a("Reference", (), "normal", 1.0), _a("c.1129-5923C>G", ("rs75017182",), "decreased", 0.5),
           _a("c.1129-5923C>G, c.1236G>A (HapB3)", _DPYD_HAPB3, "decreased", 0.5),
           _a("c.1679T>G (*13)", ("rs55886062",), "no", 0.0), _a("c.1905+1G>A (*2A)", ("rs3918290",), "no", 0.0),
           _a("c.2846A>T", ("rs67376798",), "decreased", 0.5)), _by_score,
          "Activity score = sum of the two allele values; c.1236G>A (rs56038477) counts only as HapB3, "
          "with c.1129-5923C>G in cis.", scored=True),
    _Gene("CYP3A5", ("rs776746", "rs10264272", "rs41303343"),
          (_a("*1", (), "normal"), _a("*3", ("rs776746",), "no"), _a("*6", ("rs10264272",), "no"),
           _a("*7", ("rs41303343",), "no")), _no_function,
          "On GRCh37 the reference base at rs776746 is the *3 allele."),
    _Gene("UGT1A1", ("rs887829", "rs3064744", "rs4148323"),
          (_a("*1", (), "normal"), _a("*6", ("rs4148323",), "decreased"), _a("*28", ("rs3064744",), "decreased"),
           _a("*80", ("rs887829",), "unknown"), _a("*80+*28", ("rs887829", "rs3064744"), "decreased")), _ugt1a1,
          "*80 alone is of unknown function; the TA-repeat alleles *36 and *37 are not panel alleles."),
    _Gene("G6PD", ("rs1050828", "rs1050829", "rs5030868"),
          (_a("B (reference)", (), "normal"), _a("A", ("rs1050829",), "normal"),
           _a("A- 202A_376G", ("rs1050829", "rs1050828"), "deficient"), _a("Asahi", ("rs1050828",), "deficient"),
           _a("Mediterranean, Dallas, Panama, Sassari, Cagliari, Birmingham", ("rs5030868",), "deficient")),
          _g6pd, "X-linked: a haploid (male) call gives Normal or Deficient; a heterozygous diploid call gives "
          "Variable (measure enzyme activity).", haploid_ok=True),
    _Gene("HLA-B", ("rs2395029",), (_a("rs2395029 T", (), "normal"), _a("rs2395029 G", ("rs2395029",), "tag")),
          lambda d: "positive" if _n(d, "tag") else "negative",
          "rs2395029 G is a tag SNP for HLA-B*57:01, not an HLA type: confirm by HLA typing before an abacavir "
          "decision (the tag is weaker outside European ancestry)."),
)
"""The genes called, with the alleles the panel's positions define."""


def call_pgx(patient: PatientGenome, outside: Mapping[str, OutsideCall] | None = None, *,
             panel: str = "pharmacogenomics", missing: MissingPolicy = "pharmcat") -> PgxReport:
    """Derive guideline phenotypes from the pharmacogenomics panels of a read sample, and outside calls.

    Parameters
    ----------
    patient
        A sample read by :func:`genolens.genome.patient.read_patient` with the panels ``panel`` and
        ``POSITIONS_PANEL`` (every PharmCAT allele-defining position of ``PHARMCAT_GENES``).
    outside
        Results of other tests by gene (:func:`genolens.genome.outside_calls.read_outside_calls`); each
        replaces the VCF-based call of its gene and is marked ``outside_call`` (outside calls win, as in
        PharmCAT). ``None``: none given.
    panel
        Name of the panel holding the G6PD and HLA-B tag positions.
    missing
        ``"pharmcat"`` (default): positions missing from the file are left out and the gene is called from
        those present, as PharmCAT does, listing the missing positions and the alleles not tested.
        ``"strict"``: ``Indeterminate`` whenever a defining position is missing; PharmCAT's result stays in
        ``GeneCall.pharmcat_phenotype`` and the note.

    Returns
    -------
    PgxReport
        One :class:`GeneCall` per gene in ``PHARMCAT_GENES`` then G6PD and HLA-B, then ``OUTSIDE_ONLY``
        (``No result`` unless an outside call gives one), then any other gene an outside call names.

    Raises
    ------
    PanelError
        When ``panel`` or ``POSITIONS_PANEL`` was not read for this sample, or the definitions are unreadable.
    OptionError
        When ``missing`` is not one of ``MISSING_POLICIES``.
    OutsideCallError
        When an outside call for a panel gene names an allele the panel's table does not know and gives no
        phenotype.
    """
    if missing not in MISSING_POLICIES:
        raise OptionError(f"Missing-position policy {missing!r} unknown. Choose from: {', '.join(MISSING_POLICIES)}.")
    results = {r.panel: r for r in patient.panels}
    for name in (panel, POSITIONS_PANEL):
        if name not in results:
            read = ", ".join(results) or "(none)"
            raise PanelError(f"Panel {name!r} was not read for {patient.source_name!r} (panels read: {read}); "
                             "read the file again with that panel.")
    build = patient.build.build
    sites: dict[str, tuple[SiteCall, Locus]] = {}
    by_id: dict[str, tuple[SiteCall, Locus]] = {}
    assumed: set[str] = set()
    as_read: dict[str, tuple[SiteCall, Locus]] = {}  # the absent sites the whole-genome policy filled, as read
    for name in (panel, POSITIONS_PANEL):
        variants = {v.id: v for v in load_panel(name).variants}
        for s in results[name].sites:
            if s.variant_id not in variants:
                continue
            locus = variants[s.variant_id].locus(build)
            if s.status == "absent" and patient.absent_policy == "reference" and locus.ref:
                if name != panel:
                    as_read[s.variant_id] = (s, locus)
                # The user says this is a whole-genome call set: an absent site is hom-ref, and the call says so.
                ref_is_effect = locus.ref.upper() == locus.effect_allele.upper()
                s = replace(s, status="called", genotype="0/0", alleles=(locus.ref, locus.ref),
                            dosage=2.0 if ref_is_effect else 0.0,
                            note="absent; assumed reference (whole-genome call set)")
                assumed.add(s.rsid or f"chr{s.chrom}:{s.pos}")
            if name == panel and s.rsid:
                sites[s.rsid] = (s, locus)
            else:
                by_id[s.variant_id] = (s, locus)
    definitions = load_definitions()
    calls = [call_whole_genome(definitions[g], by_id, as_read, missing, assumed) for g in PHARMCAT_GENES]
    for g in GENES:
        if g.name in PHARMCAT_GENES:
            continue
        call = _call_gene(g, sites)
        used = sorted(assumed & set(g.positions))
        if used:
            call = replace(call, note=f"{call.note} Assumed reference because the file was declared a whole-genome "
                                      f"call set: {', '.join(used)}.")
        calls.append(call)
    calls.extend(_no_result(gene) for gene in OUTSIDE_ONLY)
    given = dict(outside or {})
    merged = [_outside_gene_call(given.pop(c.gene), c) if c.gene in given else c for c in calls]
    merged.extend(_outside_gene_call(o, None) for o in given.values())
    return PgxReport(patient.sample, build, tuple(merged))


OUTSIDE_ONLY = ("CYP2D6", "MT-RNR1")
"""Genes with a guideline drug row that GenoLens does not call from a VCF: CYP2D6 (copy number and hybrid
alleles; PharmCAT does not call it from a VCF either) and MT-RNR1 (not on the panel)."""
NO_RESULT = "No result"
"""The phenotype of a gene that needs an outside call and has none."""
_G6PD_ALIASES = {"B (wildtype)": "B (reference)"}  # PharmCAT's outside-call example names the reference so


def _no_result(gene: str) -> GeneCall:
    why = ("CYP2D6 is not called from a VCF: copy number, deletions (*5), duplications and hybrids cannot be seen "
           "in SNV calls (PharmCAT does not call it from a VCF either)" if gene == "CYP2D6" else
           f"{gene} positions are not on the panel")
    return GeneCall(gene, (), NO_RESULT, None, (), f"{why}. Give a result from a dedicated test as an outside call.",
                    (), f"Needs an outside result: {why}")


def _from_alleles(gene: _Gene, diplotype: str) -> tuple[str, float | None] | None:
    """(phenotype, activity score) of a diplotype named with this panel's allele names; None when one is unknown."""
    by_name = {a.name: a for a in gene.alleles}
    names = [_G6PD_ALIASES.get(n.strip(), n.strip()) for n in diplotype.split("/")]
    if not names or any(n not in by_name for n in names) or not 1 <= len(names) <= 2:
        return None
    dip = tuple(by_name[n] for n in names)
    return gene.rule(dip), _score(dip) if gene.scored else None


def pgx_panels() -> tuple[Panel, ...]:
    """The panels :func:`call_pgx` needs: ``pharmacogenomics`` and ``POSITIONS_PANEL``, for ``read_patient``."""
    return load_panel("pharmacogenomics"), load_panel(POSITIONS_PANEL)


def _from_definitions(gene: str, diplotype: str) -> tuple[str, float | None] | None:
    """(phenotype, activity score) of a diplotype named with PharmCAT's allele names; None when one is unknown."""
    d = load_definitions()[gene]
    if gene == "DPYD":  # the lowest-function allele of each copy, as PharmCAT reads a DPYD outside call
        scored = score_diplotypes(d, [diplotype])
        return None if scored is None else (d.phenotypes.get(f"{scored[1]:g}", "Indeterminate"), scored[1])
    by_name = {a.name: a for a in d.alleles}
    names = [n.strip() for n in diplotype.split("/")]
    if len(names) != 2 or any(n not in by_name for n in names):
        return None
    a, b = by_name[names[0]], by_name[names[1]]
    return d.phenotype(a, b), d.score(a, b)


def _outside_gene_call(o: OutsideCall, vcf: GeneCall | None) -> GeneCall:
    """The GeneCall an outside call gives, with what it replaces said in the note."""
    phenotype, score = o.phenotype, o.activity_score
    spec = next((g for g in GENES if g.name == o.gene), None)
    if spec is not None and not phenotype:
        derived = None
        if o.diplotype:
            derived = (_from_definitions(o.gene, o.diplotype) if o.gene in PHARMCAT_GENES else None) \
                or _from_alleles(spec, o.diplotype)
        if derived is None and score is not None and spec.scored:
            derived = (_by_score((_a("", (), "", score),)), score)
        if derived is None:
            known = ", ".join(a.name for a in spec.alleles)
            raise OutsideCallError(f"Outside call for {o.gene}: {o.diplotype or '(no diplotype)'!r} cannot be read "
                                   f"with this tool's allele names ({known}); give the phenotype in column 3.")
        phenotype, score = derived[0], score if score is not None else derived[1]
    replaced = ("" if vcf is None or vcf.phenotype == NO_RESULT else
                f" It replaces the VCF-based call ({vcf.phenotype}).")
    what = " ".join(x for x in (o.diplotype, phenotype) if x)
    note = (f"Outside call (a result from another test, PharmCAT outside-call format): {o.gene} {what}"
            f"{'' if score is None else f', activity score {score:g}'}.{replaced}")
    return GeneCall(o.gene, (o.diplotype,) if o.diplotype else (), phenotype, score, (), note, (), "", True)


def pgx_to_json(report: PgxReport) -> dict[str, Any]:
    """Return the JSON-ready record of a report (the CLI's ``pgx --json`` output)."""
    return {
        "sample": report.sample,
        "build": report.build,
        "genes": {
            g.gene: {
                "diplotypes": list(g.diplotypes),
                "phenotype": g.phenotype,
                "activity_score": g.activity_score,
                "missing_positions": list(g.missing_positions),
                "possible_phenotypes": list(g.possible_phenotypes),
                "uncertainty": g.uncertainty,
                "outside_call": g.outside_call,
                "untested_alleles": list(g.untested_alleles),
                "policy": g.policy,
                "pharmcat_phenotype": g.pharmcat_phenotype,
                "pharmcat_diplotypes": list(g.pharmcat_diplotypes),
                "alleles_found": g.alleles_found,
                "lowest_function": list(g.lowest_function),
                "note": g.note,
            }
            for g in report.genes
        },
    }


def _fits(dip: tuple[_Allele, ...], obs: Mapping[str, tuple[str, ...]], sets: PhaseSets) -> bool:
    """True when ``dip`` carries each observed effect-allele count, and each phase set's arrangement (the
    sets' orientations relative to each other unknown)."""
    if any(sum(rs in a.variants for a in dip) != labels.count("E") for rs, labels in obs.items()):
        return False
    if len(dip) != 2:
        return True
    return all(any(all((rs in x.variants) == (obs[rs][0] == "E") and (rs in y.variants) == (obs[rs][1] == "E")
                       for rs in het) for x, y in ((dip[0], dip[1]), (dip[1], dip[0]))) for het in sets.values())


def _observe(gene: _Gene, sites: Mapping[str, tuple[SiteCall, Locus]], notes: list[str]) -> tuple[
        dict[str, tuple[str, ...]], dict[str, int | None], list[str], list[str], list[str]]:
    """Split the gene's positions into observed copies, phased ones (with their phase set), missing, unknown and
    foreign."""
    obs: dict[str, tuple[str, ...]] = {}
    phased: dict[str, int | None] = {}
    missing: list[str] = []
    free: list[str] = []  # missing, or called but not splittable by copy: every allele is tried there
    foreign: list[str] = []
    for rs in gene.positions:
        site, locus = sites.get(rs, (None, None))
        if site is None or locus is None or site.status not in USABLE_STATUSES:
            missing.append(rs)
            free.append(rs)
            continue
        labels = copies(site, locus)
        if labels is None:
            free.append(rs)
            notes.append(f"{rs} ({site.genotype or site.dosage}) cannot be split into chromosome copies; "
                         "treated as unknown.")
        elif "N" in labels:
            foreign.append(f"{rs} {'/'.join(site.alleles or ())}")
        else:
            obs[rs] = labels
            if site.genotype and "|" in site.genotype:
                phased[rs] = site.phase_set
    if missing:
        notes.append(f"Not called: {', '.join(missing)} (never assumed reference).")
    return obs, phased, missing, free, foreign


def _unknown_as_known(gene: _Gene, dip: tuple[_Allele, ...]) -> list[str]:
    """The phenotypes of ``dip`` with each unknown-function allele read as normal, then as decreased function."""
    if not any(a.function == "unknown" for a in dip):
        return [gene.rule(dip)]
    return [gene.rule(tuple(replace(a, function=f) if a.function == "unknown" else a for a in dip))
            for f in ("normal", "decreased")]


def _call_gene(gene: _Gene, sites: Mapping[str, tuple[SiteCall, Locus]]) -> GeneCall:
    tested = ", ".join(f"{a.name} ({'+'.join(sorted(a.variants))})" for a in gene.alleles[1:])
    notes = [f"Tested: {tested}; {gene.alleles[0].name} means none of these (alleles defined off the panel "
             f"are not tested)." + (f" {gene.note}" if gene.note else "")]
    obs, phased, missing, free, foreign = _observe(gene, sites, notes)

    def done(phenotype: str, dips: tuple[tuple[_Allele, ...], ...] = (), score: float | None = None,
             possible: tuple[str, ...] = (), why: str = "") -> GeneCall:
        names = tuple("/".join(a.name for a in d) for d in dips)
        return GeneCall(gene.name, names, phenotype, score, tuple(missing), " ".join(notes), possible, why)

    not_called = f"Not called: {', '.join(sorted(missing))}" if missing else ""
    if foreign:
        notes.append(f"An allele the panel does not define was called at {'; '.join(foreign)}.")
        return done("Indeterminate", why=f"An allele the panel does not define was called at {'; '.join(foreign)}")
    ploidies = {len(v) for v in obs.values()}
    if not obs or len(ploidies) != 1 or not ({1, 2} if gene.haploid_ok else {2}) >= ploidies:
        notes.append("No defining position was usable." if not obs else f"Unexpected ploidy {sorted(ploidies)}.")
        return done("Indeterminate", why=not_called or "No defining position was usable")
    hets = [rs for rs in gene.positions if rs in obs and len(set(obs[rs])) > 1]
    sets = phase_sets(phased, hets)
    notes.extend(split_note(sets))
    cands = tuple(d for d in combinations_with_replacement(gene.alleles, ploidies.pop()) if _fits(d, obs, sets))
    if not cands:
        notes.append("No combination of the tested alleles explains the calls.")
        return done("Indeterminate", why="No combination of the tested alleles explains the calls")
    phenos = list(dict.fromkeys(gene.rule(d) for d in cands))
    scores = {_score(d) for d in cands} if gene.scored else set()
    score = scores.pop() if len(scores) == 1 else None
    if len(phenos) == 1 and phenos[0] != "Indeterminate":
        if free:
            notes.append(f"The phenotype is the same whatever {', '.join(free)} carry.")
        elif len(cands) > 1:
            fit = "the unphased calls" if not sets else "the calls (cis/trans known only within a phase set)"
            notes.append(f"{len(cands)} diplotypes fit {fit}; all give this phenotype.")
        return done(phenos[0], cands, score)
    unknown = sorted({a.name for d in cands for a in d if a.function == "unknown"})
    if free or "Indeterminate" in phenos:
        # An allele of unknown function is read as normal or decreased (the range a phenotype can take).
        phenos = list(dict.fromkeys(p for d in cands for p in _unknown_as_known(gene, d)))
        notes.append(f"Possible phenotypes: {', '.join(phenos)}.")
        unsplit = [rs for rs in free if rs not in missing]
        dips = " or ".join("/".join(a.name for a in d) for d in cands)
        why = not_called or (f"{', '.join(unsplit)} cannot be split into chromosome copies" if unsplit else
                             f"{gene.name} {' and '.join(unknown)} alone is of unknown function, so {dips} has no "
                             "assigned phenotype; read as normal or as decreased function, it gives "
                             f"{' or '.join(phenos)}")
        return done("Indeterminate", cands, score, tuple(p for p in phenos if p != "Indeterminate"), why)
    sentence, decide = phase_unknown(sets, [rs for rs in hets if rs not in phased])
    notes.append(f"{sentence}.")
    return done(" or ".join(phenos), cands, score, tuple(phenos),
                f"Phase unknown: {' or '.join('/'.join(a.name for a in d) for d in cands)}; {decide}")


# --- Star alleles from PharmCAT's definitions ------------------------------------------------------------------

POSITIONS_PANEL = "pharmcat_positions"
"""The panel holding every PharmCAT allele-defining position of ``PHARMCAT_GENES`` (one row per ALT)."""


def diplotype_words(g: GeneCall) -> str:
    """The diplotypes of a call in words (``"*1/*2 or *1/*3"``; ``"alleles found (phase unknown): X, Y"``)."""
    if g.alleles_found:
        return f"alleles found (phase unknown): {', '.join(g.diplotypes)}"
    return " or ".join(g.diplotypes)


def strict_words(g: GeneCall) -> str:
    """`` (strict policy; PharmCAT's policy: X)`` beside a strict call that differs from PharmCAT's, else ``""``."""
    if g.policy != "strict" or not g.pharmcat_phenotype or g.pharmcat_phenotype == g.phenotype:
        return ""
    return f" (strict policy; PharmCAT's policy: {g.pharmcat_phenotype})"


MISSING_POLICIES: tuple[MissingPolicy, ...] = ("pharmcat", "strict")
"""``pharmcat``: call from the positions present and list what is missing (PharmCAT's policy); ``strict``:
``Indeterminate`` whenever a defining position is missing, PharmCAT's result shown beside it."""
MISSING_WORDS: Mapping[str, str] = {
    "pharmcat": "PharmCAT's policy (each gene called from the positions present, the missing ones listed)",
    "strict": "strict policy (a gene with a defining position missing is Indeterminate, PharmCAT's call beside it)",
}
"""What each missing-position policy does, in words (report settings, the dashboard's switch)."""
