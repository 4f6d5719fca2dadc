"""The absolute-risk engine on hand-computed cases: tiny rate tables, two-point references, the card result.

Golden values are written out here from the formulas (plain loops, ``math``), not by the module.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from genolens.errors import AbsoluteRiskError
from genolens.modeling.absolute_risk import (
    absolute_risk,
    baseline_hazard,
    breast_cancer_engine,
    partial_profile_risk,
    patient_absolute_risk,
    risk_engine,
)
from genolens.modeling.incidence import RateTable, breast_cancer_rates, read_rate_table
from genolens.modeling.risk_validation import check_on_cohort

RATES = Path(__file__).resolve().parents[1] / "data" / "rates"


@pytest.fixture(scope="module")
def three_ages() -> tuple[RateTable, RateTable]:
    return (read_rate_table(RATES / "three_ages_incidence.csv", source="test"),
            read_rate_table(RATES / "three_ages_mortality.csv", source="test"))


def test_everyone_alike_gets_the_marginal_risk_by_hand(three_ages: tuple[RateTable, RateTable]) -> None:
    incidence, mortality = three_ages
    hazard0 = baseline_hazard(incidence, np.full(7, 0.3))
    np.testing.assert_allclose(hazard0, np.array([0.01, 0.02, 0.03]) * math.exp(-0.3), rtol=1e-12)
    by_hand = 0.01 + 0.02 * math.exp(-0.011) + 0.03 * math.exp(-0.011 - 0.022)
    risk = absolute_risk(np.array([0.3]), 50, 53, hazard0=hazard0, incidence=incidence, mortality=mortality)
    assert risk[0] == pytest.approx(by_hand, abs=1e-15)
    later = absolute_risk(np.array([0.3]), 51, 53, hazard0=hazard0, incidence=incidence, mortality=mortality)
    assert later[0] == pytest.approx(0.02 + 0.03 * math.exp(-0.022), abs=1e-15)  # survival restarts at 51


def test_two_point_reference_baseline_hazard_by_hand(three_ages: tuple[RateTable, RateTable]) -> None:
    incidence, _ = three_ages
    h0, cumulative = [], 0.0
    for rate in (0.01, 0.02, 0.03):  # E[r | disease-free] over r in {1, 2}, equal weights
        s1, s2 = math.exp(-cumulative), math.exp(-2 * cumulative)
        h0.append(rate / ((1 * s1 + 2 * s2) / (s1 + s2)))
        cumulative += h0[-1]
    assert h0[0] == pytest.approx(0.01 / 1.5)
    np.testing.assert_allclose(baseline_hazard(incidence, np.log([1.0, 2.0])), h0, rtol=1e-12)
    weighted = baseline_hazard(incidence, np.log([1.0, 2.0]), np.array([3.0, 1.0]))
    repeated = baseline_hazard(incidence, np.log([1.0, 1.0, 1.0, 2.0]))
    np.testing.assert_allclose(weighted, repeated, rtol=1e-12)


def test_reference_averaged_over_reproduces_the_marginal_incidence(three_ages: tuple[RateTable, RateTable]) -> None:
    incidence, _ = three_ages
    lp = np.random.default_rng(7).normal(0.0, 0.6, 2000)
    hazard0 = baseline_hazard(incidence, lp)
    cumulative = np.concatenate(([0.0], np.cumsum(hazard0)[:-1]))
    survival = np.exp(-np.outer(np.exp(lp), cumulative))  # (n_ref, 3)
    averaged = (survival * np.exp(lp)[:, None]).sum(axis=0) / survival.sum(axis=0) * hazard0
    np.testing.assert_allclose(averaged, incidence.rates, rtol=1e-10)


def test_only_the_position_within_the_reference_matters(three_ages: tuple[RateTable, RateTable]) -> None:
    incidence, mortality = three_ages
    lp = np.random.default_rng(3).normal(0.0, 0.5, 500)
    patients = np.array([-1.0, 0.0, 0.7])
    risks = []
    for shift in (0.0, 5.0, -3.0):
        hazard0 = baseline_hazard(incidence, lp + shift)
        risks.append(absolute_risk(patients + shift, 50, 53, hazard0=hazard0, incidence=incidence,
                                   mortality=mortality))
    np.testing.assert_allclose(risks[1], risks[0], rtol=1e-12)
    np.testing.assert_allclose(risks[2], risks[0], rtol=1e-12)
    assert risks[0][0] < risks[0][1] < risks[0][2]


@pytest.mark.parametrize(("name", "match"), [
    ("age_gap.csv", "consecutive whole years"),
    ("negative_rate.csv", r"rate -0\.02 at age 51 must be a finite number >= 0"),
    ("blank_rate_past_84.csv", "line 3: age '85' and rate ''"),
    ("wrong_header.csv", "exactly the columns age,rate"),
    ("rate_not_a_number.csv", "'1.2e-3x'"),
    ("no_such_file.csv", "Cannot read the rate table"),
])
def test_bad_rate_tables_are_refused_with_the_line(name: str, match: str) -> None:
    with pytest.raises(AbsoluteRiskError, match=match):
        read_rate_table(RATES / name, source="test")


def test_bad_requests_are_refused(three_ages: tuple[RateTable, RateTable]) -> None:
    incidence, mortality = three_ages
    hazard0 = baseline_hazard(incidence, np.zeros(3))
    kw = {"hazard0": hazard0, "incidence": incidence, "mortality": mortality}
    with pytest.raises(AbsoluteRiskError, match="must end after it starts"):
        absolute_risk(np.zeros(1), 52, 52, **kw)
    with pytest.raises(AbsoluteRiskError, match="covers ages 50-52; a risk from age 50 to 54"):
        absolute_risk(np.zeros(1), 50, 54, **kw)
    with pytest.raises(AbsoluteRiskError, match="impute or drop missing values"):
        absolute_risk(np.array([np.nan]), 50, 53, **kw)
    with pytest.raises(AbsoluteRiskError, match="impute or drop missing values"):
        baseline_hazard(incidence, np.array([0.0, np.inf]))
    with pytest.raises(AbsoluteRiskError, match="weights must be 2 finite numbers"):
        baseline_hazard(incidence, np.zeros(2), np.array([1.0, -1.0]))


def test_shipped_rates_cover_the_horizons_offered() -> None:
    incidence, mortality = breast_cancer_rates()
    assert (incidence.first_age, incidence.last_age) == (0, 85)
    assert (mortality.first_age, mortality.last_age) == (0, 84)
    assert incidence.rates[50] == 0.00234053  # age 50, as in the source file
    assert "SEER" in incidence.source and "CDC WONDER" in mortality.source


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    return breast_cancer_engine(np.random.default_rng(11).normal(0.0, 0.5, 4001))


def test_card_for_the_median_woman_is_her_own_comparison(engine) -> None:  # type: ignore[no-untyped-def]
    median = float(np.median(engine.reference_log_rr))
    card = patient_absolute_risk(engine, log_rr=median, age=52.7, horizon="10-year")
    assert (card.age_from, card.age_to) == (52, 62)
    assert card.risk == card.typical_risk and card.ratio == 1.0
    assert card.percentile == pytest.approx(50.0, abs=0.02)
    assert card.outcome == "a diagnosis of breast cancer" and card.horizon == "10-year"
    assert card.comparison == "the median woman aged 52 in the reference population of US women"


def test_card_horizons_and_a_higher_relative_risk(engine) -> None:  # type: ignore[no-untyped-def]
    median = float(np.median(engine.reference_log_rr))
    ten = patient_absolute_risk(engine, log_rr=median + math.log(2.0), age=40, horizon="10-year")
    life = patient_absolute_risk(engine, log_rr=median + math.log(2.0), age=40, horizon="to age 80")
    assert (life.age_from, life.age_to) == (40, 80)
    assert ten.risk < life.risk
    assert 1.9 < ten.ratio < 2.0  # twice the hazard; a little less than twice the risk (she leaves the risk set)
    assert life.ratio < ten.ratio  # depletion matters more over 40 years
    assert ten.percentile == pytest.approx(100.0 * float(np.mean(engine.reference_log_rr < median + math.log(2))))


def test_card_risk_of_an_average_woman_by_hand() -> None:
    """Everyone alike: the 10-year risk from 50 is the marginal one, summed here from the shipped rates."""
    incidence, mortality = breast_cancer_rates()
    engine = risk_engine(np.zeros(10), outcome="a diagnosis of breast cancer", population="US women",
                         incidence=incidence, mortality=mortality)
    risk, gone = 0.0, 0.0
    for age in range(50, 60):
        risk += incidence.rates[age] * math.exp(-gone)
        gone += incidence.rates[age] + mortality.rates[age]
    card = patient_absolute_risk(engine, log_rr=0.0, age=50, horizon="10-year")
    assert card.risk == pytest.approx(risk, rel=1e-12)
    assert 0.02 < card.risk < 0.03  # about 1 in 40 US women aged 50 is diagnosed by 60


@pytest.mark.parametrize(("age", "horizon", "match"), [
    (80, "to age 80", "needs a patient younger than 80"),
    (76.5, "10-year", "mortality table covers ages 0-84; a risk from age 76 to 86"),
    (0.5, "10-year", "no risk of a diagnosis of breast cancer between ages 0 and 10"),
    (float("nan"), "10-year", "not a usable age"),
    (50, "5-year", "Horizon '5-year' unknown. Choose from: 10-year, to age 80"),
])
def test_card_refuses_what_it_cannot_give(engine, age: float, horizon: str, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AbsoluteRiskError, match=match):
        patient_absolute_risk(engine, log_rr=0.0, age=age, horizon=horizon)  # type: ignore[arg-type]


def test_partial_profile_averages_its_reference_stratum() -> None:
    """Reference 0.000 ... 0.999: percentile cut-points floored to 3 decimals, so 0.5 falls in [0.499, 0.509)."""
    reference = np.arange(1000) / 1000.0
    assert partial_profile_risk(0.5, reference, reference) == pytest.approx(np.mean(np.arange(499, 509)) / 1000.0)
    nothing_seen = np.zeros(1000)  # no input observed: every reference woman is comparable
    risks = np.linspace(0.01, 0.2, 1000)
    assert partial_profile_risk(0.0, nothing_seen, risks) == pytest.approx(risks.mean())
    with pytest.raises(AbsoluteRiskError, match="one per reference person"):
        partial_profile_risk(0.0, nothing_seen, risks[:10])


def test_cohort_check_by_hand(three_ages: tuple[RateTable, RateTable]) -> None:
    incidence, mortality = three_ages
    hazard0 = baseline_hazard(incidence, np.zeros(3))
    lp = np.array([0.0, 0.2, 0.4, 0.6])
    onset = np.array([np.inf, np.inf, 1.5, 5.0])  # the last onset falls after exit: not a case
    check = check_on_cohort(lp, np.full(4, 50), np.full(4, 53), np.array([0, 0, 1, 1]), onset,
                            hazard0=hazard0, incidence=incidence, mortality=mortality)
    risks = [sum(0.01 * (1, 2, 3)[k] * math.exp(x) * math.exp(-sum(0.01 * (1, 2, 3)[j] * math.exp(x)
                                                                      + 0.001 * (1, 2, 3)[j] for j in range(k)))
                 for k in range(3)) for x in lp]
    assert check.cases == 1 and check.observed == 0.25
    assert check.expected == pytest.approx(sum(risks) / 4, rel=1e-12)
    assert check.expected_by_observed == pytest.approx(sum(risks) / 4 / 0.25, rel=1e-12)
    assert check.auc == pytest.approx(2 / 3)  # the case outranks two of the three others
    with pytest.raises(AbsoluteRiskError, match="Nobody in the cohort was diagnosed"):
        check_on_cohort(lp, np.full(4, 50), np.full(4, 53), np.zeros(4), onset, hazard0=hazard0,
                        incidence=incidence, mortality=mortality)


def test_the_engine_runs_without_pyicare_or_patsy() -> None:
    """py-icare (and its patsy) are the known answer in tests only; the product never imports them."""
    code = ("import sys, genolens.modeling.absolute_risk, genolens.modeling.incidence, "
            "genolens.modeling.risk_validation; print(sorted({'icare', 'patsy', 'pandas'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
