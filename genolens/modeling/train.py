"""Train a calibrated deep ensemble from a cohort VCF and a phenotype table, and write its bundle.

The cohort is split once (seeded) into training, calibration and test people. A ridge logistic
regression on the training part (no interactions) is the linear-PRS baseline. From it, each output
selects the genetic inputs it may read (:mod:`genolens.modeling.selection`; the others keep weight zero
in every path, ``TrainConfig.select``), and the selected model is refitted. Each member trains on
its own bootstrap resample of the training part (so members differ as models fitted to different
samples of the population would, and their spread reflects estimation uncertainty), starting from
a ridge logistic fit on that resample (interaction output silent). A risk network's interaction
path reads only the genetic inputs with the largest coefficients in that fit (with hundreds of
panel variants an unrestricted path fits noise before it finds the few true interactions). For the
first epochs the linear paths stay frozen and only the interaction path learns (what the linear
model cannot explain); then every path trains, the linear ones at a lower rate. Early stopping uses
a validation slice of the training part, the warm start counting as epoch 0, so a member never ends
worse than its linear start. Platt scaling of the ensemble-mean logit is fitted on the calibration
part; metrics and the reference score distribution use the test part only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from genolens.datamodel import BUILDS, Build, BuildChoice, Panel
from genolens.errors import GenoLensError
from genolens.genome.build import decide_build
from genolens.genome.encode import dosage_matrix
from genolens.genome.panel import load_panel
from genolens.genome.patient import decide_build_or_none
from genolens.genome.vcf import open_vcf
from genolens.modeling.evaluate import comparison, curves, fit_logistic
from genolens.modeling.logistic import sigmoid
from genolens.modeling.networks import Ensemble, NetworkConfig, NetworkKind, ResponseNet, RiskNet, restrict_genetic
from genolens.modeling.selection import information, select_inputs

OracleFn = Callable[[str, np.ndarray, Mapping[str, np.ndarray]], np.ndarray]
"""(outcome name, dosages (n, n_genetic), covariate name -> values (n,)) -> true logits (n,)."""

_SAMPLE_COLUMNS = ("sample", "sample_id", "iid", "IID", "id")
_ANCESTRY_COLUMNS = ("ancestry", "population", "superpopulation")


@dataclass(frozen=True)
class TrainConfig:
    """Training settings; every field is written to the bundle's card."""

    members: int = 5
    """Ensemble members (each on its own bootstrap resample, initialisation and shuffling)."""
    hidden: int = 16
    """Width of the interaction path (risk) or shared trunk (response)."""
    epochs: int = 200
    """Upper bound on passes over the training part; early stopping usually ends far sooner (small
    cohorts need many passes, large ones few)."""
    batch_size: int = 1024
    """People per optimisation step."""
    lr: float = 3e-3
    """Adam learning rate."""
    weight_decay: float = 1e-4
    """AdamW decoupled weight decay."""
    patience: int = 6
    """Epochs without validation improvement before stopping (the best epoch is kept)."""
    bootstrap: bool = True
    """Train each member (and its linear warm start) on a bootstrap resample of the training part."""
    interaction_warmup: int = 4
    """Epochs at the start in which the linear paths (warm start) stay frozen and only the
    interaction path / trunk learns; early stopping cannot end training before they are over."""
    linear_lr_scale: float = 0.1
    """Learning rate of the linear paths after the warm-up, as a share of ``lr``."""
    interaction_inputs: int = 24
    """Genetic inputs the interaction path of a risk network reads: those with the largest
    standardised coefficients in the member's linear warm start (the others' first-layer weights
    stay zero); 0: all. With hundreds of panel variants an unrestricted path overfits noise before
    it learns the few true interactions."""
    select: bool = True
    """Let each output read only the genetic inputs kept by the AIC-chosen adaptive lasso
    (:mod:`genolens.modeling.selection`); every other genetic input has weight zero in every path.
    ``False``: every panel variant is read."""
    val_fraction: float = 0.1
    """Share of the training part held out for early stopping."""
    calib_fraction: float = 0.2
    """Share of the cohort for Platt calibration."""
    test_fraction: float = 0.2
    """Share of the cohort for metrics and the reference distribution."""
    seed: int = 0
    """Seed of the split, the initialisations and the shuffling."""


