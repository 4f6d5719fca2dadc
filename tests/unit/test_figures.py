"""Figures are tested for what they show: order, labels, hover text."""

from __future__ import annotations

import dataclasses
import itertools
import math
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from genolens.datamodel import (
    Attribution,
    Baseline,
    DeletionCurve,
    Ledger,
    LedgerRow,
    Locus,
    Panel,
    PanelVariant,
)
from genolens.present.figures import (
    COLOUR_NAMES,
    DOWN,
    OKABE_ITO,
    UP,
    binned_risk_figure,
    calibration_figure,
    decile_drivers_figure,
    deletion_curve_figure,
    gene_matrix_figure,
    gene_rollup_figure,
    genome_track_figure,
    ledger_waterfall,
    logit_ticks,
    method_agreement_figure,
    odds_ticks,
    roc_figure,
)

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


# --- explanation figures -------------------------------------------------------------------------------------------

BASE = Baseline("population_average", np.array([0.5, 0.2, 55.0]), None, "Compared with an average person.")


def _row(label: str, c: float, section: str = "genetics", features: tuple[str, ...] = ("rs1",),
         evidence: str = "OR 1.3 per T allele", values: tuple[float, ...] = (2.0,)) -> LedgerRow:
    return LedgerRow(label=label, section=section, level="gene" if section == "genetics" else section,  # type: ignore[arg-type]
                     features=features, contribution=c, spread=0.01, values=values, baseline_values=(0.5,),
                     origins=("observed",), evidence=evidence, note="called")


LEDGER = Ledger(
    output="y_disease", method="ig", baseline=BASE, level="gene",
    rows=(_row("GENE1 (rs1)", 0.6), _row("Age", -0.3, "clinical", ("cov_age",), "", (70.0,)),
          _row("GENE2 (rs2)", 0.1, features=("rs2",), evidence="OR 1.1"),
          _row("Not attributed (completeness residual)", 0.001, "residual", (), "", ())),
    baseline_logit=-2.0, prediction_logit=-1.599, baseline_probability=0.119, prediction_probability=0.168,
    genetics=0.7, clinical=-0.3, residual=0.001, converged=True)


def _expit(z: float) -> float:
    return 1 / (1 + math.exp(-z))  # the logistic function written out, independent of the figure's code


def test_ledger_waterfall_runs_from_baseline_through_rows_to_prediction_in_probability() -> None:
    fig = ledger_waterfall(LEDGER, genotypes={"rs1": "1/1"})
    w = fig.data[0]
    assert list(w.y) == ["Baseline", "GENE1 (rs1)", "Age", "GENE2 (rs2)", "Not attributed (completeness residual)",
                         "Prediction"]
    assert list(w.measure) == ["absolute", "relative", "relative", "relative", "relative", "total"]
    assert w.base == 0 and math.isclose(w.x[0], _expit(-2.0))  # the baseline bar starts at 0%
    assert math.isclose(w.x[1], _expit(-1.4) - _expit(-2.0))  # +0.6 log-odds from -2.0, as a probability step
    assert math.isclose(w.x[2], _expit(-1.7) - _expit(-1.4))  # then -0.3: cumulative, in the order shown
    assert w.text[1] == "+7.9 pt (+0.60)" and w.text[-1] == "16.8%"
    assert "bar labels: change in percentage points (log-odds)" in fig.layout.xaxis.title.text
    assert w.increasing.marker.color == UP and w.decreasing.marker.color == DOWN
    gene1 = w.hovertext[1]
    assert "rs1 1/1" in gene1 and "evidence: OR 1.3 per T allele" in gene1 and "+0.600" in gene1
    assert "probability 11.9% → 19.8%" in gene1
    assert "average person" in w.hovertext[0] and "16.8%" in w.hovertext[-1]
    assert fig.layout.yaxis.autorange == "reversed"


def test_ledger_waterfall_last_step_lands_on_the_prediction() -> None:
    w = ledger_waterfall(LEDGER).data[0]
    end = w.x[0] + sum(w.x[1:-1])  # where the last relative step ends
    assert math.isclose(end, _expit(-2.0 + 0.6 - 0.3 + 0.1 + 0.001), rel_tol=1e-12)
    assert math.isclose(end, LEDGER.prediction_probability, abs_tol=5e-4)  # the fixture's 16.8% is rounded
    assert math.isclose(w.x[-1], end, rel_tol=1e-12)  # the prediction bar ends where the steps do


