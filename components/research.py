"""Researcher computations behind the explorer: several methods on one input, the randomisation check.

Pure functions over the domain (no Streamlit); ``components.cached`` wraps them.
"""

from __future__ import annotations

import numpy as np

from genolens.datamodel import Attribution, DeletionCurve, PatientGenome, RandomisationCheck
from genolens.explain.attribution import attribute
from genolens.explain.attribution_methods import Method
from genolens.explain.baselines import population_average, reference_distribution
from genolens.explain.explanation import BaselineChoice, context_for, make_baseline
from genolens.explain.reliability import deletion_curve, randomisation_check
from genolens.modeling.bundle import Bundle
from genolens.modeling.predict import features_for, predict

_SHAP = ("gradient_shap", "deeplift_shap")


def _target(bundle: Bundle, output: str) -> int:
    return bundle.outputs.index(output) if output in bundle.outputs else 0


def method_attributions(patient: PatientGenome, bundle: Bundle, *, output: str, methods: tuple[Method, ...],
                        baseline: BaselineChoice, ancestry: str | None = None,
                        n_steps: int | None = None) -> tuple[tuple[Attribution, ...], DeletionCurve]:
    """Explain ``output`` with each of ``methods`` (``n_steps`` for the first only); deletion curve of the first.

    A Shap method needs a distribution baseline: with a single-point baseline it is given the
    reference-cohort distribution instead (its attribution says so in its baseline caption).
    """
    ctx = context_for(bundle)
    pred = predict(bundle, features_for(patient, bundle))
    x = pred.inputs.astype(np.float64)
    target = _target(bundle, output)
    point = make_baseline(ctx, baseline, patient=patient, ancestry=ancestry)
    dist = make_baseline(ctx, "distribution", patient=patient)
    out = []
    for k, method in enumerate(methods):
        base = dist if method in _SHAP and point.samples is None else point
        out.append(attribute(bundle.model, x, method=method, baseline=base, target=target, context=ctx,
                             n_steps=n_steps if k == 0 else None))
    return tuple(out), deletion_curve(bundle.model, out[0], n_random=30)


def bundle_randomisation(bundle: Bundle, *, output: str, method: Method) -> RandomisationCheck:
    """Adebayo et al. sanity check on one reference person (no patient data), population-average baseline."""
    ctx = context_for(bundle)
    x = ctx.reference_sample[0]
    base = reference_distribution(ctx, n=64) if method in _SHAP else population_average(ctx)
    return randomisation_check(bundle.model, x, baseline=base, target=_target(bundle, output), method=method,
                               context=ctx)
