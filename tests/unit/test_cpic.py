"""Guideline rules, table-driven: a gene call -> (level, action, strength), with the guideline each row cites.

The golden actions are this project's paraphrases of the cited recommendation tables (the wording is pinned
here); the levels and strengths are the guideline's: CPIC classifications Strong / Moderate / Optional.
"""

from __future__ import annotations

import pytest

from genolens.genome.cpic import DRUGS, DrugSpec, guideline_action
from genolens.genome.pgx import NO_RESULT, GeneCall


def call(gene: str, phenotype: str, *, score: float | None = None, dip: str = "", outside: bool = False,
         possible: tuple[str, ...] = (), why: str = "") -> GeneCall:
    return GeneCall(gene, (dip,) if dip else (), phenotype, score, (), "", possible, why, outside)


def drug(name: str) -> DrugSpec:
    return next(d for d in DRUGS if d.drug.startswith(name))


CLOPIDOGREL_IM = ("Avoid standard-dose clopidogrel if possible: use prasugrel or ticagrelor at standard dose if not "
                  "contraindicated (ACS/PCI).")
NORMAL = {"TPMT": call("TPMT", "Normal Metabolizer"), "NUDT15": call("NUDT15", "Normal Metabolizer"),
          "CYP2C9": call("CYP2C9", "Normal Metabolizer", score=2.0), "VKORC1": call("VKORC1", "-1639 GG")}

