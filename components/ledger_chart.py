"""Ledger figures and table of one explanation: waterfall, gene roll-up, genome track, rows with evidence."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from genolens.datamodel import PatientGenome
from genolens.explain import Explanation
from genolens.modeling import Bundle
from genolens.present import output_title
from genolens.present.figures import gene_rollup_figure, genome_track_figure, ledger_waterfall


def genotypes(patient: PatientGenome, panel: str) -> dict[str, str]:
    """GT text per input id of ``panel`` (``"—"`` where the site gave none)."""
    for r in patient.panels:
        if r.panel == panel:
            return {s.variant_id: s.genotype or f"— ({s.status.replace('_', ' ')})" for s in r.sites}
    return {}


def summary_line(e: Explanation) -> None:
    """Baseline caption, what the rows add up to, and the completeness statement."""
    book = e.ledger
    st.markdown(f"**Baseline.** {book.baseline.caption}")
    for note in book.baseline.notes:
        st.caption(note)
    added_up = "the rows add up to the change" if e.attribution.converged else "the rows do NOT add up to the change"
    st.caption(f"From {book.baseline_probability:.1%} (baseline) to {book.prediction_probability:.1%} (this "
               f"patient). On the log-odds scale: genetics {book.genetics:+.2f}, clinical factors "
               f"{book.clinical:+.2f}; {added_up}.")
    with st.expander("How the contributions were computed (for researchers)"):
        st.caption(f"Not attributed: {book.residual:+.3f} log-odds. {e.attribution.completeness}")


def waterfall(e: Explanation, bundle: Bundle, patient: PatientGenome, *, key: str, max_rows: int = 15,
              outcome: str = "") -> None:
    """The ledger as a waterfall on the probability scale from 0% (log-odds on the top axis and in the labels).

    ``outcome`` names the output in the title (``"Breast cancer (simulated case status)"``); by default the
    output's name in words.
    """
    fig = ledger_waterfall(e.ledger, genotypes=genotypes(patient, bundle.panel.name), max_rows=max_rows,
                           outcome=outcome or output_title(e.ledger.output))
    st.plotly_chart(fig, key=key, config={"displaylogo": False})
    st.caption("Bar lengths are changes in probability, on an axis from 0%: each row's change is what it adds to "
               "the rows above it, in the order shown (the log-odds on the top axis and in the labels do not "
               "depend on the order).")


def rollup_and_track(e: Explanation, bundle: Bundle, patient: PatientGenome, *, key: str) -> None:
    """Gene roll-up bars beside the genome track."""
    left, right = st.columns([2, 3])
    with left:
        st.markdown("**Genes and loci**")
        st.plotly_chart(gene_rollup_figure(e.ledger), key=f"{key}_genes", config={"displaylogo": False})
    with right:
        st.markdown("**Genome track**")
        fig = genome_track_figure(e.attribution, bundle.panel, build=patient.build.build,
                                  genotypes=genotypes(patient, bundle.panel.name))
        st.plotly_chart(fig, key=f"{key}_track", config={"displaylogo": False})


def table(e: Explanation) -> pd.DataFrame:
    """Ledger rows as a table: label, section, contribution, spread, odds factor, evidence, note."""
    return pd.DataFrame([{
        "row": r.label, "section": r.section, "contribution (log-odds)": r.contribution,
        "spread": r.spread, "odds ×": math.exp(r.contribution), "evidence": r.evidence, "inputs": r.note,
    } for r in e.ledger.rows])


def ledger_table(e: Explanation) -> None:
    """Show the ledger table in an expander."""
    with st.expander(f"All {len(e.ledger.rows)} ledger rows", expanded=False):
        st.dataframe(table(e), hide_index=True, width="stretch", column_config={
            "contribution (log-odds)": st.column_config.NumberColumn(format="%+.3f"),
            "spread": st.column_config.NumberColumn(format="%.3f"),
            "odds ×": st.column_config.NumberColumn(format="%.2f"),
            "evidence": st.column_config.TextColumn(width="large"),
        })
