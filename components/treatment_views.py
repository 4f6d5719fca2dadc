"""The treatment page's two halves: the guideline call per gene and the model's prediction, and their agreement."""

from __future__ import annotations

import streamlit as st

from components.drug_table import LIGHT
from genolens.explain import Explanation
from genolens.genome import PgxReport
from genolens.present import DrugRow, percentile_words


def guideline(row: DrugRow, pgx: PgxReport) -> None:
    """Per gene: diplotype(s), phenotype, activity score, missing positions and the caller's note."""
    st.markdown(f"**Guideline call** · {LIGHT[row.level]} {row.level_text}")
    for g in row.genes:
        call = pgx.gene(g.gene)
        with st.container(border=True):
            st.markdown(f"**{g.gene}**: {g.phenotype}" + (" · outside call (another test)" if g.outside_call else ""))
            if g.diplotypes:
                st.markdown("Diplotype" + (f"s that fit ({len(g.diplotypes)})" if len(g.diplotypes) > 1 else "")
                            + ": " + ", ".join(f"`{d}`" for d in g.diplotypes))
            if g.activity_score is not None:
                st.markdown(f"Activity score: **{g.activity_score:g}**")
            if g.missing_positions:
                st.warning("Not called (could change the call): " + ", ".join(g.missing_positions),
                           icon=":material/help:")
            if call.uncertainty:
                st.info(call.uncertainty, icon=":material/help:")
            st.caption(call.note)
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
