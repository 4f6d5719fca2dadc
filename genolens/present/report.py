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
from dataclasses import MISSING, asdict, fields, is_dataclass
from html import escape
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from genolens.errors import ReportError
from genolens.present.summary import (
    SECTIONS,
    DrugRow,
    Finding,
    LedgerLine,
    ReportSummary,
    RiskCard,
    band_basis,
    output_title,
)
from genolens.present.words import (
    absolute_basis,
    absolute_words,
    comparison_points,
    comparison_words,
    model_words,
    percent,
    percentile_words,
    warfarin_words,
)

Format = Literal["html", "pdf", "json"]
FORMATS: tuple[Format, ...] = get_args(Format)
_CSS = Path(__file__).with_name("templates") / "report.css"
_UP, _DOWN, _GREY = "#D55E00", "#0072B2", "#999999"  # Okabe-Ito vermillion (reads, and is named, orange) / blue
SVG_COLOUR_NAMES = {_UP: "orange", _DOWN: "blue", _GREY: "grey"}
"""The word the SVG charts' keys use for each of their colours."""
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
        # a field added later with a default (a card's absolute risks) may be absent from an older record
        return tp(**{f.name: _decode(hints[f.name], value[f.name]) for f in fields(tp)
                     if f.name in value or f.default is MISSING})
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
    words = percentile_words(percentile)
    ticks = "".join(f'<line x1="{x0 + (x1 - x0) * t / 100:.1f}" y1="9" x2="{x0 + (x1 - x0) * t / 100:.1f}" y2="19" '
                    f'stroke="#fff" stroke-width="1"/><text x="{x0 + (x1 - x0) * t / 100:.1f}" y="30" font-size="7" '
                    f'text-anchor="middle" fill="#333">{t}</text>' for t in (0, 25, 50, 75, 100))
    return (f'<svg width="{width}" height="34" viewBox="0 0 {width} 34" role="img" '
            f'aria-label="{words} of the reference population">'
            f'<rect x="{x0}" y="9" width="{x1 - x0}" height="10" fill="#ddd"/>'
            f'<rect x="{x0}" y="9" width="{x - x0:.1f}" height="10" fill="{_DOWN}" fill-opacity="0.55"/>{ticks}'
            f'<path d="M{x:.1f},19 l-4,-13 h8 z" fill="#000"/>'
            f'<text x="{min(max(x, 30), width - 30):.1f}" y="6" font-size="7" text-anchor="middle">'
            f'{words}</text></svg>')


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def _nice_ticks(top: float) -> list[float]:
    """Round probabilities from 0 to ``top`` (3 to 6 of them) for a percent axis."""
    for step in (0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25):
        if top / step <= 5:
            return [k * step for k in range(int(top / step + 1e-9) + 1)]
    return [0.0, 0.25, 0.5, 0.75, 1.0]


