"""Pure functions of the warfarin data preparation and baselines, on values written out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from genolens.errors import CohortError
from genolens.modeling.iwpc import impute_rs9923231, parse_age_decades, parse_cyp2c9, parse_race, target_inr_band
from genolens.modeling.warfarin_baselines import IWPC_CLINICAL, dose_metrics, fixed_dose, iwpc_dose, ols_dose


def _row(vkorc1: str = "NA", r2255: str = "NA", r1173: str = "NA", r1542: str = "NA") -> dict[str, str]:
    return {"VKORC1 -1639 consensus": vkorc1, "VKORC1 2255 consensus": r2255, "VKORC1 1173 consensus": r1173,
            "VKORC1 1542 consensus": r1542}


def test_age_bins_and_refusal() -> None:
    assert parse_age_decades("10 - 19") == 1 and parse_age_decades("90+") == 9 and parse_age_decades("0 - 9") == 0
    assert math.isnan(parse_age_decades("")) and math.isnan(parse_age_decades("NA"))
    with pytest.raises(CohortError):
        parse_age_decades("old")


def test_race_and_cyp2c9_coding() -> None:
    assert parse_race("") == "Unknown" and parse_race("Asian") == "Asian"
    assert parse_cyp2c9("*1/*11") == "unknown" and parse_cyp2c9("NA") == "unknown" and parse_cyp2c9("*2/*3") == "*2/*3"


def test_imputation_order_and_race_condition() -> None:
    assert impute_rs9923231(_row("A/A", r2255="C/C"), "White") == "A/A"  # a call is never overridden
    assert impute_rs9923231(_row(r2255="C/C", r1173="T/T"), "White") == "G/G"  # rs2359612 first
    assert impute_rs9923231(_row(r2255="C/C", r1173="T/T"), "Black or African American") == "A/A"
    assert impute_rs9923231(_row(r1542="C/G"), "Asian") == "A/G"
    assert impute_rs9923231(_row(r1542="C/G"), "Unknown") == "unknown"


def test_target_band() -> None:
    assert target_inr_band("2.5", "NA") is True and target_inr_band("3.5", "2-3") is False
    assert target_inr_band("NA", "1.7-2.8") is True and target_inr_band("NA", "2.5-3.5") is False
    assert target_inr_band("NA", "NA") is None


def test_clinical_algorithm_by_hand_and_clipping() -> None:
    names = ("age_decades", "height_cm", "weight_kg", "asian", "amiodarone", "black", "race_unknown",
             "enzyme_inducer")
    X = np.array([[5.0, 170.0, 70.0, 1.0, 0.0, 0.0, 0.0, 0.0], [9.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]])
    root = 4.0376 - 0.2546 * 5 + 0.0118 * 170 + 0.0134 * 70 - 0.6752
    dose = iwpc_dose(X, names, IWPC_CLINICAL)
    assert dose[0] == pytest.approx(root**2, rel=1e-12)
    assert dose[1] == pytest.approx((4.0376 - 0.2546 * 9 - 0.5695) ** 2, rel=1e-12)
    assert iwpc_dose(X, names, {"intercept": -1.0})[0] == 0.0  # negative root clipped before squaring
    assert ols_dose(X[:, :1], 2.0, np.array([-1.0]))[0] == 0.0
    with pytest.raises(CohortError):
        iwpc_dose(X, names[:2], IWPC_CLINICAL)


def test_dose_metrics_by_hand() -> None:
    m = dose_metrics(np.array([30.0, 50.0, 10.0]), np.array([35.0, 40.0, 30.0]))
    assert m["n"] == 3 and m["mae"] == pytest.approx((5 + 10 + 20) / 3)
    assert m["pct_ideal"] == pytest.approx(100 / 3)  # 30 of 35 is within 80-120%; 50 of 40 and 10 of 30 are not
    mean = 35.0
    ss_tot = (35 - mean) ** 2 + (40 - mean) ** 2 + (30 - mean) ** 2
    assert m["r2"] == pytest.approx(1 - (25 + 100 + 400) / ss_tot)
    assert dose_metrics(fixed_dose(2), np.array([35.0, 35.0]))["mae"] == 0.0
