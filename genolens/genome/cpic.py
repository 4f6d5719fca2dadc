"""Guideline drug rules, as PharmCAT reports them: for each drug, the genes its guideline reads, the action a
phenotype implies, the recommendation's source (CPIC or DPWG), its strength and the guideline publication.

This is domain knowledge, kept beside the phenotype calls (:mod:`genolens.genome.pgx`). Actions are short
paraphrases of the cited guideline's recommendation table, stated as such (``ACTION_BASIS``); the guideline
decides. A gene that cannot be called exactly is read under every phenotype it could have
(``GeneCall.possible_phenotypes``) and the worst level is returned with each possibility spelt out; colour is
never the only signal (``LEVEL_WORDS``). A gene PharmCAT will not call from a VCF (CYP2D6, HLA-B typing) is
read only from an outside call: without one the drug's level is ``"grey"``, "Needs an outside result".

Strengths are CPIC's classification of recommendations (Strong, Moderate, Optional); DPWG does not grade its
recommendations in those terms, so a DPWG row's strength is ``""``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from genolens.datamodel import PatientGenome
from genolens.genome.gene_call import GeneCall
from genolens.genome.pgx import NO_RESULT, diplotype_words, strict_words

_SHOWN = 6  # untested alleles named beside an action; the rest counted

Level = Literal["red", "amber", "green", "grey"]
LEVEL_WORDS: Mapping[str, str] = {"red": "Avoid / alternative", "amber": "Adjust or check", "green": "Standard",
                                  "grey": "Needs an outside result"}
ACTION_BASIS = "Paraphrase of the cited guideline's recommendation, not its text; check the current guideline."
Source = Literal["CPIC", "DPWG"]

Advice = tuple[Level, str, str]
"""(level, action, strength) for one set of phenotypes."""
Rule = Callable[[Mapping[str, GeneCall]], Advice]
STRONG, MODERATE, OPTIONAL = "Strong", "Moderate", "Optional"


@dataclass(frozen=True)
class DrugSpec:
    """One drug (class), the genes its guideline reads, and the guideline it follows."""

    output: str
    """The treatment-response model's output for this drug, or ``"guideline:<drug>"`` when the model has none."""
    drug: str
    genes: tuple[str, ...]
    rule: Rule
    source: Source
    """Who makes the recommendation."""
    guideline_version: str
    """The publication the actions paraphrase (``"CPIC 2021 codeine (Crews et al.)"``)."""
    outside_genes: tuple[str, ...] = ()
    """Genes read only from an outside call (HLA typing, CYP2D6 genotyping); without one the level is grey."""
    needs: str = ""
    """The outside result to order, in words, shown while it is missing."""

    @property
    def modelled(self) -> bool:
        """Whether the treatment-response model has an output for this drug."""
        return not self.output.startswith("guideline:")


@dataclass(frozen=True)
class GuidelineCall:
    """What the guideline says for one drug and one patient's calls."""

    level: Level
    level_text: str
    """The level in words (colour is never the only signal)."""
    action: str
    strength: str
    """CPIC classification of the recommendation (``"Strong"``, ``"Moderate"``, ``"Optional"``); ``""`` when
    there is none to give (DPWG, an uncertain call with several possible recommendations, a missing result)."""
    actionable: bool
    """True when every possible reading of the call changes the prescription."""


GUIDELINE_GROUPS: Mapping[str, str] = {
    "Likely Poor Metabolizer": "Poor Metabolizer",
    "Likely Intermediate Metabolizer": "Intermediate Metabolizer",
    "Possible Intermediate Metabolizer": "Intermediate Metabolizer",
    "Possible Decreased Function": "Decreased Function",
}
"""PharmCAT's "Likely"/"Possible" phenotype words and the guideline row that covers them: CPIC 2022 clopidogrel
Table 2 gives likely PM/IM the PM/IM recommendations; CPIC 2018 thiopurines (and its 2024 update) treat "intermediate
or possible intermediate metabolizer" as one row; CPIC 2022 statins, "decreased (or possible decreased) function".
CYP3A5's possible IM (one expresser allele and one of uncertain function) reads as an expresser either way."""


def _ph(calls: Mapping[str, GeneCall], gene: str) -> str:
    ph = calls[gene].phenotype
    return GUIDELINE_GROUPS.get(ph, ph)


