"""A risk bundle's absolute risks: its reference women, its baseline hazard, and a patient's risk by age.

A breast-cancer bundle gives a calibrated log-odds of a diagnosis within 10 years of the current age
in the simulated population of women (simulation v2: SEER-derived hazards, :mod:`genolens.modeling.fixed_truth`).
:mod:`genolens.modeling.absolute_risk` turns its relative risk into the risk of a diagnosis between
two ages (iCARE's method) from the age-specific incidence and competing mortality of US women
(:mod:`genolens.modeling.incidence`). The decisions this module makes:

* **The relative risk** is ``exp(lp)`` with ``lp`` the bundle's calibrated log-odds (ensemble mean
  logit). For a disease this rare (a few per cent in 10 years) the odds ratio stands in for the
  relative risk, as iCARE's own logistic models do.
* **Age is counted once.** The bundle reads age, but the incidence table carries the age pattern, so
  the patient's ``lp`` and every reference woman's ``lp`` are computed with age held at
  :data:`AGE_HELD` (55, the training cohort's mean age). The risk network adds a function of its
  clinical inputs alone (a linear path and a small covariate MLP, never mixed with the genotype), so
  any held age shifts every ``lp`` with the same family history by the same constant, which the
  baseline hazard absorbs: the risks do not depend on the value chosen (a test checks this). The
  patient's own age enters only as the start of the interval.
* **The reference population** is women only: :data:`REFERENCE_WOMEN` women of European ancestry drawn
  by the training simulator (:mod:`genolens.modeling.simulate`: same msprime demography, panel
  frequencies and family-history model as the training cohort, seed :data:`REFERENCE_SEED`; European
  because the simulation anchors its incidence to SEER in European women, and only their frequencies
  are sourced for most variants), the
  bundle's inputs as that simulator makes them, sex female, age held as above and family history as
  drawn. The training people themselves are not shipped (the 1,000,000-person cohort is rebuilt by
  ``make models``); these women are a fresh sample of the same simulated population.
* **Shipped beside the bundle.** ``absolute_risk.npz`` (written by ``python -m genolens
  absolute-reference BUNDLE``, a step of ``make models``) holds the reference ``lp`` and the baseline
  hazard derived from them and the shipped rates, so no session spends seconds deriving it; a test
  derives it again and compares. :func:`breast_engine` reads it once per bundle name and version.
* **Men and missing details.** The incidence is for women: a man gets no breast-cancer absolute risk,
  and a card says so. Sex is never defaulted (a model that reads sex predicts nothing without it);
  without an age no interval can start, and the card asks for the age.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from genolens.datamodel import Prediction
from genolens.errors import AbsoluteRiskError
from genolens.modeling.absolute_risk import (
    HORIZONS,
    AbsoluteRisk,
    RiskEngine,
    baseline_hazard,
    breast_cancer_engine,
    patient_absolute_risk,
)
from genolens.modeling.architecture import member_logits
from genolens.modeling.bundle import Bundle
from genolens.modeling.clinical import ModelInputs
from genolens.modeling.incidence import INCIDENCE_DIR, breast_cancer_rates

ABSOLUTE_FILE = "absolute_risk.npz"
"""The file beside a bundle's weights with its reference women's ``lp`` and the baseline hazard."""

BREAST_OUTPUT = "y_breast_cancer"
"""The output whose absolute risk is given (the only one with sourced incidence in ``data/incidence``)."""

AGE_HELD = 55.0
"""The age every ``lp`` is computed at (patient and reference alike): the training cohort's mean age."""

REFERENCE_WOMEN = 10_000
"""Women in the shipped reference sample (percentiles to 0.01 points)."""

REFERENCE_SEED = 20261204
"""Seed of the reference women's simulation."""

REFERENCE_ANCESTRY = "EUR"
"""The reference women's simulated ancestry: the population whose incidence the simulation anchors to the
SEER rates (:mod:`genolens.modeling.fixed_truth`), so that the baseline hazard derived here is the simulation's."""

RATE_FILES = ("breast_cancer_incidence_women.csv", "all_cause_mortality_women.csv")
"""The rate tables the shipped hazard was derived from; their SHA-256 is stored with it."""


