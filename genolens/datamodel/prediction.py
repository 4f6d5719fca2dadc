"""A bundle's prediction for one patient: per-output probability, interval, percentile, band, flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np

RiskBand = Literal["below average", "average", "above average", "high"]
RISK_BANDS: tuple[RiskBand, ...] = get_args(RiskBand)


@dataclass(frozen=True)
class Flag:
    """One reason to trust a prediction less, in words a clinician can read."""

    code: str
    """Stable machine code: ``low_coverage``, ``imputed_genetic``, ``assumed_clinical`` (a patient
    detail not given, shown at a named reference value), ``defaulted_clinical`` (research paths only: a
    clinical input set to the training mean),
    ``clinical_out_of_range``, ``ancestry_unusual``, ``ancestry_not_checked``, ``no_ensemble``,
    ``score_out_of_range``."""
    message: str
    """What happened and what it means, with the offending values."""


@dataclass(frozen=True)
class OutputPrediction:
    """One output (disease or drug response) of one bundle for one patient."""

    output: str
    """Output name as written in the bundle's card (e.g. ``"breast_cancer"``, ``"clopidogrel"``)."""
    logit: float
    """Calibrated ensemble-mean logit (natural-log odds)."""
    probability: float
    """Calibrated probability, 0..1: ``sigmoid(logit)``."""
    interval: tuple[float, float]
    """(low, high) probability: 5th and 95th percentile of the calibrated ensemble members, widened
    if needed to contain ``probability``; equal to (p, p) for a single-member (linear) bundle."""
    percentile: float
    """Percentile 0..100 of ``logit`` in the bundle's reference distribution (mid-rank for ties)."""
    relative_risk: float
    """``probability`` / mean probability of the reference population."""
    band: RiskBand
    """Risk band from ``relative_risk`` with the thresholds stated in the bundle's card."""
    flags: tuple[Flag, ...]
    """Out-of-distribution and input-quality flags; ``()`` when none applies."""
    ancestry_percentile: tuple[str, float] | None = None
    """(group, percentile 0..100 of ``logit`` among the bundle's reference people of that ancestry group):
    given when the patient's ancestry was assigned from the 1000 Genomes markers to a group the bundle's
    reference has; ``None`` otherwise."""


@dataclass(frozen=True)
class Prediction:
    """Every output of one bundle for one patient, with the inputs as actually used."""

    bundle: str
    """Bundle name (``models/<name>/``)."""
    version: str
    """Bundle version (``models/<name>/<version>/``)."""
    outputs: tuple[OutputPrediction, ...]
    """One entry per output, in card order."""
    inputs: np.ndarray = field(repr=False)
    """float32, shape (n_genetic + n_covariates,): the model input after imputation and defaults."""
    input_names: tuple[str, ...]
    """Names of ``inputs``: panel variant ids, then covariate names."""
    imputed: tuple[str, ...]
    """Genetic inputs that were missing and set to the population mean dosage."""
    defaulted: tuple[str, ...]
    """Clinical inputs that were not given and set to the population mean."""
    coverage: float
    """Share of the bundle's genetic inputs with an observed (or assumed-reference) dosage, 0..1."""
