"""Explaining one bundle's prediction for one patient: the route every explanation on every page takes.

The report, the Risk and Treatment pages, the what-if editor and the CLI all come here, so the same
file, sample and settings give the same prediction, explanation, grade and missing-data band
everywhere. A what-if is the same call with ``overrides`` (genotype dosages by input id) and
``clinical`` values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from genolens.datamodel import LedgerLevel, PatientGenome
from genolens.explain.attribution_methods import Method
from genolens.explain.explanation import BaselineChoice, Explanation, explain_all
from genolens.modeling.bundle import Bundle
from genolens.workflows.what_if import with_dosages


def explain_bundle(bundle: Bundle, patient: PatientGenome, *, outputs: Sequence[str] | None = None,
                   method: Method = "ig", baseline: BaselineChoice = "population",
                   clinical: Mapping[str, float] | None = None, overrides: Mapping[str, float] | None = None,
                   ancestry: str | None = None, relative_values: np.ndarray | None = None,
                   level: LedgerLevel = "gene", reliability: bool = True) -> dict[str, Explanation]:
    """Explain ``outputs`` of ``bundle`` (all when ``None``) for ``patient``, with optional what-if edits.

    Parameters
    ----------
    bundle, patient
        The model and the patient read against the bundle's panel.
    outputs
        Output names (with or without ``y_``); every output of the bundle when ``None``.
    method, baseline, ancestry, relative_values, level, reliability
        As :func:`genolens.explain.explanation.explain_all` (seed 0: the same numbers every time).
    clinical
        Clinical inputs by card name; those not given are set to the population mean and flagged.
    overrides
        What-if genotypes: effect-allele dosage by input id of the bundle's panel, read as observed.

    Returns
    -------
    dict
        Full output name -> :class:`~genolens.explain.explanation.Explanation`, in the bundle's order.
    """
    edited = with_dosages(patient, bundle.panel.name, overrides) if overrides else patient
    return explain_all(bundle, edited, outputs=outputs, method=method, baseline=baseline, clinical=clinical,
                       ancestry=ancestry, relative_values=relative_values, level=level, reliability=reliability,
                       seed=0)
