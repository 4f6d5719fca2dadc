"""Risk and treatment-response networks, and the calibrated deep ensemble that wraps them.

Every network takes one input tensor, shape (batch, n_genetic + n_covariates): effect-allele
dosages in panel order, then the covariates in card order, both on their natural scale (dosage
0..2, years, kg/m², ...). Standardisation is inside the module (buffers set from the training
data), so attributions are computed on the scale the clinician reads. Outputs are logits, shape
(batch, n_outputs).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from genolens.modeling.architecture import NETWORK_KINDS, NetworkConfig, NetworkKind

# The configuration lives beside the torch-free forward pass (predict reads it without importing torch).
__all__ = ["NETWORK_KINDS", "Ensemble", "LinearScore", "NetworkConfig", "NetworkKind", "ResponseNet", "RiskNet",
           "build_member", "genetic_inputs_read", "restrict_genetic"]


class _Standardise(nn.Module):
    """``(x - mean) / scale`` with buffers that travel in the state dict."""

    mean: torch.Tensor
    scale: torch.Tensor

    def __init__(self, n: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n))
        self.register_buffer("scale", torch.ones(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.scale


class RiskNet(nn.Module):
    """Logit = additive genetic path + interaction path (MLP over genetics) + covariate path (linear, plus an
    optional small MLP over the covariates alone: ``NetworkConfig.covariate_hidden``)."""

    def __init__(self, cfg: NetworkConfig) -> None:
        super().__init__()
        self.n_genetic = cfg.n_genetic
        self.scale = _Standardise(cfg.n_genetic + cfg.n_covariates)
        self.additive = nn.Linear(cfg.n_genetic, cfg.n_outputs)
        self.interaction = nn.Sequential(nn.Linear(cfg.n_genetic, cfg.hidden), nn.SiLU())
        self.interaction_out = nn.Linear(cfg.hidden, cfg.n_outputs, bias=False)
        self.covariate = nn.Linear(cfg.n_covariates, cfg.n_outputs, bias=False) if cfg.n_covariates else None
        shaped = bool(cfg.n_covariates and cfg.covariate_hidden)
        self.covariate_shape = (nn.Sequential(nn.Linear(cfg.n_covariates, cfg.covariate_hidden), nn.SiLU())
                                if shaped else None)
        self.covariate_shape_out = nn.Linear(cfg.covariate_hidden, cfg.n_outputs, bias=False) if shaped else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.scale(x)  # (batch, n_genetic + n_covariates)
        g = z[:, : self.n_genetic]  # (batch, n_genetic)
        out: torch.Tensor = self.additive(g) + self.interaction_out(self.interaction(g))  # (batch, n_outputs)
        if self.covariate is not None:
            out = out + self.covariate(z[:, self.n_genetic :])  # (batch, n_outputs)
        if self.covariate_shape is not None and self.covariate_shape_out is not None:
            out = out + self.covariate_shape_out(self.covariate_shape(z[:, self.n_genetic :]))  # (batch, n_outputs)
        return out


class ResponseNet(nn.Module):
    """Treatment response: a shared trunk over all inputs, and per drug an additive path plus a head."""

    def __init__(self, cfg: NetworkConfig) -> None:
        super().__init__()
        n_in = cfg.n_genetic + cfg.n_covariates
        self.scale = _Standardise(n_in)
        self.trunk = nn.Sequential(nn.Linear(n_in, cfg.hidden), nn.SiLU())
        self.additive = nn.ModuleList(nn.Linear(n_in, 1) for _ in range(cfg.n_outputs))
        self.heads = nn.ModuleList(nn.Linear(cfg.hidden, 1, bias=False) for _ in range(cfg.n_outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.scale(x)  # (batch, n_in)
        h = self.trunk(z)  # (batch, hidden)
        per_drug = [a(z) + head(h) for a, head in zip(self.additive, self.heads, strict=True)]  # each (batch, 1)
        return torch.cat(per_drug, dim=1)  # (batch, n_drugs)


class LinearScore(nn.Module):
    """A polygenic score: ``intercept + weights · dosage`` (no standardisation, no hidden layer)."""

    def __init__(self, cfg: NetworkConfig) -> None:
        super().__init__()
        self.scale = _Standardise(cfg.n_genetic + cfg.n_covariates)  # identity; kept for a uniform state dict
        self.linear = nn.Linear(cfg.n_genetic + cfg.n_covariates, cfg.n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.linear(self.scale(x))  # (batch, n_outputs)
        return out


def build_member(cfg: NetworkConfig) -> nn.Module:
    """Return one untrained network of ``cfg.kind`` (parameters from torch's current RNG state)."""
    if cfg.kind == "risk":
        return RiskNet(cfg)
    if cfg.kind == "response":
        return ResponseNet(cfg)
    if cfg.kind == "linear":
        return LinearScore(cfg)
    raise ValueError(f"Network kind {cfg.kind!r} unknown. Choose from: {', '.join(NETWORK_KINDS)}.")


class Ensemble(nn.Module):
    """Deep ensemble with Platt calibration of the ensemble-mean logit, per output.

    ``forward`` returns the calibrated mean logit, shape (batch, n_outputs): the quantity that is
    explained. ``member_logits`` returns each member's logit under the same affine calibration,
    shape (members, batch, n_outputs); their mean equals ``forward``.
    """

    cal_slope: torch.Tensor
    cal_bias: torch.Tensor

    def __init__(self, cfg: NetworkConfig, *, seed: int = 0) -> None:
        super().__init__()
        self.cfg = cfg
        gen_state = torch.random.get_rng_state()
        members = []
        for m in range(cfg.members):
            torch.manual_seed(seed * 1_000 + m)
            members.append(build_member(cfg))
        torch.random.set_rng_state(gen_state)
        self.members = nn.ModuleList(members)
        self.register_buffer("cal_slope", torch.ones(cfg.n_outputs))
        self.register_buffer("cal_bias", torch.zeros(cfg.n_outputs))

    def raw_member_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Uncalibrated logits, shape (members, batch, n_outputs)."""
        return torch.stack([m(x) for m in self.members])  # (members, batch, n_outputs)

    def member_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Calibrated logits of each member, shape (members, batch, n_outputs)."""
        return self.raw_member_logits(x) * self.cal_slope + self.cal_bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.member_logits(x).mean(dim=0)  # (batch, n_outputs)

    def set_standardisation(self, mean: torch.Tensor, scale: torch.Tensor) -> None:
        """Set every member's input standardisation (both shape (n_inputs,))."""
        for m in self.members:
            if isinstance(m, RiskNet | ResponseNet | LinearScore):
                m.scale.mean.copy_(mean)
                m.scale.scale.copy_(scale)

    def warm_start(self, intercept: torch.Tensor, coef: torch.Tensor, *, member: int | None = None) -> None:
        """Start every member (or only ``member``) at a linear logistic model on standardised inputs,
        interactions silent.

        Parameters
        ----------
        intercept
            shape (n_outputs,).
        coef
            shape (n_outputs, n_genetic + n_covariates), on the standardised scale.
        member
            Index of the one member to start; ``None``: every member.
        """
        chosen = list(self.members) if member is None else [self.members[member]]
        with torch.no_grad():
            for m in chosen:
                if isinstance(m, RiskNet):
                    m.additive.weight.copy_(coef[:, : m.n_genetic])
                    m.additive.bias.copy_(intercept)
                    if m.covariate is not None:
                        m.covariate.weight.copy_(coef[:, m.n_genetic :])
                    m.interaction_out.weight.zero_()
                    if m.covariate_shape_out is not None:
                        m.covariate_shape_out.weight.zero_()
                elif isinstance(m, ResponseNet):
                    for k, (add, head) in enumerate(zip(m.additive, m.heads, strict=True)):
                        _linear(add).weight.copy_(coef[k : k + 1])  # (1, n_in)
                        _linear(add).bias.fill_(float(intercept[k]))
                        _linear(head).weight.zero_()

    def silence_inputs(self, mask: torch.Tensor) -> None:
        """Zero every first-layer weight of the inputs in ``mask`` (bool, shape (n_inputs,)).

        Used for inputs that never varied in training: their weights were never trained, and a
        patient who differs there must not meet a random weight.
        """
        with torch.no_grad():
            for m in self.members:
                if isinstance(m, RiskNet):
                    g = mask[: m.n_genetic]
                    m.additive.weight[:, g] = 0.0
                    _linear(m.interaction[0]).weight[:, g] = 0.0
                    if m.covariate is not None:
                        m.covariate.weight[:, mask[m.n_genetic :]] = 0.0
                    if m.covariate_shape is not None:
                        _linear(m.covariate_shape[0]).weight[:, mask[m.n_genetic :]] = 0.0
                elif isinstance(m, ResponseNet):
                    _linear(m.trunk[0]).weight[:, mask] = 0.0
                    for add in m.additive:
                        _linear(add).weight[:, mask] = 0.0

    def set_calibration(self, slope: torch.Tensor, bias: torch.Tensor) -> None:
        """Set the per-output Platt slope and bias (both shape (n_outputs,))."""
        self.cal_slope.copy_(slope)
        self.cal_bias.copy_(bias)

    def freeze(self) -> Ensemble:
        """Switch to inference: eval mode, no parameter requires grad; returns ``self``."""
        self.eval()
        for p in self.parameters():
            p.requires_grad_(False)
        return self


def restrict_genetic(member: nn.Module, keep: torch.Tensor) -> None:
    """Zero the weights of genetic inputs an output may not read (``keep``: bool, (n_outputs, n_genetic)).

    The additive path of output *k* loses the inputs outside ``keep[k]``; the shared interaction
    path (risk) or trunk (response) loses the inputs no output keeps. Covariates are untouched.
    """
    used = keep.any(dim=0)  # (n_genetic,)
    with torch.no_grad():
        if isinstance(member, RiskNet):
            member.additive.weight[~keep] = 0.0
            _linear(member.interaction[0]).weight[:, ~used] = 0.0
        elif isinstance(member, ResponseNet):
            g = keep.shape[1]
            for k, add in enumerate(member.additive):
                _linear(add).weight[0, :g][~keep[k]] = 0.0
            _linear(member.trunk[0]).weight[:, :g][:, ~used] = 0.0


def genetic_inputs_read(model: nn.Module, n_genetic: int) -> np.ndarray:
    """bool, shape (n_genetic,): the genetic inputs some first-layer weight of some member reads.

    An input every path gives weight zero (not selected in training, or never varied) cannot move
    any output; coverage and missing-data checks count only the inputs read.
    """
    read = torch.zeros(n_genetic, dtype=torch.bool)
    members = model.members if isinstance(model, Ensemble) else [model]
    for m in members:
        if isinstance(m, RiskNet):
            firsts = [m.additive.weight, _linear(m.interaction[0]).weight]
        elif isinstance(m, ResponseNet):
            firsts = [_linear(m.trunk[0]).weight, *(_linear(a).weight for a in m.additive)]
        elif isinstance(m, LinearScore):
            firsts = [m.linear.weight]
        else:
            return np.ones(n_genetic, dtype=bool)  # an unknown architecture: assume it reads everything
        for w in firsts:
            read |= (w[:, :n_genetic] != 0).any(dim=0)
    return read.numpy().copy()


def _linear(m: nn.Module) -> nn.Linear:
    """``m`` as the ``nn.Linear`` it is (ModuleList items are typed as Module)."""
    if not isinstance(m, nn.Linear):
        raise TypeError(f"expected nn.Linear, got {type(m).__name__}")
    return m
