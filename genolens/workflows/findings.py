"""Monogenic findings: carrier status of the breast-cancer panel's pathogenic variants, and the genes it
does not test."""

from __future__ import annotations

from typing import Literal

from genolens.datamodel import PatientGenome
from genolens.genome.panel import load_panel
from genolens.present.summary import Finding

MONOGENIC_GENES = ("BRCA1", "BRCA2", "PALB2", "CHEK2", "ATM")
"""High- and moderate-penetrance breast-cancer genes a report always names (tested or not)."""


def monogenic_findings(patient: PatientGenome, *, panel: str = "breast_cancer") -> tuple[Finding, ...]:
    """Carrier status of the panel's pathogenic variants (carriers first), and the genes it does not test."""
    result = next((r for r in patient.panels if r.panel == panel), None)
    if result is None:
        return tuple(Finding(g, "", "not tested", "", "", f"The {panel} panel was not read.")
                     for g in MONOGENIC_GENES)
    variants = {v.id: v for v in load_panel(panel).variants}
    found: list[Finding] = []
    for s, t in zip(result.sites, result.features.origin, strict=True):
        v = variants.get(s.variant_id)
        if v is None or not v.function.startswith("pathogenic") or v.gene not in MONOGENIC_GENES:
            continue
        name = f"{v.gene} {v.allele_name} ({v.rsid or v.id})"
        if t == "assumed_reference":
            found.append(Finding(v.gene, name, "not carried", "assumed reference", v.evidence,
                                 "Absent from the file; assumed reference (whole-genome call set declared)."))
        elif s.dosage is None:
            found.append(Finding(v.gene, name, "not tested", s.genotype or "", v.evidence,
                                 f"No usable call ({s.status.replace('_', ' ')}); carrier status unknown."))
        else:
            status: Literal["carrier", "not carried"] = "carrier" if s.dosage >= 0.5 else "not carried"
            zyg = "homozygous" if s.dosage >= 1.5 else "heterozygous" if status == "carrier" else "reference"
            found.append(Finding(v.gene, name, status, s.genotype or f"dosage {s.dosage:g}", v.evidence,
                                 f"Called {zyg} (GQ {s.gq if s.gq is not None else 'n/a'})."))
    tested = {f.gene for f in found}
    found += [Finding(g, "", "not tested", "", "", "The panel has no variant in this gene.")
              for g in MONOGENIC_GENES if g not in tested]
    order = {"carrier": 0, "not tested": 1, "not carried": 2}
    return tuple(sorted(found, key=lambda f: (order[f.status], MONOGENIC_GENES.index(f.gene))))
