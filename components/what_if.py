"""The what-if editor: change a genotype (0/1/2 effect alleles) and see the effect.

Clinical details are not edited here: they are the patient's, entered once on the Patient page, and
feed the report and every page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from components import audit
from components.ledger_chart import genotypes
from genolens.datamodel import PatientGenome
from genolens.explain import Explanation
from genolens.modeling import Bundle
from genolens.workflows import CYP2C9_DIPLOTYPES, VKORC1_GENOTYPES, WarfarinDose

_SHOWN = 8
"""Genotypes offered: the inputs with the largest |contribution| as read (a stable list while editing)."""


@dataclass(frozen=True)
class Edits:
    """What the user changed."""

    dosages: dict[str, float]
    """Effect-allele count by genetic input id."""

    def __bool__(self) -> bool:
        return bool(self.dosages)



def editor(base: Explanation, bundle: Bundle, patient: PatientGenome) -> Edits:
    """Draw the editor (widgets keyed ``whatif_<input>``) and return the edits; empty when none."""
    a = base.attribution
    n_gen = len(bundle.panel.variants)
    top = np.argsort(-np.abs(a.values[:n_gen]), kind="mergesort")[:_SHOWN]
    by_id = {v.id: v for v in bundle.panel.variants}
    gts = genotypes(patient, bundle.panel.name)
    dosages: dict[str, float] = {}
    left, right = st.columns(2)
    with right:
        st.caption("Clinical details (sex, age, family history, ...) are the patient's: change them on the Patient "
                   "page, where they feed the report and every page.")
    with left:
        st.markdown("**Genotypes** (effect-allele count)")
        for i in top:
            name = a.feature_names[int(i)]
            v = by_id[name]
            read = f"as read: {gts.get(name, '—')} ({a.inputs[int(i)]:.2g})"
            choice = st.selectbox(
                f"{v.gene} {v.rsid or v.id} · effect allele {v.grch38.effect_allele}", (None, 0, 1, 2),
                format_func=lambda d, read=read: read if d is None else f"{d} effect allele{'s' if d != 1 else ''}",
                key=f"whatif_{name}", help=v.evidence or None)
            if choice is not None:
                dosages[name] = float(choice)
    return Edits(dosages)


def effect(base: Explanation, edited: Explanation) -> None:
    """Show the prediction as read beside the edited one."""
    audit.what_if(base, edited)  # clinicians only; logs the model and the number of changed inputs
    a, b = base.output, edited.output
    left, mid, right = st.columns(3)
    left.metric("As read", f"{a.probability:.1%}")
    mid.metric("With your changes", f"{b.probability:.1%}", delta=f"{100 * (b.probability - a.probability):+.2f} pp",
               delta_color="inverse")
    right.metric("Band", b.band, delta=None if a.band == b.band else f"was {a.band}", delta_color="off")


def dose_editor(d: WarfarinDose, patient_key: str) -> dict[str, str]:
    """Draw the VKORC1/CYP2C9 what-if for the warfarin dose (widgets keyed per patient) and return the genotypes
    to use instead of those read; empty when none is changed."""
    changes: dict[str, str] = {}
    cols = st.columns(2)
    for col, (gene, choices) in zip(cols, (("VKORC1", VKORC1_GENOTYPES), ("CYP2C9", CYP2C9_DIPLOTYPES)), strict=True):
        read = d.genotypes.get(gene, "unknown")
        label = "VKORC1 -1639G>A (rs9923231)" if gene == "VKORC1" else "CYP2C9 (*2 rs1799853, *3 rs1057910)"
        as_read = f"as read: {read}"
        choice = col.selectbox(label, (as_read, *choices), key=f"dose_whatif_{gene}_{patient_key}")
        if choice not in (as_read, read):
            changes[gene] = choice
    return changes


def dose_effect(base: WarfarinDose, edited: WarfarinDose) -> None:
    """The dose as read beside the dose with the what-if genotypes (model and IWPC algorithm)."""
    audit.dose_what_if(base, edited)  # clinicians only; logs which genes changed, never the genotypes
    if base.dose_mg_per_week is None or edited.dose_mg_per_week is None or edited.interval is None:
        return
    left, mid, right = st.columns(3)
    left.metric("As read", f"{base.dose_mg_per_week:.1f} mg/week")
    mid.metric("What-if dose", f"{edited.dose_mg_per_week:.1f} mg/week",
               delta=f"{edited.dose_mg_per_week - base.dose_mg_per_week:+.1f} mg/week", delta_color="off")
    right.metric("What-if, IWPC algorithm", f"{edited.iwpc_algorithm_mg_per_week or 0:.1f} mg/week")
    st.caption(f"What-if: {edited.dose_mg_per_week / 7:.2f} mg/day; 90% interval "
               f"{edited.interval[0]:.1f}–{edited.interval[1]:.1f} mg/week. "
               + " ".join(f[:1].upper() + f[1:] for f in edited.flags if f.startswith("what-if")))
