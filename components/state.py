"""The typed session object of the dashboard and its getters.

One dataclass lives under one key of ``st.session_state``; pages and components read and write it
through ``session()`` instead of loose string keys. Widget values stay under their widget keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from genolens.datamodel import PatientGenome
from genolens.datamodel.clinical import PatientDetails
from genolens.genome import MissingPolicy

_KEY = "genolens"


@dataclass
class Session:
    """What one browser session carries between reruns and pages."""

    patient: PatientGenome | None = None
    """The patient read last without error; ``None`` before any, or after its source was removed."""
    details: dict[str, PatientDetails] = field(default_factory=dict)
    """The patient details in use, by ``"<sha256[:16]>:<sample>"`` (entered, or a demo patient's stored ones)."""
    digests: dict[str, str] = field(default_factory=dict)
    """SHA-256 hex of each source already hashed, by source identity (upload id, or path+size+mtime)."""
    url_read: bool = False
    """Whether the Patient page choices kept in the address bar were looked at in this session."""
    wanted: dict[str, str] = field(default_factory=dict)
    """Choices restored from the address bar still to apply when their widget is drawn (file, sample, wgs)."""
    choice: tuple[object, ...] = ()
    """What ``patient`` was read for: (source SHA-256, sample, build, absent policy); empty without a patient."""
    pgx_missing: MissingPolicy = "pharmcat"
    """The missing-position policy of the pharmacogenomic calls, as last chosen (``components.choices.pgx_missing``):
    the Report and Treatment pages and the exports all use it, for every patient of the session."""


def init() -> Session:
    """Put the session defaults in place and return them (``app.py`` calls it on every run)."""
    value = st.session_state.get(_KEY)
    if not isinstance(value, Session):
        value = Session()
        st.session_state[_KEY] = value
    return value


def session() -> Session:
    """Return this browser session's ``Session``."""
    return init()


def current_patient() -> PatientGenome | None:
    """Return the patient on screen, or ``None``."""
    return session().patient


def set_patient(patient: PatientGenome | None, choice: tuple[object, ...] = ()) -> None:
    """Make ``patient`` (read for ``choice``: source SHA-256, sample, build, absent policy) the patient on screen."""
    now = session()
    now.patient = patient
    now.choice = choice if patient is not None else ()


def keep_patient_only_for(choice: tuple[object, ...]) -> None:
    """Forget the patient on screen unless it was read for ``choice`` (or a longer choice starting with it).

    A rerun of the Patient page for the same file and sample keeps the patient, so leaving the page while
    that rerun is still running (a click on another page interrupts it) does not lose the patient; a
    different file or sample drops it at once, so no page shows the previous patient as if it were the new one.
    """
    now = session()
    if now.choice[:len(choice)] != choice or not choice:
        now.patient = None
        now.choice = ()


_KEEP = "_kept_"
_PAGE_WIDGETS = ("source", "demo_file", "server_file", "build", "sample_", "whole_genome")
"""Widget keys (or key prefixes) of the Patient page whose values must survive a visit to another page."""


def restore_widgets() -> None:
    """Put back the Patient page's widget values that Streamlit dropped while another page was shown.

    Streamlit forgets the state of widgets that were not drawn on the last run, so going to the
    Report page and back would reset the chosen patient. Each value is also kept under a plain key.
    """
    for key in [k for k in st.session_state if str(k).startswith(_KEEP)]:
        name = str(key)[len(_KEEP):]
        if name not in st.session_state:
            st.session_state[name] = st.session_state[key]


def has_kept_widgets() -> bool:
    """Whether any Patient page widget value is kept in this session (i.e. it is not a fresh one)."""
    return any(str(k).startswith(_KEEP) for k in st.session_state)


def keep_widget(name: str, value: object) -> None:
    """Set the Patient page widget ``name`` to ``value`` now and for its next drawing on that page.

    Call it only before that widget is drawn in the run, or from another page.
    """
    st.session_state[name] = value
    st.session_state[_KEEP + name] = value


def remember_widgets() -> None:
    """Keep the Patient page's current widget values under plain keys (see :func:`restore_widgets`)."""
    for key in list(st.session_state):
        name = str(key)
        if not name.startswith(_KEEP) and name.startswith(_PAGE_WIDGETS):
            st.session_state[_KEEP + name] = st.session_state[key]
