"""One entry point for attributions, in Captum's shape: explicit baseline, explicit target.

:func:`attribute` explains one patient's logit for one output and returns an
:class:`~genolens.datamodel.Attribution` that carries its method, baseline, parameters and
completeness residual. Integrated Gradients is the default: it registers no hooks, so it is safe
on a model shared between dashboard sessions. DeepLift and DeepLiftShap register hooks and run on
a per-call ``copy.deepcopy``; the shared model is never mutated.

An :class:`~genolens.modeling.networks.Ensemble` is explained member by member: each member under
the ensemble's calibration, so that the members' mean is the ensemble's output. The result is the
mean over members, and the spread across members is kept. Stochastic methods use the same seed for
every member, so the spread reflects the models, not the sampling.

For an :class:`Ensemble` explained member by member, Integrated Gradients, GradientShap and full
(or grouped) feature ablation run batched: every member and every requested output from one
forward pass (and one backward pass for the gradient methods), with the same points, weights and
draws as Captum's ``IntegratedGradients``, ``GradientShap`` and ``FeatureAblation`` (tests hold
them equal within 1e-6). :func:`attribute_outputs` explains several outputs at once this way;
other methods and other models go through Captum one unit and one output at a time.

The method registry and the Captum calls live in :mod:`~genolens.explain.attribution_methods`, the
batched passes in :mod:`~genolens.explain.batched_attribution`; this module runs the step ladder and
checks completeness.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext

import numpy as np
import torch
from torch import nn

from genolens.datamodel import Attribution, Baseline, ExplainContext
from genolens.errors import ExplainError
from genolens.explain.attribution_methods import (
    BATCHED,
    DEFAULT_SAMPLES,
    GLOBAL_RNG,
    GROUPWISE,
    METHODS,
    NEEDS_SAMPLES,
    MemberMode,
    Method,
    explained_units,
    run_method,
)
from genolens.explain.batched_attribution import attribute_batched
from genolens.explain.captum_api import CAPTUM_VERSION
from genolens.modeling.networks import Ensemble

IG_STEPS: tuple[int, ...] = (32, 64, 128, 256, 512, 1024)
"""Integrated Gradients step ladder: steps double until completeness is met or 1024 is reached."""
RELATIVE_TOLERANCE = 0.01
"""Completeness target: |residual| <= 1% of |f(x) - f(baseline)| ..."""
ABSOLUTE_TOLERANCE = 1e-4
"""... or this many logits, whichever is larger (when f(x) is close to f(baseline))."""


_GLOBAL_RNG_LOCK = threading.Lock()
"""Held while the global generators are seeded for one Captum call: one such call at a time."""


@contextmanager
def seeded_global_rngs(seed: int) -> Iterator[None]:
    """Seed torch's CPU and numpy's global RNGs (Captum draws from both) and restore them afterwards.

    Only one seeded section runs at a time (a module lock), so concurrent explanations by
    GradientShap through Captum do not draw from each other's seeded state. Code outside this module
    that draws from the global generators meanwhile still can; Shapley sampling therefore uses a
    generator of its own and does not come here.

    ``torch.manual_seed`` would also queue lazy CUDA/MPS seeding with a stack trace (~0.2 ms a call
    even on a CPU build); only the CPU generator is used here, so only it is seeded.
    """
    with _GLOBAL_RNG_LOCK:
        state, torch_state = np.random.get_state(), torch.random.get_rng_state()
        torch.default_generator.manual_seed(seed)
        np.random.seed(seed % 2**32)
        try:
            yield
        finally:
            np.random.set_state(state)
            torch.random.set_rng_state(torch_state)


def _dtype(model: nn.Module) -> torch.dtype:
    for t in [*model.parameters(), *model.buffers()]:
        if t.is_floating_point():
            return t.dtype
    return torch.float32


def _mask(feature_mask: Sequence[int] | np.ndarray | None, group_names: Sequence[str] | None,
          names: tuple[str, ...]) -> tuple[np.ndarray | None, tuple[str, ...], tuple[tuple[int, ...], ...]]:
    """Validate a feature mask; return it with the group names and the input indices of each group."""
    n = len(names)
    if feature_mask is None:
        return None, names, tuple((i,) for i in range(n))
    mask = np.asarray(feature_mask)
    if mask.shape != (n,) or not np.issubdtype(mask.dtype, np.integer):
        raise ExplainError(f"The feature mask must be integers, shape ({n},); got {mask.dtype} {mask.shape}.")
    n_groups = int(mask.max()) + 1 if n else 0
    if mask.min() < 0 or len(np.unique(mask)) != n_groups:
        raise ExplainError(f"Feature-mask group ids must be 0..G-1, each used; got {sorted(set(mask.tolist()))}.")
    labels = tuple(group_names) if group_names is not None else tuple(f"group {g}" for g in range(n_groups))
    if len(labels) != n_groups:
        raise ExplainError(f"{len(labels)} group names for {n_groups} groups in the feature mask.")
    return mask, labels, tuple(tuple(np.flatnonzero(mask == g).tolist()) for g in range(n_groups))

def _logits(model: nn.Module, x: np.ndarray, targets: Sequence[int], dtype: torch.dtype) -> np.ndarray:
    """f(x)[:, targets] for rows of ``x`` (shape (batch, n_features)), float64, shape (batch, n_targets)."""
    with torch.no_grad():
        out = model(torch.as_tensor(x, dtype=dtype))  # (batch, n_outputs)
    for target in targets:
        if out.ndim != 2 or not 0 <= target < out.shape[1]:
            raise ExplainError(f"Target {target} is not an output of this model (output shape {tuple(out.shape)}).")
    return np.asarray(out[:, list(targets)].double().numpy(), dtype=np.float64)


def _completeness_text(method: Method, residual: float, converged: bool, n: int) -> str:
    """Say in words what the contributions add up to."""
    if method == "saliency":
        return "Saliency gives gradients (logit per unit of input), not contributions; they do not add up."
    against = ("the prediction minus the average prediction over the baseline people"
               if method in NEEDS_SAMPLES else "the prediction minus the baseline prediction")
    state = "within" if converged else "NOT within"
    extra = {
        "ig": f" ({n} Gauss-Legendre steps)",
        "gradient_shap": f" (a sampling estimate from {n} draws; it adds up only on average)",
        "feature_ablation": " (each group removed alone; interactions are left in the residual)",
        "shapley_sampling": f" ({n} random orderings; exact by construction)",
    }.get(method, "")
    return f"Contributions add up to {against} {state} tolerance: residual {residual:+.2e} logit{extra}."


def attribute(model: nn.Module, x: np.ndarray | Sequence[float], *, method: Method = "ig", baseline: Baseline,
              target: int, n_steps: int | None = None, seed: int = 0, members: MemberMode = "each",
              context: ExplainContext | None = None, feature_mask: Sequence[int] | np.ndarray | None = None,
              group_names: Sequence[str] | None = None) -> Attribution:
    """Explain one patient's logit for one output, relative to a baseline.

    Parameters
    ----------
    model : torch.nn.Module
        An :class:`Ensemble` or any module mapping (batch, n_features) natural-scale inputs to
        (batch, n_outputs) logits. Never mutated; hook-based methods work on a copy.
    x : array_like
        float, shape (n_features,): the patient's inputs, imputed (no NaN).
    method : str
        One of :data:`METHODS`; ``"ig"`` (Integrated Gradients) by default.
    baseline : Baseline
        The comparison point. ``gradient_shap`` and ``deeplift_shap`` need ``baseline.samples``
        (a distribution, see :func:`~genolens.explain.baselines.reference_distribution`).
    target : int
        Index of the output to explain.
    n_steps : int, optional
        IG steps (default: the ladder :data:`IG_STEPS` until completeness is met); samples for
        ``gradient_shap`` (default 512); permutations for ``shapley_sampling`` (default 25).
    seed : int
        Seed of the stochastic methods (same seed for every ensemble member).
    members : {"each", "ensemble"}
        Attribute each ensemble member and average (keeps the spread), or the ensemble as one model.
    context : ExplainContext, optional
        Supplies feature and output names.
    feature_mask : array_like of int, optional
        shape (n_features,): group id 0..G-1 per input. Ablation and Shapley sampling perturb groups
        together; other methods sum their per-input values within a group. One value per group.
    group_names : sequence of str, optional
        G names for the groups of ``feature_mask``.

    Returns
    -------
    Attribution
        Values on the logit scale, with the completeness residual and whether its target was met.

    Raises
    ------
    ExplainError
        On an unknown method, mismatched shapes, NaN inputs, or a missing baseline distribution.
    """
    return attribute_outputs(model, x, method=method, baseline=baseline, targets=(target,), n_steps=n_steps,
                             seed=seed, members=members, context=context, feature_mask=feature_mask,
                             group_names=group_names)[0]


def attribute_outputs(model: nn.Module, x: np.ndarray | Sequence[float], *, method: Method = "ig",
                      baseline: Baseline, targets: Sequence[int], n_steps: int | None = None, seed: int = 0,
                      members: MemberMode = "each", context: ExplainContext | None = None,
                      feature_mask: Sequence[int] | np.ndarray | None = None,
                      group_names: Sequence[str] | None = None) -> list[Attribution]:
    """Explain one patient's logits for several outputs; same parameters as :func:`attribute`.

    Each output's result is the one :func:`attribute` returns for it alone (the IG step ladder runs
    per output; batched values can differ from a one-output call in the last float32 bit only); for
    an ensemble explained member by member, IG, GradientShap and feature ablation share their
    forward and backward passes across members and outputs.

    Returns
    -------
    list of Attribution
        One per entry of ``targets``, in that order.
    """
    xv, names = _checked_input(method, x, baseline, context)
    if n_steps is not None and n_steps < 1:
        raise ExplainError(f"n_steps={n_steps} must be at least 1 (or None for the default).")
    mask, labels, groups = _mask(feature_mask, group_names, names)
    dtype = _dtype(model)
    units = explained_units(model, members=members)
    targets = [int(t) for t in targets]
    f_all = _logits(model, xv[None], targets, dtype)[0]  # (n_targets,)
    ref = baseline.samples if method in NEEDS_SAMPLES and baseline.samples is not None else baseline.values[None]
    f_ref = _logits(model, ref, targets, dtype).mean(axis=0)  # (n_targets,)
    ensemble = model if isinstance(model, Ensemble) and members == "each" and method in BATCHED else None

    x_t = torch.as_tensor(xv[None], dtype=dtype).requires_grad_(True)
    b_t = torch.as_tensor(baseline.values[None], dtype=dtype)
    s_t = torch.as_tensor(baseline.samples, dtype=dtype) if baseline.samples is not None else None
    m_t = torch.as_tensor(mask[None], dtype=torch.long) if mask is not None else None
    ladder = (n_steps,) if n_steps is not None else (IG_STEPS if method == "ig" else (DEFAULT_SAMPLES.get(method, 0),))
    results: dict[int, tuple[np.ndarray, float, bool, int]] = {}  # position -> (member values, residual, ok, n)
    pending = list(range(len(targets)))
    for n in ladder:
        todo = sorted({targets[i] for i in pending})
        if ensemble is not None:
            per_target = attribute_batched(method, ensemble, x_t, b_t, s_t, todo, n, mask, groups, seed)
        else:
            per_target = _per_unit(method, units, x_t, b_t, s_t, todo, n, m_t, seed)
        still = []
        for i in pending:
            member_values = _collapse(per_target[targets[i]], groups, groupwise=method in GROUPWISE)
            delta = float(f_all[i] - f_ref[i])
            tolerance = max(RELATIVE_TOLERANCE * abs(delta), ABSOLUTE_TOLERANCE)
            residual = float("nan") if method == "saliency" else delta - float(np.sum(member_values.mean(axis=0)))
            converged = bool(abs(residual) <= tolerance)
            results[i] = (member_values, residual, converged, n)
            if not converged:
                still.append(i)
        pending = still
        if not pending:
            break
    out = []
    for i, target in enumerate(targets):
        member_values, residual, converged, n = results[i]
        f_x, f_b = float(f_all[i]), float(f_ref[i])
        tolerance = max(RELATIVE_TOLERANCE * abs(f_x - f_b), ABSOLUTE_TOLERANCE)
        params = _parameters(method, n, units=len(units), members=members, seed=seed, dtype=dtype, baseline=baseline,
                             n_groups=len(groups), batched=ensemble is not None)
        output = context.output_names[target] if context is not None and target < len(context.output_names) else ""
        out.append(Attribution(
            method=method, target=target, output=output, feature_names=names, names=labels, groups=groups,
            values=member_values.mean(axis=0), member_values=member_values, spread=member_values.std(axis=0),
            inputs=xv, baseline=baseline, prediction_logit=f_x, baseline_logit=f_b, residual=residual,
            tolerance=tolerance, converged=converged, completeness=_completeness_text(method, residual, converged, n),
            parameters=params,
        ))
    return out


def _per_unit(method: Method, units: Sequence[nn.Module], x: torch.Tensor, base: torch.Tensor,
              samples: torch.Tensor | None, targets: Sequence[int], n: int, mask: torch.Tensor | None,
              seed: int) -> dict[int, np.ndarray]:
    """Attribute every unit for every target through Captum, one call each; per target (members, n_features)."""
    per_target = {}
    for t in targets:
        per_unit = []
        for unit in units:
            with torch.enable_grad(), seeded_global_rngs(seed) if method in GLOBAL_RNG else nullcontext():
                out = run_method(method, unit, x, base, samples, t, n, mask, seed=seed)
                per_unit.append(out[0].double().numpy())
        per_target[t] = np.stack(per_unit)  # (members, n_features)
    return per_target


def _parameters(method: Method, n: int, *, units: int, members: MemberMode, seed: int, dtype: torch.dtype,
                baseline: Baseline, n_groups: int, batched: bool) -> dict[str, int | float | str]:
    """The settings an :class:`Attribution` records: members, seed, versions, and the method's own."""
    params: dict[str, int | float | str] = {
        "members": units, "member_mode": members, "seed": seed, "captum": CAPTUM_VERSION,
        "dtype": str(dtype).removeprefix("torch."),
    }
    if method == "ig":
        params.update(n_steps=n, quadrature="gausslegendre", internal_batch_size="all steps in one batch")
    elif method in ("gradient_shap", "shapley_sampling"):
        params["samples"] = n
    if method in NEEDS_SAMPLES and baseline.samples is not None:
        params["baseline_samples"] = int(baseline.samples.shape[0])
    if method in GROUPWISE:
        params["perturbations_per_eval"] = min(n_groups, 512)
    if batched:
        params["batched"] = "members and outputs in one pass (equal to Captum's per-member result)"
    return params


