"""Plotly figures built from domain objects: pure functions, no Streamlit.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from genolens.datamodel import Attribution, Build, DeletionCurve, Ledger, LedgerRow, Panel
from genolens.genome.build import CONTIG_LENGTHS

OKABE_ITO: Mapping[str, str] = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
MODEL_STYLE: Mapping[str, tuple[str, str, str]] = {
    # model key -> (label, colour, dash)
    "network": ("GenoLens network", OKABE_ITO["blue"], "solid"),
    "linear_prs": ("Linear PRS (same variants)", OKABE_ITO["orange"], "dash"),
    "oracle": ("Oracle (true simulated model)", OKABE_ITO["black"], "dot"),
}


def _style(model: str) -> tuple[str, str, str]:
    return MODEL_STYLE.get(model, (model, OKABE_ITO["purple"], "dashdot"))


def roc_figure(curves: Mapping[str, Mapping[str, Any]], aurocs: Mapping[str, float], *, title: str) -> go.Figure:
    """ROC curves of several models for one output.

    Parameters
    ----------
    curves
        ``{model: {"roc": {"fpr": [...], "tpr": [...]}, ...}}`` (``genolens.modeling.evaluate.curves``).
    aurocs
        ``{model: AUROC}``, shown in the legend.
    title
        Figure title (the output's name).
    """
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="Chance",
                             line={"color": "#999999", "dash": "dot", "width": 1}, hoverinfo="skip"))
    for model, c in curves.items():
        label, colour, dash = _style(model)
        auc = aurocs.get(model)
        name = f"{label} (AUROC {auc:.3f})" if auc is not None else label
        fig.add_trace(go.Scatter(
            x=list(c["roc"]["fpr"]), y=list(c["roc"]["tpr"]), mode="lines", name=name,
            line={"color": colour, "dash": dash, "width": 2},
            hovertemplate=f"{label}<br>false-positive rate %{{x:.2f}}<br>true-positive rate %{{y:.2f}}<extra></extra>",
        ))
    fig.update_layout(title=title, xaxis_title="False-positive rate", yaxis_title="True-positive rate",
                      xaxis={"range": [0, 1]}, yaxis={"range": [0, 1.02]},
                      legend={"orientation": "h", "x": 0, "y": -0.22, "yanchor": "top"},
                      margin={"l": 50, "r": 10, "t": 40, "b": 40}, height=460)
    return fig


def calibration_figure(curves: Mapping[str, Mapping[str, Any]], *, title: str,
                       models: Sequence[str] = ("network", "linear_prs")) -> go.Figure:
    """Observed event rate against mean predicted probability, per bin, for each model."""
    fig = go.Figure()
    top = 0.0
    for model in models:
        if model not in curves:
            continue
        cal = curves[model]["calibration"]
        label, colour, dash = _style(model)
        top = max([top, *cal["predicted"], *cal["observed"]])
        fig.add_trace(go.Scatter(
            x=list(cal["predicted"]), y=list(cal["observed"]), mode="lines+markers", name=label,
            line={"color": colour, "dash": dash}, customdata=list(cal["n"]),
            hovertemplate=f"{label}<br>predicted %{{x:.1%}}<br>observed %{{y:.1%}}<br>n = %{{customdata:,.0f}}"
                          "<extra></extra>",
        ))
    edge = min(1.0, top * 1.05 + 0.01)
    fig.add_trace(go.Scatter(x=[0, edge], y=[0, edge], mode="lines", name="Perfect calibration",
                             line={"color": "#999999", "dash": "dot", "width": 1}, hoverinfo="skip"))
    fig.update_layout(title=title, xaxis_title="Mean predicted probability", yaxis_title="Observed rate",
                      xaxis={"range": [0, edge], "tickformat": ".0%"}, yaxis={"range": [0, edge], "tickformat": ".0%"},
                      margin={"l": 50, "r": 10, "t": 40, "b": 40}, height=460,
                      legend={"orientation": "h", "x": 0, "y": -0.22, "yanchor": "top"})
    return fig


# --- Explanation figures (ledger, roll-up, genome track, reliability) --------------------------------------------

UP, DOWN, TOTAL = OKABE_ITO["vermillion"], OKABE_ITO["blue"], "#7F7F7F"
"""Raises the prediction / lowers it / baseline and prediction bars (Okabe-Ito: colour-blind safe)."""
COLOUR_NAMES: Mapping[str, str] = {UP: "orange", DOWN: "blue", TOTAL: "grey"}
"""The word every caption and axis title uses for each colour of the explanation figures: Okabe-Ito
vermillion (#D55E00) reads as orange on screen and in print, so it is called orange, never red."""
SIGN_WORDS = f"{COLOUR_NAMES[UP]} raises, {COLOUR_NAMES[DOWN]} lowers the risk"
"""The colour key of every sign-coloured figure, in words built from :data:`COLOUR_NAMES`."""
_CHROMS = (*(str(i) for i in range(1, 23)), "X", "Y", "MT")


def figure_title(outcome: str, comparison: str) -> str:
    """``"Breast cancer: contributions against an average person of the reference population"``."""
    return f"{outcome}: contributions against {comparison}" if comparison else f"{outcome}: contributions"


def _sign_colour(value: float) -> str:
    return UP if value > 0 else DOWN


def _genotype_text(features: Sequence[str], values: Sequence[float], genotypes: Mapping[str, str] | None,
                   limit: int = 6) -> str:
    """``rs123 0/1 (1 effect allele)`` per input, at most ``limit`` of them."""
    parts = []
    for f, v in list(zip(features, values, strict=False))[:limit]:
        gt = (genotypes or {}).get(f)
        dose = f"{v:.2g} effect allele{'s' if v != 1 else ''}"
        parts.append(f"{f} {gt} ({dose})" if gt else f"{f} ({dose})")
    more = f" and {len(features) - limit} more" if len(features) > limit else ""
    return "; ".join(parts) + more


def _wrap(text: str, width: int = 90, limit: int = 400) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + len(w) + 1 > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return "<br>".join([*lines, line]) if line else ""


def ledger_hover(row: LedgerRow, genotypes: Mapping[str, str] | None = None) -> str:
    """Hover text of one ledger row: what it is, rsIDs with genotype, evidence and how inputs were obtained."""
    spread = f", ± {row.spread:.3f} across models" if row.spread else ""
    lines = [f"<b>{row.label}</b>",
             f"contribution {row.contribution:+.3f} log-odds (odds × {math.exp(row.contribution):.2f}){spread}"]
    if row.section == "genetics" and row.features:
        lines.append("genotype: " + _wrap(_genotype_text(row.features, row.values, genotypes)))
    elif row.section == "clinical" and row.values:
        lines.append(f"value {row.values[0]:.4g} (baseline {row.baseline_values[0]:.4g})")
    if row.evidence:
        lines.append("evidence: " + _wrap(row.evidence))
    if row.note:
        lines.append(_wrap(row.note))
    return "<br>".join(lines)


def _shown_rows(ledger: Ledger, max_rows: int, min_abs: float) -> list[tuple[str, float, str, LedgerRow | None]]:
    """(label, contribution, hover, row) for the waterfall: the largest rows, the rest merged, residual last."""
    body = [r for r in ledger.rows if r.section != "residual"]
    residual = [r for r in ledger.rows if r.section == "residual"]
    big = [r for r in body if abs(r.contribution) >= min_abs]
    shown = big[:max_rows]
    rest = [r for r in body if r not in shown]
    out: list[tuple[str, float, str, LedgerRow | None]] = [(r.label, r.contribution, "", r) for r in shown]
    if rest:
        total = math.fsum(r.contribution for r in rest)
        label = f"{len(rest)} smaller row" + ("s" if len(rest) > 1 else "")
        out.append((label, total, f"<b>{label}</b><br>together {total:+.3f} log-odds<br>"
                    + _wrap(", ".join(r.label for r in rest[:12]) + (" …" if len(rest) > 12 else "")), None))
    out += [(r.label, r.contribution, "", r) for r in residual]
    return out


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def _points(dp: float) -> str:
    """A probability change in percentage points, with a second decimal when it is below 0.1."""
    pts = 100.0 * dp
    return f"{pts:+.2f}" if abs(pts) < 0.1 else f"{pts:+.1f}"


def _end_text(p: float, top: float) -> str:
    """Label inside a baseline/prediction bar long enough to hold it, else beside it."""
    return "inside" if p >= 0.15 * top else "outside"


def logit_ticks(top: float, *, min_gap: float = 0.08) -> tuple[list[float], list[str]]:
    """Positions on a 0..``top`` probability axis of round log-odds values, and their labels.

    The log-odds axis is not linear in probability, so its ticks sit at ``sigmoid(z)``; a tick closer
    than ``min_gap`` × ``top`` to the one on its right, or to 0%, is left out (they crowd towards 0%).
    """
    for step in (2.0, 1.0, 0.5, 0.25):
        zs = [k * step for k in range(int(-8 / step), int(8 / step) + 1)]
        kept: list[float] = []
        for z in sorted(zs, reverse=True):
            p = _sigmoid(z)
            if min_gap * top / 2 <= p <= top and (not kept or _sigmoid(kept[-1]) - p >= min_gap * top):
                kept.append(z)
        if len(kept) >= 3:
            break
    kept.reverse()
    return [_sigmoid(z) for z in kept], [f"{z:+g}" if z else "0" for z in kept]


def ledger_waterfall(ledger: Ledger, *, genotypes: Mapping[str, str] | None = None, max_rows: int = 15,
                     min_abs: float = 0.005, title: str = "", outcome: str = "",
                     comparison: str = "") -> go.Figure:
    """Waterfall on the probability scale, axis from 0%: baseline, each ledger row, then the prediction.

    The rows are contributions on the log-odds scale; each is drawn as the probability change it makes
    when added, in the order shown, to the ones above it (the probability steps depend on that order,
    the log-odds ones do not), so the last step ends at the prediction. The baseline and prediction
    bars start at 0% and the axis always runs from 0% to past both, so a bar's length is its share of
    the probability: a small change is a short bar. Log-odds are a second axis on top (ticks at the
    probabilities they correspond to), in every bar's label and in the hover.

    Parameters
    ----------
    ledger
        The explanation's ledger (rows by decreasing |contribution|, residual last).
    genotypes
        GT text per input id (``{"rs4244285": "0/1"}``) for the hover; dosages only when absent.
    max_rows
        Rows drawn one by one; smaller rows are merged into one bar (the sum stays exact).
    min_abs
        Rows with |contribution| below this (log-odds) are merged too.
    title
        Figure title; by default built from ``outcome`` and ``comparison``.
    outcome
        The output in words (``"Breast cancer (simulated case status)"``); by default from the output name.
    comparison
        What the patient is compared with; by default from the baseline's caption.
    """
    from genolens.present.summary import output_title
    from genolens.present.words import comparison_words

    rows = _shown_rows(ledger, max_rows, min_abs)
    outcome = outcome or output_title(ledger.output)
    title = title or figure_title(outcome, comparison or comparison_words(ledger.baseline.caption))
    logits = [v for _, v, _, _ in rows]
    path = [_sigmoid(float(z)) for z in np.cumsum([ledger.baseline_logit, *logits])]  # after each row, in order
    steps = [b - a for a, b in itertools.pairwise(path)]
    labels = ["Baseline", *(lab for lab, _, _, _ in rows), "Prediction"]
    hovers = [f"<b>Baseline</b><br>{_wrap(ledger.baseline.caption)}<br>probability "
              f"{ledger.baseline_probability:.1%} (log-odds {ledger.baseline_logit:+.3f})",
              *((h if r is None else ledger_hover(r, genotypes))
                + f"<br>probability {a:.1%} → {b:.1%} ({_points(b - a)} percentage points, in the order shown)"
                for (_, _, h, r), a, b in zip(rows, path[:-1], path[1:], strict=True)),
              f"<b>Prediction</b><br>probability {ledger.prediction_probability:.1%} "
              f"(log-odds {ledger.prediction_logit:+.3f})"]
    top = min(1.0, 1.12 * max(*path, ledger.baseline_probability, ledger.prediction_probability))
    fig = go.Figure(go.Waterfall(
        orientation="h", y=labels, x=[path[0], *steps, path[-1]],  # the total bar is drawn at the path's end
        measure=["absolute", *(["relative"] * len(rows)), "total"], base=0.0,
        text=[f"{ledger.baseline_probability:.1%}", *(f"{_points(d)} pt ({v:+.2f})"
                                                      for d, v in zip(steps, logits, strict=True)),
              f"{ledger.prediction_probability:.1%}"],
        textposition=[_end_text(path[0], top), *(["outside"] * len(rows)), _end_text(path[-1], top)],
        insidetextanchor="end", cliponaxis=False,
        increasing={"marker": {"color": UP}}, decreasing={"marker": {"color": DOWN}},
        totals={"marker": {"color": TOTAL}}, connector={"line": {"color": "#BBBBBB", "width": 1}},
        hovertext=hovers, hoverinfo="text", name="ledger"))
    ticks, ticktext = logit_ticks(top)
    fig.add_trace(go.Scatter(x=[0.0, top], y=[labels[0], labels[0]], xaxis="x2", mode="markers",
                             marker={"opacity": 0}, hoverinfo="skip", showlegend=False, name="log-odds axis"))
    fig.update_layout(
        title=title, showlegend=False,
        xaxis={"range": [0.0, top], "tickformat": ".0%", "zeroline": True, "zerolinecolor": "#444444",
               "title": f"probability of {outcome[:1].lower() + outcome[1:]} (axis from 0%); bar labels: change in "
                        f"percentage points (log-odds)<br>{SIGN_WORDS}; {COLOUR_NAMES[TOTAL]}: baseline and "
                        "prediction"},
        xaxis2={"range": [0.0, top], "overlaying": "x", "side": "top", "tickvals": ticks, "ticktext": ticktext,
                "title": {"text": "log-odds (same positions)", "standoff": 2}, "showgrid": False,
                "tickfont": {"color": "#555555", "size": 10}},
        yaxis={"autorange": "reversed", "automargin": True},
        height=max(340, 26 * len(labels) + 170), margin={"l": 10, "r": 110, "t": 90, "b": 70})
    return fig


def odds_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Tick positions on a log-odds axis from ``lo`` to ``hi`` labelled as odds factors (``×2``, ``×0.5``).

    A contribution of ``z`` log-odds multiplies the odds by ``exp(z)``: the secondary axis says that, so a
    reader need not know what log-odds are.
    """
    factors = (0.1, 0.2, 0.25, 0.5, 0.67, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 10.0)
    inside = [f for f in factors if lo <= math.log(f) <= hi]
    span = max(hi - lo, 1e-9)
    kept: list[float] = []
    for f in inside:  # keep ticks at least 8% of the axis apart
        if not kept or math.log(f) - math.log(kept[-1]) >= 0.08 * span:
            kept.append(f)
    return [math.log(f) for f in kept], [f"×{f:g}" for f in kept]


def gene_rollup_figure(ledger: Ledger, *, max_rows: int = 20) -> go.Figure:
    """Horizontal bars of the genetic rows (genes/loci), largest |contribution| at the top; the bottom axis in
    log-odds, the top axis the same positions as odds factors."""
    rows = [r for r in ledger.rows if r.section == "genetics"][:max_rows]
    fig = go.Figure(go.Bar(
        orientation="h", y=[r.label for r in rows], x=[r.contribution for r in rows],
        marker={"color": [_sign_colour(r.contribution) for r in rows]},
        error_x={"type": "data", "array": [r.spread for r in rows], "visible": any(r.spread for r in rows),
                 "color": "#555555"},
        hovertext=[ledger_hover(r) for r in rows], hoverinfo="text", name="genes"))
    reach = max([abs(r.contribution) + r.spread for r in rows] + [0.1]) * 1.1
    ticks, text = odds_ticks(-reach, reach)
    fig.add_trace(go.Scatter(x=[-reach, reach], y=[rows[0].label] * 2 if rows else [None, None], xaxis="x2",
                             mode="markers", marker={"opacity": 0}, hoverinfo="skip", showlegend=False))
    fig.update_layout(xaxis={"title": f"contribution (log-odds) ± member spread · {SIGN_WORDS}",
                             "range": [-reach, reach], "zeroline": True},
                      xaxis2={"range": [-reach, reach], "overlaying": "x", "side": "top", "tickvals": ticks,
                              "ticktext": text, "showgrid": False, "title": {"text": "odds multiplied by",
                                                                              "standoff": 2}},
                      yaxis={"autorange": "reversed", "automargin": True}, showlegend=False,
                      height=max(280, 24 * len(rows) + 120), margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return fig


def genome_track_figure(attribution: Attribution, panel: Panel, *, build: Build,
                        genotypes: Mapping[str, str] | None = None) -> go.Figure:
    """Contribution of every genetic input by chromosome position (chromosomes laid end to end)."""
    by_id = {v.id: v for v in panel.variants}
    points = []
    for name, value, x in zip(attribution.names, attribution.values, attribution.inputs, strict=False):
        v = by_id.get(name)
        if v is None:
            continue
        locus = v.locus(build)
        points.append((locus.chrom, locus.pos, float(value), v, float(x)))
    chroms = [c for c in _CHROMS if any(p[0] == c for p in points)]
    lengths = CONTIG_LENGTHS[build]  # chromosomes to scale, so variants sit where they are on the genome
    width = {c: max(lengths.get(c, 0), max(p[1] for p in points if p[0] == c)) for c in chroms}
    offset: dict[str, int] = {}
    start, ticks, labels = 0, list[float](), list[str]()
    gap = 0.03 * sum(width.values())  # labels closer than this would overlap: the smaller chromosome's is left out
    for c in chroms:
        offset[c] = start
        centre = start + width[c] / 2
        if not ticks or centre - ticks[-1] >= gap:
            ticks.append(centre)
            labels.append(c)
        start += width[c] + 5_000_000
    fig = go.Figure()
    zero = [p for p in points if p[2] == 0.0]
    for sign, colour, label in ((1, UP, "raises"), (-1, DOWN, "lowers"), (0, "#BBBBBB", "no share in")):
        pts = [p for p in points if (p[2] > 0 if sign > 0 else p[2] < 0 if sign < 0 else p[2] == 0.0)]
        if sign == 0 and not zero:
            continue  # a third legend entry only when some variant has exactly no share
        fig.add_trace(go.Scatter(
            x=[offset[p[0]] + p[1] for p in pts], y=[p[2] for p in pts], mode="markers", name=f"{label} the risk",
            marker={"color": colour, "size": [4 if sign == 0 else 6 + 10 * min(abs(p[2]) / 0.5, 1.0) for p in pts],
                    "symbol": {1: "circle", -1: "diamond", 0: "circle-open"}[sign],
                    "line": {"width": 0.5, "color": "#333333" if sign else "#BBBBBB"}},
            hovertext=[f"<b>{p[3].gene} {p[3].rsid or p[3].id}</b><br>chr{p[0]}:{p[1]:,} ({build})<br>genotype "
                       f"{(genotypes or {}).get(p[3].id, '—')} ({p[4]:.2g} effect alleles)<br>contribution "
                       f"{p[2]:+.3f} log-odds<br>evidence: {_wrap(p[3].evidence)}" for p in pts],
            hoverinfo="text"))
    fig.add_hline(y=0, line={"color": "#999999", "width": 1})
    reach = max([abs(p[2]) for p in points] + [0.1]) * 1.15
    oticks, otext = odds_ticks(-reach, reach)
    fig.add_trace(go.Scatter(x=[0, 0], y=[-reach, reach], yaxis="y2", mode="markers", marker={"opacity": 0},
                             hoverinfo="skip", showlegend=False))
    fig.update_layout(xaxis={"tickvals": ticks, "ticktext": labels, "title": "chromosome", "tickangle": 0},
                      yaxis={"title": "contribution (log-odds)", "range": [-reach, reach]},
                      yaxis2={"range": [-reach, reach], "overlaying": "y", "side": "right", "tickvals": oticks,
                              "ticktext": otext, "showgrid": False, "title": "odds multiplied by"},
                      height=320, legend={"orientation": "h", "y": 1.12}, margin={"l": 50, "r": 50, "t": 30, "b": 40})
    return fig


def method_agreement_figure(attributions: Sequence[Attribution], *, k: int = 10) -> go.Figure:
    """Heatmap of Spearman rank correlation of contributions between methods over the union of their top ``k``.

    The same comparison as :func:`genolens.explain.reliability.method_agreement` (signed values), pair by pair.
    """
    from genolens.explain.reliability import spearman  # present -> explain is the allowed direction

    labels = [a.method for a in attributions]
    top = sorted({int(i) for a in attributions for i in np.argsort(-np.abs(a.values), kind="mergesort")[:k]})
    n = len(attributions)
    z = np.ones((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                z[i, j] = spearman(attributions[i].values[top], attributions[j].values[top])
    text = [[f"{v:.2f}" if np.isfinite(v) else "—" for v in row] for row in z]
    fig = go.Figure(go.Heatmap(
        z=z, x=labels, y=labels, zmin=-1, zmax=1, colorscale="Cividis", text=text, texttemplate="%{text}",
        hovertemplate="%{y} vs %{x}<br>rank correlation %{z:.2f}" + f" on the top {k}<extra></extra>",
        colorbar={"title": "ρ"}))
    fig.update_layout(height=120 + 50 * n, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      yaxis={"autorange": "reversed"})
    return fig


def deletion_curve_figure(curve: DeletionCurve) -> go.Figure:
    """Model output as inputs are reset to the baseline: attribution order beside random orders (5–95%)."""
    steps = list(range(len(curve.logits)))
    fig = go.Figure()
    if len(curve.random_logits):
        lo, mid, hi = np.percentile(curve.random_logits, [5, 50, 95], axis=0)
        fig.add_trace(go.Scatter(x=steps + steps[::-1], y=[*hi, *lo[::-1]], fill="toself", name="random orders (5–95%)",
                                 line={"width": 0}, fillcolor="rgba(230,159,0,0.25)", hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=steps, y=list(mid), name="random orders (median)",
                                 line={"color": OKABE_ITO["orange"], "dash": "dash"},
                                 hovertemplate="%{x} removed<br>median log-odds %{y:.3f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=steps, y=list(curve.logits), name="largest contribution first",
                             line={"color": OKABE_ITO["blue"], "width": 3},
                             hovertemplate="%{x} removed<br>log-odds %{y:.3f}<extra></extra>"))
    fig.update_layout(xaxis_title="inputs reset to the baseline", yaxis_title="model output (log-odds)", height=340,
                      title=f"Beats {curve.score:.0%} of random orders", legend={"orientation": "h", "y": -0.25},
                      margin={"l": 50, "r": 10, "t": 40, "b": 40})
    return fig


GROUP_COLOURS = ("blue", "orange", "green", "purple", "sky", "vermillion", "yellow")
"""Okabe-Ito colours of the stacked groups, in order (a last "not assigned" group is grey)."""


def binned_risk_figure(edges: Sequence[float], counts: Sequence[int], *, label: str,
                       quantiles: Mapping[float, float], highlight: tuple[str, float] | None = None,
                       groups: Mapping[str, Sequence[int]] | None = None, rest: str = "") -> go.Figure:
    """A histogram drawn from pre-binned counts (no sample crosses to the browser), with the median and 90th
    percentile marked and, optionally, one sample's probability. ``groups``: counts per group (adding up to
    ``counts``), stacked in their order; the group named ``rest`` is drawn grey."""
    e = np.asarray(edges, dtype=np.float64)
    mids, widths = (e[:-1] + e[1:]) / 2, np.diff(e)
    custom = np.column_stack([e[:-1], e[1:]])
    fig = go.Figure()
    stacks = dict(groups) if groups else {"": counts}
    colours = iter(GROUP_COLOURS)
    for name, c in stacks.items():
        colour = "#999999" if name == rest and name else OKABE_ITO[next(colours, "black")]
        fig.add_bar(x=mids, y=list(c), width=widths, marker={"color": colour}, name=name, customdata=custom,
                    hovertemplate=f"{name + ': ' if name else ''}%{{customdata[0]:.2%}}–%{{customdata[1]:.2%}}"
                                  "<br>%{y} samples<extra></extra>")
    for q, dash in ((0.5, "dash"), (0.9, "dot")):
        if q in quantiles:
            fig.add_vline(x=quantiles[q], line={"color": OKABE_ITO["orange"], "dash": dash},
                          annotation_text=f"{q:.0%}: {quantiles[q]:.1%}", annotation_position="top")
    if highlight is not None:
        fig.add_vline(x=highlight[1], line={"color": OKABE_ITO["vermillion"], "width": 3},
                      annotation_text=highlight[0], annotation_position="bottom right")
    fig.update_layout(xaxis={"title": f"{label}: predicted probability", "tickformat": ".1%"},
                      yaxis_title="samples", bargap=0, height=300, showlegend=len(stacks) > 1, barmode="stack",
                      margin={"l": 10, "r": 10, "t": 30, "b": 40})
    return fig


def gene_matrix_figure(samples: Sequence[str], genes: Sequence[str], values: np.ndarray,
                       probability: Sequence[float]) -> go.Figure:
    """Heatmap of samples (rows, in the given order) x genes: attribution on the logit scale, zero-centred."""
    z = np.asarray(values, dtype=np.float64)
    top = float(np.abs(z).max()) if z.size else 1.0
    text = [f"{s} ({p:.1%})" for s, p in zip(samples, probability, strict=True)]
    fig = go.Figure(go.Heatmap(
        z=z, x=list(genes), y=text, zmid=0.0, zmin=-top, zmax=top, colorscale="RdBu_r",
        colorbar={"title": "log-odds"},
        hovertemplate="%{y}<br>%{x}: %{z:+.3f} log-odds<extra></extra>"))
    row = max(4, min(14, 900 // max(1, len(samples))))  # px per sample: 200 rows fit in about 1,000 px
    fig.update_layout(height=160 + row * len(samples), margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      yaxis={"autorange": "reversed", "automargin": True, "showticklabels": len(samples) <= 60},
                      xaxis={"side": "top", "tickangle": -45, "automargin": True})
    return fig


def decile_drivers_figure(labels: Sequence[str], top_mean: Sequence[float], rest_mean: Sequence[float]) -> go.Figure:
    """Mean attribution per input in the top risk decile beside the rest, largest difference first."""
    fig = go.Figure()
    for name, values, colour in (("top decile", top_mean, OKABE_ITO["vermillion"]),
                                 ("other samples", rest_mean, OKABE_ITO["sky"])):
        fig.add_trace(go.Bar(orientation="h", y=list(labels), x=list(values), name=name, marker={"color": colour},
                             hovertemplate="%{y}<br>" + name + ": mean %{x:+.3f} log-odds<extra></extra>"))
    fig.update_layout(barmode="group", xaxis_title="mean contribution (log-odds)",
                      yaxis={"autorange": "reversed", "automargin": True}, height=max(240, 34 * len(labels) + 80),
                      legend={"orientation": "h", "y": -0.15}, margin={"l": 10, "r": 10, "t": 10, "b": 40})
    return fig
