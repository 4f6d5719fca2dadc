"""Fitting one ensemble member: the linear warm start, input selection, the network's epochs, calibration.

:func:`linear_fit` is the ridge logistic regression (the linear-PRS baseline and each member's warm
start), :func:`selected_inputs` the genetic inputs each output may read, :func:`fit_member` one
network's AdamW epochs with early stopping, and :func:`calibrate` the ensemble's Platt scaling.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from genolens.modeling.evaluate import fit_logistic
from genolens.modeling.networks import Ensemble, ResponseNet, RiskNet, restrict_genetic
from genolens.modeling.selection import information, select_inputs
from genolens.modeling.train_config import TrainConfig


def _bce(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy over known labels only (NaN = unknown), shapes (batch, n_outputs)."""
    known = ~torch.isnan(y)
    return nn.functional.binary_cross_entropy_with_logits(logits[known], y[known])


def _linear_parameters(member: nn.Module) -> list[nn.Parameter]:
    """The parameters of ``member``'s linear paths (those the linear warm start sets)."""
    if isinstance(member, RiskNet):
        paths: list[nn.Module] = [member.additive]
        if member.covariate is not None:
            paths.append(member.covariate)
    elif isinstance(member, ResponseNet):
        paths = [member.additive]  # a ModuleList
    else:
        return list(member.parameters())
    return [p for path in paths for p in path.parameters()]


def fit_member(member: nn.Module, x: torch.Tensor, y: torch.Tensor, x_val: torch.Tensor, y_val: torch.Tensor,
               cfg: TrainConfig, *, seed: int, inputs: torch.Tensor | None = None,
               keep: torch.Tensor | None = None) -> int:
    """Train one network in place with AdamW and early stopping; keeps the best validation state.

    The linear paths are frozen for ``cfg.interaction_warmup`` epochs, then train at
    ``cfg.linear_lr_scale * cfg.lr``. ``inputs`` (bool, shape (n_genetic,)), for a risk network,
    are the genetic inputs its interaction path may read; the others' weights are held at zero.
    ``keep`` (bool, shape (n_outputs, n_genetic)) are the genetic inputs each output may read
    (:func:`~genolens.modeling.networks.restrict_genetic`). Returns the number of the kept epoch
    (0: the warm start).
    """
    gen = torch.Generator().manual_seed(seed)
    first = member.interaction[0] if isinstance(member, RiskNet) and inputs is not None else None
    if first is not None and not isinstance(first, nn.Linear):
        raise TypeError(f"expected the interaction path to start with nn.Linear, got {type(first).__name__}")

    def restrict() -> None:
        if first is not None and inputs is not None:
            with torch.no_grad():
                first.weight[:, ~inputs] = 0.0
        if keep is not None:
            restrict_genetic(member, keep)

    restrict()
    linear = _linear_parameters(member)
    linear_ids = {id(p) for p in linear}
    other = [p for p in member.parameters() if id(p) not in linear_ids]
    warmup = cfg.interaction_warmup if other else 0
    groups = [g for g in ({"params": other, "lr": cfg.lr}, {"params": linear, "lr": 0.0 if warmup else
                          cfg.lr * cfg.linear_lr_scale}) if g["params"]]
    opt = torch.optim.AdamW(groups, lr=cfg.lr, weight_decay=cfg.weight_decay)
    member.eval()
    with torch.no_grad():  # the warm start (the linear fit) is the first candidate: never end worse than it
        best = float(_bce(member(x_val), y_val))
    best_state, best_epoch, waited = {k: v.clone() for k, v in member.state_dict().items()}, 0, 0
    for epoch in range(1, cfg.epochs + 1):
        if epoch == warmup + 1 and warmup:
            opt.param_groups[-1]["lr"] = cfg.lr * cfg.linear_lr_scale
        member.train()
        for batch in torch.split(torch.randperm(len(x), generator=gen), cfg.batch_size):
            opt.zero_grad()
            torch.autograd.backward(_bce(member(x[batch]), y[batch]))
            opt.step()
            restrict()
        member.eval()
        with torch.no_grad():
            loss = float(_bce(member(x_val), y_val))
        if loss < best:
            best, best_epoch, waited = loss, epoch, 0
            best_state = {k: v.clone() for k, v in member.state_dict().items()}
        else:
            waited += 1
            if waited >= cfg.patience and epoch > warmup:
                break
    member.load_state_dict(best_state)
    return best_epoch


