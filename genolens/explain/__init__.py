"""Explanation layer: attributions (Captum), baselines, ledgers, reliability and the missing-data band.

This package exports what the use cases and front ends call; ``ground_truth`` (checking explanations
against a simulated truth) loads the training side and is imported by name.
"""

from genolens.explain.attribution import (
    attribute,
    attribute_outputs,
)
from genolens.explain.attribution_methods import (
    METHODS,
    Method,
)
from genolens.explain.baselines import (
    all_reference,
    ancestry_average,
    population_average,
    reference_distribution,
    relative,
)
from genolens.explain.explanation import (
    BASELINE_CHOICES,
    BaselineChoice,
    Explanation,
    context_for,
    explain,
    explain_all,
    explanation_json,
    make_baseline,
    output_index,
    sensitivity_band,
    sensitivity_bands,
    use_one_thread,
)
from genolens.explain.reliability import (
    deletion_curve,
    deletion_curves,
    grade,
    randomisation_check,
)
from genolens.explain.rollup import (
    group_mask,
    input_origins,
    ledger,
)

__all__ = [
    "BASELINE_CHOICES",
    "METHODS",
    "BaselineChoice",
    "Explanation",
    "Method",
    "all_reference",
    "ancestry_average",
    "attribute",
    "attribute_outputs",
    "context_for",
    "deletion_curve",
    "deletion_curves",
    "explain",
    "explain_all",
    "explanation_json",
    "grade",
    "group_mask",
    "input_origins",
    "ledger",
    "make_baseline",
    "output_index",
    "population_average",
    "randomisation_check",
    "reference_distribution",
    "relative",
    "sensitivity_band",
    "sensitivity_bands",
    "use_one_thread",
]