@dataclass(frozen=True)
class Cohort:
    """Model inputs and outcomes of a training cohort, aligned by sample."""

    samples: tuple[str, ...]
    """Sample ids, VCF order restricted to those in the phenotype table."""
    genetic: np.ndarray
    """float64, shape (n, n_genetic): effect-allele dosages in panel order; NaN where missing."""
    covariates: np.ndarray
    """float64, shape (n, n_covariates); rows with a missing covariate are dropped on loading."""
    outcomes: np.ndarray
    """float64, shape (n, n_outputs): 0/1; NaN where unknown (e.g. a drug the person never took)."""
    ancestry: np.ndarray | None
    """str, shape (n,): ancestry group labels; ``None`` when the table has no ancestry column."""
    genetic_names: tuple[str, ...]
    """Panel variant ids."""
    covariate_names: tuple[str, ...]
    """Covariate column names."""
    outcome_names: tuple[str, ...]
    """Outcome column names."""
    build: Build
    """Build of the cohort VCF."""


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


def load_cohort(vcf: str | os.PathLike[str], phenotypes: str | os.PathLike[str], panel: Panel, *,
                outcomes: Sequence[str] | None = None, covariates: Sequence[str] | None = None,
                build: BuildChoice = "auto") -> Cohort:
    """Read every sample's dosages at the panel sites and align them with the phenotype table.

    Parameters
    ----------
    vcf
        Multi-sample cohort VCF/BCF.
    phenotypes
        CSV with a sample column (``sample``, ``sample_id`` or ``iid``), optionally ``ancestry``, and
        numeric columns.
    panel
        The panel whose variants are the genetic inputs.
    outcomes
        Outcome columns (0/1, empty when unknown); ``None``: every 0/1 column not named in ``covariates``.
    covariates
        Covariate columns; ``None``: every other numeric column.
    build
        Build of the VCF, or ``"auto"``.

    Raises
    ------
    GenoLensError
        When columns are missing or not numeric, no sample is shared, or no outcome is found.
    """
    with open_vcf(vcf) as vf:
        samples = vf.info.samples
        decided = decide_build_or_none(vf, build)
        builds: tuple[Build, ...] = (decided,) if decided else BUILDS
        sites = sorted({(v.locus(b).chrom, v.locus(b).pos) for v in panel.variants for b in builds})
        records, _mode = vf.read_matrix(sites)
        if decided is None:
            votes = {b: sum(any(r.ref.upper() == v.locus(b).ref.upper() for r in records.get(
                (v.locus(b).chrom, v.locus(b).pos), ())) for v in panel.variants if v.locus(b).ref) for b in BUILDS}
            decided = decide_build(vf.info, declared=build, ref_votes=votes).build
    dosages = dosage_matrix(panel, decided, records, len(samples))  # (n_vcf, n_genetic)
    del records  # every sample's genotypes at every site: GBs for a large cohort, no longer needed
    table = pd.read_csv(phenotypes)
    id_col = next((c for c in _SAMPLE_COLUMNS if c in table.columns), None)
    if id_col is None:
        raise GenoLensError(f"Phenotype table {phenotypes} has no sample column; expected one of "
                            f"{', '.join(_SAMPLE_COLUMNS)}, found {', '.join(map(str, table.columns))}.")
    anc_col = next((c for c in _ANCESTRY_COLUMNS if c in table.columns), None)
    outs, covs = _columns(table, id_col, anc_col, outcomes, covariates, str(phenotypes))
    row_of = {str(s): i for i, s in enumerate(table[id_col].astype(str))}
    keep = [(i, row_of[s]) for i, s in enumerate(samples) if s in row_of]
    if not keep:
        raise GenoLensError(f"No sample of {vcf} is in {phenotypes}; VCF samples start "
                            f"{', '.join(samples[:3])}, table ids start {', '.join(list(row_of)[:3])}.")
    vcf_idx, tab_idx = (np.array(v, dtype=np.int64) for v in zip(*keep, strict=True))
    cov = table[list(covs)].to_numpy(dtype=np.float64)[tab_idx]  # (n, n_covariates)
    complete = ~np.isnan(cov).any(axis=1)
    rows = vcf_idx[complete]
    identity = len(rows) == len(dosages) and bool(np.all(rows == np.arange(len(dosages))))
    return Cohort(
        samples=tuple(samples[i] for i in rows),
        genetic=dosages if identity else dosages[rows],  # no copy when every VCF sample is kept, in order
        covariates=cov[complete],
        outcomes=table[list(outs)].to_numpy(dtype=np.float64)[tab_idx][complete],
        ancestry=table[anc_col].astype(str).to_numpy()[tab_idx][complete] if anc_col else None,
        genetic_names=tuple(v.id for v in panel.variants),
        covariate_names=covs,
        outcome_names=outs,
        build=decided,
    )


