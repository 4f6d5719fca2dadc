"""One entry point for attributions, in Captum's shape: explicit baseline, explicit target.

:func:`attribute` explains one patient's logit for one output and returns an
:class:`~genolens.types.Attribution` that carries its method, baseline, parameters and
completeness residual. Integrated Gradients is the default: it registers no hooks, so it is safe
on a model shared between dashboard sessions. DeepLift and DeepLiftShap register hooks and run on
a per-call ``copy.deepcopy``; the shared model is never mutated.

An :class:`~genolens.modeling.networks.Ensemble` is explained member by member: each member under
the ensemble's calibration, so that the members' mean is the ensemble's output. The result is the
mean over members, and the spread across members is kept. Stochastic methods use the same seed for
every member, so the spread reflects the models, not the sampling.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Literal, get_args

import captum
import numpy as np
import torch
from captum.attr import (
    DeepLift,
    DeepLiftShap,
    FeatureAblation,
    GradientShap,
    InputXGradient,
    IntegratedGradients,
    Saliency,
    ShapleyValueSampling,
)
from captum.attr._core.deep_lift import SUPPORTED_NON_LINEAR, nonlinear
from captum.attr._utils.approximation_methods import approximation_parameters
from torch import nn

from genolens.explain.baselines import ExplainError
from genolens.modeling.networks import Ensemble
from genolens.types import Attribution, Baseline, ExplainContext

Method = Literal["ig", "gradient_shap", "deeplift_shap", "deeplift", "saliency", "input_x_gradient",
                 "feature_ablation", "shapley_sampling"]
METHODS: tuple[Method, ...] = get_args(Method)
MemberMode = Literal["each", "ensemble"]
MEMBER_MODES: tuple[MemberMode, ...] = get_args(MemberMode)

IG_STEPS: tuple[int, ...] = (32, 64, 128, 256, 512, 1024)
"""Integrated Gradients step ladder: steps double until completeness is met or 1024 is reached."""
RELATIVE_TOLERANCE = 0.01
"""Completeness target: |residual| <= 1% of |f(x) - f(baseline)| ..."""
ABSOLUTE_TOLERANCE = 1e-4
"""... or this many logits, whichever is larger (when f(x) is close to f(baseline))."""
_DEFAULT_SAMPLES = {"gradient_shap": 512, "shapley_sampling": 25}
_HOOKED: frozenset[str] = frozenset({"deeplift", "deeplift_shap"})
_GROUPWISE: frozenset[str] = frozenset({"feature_ablation", "shapley_sampling"})
_NEEDS_SAMPLES: frozenset[str] = frozenset({"gradient_shap", "deeplift_shap"})

# Captum's DeepLift applies its rescale rule only to the activation types it lists and uses the plain
# gradient elsewhere, which breaks completeness. SiLU (our networks' activation) is elementwise, so
# the generic rule (delta_out / delta_in) Captum uses for Tanh/Sigmoid/ELU is exact for it too.
SUPPORTED_NON_LINEAR.setdefault(nn.SiLU, nonlinear)


class _Calibrated(nn.Module):
    """One ensemble member under the ensemble's Platt calibration: ``member(x) * slope + bias``."""

    def __init__(self, member: nn.Module, slope: torch.Tensor, bias: torch.Tensor) -> None:
        super().__init__()
        self.member = member
        self.slope = slope.detach().clone()
        self.bias = bias.detach().clone()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.member(x) * self.slope + self.bias  # (batch, n_outputs)
        return out


