"""The cohort page's pieces: which multi-sample file, scoring with progress, distributions, drill-down."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import streamlit as st

from components import audit, cached, config, inert, patient_details, patient_input, state
from components.choices import option_label
from components.config import DEMO_DIR, ROOT, server_vcf_dir, server_vcf_files
from components.errors import shown_errors
from components.frame import output_label
from components.patient_input import ReadOptions, StatusProgress, path_source
from components.sources import PatientSource
from genolens.datamodel import PatientGenome, clinical
from genolens.datamodel.clinical import NO_DETAILS, PatientDetails, details_record, details_tables
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
    path = st.selectbox("Multi-sample VCF", files, format_func=lambda p: inert.short(p.name), key="cohort_file")
    if path is None:
        return None
    return path_source(path)


def choose_options(source: PatientSource) -> ReadOptions:
    """The whole-genome box for the cohort file, starting as the Patient page would for that file.

    The scores and the drill-down both read with what it says, so a sample opened from here is the
    patient the Patient page shows for the same file and sample.
    """
    key = f"cohort_{patient_input.whole_genome_key(source)}"
    if key not in st.session_state:
        st.session_state[key] = patient_input.default_options(source).absent == "reference"
    whole_genome = st.checkbox("This file is a whole-genome call set", key=key,
                               help="Only then may sites absent from the file be counted as homozygous reference. "
                               "Starts as the Patient page starts for this file.")
    if whole_genome:
        patient_input.whole_genome_warning()
    return patient_input.ReadOptions(build="auto", absent="reference" if whole_genome else "missing")


def choose_details(source: PatientSource, samples: tuple[str, ...]) -> dict[str, PatientDetails]:
    """Each sample's details: a demo file's stored ones, replaced by an uploaded file of one table per sample.

    A sample without details gets no estimate from the models that read sex, as on the Patient page.
    """
    given = {s: d for s in samples
             if (d := clinical.patient_details(config.demo_details(source.path, s))) != NO_DETAILS}
    upload = st.file_uploader("Sample details (TOML or JSON, one table per sample, as data/demo/details.toml)",
                              type=["toml", "json"], key="cohort_details",
                              help="sex, age or date_of_birth, breast_cancer_relatives, bmi, smoking, ... per sample. "
                                   "Without sex a sample gets no estimate from models that read it.")
    if upload is not None:
        with shown_errors("reading the sample details"):
            given.update(details_tables(upload.getvalue().decode("utf-8", errors="replace"), upload.name))
    missing = [s for s in samples if s not in given]
    st.caption(f"Details for {len(given)} of {len(samples)} samples" +
               (f"; without details (no estimate from models that read sex): "
                f"{', '.join(inert.name(s) for s in missing[:8])}"
                + (" …" if len(missing) > 8 else "") if missing else "") + ".")
    return given


def score(source: PatientSource, bundles: tuple[Bundle, ...], options: ReadOptions,
          details: Mapping[str, PatientDetails], day: dt.date) -> CohortResult:
    """Score every sample with every bundle, with a progress bar the first time.

    A file the models cannot read at all (no panel site in it) is refused with a message, no charts.
    """
    audit.act("cohort_job", "researcher", sha256=source.sha256, bundles=bundles, detail=f"absent={options.absent}")
    progress = StatusProgress(source.name)
    record = tuple((s, tuple(sorted(details_record(d).items()))) for s, d in sorted(details.items()))
    with shown_errors(f"scoring {source.name}"):
        try:
            result = cached.cohort(source.sha256, source.name, tuple((b.name, b.version) for b in bundles),
                                   source, bundles, cached.drawing_outside_cache(progress), absent=options.absent,
                                   details=record, day=day, _details=details)
        except Exception:
            progress.finish(ok=False)
            raise
    progress.finish(ok=True)
    return result


ABSENT_WORDS = {
    "missing": "absent sites treated as missing (population mean, flagged)",
    "reference": "absent sites counted as homozygous reference (whole-genome call set)",
}
"""The cohort's absent-site policy in words (the page caption)."""


