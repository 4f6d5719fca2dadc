"""What every analysis page starts with: title, research-use banner, and the patient/models it needs."""

from __future__ import annotations

import streamlit as st

from components import auth, cached, inert, patient_views, state
from components.errors import shown_errors
from genolens.datamodel import PatientGenome
from genolens.genome import ABSENT_WORDS
from genolens.modeling import Bundle

SIMULATED = ("Every risk and drug-response model here was **trained on simulated cohorts** (real variants, positions "
             "and published effect sizes; simulated people); estimates illustrate the method, they are not validated "
             "risks. The one exception is the warfarin dose model (Treatment page), trained on real IWPC patients.")


def patient_page(title: str, what: str, *, kind: str | None = None) -> tuple[PatientGenome, tuple[Bundle, ...]]:
    """The start of every screen about one patient: header, the patient, the models (of ``kind``), the caption."""
    header(title, what)
    patient = need_patient()
    bundles = need_bundles(kind)
    patient_caption(patient)
    return patient, bundles


def header(title: str, what: str) -> None:
    """Title, research-use-only banner saying what this screen shows, and the simulated-cohort note."""
    auth.require_page(title)  # the page guard: signed in, and a role that covers this page (else logged, stopped)
    st.title(title)
    patient_views.research_banner(what)
    st.caption(SIMULATED)


def need_patient() -> PatientGenome:
    """Return the current patient; without one, say what to do and stop the page."""
    patient = state.current_patient()
    if patient is None:
        st.info("No patient is loaded. Choose a demo patient, upload a VCF or pick a server file on the "
                "Patient page, then come back.", icon=":material/person_search:")
        st.page_link("pages/patient.py", label="Open the Patient page", icon="🧬")
        st.stop()
    return patient


def need_bundles(kind: str | None = None) -> tuple[Bundle, ...]:
    """Return the installed bundles (of ``kind``: "risk" or "response"); without any, say so and stop."""
    with shown_errors("loading the model bundles"):
        bundles = cached.bundles()
    chosen = tuple(b for b in bundles if kind is None or bundle_kind(b) == kind)
    if not chosen:
        what = {"risk": "disease-risk", "response": "treatment-response"}.get(kind or "", "")
        st.info(f"No {what} model bundles are installed: run `make models`.", icon=":material/model_training:")
        st.page_link("pages/models.py", label="Model cards", icon="📊")
        st.stop()
    return chosen


def bundle_kind(bundle: Bundle) -> str:
    """``"risk"``, ``"response"`` or ``"linear"`` (the card's kind)."""
    return bundle.info.kind


def output_label(output: str) -> str:
    """``"y_breast_cancer"`` -> ``"Breast cancer"``."""
    text = output.removeprefix("y_").replace("_", " ")
    return text[:1].upper() + text[1:]


def patient_caption(patient: PatientGenome) -> None:
    """One line naming the patient on screen."""
    st.caption(f"Patient **{inert.name(patient.sample)}** from {inert.name(patient.source_name)} · "
               f"{patient.build.build} · "
               f"sites absent from the file {ABSENT_WORDS.get(patient.absent_policy, patient.absent_policy)}")
