"""The allele frequencies a simulated cohort matches: European for every panel variant, African and
East Asian where stated, and the TPMT *3A haplotype built in cis.

Each real panel variant takes a simulated site whose European frequency fits :func:`target_eaf`
(the panel's ``eaf``, else ``DEFAULT_EAF``, else a stated hash rule); where ``POP_EAF`` states African
and East Asian frequencies (pharmacogenomic and founder alleles) each population matches its own
(:func:`target_frequencies`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from genolens.datamodel import PanelVariant

DEFAULT_EAF: Mapping[str, float] = {
    # Pharmacogenomic alleles, European frequency (PharmGKB/gnomAD, rounded).
    "rs3918290": 0.01, "rs55886062": 0.002, "rs67376798": 0.006, "rs75017182": 0.02, "rs56038477": 0.02,
    "rs1800462": 0.003, "rs1800460": 0.035, "rs1142345": 0.045, "rs116855232": 0.005,
    "rs4244285": 0.15, "rs4986893": 0.002, "rs12248560": 0.21, "rs1799853": 0.12, "rs1057910": 0.07,
    "rs9923231": 0.39, "rs2108622": 0.29, "rs12777823": 0.15, "rs4149056": 0.16, "rs2306283": 0.40,
    "rs3064744": 0.31, "rs4148323": 0.005, "rs887829": 0.31, "rs776746": 0.93, "rs10264272": 0.003,
    "rs41303343": 0.001, "rs3892097": 0.19, "rs1065852": 0.20, "rs35742686": 0.02, "rs5030655": 0.01,
    "rs28371725": 0.09, "rs28371706": 0.01, "rs16947": 0.34, "rs1135840": 0.55, "rs1050828": 0.005,
    "rs1050829": 0.01, "rs5030868": 0.005, "rs2395029": 0.03,
    # High/moderate-penetrance breast-cancer alleles (population carrier rates, rounded up to be learnable).
    "rs80357914": 0.002, "rs80357906": 0.0015, "rs80359550": 0.002, "rs555607708": 0.004, "rs180177102": 0.001,
}
"""Effect-allele frequency used when the panel gives none; other variants: :func:`target_eaf`."""

CIS: Mapping[str, tuple[str, float, float, float]] = {"rs1142345": ("rs1800460", 0.01, 0.04, 0.015)}
"""TPMT *3A: rs1142345 (*3C) is also carried on every rs1800460 (*3B) haplotype; its own site (*3C alone)
has frequency 0.01 EUR, 0.04 AFR, 0.015 EAS."""


POP_EAF: Mapping[str, tuple[float, float]] = {
    # (AFR, EAS) effect-allele frequencies of the pharmacogenomic alleles (gnomAD/PharmGKB, rounded).
    "rs3918290": (0.001, 0.0), "rs55886062": (0.0, 0.0), "rs67376798": (0.001, 0.0), "rs75017182": (0.003, 0.0),
    "rs56038477": (0.003, 0.0), "rs1800462": (0.001, 0.0), "rs1800460": (0.005, 0.0), "rs1142345": (0.045, 0.015),
    "rs116855232": (0.001, 0.10), "rs4244285": (0.17, 0.30), "rs4986893": (0.002, 0.06), "rs12248560": (0.20, 0.02),
    "rs1799853": (0.02, 0.0), "rs1057910": (0.01, 0.04), "rs9923231": (0.05, 0.90), "rs2108622": (0.08, 0.22),
    "rs12777823": (0.25, 0.30), "rs4149056": (0.02, 0.12), "rs2306283": (0.78, 0.75), "rs3064744": (0.40, 0.13),
    "rs4148323": (0.0, 0.15), "rs887829": (0.40, 0.13), "rs776746": (0.32, 0.71), "rs10264272": (0.15, 0.0),
    "rs41303343": (0.10, 0.0), "rs3892097": (0.06, 0.005), "rs1065852": (0.08, 0.55), "rs35742686": (0.003, 0.0),
    "rs5030655": (0.003, 0.0), "rs28371725": (0.03, 0.03), "rs28371706": (0.20, 0.0), "rs16947": (0.55, 0.15),
    "rs1135840": (0.65, 0.60), "rs1050828": (0.12, 0.0), "rs1050829": (0.20, 0.0), "rs5030868": (0.0, 0.005),
    "rs2395029": (0.01, 0.005),
    # High/moderate-penetrance founder alleles: European only here.
    "rs80357914": (0.0, 0.0), "rs80357906": (0.0, 0.0), "rs80359550": (0.0, 0.0), "rs555607708": (0.0, 0.0),
    "rs180177102": (0.0, 0.0),
}
"""African and East Asian frequencies to match where known; other variants only match the European one."""


def target_frequencies(v: PanelVariant) -> dict[str, float]:
    """Frequencies the variant's simulated site should have: ``EUR`` always, ``AFR``/``EAS`` where stated.

    For ``CIS`` variants these are the frequencies of their own site (before the cis allele is added).
    """
    if v.id in CIS:
        return {"EUR": CIS[v.id][1], "AFR": CIS[v.id][2], "EAS": CIS[v.id][3]}
    out = {"EUR": target_eaf(v)}
    if v.id in POP_EAF:
        out["AFR"], out["EAS"] = POP_EAF[v.id]
    return out


def target_eaf(v: PanelVariant) -> float:
    """European effect-allele frequency to match: panel ``eaf``, ``DEFAULT_EAF``, else 0.10-0.50 by id hash."""
    if v.eaf is not None:
        return min(max(v.eaf, 0.001), 0.999)
    if v.id in DEFAULT_EAF:
        return DEFAULT_EAF[v.id]
    h = int.from_bytes(hashlib.sha256(v.id.encode()).digest()[:4], "big") / 2**32
    return round(0.10 + 0.40 * h, 3)



def eaf_source(v: PanelVariant) -> dict[str, str]:
    """Where each population's target frequency comes from, or that none exists (said in truth.json and cards)."""
    if v.id in CIS:
        eur = "DEFAULT_EAF total (PharmGKB/gnomAD, rounded): TPMT *3C alone plus every *3B haplotype in cis"
    elif v.eaf is not None:
        eur = f"panel eaf: {v.source}"
    elif v.id in DEFAULT_EAF:
        eur = "DEFAULT_EAF (PharmGKB/gnomAD European frequency, rounded)"
    else:
        eur = "none: no sourced frequency; simulated at 0.10-0.50 by a hash of the id"
    other = ("POP_EAF (gnomAD/PharmGKB, rounded)" if v.id in POP_EAF or v.id in CIS
             else "none: not matched to any source (what the simulated demography gives)")
    return {"EUR": eur, "AFR": other, "EAS": other}
