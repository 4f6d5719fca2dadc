"""Held-out metrics written with numpy only: discrimination, calibration, and baselines.

AUROC comes from ranks (the Mann–Whitney statistic, ties averaged); AUPRC is average precision;
calibration slope and intercept come from a two-parameter logistic fit of the outcome on
``logit(p)`` by Newton's method; ECE uses 10 equal-width probability bins. The linear PRS baseline
is a ridge-stabilised logistic regression fitted by Newton's method on the same inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np

from genolens.errors import CohortError
from genolens.modeling.logistic import sigmoid

_EPS = 1e-7


@dataclass(frozen=True)
class Metrics:
    """Held-out performance of one model on one outcome (one group of people)."""

    n: int
    """People with a known outcome."""
    cases: int
    """People with outcome 1."""
    auroc: float
    """Area under the ROC curve, 0..1; NaN when only one class is present."""
    auprc: float
    """Average precision, 0..1; NaN without cases."""
    brier: float
    """Mean squared error of the probability, 0..1."""
    calibration_slope: float
    """Slope of the logistic fit of the outcome on logit(p); 1 is ideal; NaN with one class."""
    calibration_intercept: float
    """Intercept of the same fit; 0 is ideal; NaN with one class."""
    ece: float
    """Expected calibration error over 10 equal-width bins, 0..1."""

    def as_dict(self) -> dict[str, float | int]:
        """Return the metrics as a JSON-ready mapping (NaN stays NaN)."""
        return asdict(self)



def logit(p: np.ndarray) -> np.ndarray:
    """Return ``log(p / (1 - p))`` with ``p`` clipped to [1e-7, 1 - 1e-7] (same shape)."""
    q = np.clip(p, _EPS, 1.0 - _EPS)
    return np.asarray(np.log(q) - np.log1p(-q), dtype=np.float64)


def auroc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve from average ranks.

    Parameters
    ----------
    y
        shape (n,), 0/1 outcomes.
    score
        shape (n,), any monotone risk score (probability or logit).

    Returns
    -------
    float
        ``(R1 - n1 (n1 + 1) / 2) / (n1 n0)`` with R1 the rank sum of the cases; NaN with one class.
    """
    y = np.asarray(y, dtype=bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    return float((_average_ranks(np.asarray(score, dtype=np.float64))[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``x`` (shape (n,)), tied values sharing their mean rank."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    ends = np.r_[starts[1:], len(xs)]
    mean_rank = (starts + ends + 1) / 2.0  # ranks starts+1..ends, averaged
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def auprc(y: np.ndarray, score: np.ndarray) -> float:
    """Average precision: mean of the precision at the rank of each case (ties share a threshold)."""
    y = np.asarray(y, dtype=bool)
    if not y.any():
        return float("nan")
    order = np.argsort(-np.asarray(score, dtype=np.float64), kind="mergesort")
    s, t = np.asarray(score)[order], y[order]
    last = np.r_[s[1:] != s[:-1], True]  # last index of each block of tied scores
    tp = np.cumsum(t)[last]
    k = (np.flatnonzero(last) + 1).astype(np.float64)
    recall_gain = np.diff(np.r_[0, tp]) / y.sum()
    return float(np.sum(recall_gain * tp / k))


def brier(y: np.ndarray, p: np.ndarray) -> float:
    """Mean squared error of probabilities ``p`` against 0/1 outcomes ``y`` (both shape (n,))."""
    return float(np.mean((np.asarray(p, dtype=np.float64) - np.asarray(y, dtype=np.float64)) ** 2))


def ece(y: np.ndarray, p: np.ndarray, *, bins: int = 10) -> float:
    """Expected calibration error: bin-size-weighted |mean p - mean y| over equal-width bins."""
    p = np.asarray(p, dtype=np.float64)
    idx = np.minimum((p * bins).astype(np.int64), bins - 1)
    sum_p = np.bincount(idx, weights=p, minlength=bins)
    sum_y = np.bincount(idx, weights=np.asarray(y, dtype=np.float64), minlength=bins)
    return float(np.sum(np.abs(sum_p - sum_y)) / len(p))


def fit_logistic(x: np.ndarray, y: np.ndarray, *, ridge: float = 0.0, offset: np.ndarray | None = None,
                 max_iter: int = 50, tol: float = 1e-10) -> np.ndarray:
    """Logistic regression with an intercept by Newton's method (deterministic).

    Parameters
    ----------
    x
        float, shape (n, k): predictors (no intercept column).
    y
        shape (n,): 0/1 outcomes.
    ridge
        L2 penalty on the k slopes (not on the intercept), in units of the log-likelihood sum.
    offset
        shape (n,) added to the linear predictor; ``None`` means zero.
    max_iter, tol
        Newton iterations and the stopping size of the step.

    Returns
    -------
    numpy.ndarray
        shape (k + 1,): intercept, then the k slopes.

    Raises
    ------
    GenoLensError
        When the fit does not converge (separable data without a ridge penalty).
    """
    n = len(y)
    design = np.column_stack([np.ones(n), x])  # (n, k + 1)
    yf = np.asarray(y, dtype=np.float64)
    off = np.zeros(n) if offset is None else offset
    penalty = np.full(design.shape[1], ridge)
    penalty[0] = 0.0
    beta = np.zeros(design.shape[1])
    for _ in range(max_iter):
        p = sigmoid(design @ beta + off)
        grad = design.T @ (yf - p) - penalty * beta
        hess = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty)  # weights (n, 1); hess (k+1, k+1)
        step = np.linalg.solve(hess + 1e-12 * np.eye(len(beta)), grad)
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            return beta
    if np.all(np.isfinite(beta)) and np.max(np.abs(step)) < 1e-6:
        return beta
    raise CohortError(f"Logistic fit did not converge after {max_iter} Newton steps (last step "
                        f"{np.max(np.abs(step)):.3g}); the outcome may be separable. Add a ridge penalty.")


def calibration(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """Return (slope, intercept) of the logistic fit of ``y`` on ``logit(p)``; NaN with one class."""
    y = np.asarray(y)
    if y.min() == y.max():
        return float("nan"), float("nan")
    b = fit_logistic(logit(np.asarray(p, dtype=np.float64))[:, None], y)  # one predictor: (n, 1)
    return float(b[1]), float(b[0])


def metrics(y: np.ndarray, p: np.ndarray) -> Metrics:
    """Compute every held-out metric of probabilities ``p`` (shape (n,)) for outcomes ``y`` (shape (n,))."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    slope, intercept = calibration(y, p)
    return Metrics(n=len(y), cases=int(y.sum()), auroc=auroc(y, p), auprc=auprc(y, p), brier=brier(y, p),
                   calibration_slope=slope, calibration_intercept=intercept, ece=ece(y, p))


def grouped_metrics(y: np.ndarray, p: np.ndarray, groups: np.ndarray | None) -> dict[str, Metrics]:
    """Metrics overall (key ``"all"``) and per group label (shape (n,)); NaN outcomes are skipped."""
    known = ~np.isnan(np.asarray(y, dtype=np.float64))
    out = {"all": metrics(y[known], p[known])}
    if groups is not None:
        for g in sorted({str(v) for v in groups[known]}):
            keep = known & (groups.astype(str) == g)
            out[g] = metrics(y[keep], p[keep])
    return out


def comparison(y: np.ndarray, scores: Mapping[str, np.ndarray],
               groups: np.ndarray | None) -> dict[str, dict[str, dict[str, float | int]]]:
    """Metrics of several models side by side: ``{model: {group: metrics}}``, JSON-ready."""
    return {name: {g: m.as_dict() for g, m in grouped_metrics(y, p, groups).items()}
            for name, p in scores.items()}


def curves(y: np.ndarray, p: np.ndarray, *, points: int = 51, bins: int = 10) -> dict[str, dict[str, list[float]]]:
    """ROC and calibration curves for plotting, JSON-ready.

    Returns
    -------
    dict
        ``roc``: ``fpr``/``tpr`` at ``points`` thresholds (quantiles of ``p``); ``calibration``:
        mean predicted vs observed rate in ``bins`` equal-width bins of ``p`` (empty bins left out),
        with the count ``n`` per bin.
    """
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    keep = np.isfinite(y) & np.isfinite(p)
    y, p = y[keep], p[keep]
    pos, neg = max(float(y.sum()), 1.0), max(float((1 - y).sum()), 1.0)
    thresholds = np.unique(np.quantile(p, np.linspace(0, 1, points)))[::-1]  # high -> low
    tpr = [0.0] + [float(((p >= t) & (y == 1)).sum() / pos) for t in thresholds] + [1.0]
    fpr = [0.0] + [float(((p >= t) & (y == 0)).sum() / neg) for t in thresholds] + [1.0]
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)  # (n,) bin index
    predicted, observed, n = [], [], []
    for b in range(bins):
        sel = which == b
        if sel.any():
            predicted.append(float(p[sel].mean()))
            observed.append(float(y[sel].mean()))
            n.append(float(sel.sum()))
    return {"roc": {"fpr": fpr, "tpr": tpr}, "calibration": {"predicted": predicted, "observed": observed, "n": n}}
