"""Absolute risk of diagnosis over an age interval from a relative risk, incidence and competing mortality.

The method is iCARE's (Pal Choudhury et al., PLoS One 2020;15:e0228198; the R package iCARE and
its Python port py-icare, which the tests hold this module to). A risk model gives each woman a
relative risk ``r = exp(lp)`` (``lp`` a log relative risk, e.g. a bundle's log-odds); the disease
hazard at age ``t`` is ``lambda0(t) * r`` and other causes of death act at the marginal all-cause
rate ``m(t)``. ``lambda0`` is not the hazard of any real person: it is derived from the
*marginal* incidence ``lambda(t)`` of the population and the reference distribution of ``lp`` in
that population, so that the reference population, averaged over its relative risks, reproduces
the published incidence at every age:

    lambda0(t) = lambda(t) / E[r | disease-free at t],
    E[r | disease-free at t] = sum_i w_i r_i S_i(t) / sum_i w_i S_i(t),
    S_i(t) = exp(-r_i * sum_{u < t} lambda0(u)),

solved by fixed-point iteration from the first age of the incidence table. Only ``lp``'s position
within the reference distribution matters (adding a constant to every ``lp`` leaves every risk
unchanged), which is how a relative risk is centred. The risk of diagnosis in ``[a, b)`` (whole
years, rates constant within a year of age, as iCARE computes it) is

    risk = sum_{t=a}^{b-1} lambda0(t) r exp(-sum_{u=a}^{t-1} (lambda0(u) r + m(u))).

No Streamlit, no I/O: rate tables come from :mod:`genolens.modeling.incidence`; the check on a
followed cohort (E/O, AUC) is :mod:`genolens.modeling.risk_validation`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from genolens.errors import AbsoluteRiskError
from genolens.modeling.incidence import RateTable, breast_cancer_rates

Horizon = Literal["10-year", "to age 80"]
"""How far ahead a risk looks: the next 10 years from the current age, or from it to the 80th birthday."""

HORIZONS: tuple[Horizon, ...] = ("10-year", "to age 80")
LIFETIME_END_AGE = 80
"""The age a lifetime risk runs to (CanRisk and iCARE report lifetime risk to 80)."""

_FIXED_POINT_TOL = 1e-13
_FIXED_POINT_MAX_ITER = 10_000


def _weights(weights: np.ndarray | None, n: int) -> np.ndarray:
    """Reference weights normalised to sum 1 (equal when None)."""
    if weights is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise AbsoluteRiskError(f"Reference weights must be {n} finite numbers >= 0 with a positive sum "
                                f"(got shape {w.shape}).")
    return np.asarray(w / w.sum(), dtype=np.float64)


def _log_rr(values: np.ndarray, what: str) -> np.ndarray:
    """A 1-D float64 copy of log relative risks, refused when empty or not finite."""
    lp = np.asarray(values, dtype=np.float64).reshape(-1)
    if lp.size == 0 or not np.all(np.isfinite(lp)):
        bad = lp[~np.isfinite(lp)][:3] if lp.size else "none"
        raise AbsoluteRiskError(f"The {what} log relative risks must be finite numbers (found {bad}); "
                                "impute or drop missing values before asking for an absolute risk.")
    return lp


def baseline_hazard(incidence: RateTable, reference_log_rr: np.ndarray,
                    reference_weights: np.ndarray | None = None) -> np.ndarray:
    """Derive the baseline hazard (relative risk 1) from the marginal incidence and the reference ``lp``.

    Parameters
    ----------
    incidence
        Marginal annual incidence of the population by single year of age.
    reference_log_rr
        float64, shape (n_ref,): log relative risks of a sample of the population (any centring).
    reference_weights
        float64, shape (n_ref,): sampling weights of the reference sample; equal when None.

    Returns
    -------
    numpy.ndarray
        float64, shape (n_ages,): ``lambda0`` at each age of ``incidence``, for ``r = exp(lp)``
        with ``lp`` on the reference's own scale.

    Raises
    ------
    AbsoluteRiskError
        When the reference is empty or not finite, or the iteration does not converge.
    """
    lp = _log_rr(reference_log_rr, "reference")
    w = _weights(reference_weights, len(lp))
    shift = float(np.dot(w, lp))  # exp of centred values: no overflow; the shift is undone at the end
    r = np.exp(lp - shift)  # (n_ref,)
    marginal = incidence.rates
    expected = np.full(len(marginal), float(np.dot(w, r)))  # E[r | disease-free at t], t = each age
    for _ in range(_FIXED_POINT_MAX_ITER):
        hazard = marginal / expected
        cumulative = np.concatenate(([0.0], np.cumsum(hazard)[:-1]))  # sum over u < t, shape (n_ages,)
        log_s = -np.outer(r, cumulative)  # (n_ref, n_ages)
        log_s -= log_s.max(axis=0)  # per-age rescaling cancels in the ratio below
        ws = w[:, None] * np.exp(log_s)
        updated = (ws * r[:, None]).sum(axis=0) / ws.sum(axis=0)
        change = float(np.max(np.abs(updated - expected) / updated))
        expected = updated
        if change < _FIXED_POINT_TOL:
            return np.asarray(marginal / expected * math.exp(-shift), dtype=np.float64)
    raise AbsoluteRiskError("The baseline hazard did not converge; check that the incidence rates are annual "
                            "rates (per person-year), not per 100,000.")


def absolute_risk(log_rr: np.ndarray, age_from: np.ndarray | int, age_to: np.ndarray | int, *, hazard0: np.ndarray,
                  incidence: RateTable, mortality: RateTable) -> np.ndarray:
    """Risk of diagnosis between ``age_from`` and ``age_to`` for each person, with death from other causes competing.

    Parameters
    ----------
    log_rr
        float64, shape (n,): each person's log relative risk on the scale ``hazard0`` was derived on.
    age_from, age_to
        int, shape (n,) or scalars: the interval ``[age_from, age_to)`` in whole years, ``age_to > age_from``.
    hazard0
        float64, shape (n_ages of ``incidence``,): from :func:`baseline_hazard`.
    incidence, mortality
        The tables ``hazard0`` was derived from, and the competing (all-cause) mortality.

    Returns
    -------
    numpy.ndarray
        float64, shape (n,): probabilities in [0, 1).

    Raises
    ------
    AbsoluteRiskError
        When an interval is empty or reversed, or a table does not cover it.
    """
    lp = _log_rr(log_rr, "patient")
    a = np.broadcast_to(np.asarray(age_from), lp.shape).astype(np.int64)
    b = np.broadcast_to(np.asarray(age_to), lp.shape).astype(np.int64)
    if np.any(b <= a):
        i = int(np.argmax(b <= a))
        raise AbsoluteRiskError(f"An age interval must end after it starts (got {a[i]} to {b[i]}).")
    lo, hi = int(a.min()), int(b.max())
    for table, name in ((incidence, "incidence"), (mortality, "mortality")):
        if not table.covers(lo, hi):
            raise AbsoluteRiskError(f"The {name} table covers ages {table.first_age}-{table.last_age}; a risk "
                                    f"from age {lo} to {hi} needs every age from {lo} to {hi - 1}.")
    if hazard0.shape != incidence.rates.shape:
        raise AbsoluteRiskError(f"The baseline hazard has {hazard0.shape[0]} ages, the incidence table "
                                f"{incidence.rates.shape[0]}; derive it from this table.")
    ages = np.arange(lo, hi)  # (n_ages_used,)
    h0 = hazard0[ages - incidence.first_age]
    m = mortality.rates[ages - mortality.first_age]
    inside = (ages[None, :] >= a[:, None]) & (ages[None, :] < b[:, None])  # (n, n_ages_used)
    r = np.exp(lp)[:, None]
    total = (h0[None, :] * r + m[None, :]) * inside  # all-cause hazard inside each person's interval
    before = np.cumsum(total, axis=1) - total  # sum over u < t, within the interval
    return np.asarray(np.sum(h0[None, :] * r * np.exp(-before) * inside, axis=1), dtype=np.float64)


@dataclass(frozen=True)
class RiskEngine:
    """What turns one outcome's relative risks into absolute risks: rates, reference and baseline hazard."""

    outcome: str
    """The event whose risk is given, in words (``"a diagnosis of breast cancer"``)."""
    population: str
    """Who the rates and the reference describe (``"US women"``)."""
    incidence: RateTable
    """Marginal incidence of the outcome by single year of age."""
    mortality: RateTable
    """Competing all-cause mortality by single year of age."""
    reference_log_rr: np.ndarray
    """float64, shape (n_ref,): log relative risks of the reference population (a bundle's reference logits)."""
    reference_weights: np.ndarray
    """float64, shape (n_ref,): weights of the reference sample, summing to 1."""
    hazard0: np.ndarray
    """float64, shape (n_ages of ``incidence``,): the baseline hazard derived from the two above."""


