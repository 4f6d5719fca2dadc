"""Ground truth for the explanations: attributions of held-out simulated patients against the simulator's model.

On a simulated cohort the true model is known (``truth.json``, recomputed by
:func:`~genolens.modeling.outcomes.oracle_logit`), so an explanation can be checked against the
*true contribution* of every input:

- **True contribution** of input *i* to one patient's true logit, relative to the same
  population-average baseline *b* the model is explained against: the exact baseline Shapley value
  of *i* in each term of the true logit, summed over terms. For an additive term ``beta * x_i`` it
  is ``beta * (x_i - b_i)``; for a product ``beta * x_a * x_c`` it is
  ``beta * (x_a - b_a) * (x_c + b_c) / 2`` to ``a`` (and symmetrically to ``c``) — in both cases
  exactly the Integrated Gradients of the true logit along the straight path from *b*. Derived
  genotype features (a capped count of no-function alleles, a DPYD activity deficit) are not
  differentiable in the dosages (IG is undefined on their steps), so for them the Shapley value
  over the feature's own variants is exact: the occlusion difference ``f(x) - f(x with that
  variant at baseline)`` when the feature has one variant, its average over orders when it has
  several. The values add up to ``true_logit(x) - true_logit(b)`` (checked).
- **(a)** per patient, the Pearson correlation between the model's Integrated Gradients and the
  true contributions over the *genetic* inputs; **(b)** the AUROC of the cohort-mean |contribution|
  for telling the truly causal inputs (variants and covariates the truth uses) from the rest, via
  :func:`~genolens.explain.reliability.causal_recovery`; **(c)** the model-randomisation sanity
  check of Adebayo et al. (2018) via :func:`~genolens.explain.reliability.randomisation_check`,
  completed with the ground truth: the explanation of the trained network must match the truth
  (grade A) and that of the network with every layer re-initialised must not (grade C).

:func:`validate_bundle` runs this for one bundle and writes a ``[validation]`` table into its
``card.toml`` and a ``validation`` entry into ``metrics.json``; the weights are not touched, so the
card's ``weights_sha256`` stays valid. ``python -m genolens validate`` calls :func:`validate_bundle`.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from math import factorial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from genolens.datamodel import Attribution, Baseline, ExplainContext, Grade, Panel, RandomisationCheck
from genolens.errors import GroundTruthError
from genolens.explain.attribution import attribute
from genolens.explain.baselines import population_average
from genolens.explain.explanation import context_for
from genolens.explain.reliability import causal_recovery, grade, linear_layers, randomisation_check
from genolens.modeling.bundle import dumps_toml, json_safe, load_bundle
from genolens.modeling.outcomes import feature_values, oracle_logit
from genolens.modeling.train import simulator_truth
from genolens.modeling.train_config import TrainConfig
from genolens.modeling.training_data import impute, load_cohort, split_indices

TRUTH_DEFINITION = (
    "exact baseline Shapley value of each term of the simulator's true logit against the population-average "
    "baseline, summed over terms: beta*(x-b) for additive terms and beta*(x_a-b_a)*(x_c+b_c)/2 for products "
    "(both equal to Integrated Gradients of the true logit); for derived genotype features (capped allele "
    "counts, activity scores) the Shapley value over the feature's variants (the occlusion difference when "
    "the feature has one variant)")
R_TARGET = 0.9
"""Mean per-patient Pearson r (genetic inputs) an explanation must reach: grade A."""
R_POOR = 0.5
"""Below this mean r the explanation does not follow the truth: grade C."""
AUROC_TARGET = 0.95
"""Causal-recovery AUROC the cohort-mean |contribution| must reach."""
_SHAPLEY_MAX_PLAYERS = 12
_N_RANDOMISATION = 5  # held-out patients averaged in the Adebayo check
_N_RANDOMISED_TRUTH = 200  # held-out patients explained with the randomised network (at most)



@dataclass(frozen=True)
class OutcomeValidation:
    """The explanation of one output checked against the simulation's truth on held-out patients."""

    output: str
    """Output name (``y_...``)."""
    pearson_r: np.ndarray
    """float64, shape (n_patients,): Pearson r of model vs true contributions over the genetic inputs."""
    locus_pearson_r: float
    """Mean over patients of the same r after summing contributions per simulated LD window; NaN without windows."""
    causal_auroc: float
    """AUROC of cohort-mean |contribution| for causal vs non-causal inputs; NaN when every input is causal."""
    neighbour_auroc: float
    """The same among the variants of windows holding both causal and non-causal variants; NaN when none."""
    importance_spearman: float
    """Spearman correlation of cohort-mean |model contribution| with cohort-mean |true contribution|, all inputs."""
    n_causal: int
    """Inputs the true model uses (variants and covariates)."""
    n_inputs: int
    """All model inputs."""
    randomisation: RandomisationCheck
    """Adebayo check, correlations averaged over a few held-out patients."""
    randomisation_grade: Grade
    """The reliability grade of that check (A when |final correlation| <= 0.3)."""
    randomised_pearson_r: float
    """Mean per-patient r against the truth of the network with every layer re-initialised."""
    ld: tuple[dict[str, Any], ...]
    """Per mixed LD window: causal and neighbour variants, their LD and mean |contribution| (model, truth)."""

    @property
    def mean_pearson_r(self) -> float:
        """Mean of :attr:`pearson_r` (NaN rows skipped)."""
        return float(np.nanmean(self.pearson_r))

    @property
    def trained_grade(self) -> Grade:
        """Grade of the trained network's explanation against the truth."""
        return truth_grade(self.mean_pearson_r)

    @property
    def randomised_grade(self) -> Grade:
        """Grade of the randomised network's explanation against the truth."""
        return truth_grade(self.randomised_pearson_r)

    @property
    def randomisation_passed(self) -> bool:
        """The sanity check passes: the grade drops to C when the network is randomised (from A or B when trained),
        and the Adebayo rank correlation with the randomised network's attribution is not graded C."""
        return self.trained_grade != "C" and self.randomised_grade == "C" and self.randomisation_grade != "C"

    def record(self) -> dict[str, Any]:
        """The figures as TOML/JSON-ready scalars and flat lists."""
        return {
            "mean_pearson_r": self.mean_pearson_r, "median_pearson_r": float(np.nanmedian(self.pearson_r)),
            "min_pearson_r": float(np.nanmin(self.pearson_r)),
            "share_pearson_r_at_least_0_9": float(np.nanmean(self.pearson_r >= R_TARGET)),
            "locus_mean_pearson_r": self.locus_pearson_r, "causal_auroc": self.causal_auroc,
            "neighbour_auroc": self.neighbour_auroc, "importance_spearman": self.importance_spearman,
            "n_causal": self.n_causal, "n_inputs": self.n_inputs, "trained_grade": self.trained_grade,
            "randomisation_layers": list(self.randomisation.layers),
            "randomisation_correlations": [float(c) for c in self.randomisation.correlations],
            "randomisation_final_spearman": float(self.randomisation.final),
            "randomisation_grade": self.randomisation_grade,
            "n_patients_with_r": int(np.isfinite(self.pearson_r).sum()),
            "randomised_mean_pearson_r": self.randomised_pearson_r, "randomised_grade": self.randomised_grade,
            "randomisation": "pass" if self.randomisation_passed else "fail",
            "passed": bool(self.mean_pearson_r >= R_TARGET and not self.causal_auroc < AUROC_TARGET),
        }


