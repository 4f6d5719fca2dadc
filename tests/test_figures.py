"""Figures are tested for what they show: order, labels, hover text."""

from __future__ import annotations

from genolens.present.figures import OKABE_ITO, calibration_figure, roc_figure

CURVES = {
    "network": {"roc": {"fpr": [0, 0.1, 1], "tpr": [0, 0.6, 1]},
                "calibration": {"predicted": [0.05, 0.3], "observed": [0.04, 0.33], "n": [900, 100]}},
    "oracle": {"roc": {"fpr": [0, 0.1, 1], "tpr": [0, 0.65, 1]},
               "calibration": {"predicted": [0.05], "observed": [0.05], "n": [1000]}},
}


def test_roc_figure_draws_each_model_with_its_auroc_after_the_chance_line() -> None:
    fig = roc_figure(CURVES, {"network": 0.781, "oracle": 0.79}, title="y_breast_cancer")
    names = [t.name for t in fig.data]
    assert names == ["Chance", "GenoLens network (AUROC 0.781)", "Oracle (true simulated model) (AUROC 0.790)"]
    assert list(fig.data[1].y) == [0, 0.6, 1]
    assert fig.data[1].line.color == OKABE_ITO["blue"]
    assert "true-positive rate" in fig.data[1].hovertemplate


def test_calibration_figure_skips_missing_models_and_shows_bin_counts() -> None:
    fig = calibration_figure(CURVES, title="t")
    assert [t.name for t in fig.data] == ["GenoLens network", "Perfect calibration"]
    assert list(fig.data[0].customdata) == [900, 100] and "n = " in fig.data[0].hovertemplate
    assert fig.layout.xaxis.range[1] >= 0.33
