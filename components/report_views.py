"""The report page's sections, in :data:`SECTIONS` order (as the HTML, PDF and JSON): key findings, risk
cards that open the risk page, drug table, findings, details and settings, quality, models, limitations."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pandas as pd
import streamlit as st

from components import audit, drug_table, inert, risk_card, work_queue
from components.tables import plain
from genolens.present import SECTIONS, Finding, ReportSummary, RiskCard, report, warfarin_words

__all__ = ["SECTIONS", "SECTION_VIEWS"]

RISK_CHOICE = "risk_choice"
"""Session key: (bundle, output) the risk page opens with."""
DRUG_CHOICE = "drug_choice"
"""Session key: the drug output the treatment page opens with."""
FINDINGS_OPEN = "report_findings_open"
"""Widget key of the report's expander of every panel variant (built only when open)."""


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
    """The warfarin dose line (real patients), the traffic-light table, and a selector that opens one drug on the
    treatment page."""
    if summary.warfarin is not None:
        st.info(plain(warfarin_words(summary.warfarin)), icon=":material/medication:")
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
            st.markdown(f":red-badge[carrier] **{plain(f.variant)}** · genotype {inert.code(f.genotype)}")
            st.markdown(plain(f"{f.evidence}. {f.note}"))
    if not carriers:
        st.success("No high- or moderate-penetrance variant of the panel is carried (of those tested).",
                   icon=":material/check_circle:")
    untested = sum(f.status == "not tested" for f in items)
    label = f"All {len(items)} panel variants" + (f" ({untested} not tested)" if untested else "")
    # a lazy expander: its table is built only once opened (a click reruns the page; the report is cached)
    panel = st.expander(label, key=FINDINGS_OPEN, on_change="rerun")
    if panel.open:
        with panel:
            st.dataframe(pd.DataFrame([f.__dict__ for f in items]), hide_index=True, width="stretch")


def qc(summary: ReportSummary) -> None:
    """QC warnings and coverage per panel, with its denominator."""
    st.caption("Share of each panel's sites with a usable call (called, or inside a gVCF reference block).")
    st.markdown(" · ".join(f"**{c.title}** {c.coverage:.0%} ({c.usable} of {c.sites} sites)"
                           for c in summary.coverage))
    for w in summary.qc_warnings:
        st.warning(inert.message(w), icon=":material/warning:")


def header(summary: ReportSummary) -> None:
    """Who the report is about, when it was made, by whose request, from which file (every value as text)."""
    h = summary.header
    cells = [("Patient", h.patient_id or "not given"), ("Sample", h.sample), ("Sex", h.sex), ("Age", h.age),
             ("Report date", h.report_date), ("Requested by", h.requester or "not given")]
    for col, (label, value) in zip(st.columns(len(cells)), cells, strict=True):
        col.caption(label)
        col.markdown(f"**{inert.name(value)}**")
    st.caption(f"Reason: {inert.message(h.reason or 'not given')} · file {inert.name(h.file)} "
               f"(SHA-256 {h.sha256[:16]}…) · {h.settings}.")


def key_findings(summary: ReportSummary) -> None:
    """The first section: what to act on, most important first."""
    kinds = {"variant": ":red-badge[Inherited variant]", "drug": ":orange-badge[Prescription]",
             "risk": ":violet-badge[High risk]", "none": ":gray-badge[None]"}
    for k in summary.key_findings:
        with st.container(border=True):
            st.markdown(f"{kinds[k.kind]} **{plain(k.title)}**")
            st.markdown(plain(k.action))
            st.caption(plain(k.detail))


def risks(summary: ReportSummary) -> None:
    """The risk cards, and the models that made no estimate (with why)."""
    st.caption("Each probability is of the outcome its card names, from models trained on simulated cohorts, "
               "compared with the simulated reference population. The interval is the spread of the model "
               "ensemble; the missing-data range is where the risk could move if the missing genotypes were known.")
    for n in summary.not_computed:
        st.info(f"**No estimate of {'; '.join(n.outcomes)}** ({n.bundle}): {inert.message(n.reason)}.",
                icon=":material/person_edit:")
    if summary.risk_cards or not summary.not_computed:
        risk_cards(summary.risk_cards)


def details(summary: ReportSummary) -> None:
    """The patient's details as entered, and which models read each."""
    st.caption(f"Settings: {summary.header.settings}.")
    st.table(pd.DataFrame([{"detail": plain(d.label), "as entered": plain(d.value), "read by": plain(d.used_by)}
                           for d in summary.details]).set_index("detail"))


def models(summary: ReportSummary) -> None:
    """What each model is for and was trained on."""
    for m in summary.model_cards:
        st.markdown(f"**{m.name} {m.version}** ({m.kind}): {m.intended_use} *Training data (simulated):* "
                    f"{m.training}")
    if not summary.model_cards:
        st.info("No model was loaded: the report shows guideline calls and findings only.")


def limitations(summary: ReportSummary) -> None:
    st.markdown("\n".join(f"- {line}" for line in summary.limitations))


def provenance(summary: ReportSummary) -> None:
    p = summary.provenance
    with st.expander("Provenance (full hashes and every figure: the JSON export)"):
        st.markdown("\n".join([
            f"- Input: {inert.name(p.file)}, sample {inert.name(p.sample)}, SHA-256 `{p.sha256}`",
            f"- Build: {p.build} ({p.build_source})",
            "- Models: " + ("; ".join(f"{b.name} {b.version} (weights {b.weights_sha256[:16]}…)" for b in p.bundles)
                             or "none"),
            f"- Attribution: {p.method}, baseline {p.baseline}",
            f"- Pharmacogenomics: positions missing from the file: {p.pgx_missing} policy",
            "- Packages: " + ", ".join(f"{k} {v}" for k, v in p.packages.items()),
        ]))


SECTION_VIEWS: dict[str, Callable[[ReportSummary], None]] = {
    "key": key_findings, "risks": risks, "drugs": lambda s: drugs(s), "findings": lambda s: findings(s.findings),
    "details": details, "quality": qc, "models": models, "limitations": limitations, "provenance": provenance,
}
"""Section id (of :data:`SECTIONS`) -> the function that draws it."""


def downloads(summary: ReportSummary, stem: str) -> None:
    """HTML (self-contained, offline), PDF and JSON (provenance) downloads, built only when clicked."""
    kinds: tuple[tuple[str, str, Callable[[ReportSummary], str | bytes]], ...] = (
        ("html", "text/html", report.render_html), ("pdf", "application/pdf", report.render_pdf),
        ("json", "application/json", report.render_json))
    kinds = audit.exports(kinds, summary)  # clinicians only; each download writes an "export" audit entry
    for col, (kind, mime, render) in zip(st.columns(3), kinds, strict=True):
        rendered = functools.partial(work_queue.shared().run, None, functools.partial(render, summary))
        col.download_button(f"Download {kind.upper()}", data=rendered,  # rendered on click, in a queue slot
                            file_name=f"{stem}.{kind}", mime=mime, key=f"download_{kind}",
                            on_click="ignore", width="stretch")
