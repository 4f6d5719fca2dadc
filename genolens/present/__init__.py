"""Presentation layer: what a report shows (``summary``, content classes) and how it is rendered (``report``:
HTML, PDF, JSON). The Plotly figures live in ``figures`` and are imported by name (they load Plotly).
"""

from genolens.present.report import (
    render_html,
    render_json,
    render_pdf,
    summary_from_json,
    write_report,
)
from genolens.present.summary import (
    LIMITATIONS,
    SCHEMA,
    SECTIONS,
    BundleRef,
    DrugRow,
    Finding,
    GeneLine,
    LedgerLine,
    ModelCardSummary,
    Provenance,
    ReportSummary,
    RiskCard,
    output_title,
    plain_risk,
)
from genolens.present.words import model_words, ordinal, percent, percentile_words, warfarin_words

__all__ = [
    "LIMITATIONS",
    "SCHEMA",
    "SECTIONS",
    "BundleRef",
    "DrugRow",
    "Finding",
    "GeneLine",
    "LedgerLine",
    "ModelCardSummary",
    "Provenance",
    "ReportSummary",
    "RiskCard",
    "model_words",
    "ordinal",
    "output_title",
    "percent",
    "percentile_words",
    "plain_risk",
    "render_html",
    "render_json",
    "render_pdf",
    "summary_from_json",
    "warfarin_words",
    "write_report",
]