def test_ledger_waterfall_axis_runs_from_zero_past_baseline_and_prediction() -> None:
    fig = ledger_waterfall(LEDGER)
    lo, hi = fig.layout.xaxis.range
    assert lo == 0 and hi > _expit(-1.4)  # the highest point of the path (after GENE1) is inside
    assert "axis from 0%" in fig.layout.xaxis.title.text and fig.layout.xaxis.tickformat == ".0%"
    top = fig.layout.xaxis2  # log-odds on a second axis: each tick at the probability it stands for
    assert top.overlaying == "x" and tuple(top.range) == (lo, hi)
    for pos, text in zip(top.tickvals, top.ticktext, strict=True):
        assert math.isclose(pos, _expit(float(text)))
    assert list(top.ticktext) == ["-4", "-3", "-2"]


TINY_CHANGE = Ledger(  # a treatment ledger whose only row moves the risk by -0.09 log-odds from 8.6%
    output="y_drug_response", method="ig", baseline=BASE, level="gene",
    rows=(_row("CYP2C9 (rs1)", -0.09), _row("Not attributed (completeness residual)", 0.0, "residual", (), "", ())),
    baseline_logit=math.log(0.086 / 0.914), prediction_logit=math.log(0.086 / 0.914) - 0.09,
    baseline_probability=0.086, prediction_probability=_expit(math.log(0.086 / 0.914) - 0.09),
    genetics=-0.09, clinical=0.0, residual=0.0, converged=True)


def test_a_small_change_is_a_short_bar() -> None:
    fig = ledger_waterfall(TINY_CHANGE)
    lo, hi = fig.layout.xaxis.range
    step = abs(fig.data[0].x[1])
    assert math.isclose(step, 0.086 - _expit(math.log(0.086 / 0.914) - 0.09))  # about 0.7 percentage points
    assert step / (hi - lo) < 0.10  # not a chart-filling bar
    assert lo == 0 and hi >= 0.086


def test_ledger_waterfall_title_names_the_outcome_and_the_comparison() -> None:
    default = ledger_waterfall(LEDGER).layout.title.text
    assert default == "Disease: contributions against an average person"
    named = ledger_waterfall(LEDGER, outcome="Breast cancer (simulated case status)").layout
    assert named.title.text == "Breast cancer (simulated case status): contributions against an average person"
    assert named.xaxis.title.text.startswith("probability of breast cancer (simulated case status)")
    assert ledger_waterfall(LEDGER, title="Own title").layout.title.text == "Own title"


COLOUR_WORDS = ("red", "orange", "vermillion", "amber", "yellow", "green", "blue", "sky", "purple", "pink",
                "grey", "gray", "black")


def _captions(fig: go.Figure) -> str:
    layout = fig.layout
    texts = [layout.title.text, layout.xaxis.title.text, layout.yaxis.title.text, *(t.name for t in fig.data)]
    return " ".join(t for t in texts if t)


def _colours(fig: go.Figure) -> set[str]:
    used: set[str] = set()
    for t in fig.data:
        if isinstance(t, go.Waterfall):
            used |= {t.increasing.marker.color, t.decreasing.marker.color, t.totals.marker.color}
        elif t.marker is not None and t.marker.color is not None:
            c = t.marker.color
            used |= {c} if isinstance(c, str) else set(c)
    return used


def test_every_colour_word_in_a_figure_names_a_colour_it_draws() -> None:
    by_word = {word: hex_ for hex_, word in COLOUR_NAMES.items()}
    figures = [ledger_waterfall(LEDGER), gene_rollup_figure(LEDGER), gene_rollup_figure(TINY_CHANGE)]
    for fig in figures:
        words = set(re.findall(r"[a-z]+", _captions(fig).lower())) & set(COLOUR_WORDS)
        assert words, "a sign-coloured figure says which colour is which"
        assert "red" not in words  # vermillion #D55E00 reads as orange
        assert words <= set(by_word)  # no word for a colour the explanation figures do not use
        drawn = _colours(fig)
        assert drawn <= {by_word[w] for w in words}  # every colour drawn is named, by its own word
    assert COLOUR_NAMES[UP] == "orange" and UP == "#D55E00"


def test_logit_ticks_stay_inside_the_axis_and_apart() -> None:
    for top in (0.003, 0.02, 0.2, 0.5, 1.0):
        pos, text = logit_ticks(top)
        assert len(pos) >= 3 and all(0 < p <= top for p in pos)
        assert min(b - a for a, b in itertools.pairwise(pos)) >= 0.08 * top
        assert all(math.isclose(p, _expit(float(t))) for p, t in zip(pos, text, strict=True))


