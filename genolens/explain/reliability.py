"""How far an explanation can be trusted: a grade A/B/C with reasons, and the checks behind it.

The checks are the ones the literature asks for: completeness (do the contributions add up),
agreement between methods and between ensemble members on the top features, deletion-curve
faithfulness against random orders, and the model-randomisation sanity check of Adebayo et al.
(2018, "Sanity checks for saliency maps"): an attribution that does not change when the network's
weights are re-initialised does not explain the network. The randomisation check is expensive
relative to the others and depends only on the model, so compute it once per bundle.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from genolens.datamodel import (
    Attribution,
    Baseline,
    DeletionCurve,
    ExplainContext,
    Grade,
    RandomisationCheck,
    Reliability,
    ReliabilityCheck,
)
from genolens.errors import ExplainError
from genolens.explain.attribution import attribute, seeded_global_rngs
from genolens.explain.attribution_methods import Method

_ORDER = {"A": 0, "B": 1, "C": 2}
_CHUNK = 2048  # deletion-curve rows per forward pass


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Return Spearman's rank correlation of two vectors (average ranks for ties); NaN when one is constant."""
    ra, rb = _ranks(np.asarray(a, dtype=np.float64)), _ranks(np.asarray(b, dtype=np.float64))
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def _ranks(v: np.ndarray) -> np.ndarray:
    order = np.argsort(v, kind="mergesort")
    ranks = np.empty(len(v), dtype=np.float64)
    ranks[order] = np.arange(len(v), dtype=np.float64)
    for value in np.unique(v):  # average the ranks of ties
        tied = v == value
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    return ranks


def _top(values: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-np.abs(values), kind="mergesort")[:k]


def method_agreement(attributions: Sequence[Attribution], *, k: int = 10) -> float:
    """Return the lowest pairwise Spearman correlation over the union of each method's top-``k`` inputs.

    Parameters
    ----------
    attributions : sequence of Attribution
        Two or more attributions of the same input and output (e.g. IG, GradientShap, FeatureAblation).
    k : int
        How many inputs with the largest |contribution| each method nominates.

    Returns
    -------
    float
        In -1..1 (signed contributions are compared); NaN when fewer than two attributions.
    """
    if len(attributions) < 2:
        return float("nan")
    names = attributions[0].names
    if any(a.names != names for a in attributions):
        raise ExplainError("Method agreement needs attributions over the same inputs or groups.")
    union = np.unique(np.concatenate([_top(a.values, k) for a in attributions]))
    if len(union) < 2:
        return float("nan")
    rhos = [spearman(a.values[union], b.values[union]) for a, b in itertools.combinations(attributions, 2)]
    return float(np.nanmin(rhos)) if not all(np.isnan(rhos)) else float("nan")


def member_agreement(attribution: Attribution, *, k: int = 10) -> float:
    """Return the share of the top-``k`` inputs on whose direction (sign) every ensemble member agrees."""
    top = _top(attribution.values, k)
    signs = np.sign(attribution.member_values[:, top])  # (members, k)
    return float(np.mean(np.all(signs == np.sign(attribution.values[top]), axis=0)))


def causal_recovery(attribution: Attribution, causal: Sequence[str]) -> float:
    """Return the AUROC of |contribution| for telling the true causal inputs from the rest (simulated cohorts).

    Parameters
    ----------
    attribution : Attribution
        A per-input attribution of a model trained on a simulated cohort.
    causal : sequence of str
        Names (in ``attribution.names``) of the inputs the simulation made causal.

    Returns
    -------
    float
        0..1: the probability that a random causal input outranks a random non-causal one (ties count
        half); 1 = perfect recovery, 0.5 = chance. NaN when either class is empty.

    Raises
    ------
    ExplainError
        When a causal name is not among the attribution's names.
    """
    unknown = [c for c in causal if c not in attribution.names]
    if unknown:
        raise ExplainError(f"Causal inputs not in the attribution: {', '.join(unknown[:5])}.")
    is_causal = np.isin(np.array(attribution.names), np.array(list(causal)))
    if is_causal.all() or not is_causal.any():
        return float("nan")
    ranks = _ranks(np.abs(attribution.values)) + 1.0
    n_pos, n_neg = int(is_causal.sum()), int((~is_causal).sum())
    return float((ranks[is_causal].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))  # Mann-Whitney U


