"""Warfarin dose use case, no VCF: race/enzyme-inducer details, genotype coding, the algorithm's exact split, IG."""

from __future__ import annotations

import itertools
import tomllib

import numpy as np
import pytest
import torch
from torch import nn

from genolens.datamodel import Baseline
from genolens.datamodel.clinical import details_record, patient_details
from genolens.errors import PatientDetailsError
from genolens.explain import attribute
from genolens.modeling.iwpc import DESIGN_NAMES
from genolens.modeling.warfarin_baselines import INTERCEPT, IWPC_PHARMACOGENETIC, iwpc_dose
from genolens.modeling.warfarin_model import clinical_baseline
from genolens.workflows.warfarin import (
    FACTORS,
    cyp2c9_diplotype,
    design_row,
    factor_mask,
    iwpc_contributions,
    vkorc1_genotype,
)
from tests.factories import ROOT

CARD = tomllib.loads((ROOT / "models" / "warfarin_dose" / "1.0.0" / "card.toml").read_text(encoding="utf-8"))
BASE = np.asarray(CARD["explain"]["baseline"]["values"], dtype=np.float64)


def test_race_is_a_word_and_enzyme_inducer_a_yes_no() -> None:
    d = patient_details({"race": "  black or african  american ", "enzyme_inducer": "yes", "sex": "male"})
    assert d.race == "Black or African American" and d.values == {"enzyme_inducer": 1.0}
    assert patient_details(details_record(d)) == d
    assert patient_details({"race": "Other or mixed"}).race == "other or mixed"
    assert patient_details({}).race is None and patient_details({"race": ""}).race is None
    with pytest.raises(PatientDetailsError, match="Race 'Hispanic' not understood"):
        patient_details({"race": "Hispanic"})
    with pytest.raises(PatientDetailsError, match="not yes or no"):
        patient_details({"enzyme_inducer": "sometimes"})


@pytest.mark.parametrize(("star2", "star3", "expected"), [
    (0, 0, "*1/*1"), (1, 0, "*1/*2"), (0, 1, "*1/*3"), (2, 0, "*2/*2"), (1, 1, "*2/*3"), (0, 2, "*3/*3"),
    (None, 0, "unknown"), (0, None, "unknown"), (2, 1, "unknown"),
])
def test_cyp2c9_diplotype_from_the_star2_and_star3_counts(star2: int | None, star3: int | None,
                                                          expected: str) -> None:
    assert cyp2c9_diplotype(star2, star3) == expected


def test_vkorc1_genotype_from_the_count_of_a() -> None:
    assert [vkorc1_genotype(c) for c in (0, 1, 2, None)] == ["G/G", "A/G", "A/A", "unknown"]


def test_design_row_in_the_iwpc_coding_by_hand() -> None:
    x = dict(zip(DESIGN_NAMES, design_row(age_years=67.9, height_cm=170, weight_kg=80, race="Asian", cyp2c9="*2/*3",
                                          vkorc1="unknown", enzyme_inducer=True, amiodarone=False), strict=True))
    assert {k: v for k, v in x.items() if v} == {"age_decades": 6.0, "height_cm": 170.0, "weight_kg": 80.0,
                                                "vkorc1_unknown": 1.0, "cyp2c9_23": 1.0, "asian": 1.0,
                                                "enzyme_inducer": 1.0}
    old = design_row(age_years=96, height_cm=150, weight_kg=50, race="White", cyp2c9="*1/*1", vkorc1="G/G",
                     enzyme_inducer=False, amiodarone=True)
    assert old[0] == 9.0 and old[3:15].sum() == 0 and old[16] == 1.0  # 90+ is the ninth decade bin


def test_the_baseline_is_the_mean_patient_with_reference_genotypes() -> None:
    X = np.array([[5.0, 160, 70, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1],
                  [7.0, 180, 90, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0]], dtype=float)
    b = clinical_baseline(X, DESIGN_NAMES)
    assert b.tolist() == [6.0, 170, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0, 0, 0.5, 0.5]


