"""Researcher view: method, baseline, target and steps chosen freely; agreement, completeness, sanity checks."""

import streamlit as st

from components import cached, choices, explorer_views, frame, patient_details
from components.errors import shown_errors

patient, bundles = frame.patient_page(
    "Explorer",
    "This screen is for researchers: it explains one model output with the attribution method, "
    "baseline and settings you choose, and tests how far the explanation can be trusted.",
)

top = st.columns(4)
bundle, output = choices.output(patient_details.meant_for(patient, bundles), key="explorer_output", column=top[0])
baseline, ancestry = choices.baseline(bundle, key="explorer_baseline", column=top[1])
method, steps, methods = explorer_views.controls(top[2], top[3])

inputs = patient_details.need_inputs(patient, bundle)
with st.spinner(f"Attributing with {len(methods)} method(s)…"), shown_errors(f"explaining {bundle.name}"):
    compared = cached.comparison(patient, bundle, output=output, methods=methods, baseline=baseline,
                                 ancestry=ancestry, n_steps=steps, clinical=inputs)
    graded = cached.explanation(patient, bundle, output=output, method=method, baseline=baseline, ancestry=ancestry,
                                clinical=inputs)
chosen = compared.attributions[0]
st.subheader("Completeness")
explorer_views.completeness(chosen)
st.subheader("Reliability")
st.caption("The grade the report shows for this output, method and baseline (the report's checks: agreement with "
           "fixed other methods, ensemble members, deletion curve).")
explorer_views.reliability(graded.reliability)
st.caption("Against the methods you chose to compare with" + (f" and {steps} steps" if steps else "") + ":")
explorer_views.reliability(compared.reliability)
explorer_views.agreement_and_deletion(compared.attributions, compared.deletion)
explorer_views.randomisation(bundle, output, method)
st.subheader("Attribution table")
explorer_views.download(chosen, bundle, patient)
