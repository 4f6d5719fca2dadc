"""True contributions: what each input adds to the simulator's true logit, exactly, against a baseline.

The **true contribution** of input *i* to one patient's true logit, relative to the same
population-average baseline *b* the model is explained against, is the exact baseline Shapley value
of *i* in each term of the true logit, summed over terms. For an additive term ``beta * x_i`` it is
``beta * (x_i - b_i)``; for a product ``beta * x_a * x_c`` it is ``beta * (x_a - b_a) * (x_c + b_c) / 2``
(for a centred product ``beta * (x_a - c_a) * (x_c - c_c)``, the same with ``x - c`` and ``b - c``)
to ``a`` (and symmetrically to ``c``) — in both cases exactly the Integrated Gradients of the true logit
along the straight path from *b*. Derived genotype features (a capped count of no-function alleles, a
DPYD activity deficit) are not differentiable in the dosages, so for them the Shapley value over the
feature's own variants is exact. The values add up to ``true_logit(x) - true_logit(b)`` (checked).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from math import factorial
from typing import Any

import numpy as np

from genolens.errors import GroundTruthError
from genolens.modeling.outcomes import feature_values, oracle_logit

TRUTH_DEFINITION = (
    "exact baseline Shapley value of each term of the simulator's true logit against the population-average "
    "baseline, summed over terms: beta*(x-b) for additive terms and beta*(x_a-b_a)*(x_c+b_c)/2 for products "
    "(both equal to Integrated Gradients of the true logit); for derived genotype features (capped allele "
    "counts, activity scores) the Shapley value over the feature's variants (the occlusion difference when "
    "the feature has one variant)")
_SHAPLEY_MAX_PLAYERS = 12


def _inputs_of(truth: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """The model inputs (variant ids, covariate names) a term name of the truth depends on."""
    feature = truth["features"].get(name)
    if feature is None:
        return (name,)
    if feature["kind"] == "age_table":
        return (str(feature["input"]),)
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

    def product(a: str, c: str, beta: float, centre_a: float, centre_c: float
                ) -> Callable[[Mapping[str, np.ndarray]], np.ndarray]:
        return lambda v: beta * (value(a, v) - centre_a) * (value(c, v) - centre_c)

    terms = [(_inputs_of(truth, n), single(n, float(beta)))
             for table in ("covariate_effects", "variant_effects", "feature_effects")
             for n, beta in truth[table].items()]
    for t in truth["interactions"]:
        players = tuple(dict.fromkeys((*_inputs_of(truth, t["a"]), *_inputs_of(truth, t["b"]))))
        terms.append((players, product(t["a"], t["b"], float(t["beta"]), float(t.get("centre_a", 0.0)),
                                       float(t.get("centre_b", 0.0)))))
    return terms


def allele_groups(truth: Mapping[str, Any]) -> tuple[tuple[str, ...], ...]:
    """The sets of two or more variants the truth counts as one allele (an ``allele_count`` feature's groups).

    The truth gives such a set one parameter, not one per variant (TPMT *3A: rs1800460 with rs1142345), and
    where its variants are never carried apart no data can say how the allele's credit splits between them.
    """
    return tuple(tuple(group) for feature in truth["features"].values() if feature["kind"] == "allele_count"
                 for group in feature["groups"] if len(group) > 1)


def causal_inputs(truth: Mapping[str, Any]) -> tuple[str, ...]:
    """Every variant and covariate the true logit reads, in first-use order."""
    return tuple(dict.fromkeys(p for players, _ in _terms(truth) for p in players))


def true_contributions(truth: Mapping[str, Any], x: np.ndarray, *, baseline: np.ndarray,
                       feature_names: Sequence[str]) -> np.ndarray:
    """True contribution of every model input to the true logit, relative to ``baseline``.

    Parameters
    ----------
    truth : mapping
        One outcome entry of ``truth.json`` (see :func:`~genolens.modeling.fixed_truth.truth_models`).
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
