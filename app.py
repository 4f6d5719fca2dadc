"""GenoLens dashboard router: page config, session defaults, who may use it, and the page list. Nothing else."""

import streamlit as st

from components import auth, process, startup, state

st.set_page_config(page_title="GenoLens", page_icon="🧬", layout="wide")
process.configure()
startup.sweep_temp_folders()  # once per server: temp folders a crash or kill left behind
startup.input_limits()  # once per server: genolens.toml's [input_limits] for the file checks
state.init()
who = auth.gate()  # sign-in (or local mode, said on screen); stops the run for anyone else

page = st.navigation(auth.pages(who, [
    ("pages/patient.py", "Patient", "🧬"),
    ("pages/report.py", "Report", "📋"),
    ("pages/risk.py", "Risk", "🎯"),
    ("pages/treatment.py", "Treatment", "💊"),
    ("pages/explorer.py", "Explorer", "🔬"),
    ("pages/cohort.py", "Cohort", "👥"),
    ("pages/models.py", "Models", "📊"),
    ("pages/admin.py", "Admin", "🛡️"),
]))
auth.enter(page, who)  # refuses (and logs) a page the user's roles do not cover; logs the page view
page.run()
