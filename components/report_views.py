"""The report page's sections: risk cards that open the risk page, drug table, findings, QC, exports."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pandas as pd
import streamlit as st

from components import drug_table, risk_card
from genolens.present import Finding, ReportSummary, RiskCard, report

RISK_CHOICE = "risk_choice"
"""Session key: (bundle, output) the risk page opens with."""
DRUG_CHOICE = "drug_choice"
"""Session key: the drug output the treatment page opens with."""


def risk_cards(cards: tuple[RiskCard, ...]) -> None:
    """One card per disease output, three per row; a card's button opens the risk page on it."""
    if not cards:
        st.info("No disease-risk model is installed: run `make models`.", icon=":material/model_training:")
        return
    for start in range(0, len(cards), 3):
        for col, c in zip(st.columns(3), cards[start:start + 3], strict=False):
            with col:
                if risk_card.card(c, key=f"open_risk_{c.bundle}_{c.output}"):
                    st.session_state[RISK_CHOICE] = (c.bundle, c.output)
                    st.switch_page("pages/risk.py")


def drugs(summary: ReportSummary) -> None:
    """The traffic-light table, and a selector that opens one drug on the treatment page."""
    drug_table.show(summary.drugs)
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    names = {r.output: r.drug for r in summary.drugs}
    choice = left.selectbox("Open one drug in depth", list(names), format_func=names.__getitem__,
                            key="report_drug")
    if right.button("Treatment details →", key="open_treatment"):
        st.session_state[DRUG_CHOICE] = choice
        st.switch_page("pages/treatment.py")


def findings(items: tuple[Finding, ...]) -> None:
    """Monogenic findings: carriers first and prominent, then what was not carried or not tested."""
    carriers = [f for f in items if f.status == "carrier"]
    for f in carriers:
        with st.container(border=True):
            st.markdown(f":red-badge[carrier] **{f.variant}** · genotype `{f.genotype}`")
            st.markdown(f"{f.evidence}. {f.note}")
    if not carriers:
        st.success("No high- or moderate-penetrance variant of the panel is carried (of those tested).",
                   icon=":material/check_circle:")
    untested = sum(f.status == "not tested" for f in items)
    label = f"All {len(items)} panel variants" + (f" ({untested} not tested)" if untested else "")
    with st.expander(label):
        st.dataframe(pd.DataFrame([f.__dict__ for f in items]), hide_index=True, width="stretch")


def qc(summary: ReportSummary) -> None:
    """QC warnings and coverage per panel."""
    st.markdown(" · ".join(f"**{title}** {cov:.0%}" for title, cov in summary.coverage.items()))
    for w in summary.qc_warnings:
        st.warning(w, icon=":material/warning:")


def downloads(summary: ReportSummary, stem: str) -> None:
    """HTML (self-contained, offline), PDF and JSON (provenance) downloads, built only when clicked."""
    kinds: tuple[tuple[str, str, Callable[[ReportSummary], str | bytes]], ...] = (
        ("html", "text/html", report.render_html), ("pdf", "application/pdf", report.render_pdf),
        ("json", "application/json", report.render_json))
    for col, (kind, mime, render) in zip(st.columns(3), kinds, strict=True):
        col.download_button(f"Download {kind.upper()}", data=functools.partial(render, summary),
                            file_name=f"{stem}.{kind}", mime=mime, key=f"download_{kind}",
                            on_click="ignore", width="stretch")
