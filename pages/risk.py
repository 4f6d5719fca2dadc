"""One disease model in depth: ledger waterfall, gene roll-up, genome track, missing-data band, what-if editor."""

import streamlit as st

from components import cached, choices, frame, ledger_chart, patient_details, risk_card, tables, what_if
from components.errors import shown_errors
from components.report_views import RISK_CHOICE

patient, bundles = frame.patient_page(
    "Risk",
    "This screen explains one disease-risk prediction: which variants, genes and clinical factors "
    "moved the patient's risk away from the comparison point, and by how much.", kind="risk",
)

left, right = st.columns(2)
offered = patient_details.meant_for(patient, bundles)  # a man is not offered the women-only breast model
bundle, output = choices.output(offered, key="risk_output", choice=st.session_state.get(RISK_CHOICE), column=left)
baseline, ancestry = choices.baseline(bundle, key="risk_baseline", column=right)

inputs = patient_details.need_inputs(patient, bundle)
with st.spinner("Explaining the prediction…"), shown_errors(f"explaining {bundle.name}"):
    base = cached.explanation(patient, bundle, output=output, baseline=baseline, ancestry=ancestry, clinical=inputs)

with st.expander("What if… change a genotype", expanded=False):
    edits = what_if.editor(base, bundle, patient)
if edits:
    with st.spinner("Re-explaining with your changes…"), shown_errors(f"explaining {bundle.name}"):
        shown = cached.explanation(patient, bundle, output=output, baseline=baseline, ancestry=ancestry,
                                   clinical=inputs, overrides=edits.dosages)
    st.info("Showing the prediction **with your changes** (what-if); the file is unchanged.", icon=":material/edit:")
    what_if.effect(base, shown)
else:
    shown = base

o = shown.output
spec = bundle.info.output(o.output)
with shown_errors(f"absolute risk from {bundle.name}"):
    has_absolute = risk_card.absolute_block(bundle, o.output, shown.prediction, inputs)
st.markdown(f"**{spec.outcome[:1].upper()}{spec.outcome[1:]}** ({risk_card.horizon_words(spec.horizon)}): "
            "model probability, its ranges and the explanation's grade")
cols = st.columns(4)  # short labels: the line above names the outcome, the caption below says it in full
cols[0].metric("Model probability", f"{o.probability:.1%}",
               help=f"Calibrated ensemble probability of {spec.outcome} in the simulated population. Time horizon: "
                    f"{spec.horizon}.")
cols[1].metric("Models range", f"{o.interval[0]:.1%}–{o.interval[1]:.1%}", help="5th–95th percentile of the ensemble.")
cols[2].metric("Missing-data range", f"{shown.sensitivity_band[0]:.1%}–{shown.sensitivity_band[1]:.1%}",
               help=shown.sensitivity_note)
cols[3].metric("Explanation grade", shown.reliability.grade,
               help="\n\n".join(shown.reliability.reasons) or "Every check graded A.")
for line in inputs.assumed:
    st.caption(f":material/info: {line[:1].upper()}{line[1:]}.")
st.caption(f"Model probability of {spec.outcome} in the simulated population (time horizon: {spec.horizon}): "
           f"{o.band} · {o.relative_risk:.2f}× the mean probability of the simulated reference population "
           f"({bundle.info.people}; "
           f"carriers pull the mean above the typical person's) · "
           f"{tables.percentile_words(o.percentile)} of that population"
           + (f" ({tables.percentile_words(o.ancestry_percentile[1])} of its {o.ancestry_percentile[0]} people, the "
              "patient's ancestry from the 1000 Genomes markers)" if o.ancestry_percentile else "")
           + f" · missing-data range: {shown.sensitivity_note}.")
st.caption("Comparison points differ: " + ("the absolute risks compare with the median woman of the same age; "
                                          if has_absolute else "")
           + "the model probability with the simulated population's mean; the ledger below adds up from its "
             "baseline, named under Ledger.")
for flag in o.flags:
    if flag.code in ("low_coverage", "ancestry_unusual", "clinical_out_of_range", "score_out_of_range"):
        st.warning(flag.message, icon=":material/warning:")

st.subheader("Ledger")
ledger_chart.summary_line(shown)
ledger_chart.waterfall(shown, bundle, patient, key="risk_waterfall")
ledger_chart.rollup_and_track(shown, bundle, patient, key="risk")
ledger_chart.ledger_table(shown)