def _no_rule(gene: str, ph: str, drug: str) -> Advice:
    """A phenotype a rule does not list: never the standard dose by default."""
    return "amber", f"{gene} phenotype {ph!r} has no {drug} recommendation here; check the guideline.", ""


def _fluoropyrimidine(c: Mapping[str, GeneCall]) -> Advice:
    score, ph = c["DPYD"].activity_score, _ph(c, "DPYD")
    if ph == "Normal Metabolizer":
        return "green", "Standard starting dose.", STRONG
    if ph == "Intermediate Metabolizer":
        return "amber", "Reduce starting dose by 50%, then titrate by toxicity or drug levels.", MODERATE
    if ph != "Poor Metabolizer":
        return _no_rule("DPYD", c["DPYD"].phenotype, "fluoropyrimidine")
    if score == 0.5:
        return "red", "Avoid; if no alternative, a strongly reduced dose with early drug-level monitoring.", STRONG
    return "red", "Avoid fluoropyrimidines (5-fluorouracil, capecitabine); choose an alternative.", STRONG


def _thiopurine(c: Mapping[str, GeneCall]) -> Advice:
    phs = {gene: _ph(c, gene) for gene in ("TPMT", "NUDT15")}
    known = {"Normal Metabolizer", "Intermediate Metabolizer", "Poor Metabolizer"}
    if "Poor Metabolizer" in phs.values():
        return "red", ("Drastically reduce dose (about 10-fold, 3 times a week) for malignancy, or use a "
                       "non-thiopurine alternative for other conditions."), STRONG
    for gene, ph in phs.items():
        if ph not in known:
            return _no_rule(gene, c[gene].phenotype, "thiopurine")
    if set(phs.values()) == {"Intermediate Metabolizer"}:  # CPIC's March 2024 update for IM of both genes
        return "amber", ("Intermediate for both TPMT and NUDT15: start at 20-50% of the standard dose and adjust by "
                         "myelosuppression."), ""
    if "Intermediate Metabolizer" in phs.values():
        return "amber", "Reduce starting dose (30-80% of standard) and adjust by myelosuppression.", STRONG
    return "green", "Standard starting dose.", STRONG


def _clopidogrel(c: Mapping[str, GeneCall]) -> Advice:
    ph = _ph(c, "CYP2C19")
    if ph == "Poor Metabolizer":
        return "red", "Avoid clopidogrel: use an alternative antiplatelet (prasugrel or ticagrelor).", STRONG
    if ph == "Intermediate Metabolizer":
        return "amber", ("Avoid standard-dose clopidogrel if possible: use prasugrel or ticagrelor at standard dose "
                         "if not contraindicated (ACS/PCI)."), STRONG
    if ph in ("Normal Metabolizer", "Rapid Metabolizer", "Ultrarapid Metabolizer"):
        return "green", "Standard dose.", STRONG
    return _no_rule("CYP2C19", c["CYP2C19"].phenotype, "clopidogrel")


def _warfarin(c: Mapping[str, GeneCall]) -> Advice:
    cyp, vk = _ph(c, "CYP2C9"), _ph(c, "VKORC1")
    if cyp == "Poor Metabolizer":
        return "red", ("Markedly lower dose (genotype-guided algorithm, then 20-40% lower) or an alternative "
                       "anticoagulant; monitor INR closely."), ""
    if cyp not in ("Normal Metabolizer", "Intermediate Metabolizer"):
        return _no_rule("CYP2C9", c["CYP2C9"].phenotype, "warfarin")
    if vk not in ("-1639 GG", "-1639 AG", "-1639 AA"):
        return _no_rule("VKORC1", c["VKORC1"].phenotype, "warfarin")
    if cyp != "Normal Metabolizer" or vk != "-1639 GG":
        return "amber", ("Lower dose expected: dose with a genotype-guided algorithm (CYP2C9 + VKORC1); "
                         "monitor INR."), ""
    return "green", "Dose with a genotype-guided algorithm; no reduction expected.", ""


