"""Train a calibrated deep ensemble on a cohort; :mod:`genolens.modeling.export` writes its bundle.

The cohort is split once (seeded) into training, calibration and test people. A ridge logistic
regression on the training part (no interactions) is the linear-PRS baseline. From it, each output
selects the genetic inputs it may read (:mod:`genolens.modeling.selection`; the others keep weight zero
in every path, ``TrainConfig.select``), and the selected model is refitted. Each member trains on
its own bootstrap resample of the training part (so members differ as models fitted to different
samples of the population would, and their spread reflects estimation uncertainty), starting from
a ridge logistic fit on that resample (interaction output silent). A risk network's interaction
path reads only the genetic inputs of pairs whose product passes a score test on the selected fit
(:func:`~genolens.modeling.selection.interacting_inputs`, Bonferroni over the pairs; the same inputs for
every member): with hundreds of panel variants an unrestricted path fits noise before it finds the
few true interactions, and a pair's partners need not have large main effects. For the
first epochs the linear paths stay frozen and only the interaction path learns (what the linear
model cannot explain); then every path trains, the linear ones at a lower rate. Early stopping uses
a validation slice of the training part, the warm start counting as epoch 0, so a member never ends
worse than its linear start. Platt scaling of the ensemble-mean logit is fitted on the calibration
part; metrics and the reference score distribution use the test part only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genolens.modeling.evaluate import comparison, curves
from genolens.modeling.fitting import calibrate, fit_member, linear_fit, selected_inputs
from genolens.modeling.logistic import sigmoid
from genolens.modeling.networks import Ensemble, NetworkConfig, NetworkKind
from genolens.modeling.selection import interacting_inputs
from genolens.modeling.train_config import TrainConfig
from genolens.modeling.training_data import Cohort, split_indices

OracleFn = Callable[[str, np.ndarray, Mapping[str, np.ndarray]], np.ndarray]
"""(outcome name, dosages (n, n_genetic), covariate name -> values (n,)) -> true logits (n,)."""


@dataclass(frozen=True)
class TrainResult:
    """A trained, calibrated ensemble and what the bundle needs to describe it."""

    ensemble: Ensemble
    """Calibrated ensemble (eval mode)."""
    network: NetworkConfig
    """Its architecture."""
    config: TrainConfig
    """Training settings."""
    sizes: dict[str, int]
    """People in ``train``, ``val`` (inside train), ``calibration`` and ``test``."""
    feature_mean: np.ndarray
    """float64, shape (n_genetic,): training-part mean dosage (imputation value)."""
    test_logits: np.ndarray
    """float64, shape (n_test, n_outputs): calibrated ensemble-mean logits of the test part."""
    test_ancestry: np.ndarray | None
    """str, shape (n_test,); ``None`` without ancestry."""
    metrics: dict[str, dict[str, dict[str, dict[str, float | int]]]]
    """``{output: {model: {group: metrics}}}`` on the test part; models ``network``, ``linear_prs``,
    and ``oracle`` when an oracle was given."""
    curves: dict[str, dict[str, dict[str, dict[str, list[float]]]]] = field(default_factory=dict)
    """``{output: {model: {"roc"|"calibration": {...}}}}`` on the test part (see ``evaluate.curves``)."""
    selected: dict[str, int] = field(default_factory=dict)
    """Genetic inputs each output reads (all of them when ``config.select`` is off)."""


def train_cohort(cohort: Cohort, cfg: TrainConfig, *, kind: NetworkKind = "risk",
                 oracle: OracleFn | None = None) -> TrainResult:
    """Split, train the ensemble, calibrate it, and evaluate it beside the linear PRS and the oracle."""
    idx = split_indices(len(cohort.samples), cfg)
    feature_mean, x_all = _design(cohort, idx["train"])
    xt = torch.as_tensor(x_all, dtype=torch.float32)
    yt = torch.as_tensor(cohort.outcomes, dtype=torch.float32)
    net = NetworkConfig(kind=kind, n_genetic=cohort.genetic.shape[1], n_covariates=cohort.covariates.shape[1],
                        n_outputs=cohort.outcomes.shape[1], hidden=cfg.hidden, members=cfg.members,
                        covariate_hidden=cfg.covariate_hidden if kind == "risk" else 0)
    torch.manual_seed(cfg.seed)
    ensemble = Ensemble(net, seed=cfg.seed)
    train, x_test = x_all[idx["train"]], x_all[idx["test"]]
    del x_all  # the largest array: the float32 copy xt and the two parts are all training needs from here
    constant = train.std(axis=0) < 1e-9  # e.g. a rare variant nobody in the training part carries
    mean, scale = train.mean(axis=0), np.where(constant, 1.0, train.std(axis=0))
    ensemble.set_standardisation(torch.as_tensor(mean, dtype=torch.float32),
                                 torch.as_tensor(scale, dtype=torch.float32))
    z_train, y_train = (train - mean) / scale, cohort.outcomes[idx["train"]]
    del train
    beta = linear_fit(z_train, y_train)  # (n_outputs, 1 + n_inputs): the linear-PRS baseline
    keep = np.ones((len(beta), net.n_genetic), dtype=bool)
    near = beta
    if cfg.select:
        keep = (selected_inputs(z_train, y_train, beta, net.n_genetic, criterion=cfg.selection)
                & ~constant[None, : net.n_genetic])
        near = linear_fit(z_train, y_train, keep=keep)  # the selected model on the whole training part
    pairs = (interacting_inputs(z_train, y_train, near, keep, alpha=cfg.interaction_alpha,
                                most=cfg.interaction_inputs) if kind == "risk" else None)
    _fit_members(ensemble, xt, yt, idx, z_train, y_train, near=near, keep=keep, pairs=pairs, cfg=cfg)
    ensemble.silence_inputs(torch.as_tensor(constant))
    calibrate(ensemble, xt[idx["calibration"]], cohort.outcomes[idx["calibration"]])
    ensemble.freeze()
    with torch.inference_mode():
        test_logits = ensemble(xt[idx["test"]]).double().numpy()  # (n_test, n_outputs)
    prs = sigmoid(beta[:, :1].T + ((x_test - mean) / scale) @ beta[:, 1:].T)  # (n_test, n_outputs)
    test_anc = cohort.ancestry[idx["test"]] if cohort.ancestry is not None else None
    results, curve_sets = _evaluate(cohort, idx["test"], test_logits, prs, test_anc, oracle)
    sizes = {key: len(v) for key, v in idx.items()}
    selected = {name: int(keep[k].sum()) for k, name in enumerate(cohort.outcome_names)}
    return TrainResult(ensemble, net, cfg, sizes, feature_mean, test_logits, test_anc, results, curve_sets, selected)


def _design(cohort: Cohort, train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The training part's mean dosage (shape (n_genetic,)) and every person's imputed inputs (n, n_inputs)."""
    feature_mean = np.nanmean(cohort.genetic[train], axis=0)
    feature_mean = np.where(np.isnan(feature_mean), 0.0, feature_mean)
    g = cohort.genetic.shape[1]
    x_all = np.empty((len(cohort.samples), g + cohort.covariates.shape[1]))  # (n, n_genetic + n_cov), filled in place
    x_all[:, :g] = cohort.genetic
    np.copyto(x_all[:, :g], feature_mean[None, :], where=np.isnan(cohort.genetic))  # = impute(), without a copy
    x_all[:, g:] = cohort.covariates
    return feature_mean, x_all


