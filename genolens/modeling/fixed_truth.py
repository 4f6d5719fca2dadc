"""The fixed truth of the simulation: what belongs to the disease, set once and kept for every seed.

Simulation v1 re-solved every intercept on each simulated cohort, so the "truth" moved with the seed
and no fixed model could stay calibrated on a fresh one. Here the intercepts and breast cancer's
baseline hazard are computed once from facts alone, never from a simulated cohort:

* **The reference population** (:func:`reference_population`): :data:`REFERENCE_N` people drawn at
  :data:`REFERENCE_SEED`, ancestry shares and covariates as the simulator draws them, and genotypes
  drawn per variant in Hardy-Weinberg from the frequencies the simulator targets
  (:func:`~genolens.modeling.allele_frequencies.target_frequencies`; European where no other is
  stated). Variants are drawn independently: the linkage disequilibrium of the msprime pools depends
  on the seed, the disease does not.
* **Each logistic outcome's intercept** gives its stated prevalence (:data:`PREVALENCE`) in that
  population (:func:`fix_intercepts`).
* **Breast cancer** is a disease of women with an age at onset: each woman's hazard at age ``t`` is
  ``lambda0(t) * exp(lp)`` with ``lp`` her log relative risk (published per-allele log-ORs, family
  history, centred interactions) and other causes of death competing at the all-cause rate.
  ``lambda0`` is derived from the US incidence in women (SEER, as iCARE ships it) and the reference
  European women's ``lp`` by iCARE's fixed point
  (:func:`~genolens.modeling.absolute_risk.baseline_hazard`), so those women reproduce the
  published incidence at every age. Rates beyond the tables' last age (85 incidence, 84 mortality)
  are held at that age's rate (stated in ``truth.json``). The simulated outcome is a diagnosis within
  :data:`FOLLOW_UP_YEARS` years of the current age in a woman free of breast cancer at that age
  (:func:`draw_breast_onsets`); its logit is ``alpha(age) + lp`` (:func:`breast_age_logit`), the
  rare-disease form of the hazard model, which the oracle uses.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np

from genolens.datamodel import Panel
from genolens.modeling.absolute_risk import absolute_risk, baseline_hazard
from genolens.modeling.allele_frequencies import target_frequencies
from genolens.modeling.haplotypes import POPULATIONS
from genolens.modeling.incidence import RateTable, breast_cancer_rates
from genolens.modeling.logistic import sigmoid
from genolens.modeling.outcomes import (
    ANCESTRY_SHARES,
    FOLLOW_UP_YEARS,
    HIGH_PENETRANCE_LOG_OR,
    PREVALENCE,
    Truth,
    draw_covariates,
    fit_intercept,
    oracle_logit,
    outcome_models,
)

REFERENCE_N = 100_000
"""People in the reference population the intercepts and the baseline hazard are set on."""

REFERENCE_SEED = 20261205
"""Seed of the reference population (never a cohort's seed)."""

LAST_AGE = 100
"""Rates are extended to this age (the oldest simulated woman is 85 and followed 10 years)."""

BREAST = "y_breast_cancer"


def _extended(table: RateTable) -> RateTable:
    """The table with its last rate held to :data:`LAST_AGE`."""
    extra = max(0, LAST_AGE - table.last_age)
    rates = np.concatenate([table.rates, np.full(extra, table.rates[-1])])
    return RateTable(first_age=table.first_age, rates=rates,
                     source=f"{table.source}; ages after {table.last_age} held at the age-{table.last_age} rate")


def breast_rates() -> tuple[RateTable, RateTable]:
    """US women's breast-cancer incidence and all-cause mortality, extended to :data:`LAST_AGE`."""
    incidence, mortality = breast_cancer_rates()
    return _extended(incidence), _extended(mortality)


def reference_population(panels: Mapping[str, Panel], reads: set[str], *, n: int = REFERENCE_N,
                         seed: int = REFERENCE_SEED) -> tuple[np.ndarray, dict[str, np.ndarray],
                                                               dict[str, np.ndarray]]:
    """Ancestry (int8 index into POPULATIONS), dosages per panel (int8, panel order) and covariates.

    Only the variants in ``reads`` are drawn (the others stay 0: no true model reads them).
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    shares = np.array([ANCESTRY_SHARES[p] for p in POPULATIONS])
    ancestry = rng.choice(len(POPULATIONS), size=n, p=shares / shares.sum()).astype(np.int8)
    variants = {v.id: v for name in sorted(panels) for v in panels[name].variants if v.id in reads}
    drawn = {}
    for vid in sorted(variants):
        target = target_frequencies(variants[vid])
        p = np.array([target.get(pop, target["EUR"]) for pop in POPULATIONS])[ancestry]
        drawn[vid] = rng.binomial(2, p).astype(np.int8)
    dosages = {}
    for name in sorted(panels):
        x = np.zeros((n, len(panels[name].variants)), dtype=np.int8)
        for j, v in enumerate(panels[name].variants):
            if v.id in drawn:
                x[:, j] = drawn[v.id]
        dosages[name] = x
    carrier = np.zeros(n, dtype=bool)
    for vid in HIGH_PENETRANCE_LOG_OR:
        if vid in drawn:
            carrier |= drawn[vid] > 0
    cov = draw_covariates(rng, np.array(POPULATIONS)[ancestry], carrier)
    return ancestry, dosages, cov


_FIXED: dict[tuple[str, ...], dict[str, dict[str, Any]]] = {}
"""What :func:`fix_intercepts` set, per panel set (names and SHA-256): it is the same every time."""


def truth_models(panels: Mapping[str, Panel]) -> dict[str, Truth]:
    """Every outcome's true model (:func:`~genolens.modeling.outcomes.outcome_models`), intercepts and baseline set."""
    models = outcome_models(panels)
    fix_intercepts(models, panels)
    return models


def fix_intercepts(models: dict[str, dict[str, Any]], panels: Mapping[str, Panel]) -> None:
    """Set every logistic intercept and breast cancer's baseline hazard once, on the reference population."""
    key = tuple(f"{name}:{panels[name].sha256}" for name in sorted(panels))
    if key not in _FIXED:
        _FIXED[key] = _fixed_values(models, panels)
    for name, values in _FIXED[key].items():
        models[name].update(copy.deepcopy(values))


DISEASES: tuple[str, ...] = ("y_breast_cancer", "y_coronary_artery_disease", "y_type_2_diabetes")
"""The disease outcomes: each causal variant's own effect is its published (marginal) per-allele odds ratio."""


def disease_variants(models: Mapping[str, Mapping[str, Any]]) -> frozenset[str]:
    """The variants a true disease model reads (:data:`DISEASES`): simulated apart, out of each other's LD."""
    return read_variants({name: t for name, t in models.items() if name in DISEASES})


def read_variants(models: Mapping[str, Mapping[str, Any]]) -> frozenset[str]:
    """The variants some true model reads: its own effects, interaction partners and derived features' inputs."""
    return frozenset({i for t in models.values() for i in t["variant_effects"]} | {
        i for t in models.values() for term in t["interactions"] for i in (term["a"], term["b"])} | {
        i for t in models.values() for f in t["features"].values()
        for i in ([*f["values"]] if f["kind"] == "activity_deficit" else
                  [g for group in f.get("groups", []) for g in group])})


def _fixed_values(models: dict[str, dict[str, Any]], panels: Mapping[str, Panel]) -> dict[str, dict[str, Any]]:
    ancestry, dosages, cov = reference_population(panels, set(read_variants(models)))
    fixed: dict[str, dict[str, Any]] = {}
    for name, truth in models.items():
        if truth["link"] != "logit":
            continue
        base = oracle_logit({**truth, "intercept": 0.0}, dosages[truth["panel"]], cov)
        fixed[name] = {"intercept": fit_intercept(base, PREVALENCE[name]),
                       "intercept_rule": f"prevalence {PREVALENCE[name]} in the reference population "
                                         f"({REFERENCE_N:,} people, seed {REFERENCE_SEED}); the same for every cohort"}
    if BREAST in models:
        truth = models[BREAST]
        women = (cov["cov_sex"] == 0) & (ancestry == POPULATIONS.index("EUR"))
        lp = breast_log_rr(truth, dosages[truth["panel"]][women], {k: v[women] for k, v in cov.items()})
        incidence, mortality = breast_rates()
        hazard0 = baseline_hazard(incidence, lp)
        values: dict[str, Any] = {
            "baseline_hazard": {"first_age": incidence.first_age, "rates": [float(x) for x in hazard0],
                                "source": incidence.source,
                                "derived": f"iCARE fixed point on the reference population's {int(women.sum()):,} "
                                           f"European women (seed {REFERENCE_SEED})"},
            "mortality": {"first_age": mortality.first_age, "rates": [float(x) for x in mortality.rates],
                          "source": mortality.source},
            "reference_median_lp": float(np.median(lp))}
        values["features"] = {**truth["features"], "breast_age_logit": breast_age_logit({**truth, **values})}
        fixed[BREAST] = values
    return fixed


def breast_log_rr(truth: Mapping[str, Any], x_panel: np.ndarray, covariates: Mapping[str, np.ndarray]) -> np.ndarray:
    """Each woman's log relative risk ``lp``: the true logit without the age term (shape (n,))."""
    without_age = {**truth, "feature_effects": {k: v for k, v in truth["feature_effects"].items()
                                                if k != "breast_age_logit"}, "intercept": 0.0}
    return oracle_logit(without_age, x_panel, covariates)


def _tables(truth: Mapping[str, Any]) -> tuple[np.ndarray, RateTable, RateTable]:
    bh, mo = truth["baseline_hazard"], truth["mortality"]
    hazard0 = np.asarray(bh["rates"], dtype=np.float64)
    incidence = RateTable(first_age=int(bh["first_age"]), rates=hazard0, source=str(bh["source"]))
    mortality = RateTable(first_age=int(mo["first_age"]), rates=np.asarray(mo["rates"], dtype=np.float64),
                          source=str(mo["source"]))
    return hazard0, incidence, mortality


def breast_age_logit(truth: Mapping[str, Any]) -> dict[str, Any]:
    """The ``age_table`` feature ``alpha(age)``: logit of the 10-year risk at the reference median ``lp``, minus it.

    ``alpha(a) + lp`` is then the logit of a woman's risk of diagnosis in ``[a, a + 10)``, exact at the
    median ``lp`` and to first order in ``lp`` around it (the rare-disease form of the hazard model).
    """
    hazard0, incidence, mortality = _tables(truth)
    centre = float(truth["reference_median_lp"])
    ages = np.arange(0, LAST_AGE - FOLLOW_UP_YEARS + 1)
    risk = absolute_risk(np.full(len(ages), centre), ages, ages + FOLLOW_UP_YEARS, hazard0=hazard0,
                         incidence=incidence, mortality=mortality)
    positive = risk > 0  # no incidence before the table's first rates: the logit is -inf there, held at -30
    alpha = np.where(positive, np.log(np.where(positive, risk, 1.0)) - np.log1p(-risk) - centre, -30.0)
    return {"kind": "age_table", "input": "cov_age", "first_age": 0,
            "values": [round(float(a), 6) for a in alpha],
            "description": f"logit of the risk of a breast-cancer diagnosis within {FOLLOW_UP_YEARS} years of this "
                           "age at the reference median log relative risk, minus that median (from the baseline "
                           "hazard and competing mortality)"}


def draw_breast_onsets(rng: np.random.Generator, truth: Mapping[str, Any], x_panel: np.ndarray,
                       covariates: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Draw each woman's age at diagnosis within the follow-up (NaN: none), and the 0/1 outcome.

    Year by year from the current age: within a year of age ``t`` the breast-cancer hazard
    ``lambda0(t) r`` and the all-cause hazard ``m(t)`` are constant; an event happens with
    probability ``1 - exp(-(lambda0 r + m))`` at a uniform time in the year, and is a diagnosis with
    probability ``lambda0 r / (lambda0 r + m)``. Returns (onset age float64 (n,), outcome int8 (n,)).
    """
    hazard0, incidence, mortality = _tables(truth)
    lp = breast_log_rr(truth, x_panel, covariates)
    r = np.exp(lp)
    age = np.asarray(covariates["cov_age"], dtype=np.float64)
    start = np.floor(age).astype(np.int64)
    onset = np.full(len(r), np.nan)
    at_risk = np.ones(len(r), dtype=bool)
    for k in range(FOLLOW_UP_YEARS):
        t = np.minimum(start + k, incidence.last_age)
        h = hazard0[t - incidence.first_age] * r
        m = mortality.rates[np.minimum(t, mortality.last_age) - mortality.first_age]
        event = at_risk & (rng.random(len(r)) < -np.expm1(-(h + m)))
        cancer = event & (rng.random(len(r)) < h / (h + m))
        onset[cancer] = (start + k)[cancer] + rng.random(int(cancer.sum()))
        at_risk &= ~event
    return onset, (~np.isnan(onset)).astype(np.int8)


NOT_APPLICABLE = -1
"""Outcome code of a person the outcome does not apply to (a man's breast cancer); written empty."""


def draw_outcomes(rng: np.random.Generator, models: Mapping[str, Truth], dosages: Mapping[str, np.ndarray],
                  covariates: Mapping[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Draw each outcome from its fixed truth: Bernoulli(sigmoid(logit)), or ages at onset for a hazard.

    ``dosages`` maps panel name -> float array (n, n_variants) in panel order. Returns (outcome -> int8
    (n,) with 0/1 and :data:`NOT_APPLICABLE`, outcome -> float64 (n,) age at onset (NaN: none or not
    applicable), hazard outcomes only).
    """
    out, onsets = {}, {}
    for name, truth in models.items():
        x = dosages[truth["panel"]]
        if truth["link"] == "hazard":
            who = np.ones(x.shape[0], dtype=bool)
            for column, value in truth["population"].items():
                if column.startswith("cov_"):
                    who &= np.asarray(covariates[column]) == value
            onset, y = draw_breast_onsets(rng, truth, x[who], {k: v[who] for k, v in covariates.items()})
            out[name] = np.full(x.shape[0], NOT_APPLICABLE, dtype=np.int8)
            out[name][who] = y
            onsets[name] = np.full(x.shape[0], np.nan)
            onsets[name][who] = onset
            continue
        p = sigmoid(oracle_logit(truth, x, covariates))
        out[name] = (rng.random(p.shape[0]) < p).astype(np.int8)
    return out, onsets