def _pct_tick(p: float) -> str:
    text = f"{100 * p:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def waterfall_svg(rows: Sequence[LedgerLine], total: float, *, baseline_probability: float | None = None,
                  outcome: str = "", comparison: str = "", width: int = 380, label_w: int = 135) -> str:
    """Horizontal waterfall of the top ledger rows, then "all other inputs", with bar lengths that are honest.

    With ``baseline_probability`` the chart is on the probability scale with its axis from 0%: a grey
    baseline bar from 0, each row's probability change (cumulative: the row added, in the order shown,
    to those above it), then a grey bar from 0 to the patient's probability ``sigmoid(logit(baseline) +
    total)``; each step is labelled in percentage points with its log-odds in brackets. Without it
    (older callers) the chart shows the change from the baseline in log-odds from a zero line, on an
    axis that covers at least −1 to +1, so a small change is a short bar. Orange bars raise the risk,
    blue ones lower it, grey ones are the baseline, the rest of the inputs and the patient.

    Parameters
    ----------
    rows
        Largest ledger rows first (log-odds contributions); a "Not attributed" row is folded into
        "All other inputs".
    total
        Prediction minus baseline on the logit scale (what every row adds up to).
    baseline_probability
        The baseline's probability; ``None`` for a log-odds change-from-baseline chart.
    outcome, comparison
        The output in words and what it is compared with, for the chart's title line (none when both empty).
    width, label_w
        Width of the chart and of its row-label column, in px.
    """
    shown = [(r.label, r.contribution) for r in rows if not r.label.startswith("Not attributed")]
    shown.append(("All other inputs", total - sum(c for _, c in shown)))
    p0 = baseline_probability if baseline_probability is not None and 0.0 < baseline_probability < 1.0 else None
    on_p = p0 is not None
    z0 = math.log(p0 / (1.0 - p0)) if p0 is not None else 0.0

    def value(z: float) -> float:
        return _sigmoid(z) if on_p else z - z0
    steps: list[tuple[str, float, float, float, str]] = []  # label, from, to, log-odds, colour
    at = z0
    if on_p:
        steps.append(("Baseline", 0.0, value(z0), 0.0, _GREY))
    for label, c in shown:
        colour = _GREY if label == "All other inputs" else _UP if c > 0 else _DOWN
        steps.append((label, value(at), value(at + c), c, colour))
        at += c
    if on_p:
        steps.append(("This patient", 0.0, value(at), 0.0, _GREY))
        lo, hi = 0.0, min(1.0, 1.05 * max(b for _, _, b, _, _ in steps))
    else:
        lo = min(-1.0, *(min(a, b) for _, a, b, _, _ in steps))
        hi = max(1.0, *(max(a, b) for _, a, b, _, _ in steps))
    plot0, plot1 = label_w + 4, width - 72
    head = 10 if (outcome or comparison) else 0

    def sx(v: float) -> float:
        return plot0 + (plot1 - plot0) * (v - lo) / (hi - lo)
    h = 11
    parts = []
    if head:
        title = f"{outcome}: contributions against {comparison}" if comparison else f"{outcome}: contributions"
        title = title if len(title) <= 95 else title[:94] + "…"
        parts.append(f'<text x="2" y="7" font-size="7" font-weight="bold">{escape(title)}</text>')
    bottom = head + h * len(steps) + 2
    ticks = _nice_ticks(hi) if on_p else [t for t in range(math.ceil(lo), math.floor(hi) + 1)]
    for t in ticks:
        parts.append(f'<line x1="{sx(t):.1f}" y1="{head}" x2="{sx(t):.1f}" y2="{bottom}" stroke="#ddd" '
                     f'stroke-width="0.5"/><text x="{sx(t):.1f}" y="{bottom + 7}" font-size="6" fill="#333" '
                     f'text-anchor="middle">{_pct_tick(t) if on_p else f"{t:+d}" if t else "0"}</text>')
    parts.append(f'<line x1="{sx(0):.1f}" y1="{head}" x2="{sx(0):.1f}" y2="{bottom}" stroke="#000" '
                 'stroke-width="0.8"/>')
    for i, (label, a, b, c, colour) in enumerate(steps):
        y = head + i * h + 2
        x, w = sx(min(a, b)), max(abs(sx(b) - sx(a)), 0.6)
        text = label if len(label) <= 30 else label[:29] + "…"
        if on_p and label in ("Baseline", "This patient"):
            tag = f"{b:.1%}"
        elif on_p:
            pts = 100.0 * (b - a)
            tag = f"{pts:+.2f} pt ({c:+.2f})" if abs(pts) < 0.1 else f"{pts:+.1f} pt ({c:+.2f})"
        else:
            tag = f"{c:+.2f}"
        parts.append(f'<text x="{label_w}" y="{y + 7.5}" font-size="7" text-anchor="end">{escape(text)}</text>'
                     f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{h - 3}" fill="{colour}"/>'
                     f'<text x="{width - 2}" y="{y + 7.5}" font-size="7" fill="#222" text-anchor="end">{tag}</text>')
    height = bottom + 26
    key = ("Probability, axis from 0%; each step in percentage points (log-odds in brackets)." if on_p else
           "Change from the baseline in log-odds (the axis covers at least −1 to +1).")
    up, down, grey = (SVG_COLOUR_NAMES[c] for c in (_UP, _DOWN, _GREY))
    greys = "baseline, all other inputs, this patient" if on_p else "all other inputs"
    parts.append(f'<text x="2" y="{height - 10}" font-size="6.5" fill="#333">{key}</text>'
                 f'<text x="2" y="{height - 2}" font-size="6.5" fill="#333">Colours: {up} raises the risk, {down} '
                 f'lowers it, {grey}: {greys}.</text>')
    return (f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="contributions to the risk">{"".join(parts)}</svg>')


# --- HTML -------------------------------------------------------------------------------------------------------

def _pct(p: float | None) -> str:
    return percent(p)


def _card(c: RiskCard) -> str:
    lo, hi = c.interval
    band_lo, band_hi = c.sensitivity_band
    cov_cls = "badge warn" if c.coverage < c.coverage_threshold else "badge"
    rel = ("" if not c.reliability_grade else
           f'<span class="{"badge warn" if c.reliability_grade != "A" else "badge"}">Explanation reliability '
           f'{c.reliability_grade}</span>')
    chart = waterfall_svg(c.top_rows, c.ledger_total, baseline_probability=c.baseline_probability, outcome=c.title,
                          comparison=comparison_words(c.baseline_caption)) if c.top_rows else ""
    assumed = "".join(f"<li>{escape(a[:1].upper() + a[1:])}</li>" for a in c.assumed)
    absolute = "".join(f'<p class="absolute"><b>{escape(absolute_words(r))}</b></p>' for r in c.absolute)
    if c.absolute:
        absolute += f'<p class="small">{escape(absolute_basis(c.absolute))}</p>'
    if c.absolute_note:
        absolute += f'<p class="small note">{escape(c.absolute_note)}</p>'
    return (f'<table class="card"><tr><td class="card-text"><h3>{escape(c.title)} · '
            f'<span class="band">{_BAND_WORDS.get(c.band, c.band)}</span> '
            f'<span class="small">({escape(band_basis(c))})</span></h3>{absolute}'
            f'<div><span class="prob">{_pct(c.probability)}</span> '
            f'<span class="small">model probability of {escape(c.outcome)} in the simulated population · '
            f'{_range(lo, hi)}</span></div>'
            f'<p class="small">Time horizon of the model probability: {escape(c.horizon)}.</p>'
            f'<p>{escape(c.plain)}</p>{percentile_svg(c.absolute[0].percentile if c.absolute else c.percentile)}'
            f'<p class="small">{escape(comparison_points(c))}</p>'
            f'<p class="small">Model probability with the missing genotypes varied: {_pct(band_lo)}–'
            f'{_pct(band_hi)}.</p>'
            + (f'<ul class="small assumed">{assumed}</ul>' if assumed else "") +
            f'<div><span class="{cov_cls}">{escape(c.coverage_badge)}</span>{rel}'
            f'{_flag_badges(c.flags)}</div></td><td class="card-chart">{chart}</td></tr></table>')


def _range(lo: float, hi: float) -> str:
    return f"model range {_pct(lo)}–{_pct(hi)}" if _pct(lo) != _pct(hi) else "ensemble members agree"


def _clip(text: str, n: int = 68) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _flag_badges(flags: Sequence[str]) -> str:
    n = len(flags)
    return f'<span class="badge warn">{n} caution{"s" if n > 1 else ""} (listed under "why" below)</span>' if n else ""


def _drug_table(rows: Sequence[DrugRow]) -> str:
    marks = {**_LEVEL_MARK, "grey": "◇"}  # grey: needs an outside result (never a standard call)
    style = {"grey": ' style="background:#e6e6e6;border-left:5px solid #666"'}
    body = []
    for d in rows:
        model = escape(model_words(d))
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
            '<th>What it implies (source · strength · guideline)</th><th>Model (simulated cohort)</th>'
            '<th>Model vs guideline</th></tr>'
            f'</thead><tbody>{"".join(body)}</tbody></table>'
            '<p class="small">■ red: avoid or use an alternative · ▲ amber: adjust the dose, or the genotype '
            'cannot be called exactly · ● green: standard prescribing · ◇ grey: needs an outside result (HLA '
            f'typing, CYP2D6 genotyping), given as an outside call. Actions: {basis}</p>')