def _fit_members(ensemble: Ensemble, xt: torch.Tensor, yt: torch.Tensor, idx: Mapping[str, np.ndarray],
                 z_train: np.ndarray, y_train: np.ndarray, *, near: np.ndarray, keep: np.ndarray,
                 pairs: np.ndarray | None, cfg: TrainConfig) -> None:
    """Train each member on its bootstrap resample of the training part, from its own linear warm start.

    ``z_train`` (n_train, n_inputs) and ``y_train`` (n_train, n_outputs) are the standardised training
    part; ``near`` (n_outputs, 1 + n_inputs) the linear fit a resample's fit starts from; ``keep``
    (bool, (n_outputs, n_genetic)) the genetic inputs each output reads; ``pairs`` (bool, (n_genetic,)) those a risk
    network's interaction path reads (``None``: a response network).
    """
    n_train = len(z_train)
    keep_t = torch.as_tensor(keep)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: one thread is ~10x faster than contended intra-op threads
    try:
        for m, member in enumerate(ensemble.members):
            rows = np.arange(n_train)
            if cfg.bootstrap:
                rows = np.sort(np.random.default_rng([cfg.seed, m]).choice(n_train, size=n_train))
            start = linear_fit(z_train[rows], y_train[rows], near=near, keep=keep) if cfg.bootstrap else near
            ensemble.warm_start(torch.as_tensor(start[:, 0], dtype=torch.float32),
                                torch.as_tensor(start[:, 1:], dtype=torch.float32), member=m)
            picked = torch.as_tensor(idx["train"][rows])
            inputs = None if pairs is None else torch.as_tensor(pairs)
            fit_member(member, xt[picked], yt[picked], xt[idx["val"]], yt[idx["val"]], cfg,
                       seed=cfg.seed * 1_000 + m, inputs=inputs, keep=keep_t)
    finally:
        torch.set_num_threads(threads)


def _evaluate(cohort: Cohort, test: np.ndarray, test_logits: np.ndarray, prs: np.ndarray,
              test_anc: np.ndarray | None, oracle: OracleFn | None
              ) -> tuple[dict[str, dict[str, dict[str, dict[str, float | int]]]],
                         dict[str, dict[str, dict[str, dict[str, list[float]]]]]]:
    """Metrics and curves of the network, the linear PRS and the oracle on the test part, per output."""
    results: dict[str, dict[str, dict[str, dict[str, float | int]]]] = {}
    curve_sets: dict[str, dict[str, dict[str, dict[str, list[float]]]]] = {}
    for k, name in enumerate(cohort.outcome_names):
        scores = {"network": sigmoid(test_logits[:, k]), "linear_prs": prs[:, k]}
        if oracle is not None:
            cov = {c: cohort.covariates[test, j] for j, c in enumerate(cohort.covariate_names)}
            scores["oracle"] = sigmoid(oracle(name, cohort.genetic[test], cov))
        results[name] = comparison(cohort.outcomes[test, k], scores, test_anc)
        curve_sets[name] = {model: curves(cohort.outcomes[test, k], p) for model, p in scores.items()}
    return results, curve_sets


def simulator_truth(truth_json: Path) -> dict[str, Any]:
    """The outcome entries of a simulated cohort's ``truth.json`` (``y_...`` names); ``{}`` when absent."""
    if not truth_json.is_file():
        return {}
    truth = json.loads(truth_json.read_text(encoding="utf-8"))
    return {k: v for k, v in truth.items() if not k.startswith("_") and isinstance(v, dict)}


def simulator_oracle(truth: Mapping[str, Any]) -> OracleFn:
    """The simulator's true model (``phenotypes.oracle_logit``) over the given truth entries."""
    from genolens.modeling.outcomes import oracle_logit

    def oracle(name: str, genetic: np.ndarray, covariates: Mapping[str, np.ndarray]) -> np.ndarray:
        return oracle_logit(truth[name], genetic, covariates)

    return oracle

