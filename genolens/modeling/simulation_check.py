"""Does a fresh simulated population show the published effects? Marginal odds ratios and frequencies.

On a population drawn with a seed of the caller's choosing (never a training seed), in memory:

* **Per-allele odds ratios.** For every disease-panel variant with a published effect, a logistic
  regression of the outcome on its dosage, adjusted as the published estimates were (age and family
  history for breast cancer, in women; the true model's covariates for coronary artery disease and
  type 2 diabetes), in people of European ancestry. It passes when the fitted odds ratio lies within
  the published 95% CI (where the source gives one) or within 10% of the published point estimate.
* **Frequencies.** Each panel variant's effect-allele frequency per population against the source the
  simulator cites (:func:`~genolens.modeling.allele_frequencies.eaf_source`); within 0.02 passes.
  Variants without a sourced frequency are counted and listed as such, not checked.
* **10-year breast-cancer incidence.** Expected (the true model's 10-year risk of each European woman,
  from the fixed baseline hazard and competing mortality) over observed diagnoses.

Run ``python -m genolens check-simulation --n 500000 --seed S``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from genolens.datamodel import PanelVariant
from genolens.errors import OptionError
from genolens.genome.panel import load_panel
from genolens.modeling.absolute_risk import absolute_risk
from genolens.modeling.allele_frequencies import CIS, DEFAULT_EAF, POP_EAF, eaf_source, target_frequencies
from genolens.modeling.fixed_truth import DISEASES, breast_log_rr, breast_rates
from genolens.modeling.haplotypes import POOL_SIZE, POPULATIONS
from genolens.modeling.outcomes import FOLLOW_UP_YEARS, HIGH_PENETRANCE_SOURCE
from genolens.modeling.simulate import PANELS, draw_population

OR_TOLERANCE = 0.10
"""A fitted odds ratio within this share of the published point estimate passes."""

MIN_CELL = 10
"""An odds ratio is fitted only with at least this many carrier cases, carrier controls and non-carrier cases."""

FREQ_TOLERANCE = 0.02
"""A simulated frequency within this of the cited one passes."""

@dataclass(frozen=True)
class OddsRatioRow:
    outcome: str
    variant: str
    published_or: float
    published_ci: tuple[float, float] | None
    fitted_or: float
    fitted_ci: tuple[float, float]
    carriers: int
    passed: bool


@dataclass(frozen=True)
class FrequencyRow:
    variant: str
    population: str
    source: str
    cited: float | None
    simulated: float
    passed: bool | None
    """None: no sourced frequency to compare with."""


def logistic_fit(y: np.ndarray, design: np.ndarray, *, iterations: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood logistic regression by Newton-Raphson: (coefficients, standard errors).

    ``design`` (n, k) must hold its own intercept column.
    """
    beta = np.zeros(design.shape[1])
    info = np.eye(design.shape[1])
    for _ in range(iterations):
        eta = design @ beta
        p = 1.0 / (1.0 + np.exp(-eta))
        w = p * (1.0 - p)
        info = (design * w[:, None]).T @ design
        step = np.linalg.solve(info, design.T @ (y - p))
        beta = beta + step
        if float(np.max(np.abs(step))) < 1e-9:
            break
    return beta, np.sqrt(np.diag(np.linalg.inv(info)))


def _cited(v: PanelVariant) -> dict[str, float]:
    """The frequencies a variant's simulated allele should show: for a cis-built allele, its total (own site + cis)."""
    if v.id in CIS:
        afr, eas = POP_EAF[v.id]
        return {"EUR": DEFAULT_EAF[v.id], "AFR": afr, "EAS": eas}
    return target_frequencies(v)


def _published(outcome: str, vid: str, log_or: float) -> tuple[float, tuple[float, float] | None]:
    if outcome == "y_breast_cancer" and vid in HIGH_PENETRANCE_SOURCE:
        _gene, point, low, high = HIGH_PENETRANCE_SOURCE[vid]
        return point, (low, high)
    return math.exp(log_or), None


