"""The breast-cancer bundle's absolute risks: shipped reference and hazard, known answers, men, age counted once."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from genolens.modeling.absolute_reference import (
    ABSOLUTE_FILE,
    AGE_HELD,
    REFERENCE_SEED,
    breast_engine,
    log_rr,
    reference_hazard_again,
    risks_for,
    write_absolute_reference,
)
from genolens.modeling.absolute_risk import LIFETIME_END_AGE
from genolens.modeling.architecture import member_logits
from genolens.modeling.bundle import Bundle, load_bundle
from genolens.modeling.incidence import breast_cancer_rates

BREAST = Path(__file__).resolve().parents[2] / "models" / "breast_cancer" / "2.0.0"
needs_bundle = pytest.mark.skipif(not (BREAST / ABSOLUTE_FILE).is_file(), reason="breast-cancer bundle not installed")
pytestmark = needs_bundle


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    return load_bundle(BREAST)


def _by_hand(lp: float, a: int, b: int, hazard0: np.ndarray) -> float:
    """The risk of diagnosis in [a, b) year by year, written out in plain Python (iCARE's sum, no numpy)."""
    incidence, mortality = breast_cancer_rates()
    r = math.exp(lp)
    risk, survived = 0.0, 0.0  # survived: cumulative all-cause hazard since age a
    for t in range(a, b):
        h = float(hazard0[t - incidence.first_age]) * r
        risk += h * math.exp(-survived)
        survived += h + float(mortality.rates[t - mortality.first_age])
    return risk


def test_the_shipped_hazard_is_the_one_the_shipped_reference_and_rates_give(bundle: Bundle) -> None:
    shipped, again = reference_hazard_again(bundle)
    assert shipped.shape == again.shape == breast_cancer_rates()[0].rates.shape
    np.testing.assert_allclose(shipped, again, rtol=1e-10, atol=0)


def test_a_woman_at_the_reference_median_has_ratio_one_and_the_50th_percentile(bundle: Bundle) -> None:
    engine = breast_engine(bundle)
    assert engine is not None
    median = float(np.median(engine.reference_log_rr))  # between the two middle women (10,000: an even number)
    middle = np.sort(engine.reference_log_rr)[len(engine.reference_log_rr) // 2 - 1:][:2]
    within = math.expm1(float(middle[1] - middle[0])) + 1e-9  # the typical woman is one of the two middle ones
    got = risks_for(engine, median, sex="female", age=40.0)
    assert [r.horizon for r in got.risks] == ["10-year", "to age 80"] and got.note == ""
    for r, end in zip(got.risks, (50, LIFETIME_END_AGE), strict=True):
        assert (r.age_from, r.age_to) == (40, end)
        # the typical woman is one of the two middle reference women: the ratio is within their gap of 1
        assert abs(r.ratio - 1.0) <= within and abs(r.risk / r.typical_risk - 1.0) <= within
        assert r.percentile == pytest.approx(50.0, abs=0.01)
        assert r.risk == pytest.approx(_by_hand(median, 40, end, engine.hazard0), rel=1e-12)
        assert r.comparison == "the median woman aged 40 in the reference population of US women"


def test_a_high_risk_woman_gets_the_risk_computed_by_hand_and_her_share_below(bundle: Bundle) -> None:
    engine = breast_engine(bundle)
    assert engine is not None
    ref = engine.reference_log_rr
    lp = float(np.quantile(ref, 0.97))
    got = risks_for(engine, lp, sex="female", age=52.6)  # 52 completed years
    ten, life = got.risks
    assert (ten.age_from, ten.age_to, life.age_to) == (52, 62, 80)
    assert ten.risk == pytest.approx(_by_hand(lp, 52, 62, engine.hazard0), rel=1e-12)
    assert life.risk == pytest.approx(_by_hand(lp, 52, 80, engine.hazard0), rel=1e-12)
    share = 100.0 * (np.sum(ref < lp) + 0.5 * np.sum(ref == lp)) / len(ref)
    assert ten.percentile == pytest.approx(share, abs=1e-9) and 96.5 < ten.percentile < 97.5
    assert ten.ratio > 1.5 and ten.ratio == pytest.approx(ten.risk / ten.typical_risk)
    assert any("SEER" in s for s in ten.sources) and any("CDC WONDER" in s for s in ten.sources)


def test_men_patients_without_sex_or_age_and_ages_beyond_the_tables_get_no_number_but_a_reason(
        bundle: Bundle) -> None:
    engine = breast_engine(bundle)
    assert engine is not None
    man = risks_for(engine, 0.0, sex="male", age=50.0)
    assert man.risks == () and "No absolute risk of breast cancer is given for men" in man.note
    assert "rates GenoLens ships are for women" in man.note
    assert risks_for(engine, 0.0, sex=None, age=50.0).risks == ()
    assert "sex not given" in risks_for(engine, 0.0, sex=None, age=50.0).note
    no_age = risks_for(engine, 0.0, sex="female", age=None)
    assert no_age.risks == () and "age not given" in no_age.note
    old = risks_for(engine, 0.0, sex="female", age=78.0)  # to 80: yes; 10 years would run past the tables
    assert [r.horizon for r in old.risks] == ["to age 80"] and old.note.startswith("No 10-year risk: ")


def test_age_is_counted_once_the_network_adds_age_linearly_so_the_held_age_cancels(bundle: Bundle) -> None:
    rng = np.random.default_rng(3)
    n_gen = bundle.network.n_genetic
    x = np.tile(np.concatenate([bundle.reference.feature_mean, bundle.covariate_mean]), (4, 1)).astype(np.float32)
    x[:, :n_gen] = rng.integers(0, 3, size=(4, n_gen))  # four different genotypes
    age = bundle.covariates.index("cov_age") + n_gen
    if "cov_sex" in bundle.covariates:  # a model for both sexes: held female; a women-only model reads no sex
        x[:, bundle.covariates.index("cov_sex") + n_gen] = 0.0

    def logit(at_age: float) -> np.ndarray:
        y = x.copy()
        y[:, age] = at_age
        return member_logits(bundle.weights, bundle.network, y)[:, :, 0].astype(np.float64).mean(axis=0)

    shift = logit(70.0) - logit(40.0)  # (4,): the same for every genotype
    assert np.ptp(shift) < 1e-5 and abs(shift[0]) > 0.1  # age matters, by one constant for all
    y = x.copy()
    y[:, age] = 33.0
    np.testing.assert_allclose(log_rr(bundle, y), logit(AGE_HELD), atol=1e-6)  # the patient's age is replaced


@pytest.mark.slow
def test_the_reference_file_is_rebuilt_by_its_command_to_float32_rounding(bundle: Bundle, tmp_path: Path) -> None:
    copy = tmp_path / "breast_cancer" / "2.0.0"
    shutil.copytree(BREAST, copy)
    (copy / ABSOLUTE_FILE).unlink()
    written = write_absolute_reference(load_bundle(copy), seed=REFERENCE_SEED)
    with np.load(written) as new, np.load(BREAST / ABSOLUTE_FILE) as shipped:
        # the network runs in float32, whose last bits differ between CPUs (on an AMD EPYC, 2,254 of the 10,000 log
        # RRs built here differ from the shipped ones, made on another machine, by at most 6.9e-7 relative: a few
        # float32 ulps of sums taken in another order); another seed, panel or weights moves them far more than 1e-5
        np.testing.assert_allclose(new["reference_log_rr"], shipped["reference_log_rr"], rtol=1e-5, atol=0)
        np.testing.assert_allclose(new["hazard0"], shipped["hazard0"], rtol=1e-5)
