"""The treatment page's two halves: the guideline call per gene and the model's prediction, and their agreement."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import cached, inert, patient_details, what_if
from components.drug_table import LIGHT
from genolens.datamodel import PatientGenome
from genolens.explain import Explanation
from genolens.genome import PgxReport, strict_words
from genolens.present import DrugRow, percentile_words
from genolens.workflows import WarfarinDose
from genolens.workflows.warfarin import WARFARIN_OUTPUT

__all__ = ["WARFARIN_OUTPUT", "concordance", "guideline", "model", "warfarin_dose", "warfarin_section"]


def guideline(row: DrugRow, pgx: PgxReport) -> None:
    """Per gene: diplotype(s), phenotype, activity score, missing positions and the caller's note."""
    st.markdown(f"**Guideline call** · {LIGHT[row.level]} {row.level_text}")
    for g in row.genes:
        call = pgx.gene(g.gene)
        with st.container(border=True):
            st.markdown(f"**{g.gene}**: {inert.message(g.phenotype + strict_words(call))}"
                        + (" · outside call (another test)" if g.outside_call else ""))
            if g.diplotypes:
                label = ("Alleles found (phase unknown; the two lowest-function ones are scored)" if call.alleles_found
                         else "Diplotype" + (f"s that fit ({len(g.diplotypes)})" if len(g.diplotypes) > 1 else ""))
                st.markdown(f"{label}: " + ", ".join(inert.code(d) for d in g.diplotypes))
            if g.activity_score is not None:
                st.markdown(f"Activity score: **{g.activity_score:g}**")
            if g.missing_positions:
                st.warning("Not called (could change the call): " + inert.message(", ".join(g.missing_positions)),
                           icon=":material/help:")
            if call.uncertainty:
                st.info(inert.message(call.uncertainty), icon=":material/help:")
            st.caption(inert.message(call.note))
    st.markdown(f"**Action** (paraphrase; the guideline decides): {row.action}")
    st.caption(f"Source: {row.source} · strength: {row.strength or 'not graded'} · {row.guideline_version}")


def model(e: Explanation, outcome: str, horizon: str, assumed: tuple[str, ...]) -> None:
    """The response model's probability of the named outcome, interval and band, and what it assumed."""
    o = e.output
    st.markdown("**Treatment-response model** (trained on a simulated cohort)")
    st.caption(f"Outcome: {outcome}; time horizon: {horizon}.")
    cols = st.columns(2)
    cols[0].metric("Probability of the outcome", f"{o.probability:.1%}", help="Calibrated ensemble probability.")
    cols[1].metric("Against the reference mean", f"{o.relative_risk:.2f}×",
                   help=f"Against the mean probability of the simulated reference population. Band: {o.band}")
    for line in assumed:
        st.caption(f":material/info: {line[:1].upper()}{line[1:]}.")
    st.caption(f"{o.band.capitalize()} · models range {o.interval[0]:.1%}–{o.interval[1]:.1%} · "
               f"{percentile_words(o.percentile)} · missing-data range "
               f"{e.sensitivity_band[0]:.1%}–{e.sensitivity_band[1]:.1%} · explanation grade {e.reliability.grade}")


def concordance(row: DrugRow) -> None:
    """Say whether the model and the guideline agree, prominently when they do not."""
    text = f"**Model and guideline:** {row.agreement}"
    if row.agreement.lower().startswith("agree"):
        st.success(text, icon=":material/check_circle:")
    elif "conflict" in row.agreement.lower() or "disagree" in row.agreement.lower():
        st.warning(text, icon=":material/compare_arrows:")  # a disagreement to weigh, not an error of the page
    else:
        st.info(text, icon=":material/help:")


def warfarin_dose(d: WarfarinDose) -> None:
    """The weekly dose from the model trained on real IWPC patients, the IWPC algorithm's beside it, the
    genotypes as coded, and the ledger in mg/week (model beside the algorithm)."""
    st.markdown("**Starting dose from real patients** (deep ensemble trained on 3,354 IWPC patients; target INR "
                "2-3; research use only)")
    if d.dose_mg_per_week is None or d.interval is None or d.iwpc_algorithm_mg_per_week is None:
        st.info("**No dose:** " + "; ".join(d.missing) + ". Enter them on the Patient page.",
                icon=":material/person_edit:")
        return
    cols = st.columns(3)
    cols[0].metric("Model dose", f"{d.dose_mg_per_week:.1f} mg/week",
                   help="Median of the predictive distribution of the stable weekly dose.")
    cols[1].metric("Per day", f"{d.dose_mg_per_week / 7:.2f} mg/day")
    cols[2].metric("IWPC algorithm", f"{d.iwpc_algorithm_mg_per_week:.1f} mg/week",
                   help="The published IWPC pharmacogenetic algorithm (N Engl J Med 2009) on the same inputs.")
    st.caption(f"90% interval {d.interval[0]:.1f}–{d.interval[1]:.1f} mg/week · genotypes as coded: "
               + ", ".join(f"{g} {v}" for g, v in d.genotypes.items()))
    for flag in d.flags:
        st.caption(f":material/info: {flag[:1].upper()}{flag[1:]}")
    if d.ledger is not None:
        rows = [{"factor": r.factor, "model (mg/week)": r.model_mg_per_week, "IWPC algorithm (mg/week)":
                 r.iwpc_mg_per_week} for r in d.ledger.rows]
        st.caption(f"Why: {d.ledger.baseline_caption}; each factor's share of the change in mg/week "
                   "(model: Integrated Gradients of its mean dose; algorithm: its exact Shapley share).")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
            c: st.column_config.NumberColumn(format="%+.1f") for c in ("model (mg/week)", "IWPC algorithm (mg/week)")})


def warfarin_section(patient: PatientGenome) -> None:
    """The warfarin dose with the details in use, and the VKORC1/CYP2C9 what-if under it."""
    details = patient_details.current(patient)
    dose = cached.warfarin(patient, details, patient_details.today())
    warfarin_dose(dose)
    if dose.dose_mg_per_week is not None:
        with st.expander("What if VKORC1 or CYP2C9 were different? (the file is not changed)"):
            changes = what_if.dose_editor(dose, f"{patient.sha256[:16]}_{patient.sample}")
            if changes:
                what_if.dose_effect(dose, cached.warfarin(patient, details, patient_details.today(), changes))
