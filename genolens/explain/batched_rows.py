"""Integrated Gradients of many samples at once (a cohort chunk): the single-patient result, one pass per block.

:func:`~genolens.explain.attribution.attribute_outputs` explains one patient: for an
:class:`~genolens.modeling.networks.Ensemble` it runs every member and output in one forward and one backward
pass, with Captum's Gauss-Legendre points, and climbs the step ladder (:data:`IG_STEPS`) per output until
completeness is met. A cohort chunk calls that for thousands of samples, and the Python around one small pass
costs more than the pass. :func:`ig_rows` runs the same arithmetic for a block of samples in one pass (the
points of every sample stacked, each sample's gradients weighted and summed on its own) and the same ladder per
sample and output, so every value is the single-patient one up to float32 rounding of a larger matrix product
(tests hold the cohort equal to the single-patient path within 1e-6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from genolens.explain.attribution import ABSOLUTE_TOLERANCE, IG_STEPS, RELATIVE_TOLERANCE
from genolens.explain.attribution_methods import gauss_legendre
from genolens.modeling.networks import Ensemble

POINTS_PER_PASS = 4096
"""Interpolation points (samples x steps) per forward/backward pass: bounds the memory of one pass."""


@dataclass(frozen=True)
class RowsIG:
    """IG of ``n`` samples for ``t`` outputs, as :func:`attribute_outputs` reports each (sample, output)."""

    values: np.ndarray
    """float64, (n, t, n_features): the mean over members of each member's attribution."""
    prediction_logit: np.ndarray
    """float64, (n, t): f(x)."""
    baseline_logit: np.ndarray
    """float64, (t,): f(baseline)."""
    residual: np.ndarray
    """float64, (n, t): f(x) - f(baseline) - sum of the attributions."""
    converged: np.ndarray
    """bool, (n, t): the residual within tolerance."""
    n_steps: np.ndarray
    """int64, (n, t): the ladder's last rung for that output."""


def ig_rows(model: Ensemble, x: np.ndarray, baseline: np.ndarray, targets: Sequence[int]) -> RowsIG:
    """IG of every row of ``x`` (float64, (n, n_features)) for ``targets``, from ``baseline`` ((n_features,)).

    The model is explained member by member (each member under the ensemble's calibration); the step ladder
    runs per sample and output, as for one patient.
    """
    dtype = next(t.dtype for t in [*model.parameters(), *model.buffers()] if t.is_floating_point())
    targets = [int(t) for t in targets]
    n, t_count = x.shape[0], len(targets)
    x_t = torch.as_tensor(x, dtype=dtype)
    b_t = torch.as_tensor(baseline[None], dtype=dtype)
    with torch.no_grad():
        f_x = model(x_t)[:, targets].double().numpy() if n else np.zeros((0, t_count))
        f_b = model(b_t)[:, targets].double().numpy().mean(axis=0)
    delta = f_x - f_b
    tolerance = np.maximum(RELATIVE_TOLERANCE * np.abs(delta), ABSOLUTE_TOLERANCE)
    values = np.zeros((n, t_count, x.shape[1]))
    residual = np.zeros((n, t_count))
    converged = np.zeros((n, t_count), dtype=bool)
    steps = np.zeros((n, t_count), dtype=np.int64)
    pending = np.ones((n, t_count), dtype=bool)
    for rung in IG_STEPS:
        rows = np.flatnonzero(pending.any(axis=1))
        if not len(rows):
            break
        wanted = [j for j in range(t_count) if pending[rows, j].any()]
        block = max(1, POINTS_PER_PASS // rung)
        for lo in range(0, len(rows), block):
            ix = rows[lo:lo + block]
            member_values = _ig_block(model, x_t[ix], b_t, [targets[j] for j in wanted], rung)  # (m, b, tw, f)
            mean = member_values.mean(axis=0)  # (b, tw, f)
            for k, j in enumerate(wanted):
                take = pending[ix, j]
                at = ix[take]
                values[at, j] = mean[take, k]
                residual[at, j] = delta[at, j] - member_values[:, take, k].mean(axis=0).sum(axis=-1)
                steps[at, j] = rung
        converged = np.abs(residual) <= tolerance
        pending &= ~converged
    return RowsIG(values, f_x, f_b, residual, converged, steps)


def _ig_block(model: Ensemble, x: torch.Tensor, base: torch.Tensor, targets: Sequence[int], n: int) -> np.ndarray:
    """Each member's IG of each row of ``x`` for ``targets`` at ``n`` steps: float64, (members, rows, targets, f).

    The points of row b are ``base + alpha_k (x_b - base)`` (Captum's Gauss-Legendre alphas), the gradients
    those of member m's calibrated logit t, weighted by the step sizes and summed per row, times ``x_b - base``.
    """
    step_sizes, alphas = gauss_legendre(n)
    rows, f = x.shape
    a = torch.tensor(alphas, dtype=x.dtype).view(1, n, 1)
    points = (base + a * (x[:, None, :] - base)).reshape(rows * n, f)  # (rows * n, f), row-major per sample
    m_count, t_count = len(model.members), len(targets)
    with torch.enable_grad():
        p = points.repeat(t_count, 1).unsqueeze(0).expand(m_count, -1, -1).clone().requires_grad_(True)
        raw = torch.stack([member(p[m]) for m, member in enumerate(model.members)])
        out = (raw * model.cal_slope + model.cal_bias).view(m_count, t_count, rows * n, -1)
        own = out[:, torch.arange(t_count), :, torch.as_tensor(list(targets))]
        (g,) = torch.autograd.grad(own.sum(), p)
    g = g.view(m_count, t_count, rows, n, f)
    weights = torch.tensor(step_sizes).float().view(1, 1, 1, n, 1).to(x.dtype)
    summed = (g * weights).sum(dim=3) * (x - base)  # (members, targets, rows, f)
    return summed.permute(0, 2, 1, 3).double().numpy()
