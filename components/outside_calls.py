"""Outside calls: results of other tests (CYP2D6 genotyping, HLA typing, G6PD), uploaded as PharmCAT's outside-call
TSV or typed in, which replace the VCF-based call of their gene."""

from __future__ import annotations

import streamlit as st

from components import inert
from genolens.errors import OutsideCallError
from genolens.genome import OutsideCall, read_outside_calls

TYPED_GENES = ("CYP2D6", "HLA-B", "HLA-A", "G6PD")
"""Genes offered for typing in (others come by file)."""
_EXAMPLES = {"CYP2D6": "*1/*4", "HLA-B": "*15:02/*57:01", "HLA-A": "*02:01/*31:01", "G6PD": "B (reference)/A"}


def typed_text(entries: dict[str, tuple[str, str]]) -> str:
    """Typed-in results (gene -> (diplotype, phenotype)) as outside-call TSV lines, empty entries left out."""
    return "".join(f"{gene}\t{dip.strip()}\t{ph.strip()}\n" for gene, (dip, ph) in entries.items()
                   if dip.strip() or ph.strip())


def outside_calls_form(key: str) -> dict[str, OutsideCall]:
    """A small form for outside calls; returns the calls last accepted (``{}`` until some are), by gene."""
    store = f"{key}_accepted"
    with st.form(key=f"{key}_form"):
        st.markdown("**Results from other tests** (outside calls, as PharmCAT takes them)")
        st.caption("PharmCAT does not call CYP2D6 or HLA types from a VCF: a result given here replaces the "
                   "VCF-based call of its gene. File format: one gene per line, gene <TAB> diplotype "
                   "[<TAB> phenotype <TAB> activity score]; lines starting with # are ignored.")
        upload = st.file_uploader("Outside-call file (TSV)", type=["tsv", "txt"], key=f"{key}_file")
        entries: dict[str, tuple[str, str]] = {}
        for gene in TYPED_GENES:
            left, right = st.columns([2, 3])
            dip = left.text_input(f"{gene} diplotype", key=f"{key}_{gene}_dip", placeholder=_EXAMPLES[gene])
            ph = right.text_input(f"{gene} phenotype (optional)", key=f"{key}_{gene}_ph",
                                  placeholder="derived from the diplotype when left empty")
            entries[gene] = (dip, ph)
        submitted = st.form_submit_button("Use these results")
    if submitted:
        file_text = upload.getvalue().decode("utf-8", errors="replace") if upload is not None else ""
        try:
            from_file = read_outside_calls(file_text)
            typed = read_outside_calls(typed_text(entries))
        except OutsideCallError as exc:
            # as shown_errors, without stopping the page
            st.error(f"**Outside calls cannot be read.** {inert.message(exc)}", icon=":material/block:")
            return dict(st.session_state.get(store, {}))
        both = sorted(set(from_file) & set(typed))
        if both:
            st.error(f"**Outside calls disagree.** {', '.join(both)} given both in the file and typed in; keep one.",
                     icon=":material/block:")
            return dict(st.session_state.get(store, {}))
        st.session_state[store] = {**from_file, **typed}
    accepted: dict[str, OutsideCall] = dict(st.session_state.get(store, {}))
    if accepted:
        st.caption("Outside calls in use: " + "; ".join(
            inert.message(f"{c.gene} {c.diplotype} {c.phenotype}".strip()) for c in accepted.values()))
    return accepted
