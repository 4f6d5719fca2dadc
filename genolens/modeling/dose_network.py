"""A deep ensemble for a drug dose with a predictive distribution: the warfarin weekly dose (mg/week).

The network works on the square-root scale, ``s = sqrt(dose in mg/week)``. The published IWPC
pharmacogenetic and clinical algorithms are linear on that scale (a linear network path reproduces
them exactly), and the weekly dose is right-skewed (a few patients need 3-4x the median) while its
square root is close to symmetric with a near-constant spread, so a Gaussian likelihood fits it.

Each member is a small MLP over standardised inputs (the derivation part's means and SDs are
buffers of the model) with a linear skip path, and two heads: the mean ``mu`` and the log-variance
of ``s``. It is trained with the Gaussian negative log-likelihood (Adam with decoupled weight
decay), on its own bootstrap resample of the training part and its own initialisation, with early
stopping on a seeded validation slice carved from the training arrays it is given (never from
held-out data; the caller holds those back). The ensemble's predictive distribution of ``s`` is the
equal-weight mixture of the members' Gaussians; the dose is ``D = S**2``.

* :meth:`DoseEnsemble.forward` is the mixture mean of ``D`` in mg/week,
  ``mean_m(mu_m**2 + var_m)``: differentiable, the function attributions explain.
* :func:`predict_dose` gives the mean, the median and the 5th/95th percentiles of ``D`` from the
  mixture CDF by bisection (no sampling).
"""

from __future__ import annotations

import pickle
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from genolens.errors import BundleError, CohortError, OptionError

FORMAT = "genolens.dose_ensemble/1"
"""The ``format`` entry of a saved ensemble; :func:`load_dose_ensemble` accepts only this one."""
INTERVAL: tuple[float, float] = (0.05, 0.95)
"""Probabilities of :attr:`DosePrediction.lo` and :attr:`DosePrediction.hi` (a 90% interval)."""
_LOG_VAR_BOUNDS = (-9.0, 4.0)
"""Clamp of each member's log-variance on the standardised sqrt scale (numerical safety only: a
standardised variance outside e^-9..e^4 of the cohort's never occurs in a fitted model)."""


@dataclass(frozen=True)
class DoseTrainConfig:
    """Training settings of a dose ensemble; every field is saved with the model.

    The defaults train 5 members on 4,000 patients x 17 inputs in a few seconds on one CPU thread.
    """

    members: int = 5
    """Ensemble members (each on its own bootstrap resample, initialisation and shuffling)."""
    hidden: int = 32
    """Width of each member's two hidden layers."""
    epochs: int = 200
    """Upper bound on passes over the training part; early stopping usually ends sooner."""
    lr: float = 3e-3
    """Adam learning rate."""
    weight_decay: float = 1e-4
    """AdamW decoupled weight decay."""
    batch_size: int = 256
    """Patients per optimisation step."""
    patience: int = 15
    """Epochs without a lower validation NLL before stopping (the best epoch is kept)."""
    seed: int = 0
    """Seed of the validation slice, the resamples, the initialisations and the shuffling."""
    val_fraction: float = 0.15
    """Share of the training arrays held out (seeded) for early stopping."""
    bootstrap: bool = True
    """Train each member on a bootstrap resample of the training part (else: all of it, and the
    members differ only in initialisation and shuffling)."""

    def __post_init__(self) -> None:
        problems = [f"{name}={getattr(self, name)!r} must be at least 1"
                    for name in ("members", "hidden", "epochs", "batch_size", "patience") if getattr(self, name) < 1]
        if not 0.0 < self.val_fraction < 1.0:
            problems.append(f"val_fraction={self.val_fraction!r} must lie strictly between 0 and 1")
        if self.lr <= 0.0 or self.weight_decay < 0.0:
            problems.append(f"lr={self.lr!r} must be > 0 and weight_decay={self.weight_decay!r} >= 0")
        if problems:
            raise OptionError("Dose training settings cannot be used: " + "; ".join(problems) + ".")


@dataclass(frozen=True)
class DosePrediction:
    """The ensemble's predictive distribution of the weekly dose, summarised; arrays float64, shape (n,)."""

    mean: np.ndarray
    """Mixture mean dose, mg/week (what :meth:`DoseEnsemble.forward` returns)."""
    median: np.ndarray
    """Mixture median dose, mg/week."""
    lo: np.ndarray
    """5th percentile of the dose, mg/week."""
    hi: np.ndarray
    """95th percentile of the dose, mg/week."""


