"""The IWPC warfarin CSV read into a cohort: hand counts made here with the csv module, the published
algorithm by hand, the split and the OLS refit. Skipped when ../shared/datasets/iwpc_warfarin is absent."""

from __future__ import annotations

import csv
import math
from collections import Counter

import numpy as np
import pytest

from genolens.modeling.iwpc import DESIGN_NAMES, design_matrix, iwpc_csv, load_iwpc, parse_age_decades, split_iwpc
from genolens.modeling.warfarin_baselines import IWPC_PHARMACOGENETIC, fit_ols, iwpc_dose

CSV = iwpc_csv()
pytestmark = [pytest.mark.corpus,
              pytest.mark.skipif(CSV is None, reason="../shared/datasets/iwpc_warfarin/iwpc_warfarin.csv is absent")]


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    assert CSV is not None
    with CSV.open(encoding="utf-8-sig", newline="") as handle:
        return [r for r in csv.DictReader(handle) if r["PharmGKB Subject ID"]]


@pytest.fixture(scope="module")
def cohort():  # type: ignore[no-untyped-def]
    assert CSV is not None
    return load_iwpc(CSV)


def _kept(r: dict[str, str]) -> bool:
    """Independent restatement of the inclusion rule: dose, age, height, weight, target not outside 2-3."""
    na = ("", "NA")
    if any(r[c] in na for c in ("Therapeutic Dose of Warfarin", "Age", "Height (cm)", "Weight (kg)")):
        return False
    if r["Target INR"] not in na:
        return 2 <= float(r["Target INR"]) <= 3
    est = r["Estimated Target INR Range Based on Indication"]
    return est in na or est in ("2-3", "2-3.5", "1.7-2.8", "1.7-3.3")


def test_counts_match_a_hand_count_of_the_csv(rows, cohort) -> None:  # type: ignore[no-untyped-def]
    assert len(rows) == 5700
    assert sum(r["Therapeutic Dose of Warfarin"] not in ("", "NA") for r in rows) == 5528  # PROVENANCE.md
    kept = [r for r in rows if _kept(r)]
    assert len(cohort) == len(kept) == 4193
    assert list(cohort.ids) == [r["PharmGKB Subject ID"] for r in kept]
    assert int(cohort.amiodarone.sum()) == sum(r["Amiodarone (Cordarone)"] == "1" for r in kept)
    called_aa = sum(r["VKORC1 -1639 consensus"] == "A/A" for r in kept)
    assert int(np.sum(cohort.vkorc1 == "A/A")) >= called_aa  # imputation only adds
    assert int(np.sum((cohort.vkorc1 == "A/A") & np.array([r["VKORC1 -1639 consensus"] == "A/A" for r in kept]))) \
        == called_aa
    races = Counter(r["Race"] or "Unknown" for r in kept)
    assert {k: int(np.sum(cohort.race == k)) for k in races} == dict(races)


def test_imputation_follows_the_ordered_list_for_each_row(rows, cohort) -> None:  # type: ignore[no-untyped-def]
    kept = [r for r in rows if _kept(r)]
    for r, got in zip(kept, cohort.vkorc1, strict=True):
        want = r["VKORC1 -1639 consensus"]
        if want not in ("A/A", "A/G", "G/G"):
            race_ok = r["Race"] not in ("Black or African American", "Unknown", "")
            r2255, r1173, r1542 = r["VKORC1 2255 consensus"], r["VKORC1 1173 consensus"], r["VKORC1 1542 consensus"]
            lists = ([{"C/C": "G/G", "T/T": "A/A", "C/T": "A/G"}.get(r2255)] if race_ok else []) + \
                [{"C/C": "G/G", "T/T": "A/A", "C/T": "A/G"}.get(r1173)] + \
                ([{"G/G": "G/G", "C/C": "A/A", "C/G": "A/G"}.get(r1542)] if race_ok else [])
            want = next((g for g in lists if g), "unknown")
        assert got == want, r["PharmGKB Subject ID"]


def test_every_distinct_age_bin_parses(rows) -> None:  # type: ignore[no-untyped-def]
    expected = {"10 - 19": 1, "20 - 29": 2, "30 - 39": 3, "40 - 49": 4, "50 - 59": 5, "60 - 69": 6,
                "70 - 79": 7, "80 - 89": 8, "90+": 9}
    seen = {r["Age"] for r in rows}
    assert seen == set(expected) | {"NA"}
    for text, decades in expected.items():
        assert parse_age_decades(text) == decades
    assert math.isnan(parse_age_decades("NA"))


def test_design_matrix_of_two_rows_written_out_by_hand(cohort) -> None:  # type: ignore[no-untyped-def]
    X, names = design_matrix(cohort)
    assert names == DESIGN_NAMES and X.shape == (len(cohort), 17) and X.dtype == np.float64
    first = {n: float(v) for n, v in zip(names, X[0], strict=True)}
    # PA135312261 (first row of the CSV): White, "60 - 69", 193.04 cm, 115.7 kg, *1/*1, A/G, no co-medication
    assert cohort.ids[0] == "PA135312261"
    assert first == {**dict.fromkeys(names, 0.0), "age_decades": 6.0, "height_cm": 193.04, "weight_kg": 115.7,
                     "vkorc1_AG": 1.0}
    # PA135312365: White, "70 - 79", 187.96 cm, 102.1 kg, CYP2C9 *1/*3, VKORC1 G/G, amiodarone 1
    k = int(np.flatnonzero(cohort.ids == "PA135312365")[0])
    other = {n: float(v) for n, v in zip(names, X[k], strict=True)}
    assert other == {**dict.fromkeys(names, 0.0), "age_decades": 7.0, "height_cm": 187.96, "weight_kg": 102.1,
                     "cyp2c9_13": 1.0, "amiodarone": 1.0}


def test_iwpc_algorithm_on_one_patient_by_hand(cohort) -> None:  # type: ignore[no-untyped-def]
    X, names = design_matrix(cohort)
    k = int(np.flatnonzero(cohort.ids == "PA135312365")[0])
    root = 5.6044 - 0.2614 * 7 + 0.0087 * 187.96 + 0.0128 * 102.1 - 0.9357 - 0.5503  # appendix S1e
    assert iwpc_dose(X[k:k + 1], names, IWPC_PHARMACOGENETIC)[0] == pytest.approx(root**2, rel=1e-12)
    assert cohort.dose_mg_week[k] == 33.0


def test_split_is_deterministic_and_80_20_within_each_stratum(cohort) -> None:  # type: ignore[no-untyped-def]
    derivation, validation = split_iwpc(cohort)
    again = split_iwpc(cohort)
    assert np.array_equal(derivation, again[0]) and np.array_equal(validation, again[1])
    assert np.array_equal(derivation, ~validation)
    assert not np.array_equal(validation, split_iwpc(cohort, seed=1)[1])
    for race in set(cohort.race.tolist()):
        for geno in set(cohort.vkorc1.tolist()):
            stratum = (cohort.race == race) & (cohort.vkorc1 == geno)
            assert abs(int(np.sum(validation & stratum)) - 0.2 * int(stratum.sum())) <= 1, (race, geno)


def test_ols_refit_recovers_known_coefficients_exactly() -> None:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(200, 17))
    coef = np.linspace(-1.0, 1.0, 17)
    intercept, fitted = fit_ols(X, 5.0 + X @ coef)
    assert intercept == pytest.approx(5.0, abs=1e-9)
    np.testing.assert_allclose(fitted, coef, rtol=0, atol=1e-9)
