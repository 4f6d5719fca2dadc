"""A cohort job's results: risk distributions, the samples x genes matrix, top-decile drivers, one sample."""

import streamlit as st

from components import cohort_views, frame, patient_details, state

frame.header("Cohort", "This screen reads a cohort job's results (a folder on the server, or a job run here on a "
             "multi-sample file): the distributions, which genes drive them, and one sample's results or report.")
bundles = frame.need_bundles()

folder = cohort_views.choose_results(bundles, patient_details.today())
if folder is None:
    st.stop()
results = cohort_views.open_folder(folder)
cohort_views.overview(results)
bundle, output = cohort_views.choose_output(results)
current = state.current_patient()

st.subheader("Risk distribution")
cohort_views.distributions(results, bundle, output, current.sample if current is not None else None)
st.subheader("Attribution matrix: samples x genes")
view = cohort_views.gene_matrix(results, bundle, output)
st.subheader("What drives the top decile")
cohort_views.top_decile(results, bundle, output)
st.subheader("Drill down")
sample = cohort_views.choose_sample(results, view)
if sample is not None:
    cohort_views.drill_down(results, sample, bundle, output)