def deletion_curve(model: nn.Module, attribution: Attribution, *, n_random: int = 50, seed: int = 0) -> DeletionCurve:
    """Set inputs to the baseline one group at a time, largest contribution first, and compare with random orders.

    For an additive model the attribution order gives the lowest curve of all orders, so a faithful
    attribution beats (nearly) every random order.

    Parameters
    ----------
    model : torch.nn.Module
        The model that was explained (only evaluated).
    attribution : Attribution
        Its ``groups`` define what is deleted together; its baseline ``values`` are the replacement.
    n_random : int
        Random orders to compare with.
    seed : int
        Seed of the random orders.

    Returns
    -------
    DeletionCurve
    """
    return deletion_curves(model, [attribution], n_random=n_random, seed=seed)[0]


def deletion_curves(model: nn.Module, attributions: Sequence[Attribution], *, n_random: int = 50,
                    seed: int = 0) -> list[DeletionCurve]:
    """:func:`deletion_curve` for several attributions of one model (e.g. one per output) in one forward pass.

    Each curve is the one :func:`deletion_curve` gives for its attribution alone (the random orders
    are drawn afresh from ``seed`` for each).
    """
    dtype = next((p.dtype for p in model.parameters()), torch.float32)
    if not attributions:
        return []
    blocks, shapes = [], []
    for a in attributions:
        rng = np.random.default_rng(seed)
        order = np.argsort(-a.values, kind="mergesort")
        orders = np.stack([order, *(rng.permutation(len(order)) for _ in range(n_random))])  # (n_orders, n_groups)
        rank = np.empty_like(orders)  # rank[o, g]: the step at which order o deletes group g
        np.put_along_axis(rank, orders, np.arange(orders.shape[1])[None, :], axis=1)
        group_of = np.full(len(a.inputs), -1, dtype=np.int64)
        for g, cols in enumerate(a.groups):
            group_of[list(cols)] = g
        never = np.iinfo(np.int64).max  # inputs in no group are never deleted
        feature_rank = np.ascontiguousarray(np.where(group_of >= 0, rank[:, np.maximum(group_of, 0)], never))
        steps = np.arange(orders.shape[1] + 1)  # row j of a curve: the order's first j groups deleted
        deleted = feature_rank[:, None, :] < steps[None, :, None]  # (n_orders, n_groups + 1, n_features)
        np_dtype = torch.empty(0, dtype=dtype).numpy().dtype
        rows = np.where(deleted, a.baseline.values.astype(np_dtype), a.inputs.astype(np_dtype))
        blocks.append(rows.reshape(-1, len(a.inputs)))
        shapes.append((orders, a.target))
    batch = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
    rows_t = torch.from_numpy(batch)
    with torch.no_grad():  # in cache-sized chunks: the rows are many, the model's elementwise steps memory-bound
        out = torch.cat([model(rows_t[i:i + _CHUNK]) for i in range(0, len(rows_t), _CHUNK)]).double().numpy()
    curves_out, start = [], 0
    for orders, target in shapes:
        n_rows = orders.shape[0] * (orders.shape[1] + 1)
        curves = out[start:start + n_rows, target].reshape(orders.shape[0], orders.shape[1] + 1)
        start += n_rows
        area = curves.mean(axis=1)
        score = float(np.mean(area[1:] > area[0] + 1e-9)) if n_random else float("nan")
        curves_out.append(DeletionCurve(order=tuple(int(i) for i in orders[0]), logits=curves[0],
                                        random_logits=curves[1:], score=score))
    return curves_out


def linear_layers(model: nn.Module) -> list[list[nn.Module]]:
    """Layers with parameters, output side first; the same layer of every ensemble member together."""
    groups: dict[str, list[nn.Module]] = {}
    for name, module in model.named_modules():
        if callable(getattr(module, "reset_parameters", None)) and any(True for _ in module.parameters(recurse=False)):
            parts = name.split(".")
            key = ".".join(parts[2:]) if parts[:1] == ["members"] and len(parts) > 2 else name
            groups.setdefault(key, []).append(module)
    return [groups[k] for k in reversed(list(groups))]


