"""The drug table: for each drug of the treatment-response model, the guideline genes' phenotype calls,
the action they imply, and the model's prediction beside them with their agreement made visible.

Actions are short CPIC-style paraphrases, stated as such (``ACTION_BASIS``); the guideline decides. A
gene that cannot be called exactly is read under every phenotype it could have and the worst level is
shown with each possibility spelt out; colour is never the only signal (``level_text``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from genolens.datamodel import PatientGenome
from genolens.genome.pgx import GeneCall

if TYPE_CHECKING:
    from genolens.datamodel import OutputPrediction

Level = Literal["red", "amber", "green"]
LEVEL_WORDS: Mapping[str, str] = {"red": "Avoid / alternative", "amber": "Adjust or check", "green": "Standard"}
ACTION_BASIS = "CPIC-style paraphrase, not the guideline text; check the current CPIC guideline."


@dataclass(frozen=True)
class GeneLine:
    """A guideline phenotype call for one gene."""

    gene: str
    diplotypes: tuple[str, ...]
    phenotype: str
    activity_score: float | None
    missing_positions: tuple[str, ...]


@dataclass(frozen=True)
class DrugRow:
    """One line of the traffic-light table: model beside guideline, and whether they agree."""

    drug: str
    output: str
    genes: tuple[GeneLine, ...]
    guideline: str
    """The phenotype call in words (``"DPYD Intermediate Metabolizer (activity score 1)"``)."""
    action: str
    """What the call implies, as a short paraphrase (see ``action_basis``)."""
    action_basis: str
    """Where ``action`` comes from, stated with it."""
    level: Level
    level_text: str
    """The level in words: colour is never the only signal."""
    model_probability: float | None
    """``None`` when no treatment-response model was loaded."""
    model_relative_risk: float | None
    model_band: str
    agreement: str


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


def _gene_words(g: GeneCall) -> str:
    gene = "HLA-B*57:01 tag" if g.gene == "HLA-B" else g.gene
    parts = [] if g.activity_score is None else [f"activity score {g.activity_score:g}"]
    if g.phenotype == "Indeterminate" and _possible(g):
        parts.append(f"possible: {' or '.join(_possible(g))}")
    if len(g.diplotypes) > 2:
        parts.append(f"{len(g.diplotypes)} diplotypes fit")
    elif g.diplotypes:
        parts.append(" or ".join(g.diplotypes))
    return f"{gene} {g.phenotype}" + (f" ({'; '.join(parts)})" if parts else "")


def _possible(g: GeneCall) -> tuple[str, ...]:
    """Phenotypes a not-fully-callable gene could have (from the call's note), or ``()`` when none is known."""
    if " or " in g.phenotype:
        return tuple(g.phenotype.split(" or "))
    m = re.search(r"Possible phenotypes: ([^.]*)\.", g.note)
    return tuple(x for x in m.group(1).split(", ") if x != "Indeterminate") if m else ()


def guideline_action(d: DrugSpec, calls: Mapping[str, GeneCall]) -> tuple[Level, str, str, bool]:
    """(level, level in words, action, actionable) of a drug from its genes' calls.

    A gene that cannot be called exactly is read under each phenotype it could have; the worst level is
    shown, every possibility is spelt out, and the missing positions are named.
    """
    unknown = [g for g in calls.values() if g.phenotype == "Indeterminate" or " or " in g.phenotype]
    if not unknown:
        level, action = d.rule(calls)
        return level, LEVEL_WORDS[level], action, level != "green"
    missing = sorted({m for g in unknown for m in g.missing_positions})
    head = f"Not called: {', '.join(missing)}" if missing else "Phase unknown"
    tail = "Genotype these before prescribing." if missing else "Phased calls would decide."
    options = [(g, ph) for g in unknown for ph in _possible(g)]
    if len(unknown) > 1 or not options:
        return "amber", "Check: cannot call", f"{head}. {tail}", False
    outcomes = [(ph, *d.rule({**calls, g.gene: replace(g, phenotype=ph, activity_score=None)})) for g, ph in options]
    worst = min((lv for _, lv, _ in outcomes), key=("red", "amber", "green").index)
    spelt = " ".join(f"If {ph}: {act}" for ph, _, act in outcomes)
    actionable = all(lv != "green" for _, lv, _ in outcomes)
    return worst, f"Cannot call; at worst: {LEVEL_WORDS[worst]}", f"{head}. {spelt} {tail}", actionable


def drug_row(d: DrugSpec, pgx: Mapping[str, GeneCall], patient: PatientGenome, model: OutputPrediction | None,
              bands: Mapping[str, float] | None) -> DrugRow:
    calls = {g: pgx[g] for g in d.genes}
    guideline = "; ".join(_gene_words(g) for g in calls.values())
    level, level_text, action, actionable = guideline_action(d, calls)
    callable_ = not level_text.startswith(("Cannot", "Check"))
    if d.output == "y_warfarin_overanticoagulation":
        guideline, action = _cyp4f2(patient, guideline, action)
    if model is None or bands is None:
        agreement = "No model prediction (treatment-response model not loaded); guideline only."
        prob = rr = None
        mband = ""
    else:
        prob, rr, mband = float(model.probability), float(model.relative_risk), model.band
        flagged = model.relative_risk >= bands["above_average"]
        if actionable and not flagged:
            agreement = "Conflict: model does not flag a guideline-actionable genotype."
        elif flagged and not actionable and callable_:
            agreement = "Conflict: model flags raised risk with a guideline-normal genotype."
            level, level_text = ("amber", "Check: model and guideline differ") if level == "green" else (
                level, level_text)
        elif not callable_ and not actionable:
            agreement = f"Guideline cannot call; model alone: {'raised' if flagged else 'not raised'} risk."
        else:
            agreement = "Agree: both flag." if actionable else "Agree: neither flags."
    return DrugRow(drug=d.drug, output=d.output,
                   genes=tuple(GeneLine(g.gene, g.diplotypes, g.phenotype, g.activity_score, g.missing_positions)
                               for g in calls.values()),
                   guideline=guideline, action=action, action_basis=ACTION_BASIS, level=level,
                   level_text=level_text, model_probability=prob, model_relative_risk=rr, model_band=mband,
                   agreement=agreement)


def _cyp4f2(patient: PatientGenome, guideline: str, action: str) -> tuple[str, str]:
    site = next((s for r in patient.panels if r.panel == "pharmacogenomics" for s in r.sites if s.rsid == _CYP4F2),
                None)
    if site is None or site.dosage is None:
        return f"{guideline}; CYP4F2 *3 not called", action
    if site.dosage >= 0.5:
        return f"{guideline}; CYP4F2 *3 carrier", f"{action} CYP4F2 *3: dose 5-10% higher."
    return f"{guideline}; CYP4F2 *3 not carried", action
