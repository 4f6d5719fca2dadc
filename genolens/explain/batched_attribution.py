"""Batched attribution of an ensemble: every member and every requested output from one pass.

Integrated Gradients, GradientShap and feature ablation of an :class:`~genolens.modeling.networks.Ensemble`
explained member by member run here with the same points, weights and draws as Captum's per-member
calls (:func:`~genolens.explain.attribution_methods.run_method`); tests hold them equal within 1e-6.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from genolens.errors import ExplainError
from genolens.explain.attribution_methods import Method, gauss_legendre
from genolens.modeling.networks import Ensemble


def _member_logits(model: Ensemble, points: torch.Tensor) -> torch.Tensor:
    """Calibrated logits of member m at ``points[m]``: (members, batch, n_features) -> (members, batch, n_outputs)."""
    raw = torch.stack([member(points[m]) for m, member in enumerate(model.members)])
    out: torch.Tensor = raw * model.cal_slope + model.cal_bias
    return out


def _member_grads(model: Ensemble, points: torch.Tensor, targets: Sequence[int]) -> dict[int, torch.Tensor]:
    """Gradient of each member's calibrated logit for each target at its own copy of the points.

    ``points``: (batch, n_features); returns per target (members, batch, n_features). The points are
    repeated once per member and once per target (member m's block for target t feeds only
    member m's logit t), so one forward and one backward serve every member and target.
    """
    n_members, n_targets, batch = len(model.members), len(targets), points.shape[0]
    with torch.enable_grad():
        p = points.detach().repeat(n_targets, 1).unsqueeze(0).expand(n_members, -1, -1).clone().requires_grad_(True)
        out = _member_logits(model, p).view(n_members, n_targets, batch, -1)  # (members, targets, batch, n_outputs)
        own = out[:, torch.arange(n_targets), :, torch.as_tensor(list(targets))]  # (targets, members, batch)
        (g,) = torch.autograd.grad(own.sum(), p)
    g = g.view(n_members, n_targets, batch, -1)
    return {t: g[:, j] for j, t in enumerate(targets)}


def attribute_batched(method: Method, model: Ensemble, x: torch.Tensor, base: torch.Tensor,
                      samples: torch.Tensor | None, targets: Sequence[int], n: int, mask: np.ndarray | None,
                      groups: tuple[tuple[int, ...], ...], seed: int) -> dict[int, np.ndarray]:
    """IG, GradientShap or feature ablation of every member for every target; per target (members, n_features).

    Same arithmetic as Captum's per-member calls (``run_method``): IG's Gauss-Legendre points and weights,
    GradientShap's baseline indices and path coefficients drawn from numpy's generator seeded with
    ``seed`` in Captum's order (a private generator: global state is left alone), and ablation rows
    ``x`` with each group set to the baseline.
    """
    x = x.detach()
    if method == "feature_ablation":
        ablate = np.zeros((len(groups), x.shape[1]), dtype=bool)  # (n_groups, n_features)
        for g, cols in enumerate(groups):
            ablate[g, list(cols)] = True
        rows = torch.where(torch.as_tensor(ablate), base, x)  # (n_groups, n_features)
        with torch.no_grad():  # batched as Captum batches them (x alone, then 512 rows a pass): the same rounding
            initial = model.member_logits(x)  # (members, 1, n_outputs)
            out = torch.cat([model.member_logits(rows[i:i + 512]) for i in range(0, len(rows), 512)], dim=1)
        diff = (initial - out).double().numpy()  # (members, n_groups, n_outputs)
        per_feature = diff[:, mask, :] if mask is not None else diff  # Captum repeats a group's value on its inputs
        return {t: per_feature[:, :, t] for t in targets}
    if method == "ig":
        step_sizes, alphas = gauss_legendre(n)
        points = torch.cat([base + alpha * (x - base) for alpha in alphas], dim=0)  # (n, n_features)
        weights = torch.tensor(step_sizes).float().view(1, n, 1).to(x.dtype)
        grads = _member_grads(model, points, targets)
        return {t: ((g * weights).sum(dim=1) * (x - base)).double().numpy() for t, g in grads.items()}
    if samples is None:
        raise ExplainError("gradient_shap needs a baseline distribution; use baselines.reference_distribution(...).")
    rs = np.random.RandomState(seed % 2**32)  # Captum: np.random.choice for the baselines, then uniform
    drawn = samples[rs.choice(samples.shape[0], n).tolist()]  # (n, n_features)
    coef = torch.tensor(rs.uniform(0.0, 1.0, n), dtype=x.dtype).view(n, 1)
    points = coef * x + (1.0 - coef) * drawn  # (n, n_features)
    grads = _member_grads(model, points, targets)
    return {t: (((x - drawn) * g).sum(dim=1) * 1 / n).double().numpy() for t, g in grads.items()}
