"""GenoLens dashboard router: page config, session defaults and the page list. Nothing else."""

import streamlit as st

from components import state
from genolens.explain.explanation import use_one_thread

st.set_page_config(page_title="GenoLens", page_icon="🧬", layout="wide")
use_one_thread()  # tiny networks: one intra-op thread per process is ~10x faster than contended threads
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
