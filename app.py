"""GenoLens dashboard router: page config, session defaults and the page list. Nothing else."""

import streamlit as st

from components import state

st.set_page_config(page_title="GenoLens", page_icon="🧬", layout="wide")
state.init()

st.navigation([
    st.Page("pages/patient.py", title="Patient", icon="🧬", default=True),
    st.Page("pages/models.py", title="Models", icon="📊"),
]).run()
