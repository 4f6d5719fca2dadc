"""The cohort page's pieces: which multi-sample file, scoring with progress, distributions, drill-down."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from components import cached, state
from components.choices import option_label
from components.config import DEMO_DIR, ROOT, server_vcf_dir, server_vcf_files
from components.errors import shown_errors
from components.frame import output_label
from components.patient_input import StatusProgress, path_source
from components.sources import PatientSource
from genolens.modeling import Bundle
from genolens.present.figures import mean_contribution_figure, risk_distribution_figure
from genolens.workflows import CohortResult

CORPUS_COHORT = ROOT.parent / "shared" / "corpus" / "vcf" / "bio2zarr" / "vcf" / "chr22.vcf.gz"


def _candidates() -> list[Path]:
    folder = server_vcf_dir()
    files = [DEMO_DIR / "trio_cyp2c19_brca2.vcf.gz", CORPUS_COHORT,
             *(server_vcf_files(folder) if folder is not None else [])]
    return [p for p in dict.fromkeys(files) if p.is_file()]


def choose_file() -> PatientSource | None:
    """Choose a multi-sample VCF among the demo trio, the corpus cohort and the server folder."""
    files = _candidates()
    if not files:
        st.info("No multi-sample VCF is available on this server.", icon=":material/folder_off:")
        return None
    path = st.selectbox("Multi-sample VCF", files, format_func=lambda p: p.name, key="cohort_file")
    if path is None:
        return None
    return path_source(path)


def score(source: PatientSource, bundles: tuple[Bundle, ...]) -> CohortResult:
    """Score every sample with every bundle, with a progress bar the first time."""
    progress = StatusProgress(source.name)
    with shown_errors(f"scoring {source.name}"):
        result = cached.cohort(source.sha256, source.name, tuple((b.name, b.version) for b in bundles), source,
                               bundles, cached.drawing_outside_cache(progress))
    progress.finish(ok=True)
    return result


def distributions(result: CohortResult, bundles: tuple[Bundle, ...], highlight: str | None) -> None:
    """Risk strips per output: disease models, then drug outcomes."""
    for kind, title in (("risk", "Disease risk"), ("response", "Drug outcomes")):
        probs = {o: result.probabilities[b.name][o].tolist() for b in bundles
                 if b.info.kind == kind for o in b.outputs}
        if probs:
            st.markdown(f"**{title}** across {len(result.samples)} samples")
            st.plotly_chart(risk_distribution_figure(probs, result.samples, highlight=highlight), key=f"cohort_{kind}")
    low = [b.name for b in bundles if result.coverage[b.name].mean() < b.coverage_threshold]
    if low:
        st.warning("Low coverage in this file of the variants these models read: "
                   + ", ".join(f"{n.replace('_', ' ')} {result.coverage[n].mean():.0%} on average" for n in low)
                   + ". Missing genotypes were set to the population mean, so these distributions say little "
                   "about these people.", icon=":material/warning:")


def table(result: CohortResult, bundles: tuple[Bundle, ...]) -> pd.DataFrame:
    """One row per sample: coverage and probability per output."""
    data: dict[str, object] = {"sample": result.samples}
    for b in bundles:
        data[f"{b.name} coverage"] = result.coverage[b.name]
        for o in b.outputs:
            data[output_label(o)] = result.probabilities[b.name][o]
    return pd.DataFrame(data)


def attribution_summary(source: PatientSource, result: CohortResult, bundles: tuple[Bundle, ...]) -> None:
    """Mean |contribution| per gene across samples for one chosen output (IG against the population average)."""
    options = [(b.name, o) for b in bundles for o in b.outputs]
    name, output = st.selectbox("Attribution summary for", options, key="cohort_output",
                                format_func=option_label)
    bundle = next(b for b in bundles if b.name == name)
    with st.spinner(f"Attributing {len(result.samples)} samples…"), shown_errors("attributing the cohort"):
        genes, mean_abs, mean_signed = cached.cohort_genes(source.sha256, (bundle.name, bundle.version), output,
                                                           result, bundle)
    top = sorted(range(len(genes)), key=lambda i: -mean_abs[i])[:20]
    st.plotly_chart(mean_contribution_figure([genes[i] for i in top], [float(mean_abs[i]) for i in top],
                                             [float(mean_signed[i]) for i in top], n_samples=len(result.samples)),
                    key="cohort_genes")
    st.caption("Integrated Gradients per sample against the population average, summed per gene; colour is the "
               "sign of the mean contribution (orange raises, blue lowers).")


def open_sample(source: PatientSource, result: CohortResult) -> None:
    """Pick a sample and open its report (it becomes the current patient)."""
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    sample = left.selectbox("Open one sample's report", result.samples, index=None, key="cohort_sample",
                            placeholder="Choose a sample")
    if right.button("Open report →", key="cohort_open", disabled=sample is None):
        with st.spinner(f"Reading {sample}…"), shown_errors(f"reading {sample} of {source.name}"):
            patient = cached.patient(source.sha256, source.name, sample, "auto", "missing", source)
        state.set_patient(patient)
        st.switch_page("pages/report.py")
