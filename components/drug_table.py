"""The drug traffic-light table: guideline phenotype and action beside the model's prediction."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from genolens.present import DrugRow

LIGHT = {"red": "🔴", "amber": "🟠", "green": "🔵"}
"""Okabe-Ito-like markers; the level is also written out (colour is never the only signal)."""


def frame(rows: tuple[DrugRow, ...]) -> pd.DataFrame:
    """The rows as shown: level, drug, guideline call, action, model prediction, agreement."""
    return pd.DataFrame([{
        "level": f"{LIGHT[r.level]} {r.level_text}",
        "drug": r.drug,
        "guideline phenotype": r.guideline,
        "model prediction": "no model" if r.model_probability is None else
        f"{r.model_probability:.1%} ({r.model_band})",
        "agreement": r.agreement,
        "action (CPIC-style paraphrase)": r.action,
    } for r in rows])


def show(rows: tuple[DrugRow, ...]) -> None:
    """Draw the table (a static table: long guideline text wraps instead of being cut)."""
    st.table(frame(rows).set_index("level"))
