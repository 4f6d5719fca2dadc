"""Baselines and ledgers: captions, the all-reference REF rule, and rows that add up exactly."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from torch import nn

from genolens.datamodel import ExplainContext, InputOrigin, Locus, Panel, PanelVariant
from genolens.errors import ExplainError
from genolens.explain.attribution import attribute
from genolens.explain.baselines import (
    all_reference,
    ancestry_average,
    population_average,
    reference_distribution,
    relative,
)
from genolens.explain.rollup import group_mask, input_origins, ledger, odds_factor, probability_path
from genolens.genome.panel import load_panel
from genolens.modeling.logistic import sigmoid
from tests.factories import F32_RTOL, linear_model


def variant(vid: str, gene: str, *, ref: str, effect: str, other: str, allele: str = "",
            evidence: str = "OR 1.10") -> PanelVariant:
    locus = Locus("1", 100, ref, effect, other)
    return PanelVariant(id=vid, rsid=vid, gene=gene, grch38=locus, grch37=locus, evidence=evidence,
                        log_or=0.1, function="", activity_value=None, allele_name=allele, eaf=0.3, source="test")


PANEL = Panel("toy", "Toy panel", (
    variant("rs1", "CYP2C19", ref="G", effect="A", other="G", allele="*2", evidence="No function"),
    variant("rs2", "CYP2C19", ref="C", effect="T", other="C", allele="*17", evidence="Increased function"),
    variant("rs3", "CYP2C19", ref="T", effect="T", other="C", allele="*17", evidence="Increased function"),
    variant("rs4", "TCF7L2", ref="", effect="T", other="C", evidence="OR 1.37 per T allele"),
), sha256="0" * 64)
NAMES = ("rs1", "rs2", "rs3", "rs4", "age", "bmi")
W = np.array([0.9, -0.4, -0.2, 0.35, 0.03, 0.08])
BIAS = -3.0


def context() -> ExplainContext:
    rng = np.random.default_rng(0)
    ref = np.column_stack([rng.integers(0, 3, (50, 4)), rng.normal(55, 8, 50), rng.normal(27, 4, 50)])
    return ExplainContext(
        feature_names=NAMES, n_genetic=4, output_names=("response",), panel=PANEL,
        population_mean=np.array([0.3, 0.4, 1.6, 0.6, 55.0, 27.0]),
        ancestry_means={"AFR": np.array([0.1, 0.5, 1.2, 1.1])}, reference_sample=ref,
        covariate_labels={"age": "Age (years)"},
    )


X = np.array([2.0, 1.0, 0.0, 1.0, 62.0, 31.0])
TREAT: tuple[InputOrigin, ...] = ("observed", "observed", "missing", "assumed_reference", "observed", "defaulted")


def test_population_and_ancestry_averages_fill_covariates_from_the_population() -> None:
    ctx = context()
    pop = population_average(ctx)
    np.testing.assert_array_equal(pop.values, ctx.population_mean)
    assert pop.kind == "population_average" and pop.caption.endswith(".") and pop.samples is None
    afr = ancestry_average(ctx, "AFR")
    np.testing.assert_array_equal(afr.values, [0.1, 0.5, 1.2, 1.1, 55.0, 27.0])
    assert "AFR" in afr.caption
    with pytest.raises(ExplainError, match="Ancestry 'EUR' has no reference average; available: AFR"):
        ancestry_average(ctx, "EUR")


def test_all_reference_counts_the_effect_allele_when_it_is_the_ref_base() -> None:
    base = all_reference(context(), build="GRCh38")
    np.testing.assert_array_equal(base.values, [0.0, 0.0, 2.0, 0.0, 55.0, 27.0])
    assert len(base.notes) == 1 and "rs4" in base.notes[0]  # REF not given by the panel
    assert "GRCh38 reference base" in base.caption


def test_all_reference_handles_cyp3a5_rs776746_whose_grch37_ref_is_the_effect_allele() -> None:
    panel = load_panel("pharmacogenomics")
    n = len(panel.variants)
    ctx = ExplainContext(feature_names=tuple(v.id for v in panel.variants), n_genetic=n, output_names=("x",),
                         panel=panel, population_mean=np.zeros(n), ancestry_means={},
                         reference_sample=np.zeros((1, n)))
    i = [v.id for v in panel.variants].index("rs776746")
    assert all_reference(ctx, build="GRCh37").values[i] == 2.0  # GRCh37 REF C = effect C (*3)
    assert all_reference(ctx, build="GRCh38").values[i] == 0.0  # GRCh38 REF T = *1


def test_distribution_and_relative_baselines() -> None:
    ctx = context()
    dist = reference_distribution(ctx, n=10, seed=1)
    assert dist.samples is not None and dist.samples.shape == (10, 6)
    np.testing.assert_allclose(dist.values, dist.samples.mean(axis=0))
    assert "10 people" in dist.caption
    np.testing.assert_array_equal(reference_distribution(ctx, n=10, seed=1).samples, dist.samples)
    rel = relative(ctx, X, who="the mother (NA12892)")
    assert rel.caption.startswith("Compared with the mother (NA12892)")
    with pytest.raises(ExplainError, match="has shape \\(5,\\); the model has 6 inputs"):
        relative(ctx, X[:5], who="the father")
    with pytest.raises(ExplainError, match="missing or infinite values at rs2"):
        relative(ctx, np.where(np.arange(6) == 1, np.nan, X), who="the father")


def test_gene_ledger_adds_up_exactly_and_carries_evidence_and_treatment() -> None:
    ctx = context()
    base = population_average(ctx)
    a = attribute(linear_model(W, BIAS), X, baseline=base, target=0, context=ctx)
    led = ledger(a, ctx, origins=TREAT, level="gene")
    assert math.fsum(r.contribution for r in led.rows) == pytest.approx(a.delta, abs=1e-12)
    assert led.rows[-1].section == "residual" and led.rows[-1].contribution == pytest.approx(a.residual, abs=1e-12)
    by_label = {r.label: r for r in led.rows}
    cyp = by_label["CYP2C19 (3 variants)"]
    expected = float(W[:3] @ (X[:3] - base.values[:3]))
    assert cyp.contribution == pytest.approx(expected, rel=F32_RTOL)  # float32 model
    assert cyp.features == ("rs1", "rs2", "rs3") and len(cyp.children) == 3
    assert "rs1: No function" in cyp.evidence and "rs2: Increased function" in cyp.evidence
    assert cyp.note == "2 called; 1 missing, population mean used"
    tcf = by_label["TCF7L2 (rs4)"]
    assert tcf.evidence == "rs4: OR 1.37 per T allele" and tcf.origins == ("assumed_reference",)
    bmi = by_label["bmi"]
    assert bmi.section == "clinical" and bmi.note == "not given, a stated reference value used"
    assert bmi.contribution == pytest.approx(0.08 * (31 - 27), rel=F32_RTOL)
    assert by_label["Age (years)"].note == "given"
    body = [abs(r.contribution) for r in led.rows[:-1]]
    assert body == sorted(body, reverse=True)
    assert led.genetics + led.clinical + led.residual == pytest.approx(a.delta, abs=1e-12)
    assert led.prediction_probability == pytest.approx(sigmoid(float(W @ X) + BIAS), rel=F32_RTOL)
    assert probability_path(led)[-1] == pytest.approx(led.prediction_probability, abs=1e-12)
    assert probability_path(led)[0] == pytest.approx(led.baseline_probability, abs=1e-12)


def test_variant_and_allele_levels() -> None:
    ctx = context()
    a = attribute(linear_model(W, BIAS), X, baseline=population_average(ctx), target=0, context=ctx)
    rows = ledger(a, ctx, origins=TREAT, level="variant").rows
    assert len(rows) == 7 and {r.level for r in rows} == {"variant", "clinical", "residual"}
    assert "CYP2C19 *2 (rs1)" in [r.label for r in rows]
    alleles = {r.label: r for r in ledger(a, ctx, origins=TREAT, level="allele").rows}
    assert alleles["CYP2C19 *17"].features == ("rs2", "rs3")
    assert alleles["CYP2C19 *2"].level == "allele"
    assert alleles["TCF7L2 (rs4)"].level == "variant"  # no star-allele name: stays a variant


def test_top_merges_small_genetic_rows_and_keeps_the_sum() -> None:
    ctx = context()
    a = attribute(linear_model(W, BIAS), X, baseline=population_average(ctx), target=0, context=ctx)
    led = ledger(a, ctx, origins=TREAT, level="variant", top=1)
    other = [r for r in led.rows if r.level == "other"]
    assert len(other) == 1 and other[0].label == "Other genetics (3 rows)" and len(other[0].features) == 3
    assert math.fsum(r.contribution for r in led.rows) == pytest.approx(a.delta, abs=1e-12)


def test_residual_row_holds_what_a_nonlinear_model_leaves_unattributed() -> None:
    ctx = context()
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 1)).requires_grad_(False)
    a = attribute(net, X, method="feature_ablation", baseline=population_average(ctx), target=0, context=ctx)
    led = ledger(a, ctx, origins=TREAT)
    assert abs(led.residual) > 1e-6 and led.residual == pytest.approx(a.residual, abs=1e-12)
    assert math.fsum(r.contribution for r in led.rows) == pytest.approx(a.delta, abs=1e-12)
    assert odds_factor(led.rows[0]) == pytest.approx(math.exp(led.rows[0].contribution))


def test_input_treatments_join_genetic_and_clinical_records() -> None:
    got = input_origins(("observed", "observed", "missing", "assumed_reference"), ("age", "bmi"), {"bmi"})
    assert got == TREAT


def test_group_masks_and_ledger_errors() -> None:
    ctx = context()
    mask, names = group_mask(ctx, level="gene")
    assert mask.tolist() == [0, 0, 0, 1, 2, 3] and names == ("CYP2C19", "TCF7L2", "Age (years)", "bmi")
    mask, names = group_mask(ctx, level="section")
    assert mask.tolist() == [0, 0, 0, 0, 1, 1] and names == ("genetics", "clinical factors")
    a = attribute(linear_model(W, BIAS), X, baseline=population_average(ctx), target=0, context=ctx)
    with pytest.raises(ExplainError, match=r"one origin per input \(6\).*unknown \['imputed'\]"):
        ledger(a, ctx, origins=(*TREAT[:5], "imputed"))  # type: ignore[arg-type]
    with pytest.raises(ExplainError, match="must be the panel 'toy' variant ids"):
        ledger(a, dataclasses.replace(ctx, n_genetic=3), origins=TREAT)
    with pytest.raises(ExplainError, match="level 'locus' unknown"):
        ledger(a, ctx, origins=TREAT, level="locus")  # type: ignore[arg-type]
    grouped = attribute(linear_model(W, BIAS), X, baseline=population_average(ctx), target=0, context=ctx,
                        feature_mask=mask, group_names=names)
    with pytest.raises(ExplainError, match="per-input attribution"):
        ledger(grouped, ctx, origins=TREAT)


@pytest.mark.parametrize("level", ["gene", "allele", "variant"])
def test_variants_the_network_does_not_read_are_gathered_in_one_zero_row(level: str) -> None:
    ctx = dataclasses.replace(context(), reads=np.array([True, False, True, False]))
    lin = linear_model(W, BIAS)
    with torch.no_grad():
        lin.weight[0, [1, 3]] = 0.0  # what selection does in training: rs2 and rs4 get weight zero
    a = attribute(lin, X, baseline=population_average(ctx), target=0, context=ctx)
    led = ledger(a, ctx, origins=TREAT, level=level)  # type: ignore[arg-type]
    assert math.fsum(r.contribution for r in led.rows) == pytest.approx(a.delta, abs=1e-12)
    gathered = [r for r in led.rows if r.label.startswith("Not read by the model")]
    assert len(gathered) == 1 and gathered[0].features == ("rs2", "rs4") and gathered[0].contribution == 0.0
    assert gathered[0].label == "Not read by the model (2 variants, weight zero)" and led.rows[-2] is gathered[0]
    others = {f for r in led.rows if r is not gathered[0] for f in r.features}
    assert others == {"rs1", "rs3", "age", "bmi"}  # no other row holds an unread variant
    if level == "gene":
        assert any(r.label == "CYP2C19 (2 variants)" for r in led.rows)  # rs1 and rs3; rs2 is not read
