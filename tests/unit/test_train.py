"""Metrics against closed forms, cohort loading, and held-out accuracy of a trained ensemble."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from genolens.errors import CohortError
from genolens.modeling.evaluate import auprc, auroc, brier, calibration, ece, fit_logistic
from genolens.modeling.logistic import sigmoid
from genolens.modeling.networks import RiskNet
from genolens.modeling.train import train_cohort
from genolens.modeling.training_data import load_cohort, split_indices
from tests.factories import FAST, N_SNP, synthetic_cohort, tiny_panel, true_logit, write_cohort_vcf


def oracle(_name: str, g: np.ndarray, cov: Mapping[str, np.ndarray]) -> np.ndarray:
    return true_logit(g, cov)


def test_auroc_equals_mann_whitney_on_a_tiny_example() -> None:
    y = np.array([1, 0, 1, 0, 1, 0])
    s = np.array([0.9, 0.3, 0.3, 0.8, 0.1, 0.3])
    cases, controls = s[y == 1], s[y == 0]
    pairs = [1.0 if a > b else 0.5 if a == b else 0.0 for a, b in itertools.product(cases, controls)]
    assert auroc(y, s) == pytest.approx(sum(pairs) / len(pairs))  # (3 + 1 + 0) / 9
    assert auroc(y, s) == pytest.approx(4 / 9)


def test_auprc_brier_and_ece_by_hand() -> None:
    y, p = np.array([1, 0, 1, 0]), np.array([0.95, 0.85, 0.75, 0.05])
    assert auprc(y, p) == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert brier(y, p) == pytest.approx((0.05**2 + 0.85**2 + 0.25**2 + 0.05**2) / 4)
    # bins: [0.9,1): p .95 y 1 -> .05; [0.8,.9): .85 vs 0 -> .85; [0.7,.8): .75 vs 1 -> .25; [0,.1): .05 vs 0
    assert ece(y, p) == pytest.approx((0.05 + 0.85 + 0.25 + 0.05) / 4)


def test_newton_logistic_matches_the_closed_form_for_one_binary_predictor() -> None:
    x = np.array([0] * 10 + [1] * 10, dtype=np.float64)
    y = np.array([1] * 3 + [0] * 7 + [1] * 6 + [0] * 4, dtype=np.float64)
    intercept, slope = fit_logistic(x[:, None], y)
    assert intercept == pytest.approx(math.log(3 / 7), abs=1e-9)
    assert slope == pytest.approx(math.log(6 / 4) - math.log(3 / 7), abs=1e-9)


def test_calibration_of_a_known_miscalibration() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(0.0, 1.5, 200_000)
    y = (rng.random(len(z)) < sigmoid(0.3 + 0.5 * z)).astype(np.float64)
    slope, intercept = calibration(y, sigmoid(z))
    assert slope == pytest.approx(0.5, abs=0.02) and intercept == pytest.approx(0.3, abs=0.02)


def test_split_is_disjoint_and_complete() -> None:
    idx = split_indices(1000, FAST)
    joined = np.concatenate(list(idx.values()))
    assert sorted(joined.tolist()) == list(range(1000))
    assert len(idx["test"]) == 400 and len(idx["calibration"]) == 200


@pytest.mark.slow  # trains a model
def test_trained_ensemble_is_near_the_oracle_above_the_prs_and_calibrated() -> None:
    cohort = synthetic_cohort(50_000, seed=1)
    result = train_cohort(cohort, FAST, oracle=oracle)
    table = result.metrics["y_disease"]
    net, prs, truth = table["network"]["all"], table["linear_prs"]["all"], table["oracle"]["all"]
    # Independent recomputation from the stored test logits and the known truth.
    test = split_indices(len(cohort.samples), FAST)["test"]
    y = cohort.outcomes[test, 0]
    assert auroc(y, result.test_logits[:, 0]) == pytest.approx(net["auroc"])
    cov = {"age": cohort.covariates[test, 0], "bmi": cohort.covariates[test, 1]}
    assert auroc(y, true_logit(cohort.genetic[test], cov)) == pytest.approx(truth["auroc"])
    assert truth["auroc"] - net["auroc"] < 0.02
    assert net["auroc"] > prs["auroc"] + 0.01
    assert 0.9 <= net["calibration_slope"] <= 1.1
    assert net["ece"] < 0.02
    assert set(table["network"]) == {"all", "AFR", "EUR"}


@pytest.mark.slow  # trains a model
def test_training_is_reproducible_from_its_seed() -> None:
    cohort = synthetic_cohort(3_000, seed=5)
    cfg = replace(FAST, members=2, epochs=3)
    a, b = train_cohort(cohort, cfg), train_cohort(cohort, cfg)
    c = train_cohort(cohort, replace(cfg, seed=1))
    assert np.array_equal(a.test_logits, b.test_logits)
    assert not np.array_equal(a.test_logits, c.test_logits)  # another seed: other resamples and shuffles


@pytest.mark.slow  # trains a model
def test_bootstrap_members_differ_and_use_their_interaction_path() -> None:
    cohort = synthetic_cohort(20_000, seed=2)
    result = train_cohort(cohort, replace(FAST, members=3))
    x = torch.as_tensor(np.hstack([cohort.genetic[:2_000], cohort.covariates[:2_000]]), dtype=torch.float32)
    with torch.no_grad():
        logits = result.ensemble.member_logits(x)[..., 0]  # (members, n)
        inter = torch.stack([m.interaction_out(m.interaction(m.scale(x)[:, :N_SNP]))[:, 0]  # (members, n)
                             for m in result.ensemble.members if isinstance(m, RiskNet)])
    assert inter.shape == (3, 2_000)
    assert float(logits.std(dim=0).mean()) > 0.02  # members fitted to different resamples disagree
    assert float(inter.std(dim=1).min()) > 0.2  # every member learnt the interactions, none kept a silent path


@pytest.mark.slow  # trains a model
def test_without_bootstrap_the_warm_starts_are_identical() -> None:
    cohort = synthetic_cohort(3_000, seed=5)
    result = train_cohort(cohort, replace(FAST, members=2, epochs=0, bootstrap=False))
    state = result.ensemble.state_dict()
    assert torch.equal(state["members.0.additive.weight"], state["members.1.additive.weight"])
    boot = train_cohort(cohort, replace(FAST, members=2, epochs=0)).ensemble.state_dict()
    assert not torch.equal(boot["members.0.additive.weight"], boot["members.1.additive.weight"])


def test_load_cohort_aligns_vcf_samples_with_the_table(tmp_path: Path) -> None:
    panel = tiny_panel(tmp_path, 3)
    d = np.array([[0, 1, 2], [2, np.nan, 0], [1, 1, 1]], dtype=np.float64)
    write_cohort_vcf(tmp_path / "c.vcf", panel, d)
    (tmp_path / "p.csv").write_text("sample,ancestry,age,y_disease\ns2,EUR,60,1\ns0,AFR,50,0\nzz,EUR,1,1\n")
    c = load_cohort(tmp_path / "c.vcf", tmp_path / "p.csv", panel)
    assert c.samples == ("s0", "s2") and c.outcome_names == ("y_disease",) and c.covariate_names == ("age",)
    assert np.array_equal(c.genetic, d[[0, 2]]) and c.covariates[:, 0].tolist() == [50.0, 60.0]
    assert c.ancestry is not None and c.ancestry.tolist() == ["AFR", "EUR"]
    assert c.build == "GRCh38"


def test_load_cohort_refuses_a_variant_no_sample_has(tmp_path: Path) -> None:
    # a stale simulated cohort: its second site was written with other alleles than the panel now has, so no sample
    # has a genotype there; training on it would fit a column of imputed means and say nothing
    panel = tiny_panel(tmp_path, 3)
    d = np.array([[0, 1, 2], [2, 0, 0], [1, 1, 1]], dtype=np.float64)
    write_cohort_vcf(tmp_path / "c.vcf", panel, d)
    loc = panel.variants[1].grch38
    lines = (tmp_path / "c.vcf").read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith(f"{loc.chrom}\t{loc.pos}\t"))
    lines[at] = lines[at].replace(f"\t{loc.other_allele}\t{loc.effect_allele}\t", "\tT\tTTT\t", 1)
    assert "\tT\tTTT\t" in lines[at]
    (tmp_path / "c.vcf").write_text("".join(lines))
    (tmp_path / "p.csv").write_text("sample,age,y_disease\ns0,50,0\ns1,60,1\ns2,55,0\n")
    with pytest.raises(CohortError, match=rf"1 of the 3 variants of panel {panel.name} have no genotype in any sample"
                                          rf".*{panel.variants[1].id} \(.*make models"):
        load_cohort(tmp_path / "c.vcf", tmp_path / "p.csv", panel)
    write_cohort_vcf(tmp_path / "c.vcf", panel, d)  # the same cohort with the panel's alleles loads
    assert np.array_equal(load_cohort(tmp_path / "c.vcf", tmp_path / "p.csv", panel).genetic, d)


def test_curves_of_a_perfect_and_a_useless_score() -> None:
    from genolens.modeling.evaluate import curves

    y = np.array([0, 0, 0, 1, 1, 1], dtype=float)
    perfect = curves(y, np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9]))
    roc = perfect["roc"]
    # some threshold separates the classes exactly: TPR 1 at FPR 0
    assert any(t == 1.0 and f == 0.0 for f, t in zip(roc["fpr"], roc["tpr"], strict=True))
    flat = curves(y, np.full(6, 0.5))
    assert flat["calibration"] == {"predicted": [0.5], "observed": [0.5], "n": [6.0]}
