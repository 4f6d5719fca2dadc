"""The attribution methods: their names and properties, the units explained, and one Captum call each.

:data:`METHODS` names every method :func:`~genolens.explain.attribution.attribute` accepts; the
frozensets below say which need a baseline distribution, draw random numbers, perturb groups or run
batched. :func:`explained_units` gives the modules explained one by one (each ensemble member under
the ensemble's calibration) and :func:`run_method` attributes one of them with Captum.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections.abc import Callable, Iterator
from typing import Literal, get_args

import torch
from torch import nn

from genolens.errors import ExplainError
from genolens.explain.captum_api import (
    SUPPORTED_NON_LINEAR,
    DeepLift,
    DeepLiftShap,
    FeatureAblation,
    GradientShap,
    InputXGradient,
    IntegratedGradients,
    Saliency,
    ShapleyValueSampling,
    approximation_parameters,
    nonlinear,
)
from genolens.modeling.networks import Ensemble

Method = Literal["ig", "gradient_shap", "deeplift_shap", "deeplift", "saliency", "input_x_gradient",
                 "feature_ablation", "shapley_sampling"]
METHODS: tuple[Method, ...] = get_args(Method)
MemberMode = Literal["each", "ensemble"]
MEMBER_MODES: tuple[MemberMode, ...] = get_args(MemberMode)
DEFAULT_SAMPLES = {"gradient_shap": 512, "shapley_sampling": 25}
"""Samples (GradientShap) or permutations (Shapley sampling) when ``n_steps`` is not given."""
_HOOKED: frozenset[str] = frozenset({"deeplift", "deeplift_shap"})
GROUPWISE: frozenset[str] = frozenset({"feature_ablation", "shapley_sampling"})
"""Methods that perturb a feature-mask group together (one value per group)."""
NEEDS_SAMPLES: frozenset[str] = frozenset({"gradient_shap", "deeplift_shap"})
"""Methods that need a baseline distribution (``Baseline.samples``)."""
STOCHASTIC: frozenset[str] = frozenset({"gradient_shap", "shapley_sampling"})
"""Methods that draw random numbers (seeded per call)."""
GLOBAL_RNG: frozenset[str] = frozenset({"gradient_shap"})
"""Stochastic methods whose Captum call draws from numpy's and torch's global generators (Shapley
sampling draws its permutations from a generator of its own, see :func:`run_method`)."""
BATCHED: frozenset[str] = frozenset({"ig", "gradient_shap", "feature_ablation"})
"""Methods an ensemble explained member by member runs batched (one pass for members and outputs)."""

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



@functools.lru_cache(maxsize=16)
def gauss_legendre(n: int) -> tuple[list[float], list[float]]:
    """Gauss-Legendre step sizes and points on [0, 1] for ``n`` steps, as Captum computes them."""
    step_sizes, alphas = approximation_parameters("gausslegendre")
    return step_sizes(n), alphas(n)


def _permutations(generator: torch.Generator, num_features: int, num_samples: int) -> Iterator[list[int]]:
    """Captum's ``_perm_generator`` drawing from ``generator`` instead of torch's global generator."""
    for _ in range(num_samples):
        yield torch.randperm(num_features, generator=generator).tolist()


def run_method(method: Method, unit: nn.Module, x: torch.Tensor, base: torch.Tensor, samples: torch.Tensor | None,
         target: int, n: int, mask: torch.Tensor | None, *, seed: int = 0) -> torch.Tensor:
    """Attribute one unit with Captum; returns shape (1, n_features).

    ``seed`` seeds Shapley sampling's permutations, drawn from a CPU generator of this call's own:
    the same permutations as torch's global generator seeded with ``seed`` would give, whatever other
    threads draw meanwhile. The other stochastic methods (:data:`GLOBAL_RNG`) draw from the global
    generators, which the caller seeds.
    """
    if method == "ig":
        # Captum's public IG.attribute recomputes the Gauss-Legendre nodes (an eigenproblem, ~0.1 s at
        # 1024 steps) on every call; its own _attribute accepts them precomputed (captum pinned, 0.9.0).
        ig = IntegratedGradients(unit, multiply_by_inputs=True)
        (out,) = ig._attribute((x,), (base,), target=target, n_steps=n, method="gausslegendre",
                               step_sizes_and_alphas=gauss_legendre(n))
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
        shapley = ShapleyValueSampling(unit)
        # Captum draws permutations through this attribute (captum pinned, 0.9.0); a private generator
        # keeps concurrent sessions, and anything else drawing from torch's generator, out of them.
        shapley.permutation_generator = functools.partial(_permutations, torch.Generator().manual_seed(seed))
        out = shapley.attribute(x, baselines=base, target=target, feature_mask=mask,
                                n_samples=n, perturbations_per_eval=min(groups, 512))
    result: torch.Tensor = out.detach()
    return result