def check_simulation(*, n: int, seed: int, pool: int = POOL_SIZE) -> dict[str, Any]:
    """Draw ``n`` people with ``seed`` and compare their odds ratios, frequencies and incidence with the sources.

    Returns a JSON-able dict: ``odds_ratios`` and ``frequencies`` (rows), ``breast_10y`` (expected,
    observed, E/O in European women) and ``summary`` counts.

    Raises
    ------
    GenoLensError
        When ``n`` is too small to hold European women.
    """
    if n < 1000:
        raise OptionError(f"A simulation check needs at least 1,000 people, got {n}.")
    panels = {p: load_panel(p) for p in PANELS}
    pop = draw_population(n=n, seed=seed, pool=pool, panels=panels)
    eur = pop.ancestry == POPULATIONS.index("EUR")
    women = eur & (pop.covariates["cov_sex"] == 0)
    odds: list[OddsRatioRow] = []
    not_estimable: list[str] = []
    for outcome in DISEASES:
        truth = pop.truth[outcome]
        panel = truth["panel"]
        rows = women if outcome == "y_breast_cancer" else eur
        y = pop.outcomes[outcome][rows].astype(np.float64)
        adjust = ["cov_age", "cov_family_history"] if outcome == "y_breast_cancer" else list(truth["covariates"])
        base = np.column_stack([np.ones(int(rows.sum())), *(pop.covariates[c][rows] for c in adjust)])
        base[:, 1:] -= base[:, 1:].mean(axis=0)  # centred covariates: a better-conditioned Newton start
        index = {v.id: j for j, v in enumerate(panels[panel].variants)}
        published = {**truth["variant_effects"], **truth.get("published_log_or", {})}
        for vid, log_or in published.items():
            g = pop.dosages[panel][rows, index[vid]].astype(np.float64)
            carrier_cases = int(((g > 0) & (y == 1)).sum())
            if min(carrier_cases, int(((g > 0) & (y == 0)).sum()), int(((g == 0) & (y == 1)).sum())) < MIN_CELL:
                not_estimable.append(f"{outcome} {vid}")
                continue
            beta, se = logistic_fit(y, np.column_stack([base, g]))
            point, ci = _published(outcome, vid, float(log_or))
            fitted = math.exp(beta[-1])
            within_ci = ci is not None and ci[0] <= fitted <= ci[1]
            odds.append(OddsRatioRow(outcome, vid, round(point, 4), ci, round(fitted, 4),
                                     (round(math.exp(beta[-1] - 1.96 * se[-1]), 4),
                                      round(math.exp(beta[-1] + 1.96 * se[-1]), 4)),
                                     int((g > 0).sum()), within_ci or abs(fitted / point - 1) <= OR_TOLERANCE))
    freqs: list[FrequencyRow] = []
    seen: set[str] = set()
    for panel in PANELS:
        for j, v in enumerate(panels[panel].variants):
            if v.id in seen:
                continue
            seen.add(v.id)
            target, source = _cited(v), eaf_source(v)
            for a, name in enumerate(POPULATIONS):
                rows = pop.ancestry == a
                simulated = float(pop.dosages[panel][rows, j].mean() / 2)
                sourced = not source[name].startswith("none") and name in target
                cited = target[name] if sourced else None
                freqs.append(FrequencyRow(v.id, name, source[name], cited, round(simulated, 4),
                                          abs(simulated - cited) <= FREQ_TOLERANCE if cited is not None else None))
    truth = pop.truth["y_breast_cancer"]
    incidence, mortality = breast_rates()
    hazard0 = np.asarray(truth["baseline_hazard"]["rates"])
    cov_w = {k: v[women] for k, v in pop.covariates.items()}
    lp = breast_log_rr(truth, pop.dosages["breast_cancer"][women], cov_w)
    age = np.floor(cov_w["cov_age"]).astype(np.int64)
    expected = float(absolute_risk(lp, age, age + FOLLOW_UP_YEARS, hazard0=hazard0, incidence=incidence,
                                   mortality=mortality).sum())
    observed = int(pop.outcomes["y_breast_cancer"][women].sum())
    return {
        "n": n, "seed": seed, "pool": pool, "european": int(eur.sum()), "european_women": int(women.sum()),
        "odds_ratios": [asdict(r) for r in odds], "frequencies": [asdict(r) for r in freqs],
        "breast_10y": {"expected": round(expected, 1), "observed": observed,
                       "e_over_o": round(expected / observed, 4) if observed else None},
        "not_estimable": not_estimable,
        "summary": {
            "odds_ratios": len(odds), "odds_ratios_not_estimable": len(not_estimable),
            "odds_ratios_passed": sum(r.passed for r in odds),
            "frequencies_checked": sum(r.passed is not None for r in freqs),
            "frequencies_passed": sum(bool(r.passed) for r in freqs),
            "frequencies_unsourced": sum(r.passed is None for r in freqs)},
    }


def summary_lines(result: Mapping[str, Any]) -> list[str]:
    """The check in words: counts, then every failing row."""
    s = result["summary"]
    b = result["breast_10y"]
    lines = [f"fresh population: n {result['n']:,}, seed {result['seed']}, European women {result['european_women']:,}",
             f"per-allele odds ratios within the published 95% CI or {OR_TOLERANCE:.0%} of the point estimate: "
             f"{s['odds_ratios_passed']}/{s['odds_ratios']} ({s['odds_ratios_not_estimable']} with fewer than "
             f"{MIN_CELL} carrier cases, carrier controls or non-carrier cases: not fitted)",
             f"frequencies within {FREQ_TOLERANCE} of the cited source: {s['frequencies_passed']}/"
             f"{s['frequencies_checked']} ({s['frequencies_unsourced']} population-variant pairs have no source)",
             f"breast cancer within {FOLLOW_UP_YEARS} years, European women: expected {b['expected']}, observed "
             f"{b['observed']}, E/O {b['e_over_o']}"]
    for r in result["odds_ratios"]:
        if not r["passed"]:
            lines.append(f"  OR miss {r['outcome']} {r['variant']}: published {r['published_or']} "
                         f"{r['published_ci'] or ''}, fitted {r['fitted_or']} {r['fitted_ci']} "
                         f"({r['carriers']} carriers)")
    for r in result["frequencies"]:
        if r["passed"] is False:
            lines.append(f"  frequency miss {r['variant']} {r['population']}: cited {r['cited']}, "
                         f"simulated {r['simulated']}")
    return lines