def test_gene_rollup_shows_genetic_rows_only_coloured_by_sign() -> None:
    fig = gene_rollup_figure(LEDGER)
    bar = fig.data[0]
    assert list(bar.y) == ["GENE1 (rs1)", "GENE2 (rs2)"]
    assert list(bar.marker.color) == [UP, UP]
    assert "OR 1.1" in bar.hovertext[1]


PANEL = Panel("p", "P", tuple(
    PanelVariant(id=i, rsid=i, gene=g, grch38=Locus(c, pos, "C", "T", "C"), grch37=Locus(c, pos - 100, "C", "T", "C"),
                 evidence=f"OR for {i}", log_or=0.1, function="", activity_value=None, allele_name="", eaf=0.3,
                 source="test")
    for i, g, c, pos in (("rs1", "GENE1", "2", 1_000_000), ("rs2", "GENE2", "1", 5_000_000))), "0" * 64)


def _attr(values: list[float], method: str = "ig") -> Attribution:
    n = len(values)
    names = ("rs1", "rs2", "cov_age")[:n]
    v = np.array(values)
    return Attribution(method=method, target=0, output="y_disease", feature_names=names, names=names,
                       groups=tuple((i,) for i in range(n)), values=v, member_values=v[None, :], spread=np.zeros(n),
                       inputs=np.array([2.0, 0.0, 70.0])[:n], baseline=BASE, prediction_logit=0.0,
                       baseline_logit=-float(v.sum()), residual=0.0, tolerance=1e-4, converged=True, completeness="",
                       parameters={})


def test_genome_track_places_variants_by_chromosome_and_splits_by_sign() -> None:
    fig = genome_track_figure(_attr([0.4, -0.2, 0.1]), PANEL, build="GRCh38", genotypes={"rs1": "1/1"})
    raises, lowers = (t for t in fig.data if t.hoverinfo != "skip")  # the odds axis's anchor is hidden
    assert raises.name == "raises the risk" and lowers.name == "lowers the risk"
    assert list(raises.y) == [0.4] and list(lowers.y) == [-0.2]  # the clinical input is not on the genome
    assert raises.x[0] > lowers.x[0]  # chr2 after chr1
    assert list(fig.layout.xaxis.ticktext) == ["1", "2"] and fig.layout.xaxis.title.text == "chromosome"
    assert "GENE1 rs1" in raises.hovertext[0] and "chr2:1,000,000" in raises.hovertext[0]
    assert "genotype 1/1" in raises.hovertext[0] and "OR for rs1" in raises.hovertext[0]


def test_method_agreement_heatmap_is_symmetric_with_ones_on_the_diagonal() -> None:
    attrs = [_attr([0.4, -0.2, 0.1]), _attr([0.5, -0.1, 0.05], "deeplift"), _attr([0.05, 0.1, 0.5], "saliency")]
    heat = method_agreement_figure(attrs).data[0]
    z = np.array(heat.z)
    assert list(heat.x) == ["ig", "deeplift", "saliency"] and np.allclose(z, z.T)
    assert np.allclose(np.diag(z), 1.0) and z[0, 1] == 1.0 and z[0, 2] < 0


def test_deletion_curve_draws_random_band_then_the_attribution_order() -> None:
    curve = DeletionCurve(order=(0, 1), logits=np.array([1.0, 0.2, 0.0]),
                          random_logits=np.array([[1.0, 0.8, 0.0], [1.0, 0.5, 0.0]]), score=1.0)
    fig = deletion_curve_figure(curve)
    assert [t.name for t in fig.data] == ["random orders (5–95%)", "random orders (median)",
                                          "largest contribution first"]
    assert list(fig.data[-1].y) == [1.0, 0.2, 0.0] and "100%" in fig.layout.title.text


def test_binned_risk_figure_draws_the_given_counts_at_their_bins_and_marks_quantiles() -> None:
    fig = binned_risk_figure([0.0, 0.1, 0.3], [5, 2], label="Breast cancer", quantiles={0.5: 0.05, 0.9: 0.2},
                             highlight=("S7", 0.25))
    (bars,) = fig.data
    assert list(bars.x) == pytest.approx([0.05, 0.2]) and list(bars.width) == pytest.approx([0.1, 0.2])
    assert list(bars.y) == [5, 2]  # the counts as given: no sample reaches the figure
    lines = [(s.x0, s.line.color) for s in fig.layout.shapes]
    assert lines == [(0.05, OKABE_ITO["orange"]), (0.2, OKABE_ITO["orange"]), (0.25, OKABE_ITO["vermillion"])]
    assert [a.text for a in fig.layout.annotations] == ["50%: 5.0%", "90%: 20.0%", "S7"]
    assert fig.layout.xaxis.title.text == "Breast cancer: predicted probability"


