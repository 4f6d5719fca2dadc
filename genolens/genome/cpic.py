"""CPIC-style drug rules: for each drug of the treatment-response model, the genes its guideline reads and
the action a phenotype implies.

This is domain knowledge, kept beside the phenotype calls (:mod:`genolens.genome.pgx`). Actions are short
CPIC-style paraphrases, stated as such (``ACTION_BASIS``); the guideline decides. A gene that cannot be
called exactly is read under every phenotype it could have (``GeneCall.possible_phenotypes``) and the
worst level is returned with each possibility spelt out; colour is never the only signal (``level_text``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from genolens.datamodel import PatientGenome
from genolens.genome.pgx import GeneCall

Level = Literal["red", "amber", "green"]
LEVEL_WORDS: Mapping[str, str] = {"red": "Avoid / alternative", "amber": "Adjust or check", "green": "Standard"}
ACTION_BASIS = "CPIC-style paraphrase, not the guideline text; check the current CPIC guideline."


Rule = Callable[[Mapping[str, GeneCall]], tuple[Level, str]]


@dataclass(frozen=True)
class DrugSpec:
    """One drug (class) of the treatment-response model and the genes its guideline reads."""

    output: str
    drug: str
    genes: tuple[str, ...]
    rule: Rule


def _ph(calls: Mapping[str, GeneCall], gene: str) -> str:
    return calls[gene].phenotype


def _fluoropyrimidine(c: Mapping[str, GeneCall]) -> tuple[Level, str]:
    score = c["DPYD"].activity_score
    if _ph(c, "DPYD") == "Normal Metabolizer":
        return "green", "Standard starting dose."
    if _ph(c, "DPYD") == "Intermediate Metabolizer":
        return "amber", "Reduce starting dose by 50%, then titrate by toxicity or drug levels."
    if score == 0.5:
        return "red", "Avoid; if no alternative, a strongly reduced dose with early drug-level monitoring."
    return "red", "Avoid fluoropyrimidines (5-fluorouracil, capecitabine); choose an alternative."


def _thiopurine(c: Mapping[str, GeneCall]) -> tuple[Level, str]:
    phs = {_ph(c, "TPMT"), _ph(c, "NUDT15")}
    if "Poor Metabolizer" in phs:
        return "red", ("Drastically reduce dose (about 10-fold, 3 times a week) for malignancy, or use a "
                       "non-thiopurine alternative for other conditions.")
    if "Intermediate Metabolizer" in phs:
        return "amber", "Reduce starting dose (30-80% of standard) and adjust by myelosuppression."
    return "green", "Standard starting dose."


def _clopidogrel(c: Mapping[str, GeneCall]) -> tuple[Level, str]:
    ph = _ph(c, "CYP2C19")
    if ph == "Poor Metabolizer":
        return "red", "Avoid clopidogrel: use an alternative antiplatelet (prasugrel or ticagrelor)."
    if ph == "Intermediate Metabolizer":
        return "amber", "Use an alternative antiplatelet (prasugrel or ticagrelor) if not contraindicated."
    return "green", "Standard dose."


def _warfarin(c: Mapping[str, GeneCall]) -> tuple[Level, str]:
    cyp, vk = _ph(c, "CYP2C9"), _ph(c, "VKORC1")
    if cyp == "Poor Metabolizer":
        return "red", ("Markedly lower dose (genotype-guided algorithm, then 20-40% lower) or an alternative "
                       "anticoagulant; monitor INR closely.")
    if cyp != "Normal Metabolizer" or vk != "-1639 GG":
        return "amber", "Lower dose expected: dose with a genotype-guided algorithm (CYP2C9 + VKORC1); monitor INR."
    return "green", "Dose with a genotype-guided algorithm; no reduction expected."


def _simvastatin(c: Mapping[str, GeneCall]) -> tuple[Level, str]:
    ph = _ph(c, "SLCO1B1")
    if ph == "Poor Function":
        return "red", "Avoid simvastatin; prescribe an alternative statin."
    if ph == "Decreased Function":
        return "amber", "Prescribe at most 20 mg/day of simvastatin, or an alternative statin."
    return "green", "Standard dose."


def _irinotecan(c: Mapping[str, GeneCall]) -> tuple[Level, str]:
    if _ph(c, "UGT1A1") == "Poor Metabolizer":
        return "amber", "Reduce starting dose by at least 30% (regimens of 180 mg/m² or more); titrate by neutrophils."
    return "green", "Standard starting dose."


def _tacrolimus(c: Mapping[str, GeneCall]) -> tuple[Level, str]:
    if _ph(c, "CYP3A5") in ("Normal Metabolizer", "Intermediate Metabolizer"):
        return "amber", ("CYP3A5 expresser: increase starting dose 1.5-2× (at most 0.3 mg/kg/day), guided by "
                         "drug levels.")
    return "green", "Standard starting dose with drug-level monitoring."


def _abacavir(c: Mapping[str, GeneCall]) -> tuple[Level, str]:
    if _ph(c, "HLA-B") == "positive":
        return "red", "Do not prescribe abacavir; confirm HLA-B*57:01 by HLA typing."
    return "green", "Standard care (tag SNP negative; HLA typing remains the test)."


DRUGS: tuple[DrugSpec, ...] = (
    DrugSpec("y_fluoropyrimidine_toxicity", "Fluoropyrimidines (5-FU, capecitabine)", ("DPYD",), _fluoropyrimidine),
    DrugSpec("y_thiopurine_myelosuppression", "Thiopurines (azathioprine, mercaptopurine)", ("TPMT", "NUDT15"),
             _thiopurine),
    DrugSpec("y_clopidogrel_failure", "Clopidogrel", ("CYP2C19",), _clopidogrel),
    DrugSpec("y_warfarin_overanticoagulation", "Warfarin", ("CYP2C9", "VKORC1"), _warfarin),
    DrugSpec("y_simvastatin_myopathy", "Simvastatin", ("SLCO1B1",), _simvastatin),
    DrugSpec("y_irinotecan_neutropenia", "Irinotecan", ("UGT1A1",), _irinotecan),
    DrugSpec("y_tacrolimus_underexposure", "Tacrolimus", ("CYP3A5",), _tacrolimus),
    DrugSpec("y_abacavir_hypersensitivity", "Abacavir", ("HLA-B",), _abacavir),
)
"""The treatment-response outputs, in table order."""
_CYP4F2 = "rs2108622"


def gene_words(g: GeneCall) -> str:
    """One gene's call in words (``"DPYD Intermediate Metabolizer (activity score 1; *1/*2A)"``)."""
    gene = "HLA-B*57:01 tag" if g.gene == "HLA-B" else g.gene
    parts = [] if g.activity_score is None else [f"activity score {g.activity_score:g}"]
    if g.phenotype == "Indeterminate" and g.possible_phenotypes:
        parts.append(f"possible: {' or '.join(g.possible_phenotypes)}")
    if len(g.diplotypes) > 2:
        parts.append(f"{len(g.diplotypes)} diplotypes fit")
    elif g.diplotypes:
        parts.append(" or ".join(g.diplotypes))
    return f"{gene} {g.phenotype}" + (f" ({'; '.join(parts)})" if parts else "")