def randomisation_check(model: nn.Module, x: np.ndarray, *, baseline: Baseline, target: int,
                        method: Method = "ig", context: ExplainContext | None = None,
                        seed: int = 0) -> RandomisationCheck:
    """Re-initialise the network's layers cumulatively from the output down and re-attribute.

    Works on a deep copy; the given model is not changed. Correlations compare |attribution| ranks
    with those of the trained model; a method that explains the model drops towards 0.

    Parameters
    ----------
    model : torch.nn.Module
        The trained model (an Ensemble: the same layer of every member is randomised together).
    x : numpy.ndarray
        float, shape (n_features,): a representative input (e.g. the population mean or a demo patient).
    baseline, target, method, context
        As for :func:`~genolens.explain.attribution.attribute`.
    seed : int
        Seed of the re-initialisation.

    Returns
    -------
    RandomisationCheck
    """
    original = np.abs(attribute(model, x, method=method, baseline=baseline, target=target, context=context).values)
    work = copy.deepcopy(model)
    groups = linear_layers(work)
    layers, rhos = [], []
    for i, state in enumerate(cumulative_resets(work, seed)):
        work.load_state_dict(state)
        a = attribute(work, x, method=method, baseline=baseline, target=target, context=context)
        layers.append("all" if i == len(groups) - 1 else _name(work, groups[i][0]))
        rhos.append(spearman(original, np.abs(a.values)))
    return RandomisationCheck(method=method, layers=tuple(layers), correlations=tuple(rhos))


def cumulative_resets(work: nn.Module, seed: int) -> list[dict[str, torch.Tensor]]:
    """Re-initialise ``work``'s layers cumulatively (output side first, :func:`linear_layers`); the state after each.

    Every draw is made in one seeded section of torch's global generator (the explain layer's lock,
    :func:`~genolens.explain.attribution.seeded_global_rngs`), before any attribution: a concurrent
    explanation cannot take draws from it, and it leaves the global generator as it found it.
    """
    states = []
    with seeded_global_rngs(seed), torch.no_grad():
        for group in linear_layers(work):
            for module in group:
                module.reset_parameters()  # type: ignore[operator]
            states.append({k: v.clone() for k, v in work.state_dict().items()})
    return states


def _name(model: nn.Module, module: nn.Module) -> str:
    name = next(n for n, m in model.named_modules() if m is module)
    parts = name.split(".")
    return ".".join(parts[2:]) if parts[:1] == ["members"] and len(parts) > 2 else name


def _check(name: str, value: float, a: float, b: float, *, higher_is_better: bool, what: str) -> ReliabilityCheck:
    """Grade ``value`` against the A and B thresholds and say so."""
    if np.isnan(value):
        return ReliabilityCheck(name, value, "C", f"{what}: could not be measured.")
    sign = 1.0 if higher_is_better else -1.0
    grade: Grade = "A" if sign * (value - a) >= 0 else "B" if sign * (value - b) >= 0 else "C"
    cmp = ">=" if higher_is_better else "<="
    return ReliabilityCheck(name, value, grade, f"{what}: {value:.3g} (A if {cmp} {a:g}, B if {cmp} {b:g}).")


def grade(attribution: Attribution, *, others: Sequence[Attribution] = (), deletion: DeletionCurve | None = None,
          randomisation: RandomisationCheck | None = None, k: int = 10) -> Reliability:
    """Grade an explanation A/B/C from the checks whose inputs are given; the overall grade is the worst.

    Parameters
    ----------
    attribution : Attribution
        The explanation shown to the user.
    others : sequence of Attribution
        The same input explained by other methods (e.g. GradientShap, FeatureAblation) for agreement.
    deletion : DeletionCurve, optional
        From :func:`deletion_curve`.
    randomisation : RandomisationCheck, optional
        From :func:`randomisation_check` (once per bundle).
    k : int
        Top inputs compared for agreement.

    Returns
    -------
    Reliability
    """
    scale = max(abs(attribution.delta), 1e-4)
    checks = [_check("completeness", abs(attribution.residual) / scale, 0.01, 0.05, higher_is_better=False,
                     what="Unattributed share of the change (|residual| / |prediction - baseline|)")]
    if others:
        checks.append(_check("method_agreement", method_agreement([attribution, *others], k=k), 0.8, 0.5,
                             higher_is_better=True, what=f"Lowest rank correlation between methods on the top {k}"))
    if attribution.member_values.shape[0] > 1:
        checks.append(_check("member_agreement", member_agreement(attribution, k=k), 0.9, 0.7,
                             higher_is_better=True, what=f"Share of the top {k} whose direction all models agree on"))
    if deletion is not None:
        checks.append(_check("deletion", deletion.score, 0.95, 0.75, higher_is_better=True,
                             what="Share of random deletion orders the attribution order beats"))
    if randomisation is not None:
        checks.append(_check("randomisation", abs(randomisation.final), 0.3, 0.6, higher_is_better=False,
                             what="Rank correlation with the attribution of a randomised network"))
    worst = max((c.grade for c in checks), key=_ORDER.__getitem__)
    return Reliability(grade=worst, checks=tuple(checks))