def _checked_input(method: str, x: np.ndarray | Sequence[float], baseline: Baseline,
                   context: ExplainContext | None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Validate method, input and baseline; return the input as float64 (n_features,) and the names."""
    if method not in METHODS:
        raise ExplainError(f"Attribution method {method!r} unknown. Choose from: {', '.join(METHODS)}.")
    xv = np.asarray(x, dtype=np.float64)
    n_features = xv.shape[0] if xv.ndim == 1 else -1
    names = context.feature_names if context is not None else tuple(f"x{i}" for i in range(max(n_features, 0)))
    if xv.ndim != 1 or len(names) != n_features or baseline.values.shape != xv.shape:
        raise ExplainError(f"Input shape {xv.shape} and baseline shape {baseline.values.shape} must both be "
                           f"({len(names)},), one value per model input.")
    if not np.all(np.isfinite(xv)):
        where = [names[i] for i in np.flatnonzero(~np.isfinite(xv))][:5]
        raise ExplainError(f"The input has missing values at {where}; impute them before explaining.")
    if method in NEEDS_SAMPLES and baseline.samples is None:
        raise ExplainError(f"{method} needs a baseline distribution; use baselines.reference_distribution(...).")
    return xv, names


def _collapse(per_feature: np.ndarray, groups: tuple[tuple[int, ...], ...], *, groupwise: bool) -> np.ndarray:
    """(members, n_features) -> (members, n_groups): a group's value (perturbation methods) or sum."""
    if all(len(g) == 1 for g in groups):  # one input per group (no mask): pick the columns
        return np.ascontiguousarray(per_feature[:, [g[0] for g in groups]])
    if groupwise:  # Captum repeats the group's value on every input of the group
        return np.stack([per_feature[:, g[0]] for g in groups], axis=1)
    return np.stack([per_feature[:, list(g)].sum(axis=1) for g in groups], axis=1)