class _DoseMember(nn.Module):
    """One member on standardised inputs: mean = skip(z) + head(h), log-variance = head(h); standardised s."""

    def __init__(self, n_inputs: int, hidden: int) -> None:
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(n_inputs, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU())
        self.skip = nn.Linear(n_inputs, 1)
        self.mean_head = nn.Linear(hidden, 1, bias=False)
        self.log_var_head = nn.Linear(hidden, 1)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(z)  # (batch, hidden)
        mu = (self.skip(z) + self.mean_head(h))[:, 0]  # (batch,)
        log_var = self.log_var_head(h)[:, 0].clamp(*_LOG_VAR_BOUNDS)  # (batch,)
        return mu, log_var


class DoseEnsemble(nn.Module):
    """Deep ensemble of mean/variance networks for the sqrt weekly dose.

    Parameters
    ----------
    n_inputs : int
        Number of input columns (natural scale: years, cm, kg, 0/1 indicators).
    config : DoseTrainConfig
        Settings; ``members`` and ``hidden`` fix the architecture. Members are initialised from
        seeds ``config.seed * 1000 + m``; torch's global RNG state is restored afterwards.
    """

    x_mean: torch.Tensor
    x_scale: torch.Tensor
    s_mean: torch.Tensor
    s_scale: torch.Tensor

    def __init__(self, n_inputs: int, config: DoseTrainConfig) -> None:
        super().__init__()
        self.n_inputs = n_inputs
        self.config = config
        state = torch.random.get_rng_state()
        members = []
        for m in range(config.members):
            torch.manual_seed(config.seed * 1_000 + m)
            members.append(_DoseMember(n_inputs, config.hidden))
        torch.random.set_rng_state(state)
        self.members = nn.ModuleList(members)
        self.register_buffer("x_mean", torch.zeros(n_inputs))
        self.register_buffer("x_scale", torch.ones(n_inputs))
        self.register_buffer("s_mean", torch.zeros(()))
        self.register_buffer("s_scale", torch.ones(()))

    def _standardised(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Each member's standardised (mu, log-variance), both shape (members, n)."""
        z = (x - self.x_mean) / self.x_scale  # (n, n_inputs)
        outs = [m(z) for m in self.members]
        return torch.stack([o[0] for o in outs]), torch.stack([o[1] for o in outs])

    def member_params(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Each member's Gaussian on the sqrt(mg/week) scale.

        Parameters
        ----------
        x : torch.Tensor
            shape (n, n_inputs), natural scale.

        Returns
        -------
        tuple of torch.Tensor
            ``(mu, var)``, each shape (members, n): mean and variance of sqrt(dose).
        """
        mu_z, log_var_z = self._standardised(x)
        return self.s_mean + self.s_scale * mu_z, self.s_scale**2 * torch.exp(log_var_z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Mixture mean dose in mg/week, shape (n,): ``mean over members of mu**2 + var``."""
        mu, var = self.member_params(x)
        return (mu**2 + var).mean(dim=0)

    def set_standardisation(self, x_mean: np.ndarray, x_scale: np.ndarray, s_mean: float, s_scale: float) -> None:
        """Set the input standardisation (each shape (n_inputs,)) and that of sqrt(dose) (scalars)."""
        with torch.no_grad():
            self.x_mean.copy_(torch.as_tensor(x_mean, dtype=self.x_mean.dtype))
            self.x_scale.copy_(torch.as_tensor(x_scale, dtype=self.x_scale.dtype))
            self.s_mean.fill_(s_mean)
            self.s_scale.fill_(s_scale)

    def freeze(self) -> DoseEnsemble:
        """Switch to inference: eval mode, no parameter requires grad; returns ``self``."""
        self.eval()
        for p in self.parameters():
            p.requires_grad_(False)
        return self


def _checked_x(x: np.ndarray, n_inputs: int | None, error: type[Exception]) -> np.ndarray:
    """``x`` as float64 (n, n_inputs) with no NaN/inf, or ``error`` saying what is wrong."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2 or (n_inputs is not None and arr.shape[1] != n_inputs):
        want = f"(n, {n_inputs})" if n_inputs is not None else "(n, n_inputs)"
        raise error(f"Dose inputs must have shape {want}; got {arr.shape}.")
    if not np.isfinite(arr).all():
        rows = np.flatnonzero(~np.isfinite(arr).all(axis=1))
        raise error(f"Dose inputs hold NaN or infinite values in rows {rows[:5].tolist()}: impute or drop them first.")
    return arr


def _checked_dose(dose: np.ndarray, n: int) -> np.ndarray:
    """``dose`` as float64 (n,), finite and positive, or :class:`CohortError`."""
    d = np.asarray(dose, dtype=np.float64)
    if d.shape != (n,):
        raise CohortError(f"Doses must have shape ({n},) to match the inputs; got {d.shape}.")
    bad = ~np.isfinite(d) | (d <= 0.0)
    if bad.any():
        raise CohortError(f"Doses must be finite and positive (mg/week); rows {np.flatnonzero(bad)[:5].tolist()} "
                          f"are not (e.g. {d[bad][0]!r}).")
    return d


def _nll(member: _DoseMember, z: torch.Tensor, s_z: torch.Tensor) -> torch.Tensor:
    """Mean Gaussian negative log-likelihood of ``member`` on the standardised sqrt scale (constant dropped)."""
    mu_z, log_var_z = member.forward(z)
    return 0.5 * (log_var_z + (s_z - mu_z) ** 2 * torch.exp(-log_var_z)).mean()


def _fit_member(member: _DoseMember, z: torch.Tensor, s: torch.Tensor, z_val: torch.Tensor, s_val: torch.Tensor,
                cfg: DoseTrainConfig, *, seed: int) -> int:
    """Train one member in place; keeps the state of the lowest validation NLL. Returns its epoch (0: the start)."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(member.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    member.eval()
    with torch.no_grad():
        best = float(_nll(member, z_val, s_val))
    best_state, best_epoch, waited = {k: v.clone() for k, v in member.state_dict().items()}, 0, 0
    for epoch in range(1, cfg.epochs + 1):
        member.train()
        for batch in torch.split(torch.randperm(len(z), generator=gen), cfg.batch_size):
            opt.zero_grad()
            torch.autograd.backward(_nll(member, z[batch], s[batch]))
            opt.step()
        member.eval()
        with torch.no_grad():
            loss = float(_nll(member, z_val, s_val))
        if loss < best:
            best, best_epoch, waited = loss, epoch, 0
            best_state = {k: v.clone() for k, v in member.state_dict().items()}
        else:
            waited += 1
            if waited >= cfg.patience:
                break
    member.load_state_dict(best_state)
    return best_epoch


def train_dose_ensemble(X: np.ndarray, dose_mg_week: np.ndarray, config: DoseTrainConfig) -> DoseEnsemble:
    """Train a dose ensemble on the derivation arrays only.

    A seeded share ``config.val_fraction`` of the rows is set aside for early stopping; each
    member trains on a bootstrap resample (seeded ``[seed, m]``) of the rest. Inputs and sqrt(dose)
    are standardised with the training rows' means and SDs (a constant column keeps scale 1).
    Runs on one torch thread (restored afterwards); the result is deterministic for a seed.

    Parameters
    ----------
    X : numpy.ndarray
        shape (n, n_inputs), natural scale, no NaN.
    dose_mg_week : numpy.ndarray
        shape (n,), the stable weekly dose, mg/week (> 0).
    config : DoseTrainConfig
        Settings.

    Returns
    -------
    DoseEnsemble
        Frozen (eval mode, no grads).

    Raises
    ------
    CohortError
        On mismatched shapes, NaN inputs, non-positive doses, or too few rows to split.
    """
    x = _checked_x(X, None, CohortError)
    s_all = np.sqrt(_checked_dose(dose_mg_week, len(x)))
    n = len(x)
    n_val = round(config.val_fraction * n)
    if n_val < 2 or n - n_val < 2:
        raise CohortError(f"{n} patients cannot be split into training and validation parts "
                          f"(val_fraction={config.val_fraction}); at least 2 in each are needed.")
    order = np.random.default_rng([config.seed, 7_919]).permutation(n)
    val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
    x_mean, x_sd = x[train].mean(axis=0), x[train].std(axis=0)
    x_scale = np.where(x_sd < 1e-12, 1.0, x_sd)
    s_mean, s_sd = float(s_all[train].mean()), float(s_all[train].std())
    s_scale = s_sd if s_sd > 1e-12 else 1.0
    model = DoseEnsemble(x.shape[1], config)
    model.set_standardisation(x_mean, x_scale, s_mean, s_scale)
    z = torch.as_tensor((x - x_mean) / x_scale, dtype=torch.float32)  # (n, n_inputs)
    s_z = torch.as_tensor((s_all - s_mean) / s_scale, dtype=torch.float32)  # (n,)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: one thread is far faster than contended intra-op threads
    try:
        for m, member in enumerate(model.members):
            rows = train
            if config.bootstrap:
                rows = np.sort(np.random.default_rng([config.seed, m]).choice(train, size=len(train)))
            picked, held = torch.as_tensor(rows), torch.as_tensor(val)
            if not isinstance(member, _DoseMember):
                raise TypeError(f"expected a dose member, got {type(member).__name__}")
            _fit_member(member, z[picked], s_z[picked], z[held], s_z[held], config, seed=config.seed * 1_000 + m)
    finally:
        torch.set_num_threads(threads)
    return model.freeze()


def mixture_dose_quantiles(mu: np.ndarray, var: np.ndarray, probs: tuple[float, ...] | list[float],
                           *, tol: float = 1e-9) -> np.ndarray:
    """Quantiles of the dose ``D = S**2`` when ``S`` is an equal-weight mixture of Gaussians.

    ``P(D <= t**2) = mean_m [Phi((t - mu_m)/sd_m) - Phi((-t - mu_m)/sd_m)]`` rises with ``t >= 0``;
    ``t`` is found by bisection to ``tol`` (relative to the bracket) and squared. When the mixture
    puts no mass below 0 this is exactly the square of the mixture's sqrt-scale quantile.

    Parameters
    ----------
    mu, var : numpy.ndarray
        shape (members, n): the members' means and variances of ``S``.
    probs : sequence of float
        Probabilities in (0, 1).
    tol : float
        Bisection stops when the bracket on ``t`` is narrower than ``tol * max(1, upper end)``.

    Returns
    -------
    numpy.ndarray
        float64, shape (len(probs), n): the dose quantiles (mg/week when ``S`` is sqrt(mg/week)).
    """
    m = torch.as_tensor(np.asarray(mu, dtype=np.float64))  # (members, n)
    sd = torch.sqrt(torch.as_tensor(np.asarray(var, dtype=np.float64)))  # (members, n)
    p = torch.as_tensor(np.asarray(probs, dtype=np.float64))[:, None]  # (k, 1)
    if bool(((p <= 0.0) | (p >= 1.0)).any()):
        raise OptionError(f"Quantile probabilities must lie in (0, 1); got {list(probs)}.")
    upper = (m.abs() + 40.0 * sd).max(dim=0).values  # (n,): |S| <= upper with probability 1 - 1e-300
    lo = torch.zeros(p.shape[0], m.shape[1], dtype=torch.float64)  # (k, n)
    hi = upper.expand_as(lo).clone()
    width = tol * torch.clamp(upper, min=1.0)
    for _ in range(200):  # each step halves the bracket: 200 is far more than float64 needs
        if bool(((hi - lo) <= width).all()):
            break
        mid = 0.5 * (lo + hi)  # (k, n)
        cdf = (torch.special.ndtr((mid[:, None, :] - m) / sd) - torch.special.ndtr((-mid[:, None, :] - m) / sd))
        below = cdf.mean(dim=1) < p  # (k, n)
        lo = torch.where(below, mid, lo)
        hi = torch.where(below, hi, mid)
    t = 0.5 * (lo + hi)
    return np.asarray((t**2).numpy(), dtype=np.float64)


def predict_dose(model: DoseEnsemble, X: np.ndarray) -> DosePrediction:
    """The predictive distribution of the weekly dose for each row of ``X``, summarised.

    Parameters
    ----------
    model : DoseEnsemble
        A trained ensemble (never mutated).
    X : numpy.ndarray
        shape (n, n_inputs), natural scale, no NaN.

    Returns
    -------
    DosePrediction
        mean, median, 5th and 95th percentiles in mg/week, float64 arrays shape (n,).

    Raises
    ------
    BundleError
        When ``X`` does not fit the model (width, NaN).
    """
    x = _checked_x(X, model.n_inputs, BundleError)
    dtype = model.x_mean.dtype
    with torch.inference_mode():
        mu_t, var_t = model.member_params(torch.as_tensor(x, dtype=dtype))
    mu, var = mu_t.double().numpy(), var_t.double().numpy()  # (members, n)
    q = mixture_dose_quantiles(mu, var, (INTERVAL[0], 0.5, INTERVAL[1]))  # (3, n)
    mean = np.asarray((mu**2 + var).mean(axis=0), dtype=np.float64)
    return DosePrediction(mean=mean, median=q[1].copy(), lo=q[0].copy(), hi=q[2].copy())


def interval_coverage(pred: DosePrediction, actual: np.ndarray) -> float:
    """Share of ``actual`` doses (mg/week, shape (n,)) inside ``[pred.lo, pred.hi]``."""
    a = np.asarray(actual, dtype=np.float64)
    if a.shape != pred.lo.shape:
        raise CohortError(f"{a.shape} actual doses for {pred.lo.shape} predictions.")
    return float(np.mean((a >= pred.lo) & (a <= pred.hi)))


def cross_validate(X: np.ndarray, dose: np.ndarray, config: DoseTrainConfig, *, folds: int = 5,
                   seed: int = 0) -> dict[str, list[float]]:
    """K-fold cross-validation on the derivation part (for choosing hidden size and weight decay).

    Rows are assigned to ``folds`` folds by a permutation seeded with ``seed``; each fold's model
    trains on the other folds (carving its own validation slice from them) with ``config``.

    Returns
    -------
    dict
        Per fold, in fold order: ``"mae"`` (MAE of the mixture mean, mg/week), ``"mae_median"``
        (MAE of the mixture median), ``"coverage_90"`` (share inside the 5th-95th percentile
        interval) and ``"n"`` (patients in the fold).

    Raises
    ------
    CohortError
        On bad arrays, or fewer than 2 folds or more folds than patients.
    """
    x = _checked_x(X, None, CohortError)
    d = _checked_dose(dose, len(x))
    if not 2 <= folds <= len(x):
        raise CohortError(f"folds={folds} must be between 2 and the number of patients ({len(x)}).")
    assign = np.empty(len(x), dtype=np.int64)
    assign[np.random.default_rng([seed, 104_729]).permutation(len(x))] = np.arange(len(x)) % folds
    out: dict[str, list[float]] = {"mae": [], "mae_median": [], "coverage_90": [], "n": []}
    for k in range(folds):
        test = assign == k
        model = train_dose_ensemble(x[~test], d[~test], config)
        pred = predict_dose(model, x[test])
        out["mae"].append(float(np.mean(np.abs(pred.mean - d[test]))))
        out["mae_median"].append(float(np.mean(np.abs(pred.median - d[test]))))
        out["coverage_90"].append(interval_coverage(pred, d[test]))
        out["n"].append(float(test.sum()))
    return out


def save_dose_ensemble(model: DoseEnsemble, path: Path | str) -> None:
    """Write ``model`` to ``path``: format tag, config, input width and state dict (plain tensors only)."""
    payload = {"format": FORMAT, "config": asdict(model.config), "n_inputs": model.n_inputs,
               "state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()}}
    torch.save(payload, Path(path))


def load_dose_ensemble(path: Path | str) -> DoseEnsemble:
    """Read an ensemble written by :func:`save_dose_ensemble` (``weights_only``: no code runs); frozen.

    Raises
    ------
    BundleError
        When the file is missing, unreadable, of another format, or its weights do not fit its config.
    """
    p = Path(path)
    try:
        payload: Any = torch.load(p, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as err:
        raise BundleError(f"The dose model {p} cannot be read ({type(err).__name__}: {err}).") from err
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise BundleError(f"{p} is not a GenoLens dose model (format {found!r}; expected {FORMAT!r}).")
    try:
        known = {f.name for f in fields(DoseTrainConfig)}
        config = DoseTrainConfig(**{k: v for k, v in dict(payload["config"]).items() if k in known})
        model = DoseEnsemble(int(payload["n_inputs"]), config)
        model.load_state_dict(payload["state_dict"], strict=True)
    except (KeyError, TypeError, RuntimeError, OptionError) as err:
        raise BundleError(f"The dose model {p} is damaged or does not fit its settings: {err}") from err
    return model.freeze()
