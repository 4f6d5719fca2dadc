"""The drug table: each drug's guideline call (:mod:`genolens.genome.cpic`) beside the treatment-response
model's prediction, and whether the two agree."""

from __future__ import annotations

from collections.abc import Mapping

from genolens.datamodel import OutputPrediction, PatientGenome
from genolens.genome.cpic import ACTION_BASIS, DRUGS, DrugSpec, cyp4f2_note, gene_words, guideline_action
from genolens.genome.gene_call import GeneCall
from genolens.present.summary import DrugRow, GeneLine


def drug_rows(pgx: Mapping[str, GeneCall], patient: PatientGenome, response: Mapping[str, OutputPrediction],
              bands: Mapping[str, Mapping[str, float]], no_model: Mapping[str, str] | None = None,
              outcomes: Mapping[str, str] | None = None) -> tuple[DrugRow, ...]:
    """One row per drug of :data:`~genolens.genome.cpic.DRUGS`, in table order (guideline-only drugs last).

    Parameters
    ----------
    pgx
        Guideline calls by gene, outside calls included (:func:`genolens.genome.pgx.call_pgx` gives every gene a
        drug reads).
    patient
        The patient (warfarin's row reads the CYP4F2 *3 call from it).
    response, bands
        The treatment-response model's prediction and its bundle's band thresholds by output name; a drug
        whose output is absent is shown with the guideline alone.
    no_model
        Output name -> why the treatment-response model made no prediction (``"sex not given ..."``).
    outcomes
        Output name -> the outcome the model's probability is of, in words (from its card).
    """
    why, words = no_model or {}, outcomes or {}
    return tuple(drug_row(d, pgx, patient, response.get(d.output), bands.get(d.output), why.get(d.output, ""),
                          words.get(d.output, "")) for d in DRUGS)


def drug_row(d: DrugSpec, pgx: Mapping[str, GeneCall], patient: PatientGenome, model: OutputPrediction | None,
             bands: Mapping[str, float] | None, no_model: str = "", outcome: str = "") -> DrugRow:
    """One drug's row: guideline call, action, source, strength and version, the model's prediction, and their
    agreement in words. A drug the model has no output for says so ("no model for this drug")."""
    calls = {g: pgx[g] for g in d.genes}
    guideline = "; ".join(gene_words(g) for g in calls.values())
    call = guideline_action(d, calls)
    level, level_text, action, actionable = call.level, call.level_text, call.action, call.actionable
    callable_ = level != "grey" and not level_text.startswith(("Cannot", "Check"))
    if d.output == "y_warfarin_overanticoagulation":
        guideline, action = cyp4f2_note(patient, guideline, action)
    prob = rr = None
    mband = ""
    if not d.modelled:
        agreement = "No model for this drug; guideline only."
    elif model is None or bands is None:
        agreement = (f"No model prediction ({no_model}); guideline only." if no_model else
                     "No model prediction (treatment-response model not loaded); guideline only.")
    else:
        prob, rr, mband = float(model.probability), float(model.relative_risk), model.band
        flagged = model.relative_risk >= bands["above_average"]
        if level == "grey":
            agreement = (f"Guideline needs an outside result; model alone: {'raised' if flagged else 'not raised'} "
                         "risk.")
        elif actionable and not flagged:
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
                   genes=tuple(GeneLine(g.gene, g.diplotypes, g.phenotype, g.activity_score, g.missing_positions,
                                        g.outside_call) for g in calls.values()),
                   guideline=guideline, action=action, action_basis=ACTION_BASIS, level=level,
                   level_text=level_text, model_outcome=outcome if prob is not None else "", model_probability=prob,
                   model_relative_risk=rr, model_band=mband, agreement=agreement, source=d.source,
                   strength=call.strength, guideline_version=d.guideline_version)
