"""The clinician report for the current patient, in the order every export has: key findings first."""

import streamlit as st

from components import choices, frame, inert, patient_details, report_views
from components.errors import shown_errors

patient, bundles = frame.patient_page(
    "Report",
    "This screen is the patient's report: key findings first, then the disease risks, the drug table, the "
    "inherited variants tested, and how the numbers were made. The PDF, HTML and JSON exports say the same.",
)

choices.pgx_missing()
with st.spinner("Predicting with every model and explaining each risk…"), shown_errors("building the report"):
    summary = patient_details.report(patient, bundles).summary

report_views.header(summary)
for section, title in report_views.SECTIONS:
    st.subheader(title, anchor=f"section-{section}")
    report_views.SECTION_VIEWS[section](summary)

st.subheader("Export")
report_views.downloads(summary, stem=f"genolens_{inert.file_stem(patient.sample)}")
