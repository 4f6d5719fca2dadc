"""Plotly figures built from domain objects: pure functions, no Streamlit.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

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
                      xaxis={"range": [0, 1]}, yaxis={"range": [0, 1.02]}, legend={"x": 0.35, "y": 0.05},
                      margin={"l": 50, "r": 10, "t": 40, "b": 40}, height=380)
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
                      margin={"l": 50, "r": 10, "t": 40, "b": 40}, height=380, legend={"x": 0.02, "y": 0.98})
    return fig
