"""A multi-sample VCF: risk distributions across samples, attribution summary, drill-down to one sample's report."""

import streamlit as st

from components import cohort_views, frame, patient_details, patient_input, state

frame.header("Cohort", "This screen scores every sample of a multi-sample VCF with every installed model, shows "
             "the distributions and which genes drive them, and opens one sample's report.")
bundles = frame.need_bundles()

source = cohort_views.choose_file()
if source is None:
    st.stop()
options = cohort_views.choose_options(source)
samples = patient_input.sample_names(source)
details = cohort_views.choose_details(source, samples)
result = cohort_views.score(source, bundles, options, details, patient_details.today())
st.caption(f"{len(result.samples)} samples · build {result.build} · "
           f"{cohort_views.ABSENT_WORDS[result.absent_policy]}.")
current = state.current_patient()
highlight = current.sample if current is not None and current.sample in result.samples else None

cohort_views.distributions(result, bundles, highlight)
with st.expander("Every sample", expanded=False):
    cohort_views.every_sample(source, result, bundles)
st.subheader("What drives the predictions across samples")
cohort_views.attribution_summary(source, result, bundles)
st.subheader("Drill down")
cohort_views.open_sample(source, result, options, details)
