"""A patient report from a :class:`~genolens.present.summary.ReportSummary`: HTML, PDF and JSON.

The HTML is self-contained (inline CSS and SVG, no URL anywhere) and is what the PDF is printed from
by WeasyPrint, which runs no JavaScript: the charts are static SVG drawn here. Sections in the order of
:data:`~genolens.present.summary.SECTIONS` (key findings first, then risk
cards, drug table, findings), details and limitations after; the research-use statement on every page.
The JSON is the provenance record plus every figure shown, with sorted keys, from which
:func:`summary_from_json` rebuilds the summary and hence the same report.
"""

from __future__ import annotations

import json
import math
import types
from collections.abc import Mapping, Sequence
from dataclasses import asdict, fields, is_dataclass
from html import escape
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from genolens.errors import ReportError
from genolens.present.summary import SECTIONS, DrugRow, Finding, LedgerLine, ReportSummary, RiskCard, output_title

Format = Literal["html", "pdf", "json"]
FORMATS: tuple[Format, ...] = get_args(Format)
_CSS = Path(__file__).with_name("templates") / "report.css"
_UP, _DOWN, _GREY = "#D55E00", "#0072B2", "#999999"  # Okabe-Ito vermillion / blue
_LEVEL_MARK = {"red": "■", "amber": "▲", "green": "●"}
_BAND_WORDS = {"below average": "Below average", "average": "Average", "above average": "Above average",
               "high": "High"}



# --- JSON ---------------------------------------------------------------------------------------------------

def render_json(summary: ReportSummary) -> str:
    """The provenance record and every figure of the report, keys sorted; identical for identical input."""
    return json.dumps(asdict(summary), sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def summary_from_json(text: str) -> ReportSummary:
    """Rebuild the summary a :func:`render_json` record was written from.

    Raises
    ------
    ReportError
        When the text is not such a record.
    """
    try:
        data = json.loads(text)
        if data.get("schema") != "genolens.report/1":
            raise ValueError(f"schema {data.get('schema')!r}, expected 'genolens.report/1'")
        out = _decode(ReportSummary, data)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ReportError(f"Not a GenoLens report record ({exc}); give the JSON written by `report --format json`.") \
            from None
    return out  # type: ignore[no-any-return]


def _decode(tp: Any, value: Any) -> Any:
    if is_dataclass(tp) and isinstance(tp, type):
        hints = get_type_hints(tp)
        return tp(**{f.name: _decode(hints[f.name], value[f.name]) for f in fields(tp)})
    origin, args = get_origin(tp), get_args(tp)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v) for v in value)
        return tuple(_decode(a, v) for a, v in zip(args, value, strict=True))
    if origin in (Union, types.UnionType):
        return None if value is None else _decode(next(a for a in args if a is not type(None)), value)
    if isinstance(origin, type) and issubclass(origin, Mapping):
        return {str(k): _decode(args[1], v) for k, v in value.items()}
    if tp is float:
        return float(value)
    return value


# --- SVG charts (static: WeasyPrint runs no JavaScript) ---------------------------------------------------------

def percentile_svg(percentile: float, *, width: int = 230) -> str:
    """A 0-100 bar with a marker at the patient's percentile of the reference population."""
    x0, x1 = 8, width - 8
    x = x0 + (x1 - x0) * min(max(percentile, 0.0), 100.0) / 100.0
    ticks = "".join(f'<line x1="{x0 + (x1 - x0) * t / 100:.1f}" y1="9" x2="{x0 + (x1 - x0) * t / 100:.1f}" y2="19" '
                    f'stroke="#fff" stroke-width="1"/><text x="{x0 + (x1 - x0) * t / 100:.1f}" y="30" font-size="7" '
                    f'text-anchor="middle" fill="#333">{t}</text>' for t in (0, 25, 50, 75, 100))
    return (f'<svg width="{width}" height="34" viewBox="0 0 {width} 34" role="img" '
            f'aria-label="percentile {percentile:.0f} of 100">'
            f'<rect x="{x0}" y="9" width="{x1 - x0}" height="10" fill="#ddd"/>'
            f'<rect x="{x0}" y="9" width="{x - x0:.1f}" height="10" fill="{_DOWN}" fill-opacity="0.55"/>{ticks}'
            f'<path d="M{x:.1f},19 l-4,-13 h8 z" fill="#000"/>'
            f'<text x="{min(max(x, 20), width - 20):.1f}" y="6" font-size="7" text-anchor="middle">'
            f'{percentile:.0f}th</text></svg>')