def _simvastatin(c: Mapping[str, GeneCall]) -> Advice:
    ph = _ph(c, "SLCO1B1")
    if ph == "Poor Function":
        return "red", "Avoid simvastatin; prescribe an alternative statin.", STRONG
    if ph == "Decreased Function":
        return "amber", "Prescribe an alternative statin, or simvastatin below 20 mg/day.", STRONG
    if ph in ("Normal Function", "Increased Function"):
        return "green", "Standard dose.", STRONG
    return _no_rule("SLCO1B1", c["SLCO1B1"].phenotype, "simvastatin")


def _irinotecan(c: Mapping[str, GeneCall]) -> Advice:
    ph = _ph(c, "UGT1A1")
    if ph == "Poor Metabolizer":
        return "amber", ("Reduce starting dose by at least 30% (regimens of 180 mg/m² or more); titrate by "
                         "neutrophils."), ""
    if ph in ("Normal Metabolizer", "Intermediate Metabolizer"):
        return "green", "Standard starting dose (DPWG: no action for Normal or Intermediate Metabolizers).", ""
    return _no_rule("UGT1A1", c["UGT1A1"].phenotype, "irinotecan")


def _tacrolimus(c: Mapping[str, GeneCall]) -> Advice:
    ph = _ph(c, "CYP3A5")
    if ph in ("Normal Metabolizer", "Intermediate Metabolizer"):
        return "amber", ("CYP3A5 expresser: increase starting dose 1.5-2× (at most 0.3 mg/kg/day), guided by "
                         "drug levels."), STRONG
    if ph == "Poor Metabolizer":
        return "green", "Standard starting dose with drug-level monitoring.", STRONG
    return _no_rule("CYP3A5", c["CYP3A5"].phenotype, "tacrolimus")


def _hla_positive(call: GeneCall, allele: str) -> bool | None:
    """Whether an HLA outside call carries ``allele`` (``"*57:01"``); None when the call does not say."""
    if call.diplotypes:
        return allele in {a.strip().removeprefix(call.gene) for a in call.diplotypes[0].split("/")}
    if f"{allele} positive" in call.phenotype:
        return True
    return False if f"{allele} negative" in call.phenotype else None


def _hla_rule(allele: str, drug: str, avoid: str) -> Rule:
    def rule(c: Mapping[str, GeneCall]) -> Advice:
        positive = _hla_positive(c["HLA-B"], allele)
        if positive:
            return "red", f"HLA-B{allele} positive: {avoid}", STRONG
        if positive is False:
            return "green", f"HLA-B{allele} negative: use {drug} per standard dosing.", STRONG
        return "amber", f"The HLA-B result does not say whether {allele} is carried; type HLA-B{allele}.", ""
    return rule


def _cyp2d6(c: Mapping[str, GeneCall]) -> tuple[str, float | None]:
    return _ph(c, "CYP2D6"), c["CYP2D6"].activity_score


def _codeine(c: Mapping[str, GeneCall]) -> Advice:
    ph, _ = _cyp2d6(c)
    alternative = "If an opioid is warranted, consider a non-tramadol opioid."
    if ph == "Ultrarapid Metabolizer":
        return "red", f"Avoid codeine (risk of serious toxicity). {alternative}", STRONG
    if ph == "Poor Metabolizer":
        return "red", f"Avoid codeine (risk of too little analgesia). {alternative}", STRONG
    if ph == "Intermediate Metabolizer":
        return "amber", ("Use the label's age- or weight-specific codeine dosing; if there is no response and an "
                         "opioid is warranted, consider a non-tramadol opioid."), MODERATE
    if ph == "Normal Metabolizer":
        return "green", "Use the label's age- or weight-specific codeine dosing.", STRONG
    return "amber", f"CYP2D6 phenotype {ph!r} has no codeine recommendation here; check the guideline.", ""


