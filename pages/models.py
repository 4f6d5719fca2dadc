"""Model cards: what each bundle is for, what it was trained on, how well it does and where it fails."""

import streamlit as st

from components import cached, model_card, patient_views
from components.errors import shown_errors

st.title("Models")
patient_views.research_banner("Model cards describe what each model was trained on and how well it does.")
st.markdown("Every risk and drug-response model was trained on a **simulated** cohort grounded in published facts "
            "(real variants, positions and effect sizes). Metrics are from a held-out part of that cohort, beside a "
            "linear polygenic score on the same variants and the oracle (the true simulated model). To train on "
            "your own cohort: `python -m genolens train --vcf COHORT --phenotypes CSV --panel NAME --out DIR`. "
            "The exception is the **warfarin dose** model (last tab): trained on **real** patients of the IWPC "
            "data set and scored on patients it never saw, beside the published IWPC algorithms.")

with shown_errors("loading the model bundles"):
    bundles = cached.bundles()
    dose = model_card.installed_dose_card()
if not bundles and dose is None:
    st.info("No model bundles are installed: run `make models`.", icon=":material/model_training:")
    st.stop()
labels = [b.name.replace("_", " ") for b in bundles] + (["warfarin dose (real IWPC patients)"] if dose else [])
# lazy tabs: only the open card is built and sent (a click on another tab reruns the page)
tabs = st.tabs(labels, key=model_card.CARD_TAB, on_change="rerun")
for tab, bundle in zip(tabs, bundles, strict=False):
    if tab.open:
        with tab:
            model_card.card(bundle)
if dose is not None and tabs[-1].open:
    with tabs[-1]:
        model_card.dose_card(dose)
