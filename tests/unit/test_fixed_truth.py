"""Simulation v2's fixed truth: onsets drawn from the hazards, solved main effects, the population check."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from genolens.genome.panel import load_panel
from genolens.modeling.allele_frequencies import target_frequencies
from genolens.modeling.fixed_truth import FOLLOW_UP_YEARS, draw_breast_onsets, truth_models
from genolens.modeling.simulate import PANELS
from genolens.modeling.simulation_check import check_simulation, logistic_fit


@pytest.fixture(scope="module")
def truth() -> dict:
    return truth_models({p: load_panel(p) for p in PANELS})


def test_onsets_follow_the_hazards_in_closed_form(truth: dict) -> None:
    breast = copy.deepcopy(truth["y_breast_cancer"])
    breast["variant_effects"], breast["interactions"] = {}, []  # lp = family history only
    n, age = 200_000, 52
    fh = np.repeat([0.0, 1.0], n // 2)
    x = np.zeros((n, len(breast["panel_variant_ids"])))
    onset, y = draw_breast_onsets(np.random.default_rng(3), breast, x, {"cov_age": np.full(n, float(age)),
                                                                       "cov_family_history": fh})
    h0 = np.asarray(breast["baseline_hazard"]["rates"])[age:age + FOLLOW_UP_YEARS]
    m = np.asarray(breast["mortality"]["rates"])[age:age + FOLLOW_UP_YEARS]
    for value in (0.0, 1.0):
        h = h0 * np.exp(np.log(1.80) * value)
        alive = np.exp(-np.concatenate([[0.0], np.cumsum(h + m)[:-1]]))  # event-free at the start of each year
        exact = float(np.sum(alive * h / (h + m) * -np.expm1(-(h + m))))
        got = y[fh == value].mean()
        assert abs(got - exact) < 4 * np.sqrt(exact * (1 - exact) / (n // 2)), (value, got, exact)
    assert np.all((onset[y == 1] >= age) & (onset[y == 1] < age + FOLLOW_UP_YEARS))
    assert np.isnan(onset[y == 0]).all()


def test_solved_main_effects_give_the_published_marginal_slopes(truth: dict) -> None:
    """Monte Carlo, not the enumeration the solver uses: log E[exp(lp) | g] per genotype, slope per allele."""
    panels = {p: load_panel(p) for p in PANELS}
    for outcome, panel in (("y_coronary_artery_disease", "coronary_artery_disease"),
                           ("y_breast_cancer", "breast_cancer")):
        t = truth[outcome]
        variants = {v.id: v for v in panels[panel].variants}
        members = sorted(t["published_log_or"])
        rng = np.random.default_rng(8)
        n = 2_000_000
        freq = {m: target_frequencies(variants[m])["EUR"] for m in members}
        g = {m: rng.binomial(2, freq[m], n).astype(np.float64) for m in members}
        lp = sum(t["variant_effects"][m] * g[m] for m in members)
        for term in t["interactions"]:
            if term["a"] in g and term["b"] in g:
                lp = lp + term["beta"] * (g[term["a"]] - term["centre_a"]) * (g[term["b"]] - term["centre_b"])
        r = np.exp(lp)
        for m in members:
            levels = np.array([np.log(r[g[m] == k].mean()) for k in range(3)])
            w = np.array([np.mean(g[m] == k) for k in range(3)])
            centred = np.arange(3) - w @ np.arange(3)
            slope = float(w @ (centred * levels) / (w @ centred ** 2))
            assert slope == pytest.approx(t["published_log_or"][m], abs=0.02), (outcome, m)


def test_logistic_fit_equals_the_cross_product_odds_ratio() -> None:
    # a 2x2 table: the fitted log-OR of a binary exposure is log(a d / (b c)) exactly
    a, b, c, d = 120, 380, 60, 440  # exposed cases, exposed controls, unexposed cases, unexposed controls
    g = np.concatenate([np.ones(a + b), np.zeros(c + d)])
    y = np.concatenate([np.ones(a), np.zeros(b), np.ones(c), np.zeros(d)])
    beta, se = logistic_fit(y, np.column_stack([np.ones(len(y)), g]))
    assert beta[1] == pytest.approx(np.log(a * d / (b * c)), abs=1e-9)
    assert se[1] == pytest.approx(np.sqrt(1 / a + 1 / b + 1 / c + 1 / d), abs=1e-9)  # Woolf's standard error


@pytest.mark.slow
def test_the_population_check_reports_every_published_effect(truth: dict) -> None:
    result = check_simulation(n=8000, seed=77, pool=120)  # about 2,400 European women, 70 10-year cases
    rows = result["odds_ratios"]
    published = {(o, v) for o in ("y_breast_cancer", "y_coronary_artery_disease", "y_type_2_diabetes")
                 for v in truth[o]["variant_effects"]}
    assert {(r["outcome"], r["variant"]) for r in rows} <= published
    # every published effect is either fitted or listed as not estimable (rare carriers in 8,000 people)
    assert len(rows) + len(result["not_estimable"]) == len(published) and len(rows) >= 0.5 * len(published)
    fgfr2 = next(r for r in rows if r["variant"] == "rs2981579")
    assert fgfr2["published_or"] == pytest.approx(np.exp(0.2251), abs=1e-3)  # the published, not the solved, OR
    for r in rows:
        low, high = r["fitted_ci"]
        assert low <= r["fitted_or"] <= high
        assert r["passed"] == ((r["published_ci"] is not None and r["published_ci"][0] <= r["fitted_or"]
                                <= r["published_ci"][1]) or abs(r["fitted_or"] / r["published_or"] - 1) <= 0.10)
    s = result["summary"]
    assert s["odds_ratios"] == len(rows) and s["frequencies_checked"] + s["frequencies_unsourced"] == len(
        result["frequencies"])
    assert result["breast_10y"]["observed"] > 0 and 0.5 < result["breast_10y"]["e_over_o"] < 2
