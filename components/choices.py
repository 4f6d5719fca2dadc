"""Selectors shared by the pages: model output, baseline, ancestry (risk, explorer); the missing-position policy of
the pharmacogenomic calls (report, treatment)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from components import state
from components.frame import output_label
from genolens.explain import BaselineChoice
from genolens.genome import MISSING_POLICIES, MISSING_WORDS, MissingPolicy
from genolens.modeling import Bundle

BASELINE_WORDS: dict[BaselineChoice, str] = {
    "population": "Average person of the reference population",
    "reference": "All-reference genotype (the reference-build allele at every variant)",
    "ancestry": "Average person of one ancestry group",
    "distribution": "A reference cohort (distribution; for the Shap methods)",
}
PGX_MISSING = "pgx_missing"
"""Widget key of the missing-position policy switch (the same on every page that draws it)."""
PGX_MISSING_LABELS: dict[str, str] = {"pharmcat": "PharmCAT's policy", "strict": "Strict"}


def output(bundles: tuple[Bundle, ...], *, key: str, choice: tuple[str, str] | None = None,
           column: Any = None) -> tuple[Bundle, str]:
    """Choose (bundle, output) among every output of ``bundles``; ``choice`` preselects one."""
    options = [(b.name, o) for b in bundles for o in b.outputs]
    if choice in options and st.session_state.get(key) != choice:
        st.session_state[key] = choice
    where = column or st
    name, out = where.selectbox("Model output", options, key=key, format_func=option_label)
    return next(b for b in bundles if b.name == name), out


def option_label(option: tuple[str, str]) -> str:
    """``("treatment_response", "y_clopidogrel_failure")`` -> ``"Clopidogrel failure · treatment response"``."""
    bundle, out = option
    if out.removeprefix("y_") == bundle:
        return output_label(out)
    return f"{output_label(out)} · {bundle.replace('_', ' ')}"


def baseline(bundle: Bundle, *, key: str, column: Any = None,
             choices: tuple[BaselineChoice, ...] = ("population", "reference", "ancestry", "distribution"),
             ) -> tuple[BaselineChoice, str | None]:
    """Choose the baseline (and the ancestry group when that baseline is chosen)."""
    where = column or st
    ancestries = bundle.reference.ancestries
    offered = tuple(c for c in choices if c != "ancestry" or ancestries)
    chosen: BaselineChoice = where.selectbox("Compared with", offered, format_func=BASELINE_WORDS.__getitem__,
                                             key=key, help="The explanation says how this patient differs from it.")
    group = where.selectbox("Ancestry group", ancestries, key=f"{key}_ancestry") if chosen == "ancestry" else None
    return chosen, group


def pgx_missing(*, column: Any = None) -> MissingPolicy:
    """Choose how pharmacogenomic positions missing from the file are handled; kept in the session, so the Report
    and Treatment pages and the exports all follow the last choice."""
    now = state.session()
    # The session object holds the choice: a widget's own state does not follow it to another page.
    st.session_state[PGX_MISSING] = now.pgx_missing
    where = column or st
    where.radio("Pharmacogenomic positions missing from the file", MISSING_POLICIES, key=PGX_MISSING,
                horizontal=True, format_func=PGX_MISSING_LABELS.__getitem__, on_change=_keep_pgx_missing,
                help=" ".join(f"**{PGX_MISSING_LABELS[p]}**: {MISSING_WORDS[p]}." for p in MISSING_POLICIES)
                + " The Report, the Treatment page and the exports follow this choice.")
    return now.pgx_missing


def _keep_pgx_missing() -> None:
    state.session().pgx_missing = st.session_state[PGX_MISSING]
