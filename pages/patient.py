"""Choose a patient (upload or server file), the sample and reading options; see file, build, QC, coverage."""

import streamlit as st

from components import inert, patient_details, patient_input, patient_views, state

st.title("Patient")
patient_views.research_banner()

state.restore_widgets()
source = patient_input.choose_source()
if source is None:
    if (kept := state.current_patient()) is not None:  # e.g. an upload: the uploader cannot be refilled
        st.info(f"Current patient: **{inert.name(kept.sample)}** from {inert.name(kept.source_name)}. Choose a file "
                "above to replace it.", icon=":material/person:")
    st.stop()
state.keep_patient_only_for((source.sha256,))  # another file: no patient until it is read without error

samples = patient_input.sample_names(source)
sample_col, build_col, absent_col = st.columns([2, 2, 3], vertical_alignment="bottom")
sample = patient_input.choose_sample(source, samples, sample_col)
options = patient_input.choose_options(build_col, absent_col, source)
if sample is None and len(samples) > 1:
    st.info(f"{inert.name(source.name)} holds {len(samples)} samples: choose the patient's sample.",
            icon=":material/person_search:")
    st.stop()

choice = patient_input.choice(source, sample, options)
state.keep_patient_only_for(choice)
patient = patient_input.read(source, sample, options)
state.set_patient(patient, choice)
state.remember_widgets()

patient_details.form(patient)
patient_views.file_summary(patient)
patient_views.build_summary(patient.build, patient.reference)
patient_views.ancestry_summary(patient.ancestry)
patient_views.qc_summary(patient.qc)
patient_views.panel_coverage(patient)