def _columns(table: pd.DataFrame, id_col: str, anc_col: str | None, outcomes: Sequence[str] | None,
             covariates: Sequence[str] | None, name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    numeric = [str(c) for c in table.columns if c not in (id_col, anc_col)
               and pd.api.types.is_numeric_dtype(table[c])]
    asked = [*(outcomes or ()), *(covariates or ())]
    absent = [c for c in asked if c not in numeric]
    if absent:
        raise GenoLensError(f"Column(s) {', '.join(absent)} are not numeric columns of {name}; "
                            f"numeric columns: {', '.join(numeric)}.")
    binary = [c for c in numeric if set(np.unique(table[c].dropna())) <= {0, 1}]
    outs = tuple(outcomes) if outcomes else tuple(c for c in binary if c not in (covariates or ()))
    covs = tuple(covariates) if covariates is not None else tuple(c for c in numeric if c not in outs)
    if not outs:
        raise GenoLensError(f"No outcome column (0/1) found in {name}; name them with outcomes=[...].")
    return outs, covs


def split_indices(n: int, cfg: TrainConfig) -> dict[str, np.ndarray]:
    """Seeded disjoint index sets ``train``, ``val`` (early stopping), ``calibration``, ``test``."""
    order = np.random.default_rng(cfg.seed).permutation(n)
    n_test, n_cal = int(n * cfg.test_fraction), int(n * cfg.calib_fraction)
    rest = order[n_test + n_cal:]
    n_val = int(len(rest) * cfg.val_fraction)
    return {"train": rest[n_val:], "val": rest[:n_val], "calibration": order[n_test:n_test + n_cal],
            "test": order[:n_test]}


def impute(genetic: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Return ``genetic`` (shape (n, p)) with NaN replaced by the column's ``mean`` (shape (p,))."""
    return np.where(np.isnan(genetic), mean[None, :], genetic)  # mean as (1, p), broadcast over rows


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


def interaction_mask(start: np.ndarray, n_genetic: int, keep: int) -> np.ndarray:
    """bool, shape (n_genetic,): the ``keep`` genetic inputs with the largest absolute standardised
    coefficient (largest over outputs) in a linear fit ``start`` (n_outputs, 1 + n_inputs); all when
    ``keep`` is 0 or at least ``n_genetic``."""
    if keep <= 0 or keep >= n_genetic:
        return np.ones(n_genetic, dtype=bool)
    size = np.abs(start[:, 1:1 + n_genetic]).max(axis=0)  # (n_genetic,)
    mask = np.zeros(n_genetic, dtype=bool)
    mask[np.argsort(-size, kind="stable")[:keep]] = True
    return mask


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


def selected_inputs(z: np.ndarray, y: np.ndarray, beta: np.ndarray, n_genetic: int) -> np.ndarray:
    """bool, shape (n_outputs, n_genetic): the genetic inputs each output keeps (:func:`select_inputs`),
    from the linear fit ``beta`` (n_outputs, 1 + k) on standardised inputs ``z`` (n, k), outcomes ``y``."""
    keep = np.zeros((y.shape[1], n_genetic), dtype=bool)
    for k in range(y.shape[1]):
        known = ~np.isnan(y[:, k])
        keep[k] = select_inputs(beta[k], information(z[known], beta[k]), n_genetic)[0]
    return keep


def train_cohort(cohort: Cohort, cfg: TrainConfig, *, kind: NetworkKind = "risk",
                 oracle: OracleFn | None = None) -> TrainResult:
    """Split, train the ensemble, calibrate it, and evaluate it beside the linear PRS and the oracle."""
    idx = split_indices(len(cohort.samples), cfg)
    feature_mean = np.nanmean(cohort.genetic[idx["train"]], axis=0)
    feature_mean = np.where(np.isnan(feature_mean), 0.0, feature_mean)
    g = cohort.genetic.shape[1]
    x_all = np.empty((len(cohort.samples), g + cohort.covariates.shape[1]))  # (n, n_genetic + n_cov), filled in place
    x_all[:, :g] = cohort.genetic
    np.copyto(x_all[:, :g], feature_mean[None, :], where=np.isnan(cohort.genetic))  # = impute(), without a copy
    x_all[:, g:] = cohort.covariates
    xt = torch.as_tensor(x_all, dtype=torch.float32)
    yt = torch.as_tensor(cohort.outcomes, dtype=torch.float32)
    net = NetworkConfig(kind=kind, n_genetic=cohort.genetic.shape[1], n_covariates=cohort.covariates.shape[1],
                        n_outputs=cohort.outcomes.shape[1], hidden=cfg.hidden, members=cfg.members)
    torch.manual_seed(cfg.seed)
    ensemble = Ensemble(net, seed=cfg.seed)
    train, x_test = x_all[idx["train"]], x_all[idx["test"]]
    del x_all  # the largest array: the float32 copy xt and the two parts are all training needs from here
    constant = train.std(axis=0) < 1e-9  # e.g. a rare variant nobody in the training part carries
    mean, scale = train.mean(axis=0), np.where(constant, 1.0, train.std(axis=0))
    ensemble.set_standardisation(torch.as_tensor(mean, dtype=torch.float32),
                                 torch.as_tensor(scale, dtype=torch.float32))
    z_train, y_train = (train - mean) / scale, cohort.outcomes[idx["train"]]
    n_train = len(train)
    del train
    beta = linear_fit(z_train, y_train)  # (n_outputs, 1 + n_inputs): the linear-PRS baseline
    keep = np.ones((len(beta), net.n_genetic), dtype=bool)
    near = beta
    if cfg.select:
        keep = selected_inputs(z_train, y_train, beta, net.n_genetic) & ~constant[None, : net.n_genetic]
        near = linear_fit(z_train, y_train, keep=keep)  # the selected model on the whole training part
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
            inputs = torch.as_tensor(interaction_mask(start, net.n_genetic, cfg.interaction_inputs))
            fit_member(member, xt[picked], yt[picked], xt[idx["val"]], yt[idx["val"]], cfg,
                       seed=cfg.seed * 1_000 + m, inputs=inputs, keep=keep_t)
    finally:
        torch.set_num_threads(threads)
    ensemble.silence_inputs(torch.as_tensor(constant))
    calibrate(ensemble, xt[idx["calibration"]], cohort.outcomes[idx["calibration"]])
    ensemble.freeze()
    with torch.inference_mode():
        test_logits = ensemble(xt[idx["test"]]).double().numpy()  # (n_test, n_outputs)
    prs = sigmoid(beta[:, :1].T + ((x_test - mean) / scale) @ beta[:, 1:].T)  # (n_test, n_outputs)
    test_anc = cohort.ancestry[idx["test"]] if cohort.ancestry is not None else None
    results: dict[str, dict[str, dict[str, dict[str, float | int]]]] = {}
    curve_sets: dict[str, dict[str, dict[str, dict[str, list[float]]]]] = {}
    for k, name in enumerate(cohort.outcome_names):
        scores = {"network": sigmoid(test_logits[:, k]), "linear_prs": prs[:, k]}
        if oracle is not None:
            cov = {c: cohort.covariates[idx["test"], j] for j, c in enumerate(cohort.covariate_names)}
            scores["oracle"] = sigmoid(oracle(name, cohort.genetic[idx["test"]], cov))
        results[name] = comparison(cohort.outcomes[idx["test"], k], scores, test_anc)
        curve_sets[name] = {model: curves(cohort.outcomes[idx["test"], k], p) for model, p in scores.items()}
    sizes = {key: len(v) for key, v in idx.items()}
    selected = {name: int(keep[k].sum()) for k, name in enumerate(cohort.outcome_names)}
    return TrainResult(ensemble, net, cfg, sizes, feature_mean, test_logits, test_anc, results, curve_sets, selected)


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


def train_main(vcf: str | os.PathLike[str], phenotypes: str | os.PathLike[str], panel: str,
               out: str | os.PathLike[str], *, outcomes: Sequence[str] | None = None,
               covariates: Sequence[str] | None = None, seed: int = 0, members: int = 5,
               kind: NetworkKind = "risk", build: BuildChoice = "auto", units: Mapping[str, str] | None = None,
               panel_dir: Path | None = None, config: TrainConfig | None = None, select: bool = True) -> Path:
    """Train a bundle from a cohort and write it to ``out`` (``models/<name>/<version>/``).

    When ``truth.json`` (a simulated cohort) sits beside the phenotype table, the default outcomes
    are those whose truth names this panel, the default covariates those their true models use,
    and the oracle (true model) is evaluated beside the network and the linear PRS. ``config``,
    when given, overrides ``seed``, ``members`` and ``select``. Returns the bundle folder.
    """
    from genolens.modeling.bundle import write_trained_bundle  # bundle imports this module's types

    chosen = load_panel(panel, directory=panel_dir)
    truth = simulator_truth(Path(phenotypes).with_name("truth.json"))
    mine = {k: v for k, v in truth.items() if v.get("panel") == chosen.name}
    if outcomes is None and mine:
        outcomes = sorted(mine)
    if covariates is None and mine:
        covariates = sorted({c for k in outcomes or () if k in mine for c in mine[k]["covariates"]})
    cohort = load_cohort(vcf, phenotypes, chosen, outcomes=outcomes, covariates=covariates, build=build)
    cfg = config or TrainConfig(members=members, seed=seed, select=select)
    known = all(o in mine and mine[o].get("panel_sha256") == chosen.sha256
                and set(mine[o]["covariates"]) <= set(cohort.covariate_names) for o in cohort.outcome_names)
    result = train_cohort(cohort, cfg, kind=kind, oracle=simulator_oracle(mine) if mine and known else None)
    return write_trained_bundle(Path(out), result, cohort, chosen, source={"vcf": str(vcf),
                                "phenotypes": str(phenotypes)}, units=units or {})
