"""One drug in depth: the treatment-response model and its ledger beside the guideline-based phenotype call."""

import streamlit as st

from components import cached, choices, frame, ledger_chart, patient_details, treatment_views
from components.errors import shown_errors
from components.report_views import DRUG_CHOICE

patient, bundles = frame.patient_page(
    "Treatment",
    "This screen sets the treatment-response model's prediction for one drug beside the "
    "guideline (CPIC or DPWG) phenotype called from the patient's genotypes, and says whether they agree.",
)

choices.pgx_missing()
with st.spinner("Calling guideline phenotypes and predicting…"), shown_errors("building the drug table"):
    report = patient_details.report(patient, bundles)
rows = {r.output: r for r in report.summary.drugs}
# the drug the report was asked about first: the first drug of the key findings, unless one was chosen
first = next((k.subject for k in report.summary.key_findings if k.kind == "drug"), None)
wanted = st.session_state.get(DRUG_CHOICE)
if wanted is None and "treatment_drug" not in st.session_state:
    wanted = first
if wanted in rows and st.session_state.get("treatment_drug") != wanted:
    st.session_state["treatment_drug"] = wanted
output = st.selectbox("Drug", list(rows), format_func=lambda o: rows[o].drug, key="treatment_drug")
row = rows[output]
response = next((b for b in bundles if frame.bundle_kind(b) == "response" and output in b.outputs), None)

treatment_views.concordance(row)
if output == treatment_views.WARFARIN_OUTPUT:
    with st.container(border=True), st.spinner("Predicting the warfarin dose…"), shown_errors("predicting the dose"):
        treatment_views.warfarin_section(patient)
left, right = st.columns(2)
with left:
    treatment_views.guideline(row, report.pgx)
with right:
    if response is None:
        st.info("No model for this drug: the guideline call stands alone." if output.startswith("guideline:") else
                "No treatment-response model is installed for this drug: the guideline call stands alone.",
                icon=":material/model_training:")
        st.stop()
    inputs = patient_details.need_inputs(patient, response)
    with st.spinner("Explaining the model's prediction…"), shown_errors(f"explaining {response.name}"):
        e = cached.explanation(patient, response, output=output, clinical=inputs)
    spec = response.info.output(output)
    treatment_views.model(e, spec.outcome, spec.horizon, inputs.assumed)
    ledger_chart.summary_line(e)

st.subheader("Why the model says so")
ledger_chart.waterfall(e, response, patient, key="treatment_waterfall", max_rows=12)
ledger_chart.ledger_table(e)