def explained_units(model: nn.Module, *, members: MemberMode = "each") -> list[nn.Module]:
    """Return the modules that are attributed one by one; their mean output is ``model``'s output.

    Parameters
    ----------
    model : torch.nn.Module
        An :class:`Ensemble` or any module mapping (batch, n_features) to (batch, n_outputs) logits.
    members : {"each", "ensemble"}
        ``each``: one calibrated wrapper per ensemble member; ``ensemble``: the model itself.

    Returns
    -------
    list of torch.nn.Module
        Wrappers that share the members' parameters (nothing is copied or changed).
    """
    if members not in MEMBER_MODES:
        raise ExplainError(f"members={members!r} unknown. Choose from: {', '.join(MEMBER_MODES)}.")
    if members == "each" and isinstance(model, Ensemble):
        slope, bias = model.cal_slope, model.cal_bias
        if not isinstance(slope, torch.Tensor) or not isinstance(bias, torch.Tensor):
            raise ExplainError("The ensemble has no calibration buffers; it cannot be explained per member.")
        return [_Calibrated(m, slope, bias) for m in model.members]
    return [model]


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed torch's and numpy's global RNGs (Captum draws from both) and restore them afterwards."""
    state = np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        np.random.seed(seed % 2**32)
        try:
            yield
        finally:
            np.random.set_state(state)


@functools.lru_cache(maxsize=16)
def _gauss_legendre(n: int) -> tuple[list[float], list[float]]:
    """Gauss-Legendre step sizes and points on [0, 1] for ``n`` steps, as Captum computes them."""
    step_sizes, alphas = approximation_parameters("gausslegendre")
    return step_sizes(n), alphas(n)


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


def _run(method: Method, unit: nn.Module, x: torch.Tensor, base: torch.Tensor, samples: torch.Tensor | None,
         target: int, n: int, mask: torch.Tensor | None) -> torch.Tensor:
    """Attribute one unit with Captum; returns shape (1, n_features)."""
    if method == "ig":
        # Captum's public IG.attribute recomputes the Gauss-Legendre nodes (an eigenproblem, ~0.1 s at
        # 1024 steps) on every call; its own _attribute accepts them precomputed (captum pinned, 0.9.0).
        ig = IntegratedGradients(unit, multiply_by_inputs=True)
        (out,) = ig._attribute((x,), (base,), target=target, n_steps=n, method="gausslegendre",
                               step_sizes_and_alphas=_gauss_legendre(n))
    elif method == "gradient_shap":
        out = GradientShap(unit).attribute(x, baselines=samples, target=target, n_samples=n, stdevs=0.0)
    elif method == "deeplift":
        with warnings.catch_warnings():  # Captum always warns that it sets hooks; they are on our copy
            warnings.filterwarnings("ignore", message="Setting forward, backward hooks")
            out = DeepLift(copy.deepcopy(unit)).attribute(x, baselines=base, target=target)
    elif method == "deeplift_shap":
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Setting forward, backward hooks")
            out = DeepLiftShap(copy.deepcopy(unit)).attribute(x, baselines=samples, target=target)
    elif method == "saliency":
        out = Saliency(unit).attribute(x, target=target, abs=False)
    elif method == "input_x_gradient":
        # (x - b) * grad f(x): the gradient-times-input rule measured from the baseline, not from 0.
        shifted: Callable[[torch.Tensor], torch.Tensor] = lambda d: unit(base + d)  # noqa: E731
        d = (x - base).detach().requires_grad_(True)
        out = InputXGradient(shifted).attribute(d, target=target)
    elif method == "feature_ablation":
        groups = int(mask.max()) + 1 if mask is not None else x.shape[1]
        out = FeatureAblation(unit).attribute(x, baselines=base, target=target, feature_mask=mask,
                                              perturbations_per_eval=min(groups, 512))
    else:
        groups = int(mask.max()) + 1 if mask is not None else x.shape[1]
        out = ShapleyValueSampling(unit).attribute(x, baselines=base, target=target, feature_mask=mask,
                                                   n_samples=n, perturbations_per_eval=min(groups, 512))
    result: torch.Tensor = out.detach()
    return result


def _logits(model: nn.Module, x: np.ndarray, target: int, dtype: torch.dtype) -> np.ndarray:
    """f(x)[:, target] for rows of ``x`` (shape (batch, n_features)), float64."""
    with torch.no_grad():
        out = model(torch.as_tensor(x, dtype=dtype))  # (batch, n_outputs)
    if out.ndim != 2 or not 0 <= target < out.shape[1]:
        raise ExplainError(f"Target {target} is not an output of this model (output shape {tuple(out.shape)}).")
    return np.asarray(out[:, target].double().numpy(), dtype=np.float64)


def _completeness_text(method: Method, residual: float, converged: bool, n: int) -> str:
    """Say in words what the contributions add up to."""
    if method == "saliency":
        return "Saliency gives gradients (logit per unit of input), not contributions; they do not add up."
    against = ("the prediction minus the average prediction over the baseline people"
               if method in _NEEDS_SAMPLES else "the prediction minus the baseline prediction")
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
    xv, names = _checked_input(method, x, baseline, context)
    if n_steps is not None and n_steps < 1:
        raise ExplainError(f"n_steps={n_steps} must be at least 1 (or None for the default).")
    mask, labels, groups = _mask(feature_mask, group_names, names)
    dtype = _dtype(model)
    units = explained_units(model, members=members)
    f_x = float(_logits(model, xv[None], target, dtype)[0])
    ref = baseline.samples if method in _NEEDS_SAMPLES and baseline.samples is not None else baseline.values[None]
    f_b = float(_logits(model, ref, target, dtype).mean())
    tolerance = max(RELATIVE_TOLERANCE * abs(f_x - f_b), ABSOLUTE_TOLERANCE)

    x_t = torch.as_tensor(xv[None], dtype=dtype).requires_grad_(True)
    b_t = torch.as_tensor(baseline.values[None], dtype=dtype)
    s_t = torch.as_tensor(baseline.samples, dtype=dtype) if baseline.samples is not None else None
    m_t = torch.as_tensor(mask[None], dtype=torch.long) if mask is not None else None
    ladder = (n_steps,) if n_steps is not None else (IG_STEPS if method == "ig" else (_DEFAULT_SAMPLES.get(method, 0),))
    for n in ladder:
        per_unit = []
        for unit in units:
            with torch.enable_grad(), _seeded(seed):  # the same draws for every member
                per_unit.append(_run(method, unit, x_t, b_t, s_t, target, n, m_t)[0].double().numpy())
        member_values = _collapse(np.stack(per_unit), groups, groupwise=method in _GROUPWISE)
        values = member_values.mean(axis=0)
        residual = float("nan") if method == "saliency" else (f_x - f_b) - float(np.sum(values))
        converged = bool(abs(residual) <= tolerance)
        if converged:
            break
    params: dict[str, int | float | str] = {
        "members": len(units), "member_mode": members, "seed": seed, "captum": captum.__version__,
        "dtype": str(dtype).removeprefix("torch."),
    }
    if method == "ig":
        params.update(n_steps=n, quadrature="gausslegendre", internal_batch_size="all steps in one batch")
    elif method in ("gradient_shap", "shapley_sampling"):
        params["samples"] = n
    if method in _NEEDS_SAMPLES and baseline.samples is not None:
        params["baseline_samples"] = int(baseline.samples.shape[0])
    if method in _GROUPWISE:
        params["perturbations_per_eval"] = min(len(groups), 512)
    output = context.output_names[target] if context is not None and target < len(context.output_names) else ""
    return Attribution(
        method=method, target=target, output=output, feature_names=names, names=labels, groups=groups,
        values=values, member_values=member_values, spread=member_values.std(axis=0), inputs=xv,
        baseline=baseline, prediction_logit=f_x, baseline_logit=f_b, residual=residual, tolerance=tolerance,
        converged=converged, completeness=_completeness_text(method, residual, converged, n),
        parameters=params,
    )


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
    if method in _NEEDS_SAMPLES and baseline.samples is None:
        raise ExplainError(f"{method} needs a baseline distribution; use baselines.reference_distribution(...).")
    return xv, names


def _collapse(per_feature: np.ndarray, groups: tuple[tuple[int, ...], ...], *, groupwise: bool) -> np.ndarray:
    """(members, n_features) -> (members, n_groups): a group's value (perturbation methods) or sum."""
    if groupwise:  # Captum repeats the group's value on every input of the group
        return np.stack([per_feature[:, g[0]] for g in groups], axis=1)
    return np.stack([per_feature[:, list(g)].sum(axis=1) for g in groups], axis=1)
