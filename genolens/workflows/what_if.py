"""What-if edits of a patient: set some genotypes (effect-allele dosages) and read the result as observed.

The what-if use case is :func:`genolens.workflows.explain_bundle` with ``overrides`` (dosages by input id)
and ``clinical`` values; this module makes the edited copy of the patient it explains. The file is never
changed, and an edited input is marked ``observed`` (the user set it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from genolens.datamodel import GenotypeOrigin, PanelResult, PatientGenome


def with_dosages(patient: PatientGenome, panel: str, dosages: Mapping[str, float]) -> PatientGenome:
    """Return a copy of ``patient`` whose ``panel`` inputs take ``dosages`` (by input id), marked observed."""
    results = []
    for r in patient.panels:
        if r.panel != panel or not dosages:
            results.append(r)
            continue
        results.append(_edited(r, dosages))
    return dataclasses.replace(patient, panels=tuple(results))


def _edited(result: PanelResult, dosages: Mapping[str, float]) -> PanelResult:
    f = result.features
    values = np.array(f.values, dtype=np.float64, copy=True)
    missing = np.array(f.missing, dtype=bool, copy=True)
    origin: list[GenotypeOrigin] = list(f.origin)
    for i, name in enumerate(f.names):
        if name in dosages:
            values[i] = float(dosages[name])
            missing[i] = False
            origin[i] = "observed"
    features = dataclasses.replace(f, values=values, missing=missing, origin=tuple(origin))
    return dataclasses.replace(result, features=features)
