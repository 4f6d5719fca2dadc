"""Truth metrics: one output's explanations on held-out patients scored against the true contributions.

Per patient, the Pearson r of the model's Integrated Gradients with the true contributions
(:mod:`~genolens.explain.true_contributions`) over the genetic inputs; the causal-recovery AUROC of the
cohort-mean |contribution|; both again per allele, where the truth counts several variants as one allele
(their contributions summed, model and truth alike: the truth has no parameter for how such an
allele's credit splits between its variants); per simulated LD window, how the model splits a window's credit; and the
model-randomisation check of Adebayo et al. (2018) completed with the truth (:func:`validate_outcome`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from torch import nn

from genolens.datamodel import Attribution, Baseline, ExplainContext, Grade, RandomisationCheck
from genolens.explain.attribution import attribute
from genolens.explain.reliability import (
    causal_recovery,
    cumulative_resets,
    grade,
    randomisation_check,
)
from genolens.explain.true_contributions import allele_groups, causal_inputs, true_contributions

R_TARGET = 0.95
"""Mean per-patient Pearson r (genetic inputs) an explanation must reach: grade A (issue 12's target on fresh
simulated patients)."""
R_POOR = 0.5
"""Below this mean r the explanation does not follow the truth: grade C."""
AUROC_TARGET = 0.95
"""Causal-recovery AUROC the cohort-mean |contribution| must reach."""
N_RANDOMISATION = 5
"""Held-out patients averaged in the Adebayo check."""
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
    allele_pearson_r: np.ndarray
    """float64, shape (n_patients,): :attr:`pearson_r` with each of the truth's multi-variant alleles as one input
    (contributions summed); equal to :attr:`pearson_r` when the truth has none. The targets are checked on it."""
    allele_causal_auroc: float
    """:attr:`causal_auroc` with each of the truth's multi-variant alleles as one input (equal when none)."""
    alleles: tuple[str, ...]
    """The truth's multi-variant alleles scored as one input, as ``rsA+rsB``."""

    @property
    def allele_mean_pearson_r(self) -> float:
        """Mean of :attr:`allele_pearson_r` (NaN rows skipped)."""
        return float(np.nanmean(self.allele_pearson_r))

    @property
    def mean_pearson_r(self) -> float:
        """Mean of :attr:`pearson_r` (NaN rows skipped)."""
        return float(np.nanmean(self.pearson_r))

    @property
    def trained_grade(self) -> Grade:
        """Grade of the trained network's explanation against the truth (in the truth's own units)."""
        return truth_grade(self.allele_mean_pearson_r)

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
            "share_pearson_r_at_least_0_9": float(np.nanmean(self.pearson_r >= 0.9)),
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
            "alleles": list(self.alleles), "allele_mean_pearson_r": self.allele_mean_pearson_r,
            "allele_causal_auroc": self.allele_causal_auroc,
            "passed": bool(self.allele_mean_pearson_r >= R_TARGET and not self.allele_causal_auroc < AUROC_TARGET),
        }


def truth_grade(mean_r: float) -> Grade:
    """A when the mean per-patient r reaches :data:`R_TARGET`, C below :data:`R_POOR` (or NaN), else B."""
    return "A" if mean_r >= R_TARGET else "B" if mean_r >= R_POOR else "C"



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
                 among: Sequence[int] | None = None, names: Sequence[str] | None = None) -> float:
    """AUROC of ``importance`` (cohort-mean |contribution| per input) for the causal inputs, by causal_recovery.

    ``template`` supplies the input names unless ``names`` are given (one per entry of ``importance``);
    ``among`` restricts the comparison to those input indices.
    """
    all_names = tuple(template.names if names is None else names)
    idx = np.arange(len(all_names)) if among is None else np.asarray(among, dtype=np.int64)
    names = tuple(all_names[i] for i in idx)
    pooled = replace(template, names=names, groups=tuple((int(i),) for i in idx), values=importance[idx],
                     member_values=importance[idx][None, :], spread=np.zeros(len(idx)))
    return causal_recovery(pooled, [c for c in causal if c in names])


def randomised(model: nn.Module, *, seed: int = 0) -> nn.Module:
    """A copy of ``model`` with every layer re-initialised: the network of the check's last step (same seed)."""
    work = copy.deepcopy(model)
    work.load_state_dict(cumulative_resets(work, seed)[-1])  # the draws randomisation_check makes
    return work


def _mean_check(checks: Sequence[RandomisationCheck]) -> RandomisationCheck:
    corr = np.nanmean(np.array([c.correlations for c in checks]), axis=0)
    return RandomisationCheck(method=checks[0].method, layers=checks[0].layers, correlations=tuple(corr.tolist()))


def validate_outcome(model: nn.Module, truth: Mapping[str, Any], x: np.ndarray, *, baseline: Baseline, target: int,
                     context: ExplainContext, output: str = "", windows: Mapping[str, int] | None = None,
                     seed: int = 0, n_randomisation: int = N_RANDOMISATION) -> OutcomeValidation:
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
    groups = [gr for gr in allele_groups(truth) if all(v in names[:g] for v in gr)]
    unit_names, inverse = _units(names, groups)  # one unit per input when the truth has no multi-variant allele
    unit_est, unit_true = _sum_units(est, inverse, len(unit_names)), _sum_units(true, inverse, len(unit_names))
    n_genetic_units = len(set(inverse[:g].tolist()))  # genetic inputs come first, so their units do too
    unit_causal = [unit_names[k] for k in sorted({int(inverse[j]) for j, n in enumerate(names) if n in causal})]
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
        randomisation_grade=rand_grade, randomised_pearson_r=rand_r, ld=ld,
        allele_pearson_r=pearson_rows(unit_est[:, :n_genetic_units], unit_true[:, :n_genetic_units]),
        allele_causal_auroc=causal_auroc(attrs[0], np.abs(unit_est).mean(axis=0), unit_causal, names=unit_names),
        alleles=tuple("+".join(gr) for gr in groups))


def _units(names: Sequence[str], groups: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], np.ndarray]:
    """Unit names (``rsA+rsB`` for a group, else the input's name) and each input's unit index, in input order."""
    first = {v: gr for gr in groups for v in gr}
    unit_of: dict[str, int] = {}
    unit_names: list[str] = []
    inverse = np.empty(len(names), dtype=np.int64)
    for j, n in enumerate(names):
        key = "+".join(first[n]) if n in first else n
        if key not in unit_of:
            unit_of[key] = len(unit_names)
            unit_names.append(key)
        inverse[j] = unit_of[key]
    return tuple(unit_names), inverse


def _sum_units(a: np.ndarray, inverse: np.ndarray, n_units: int) -> np.ndarray:
    """Columns of ``a`` (n, p) summed per unit: (n, n_units)."""
    out = np.zeros((len(a), n_units))
    np.add.at(out.T, inverse, a.T)
    return out


def _rank(v: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(v, kind="mergesort"), kind="mergesort").astype(np.float64)


def _ld_split(windows: Mapping[str, int], names: Sequence[str], causal: Sequence[str], dosage: np.ndarray,
              est: np.ndarray, true: np.ndarray) -> tuple[float, list[int], tuple[dict[str, Any], ...]]:
    """Per-window r, the variants of mixed windows, and how the model splits a window's credit (all (n, g))."""
    win = np.array([windows.get(n, -1 - j) for j, n in enumerate(names)])  # unknown: a window of its own
    keys, inverse = np.unique(win, return_inverse=True)
    summed = _sum_units(est, inverse, len(keys))  # (n, n_windows): model contribution per window
    truth_summed = _sum_units(true, inverse, len(keys))
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
