"""A disease-risk card of the report: absolute risks by age where sourced, the model probability named, badges."""

from __future__ import annotations

import streamlit as st

from genolens.datamodel import Prediction
from genolens.modeling.absolute_risk import AbsoluteRisk
from genolens.modeling.bundle import Bundle
from genolens.modeling.clinical import ModelInputs
from genolens.present import (
    RiskCard,
    absolute_basis,
    absolute_words,
    band_basis,
    comparison_points,
    model_probability_words,
    percentile_words,
    risk_percent,
)
from genolens.present.words import absolute_title

GRADE_WORDS = {"A": "explanation reliable", "B": "explanation usable with care", "C": "do not rely on the explanation"}
BAND_ICON = {"below average": "🔵", "average": "⚪", "above average": "🟠", "high": "🔴"}
"""Colour is never the only signal: the band is written beside it."""


def absolute_lines(risks: tuple[AbsoluteRisk, ...], note: str) -> None:
    """The absolute risks (each horizon in one line, outcome, ages and comparison named) or why there are none."""
    for r in risks:
        st.markdown(f"**{absolute_words(r)}**")
    if risks:
        st.caption(absolute_basis(risks))
    if note:
        st.info(note, icon=":material/info:")


def absolute_block(bundle: Bundle, output: str, prediction: Prediction, inputs: ModelInputs) -> bool:
    """The Risk page's absolute risks (headline metric and both horizons), through the report's own route;
    True when at least one risk was shown. Nothing is drawn for an output without sourced incidence."""
    from genolens.workflows import absolute_risks

    found = absolute_risks(bundle, output, prediction, inputs)
    if found is None:
        return False
    if found.risks:
        first = found.risks[0]
        st.metric(absolute_title(first), risk_percent(first.risk),
                  help=f"Death from other causes competing; {first.comparison}.")
    absolute_lines(found.risks, found.note)
    return bool(found.risks)


def horizon_words(horizon: str) -> str:
    """A card's horizon in a few words (``"no time horizon"``, ``"within 10 years of the current age"``)."""
    return "no time horizon" if horizon.startswith("none") else horizon.split(",")[0]


def probability_label(horizon: str) -> str:
    """A short metric label for the model probability, with its horizon (the outcome is named beside it)."""
    return f"Model probability ({horizon_words(horizon)})"


def card(c: RiskCard, *, key: str) -> bool:
    """Draw one card in a bordered container; return True when its details button was pressed."""
    lo, hi = c.interval
    with st.container(border=True):
        st.markdown(f"**{BAND_ICON.get(c.band, '')} {c.title}** · {c.band} ({band_basis(c)})")
        if c.absolute:  # short labels: a card is a third of the page wide; the lines below say it in full
            first = c.absolute[0]
            st.metric(f"Risk of diagnosis, age {first.age_from} to {first.age_to}", risk_percent(first.risk),
                      help=f"{absolute_title(first)}, death from other causes competing; compared with "
                           f"{first.comparison}.")
        else:
            st.metric(probability_label(c.horizon), f"{c.probability:.1%}",
                      help=f"Calibrated probability of {c.outcome} in the simulated population, from the model "
                           f"ensemble. Time horizon: {c.horizon}.")
        absolute_lines(c.absolute, c.absolute_note)
        st.caption(f"{model_probability_words(c)}. Models range {lo:.1%}–{hi:.1%} · missing-data range "
                   f"{c.sensitivity_band[0]:.1%}–{c.sensitivity_band[1]:.1%} · {percentile_words(c.percentile)} "
                   "of the simulated population.")
        st.markdown(c.plain)
        st.caption(comparison_points(c))
        for line in c.assumed:
            st.caption(f":material/info: {line[:1].upper()}{line[1:]}.")
        low = c.coverage < c.coverage_threshold
        badges = [f":{'orange' if low else 'blue'}-badge[{c.coverage_badge}]"]
        if c.reliability_grade:
            colour = {"A": "blue", "B": "orange", "C": "red"}[c.reliability_grade]
            badges.append(f":{colour}-badge[{c.reliability_grade}: {GRADE_WORDS[c.reliability_grade]}]")
        st.markdown(" ".join(badges), help="\n\n".join(c.reliability_reasons) or None)
        return st.button("Details →", key=key, help="Ledger, gene roll-up, genome track and what-if editor.")