def risk_engine(reference_log_rr: np.ndarray, *, outcome: str, population: str, incidence: RateTable,
                mortality: RateTable, reference_weights: np.ndarray | None = None) -> RiskEngine:
    """Build a :class:`RiskEngine` for one outcome (derives the baseline hazard once).

    Parameters
    ----------
    reference_log_rr
        float64, shape (n_ref,): log relative risks (e.g. calibrated log-odds) of a reference sample of
        the population the incidence describes.
    outcome, population
        Words for the card: what the risk is the risk of, and whose rates these are.
    incidence, mortality
        Marginal incidence of the outcome and competing all-cause mortality.
    reference_weights
        float64, shape (n_ref,): sampling weights; equal when None.

    Raises
    ------
    AbsoluteRiskError
        When the reference or weights are unusable (see :func:`baseline_hazard`).
    """
    lp = _log_rr(reference_log_rr, "reference")
    w = _weights(reference_weights, len(lp))
    return RiskEngine(outcome=outcome, population=population, incidence=incidence, mortality=mortality,
                      reference_log_rr=lp, reference_weights=w, hazard0=baseline_hazard(incidence, lp, w))


def breast_cancer_engine(reference_log_rr: np.ndarray, reference_weights: np.ndarray | None = None) -> RiskEngine:
    """A :class:`RiskEngine` for breast cancer in women, with the shipped US incidence and mortality.

    Parameters
    ----------
    reference_log_rr
        float64, shape (n_ref,): log relative risks of a reference sample of **women** (e.g. a breast-cancer
        bundle's calibrated logits for its women), on the scale the patient's ``log_rr`` will be given on.
    reference_weights
        float64, shape (n_ref,): sampling weights; equal when None.

    Raises
    ------
    AbsoluteRiskError
        When the reference is unusable or the shipped tables are damaged.
    """
    incidence, mortality = breast_cancer_rates()
    return risk_engine(reference_log_rr, outcome="a diagnosis of breast cancer", population="US women",
                       incidence=incidence, mortality=mortality, reference_weights=reference_weights)