CASES = [
    # CPIC 2017 DPYD (Amstutz et al.): AS 2 NM standard (Strong); AS 1-1.5 IM 50% (Moderate); PM avoid (Strong).
    ("Fluoro", call("DPYD", "Normal Metabolizer", score=2.0), "green", "Standard starting dose.", "Strong"),
    ("Fluoro", call("DPYD", "Intermediate Metabolizer", score=1.0), "amber",
     "Reduce starting dose by 50%, then titrate by toxicity or drug levels.", "Moderate"),
    ("Fluoro", call("DPYD", "Poor Metabolizer", score=0.5), "red",
     "Avoid; if no alternative, a strongly reduced dose with early drug-level monitoring.", "Strong"),
    ("Fluoro", call("DPYD", "Poor Metabolizer", score=0.0), "red",
     "Avoid fluoropyrimidines (5-fluorouracil, capecitabine); choose an alternative.", "Strong"),
    # CPIC 2018 thiopurines: IM reduced start 30-80% (Strong); PM drastically reduced (Strong).
    ("Thiopurines", call("TPMT", "Intermediate Metabolizer"), "amber",
     "Reduce starting dose (30-80% of standard) and adjust by myelosuppression.", "Strong"),
    ("Thiopurines", call("NUDT15", "Poor Metabolizer"), "red",
     "Drastically reduce dose (about 10-fold, 3 times a week) for malignancy, or use a non-thiopurine alternative "
     "for other conditions.", "Strong"),
    # CPIC 2022 clopidogrel (Lee et al., Table 2, ACS/PCI column): PM and likely PM avoid (Strong); IM and likely IM
    # avoid standard dose if possible, prasugrel or ticagrelor (Strong); NM, RM, UM standard dose (Strong).
    ("Clopidogrel", call("CYP2C19", "Poor Metabolizer"), "red",
     "Avoid clopidogrel: use an alternative antiplatelet (prasugrel or ticagrelor).", "Strong"),
    ("Clopidogrel", call("CYP2C19", "Likely Poor Metabolizer"), "red",
     "Avoid clopidogrel: use an alternative antiplatelet (prasugrel or ticagrelor). CYP2C19 Likely Poor "
     "Metabolizer: the guideline's Poor Metabolizer recommendation applies.", "Strong"),
    ("Clopidogrel", call("CYP2C19", "Intermediate Metabolizer"), "amber", CLOPIDOGREL_IM, "Strong"),
    ("Clopidogrel", call("CYP2C19", "Likely Intermediate Metabolizer"), "amber",
     CLOPIDOGREL_IM + " CYP2C19 Likely Intermediate Metabolizer: the guideline's Intermediate Metabolizer "
     "recommendation applies.", "Strong"),
    ("Clopidogrel", call("CYP2C19", "Rapid Metabolizer"), "green", "Standard dose.", "Strong"),
    ("Clopidogrel", call("CYP2C19", "Ultrarapid Metabolizer"), "green", "Standard dose.", "Strong"),
    ("Clopidogrel", call("CYP2C19", "Unknown Metabolizer"), "amber",
     "CYP2C19 phenotype 'Unknown Metabolizer' has no clopidogrel recommendation here; check the guideline.", ""),
    # CPIC 2022 statins (Cooper-DeHoff et al.): poor function -> alternative statin; decreased (or possible
    # decreased) function -> alternative statin or simvastatin < 20 mg/day; increased and normal -> desired
    # starting dose. All Strong.
    ("Simvastatin", call("SLCO1B1", "Poor Function"), "red", "Avoid simvastatin; prescribe an alternative statin.",
     "Strong"),
    ("Simvastatin", call("SLCO1B1", "Possible Decreased Function"), "amber",
     "Prescribe an alternative statin, or simvastatin below 20 mg/day. SLCO1B1 Possible Decreased Function: the "
     "guideline's Decreased Function recommendation applies.", "Strong"),
    ("Simvastatin", call("SLCO1B1", "Increased Function"), "green", "Standard dose.", "Strong"),
    # CPIC 2018 thiopurines: "intermediate or possible intermediate metabolizer" is one row (Strong).
    ("Thiopurines", call("NUDT15", "Possible Intermediate Metabolizer"), "amber",
     "Reduce starting dose (30-80% of standard) and adjust by myelosuppression. NUDT15 Possible Intermediate "
     "Metabolizer: the guideline's Intermediate Metabolizer recommendation applies.", "Strong"),
    # CPIC 2015 tacrolimus: CYP3A5 poor metabolizer (non-expresser) -> standard starting dose (Strong).
    ("Tacrolimus", call("CYP3A5", "Poor Metabolizer"), "green", "Standard starting dose with drug-level monitoring.",
     "Strong"),
    # DPWG irinotecan: PM reduce; IM no action. DPWG does not grade as CPIC does: strength "".
    ("Irinotecan", call("UGT1A1", "Poor Metabolizer"), "amber",
     "Reduce starting dose by at least 30% (regimens of 180 mg/m² or more); titrate by neutrophils.", ""),
    ("Irinotecan", call("UGT1A1", "Intermediate Metabolizer"), "green",
     "Standard starting dose (DPWG: no action for Normal or Intermediate Metabolizers).", ""),
    # CPIC 2015 tacrolimus: CYP3A5 expresser -> 1.5-2x starting dose (Strong).
    ("Tacrolimus", call("CYP3A5", "Intermediate Metabolizer"), "amber",
     "CYP3A5 expresser: increase starting dose 1.5-2× (at most 0.3 mg/kg/day), guided by drug levels.", "Strong"),
    # HLA-B from a tag SNP only: never Standard; needs HLA typing.
    ("Abacavir", call("HLA-B", "negative"), "grey",
     "Needs an outside result: HLA-B*57:01 typing (the VCF has at most a tag SNP, not an HLA type); enter it as "
     "an outside call. The HLA-B*57:01 tag SNP rs2395029 is negative: a proxy, not an HLA type.", ""),
    ("Abacavir", call("HLA-B", "positive"), "grey",
     "Needs an outside result: HLA-B*57:01 typing (the VCF has at most a tag SNP, not an HLA type); enter it as "
     "an outside call. The HLA-B*57:01 tag SNP rs2395029 is positive: a proxy, not an HLA type; do not start "
     "abacavir before typing.", ""),
    # CPIC abacavir / allopurinol with HLA typing as an outside call (Strong).
    ("Abacavir", call("HLA-B", "", dip="*15:02/*57:01", outside=True), "red",
     "HLA-B*57:01 positive: abacavir is not recommended (hypersensitivity).", "Strong"),
    ("Allopurinol", call("HLA-B", "", dip="*15:02/*57:01", outside=True), "green",
     "HLA-B*58:01 negative: use allopurinol per standard dosing.", "Strong"),
    ("Allopurinol", call("HLA-B", "*58:01 positive", outside=True), "red",
     "HLA-B*58:01 positive: allopurinol is contraindicated (SCAR: SJS/TEN, DRESS).", "Strong"),
    # CYP2D6 from a VCF: no result, grey.
    ("Codeine", call("CYP2D6", NO_RESULT), "grey",
     "Needs an outside result: CYP2D6 genotyping with copy number; enter it as an outside call.", ""),
    # CPIC 2021 codeine (Crews et al.): UM/PM avoid (Strong); IM label dosing, else non-tramadol (Moderate).
    ("Codeine", call("CYP2D6", "Ultrarapid Metabolizer", score=3.0, outside=True), "red",
     "Avoid codeine (risk of serious toxicity). If an opioid is warranted, consider a non-tramadol opioid.", "Strong"),
    ("Codeine", call("CYP2D6", "Normal Metabolizer", score=1.25, outside=True), "green",
     "Use the label's age- or weight-specific codeine dosing.", "Strong"),
    # CPIC 2018 tamoxifen (Goetz et al.): AS 0.5 IM "consider" (Moderate); AS 1 (Optional); PM (Strong).
    ("Tamoxifen", call("CYP2D6", "Intermediate Metabolizer", score=0.5, outside=True), "amber",
     "Consider an aromatase inhibitor (postmenopausal), or an aromatase inhibitor with ovarian function suppression "
     "(premenopausal), as these are superior to tamoxifen whatever the genotype; if an aromatase inhibitor is "
     "contraindicated, consider tamoxifen 40 mg/day. Avoid CYP2D6 inhibitors.", "Moderate"),
    ("Tamoxifen", call("CYP2D6", "Normal Metabolizer", score=2.0, outside=True), "green",
     "Standard tamoxifen dose (20 mg/day); avoid moderate and strong CYP2D6 inhibitors.", "Strong"),
    # CPIC 2022 G6PD: rasburicase deficient -> avoid (Strong); variable -> measure activity.
    ("Rasburicase", call("G6PD", "Deficient"), "red",
     "Avoid rasburicase (risk of acute haemolytic anaemia and methaemoglobinaemia).", "Strong"),
    ("Rasburicase", call("G6PD", "Variable"), "amber",
     "Measure G6PD enzyme activity (a heterozygous female can be normal or deficient) and follow the "
     "activity-based result; avoid rasburicase until it is shown normal.", "Moderate"),
]