def distributions(result: CohortResult, bundles: tuple[Bundle, ...], highlight: str | None) -> None:
    """Risk strips per output: disease models, then drug outcomes."""
    for kind, title in (("risk", "Disease risk"), ("response", "Drug outcomes")):
        probs = {o: result.probabilities[b.name][o].tolist() for b in bundles
                 if b.info.kind == kind for o in b.outputs}
        if probs:
            st.markdown(f"**{title}** across {len(result.samples)} samples")
            shown = [inert.figure_text(s) for s in result.samples]  # the hover names each sample
            st.plotly_chart(risk_distribution_figure(probs, shown, highlight=shown[result.samples.index(highlight)]
                                                     if highlight in result.samples else None), key=f"cohort_{kind}")
    low = [b.name for b in bundles if result.coverage[b.name].mean() < b.coverage_threshold]
    if low:
        st.warning("Low coverage in this file of the variants these models read: "
                   + ", ".join(f"{n.replace('_', ' ')} {result.coverage[n].mean():.0%} on average" for n in low)
                   + ". Missing genotypes were set to the population mean, so these distributions say little "
                   "about these people.", icon=":material/warning:")


def table(result: CohortResult, bundles: tuple[Bundle, ...]) -> pd.DataFrame:
    """One row per sample: coverage and probability per output, and which inputs were missing.

    ``missing_inputs`` lists, per bundle, the genetic input ids that were missing and set to the
    population mean (``"bundle: id1 id2"``, bundles separated by ``"; "``); ``defaulted_clinical``
    the clinical inputs that were not given. Both read "none" when nothing was filled in.
    """
    data: dict[str, object] = {"sample": result.samples}
    for b in bundles:
        data[f"{b.name} coverage"] = result.coverage[b.name]
        for o in b.outputs:
            data[output_label(o)] = result.probabilities[b.name][o]
    data["missing_inputs"] = [_per_bundle(result.imputed, bundles, i) for i in range(len(result.samples))]
    data["defaulted_clinical"] = [" ".join(dict.fromkeys(c for b in bundles for c in result.defaulted[b.name][i]))
                                  or "none" for i in range(len(result.samples))]
    return pd.DataFrame(data)


def _per_bundle(by_bundle: dict[str, tuple[tuple[str, ...], ...]], bundles: tuple[Bundle, ...], i: int) -> str:
    parts = [f"{b.name}: {' '.join(ids)}" for b in bundles if (ids := by_bundle[b.name][i])]
    return "; ".join(parts) or "none"


def every_sample(source: PatientSource, result: CohortResult, bundles: tuple[Bundle, ...]) -> None:
    """The table of every sample and its CSV download (with the missing-input columns)."""
    frame = table(result, bundles)
    shown = frame.assign(sample=frame["sample"].map(inert.short))  # the CSV keeps the names whole
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="—", column_config={
        c: st.column_config.NumberColumn(c, format="percent") for c in frame.columns
        if c not in ("sample", "missing_inputs", "defaulted_clinical")})
    csv = audit.export("cohort scores csv", functools.partial(inert.csv_bytes, frame), "researcher",
                       sha256=source.sha256, bundles=bundles)  # one "export" audit entry per download
    st.download_button("Download the scores (CSV)", csv,
                       file_name=f"cohort_scores_{inert.file_stem(source.name.split('.')[0])}.csv", mime="text/csv",
                       key="cohort_csv", on_click="ignore")


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


def open_sample(source: PatientSource, result: CohortResult, options: ReadOptions,
                details: Mapping[str, PatientDetails]) -> None:
    """Pick a sample and open its report (it becomes the current patient).

    The sample is read exactly as the Patient page reads it (:func:`patient_input.read`, same cache)
    with the cohort's options, and the Patient page's choices are set to it, so the Patient, Report
    and every other page show that one patient.
    """
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    sample = left.selectbox("Open one sample's report", result.samples, index=None, key="cohort_sample",
                            placeholder="Choose a sample", format_func=inert.short)
    if right.button("Open report →", key="cohort_open", disabled=sample is None):
        patient = drill_down(source, sample, options)
        state.set_patient(patient, patient_input.choice(source, sample, options))
        if sample in details:  # the report reads the details the cohort was scored with
            patient_details.use(patient, details[sample])
        st.switch_page("pages/report.py")


def drill_down(source: PatientSource, sample: str | None, options: ReadOptions) -> PatientGenome:
    """Read ``sample`` of ``source`` as the Patient page would and make the Patient page show it."""
    patient = patient_input.read(source, sample, options, remember=False)
    patient_input.show_on_patient_page(source, sample, options)
    return patient