def _tamoxifen(c: Mapping[str, GeneCall]) -> Advice:
    ph, score = _cyp2d6(c)
    consider = ("Consider an aromatase inhibitor (postmenopausal), or an aromatase inhibitor with ovarian function "
                "suppression (premenopausal), as these are superior to tamoxifen whatever the genotype; if an "
                "aromatase inhibitor is contraindicated, consider tamoxifen 40 mg/day. Avoid CYP2D6 inhibitors.")
    if ph == "Poor Metabolizer":
        return "red", ("Recommend alternative hormonal therapy: an aromatase inhibitor (with ovarian function "
                       "suppression if premenopausal); if contraindicated, consider tamoxifen 40 mg/day, which does "
                       "not normalise endoxifen in Poor Metabolizers. Avoid CYP2D6 inhibitors."), STRONG
    if ph == "Intermediate Metabolizer":
        return "amber", consider, OPTIONAL if score == 1.0 else MODERATE
    if ph in ("Normal Metabolizer", "Ultrarapid Metabolizer"):
        return "green", "Standard tamoxifen dose (20 mg/day); avoid moderate and strong CYP2D6 inhibitors.", STRONG
    return "amber", f"CYP2D6 phenotype {ph!r} has no tamoxifen recommendation here; check the guideline.", ""


def _rasburicase(c: Mapping[str, GeneCall]) -> Advice:
    ph = _ph(c, "G6PD")
    if ph == "Normal":
        return "green", "No reason to avoid rasburicase based on G6PD status.", STRONG
    if ph.startswith("Deficient"):
        return "red", "Avoid rasburicase (risk of acute haemolytic anaemia and methaemoglobinaemia).", STRONG
    if ph == "Variable":
        return "amber", ("Measure G6PD enzyme activity (a heterozygous female can be normal or deficient) and "
                         "follow the activity-based result; avoid rasburicase until it is shown normal."), MODERATE
    return "amber", f"G6PD phenotype {ph!r} has no rasburicase recommendation here; check the guideline.", ""


def _aminoglycoside(c: Mapping[str, GeneCall]) -> Advice:
    ph = _ph(c, "MT-RNR1").lower()
    if "increased risk" in ph:
        return "red", ("Avoid aminoglycosides unless the severity of infection and the lack of safe or effective "
                       "alternatives outweigh the high risk of permanent hearing loss."), STRONG
    if "uncertain" in ph:
        return "green", "Use aminoglycosides at standard doses (uncertain-risk variant).", OPTIONAL
    if "normal risk" in ph:
        return "green", "Use aminoglycosides at standard doses.", STRONG
    return "amber", f"MT-RNR1 result {ph!r} has no aminoglycoside recommendation here; check the guideline.", ""