@pytest.mark.parametrize(("name", "gene_call", "level", "action", "strength"), CASES,
                         ids=[f"{c[0]}-{c[1].gene}-{c[1].phenotype or c[1].diplotypes[0]}" for c in CASES])
def test_call_gives_level_action_and_strength(name: str, gene_call: GeneCall, level: str, action: str,
                                              strength: str) -> None:
    d = drug(name)
    calls = {g: NORMAL[g] for g in d.genes if g in NORMAL} | {gene_call.gene: gene_call}
    got = guideline_action(d, calls)
    assert (got.level, got.action, got.strength) == (level, action, strength)
    assert got.level != "green" or got.level_text == "Standard"


def test_every_drug_names_source_and_guideline_publication() -> None:
    for d in DRUGS:
        assert d.source in ("CPIC", "DPWG")
        assert d.guideline_version.startswith(d.source) and "et al." in d.guideline_version
    assert {d.drug for d in DRUGS} >= {"Codeine", "Tamoxifen", "Rasburicase", "Abacavir", "Allopurinol"}


def test_ugt1a1_star80_reason_is_unknown_function_not_phase() -> None:
    why = ("UGT1A1 *80 alone is of unknown function, so *1/*80 has no assigned phenotype; read as normal or as "
           "decreased function, it gives Normal Metabolizer or Intermediate Metabolizer")
    ugt = call("UGT1A1", "Indeterminate", dip="*1/*80", possible=("Normal Metabolizer", "Intermediate Metabolizer"),
               why=why)
    got = guideline_action(drug("Irinotecan"), {"UGT1A1": ugt})
    # DPWG gives the same advice for both readings: said once, not twice
    assert got.action.startswith(why + ". Either way: Standard starting dose")
    assert got.action.count("Standard starting dose") == 1 and "phase" not in got.action.lower()
    assert (got.level, got.level_text, got.actionable) == ("green", "Cannot call; either way: Standard", False)


def test_phase_unknown_is_said_only_for_an_unphased_call() -> None:
    tpmt = call("TPMT", "Intermediate Metabolizer or Poor Metabolizer", dip="*1/*3A",
                possible=("Intermediate Metabolizer", "Poor Metabolizer"),
                why="Phase unknown: *1/*3A or *3B/*3C; phased calls would decide")
    got = guideline_action(drug("Thiopurines"), {"TPMT": tpmt, "NUDT15": NORMAL["NUDT15"]})
    assert got.action.startswith("Phase unknown: *1/*3A or *3B/*3C; phased calls would decide. If Intermediate")
    assert got.level == "red" and got.actionable


def test_intermediate_for_both_thiopurine_genes_starts_lower_than_for_one() -> None:
    # CPIC's March 2024 update of the 2018 thiopurine guideline: IM (or possible IM) for both TPMT and NUDT15 ->
    # start at 20-50% of the normal dose (one gene IM: 30-80%).
    both = guideline_action(drug("Thiopurines"), {"TPMT": call("TPMT", "Intermediate Metabolizer"),
                                                  "NUDT15": call("NUDT15", "Possible Intermediate Metabolizer")})
    assert both.level == "amber" and "20-50% of the standard dose" in both.action
    assert "NUDT15 Possible Intermediate Metabolizer: the guideline's Intermediate Metabolizer" in both.action


@pytest.mark.parametrize("d", [d for d in DRUGS if not d.outside_genes], ids=lambda d: d.drug)
def test_a_phenotype_no_rule_lists_is_never_the_standard_dose(d: DrugSpec) -> None:
    """Every rule names the phenotypes it gives the standard dose for; any other word asks for the guideline."""
    gene = d.genes[0]
    calls = {g: NORMAL.get(g, call(g, "Normal Metabolizer")) for g in d.genes} | {gene: call(gene, "Novel Phenotype")}
    got = guideline_action(d, calls)
    assert got.level == "amber" and "check the guideline" in got.action, (d.drug, got)
