"""Researcher view: method, baseline, target and steps chosen freely; agreement, completeness, sanity checks."""

import streamlit as st

from components import cached, choices, explorer_views, frame
from components.errors import shown_errors

patient, bundles = frame.patient_page(
    "Explorer",
    "This screen is for researchers: it explains one model output with the attribution method, "
    "baseline and settings you choose, and tests how far the explanation can be trusted.",
)

top = st.columns(4)
bundle, output = choices.output(bundles, key="explorer_output", column=top[0])
baseline, ancestry = choices.baseline(bundle, key="explorer_baseline", column=top[1])
method, steps, methods = explorer_views.controls(top[2], top[3])

with st.spinner(f"Attributing with {len(methods)} method(s)…"), shown_errors(f"explaining {bundle.name}"):
    compared = cached.comparison(patient, bundle, output=output, methods=methods, baseline=baseline,
                                 ancestry=ancestry, n_steps=steps)
chosen = compared.attributions[0]
st.subheader("Completeness")
explorer_views.completeness(chosen)
st.subheader("Reliability")
explorer_views.reliability(compared.reliability)
explorer_views.agreement_and_deletion(compared.attributions, compared.deletion)
explorer_views.randomisation(bundle, output, method)
st.subheader("Attribution table")
explorer_views.download(chosen, bundle, patient)
