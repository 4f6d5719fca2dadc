"""GenoLens dashboard router: page config, session defaults and the page list. Nothing else."""

import streamlit as st

from components import process, state

st.set_page_config(page_title="GenoLens", page_icon="🧬", layout="wide")
process.configure()
state.init()

st.navigation([
    st.Page("pages/patient.py", title="Patient", icon="🧬", default=True),
    st.Page("pages/report.py", title="Report", icon="📋"),
    st.Page("pages/risk.py", title="Risk", icon="🎯"),
    st.Page("pages/treatment.py", title="Treatment", icon="💊"),
    st.Page("pages/explorer.py", title="Explorer", icon="🔬"),
    st.Page("pages/cohort.py", title="Cohort", icon="👥"),
    st.Page("pages/models.py", title="Models", icon="📊"),
]).run()
