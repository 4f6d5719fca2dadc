"""Absolute risks checked on a followed cohort: expected/observed ratio and AUC, as iCARE's validation defines them.

Expected is the mean predicted risk over each person's own follow-up (entry to exit); observed is the
share diagnosed during it; AUC compares the log relative risks of cases and non-cases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genolens.errors import AbsoluteRiskError
from genolens.modeling.absolute_risk import absolute_risk
from genolens.modeling.evaluate import auroc
from genolens.modeling.incidence import RateTable


@dataclass(frozen=True)
class CohortCheck:
    """Calibration and discrimination of absolute risks on a cohort followed from entry to exit."""

    n: int
    """People in the cohort."""
    cases: int
    """People diagnosed during their follow-up (onset after exit counts as not diagnosed)."""
    expected: float
    """Mean predicted risk over each person's own follow-up."""
    observed: float
    """Share of people diagnosed during follow-up."""
    expected_by_observed: float
    """``expected / observed``; 1 is perfect calibration in the large."""
    auc: float
    """Area under the ROC curve of the log relative risk, cases against non-cases (ties count half)."""


def check_on_cohort(log_rr: np.ndarray, entry_age: np.ndarray, exit_age: np.ndarray, outcome: np.ndarray,
                    years_to_onset: np.ndarray, *, hazard0: np.ndarray, incidence: RateTable,
                    mortality: RateTable) -> CohortCheck:
    """Expected/observed ratio and AUC of the risk over each person's total follow-up.

    Parameters
    ----------
    log_rr
        float64, shape (n,): each person's log relative risk at entry.
    entry_age, exit_age
        int, shape (n,): age at entry and at the end of follow-up, whole years; the risk is for ``[entry, exit)``.
    outcome
        0/1, shape (n,): diagnosed during the study.
    years_to_onset
        float64, shape (n,): years from entry to diagnosis (``inf`` when none); an onset after exit is not a case.
    hazard0, incidence, mortality
        As for :func:`absolute_risk`.

    Raises
    ------
    AbsoluteRiskError
        When the arrays differ in length, nobody is diagnosed, or the tables do not cover the ages.
    """
    lp = np.asarray(log_rr, dtype=np.float64)
    entry, exit_ = np.asarray(entry_age, dtype=np.int64), np.asarray(exit_age, dtype=np.int64)
    onset = np.asarray(years_to_onset, dtype=np.float64)
    if not (entry.shape == exit_.shape == onset.shape == np.shape(outcome) == lp.shape):
        raise AbsoluteRiskError(f"Cohort columns differ in length (log_rr {lp.shape}, entry {entry.shape}, "
                                f"exit {exit_.shape}, outcome {np.shape(outcome)}, onset {onset.shape}).")
    case = (np.asarray(outcome) == 1) & (onset <= exit_ - entry)
    if not case.any():
        raise AbsoluteRiskError("Nobody in the cohort was diagnosed during follow-up; E/O and AUC are undefined.")
    risks = absolute_risk(lp, entry, exit_, hazard0=hazard0, incidence=incidence, mortality=mortality)
    expected, observed = float(risks.mean()), float(case.mean())
    return CohortCheck(n=len(lp), cases=int(case.sum()), expected=expected, observed=observed,
                       expected_by_observed=expected / observed, auc=auroc(case.astype(np.int64), lp))
