"""The clinician summary for the current patient: risk cards, drug traffic-light table, findings, export."""

import streamlit as st

from components import cached, frame, report_views
from components.errors import shown_errors

patient, bundles = frame.patient_page(
    "Report",
    "This screen summarises the patient's disease risks, drug responses and findings from the "
    "installed models and the guideline (CPIC-style) calls.",
)

with st.spinner("Predicting with every model and explaining each risk…"), shown_errors("building the report"):
    summary = cached.report(patient, bundles).summary

st.subheader("Disease risk")
st.caption("Risk against the simulated reference population. The interval is the spread of the model "
           "ensemble; the missing-data range is where the risk could move if the missing genotypes were known.")
report_views.risk_cards(summary.risk_cards)

st.subheader("Drugs")
st.caption("Guideline phenotype from the panel's positions beside the treatment-response model. "
           "Level: 🔴 avoid or use an alternative · 🟠 adjust or check · 🔵 standard.")
report_views.drugs(summary)

st.subheader("Monogenic findings")
report_views.findings(summary.findings)

st.subheader("Data quality")
report_views.qc(summary)

st.subheader("Export")
report_views.downloads(summary, stem=f"genolens_{patient.sample}")
with st.expander("Limitations"):
    st.markdown("\n".join(f"- {line}" for line in summary.limitations))