def waterfall_svg(rows: Sequence[LedgerLine], total: float, *, width: int = 380, label_w: int = 170) -> str:
    """Horizontal waterfall of the top ledger rows, then "all other inputs", on the log-odds scale.

    Each bar starts where the previous one ended, from the baseline (0) to the patient's total change
    ``total``; red bars raise the risk, blue ones lower it, and every bar carries its signed value.
    """
    shown = [(r.label, r.contribution) for r in rows if r.label != "Completeness residual"]
    shown.append(("All other inputs", total - sum(c for _, c in shown)))
    steps, at = [], 0.0
    for label, c in shown:
        steps.append((label, at, at + c, c))
        at += c
    lo = min(0.0, *(min(a, b) for _, a, b, _ in steps))
    hi = max(0.0, *(max(a, b) for _, a, b, _ in steps))
    span = (hi - lo) or 1.0
    plot0, plot1 = label_w + 4, width - 40

    def sx(v: float) -> float:
        return plot0 + (plot1 - plot0) * (v - lo) / span
    h = 11
    parts = [f'<line x1="{sx(0):.1f}" y1="0" x2="{sx(0):.1f}" y2="{h * len(steps) + 2}" stroke="#000" '
             'stroke-width="0.8"/>']
    for i, (label, a, b, c) in enumerate(steps):
        y = i * h + 2
        colour = _GREY if label == "All other inputs" else _UP if c > 0 else _DOWN
        x, w = sx(min(a, b)), max(abs(sx(b) - sx(a)), 1.0)
        text = label if len(label) <= 28 else label[:27] + "…"
        parts.append(f'<text x="{label_w}" y="{y + 7.5}" font-size="7" text-anchor="end">{escape(text)}</text>'
                     f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{h - 3}" fill="{colour}"/>'
                     f'<text x="{x + w + 2:.1f}" y="{y + 7.5}" font-size="7" fill="#222">{c:+.2f}</text>')
    height = h * len(steps) + 14
    parts.append(f'<text x="{plot0}" y="{height - 2}" font-size="6.5" fill="#333">log-odds vs baseline: '
                 'red raises, blue lowers</text>')
    return (f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="contributions to the risk">{"".join(parts)}</svg>')


# --- HTML -------------------------------------------------------------------------------------------------------

def _pct(p: float | None) -> str:
    if p is None or not math.isfinite(p):
        return "n/a"
    return f"{p:.1%}" if p < 0.1 else f"{p:.0%}"


def _card(c: RiskCard) -> str:
    lo, hi = c.interval
    band_lo, band_hi = c.sensitivity_band
    cov_cls = "badge warn" if c.coverage < c.coverage_threshold else "badge"
    rel = ("" if not c.reliability_grade else
           f'<span class="{"badge warn" if c.reliability_grade != "A" else "badge"}">Explanation reliability '
           f'{c.reliability_grade}</span>')
    chart = waterfall_svg(c.top_rows, c.ledger_total) if c.top_rows else ""
    assumed = "".join(f"<li>{escape(a[:1].upper() + a[1:])}</li>" for a in c.assumed)
    return (f'<table class="card"><tr><td class="card-text"><h3>{escape(c.title)}</h3>'
            f'<div><span class="prob">{_pct(c.probability)}</span> '
            f'<span class="small">probability of {escape(c.outcome)} · {_range(lo, hi)}</span> · '
            f'<span class="band">{_BAND_WORDS.get(c.band, c.band)}</span></div>'
            f'<p class="small">Time horizon: {escape(c.horizon)}. Comparison: {escape(c.comparison)}.</p>'
            f'<p>{escape(c.plain)}</p>{percentile_svg(c.percentile)}'
            f'<p class="small">With the missing genotypes varied: {_pct(band_lo)}–{_pct(band_hi)}.</p>'
            + (f'<ul class="small assumed">{assumed}</ul>' if assumed else "") +
            f'<div><span class="{cov_cls}">{escape(c.coverage_badge)}</span>{rel}'
            f'{_flag_badges(c.flags)}</div></td><td class="card-chart">{chart}</td></tr></table>')


def _range(lo: float, hi: float) -> str:
    return f"model range {_pct(lo)}–{_pct(hi)}" if _pct(lo) != _pct(hi) else "ensemble members agree"


def _clip(text: str, n: int = 68) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _flag_badges(flags: Sequence[str]) -> str:
    n = len(flags)
    return f'<span class="badge warn">{n} caution{"s" if n > 1 else ""} (Details)</span>' if n else ""


def _drug_table(rows: Sequence[DrugRow]) -> str:
    marks = {**_LEVEL_MARK, "grey": "◇"}  # grey: needs an outside result (never a standard call)
    style = {"grey": ' style="background:#e6e6e6;border-left:5px solid #666"'}
    body = []
    for d in rows:
        if d.output.startswith("guideline:"):
            model = "no model for this drug"
        elif d.model_probability is None:
            model = "not available"
        else:
            model = f"{_pct(d.model_probability)}: {d.model_relative_risk or 0:.1f}× average ({escape(d.model_band)})"
        outside = " (outside call)" if any(g.outside_call for g in d.genes) else ""
        basis = escape(" · ".join(x for x in (d.source, d.strength or "not graded", d.guideline_version) if x))
        body.append(f'<tr><td class="level {d.level}"{style.get(d.level, "")}>{marks[d.level]} '
                    f'{escape(d.level_text)}</td><td>{escape(d.drug)}</td><td>{escape(d.guideline)}{outside}</td>'
                    f'<td>{escape(d.action)}<br><span class="small">{basis}</span></td>'
                    f'<td>{model}</td><td>{escape(d.agreement)}</td></tr>')
    basis = escape(rows[0].action_basis) if rows else ""
    return ('<table class="drugs"><colgroup><col style="width:12%"><col style="width:12%"><col style="width:21%">'
            '<col style="width:27%"><col style="width:13%"><col style="width:15%"></colgroup>'
            '<thead><tr><th>Level</th><th>Drug</th><th>Guideline phenotype</th>'
            '<th>What it implies (source · strength · guideline)</th><th>Model</th><th>Model vs guideline</th></tr>'
            f'</thead><tbody>{"".join(body)}</tbody></table>'
            '<p class="small">■ red: avoid or use an alternative · ▲ amber: adjust the dose, or the genotype '
            'cannot be called exactly · ● green: standard prescribing · ◇ grey: needs an outside result (HLA '
            f'typing, CYP2D6 genotyping), given as an outside call. Actions: {basis}</p>')


def _findings(findings: Sequence[Finding]) -> str:
    carriers = [f for f in findings if f.status == "carrier"]
    lead = ("<p><b>High/moderate-penetrance variant found: "
            f"{escape(', '.join(f.variant for f in carriers))}.</b> Refer for genetic counselling and "
            "confirmatory testing.</p>" if carriers else
            "<p>No tested high/moderate-penetrance variant was found (see what was not tested below).</p>")
    rows = "".join(f'<tr class="{"carrier" if f.status == "carrier" else ""}"><td>{escape(f.gene)}</td>'
                   f'<td>{escape(f.variant or "—")}</td><td>{escape(f.status)}</td><td>{escape(f.genotype)}</td>'
                   f'<td>{escape(f.note)} {escape(f.evidence)}</td></tr>' for f in findings)
    return (f'{lead}<table><colgroup><col style="width:7%"><col style="width:21%"><col style="width:10%">'
            '<col style="width:9%"><col style="width:53%"></colgroup><thead><tr><th>Gene</th><th>Variant</th>'
            f'<th>Status</th><th>Genotype</th><th>Note</th></tr></thead><tbody>{rows}</tbody></table>')


def _risk_details(s: ReportSummary) -> str:
    out = []
    for c in s.risk_cards:
        rows = "".join(f"<tr><td>{escape(r.label)}</td><td>{r.contribution:+.3f}</td>"
                       f"<td>{escape(_clip(r.evidence))}</td><td>{escape(r.note)}</td></tr>" for r in c.top_rows[:5])
        out.append(f"<h3>{escape(c.title)}: why</h3><p class=small>Compared with: {escape(c.baseline_caption)} "
                   f"({_pct(c.baseline_probability)}). Missing-data band: {escape(c.sensitivity_note)}.</p>")
        if rows:
            out.append("<table class=ledger><colgroup><col style='width:25%'><col style='width:8%'>"
                       "<col style='width:40%'><col style='width:27%'></colgroup><thead><tr>"
                       "<th>Largest contributions</th><th>change in log-odds</th><th>Evidence</th><th>How obtained</th>"
                       "</tr></thead><tbody>{rows}</tbody></table>".replace("{rows}", rows))
        notes = [*c.flags, *c.reliability_reasons]
        if notes:
            out.append("<ul class=small>" + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>")
    return "".join(out)


def _key(s: ReportSummary) -> str:
    kinds = {"variant": "Inherited variant", "drug": "Prescription", "risk": "High risk", "none": "None"}
    items = "".join(f'<li class="key {k.kind}"><b>{escape(kinds[k.kind])}: {escape(k.title)}.</b> '
                    f'{escape(k.action)} <span class="small">{escape(k.detail)}</span></li>' for k in s.key_findings)
    return f"<ol class=key>{items}</ol>"


def _risks(s: ReportSummary) -> str:
    cards = "".join(_card(c) for c in s.risk_cards)
    if not cards and not s.not_computed:
        cards = "<p>No disease-risk model was loaded.</p>"
    skipped = "".join(f"<li><b>{escape('; '.join(n.outcomes))}</b> ({escape(n.bundle)}): no estimate — "
                      f"{escape(n.reason)}.</li>" for n in s.not_computed)
    return (cards + (f"<ul class=skipped>{skipped}</ul>" if skipped else "") +
            '<p class="small">Models trained on simulated cohorts. Each probability is of the outcome named on its '
            "card, compared with the simulated reference population, and depends on the accuracy of the genotypes "
            f"and the patient details entered.</p>{_risk_details(s)}")


def _patient_details(s: ReportSummary) -> str:
    rows = "".join(f"<tr><td>{escape(d.label)}</td><td>{escape(d.value)}</td><td>{escape(d.used_by)}</td></tr>"
                   for d in s.details)
    return (f"<p class=small>Settings: {escape(s.header.settings)}.</p>"
            "<table class=small><colgroup><col style='width:40%'><col style='width:25%'><col style='width:35%'>"
            f"</colgroup><thead><tr><th>Detail</th><th>As entered</th><th>Read by</th></tr></thead><tbody>{rows}"
            "</tbody></table>")


def _quality(s: ReportSummary) -> str:
    coverage = " · ".join(f"{escape(c.title.split(' (')[0])} {c.coverage:.0%} ({c.usable} of {c.sites} sites)"
                          for c in s.coverage)
    warnings = "".join(f"<li>{escape(w)}</li>" for w in s.qc_warnings)
    return (f"<p>Share of each panel's sites with a usable call (called, or inside a gVCF reference block): "
            f"{coverage}.</p>" + (f"<ul>{warnings}</ul>" if warnings else ""))


def _models(s: ReportSummary) -> str:
    if not s.model_cards:
        return "<p>No model was loaded: the report shows guideline calls and findings only.</p>"
    rows = "".join(
        f"<tr><td>{escape(m.name)} {escape(m.version)} ({escape(m.kind)})</td><td>{escape(m.intended_use)} "
        f"<i>Training data (simulated):</i> {escape(m.training)}</td><td>{_aurocs(m.auroc)}</td></tr>"
        for m in s.model_cards)
    return ("<table class='small models'><colgroup><col style='width:13%'><col style='width:63%'>"
            "<col style='width:24%'></colgroup><thead><tr><th>Model</th><th>Intended use and training data"
            f"</th><th>Held-out AUROC</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<p class=small>{escape(s.model_cards[0].research_use)}</p>")


def _aurocs(auroc: Mapping[str, float | None]) -> str:
    return " · ".join(f"{escape(output_title(o))} {'n/a' if a is None else f'{a:.3f}'}" for o, a in auroc.items())


def _provenance(s: ReportSummary) -> str:
    p = s.provenance
    models = "; ".join(f"{b.name} {b.version} (weights {b.weights_sha256[:16]}…, panel {b.panel} "
                       f"{b.panel_sha256[:12]}…)" for b in p.bundles) or "none"
    params = ", ".join(f"{k}={v}" for k, v in p.attribution_parameters.items()) or "none"
    details = ", ".join(f"{k}={v}" for k, v in p.details.items()) or "none entered"
    items = [("Input", f"{p.file}, sample {p.sample}; sites absent from the file: {p.absent_policy}; read by "
                       f"{p.read_mode}"), ("SHA-256", f"<code>{p.sha256}</code>"),
             ("Build", f"{p.build} ({p.build_source}): {'; '.join(p.build_evidence)}"), ("Patient details", details),
             ("Models", models), ("Attribution", f"{p.method}, baseline {p.baseline}; {params}"),
             ("Packages", ", ".join(f"{k} {v}" for k, v in p.packages.items()))]
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{v if k == 'SHA-256' else escape(v)}</td></tr>" for k, v in items)
    return f'<p class="small">Full hashes and every figure: the JSON record.</p><table class="small">{rows}</table>'


def _header(s: ReportSummary) -> str:
    h = s.header
    cells = [("Patient", h.patient_id or "not given"), ("Sample", h.sample), ("Sex", h.sex), ("Age", h.age),
             ("Report date", h.report_date), ("Requested by", h.requester or "not given"),
             ("Reason", h.reason or "not given"), ("File", f"{h.file} · SHA-256 {h.sha256[:16]}…")]
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in cells)
    return f'<table class="header">{rows}</table>'


_SECTION_BODY = {
    "key": _key, "risks": _risks, "drugs": lambda s: _drug_table(s.drugs), "findings": lambda s: _findings(s.findings),
    "details": _patient_details, "quality": _quality, "models": _models,
    "limitations": lambda s: "<ul>" + "".join(f"<li>{escape(x)}</li>" for x in s.limitations) + "</ul>",
    "provenance": _provenance,
}


def render_html(summary: ReportSummary) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG; works offline, no URL).

    Sections follow :data:`~genolens.present.summary.SECTIONS`: key findings first, then risks, the drug
    table, the inherited variants tested, and the details; the dashboard shows the same order.
    """
    h = summary.header
    sections = "".join(f'<section id="{sid}"><h2>{escape(title)}</h2>{_SECTION_BODY[sid](summary)}</section>'
                       for sid, title in SECTIONS)
    return "".join([
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>GenoLens report: ',
        escape(h.patient_id or h.sample), "</title><style>", _CSS.read_text(encoding="utf-8"), "</style></head><body>",
        '<div class="banner screen-only">GenoLens · research use only · models trained on simulated cohorts</div>',
        "<h1>GenoLens patient report</h1>", _header(summary),
        f'<p class="ruo">{escape(summary.research_use)}</p>', sections,
        f'<p class="ruo screen-only">{escape(summary.research_use)}</p>',
        "</body></html>\n"])


# --- PDF --------------------------------------------------------------------------------------------------------

def render_pdf(summary: ReportSummary) -> bytes:
    """The report as an A4 PDF (WeasyPrint; static SVG charts; nothing is fetched).

    Raises
    ------
    ReportError
        When WeasyPrint or its system libraries (Pango) are missing.
    """
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as exc:
        raise ReportError(f"PDF export needs WeasyPrint 70 and Pango ({exc}); install with "
                          "`pip install weasyprint==70.0` and `apt-get install libpango-1.0-0 libpangoft2-1.0-0`, "
                          "or export HTML.") from None
    fetcher = URLFetcher(allowed_protocols=("data",))  # the page has no URL; refuse any that slips in
    pdf = HTML(string=render_html(summary), url_fetcher=fetcher).write_pdf()
    if not isinstance(pdf, bytes):
        raise ReportError("WeasyPrint returned no PDF bytes.")
    return pdf


def write_report(summary: ReportSummary, path: str | Path, fmt: Format) -> Path:
    """Write the report in ``fmt`` to ``path``; returns the path."""
    out = Path(path)
    if fmt == "pdf":
        out.write_bytes(render_pdf(summary))
    elif fmt == "html":
        out.write_text(render_html(summary), encoding="utf-8")
    elif fmt == "json":
        out.write_text(render_json(summary), encoding="utf-8")
    else:
        raise ReportError(f"Report format '{fmt}' unknown. Choose from: {', '.join(FORMATS)}.")
    return out