def calibrate(ensemble: Ensemble, x: torch.Tensor, y: np.ndarray) -> None:
    """Fit Platt slope and bias of the ensemble-mean logit per output on held-out ``x`` (n, k inputs)."""
    with torch.no_grad():
        raw = ensemble.raw_member_logits(x).mean(dim=0).double().numpy()  # (n, n_outputs)
    slope, bias = np.ones(raw.shape[1]), np.zeros(raw.shape[1])
    for k in range(raw.shape[1]):
        known = ~np.isnan(y[:, k])
        bias[k], slope[k] = fit_logistic(raw[known, k:k + 1], y[known, k])
    ensemble.set_calibration(torch.as_tensor(slope, dtype=torch.float32), torch.as_tensor(bias, dtype=torch.float32))


def linear_fit(z: np.ndarray, y: np.ndarray, *, ridge: float = 1.0, near: np.ndarray | None = None,
               keep: np.ndarray | None = None) -> np.ndarray:
    """Logistic regression per output on standardised inputs ``z`` (n, k), no interactions (Newton, ridge).

    This is the linear-PRS baseline (on the training part) and each member's warm start (on its
    bootstrap resample). ``near`` (shape (n_outputs, k + 1)), when given, is a fit on similar data
    that Newton starts from (the penalty then shrinks towards it): a resample's fit needs only a few
    steps from the full training part's. ``keep`` (bool, shape (n_outputs, n_genetic)) limits each
    output to those genetic inputs (the first ``n_genetic`` columns; the rest are always used); the
    others get coefficient 0.

    Returns
    -------
    numpy.ndarray
        shape (n_outputs, k + 1): intercept, then the k coefficients, per output.
    """
    rows = np.zeros((y.shape[1], z.shape[1] + 1))
    for k in range(y.shape[1]):
        known = ~np.isnan(y[:, k])
        cols = np.arange(z.shape[1])
        if keep is not None:
            cols = np.concatenate([np.flatnonzero(keep[k]), np.arange(keep.shape[1], z.shape[1])])
        whole = bool(known.all()) and len(cols) == z.shape[1]
        zk = z if whole else z[np.ix_(known, cols)]  # (n_known, n_cols); no copy of a large design when not needed
        at = np.concatenate([[0], cols + 1])  # intercept, then the used columns
        if near is None:
            rows[k, at] = fit_logistic(zk, y[known, k], ridge=ridge)
        else:
            offset = near[k, 0] + zk @ near[k, cols + 1]  # (n_known,)
            rows[k, at] = near[k, at] + fit_logistic(zk, y[known, k], ridge=ridge, offset=offset)
    return rows


def selected_inputs(z: np.ndarray, y: np.ndarray, beta: np.ndarray, n_genetic: int, *,
                    criterion: str = "aic") -> np.ndarray:
    """bool, shape (n_outputs, n_genetic): the genetic inputs each output keeps (:func:`select_inputs`),
    from the linear fit ``beta`` (n_outputs, 1 + k) on standardised inputs ``z`` (n, k), outcomes ``y``;
    ``criterion`` ``aic`` or ``bic`` chooses the penalty."""
    keep = np.zeros((y.shape[1], n_genetic), dtype=bool)
    for k in range(y.shape[1]):
        known = ~np.isnan(y[:, k])
        per_input = float(np.log(known.sum())) if criterion == "bic" else 2.0
        keep[k] = select_inputs(beta[k], information(z[known], beta[k]), n_genetic, per_input=per_input)[0]
    return keep

