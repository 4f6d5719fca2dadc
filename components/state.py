"""The typed session object of the dashboard and its getters.

One dataclass lives under one key of ``st.session_state``; pages and components read and write it
through ``session()`` instead of loose string keys. Widget values stay under their widget keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from genolens.types import PatientGenome

_KEY = "genolens"


@dataclass
class Session:
    """What one browser session carries between reruns and pages."""

    patient: PatientGenome | None = None
    """The patient read last without error; ``None`` before any, or after its source was removed."""
    digests: dict[str, str] = field(default_factory=dict)
    """SHA-256 hex of each source already hashed, by source identity (upload id, or path+size+mtime)."""


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


def set_patient(patient: PatientGenome | None) -> None:
    """Make ``patient`` the patient on screen for every page."""
    session().patient = patient
