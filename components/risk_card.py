"""A disease-risk card of the report: probability with interval, percentile and band in words, badges."""

from __future__ import annotations

import streamlit as st

from genolens.present import RiskCard, percentile_words

GRADE_WORDS = {"A": "explanation reliable", "B": "explanation usable with care", "C": "do not rely on the explanation"}
BAND_ICON = {"below average": "🔵", "average": "⚪", "above average": "🟠", "high": "🔴"}
"""Colour is never the only signal: the band is written beside it."""


def card(c: RiskCard, *, key: str) -> bool:
    """Draw one card in a bordered container; return True when its details button was pressed."""
    lo, hi = c.interval
    with st.container(border=True):
        st.markdown(f"**{BAND_ICON.get(c.band, '')} {c.title}** · {c.band}")
        st.metric("Estimated risk", f"{c.probability:.1%}",
                  help=f"Calibrated probability of {c.outcome} from the model ensemble. Time horizon: {c.horizon}.")
        st.caption(f"Probability of {c.outcome}; {c.comparison}.")
        st.caption(f"Models range {lo:.1%}–{hi:.1%} · missing-data range {c.sensitivity_band[0]:.1%}–"
                   f"{c.sensitivity_band[1]:.1%} · {percentile_words(c.percentile)}")
        st.markdown(c.plain)
        for line in c.assumed:
            st.caption(f":material/info: {line[:1].upper()}{line[1:]}.")
        low = c.coverage < c.coverage_threshold
        badges = [f":{'orange' if low else 'blue'}-badge[{c.coverage_badge}]"]
        if c.reliability_grade:
            colour = {"A": "blue", "B": "orange", "C": "red"}[c.reliability_grade]
            badges.append(f":{colour}-badge[{c.reliability_grade}: {GRADE_WORDS[c.reliability_grade]}]")
        st.markdown(" ".join(badges), help="\n\n".join(c.reliability_reasons) or None)
        return st.button("Details →", key=key, help="Ledger, gene roll-up, genome track and what-if editor.")