@dataclass(frozen=True)
class AbsoluteRisk:
    """One patient's absolute risk over a named horizon, beside the median woman of the same age."""

    outcome: str
    """The event (``"a diagnosis of breast cancer"``)."""
    horizon: Horizon
    """``"10-year"`` or ``"to age 80"``."""
    age_from: int
    """The patient's age in completed years: the interval starts on this birthday."""
    age_to: int
    """The interval ends on this birthday (exclusive): ``age_from + 10`` or 80."""
    risk: float
    """Probability of the outcome in ``[age_from, age_to)``, death from other causes competing."""
    typical_risk: float
    """The same for the median woman of the same age: the reference population's median relative risk."""
    ratio: float
    """``risk / typical_risk``: "x times the risk of a typical woman your age"."""
    percentile: float
    """0-100: share of the reference population with a lower risk over the same interval (ties count half)."""
    comparison: str
    """Who ``typical_risk`` is, in words."""
    sources: tuple[str, ...]
    """Where the incidence and the mortality come from."""


def _interval(age: float, horizon: Horizon) -> tuple[int, int]:
    """``[age_from, age_to)`` for a horizon, ages in completed years."""
    if not math.isfinite(age) or age < 0:
        raise AbsoluteRiskError(f"Age {age} is not a usable age in years.")
    start = math.floor(age)
    if horizon == "10-year":
        return start, start + 10
    if horizon == "to age 80":
        if start >= LIFETIME_END_AGE:
            raise AbsoluteRiskError(f"A risk to age {LIFETIME_END_AGE} needs a patient younger than "
                                    f"{LIFETIME_END_AGE} (age given: {age}); ask for the 10-year risk.")
        return start, LIFETIME_END_AGE
    raise AbsoluteRiskError(f"Horizon {horizon!r} unknown. Choose from: {', '.join(HORIZONS)}.")