_HLA_B57 = "HLA-B*57:01 typing (the VCF has at most a tag SNP, not an HLA type)"
DRUGS: tuple[DrugSpec, ...] = (
    DrugSpec("y_fluoropyrimidine_toxicity", "Fluoropyrimidines (5-FU, capecitabine)", ("DPYD",), _fluoropyrimidine,
             "CPIC", "CPIC 2017 fluoropyrimidines/DPYD (Amstutz et al., Clin Pharmacol Ther 103:210)"),
    DrugSpec("y_thiopurine_myelosuppression", "Thiopurines (azathioprine, mercaptopurine)", ("TPMT", "NUDT15"),
             _thiopurine, "CPIC", "CPIC 2018 thiopurines/TPMT+NUDT15 (Relling et al., Clin Pharmacol Ther 105:1095)"),
    DrugSpec("y_clopidogrel_failure", "Clopidogrel", ("CYP2C19",), _clopidogrel,
             "CPIC", "CPIC 2022 clopidogrel/CYP2C19 (Lee et al., Clin Pharmacol Ther 112:959)"),
    DrugSpec("y_warfarin_overanticoagulation", "Warfarin", ("CYP2C9", "VKORC1"), _warfarin,
             "CPIC", "CPIC 2017 warfarin/CYP2C9+VKORC1+CYP4F2 (Johnson et al., Clin Pharmacol Ther 102:397)"),
    DrugSpec("y_simvastatin_myopathy", "Simvastatin", ("SLCO1B1",), _simvastatin,
             "CPIC", "CPIC 2022 statins/SLCO1B1 (Cooper-DeHoff et al., Clin Pharmacol Ther 111:1007)"),
    DrugSpec("y_irinotecan_neutropenia", "Irinotecan", ("UGT1A1",), _irinotecan,
             "DPWG", "DPWG 2022 irinotecan/UGT1A1 (Hulshof et al., Eur J Hum Genet 31:982); CPIC: provisional"),
    DrugSpec("y_tacrolimus_underexposure", "Tacrolimus", ("CYP3A5",), _tacrolimus,
             "CPIC", "CPIC 2015 tacrolimus/CYP3A5 (Birdwell et al., Clin Pharmacol Ther 98:19)"),
    DrugSpec("y_abacavir_hypersensitivity", "Abacavir", ("HLA-B",),
             _hla_rule("*57:01", "abacavir", "abacavir is not recommended (hypersensitivity)."),
             "CPIC", "CPIC 2014 abacavir/HLA-B (Martin et al., Clin Pharmacol Ther 95:499)", ("HLA-B",), _HLA_B57),
    DrugSpec("guideline:allopurinol", "Allopurinol", ("HLA-B",),
             _hla_rule("*58:01", "allopurinol", "allopurinol is contraindicated (SCAR: SJS/TEN, DRESS)."),
             "CPIC", "CPIC 2015 allopurinol/HLA-B (Saito et al., Clin Pharmacol Ther 99:36)", ("HLA-B",),
             "HLA-B*58:01 typing (not on the panel)"),
    DrugSpec("guideline:codeine", "Codeine", ("CYP2D6",), _codeine,
             "CPIC", "CPIC 2021 codeine/CYP2D6 (Crews et al., Clin Pharmacol Ther 110:888)", ("CYP2D6",),
             "CYP2D6 genotyping with copy number"),
    DrugSpec("guideline:tamoxifen", "Tamoxifen", ("CYP2D6",), _tamoxifen,
             "CPIC", "CPIC 2018 tamoxifen/CYP2D6 (Goetz et al., Clin Pharmacol Ther 103:770)", ("CYP2D6",),
             "CYP2D6 genotyping with copy number"),
    DrugSpec("guideline:rasburicase", "Rasburicase", ("G6PD",), _rasburicase,
             "CPIC", "CPIC 2022 G6PD (Gammal et al., Clin Pharmacol Ther 113:973)"),
    DrugSpec("guideline:aminoglycosides", "Aminoglycosides (gentamicin, amikacin, ...)", ("MT-RNR1",),
             _aminoglycoside, "CPIC", "CPIC 2021 aminoglycosides/MT-RNR1 (McDermott et al., Clin Pharmacol Ther "
             "111:366)", ("MT-RNR1",), "MT-RNR1 genotyping (m.1555A>G and others; not on the panel)"),
)
"""Every drug of the table, in table order: the treatment-response model's outputs, then guideline-only drugs."""
_CYP4F2 = "rs2108622"


def gene_words(g: GeneCall) -> str:
    """One gene's call in words (``"DPYD Intermediate Metabolizer (activity score 1; *1/*2A)"``)."""
    gene = "HLA-B*57:01 tag" if g.gene == "HLA-B" and not g.outside_call else g.gene
    if g.phenotype == NO_RESULT:
        return f"{gene}: no result (not called from a VCF)"
    parts = ["outside call"] if g.outside_call else []
    if strict := strict_words(g):
        parts.append(strict.strip(" ()"))
    parts += [] if g.activity_score is None else [f"activity score {g.activity_score:g}"]
    if g.phenotype == "Indeterminate" and g.possible_phenotypes:
        parts.append(f"possible: {' or '.join(g.possible_phenotypes)}")
    if len(g.diplotypes) > 2 and not g.alleles_found:
        parts.append(f"{len(g.diplotypes)} diplotypes fit")
    elif g.diplotypes:
        parts.append(diplotype_words(g))
    return f"{gene} {g.phenotype}" + (f" ({'; '.join(parts)})" if parts else "")


def grouped_words(calls: Iterable[GeneCall]) -> str:
    """Which guideline row a "Likely"/"Possible" phenotype was read under (``""`` when none was)."""
    parts = [f"{g.gene} {g.phenotype}: the guideline's {GUIDELINE_GROUPS[g.phenotype]} recommendation applies"
             for g in calls if g.phenotype in GUIDELINE_GROUPS]
    return (" " + "; ".join(parts) + ".") if parts else ""


