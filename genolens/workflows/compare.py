"""Method comparison, the researcher's use case: several attribution methods on one prediction, the
deletion curve of the first, and the model-randomisation check of a method on a bundle.

The explorer page (through ``components.cached``) calls these functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from genolens.datamodel import Attribution, DeletionCurve, PatientGenome, RandomisationCheck, Reliability
from genolens.explain.attribution import attribute
from genolens.explain.attribution_methods import Method
from genolens.explain.baselines import population_average, reference_distribution
from genolens.explain.explanation import BaselineChoice, context_for, make_baseline, output_index
from genolens.explain.reliability import deletion_curve, grade, randomisation_check
from genolens.modeling.bundle import Bundle
from genolens.modeling.predict import features_for, predict

_SHAP = ("gradient_shap", "deeplift_shap")



@dataclass(frozen=True)
class MethodComparison:
    """One output explained by several methods, with the chosen (first) method's checks."""

    attributions: tuple[Attribution, ...]
    """One per method asked for, the chosen one first."""
    deletion: DeletionCurve
    """Deletion curve of the chosen attribution (faithfulness)."""
    reliability: Reliability
    """Grade of the chosen attribution against the others and its deletion curve."""


def compare_methods(patient: PatientGenome, bundle: Bundle, *, output: str, methods: tuple[Method, ...],
                    baseline: BaselineChoice, ancestry: str | None = None, n_steps: int | None = None,
                    clinical: Mapping[str, float] | None = None) -> MethodComparison:
    """Explain ``output`` with each of ``methods`` (``n_steps`` for the first only) and grade the first.

    A Shap method needs a distribution baseline: with a single-point baseline it is given the
    reference-cohort distribution instead (its attribution says so in its baseline caption). ``clinical``
    is the patient's clinical inputs (:class:`~genolens.modeling.clinical.ModelInputs`), as the report uses.
    """
    ctx = context_for(bundle)
    pred = predict(bundle, features_for(patient, bundle), clinical, ancestry=patient.ancestry)
    x = pred.inputs.astype(np.float64)
    target = output_index(bundle, output)
    point = make_baseline(ctx, baseline, patient=patient, ancestry=ancestry)
    dist = make_baseline(ctx, "distribution", patient=patient)
    out = []
    for k, method in enumerate(methods):
        base = dist if method in _SHAP and point.samples is None else point
        out.append(attribute(bundle.model, x, method=method, baseline=base, target=target, context=ctx,
                             n_steps=n_steps if k == 0 else None))
    curve = deletion_curve(bundle.model, out[0], n_random=30)
    return MethodComparison(tuple(out), curve, grade(out[0], others=out[1:], deletion=curve))


def bundle_randomisation(bundle: Bundle, *, output: str, method: Method) -> RandomisationCheck:
    """Adebayo et al. sanity check on one reference person (no patient data), population-average baseline."""
    ctx = context_for(bundle)
    x = ctx.reference_sample[0]
    base = reference_distribution(ctx, n=64) if method in _SHAP else population_average(ctx)
    return randomisation_check(bundle.model, x, baseline=base, target=output_index(bundle, output), method=method,
                               context=ctx)
