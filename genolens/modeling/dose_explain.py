"""The dose ensemble in the shape the explanation layer explains: float64, output (n, 1).

:func:`genolens.explain.attribute` explains a module mapping (batch, n_features) to (batch, n_outputs);
:meth:`DoseEnsemble.forward` returns the mean dose with shape (batch,). :func:`explainable_dose_model` wraps a
float64 copy (so that Integrated Gradients adds up to well within 1% even for a patient near the baseline),
leaving the loaded model untouched.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from genolens.modeling.dose_network import DoseEnsemble


class DoseColumn(nn.Module):
    """``model(x)`` (n,) as (n, 1): the mean dose in mg/week as the one output of an explainable module."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.model(x)
        return out[:, None]


def float64_copy(model: DoseEnsemble) -> DoseEnsemble:
    """A frozen float64 copy of ``model`` (the original is not changed)."""
    return copy.deepcopy(model).double().freeze()


def explainable_dose_model(model: DoseEnsemble) -> DoseColumn:
    """``model`` (used as given: pass a :func:`float64_copy` for float64) wrapped as :class:`DoseColumn`."""
    return DoseColumn(model)
