"""The drug traffic-light table: guideline phenotype and action beside the model's prediction."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.tables import plain
from genolens.present import DrugRow, model_words

LIGHT = {"red": "🔴", "amber": "🟠", "green": "🟢", "grey": "⚪"}
"""Okabe-Ito-like markers; the level is also written out (colour is never the only signal)."""


def frame(rows: tuple[DrugRow, ...]) -> pd.DataFrame:
    """The rows as shown: level, drug, guideline call, action with its source, strength and guideline, model
    prediction, agreement."""
    return pd.DataFrame([{
        "level": f"{LIGHT[r.level]} {r.level_text}",
        "drug": r.drug,
        "guideline phenotype": r.guideline,
        "model (simulated cohort)": model_words(r),
        "agreement": r.agreement,
        "action (paraphrase)": r.action,
        "source · strength": f"{r.source} · {r.strength or 'not graded'}",
        "guideline": r.guideline_version,
    } for r in rows])


def show(rows: tuple[DrugRow, ...]) -> None:
    """Draw the table (a static table: long guideline text wraps instead of being cut; st.table reads its
    cells as markdown, so they are escaped)."""
    st.table(frame(rows).map(lambda v: plain(v) if isinstance(v, str) else v).set_index("level"))