def missing_words(calls: Iterable[GeneCall]) -> str:
    """What a confident call did not see, said beside its action (``""`` when nothing was missing).

    Under PharmCAT's policy a gene is called from the positions present; the positions absent from the file and
    the alleles that could therefore not be tested are named here, so the action never hides them.
    """
    parts = []
    for g in calls:
        if g.outside_call or not g.missing_positions:
            continue
        shown = ", ".join(g.untested_alleles[:_SHOWN]) + (f" and {len(g.untested_alleles) - _SHOWN} more"
                                                         if len(g.untested_alleles) > _SHOWN else "")
        parts.append(f"{g.gene} called from the positions present, as PharmCAT does: "
                     f"{len(g.missing_positions)} defining position{'s' if len(g.missing_positions) != 1 else ''} "
                     "not in the file" + (f"; alleles not tested: {shown}" if shown else ""))
    return (" " + "; ".join(parts) + ".") if parts else ""


def _needs_outside(d: DrugSpec, calls: Mapping[str, GeneCall]) -> GuidelineCall:
    hints = []
    for g in (calls[name] for name in d.outside_genes if not calls[name].outside_call):
        if g.gene == "HLA-B" and g.phenotype in ("positive", "negative"):
            hints.append(f"The HLA-B*57:01 tag SNP rs2395029 is {g.phenotype}: a proxy, not an HLA type"
                         + ("; do not start abacavir before typing." if g.phenotype == "positive" and
                            d.output == "y_abacavir_hypersensitivity" else "."))
    action = f"Needs an outside result: {d.needs}; enter it as an outside call. {' '.join(hints)}".strip()
    return GuidelineCall("grey", LEVEL_WORDS["grey"], action, "", False)


def guideline_action(d: DrugSpec, calls: Mapping[str, GeneCall]) -> GuidelineCall:
    """What the guideline says for a drug given its genes' calls.

    A gene the guideline reads only from an outside result (``d.outside_genes``) without one gives the grey
    level, "Needs an outside result". A gene that cannot be called exactly is read under each phenotype it could
    have; the worst level is shown, every possibility is spelt out with its strength, and what is uncertain
    (positions not called, phase, an allele of unknown function) is said as the call says it.
    """
    if any(not calls[g].outside_call for g in d.outside_genes):
        return _needs_outside(d, calls)
    unknown = [g for g in calls.values() if g.phenotype == "Indeterminate" or g.possible_phenotypes]
    if not unknown:
        level, action, strength = d.rule(calls)
        return GuidelineCall(level, LEVEL_WORDS[level], action + grouped_words(calls[g] for g in d.genes)
                             + missing_words(calls.values()), strength, level != "green")
    head = "; ".join(g.uncertainty or f"{g.gene} cannot be called exactly" for g in unknown)
    tail = " Genotype these positions before prescribing." if any(g.missing_positions for g in unknown) else ""
    options = [(g, ph) for g in unknown for ph in g.possible_phenotypes]
    if len(unknown) > 1 or not options:
        return GuidelineCall("amber", "Check: cannot call", f"{head}.{tail}", "", False)
    outcomes = [(ph, *d.rule({**calls, g.gene: replace(g, phenotype=ph, activity_score=None)})) for g, ph in options]
    worst = min((lv for _, lv, _, _ in outcomes), key=("red", "amber", "green").index)
    actionable = all(lv != "green" for _, lv, _, _ in outcomes)
    if len({(lv, act, st) for _, lv, act, st in outcomes}) == 1:  # every possibility says the same
        _, level, act, st = outcomes[0]
        return GuidelineCall(level, f"Cannot call; either way: {LEVEL_WORDS[level]}",
                             f"{head}. Either way: {act}{tail}", st, actionable)
    spelt = " ".join(f"If {ph}: {act}" + (f" ({st})" if st else "") for ph, _, act, st in outcomes)
    return GuidelineCall(worst, f"Cannot call; at worst: {LEVEL_WORDS[worst]}", f"{head}. {spelt}{tail}", "",
                         actionable)


def cyp4f2_note(patient: PatientGenome, guideline: str, action: str) -> tuple[str, str]:
    """Warfarin's guideline words and action with the CYP4F2 *3 call added."""
    site = next((s for r in patient.panels if r.panel == "pharmacogenomics" for s in r.sites if s.rsid == _CYP4F2),
                None)
    if site is None or site.dosage is None:
        return f"{guideline}; CYP4F2 *3 not called", action
    if site.dosage >= 0.5:
        return f"{guideline}; CYP4F2 *3 carrier", f"{action} CYP4F2 *3: dose 5-10% higher."
    return f"{guideline}; CYP4F2 *3 not carried", action