def truth_grade(mean_r: float) -> Grade:
    """A when the mean per-patient r reaches :data:`R_TARGET`, C below :data:`R_POOR` (or NaN), else B."""
    return "A" if mean_r >= R_TARGET else "B" if mean_r >= R_POOR else "C"


def _inputs_of(truth: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """The model inputs (variant ids, covariate names) a term name of the truth depends on."""
    feature = truth["features"].get(name)
    if feature is None:
        return (name,)
    if feature["kind"] == "activity_deficit":
        return tuple(feature["values"])
    return tuple(i for group in feature["groups"] for i in group)


def _terms(truth: Mapping[str, Any]) -> list[tuple[tuple[str, ...], Callable[[Mapping[str, np.ndarray]], np.ndarray]]]:
    """The true logit as a sum of terms: (inputs it reads, function of those inputs' values, each (n,))."""
    def value(name: str, v: Mapping[str, np.ndarray]) -> np.ndarray:
        feature = truth["features"].get(name)
        return v[name] if feature is None else feature_values(feature, {i: v[i] for i in _inputs_of(truth, name)})

    def single(name: str, beta: float) -> Callable[[Mapping[str, np.ndarray]], np.ndarray]:
        return lambda v: beta * value(name, v)

    def product(a: str, c: str, beta: float) -> Callable[[Mapping[str, np.ndarray]], np.ndarray]:
        return lambda v: beta * value(a, v) * value(c, v)

    terms = [(_inputs_of(truth, n), single(n, float(beta)))
             for table in ("covariate_effects", "variant_effects", "feature_effects")
             for n, beta in truth[table].items()]
    for t in truth["interactions"]:
        players = tuple(dict.fromkeys((*_inputs_of(truth, t["a"]), *_inputs_of(truth, t["b"]))))
        terms.append((players, product(t["a"], t["b"], float(t["beta"]))))
    return terms


def causal_inputs(truth: Mapping[str, Any]) -> tuple[str, ...]:
    """Every variant and covariate the true logit reads, in first-use order."""
    return tuple(dict.fromkeys(p for players, _ in _terms(truth) for p in players))


def true_contributions(truth: Mapping[str, Any], x: np.ndarray, *, baseline: np.ndarray,
                       feature_names: Sequence[str]) -> np.ndarray:
    """True contribution of every model input to the true logit, relative to ``baseline``.

    Parameters
    ----------
    truth : mapping
        One outcome entry of ``truth.json`` (see :func:`~genolens.modeling.outcomes.outcome_models`).
    x : numpy.ndarray
        float, shape (n, n_features): patients' inputs (dosages, then covariates) in ``feature_names`` order.
    baseline : numpy.ndarray
        float, shape (n_features,): the comparison point (the population average).
    feature_names : sequence of str
        Model input names; every variant and covariate the truth reads must be among them.

    Returns
    -------
    numpy.ndarray
        float64, shape (n, n_features): see :data:`TRUTH_DEFINITION`; 0 for inputs the truth does not read.

    Raises
    ------
    GroundTruthError
        When the truth reads an input the model does not have, a term reads too many inputs, or the
        values do not add up to ``true_logit(x) - true_logit(baseline)``.
    """
    col = {n: j for j, n in enumerate(feature_names)}
    missing = [n for n in causal_inputs(truth) if n not in col]
    if missing:
        raise GroundTruthError(f"The true model reads {', '.join(missing[:5])}, which the model does not have as "
                              "inputs; validate a bundle trained on this truth's panel and covariates.")
    xv, b = np.asarray(x, dtype=np.float64), np.asarray(baseline, dtype=np.float64)
    out = np.zeros_like(xv)
    for players, fn in _terms(truth):
        k = len(players)
        if k > _SHAPLEY_MAX_PLAYERS:
            raise GroundTruthError(f"A true term reads {k} inputs ({', '.join(players[:3])}, ...); exact Shapley "
                                  f"values are computed up to {_SHAPLEY_MAX_PLAYERS}.")
        cols = [col[p] for p in players]
        value = {}
        for mask in itertools.product((False, True), repeat=k):  # every coalition of the term's inputs
            v = {p: xv[:, c] if on else np.full(len(xv), b[c]) for p, c, on in zip(players, cols, mask, strict=True)}
            value[mask] = fn(v)
        for i, c in enumerate(cols):
            for mask, f_with in value.items():
                if mask[i]:
                    without = (*mask[:i], False, *mask[i + 1:])
                    s = sum(mask) - 1  # coalition size without i
                    out[:, c] += factorial(s) * factorial(k - s - 1) / factorial(k) * (f_with - value[without])
    _check_complete(truth, xv, b, out, feature_names)
    return out


def _check_complete(truth: Mapping[str, Any], x: np.ndarray, b: np.ndarray, contrib: np.ndarray,
                    names: Sequence[str]) -> None:
    ids = list(truth["panel_variant_ids"])
    col = {n: j for j, n in enumerate(names)}
    if not all(i in col for i in ids):
        return  # a truth over a wider panel than the model: completeness is checked by the terms above
    both = np.vstack([x, b[None]])  # (n + 1, n_features)
    logits = oracle_logit(truth, both[:, [col[i] for i in ids]], {c: both[:, col[c]] for c in truth["covariates"]})
    gap = np.abs((logits[:-1] - logits[-1]) - contrib.sum(axis=1))
    if gap.max(initial=0.0) > 1e-8 * max(1.0, float(np.abs(logits).max(initial=0.0))):
        raise GroundTruthError(f"True contributions miss the true logit difference by up to {gap.max():.2e}; "
                              "the truth has a term this module does not decompose.")


def model_contributions(model: nn.Module, x: np.ndarray, *, baseline: Baseline, target: int,
                        context: ExplainContext | None = None, seed: int = 0) -> list[Attribution]:
    """Integrated Gradients of every row of ``x`` (shape (n, n_features)) for output ``target``."""
    return [attribute(model, row, method="ig", baseline=baseline, target=target, context=context, seed=seed)
            for row in np.asarray(x, dtype=np.float64)]


def pearson_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r of each row of ``a`` with the same row of ``b`` (both (n, p)); NaN where a row is constant."""
    da, db = a - a.mean(axis=1, keepdims=True), b - b.mean(axis=1, keepdims=True)
    den = np.sqrt((da**2).sum(axis=1) * (db**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(den > 0, (da * db).sum(axis=1) / den, np.nan), dtype=np.float64)


def causal_auroc(template: Attribution, importance: np.ndarray, causal: Sequence[str],
                 among: Sequence[int] | None = None) -> float:
    """AUROC of ``importance`` (cohort-mean |contribution| per input) for the causal inputs, by causal_recovery.

    ``template`` supplies the input names; ``among`` restricts the comparison to those input indices.
    """
    idx = np.arange(len(template.names)) if among is None else np.asarray(among, dtype=np.int64)
    names = tuple(template.names[i] for i in idx)
    pooled = replace(template, names=names, groups=tuple((int(i),) for i in idx), values=importance[idx],
                     member_values=importance[idx][None, :], spread=np.zeros(len(idx)))
    return causal_recovery(pooled, [c for c in causal if c in names])


def randomised(model: nn.Module, *, seed: int = 0) -> nn.Module:
    """A copy of ``model`` with every layer re-initialised: the network of the check's last step (same seed)."""
    work = copy.deepcopy(model)
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        for group in linear_layers(work):  # the order randomisation_check uses, so the draws are the same
            for module in group:
                module.reset_parameters()  # type: ignore[operator]
    return work


def _mean_check(checks: Sequence[RandomisationCheck]) -> RandomisationCheck:
    corr = np.nanmean(np.array([c.correlations for c in checks]), axis=0)
    return RandomisationCheck(method=checks[0].method, layers=checks[0].layers, correlations=tuple(corr.tolist()))


def validate_outcome(model: nn.Module, truth: Mapping[str, Any], x: np.ndarray, *, baseline: Baseline, target: int,
                     context: ExplainContext, output: str = "", windows: Mapping[str, int] | None = None,
                     seed: int = 0, n_randomisation: int = _N_RANDOMISATION) -> OutcomeValidation:
    """Check one output's explanations against the truth on held-out patients ``x`` (n, n_features).

    ``windows`` maps variant ids to simulated LD windows (``truth.json`` ``_variants``) for the locus-level
    figures; ``n_randomisation`` patients are averaged in the Adebayo check.
    """
    names, g = context.feature_names, context.n_genetic
    true = true_contributions(truth, x, baseline=baseline.values, feature_names=names)  # (n, p)
    attrs = model_contributions(model, x, baseline=baseline, target=target, context=context, seed=seed)
    est = np.stack([a.values for a in attrs])  # (n, p)
    r = pearson_rows(est[:, :g], true[:, :g])
    causal = causal_inputs(truth)
    importance = np.abs(est).mean(axis=0)
    locus_r, neighbour_idx, ld = float("nan"), list[int](), tuple[dict[str, Any], ...]()
    if windows:
        locus_r, neighbour_idx, ld = _ld_split(windows, names[:g], causal, x[:, :g], est[:, :g], true[:, :g])
    spear = float(np.corrcoef(_rank(importance), _rank(np.abs(true).mean(axis=0)))[0, 1])
    checks = [randomisation_check(model, row, baseline=baseline, target=target, context=context, seed=seed)
              for row in x[:n_randomisation]]
    check = _mean_check(checks)
    rand_grade = next(c.grade for c in grade(attrs[0], randomisation=check).checks if c.name == "randomisation")
    noise = randomised(model, seed=seed)
    sub = x[:_N_RANDOMISED_TRUTH]
    rand_est = np.stack([a.values for a in model_contributions(noise, sub, baseline=baseline, target=target,
                                                               context=context, seed=seed)])
    rand_r = float(np.nanmean(pearson_rows(rand_est[:, :g], true[: len(sub), :g])))
    return OutcomeValidation(
        output=output, pearson_r=r, locus_pearson_r=locus_r, causal_auroc=causal_auroc(attrs[0], importance, causal),
        neighbour_auroc=causal_auroc(attrs[0], importance, causal, neighbour_idx) if neighbour_idx else float("nan"),
        importance_spearman=spear, n_causal=len(causal), n_inputs=len(names), randomisation=check,
        randomisation_grade=rand_grade, randomised_pearson_r=rand_r, ld=ld)


def _rank(v: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(v, kind="mergesort"), kind="mergesort").astype(np.float64)


def _ld_split(windows: Mapping[str, int], names: Sequence[str], causal: Sequence[str], dosage: np.ndarray,
              est: np.ndarray, true: np.ndarray) -> tuple[float, list[int], tuple[dict[str, Any], ...]]:
    """Per-window r, the variants of mixed windows, and how the model splits a window's credit (all (n, g))."""
    win = np.array([windows.get(n, -1 - j) for j, n in enumerate(names)])  # unknown: a window of its own
    keys, inverse = np.unique(win, return_inverse=True)
    summed = np.zeros((len(est), len(keys)))
    np.add.at(summed.T, inverse, est.T)  # (n, n_windows): model contribution per window
    truth_summed = np.zeros_like(summed)
    np.add.at(truth_summed.T, inverse, true.T)
    locus_r = float(np.nanmean(pearson_rows(summed, truth_summed)))
    is_causal = np.isin(np.array(names), np.array(list(causal)))
    mixed: list[int] = []
    rows: list[dict[str, Any]] = []
    for k in range(len(keys)):
        members = np.flatnonzero(inverse == k)
        cz, nz = members[is_causal[members]], members[~is_causal[members]]
        if len(cz) == 0 or len(nz) == 0:
            continue
        mixed.extend(members.tolist())
        with np.errstate(invalid="ignore", divide="ignore"):
            ld_r = np.corrcoef(dosage[:, members].T)[np.ix_(np.isin(members, nz), np.isin(members, cz))]
        abs_est = np.abs(est[:, members]).mean(axis=0)
        rows.append({
            "window": int(keys[k]), "causal": [names[i] for i in cz], "neighbours": [names[i] for i in nz],
            "max_ld_r2": float(np.nanmax(ld_r**2)) if np.isfinite(ld_r).any() else float("nan"),
            "causal_mean_abs_model": [float(np.abs(est[:, i]).mean()) for i in cz],
            "causal_mean_abs_true": [float(np.abs(true[:, i]).mean()) for i in cz],
            "neighbour_mean_abs_model": [float(np.abs(est[:, i]).mean()) for i in nz],
            "neighbour_share_of_window": float(abs_est[np.isin(members, nz)].sum() / max(abs_est.sum(), 1e-12)),
            "window_pearson_r": float(pearson_rows(est[:, members].sum(axis=1)[None],  # NaN: a constant window
                                                   true[:, members].sum(axis=1)[None])[0]),
        })
    rows.sort(key=lambda row: -float(row["max_ld_r2"]))
    return locus_r, sorted(mixed), tuple(rows)


def held_out_patients(bundle_card: Mapping[str, Any], cohort_dir: Path, panel: Panel, outputs: Sequence[str],
                      covariates: Sequence[str], feature_mean: np.ndarray, *, n_patients: int,
                      seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Read the cohort as training did; return (test-part row indices used, inputs (n, n_features)).

    The split is :func:`~genolens.modeling.training_data.split_indices` with the bundle's recorded
    training settings, so only people the network never saw (nor was calibrated on) are used.
    """
    training = bundle_card["training"]
    cfg = TrainConfig(**{f.name: training[f.name] for f in fields(TrainConfig) if f.name in training})
    vcf = cohort_dir / Path(str(training.get("vcf", "cohort.GRCh38.vcf.gz"))).name
    pheno = cohort_dir / "phenotypes.csv"
    if not vcf.is_file() or not pheno.is_file():
        raise GroundTruthError(f"Cohort folder {cohort_dir} lacks {vcf.name} or phenotypes.csv; run make models.")
    cohort = load_cohort(vcf, pheno, panel, outcomes=outputs, covariates=covariates,
                         build=bundle_card["panel"].get("build_of_training_vcf", "auto"))
    expected = sum(int(training[f"n_{k}"]) for k in ("train", "val", "calibration", "test"))
    if len(cohort.samples) != expected:
        raise GroundTruthError(f"The cohort has {len(cohort.samples)} usable people, the bundle was trained on "
                              f"{expected}; the test part cannot be recovered. Validate against the training cohort.")
    test = split_indices(len(cohort.samples), cfg)["test"]
    rows = np.sort(np.random.default_rng(seed).choice(test, size=min(n_patients, len(test)), replace=False))
    x = np.hstack([impute(cohort.genetic[rows], feature_mean), cohort.covariates[rows]])  # (n, n_features)
    return rows, x


def validate_bundle(bundle_path: str | Path, cohort_dir: str | Path, *, n_patients: int = 200, seed: int = 0,
                    write: bool = True, panel_dir: Path | None = None) -> dict[str, Any]:
    """Validate every output of a bundle against the simulated cohort's truth; write the figures into the bundle.

    Parameters
    ----------
    bundle_path : path
        ``models/<name>/<version>/``.
    cohort_dir : path
        The simulated cohort the bundle was trained on (``cohort.GRCh38.vcf.gz``, ``phenotypes.csv``,
        ``truth.json``).
    n_patients : int
        Held-out patients drawn from the test part.
    seed : int
        Seed of the draw, the attributions and the re-initialisation.
    write : bool
        Add ``[validation]`` to ``card.toml`` and ``validation`` to ``metrics.json``.
    panel_dir : path, optional
        Where the bundle's panel lives (default ``data/panels``), as for :func:`load_bundle`.

    Returns
    -------
    dict
        The ``[validation]`` table (per output under the output's name) plus ``ld`` details and ``seconds``.

    Raises
    ------
    GroundTruthError
        When the cohort has no truth for the bundle's outputs or the truth's panel hash differs.
    """
    start = time.perf_counter()
    folder, cohort = Path(bundle_path), Path(cohort_dir)
    bundle = load_bundle(folder, panel_dir=panel_dir)
    truth = simulator_truth(cohort / "truth.json")
    absent = [o for o in bundle.outputs if o not in truth]
    if absent:
        raise GroundTruthError(f"{cohort / 'truth.json'} has no truth for {', '.join(absent)} (bundle "
                              f"{bundle.name}); validate against the simulated cohort the bundle was trained on.")
    changed = [o for o in bundle.outputs if truth[o].get("panel_sha256") != bundle.panel.sha256]
    if changed:
        raise GroundTruthError(f"The truth of {', '.join(changed)} was simulated on another version of panel "
                              f"{bundle.panel.name}; rerun make models.")
    ctx = context_for(bundle, seed=seed)
    base = population_average(ctx)
    _rows, x = held_out_patients(bundle.card, cohort, bundle.panel, bundle.outputs, bundle.covariates,
                                 bundle.reference.feature_mean, n_patients=n_patients, seed=seed)
    raw = json.loads((cohort / "truth.json").read_text(encoding="utf-8")).get("_variants", {})
    windows = {vid: int(v["window"]) for vid, v in raw.items() if isinstance(v, Mapping) and "window" in v}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: one thread is faster than contended intra-op threads
    try:
        results = [validate_outcome(bundle.model, truth[o], x, baseline=base, target=k, context=ctx, output=o,
                                    windows=windows, seed=seed) for k, o in enumerate(bundle.outputs)]
    finally:
        torch.set_num_threads(threads)
    table = _table(results, n_patients=len(x), seed=seed, baseline=base, cohort=cohort)
    if write:
        write_validation(folder, table, details={r.output: {"pearson_r": r.pearson_r.tolist(), "ld": list(r.ld)}
                                                 for r in results})
    return {**table, "seconds": round(time.perf_counter() - start, 1),
            "ld": {r.output: list(r.ld) for r in results}}


def _table(results: Sequence[OutcomeValidation], *, n_patients: int, seed: int, baseline: Baseline,
           cohort: Path) -> dict[str, Any]:
    """The ``[validation]`` table: method and settings, worst figures over outputs, then one sub-table per output."""
    per = {r.output: r.record() for r in results}

    def worst(key: str) -> float:
        vals = [float(v[key]) for v in per.values() if not math.isnan(float(v[key]))]
        return min(vals) if vals else float("nan")

    return {
        "n_patients": n_patients, "seed": seed, "cohort": cohort.name,
        "patients": "drawn from the test part of the bundle's own training split (never trained or calibrated on)",
        "method": "ig", "method_description": "Integrated Gradients of the calibrated ensemble logit, member by "
                                              "member, completeness-checked (genolens.explain.attribution)",
        "baseline": baseline.kind, "baseline_caption": baseline.caption, "truth": TRUTH_DEFINITION,
        "compared": "per-patient Pearson r over the genetic inputs; causal AUROC over all inputs (variants and "
                    "covariates) ranked by cohort-mean |contribution|",
        "r_target": R_TARGET, "auroc_target": AUROC_TARGET,
        "mean_pearson_r": worst("mean_pearson_r"), "causal_auroc": worst("causal_auroc"),
        "randomisation": "pass" if all(v["randomisation"] == "pass" for v in per.values()) else "fail",
        "randomisation_rule": (
            f"pass when the explanation's grade against the truth drops to C (mean r < {R_POOR}) for the network "
            "with every layer re-initialised (randomisation_check's last step, same seed) from A or B for the trained "
            f"one, and the Adebayo rank correlation of |attribution| (mean over {_N_RANDOMISATION} held-out patients) "
            "is not graded C (|rho| > 0.6)"),
        "passed": all(v["passed"] for v in per.values()),
        "summary": ("figures above are the lowest over the outputs below" if len(per) > 1 else
                    "figures above are those of the single output below"),
        "causal_auroc_note": "NaN where every input of the model is causal (nothing to rank against)",
        **per,
    }


def write_validation(bundle_path: str | Path, table: Mapping[str, Any],
                     details: Mapping[str, Any] | None = None) -> None:
    """Replace the bundle's ``[validation]`` card table and ``metrics.json`` entry; weights are left alone.

    The card is re-read and re-written with :func:`~genolens.modeling.bundle.dumps_toml`; every other
    table is kept as it was, so ``weights_sha256`` still matches ``weights.pt``.
    """
    folder = Path(bundle_path)
    card = tomllib.loads((folder / "card.toml").read_text(encoding="utf-8"))
    card["validation"] = dict(table)
    (folder / "card.toml").write_text(dumps_toml(card), encoding="utf-8")
    metrics_path = folder / "metrics.json"
    metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.is_file() else {}
    metrics["validation"] = json_safe({**table, **({"details": dict(details)} if details else {})})
    metrics_path.write_text(json.dumps(metrics, indent=1, allow_nan=False), encoding="utf-8")


def _misses(out: Mapping[str, Any]) -> list[str]:
    """Why an output did not pass, in words (empty when it did)."""
    misses = []
    for key, v in out.items():
        if not (isinstance(v, Mapping) and "mean_pearson_r" in v):
            continue
        if v["mean_pearson_r"] < R_TARGET:
            misses.append(f"{key}: mean r {v['mean_pearson_r']:.3f} < {R_TARGET}")
        if v["causal_auroc"] < AUROC_TARGET:  # NaN (nothing to rank) compares False
            misses.append(f"{key}: causal AUROC {v['causal_auroc']:.3f} < {AUROC_TARGET}")
        if v["randomisation"] != "pass":
            misses.append(f"{key}: randomisation check failed")
    return misses


def validation_summary(name: str, out: Mapping[str, Any]) -> str:
    """Bundle ``name``'s validation figures (``out`` from :func:`validate_bundle`) in words, and any missed target."""
    lines = [f"{name}: {out['n_patients']} held-out patients, {out['seconds']} s"]
    for key, v in out.items():
        if isinstance(v, Mapping) and "mean_pearson_r" in v:
            lines.append(f"  {key}: mean r {v['mean_pearson_r']:.3f} (locus {v['locus_mean_pearson_r']:.3f}), "
                         f"causal AUROC {v['causal_auroc']:.3f} (neighbours {v['neighbour_auroc']:.3f}), "
                         f"randomisation {v['randomisation']} (Adebayo rho {v['randomisation_final_spearman']:+.2f} "
                         f"grade {v['randomisation_grade']}; randomised net r {v['randomised_mean_pearson_r']:.2f})")
    lines.extend(f"  NOT PASSED {m}" for m in _misses(out))
    return "\n".join(lines)