def _random_patients(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = [design_row(age_years=rng.uniform(20, 95), height_cm=rng.uniform(150, 200), weight_kg=rng.uniform(45, 130),
                       race=str(rng.choice(["White", "Asian", "Black or African American", "other or mixed"])),
                       cyp2c9=str(rng.choice(["*1/*1", "*1/*2", "*1/*3", "*2/*2", "*2/*3", "*3/*3", "unknown"])),
                       vkorc1=str(rng.choice(["G/G", "A/G", "A/A", "unknown"])),
                       enzyme_inducer=bool(rng.random() < 0.3), amiodarone=bool(rng.random() < 0.3))
            for _ in range(n)]
    return np.array(rows)


def test_the_algorithms_contributions_add_up_and_equal_the_closed_form_shapley_split() -> None:
    X = _random_patients(40, seed=3)
    phi = iwpc_contributions(X, BASE)
    d_x = iwpc_dose(X, DESIGN_NAMES, IWPC_PHARMACOGENETIC)
    d_b = iwpc_dose(BASE[None], DESIGN_NAMES, IWPC_PHARMACOGENETIC)[0]
    np.testing.assert_allclose(phi.sum(axis=1), d_x - d_b, rtol=0, atol=1e-9)
    # (s_b + sum_g t_g)**2 - s_b**2 split by Shapley: t_g * (s_x + s_b) (derived by hand; no clipping here)
    beta = np.array([IWPC_PHARMACOGENETIC[n] for n in DESIGN_NAMES])
    s_b, s_x = IWPC_PHARMACOGENETIC[INTERCEPT] + BASE @ beta, IWPC_PHARMACOGENETIC[INTERCEPT] + X @ beta
    mask = factor_mask()
    t = np.stack([((X - BASE) * beta)[:, mask == g].sum(axis=1) for g in range(len(FACTORS))], axis=1)
    np.testing.assert_allclose(phi, t * (s_x + s_b)[:, None], rtol=1e-10, atol=1e-10)


def test_a_factor_the_patient_shares_with_the_baseline_gets_nothing() -> None:
    x = BASE.copy()
    x[DESIGN_NAMES.index("amiodarone")] = 1.0
    phi = iwpc_contributions(x, BASE)
    names = [f for f, _ in FACTORS]
    assert phi[names.index("Amiodarone")] == pytest.approx(
        iwpc_dose(x[None], DESIGN_NAMES, IWPC_PHARMACOGENETIC)[0]
        - iwpc_dose(BASE[None], DESIGN_NAMES, IWPC_PHARMACOGENETIC)[0], abs=1e-12)
    assert np.abs(np.delete(phi, names.index("Amiodarone"))).max() < 1e-12


def test_the_factor_mask_covers_every_input_once() -> None:
    cols = list(itertools.chain.from_iterable(c for _, c in FACTORS))
    assert sorted(cols) == sorted(DESIGN_NAMES) and len(cols) == len(DESIGN_NAMES)


def test_ig_on_the_linear_sqrt_scale_ols_refit_is_coefficient_times_difference() -> None:
    ols = CARD["ols_refit"]
    coef = np.array([ols["coefficients"][n] for n in DESIGN_NAMES], dtype=np.float64)
    linear = nn.Linear(len(DESIGN_NAMES), 1).double()
    with torch.no_grad():
        linear.weight.copy_(torch.as_tensor(coef[None]))
        linear.bias.fill_(ols["intercept"])
    base = Baseline(kind="population_average", values=BASE, samples=None, caption="derivation mean, all *1")
    for x in _random_patients(5, seed=11):
        a = attribute(linear, x, baseline=base, target=0)
        expected = coef * (x - BASE)
        np.testing.assert_allclose(a.values, expected, rtol=1e-6, atol=1e-12 * np.abs(expected).max())
        assert abs(a.residual) <= 1e-6 * abs(a.prediction_logit - a.baseline_logit)