def guideline_action(d: DrugSpec, calls: Mapping[str, GeneCall]) -> tuple[Level, str, str, bool]:
    """(level, level in words, action, actionable) of a drug from its genes' calls.

    A gene that cannot be called exactly is read under each phenotype it could have; the worst level is
    shown, every possibility is spelt out, and the missing positions are named.
    """
    unknown = [g for g in calls.values() if g.phenotype == "Indeterminate" or g.possible_phenotypes]
    if not unknown:
        level, action = d.rule(calls)
        return level, LEVEL_WORDS[level], action, level != "green"
    missing = sorted({m for g in unknown for m in g.missing_positions})
    head = f"Not called: {', '.join(missing)}" if missing else "Phase unknown"
    tail = "Genotype these before prescribing." if missing else "Phased calls would decide."
    options = [(g, ph) for g in unknown for ph in g.possible_phenotypes]
    if len(unknown) > 1 or not options:
        return "amber", "Check: cannot call", f"{head}. {tail}", False
    outcomes = [(ph, *d.rule({**calls, g.gene: replace(g, phenotype=ph, activity_score=None)})) for g, ph in options]
    worst = min((lv for _, lv, _ in outcomes), key=("red", "amber", "green").index)
    spelt = " ".join(f"If {ph}: {act}" for ph, _, act in outcomes)
    actionable = all(lv != "green" for _, lv, _ in outcomes)
    return worst, f"Cannot call; at worst: {LEVEL_WORDS[worst]}", f"{head}. {spelt} {tail}", actionable


def cyp4f2_note(patient: PatientGenome, guideline: str, action: str) -> tuple[str, str]:
    """Warfarin's guideline words and action with the CYP4F2 *3 call added."""
    site = next((s for r in patient.panels if r.panel == "pharmacogenomics" for s in r.sites if s.rsid == _CYP4F2),
                None)
    if site is None or site.dosage is None:
        return f"{guideline}; CYP4F2 *3 not called", action
    if site.dosage >= 0.5:
        return f"{guideline}; CYP4F2 *3 carrier", f"{action} CYP4F2 *3: dose 5-10% higher."
    return f"{guideline}; CYP4F2 *3 not carried", action