def _warfarin(s: ReportSummary) -> str:
    if s.warfarin is None:
        return ""
    notes = "".join(f"<li>{escape(n)}</li>" for n in s.warfarin.notes)
    return (f'<p class="warfarin"><b>{escape(warfarin_words(s.warfarin))}</b></p>'
            + (f"<ul class=small>{notes}</ul>" if notes else ""))


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
        out.append(f"<h3>{escape(c.title)}: why</h3><p class=small>{escape(c.baseline_caption)} "
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
            '<p class="small">Models trained on simulated cohorts. Each model probability is of the outcome named on '
            "its card in the simulated population, over the time horizon the card names (none for most); where an "
            "absolute risk is given it is the "
            "risk of a diagnosis between the ages named, from US incidence and mortality rates. Every number "
            f"depends on the accuracy of the genotypes and the patient details entered.</p>{_risk_details(s)}")


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
             ("Build", f"{p.build} ({p.build_source}): {'; '.join(p.build_evidence)}"), ("Ancestry", p.ancestry),
             ("Patient details", details),
             ("Models", models), ("Attribution", f"{p.method}, baseline {p.baseline}; {params}"),
             ("Pharmacogenomics", f"positions missing from the file: {p.pgx_missing} policy"),
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
    "key": _key, "risks": _risks, "drugs": lambda s: _warfarin(s) + _drug_table(s.drugs),
    "findings": lambda s: _findings(s.findings),
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
        '<div class="banner screen-only">GenoLens · research use only · models trained on simulated cohorts, '
        'except the warfarin dose model (real IWPC patients)</div>',
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