def test_gene_matrix_figure_keeps_the_row_order_and_centres_colours_on_zero() -> None:
    values = np.array([[0.5, -0.1], [-2.0, 0.0]])
    fig = gene_matrix_figure(["B", "A"], ["BRCA2", "clinical: age"], values, [0.3, 0.1])
    (heat,) = fig.data
    assert list(heat.y) == ["B (30.0%)", "A (10.0%)"] and list(heat.x) == ["BRCA2", "clinical: age"]
    np.testing.assert_array_equal(heat.z, values)
    assert (heat.zmid, heat.zmin, heat.zmax) == (0.0, -2.0, 2.0)
    assert fig.layout.yaxis.autorange == "reversed"  # the first sample on top


def test_decile_drivers_figure_pairs_top_decile_and_rest_per_input() -> None:
    fig = decile_drivers_figure(["rs1 (G1)", "cov_age"], [0.4, 0.1], [0.0, 0.2])
    top, rest = fig.data
    assert (top.name, rest.name) == ("top decile", "other samples")
    assert list(top.y) == list(rest.y) == ["rs1 (G1)", "cov_age"]
    assert list(top.x) == [0.4, 0.1] and list(rest.x) == [0.0, 0.2]


def test_genome_track_draws_chromosomes_to_scale_and_drops_labels_that_would_overlap() -> None:
    from genolens.datamodel import Locus, PanelVariant
    from genolens.genome.build import CONTIG_LENGTHS

    chroms = [str(c) for c in range(1, 23)]
    variants = tuple(PanelVariant(id=f"v{c}", rsid=f"v{c}", gene="G", grch38=Locus(c, 1_000, "", "A", "G"),
                                  grch37=Locus(c, 1_000, "", "A", "G"), evidence="", log_or=0.1, function="",
                                  activity_value=None, allele_name="", eaf=0.3, source="test") for c in chroms)
    n = len(variants)
    v = np.linspace(0.1, 0.3, n)
    attr = dataclasses.replace(_attr([0.4, -0.2, 0.1]), names=tuple(x.id for x in variants),
                               feature_names=tuple(x.id for x in variants), groups=tuple((i,) for i in range(n)),
                               values=v, member_values=v[None, :], spread=np.zeros(n), inputs=np.ones(n))
    fig = genome_track_figure(attr, Panel("g", "G", variants, sha256="0" * 64), build="GRCh38")
    x = np.array(fig.data[0].x)  # every variant at position 1,000 of its chromosome: x = the chromosome's start
    lengths = CONTIG_LENGTHS["GRCh38"]
    assert x[1] - x[0] == lengths["1"] + 5_000_000 and x[21] - x[20] == lengths["21"] + 5_000_000
    ticks, labels = list(fig.layout.xaxis.tickvals), list(fig.layout.xaxis.ticktext)
    assert labels[:12] == chroms[:12] and 15 <= len(labels) < 22  # the small chromosomes share fewer labels
    assert min(np.diff(ticks)) >= 0.03 * sum(lengths[c] for c in chroms)  # no two labels closer than 3% of the genome


def test_genome_track_shows_a_variant_with_no_share_apart_from_both_signs() -> None:
    fig = genome_track_figure(_attr([0.4, 0.0, 0.1]), PANEL, build="GRCh38")
    assert [t.name for t in fig.data if t.hoverinfo != "skip"] == ["raises the risk", "lowers the risk",
                                                                   "no share in the risk"]
    assert list(fig.data[1].y) == [] and list(fig.data[2].y) == [0.0]  # zero is neither raising nor lowering


def test_odds_axis_labels_each_log_odds_position_with_its_odds_factor() -> None:
    ticks, text = odds_ticks(-1.0, 1.0)
    assert text and all(lab.startswith("×") for lab in text)
    for z, lab in zip(ticks, text, strict=True):
        assert math.exp(z) == pytest.approx(float(lab[1:]), rel=1e-9)  # ×2 sits at log 2
        assert -1.0 <= z <= 1.0
    fig = gene_rollup_figure(LEDGER)
    assert fig.layout.xaxis2.overlaying == "x" and list(fig.layout.xaxis2.range) == list(fig.layout.xaxis.range)