@dataclass(frozen=True)
class AbsoluteResult:
    """What a card shows for absolute risk: the risks over each horizon, or why there are none."""

    risks: tuple[AbsoluteRisk, ...]
    """One per horizon that can be given (10-year, to age 80); empty when none can."""
    note: str
    """Why some or all horizons are not given, in words (``""`` when both are)."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def held_inputs(bundle: Bundle, x: np.ndarray) -> np.ndarray:
    """Inputs (batch, n_genetic + n_covariates) with age set to :data:`AGE_HELD` and sex to female (a copy)."""
    out = np.array(x, dtype=np.float32, copy=True)
    n_gen = bundle.network.n_genetic
    for i, c in enumerate(bundle.covariates):
        if c == "cov_age":
            out[:, n_gen + i] = AGE_HELD
        elif c == "cov_sex":
            out[:, n_gen + i] = 0.0
    return out


def log_rr(bundle: Bundle, x: np.ndarray, output: str = BREAST_OUTPUT) -> np.ndarray:
    """Calibrated ensemble log-odds of ``output`` with age held and sex female, float64, shape (batch,).

    ``x`` has shape (batch, n_genetic + n_covariates): the inputs as :func:`~genolens.modeling.predict.predict`
    used them (missing genotypes already set to the population mean).
    """
    k = bundle.outputs.index(output)
    z = member_logits(bundle.weights, bundle.network, held_inputs(bundle, x))  # (members, batch, n_outputs)
    return np.asarray(z[:, :, k].astype(np.float64).mean(axis=0), dtype=np.float64)


def simulate_reference_women(bundle: Bundle, *, n: int = REFERENCE_WOMEN, seed: int = REFERENCE_SEED) -> np.ndarray:
    """The bundle's inputs for ``n`` simulated women, shape (n, n_genetic + n_covariates), float32.

    Genotypes: the training simulator's msprime windows over the bundle's panel, European ancestry
    (:data:`REFERENCE_ANCESTRY`);
    family history as the simulator draws it (more often in carriers); age :data:`AGE_HELD`; sex female.
    Any other covariate is set to the bundle's mean.
    """
    from genolens.genome.panel import load_panel
    from genolens.modeling.fixed_truth import disease_variants
    from genolens.modeling.haplotypes import POPULATIONS, draw_haplotypes, simulate_windows
    from genolens.modeling.outcomes import HIGH_PENETRANCE_LOG_OR, draw_covariates, outcome_models
    from genolens.modeling.simulate import PANELS

    variants = list(bundle.panel.variants)
    apart = disease_variants(outcome_models({p: load_panel(p) for p in PANELS}))  # as the training simulator
    windows = simulate_windows(variants, seed=seed, background=False, apart=apart)
    col = {v.id: j for j, v in enumerate(v for w in windows for v in w.variants)}
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    ancestry = np.full(n, POPULATIONS.index(REFERENCE_ANCESTRY), dtype=np.int8)
    h1, h2 = draw_haplotypes(windows, ancestry, rng)
    order = [col[v.id] for v in variants]
    genetic = (h1[:, order] + h2[:, order]).astype(np.float32)  # (n, n_genetic), panel order
    carrier = np.zeros(n, dtype=bool)
    for vid in HIGH_PENETRANCE_LOG_OR:
        if vid in col:
            carrier |= (h1[:, col[vid]] | h2[:, col[vid]]) > 0
    cov = draw_covariates(rng, ancestry, carrier)
    covariates = np.tile(bundle.covariate_mean.astype(np.float32), (n, 1))  # (n, n_covariates)
    for i, c in enumerate(bundle.covariates):
        if c in cov:
            covariates[:, i] = cov[c]
    return held_inputs(bundle, np.concatenate([genetic, covariates], axis=1))


def write_absolute_reference(bundle: Bundle, *, n: int = REFERENCE_WOMEN, seed: int = REFERENCE_SEED) -> Path:
    """Simulate the reference women, derive the baseline hazard, and write :data:`ABSOLUTE_FILE` beside the bundle.

    Raises
    ------
    AbsoluteRiskError
        When the bundle has no breast-cancer output, or the hazard does not converge.
    """
    if BREAST_OUTPUT not in bundle.outputs:
        raise AbsoluteRiskError(f"Bundle {bundle.name} has no {BREAST_OUTPUT} output; absolute risk is given for "
                                "breast cancer only (the only sourced incidence in data/incidence).")
    lp = log_rr(bundle, simulate_reference_women(bundle, n=n, seed=seed))
    engine = breast_cancer_engine(lp)
    path = bundle.path / ABSOLUTE_FILE
    np.savez(path, reference_log_rr=lp, hazard0=engine.hazard0, age_held=np.array(AGE_HELD),
             seed=np.array(seed), weights_sha256=np.array(bundle.info.weights_sha256),
             rates_sha256=np.array([_sha256(INCIDENCE_DIR / f) for f in RATE_FILES]))
    return path


@functools.lru_cache(maxsize=8)
def _engine(name: str, version: str, path: str, weights_sha256: str) -> RiskEngine:
    """The breast-cancer engine of one bundle, read once per process (hazard as shipped, not re-derived)."""
    try:
        with np.load(Path(path), allow_pickle=False) as f:
            lp, hazard0 = f["reference_log_rr"], f["hazard0"]
            held, sha, rates = float(f["age_held"]), str(f["weights_sha256"]), [str(s) for s in f["rates_sha256"]]
    except (OSError, KeyError, ValueError) as exc:
        raise AbsoluteRiskError(f"Cannot read {path} ({exc}); rebuild it with `python -m genolens "
                                f"absolute-reference models/{name}/{version}`.") from None
    now = [_sha256(INCIDENCE_DIR / f) for f in RATE_FILES]
    if sha != weights_sha256 or rates != now or held != AGE_HELD:
        raise AbsoluteRiskError(f"{path} was made for other weights, rates or held age; rebuild it with "
                                f"`python -m genolens absolute-reference models/{name}/{version}`.")
    incidence, mortality = breast_cancer_rates()
    if hazard0.shape != incidence.rates.shape:
        raise AbsoluteRiskError(f"{path} holds a hazard for {hazard0.shape[0]} ages, the incidence table has "
                                f"{incidence.rates.shape[0]}; rebuild it.")
    return RiskEngine(outcome="a diagnosis of breast cancer", population="US women", incidence=incidence,
                      mortality=mortality, reference_log_rr=np.asarray(lp, dtype=np.float64),
                      reference_weights=np.full(len(lp), 1.0 / len(lp)), hazard0=np.asarray(hazard0, np.float64))


def breast_engine(bundle: Bundle) -> RiskEngine | None:
    """The bundle's breast-cancer engine, or ``None`` when it ships no :data:`ABSOLUTE_FILE`.

    Raises
    ------
    AbsoluteRiskError
        When the file is unreadable or stale (other weights or rate tables).
    """
    path = bundle.path / ABSOLUTE_FILE
    if BREAST_OUTPUT not in bundle.outputs or not path.is_file():
        return None
    return _engine(bundle.name, bundle.version, str(path), bundle.info.weights_sha256)


def reference_hazard_again(bundle: Bundle) -> tuple[np.ndarray, np.ndarray]:
    """(shipped hazard, hazard derived again from the shipped reference ``lp`` and rates), for the check."""
    with np.load(bundle.path / ABSOLUTE_FILE, allow_pickle=False) as f:
        lp, shipped = f["reference_log_rr"], f["hazard0"]
    incidence, _ = breast_cancer_rates()
    return np.asarray(shipped, dtype=np.float64), baseline_hazard(incidence, lp)


def risks_for(engine: RiskEngine, lp: float, *, sex: str | None, age: float | None) -> AbsoluteResult:
    """The absolute risks over both horizons for a patient with log relative risk ``lp`` (age held).

    ``sex`` and ``age`` as entered (``None``: not given); each horizon that cannot be given is said why.
    """
    if sex is None:
        return AbsoluteResult((), "No absolute risk: sex not given (the incidence is for women). Enter the "
                                  "patient's sex in Patient details.")
    if sex != "female":
        return AbsoluteResult((), "No absolute risk of breast cancer is given for men: the incidence and mortality "
                                  "rates GenoLens ships are for women. The model's probability above is the "
                                  "simulated cohort's, not a risk over any stated time.")
    if age is None:
        return AbsoluteResult((), "No absolute risk: age not given (the risk of a diagnosis runs from the current "
                                  "age). Enter the patient's age in Patient details.")
    risks: list[AbsoluteRisk] = []
    notes: list[str] = []
    for horizon in HORIZONS:
        try:
            risks.append(patient_absolute_risk(engine, log_rr=lp, age=age, horizon=horizon))
        except AbsoluteRiskError as exc:
            what = "10-year risk" if horizon == "10-year" else f"risk {horizon}"
            notes.append(f"No {what}: {exc}")
    return AbsoluteResult(tuple(risks), " ".join(notes))


def absolute_risks(bundle: Bundle, output: str, prediction: Prediction, inputs: ModelInputs) -> AbsoluteResult | None:
    """A card's absolute risks for one output of one bundle; ``None`` when the output has none (CAD, T2D).

    Parameters
    ----------
    bundle, output
        The risk bundle and the output of the card.
    prediction
        The bundle's prediction for the patient (its ``inputs`` are what the network read).
    inputs
        The clinical inputs as resolved from the details: the sex and age as given (an age shown at the
        cohort median because none was given counts as not given).

    Raises
    ------
    AbsoluteRiskError
        When the bundle's shipped reference file is unreadable or stale.
    """
    if output != BREAST_OUTPUT:
        return None
    engine = breast_engine(bundle)
    if engine is None:
        return None
    sex_value = inputs.covariates.get("cov_sex") if "cov_sex" in inputs.given else None
    sex = None if sex_value is None else "male" if sex_value == 1.0 else "female"
    if sex is None and len(bundle.info.sexes) == 1 and not inputs.missing:
        sex = bundle.info.sexes[0]  # a model for one sex reads none: it predicted, so the patient is of that sex
    age = inputs.covariates.get("cov_age") if "cov_age" in inputs.given else None
    lp = float(log_rr(bundle, prediction.inputs[None, :], output)[0])
    return risks_for(engine, lp, sex=sex, age=age)


def absolute_json(bundle: Bundle, prediction: Prediction, inputs: ModelInputs) -> dict[str, Any]:
    """``{output: {"risks": [{outcome, horizon, age_from, age_to, risk, typical_risk, ratio, percentile,
    comparison, sources}, ...], "note": str}}`` for the outputs of ``bundle`` that have absolute risks."""
    out: dict[str, Any] = {}
    for output in bundle.outputs:
        found = absolute_risks(bundle, output, prediction, inputs)
        if found is not None:
            out[output] = {"risks": [asdict(r) for r in found.risks], "note": found.note}
    return out