def patient_absolute_risk(engine: RiskEngine, *, log_rr: float, age: float, horizon: Horizon) -> AbsoluteRisk:
    """Absolute risk for a card: the patient's, the median woman's of the same age, ratio and percentile.

    Parameters
    ----------
    engine
        From :func:`risk_engine`, on the same ``lp`` scale as ``log_rr``.
    log_rr
        The patient's log relative risk (a bundle's calibrated log-odds; ``math.log`` of a relative risk).
    age
        The patient's age in years; the interval starts at the age in completed years.
    horizon
        ``"10-year"`` (from the current age) or ``"to age 80"``.

    Raises
    ------
    AbsoluteRiskError
        When the age or horizon is unusable, or the rate tables do not cover the interval.
    """
    a, b = _interval(age, horizon)
    ref, w = engine.reference_log_rr, engine.reference_weights
    order = np.argsort(ref, kind="stable")
    cum = np.cumsum(w[order])
    median_lp = float(ref[order][int(np.searchsorted(cum, 0.5))])  # weighted median (lower)
    risks = absolute_risk(np.array([log_rr, median_lp]), a, b, hazard0=engine.hazard0,
                          incidence=engine.incidence, mortality=engine.mortality)
    if risks[1] <= 0.0:
        raise AbsoluteRiskError(f"The incidence table gives no risk of {engine.outcome} between ages {a} and {b}; "
                                "no absolute risk or ratio can be given for this interval.")
    # risk rises with lp over a fixed interval, so the percentile of the risk is that of lp
    below = float(w[ref < log_rr].sum())
    tied = float(w[ref == log_rr].sum())
    return AbsoluteRisk(outcome=engine.outcome, horizon=horizon, age_from=a, age_to=b, risk=float(risks[0]),
                        typical_risk=float(risks[1]), ratio=float(risks[0] / risks[1]),
                        percentile=100.0 * (below + tied / 2.0),
                        comparison=f"the median woman aged {a} in the reference population of {engine.population}",
                        sources=(engine.incidence.source, engine.mortality.source))


_STRATA = 100
"""Reference percentile strata used to place a profile with missing inputs (iCARE's 100)."""


def _floored_cutpoints(values: np.ndarray) -> np.ndarray:
    """Percentile cut-points of ``values`` floored to a decimal grid fine enough for 1/1000 of their spread.

    The flooring is iCARE's; keeping it puts a profile at a stratum boundary in the same stratum.
    """
    cuts = np.quantile(values, np.linspace(0.0, 1.0, _STRATA + 1))
    spread = max(float(np.std(cuts)), 1e-12)
    digits = int(np.sum(1.0 / (0.001 * spread) >= 10.0 ** np.arange(1, 17)))
    cuts = np.floor(cuts * 10.0**digits) / 10.0**digits
    return np.append(np.unique(cuts), np.inf)


def partial_profile_risk(observed_log_rr: float, reference_observed_log_rr: np.ndarray, reference_risks: np.ndarray,
                         reference_weights: np.ndarray | None = None) -> float:
    """Absolute risk of a person some of whose inputs are missing, without inventing the missing ones.

    iCARE's rule: the risk is the weighted mean risk of the reference people whose log relative risk
    *from the observed inputs alone* falls in the same reference percentile stratum (100 strata) as
    the person's. The missing inputs are never filled in: their spread among comparable reference
    people is averaged over.

    Parameters
    ----------
    observed_log_rr
        The person's log relative risk summed over the observed inputs only.
    reference_observed_log_rr
        float64, shape (n_ref,): the same sum over the same inputs for every reference person.
    reference_risks
        float64, shape (n_ref,): each reference person's full-profile absolute risk over the interval wanted.
    reference_weights
        float64, shape (n_ref,): reference weights; equal when None.

    Raises
    ------
    AbsoluteRiskError
        When the arrays are empty, of different lengths, or not finite.
    """
    ref = _log_rr(reference_observed_log_rr, "reference (observed inputs)")
    risks = np.asarray(reference_risks, dtype=np.float64)
    if risks.shape != ref.shape or not np.all(np.isfinite(risks)) or not math.isfinite(observed_log_rr):
        raise AbsoluteRiskError(f"Reference risks must be {len(ref)} finite numbers, one per reference person, and "
                                f"the observed log relative risk finite (got {observed_log_rr}).")
    w = _weights(reference_weights, len(ref))
    cuts = _floored_cutpoints(ref)
    lower = max(int(np.searchsorted(cuts, observed_log_rr, side="right")) - 1, 0)
    upper = lower + 1
    while True:
        inside = (ref >= cuts[lower]) & (ref < cuts[upper])
        if inside.any() or (lower == 0 and upper == len(cuts) - 1):
            break
        lower, upper = max(lower - 1, 0), min(upper + 1, len(cuts) - 1)  # an empty stratum: widen by one each side
    return float(np.dot(w[inside], risks[inside]) / w[inside].sum())
