"""The cohort page's pieces: which results folder (or a job run here), distributions, gene matrix, drill-down.

Every view reads small aggregates from :mod:`genolens.cohort.results` (cached there per folder and manifest
time); no view sends more than a few hundred samples to the browser, whatever the cohort's size.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import shutil
import tempfile
import weakref
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from components import audit, config, inert, patient_details, patient_input, state
from components.choices import option_label
from components.config import DEMO_DIR, ROOT, server_vcf_dir, server_vcf_files
from components.errors import shown_errors
from components.frame import output_label
from components.patient_input import ReadOptions, path_source
from components.sources import PatientSource, sha256_bytes
from genolens.cohort import results as cr
from genolens.cohort import run_cohort_job
from genolens.datamodel import clinical
from genolens.datamodel.clinical import NO_DETAILS, PatientDetails, details_record, details_tables
from genolens.modeling import Bundle
from genolens.present.figures import binned_risk_figure, decile_drivers_figure, gene_matrix_figure

CORPUS_COHORT = ROOT.parent / "shared" / "corpus" / "vcf" / "bio2zarr" / "vcf" / "chr22.vcf.gz"
MODES = ("Results folder on this server", "Run a job on a file")
MATRIX_ROWS = 200
"""The most samples the gene matrix shows."""
ABSENT_WORDS = {
    "missing": "absent sites treated as missing (population mean, flagged)",
    "reference": "absent sites counted as homozygous reference (whole-genome call set)",
}
"""The job's absent-site policy in words (the page caption)."""
_CHUNK = re.compile(r"^chunk (\d+)/(\d+) written")


# --- where the results come from -------------------------------------------------------------------------------
def choose_results(bundles: tuple[Bundle, ...], day: dt.date) -> Path | None:
    """A results folder from the server's results root, or one this session's job wrote; ``None`` until chosen.

    The browser only ever picks among folders directly inside the configured root (never types a path).
    """
    root = config.cohort_results_dir()
    folders = config.cohort_result_folders(root) if root is not None else []
    modes = MODES if folders else MODES[1:]
    mode = st.radio("Results", modes, horizontal=True, key="cohort_mode",
                    help="Results folders are the --out of `python -m genolens cohort` inside the server's results "
                         "folder (genolens.toml [cohort] results_dir); a job run here writes to a folder of this "
                         "session only.")
    if mode == MODES[0]:
        return st.selectbox("Results folder", folders, format_func=lambda p: inert.short(p.name), key="cohort_results")
    return _run_job(bundles, day)


def _candidates() -> list[Path]:
    folder = server_vcf_dir()
    files = [DEMO_DIR / "trio_cyp2c19_brca2.vcf.gz", CORPUS_COHORT,
             *(server_vcf_files(folder) if folder is not None else [])]
    return [p for p in dict.fromkeys(files) if p.is_file()]


def choose_file() -> PatientSource | None:
    """Choose a multi-sample VCF among the demo trio, the corpus cohort and the server folder, or upload one."""
    if st.radio("File", ("On this server", "Upload a file"), horizontal=True, key="cohort_source") != "On this server":
        return _uploaded()
    files = _candidates()
    if not files:
        st.info("No multi-sample VCF is available on this server.", icon=":material/folder_off:")
        return None
    path = st.selectbox("Multi-sample VCF", files, format_func=lambda p: inert.short(p.name), key="cohort_file")
    return None if path is None else path_source(path)


def _uploaded() -> PatientSource | None:
    """An uploaded multi-sample file (kept in memory; the job reads a private temporary copy of it)."""
    upload = st.file_uploader("Multi-sample VCF, VCF.gz or BCF", type=patient_input.UPLOAD_TYPES, key="cohort_vcf",
                              help="A file with several chromosomes must be sorted (bcftools sort); the job "
                                   "bgzips and indexes a private copy when it has no index.")
    if upload is None:
        return None
    digests: dict[str, str] = st.session_state.setdefault("cohort_digests", {})
    data = upload.getvalue()
    if upload.file_id not in digests:
        digests[upload.file_id] = sha256_bytes(data)
    return PatientSource(name=upload.name, sha256=digests[upload.file_id], data=data)


def choose_options(source: PatientSource) -> ReadOptions:
    """The whole-genome box for the cohort file, starting as the Patient page would for that file."""
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
    """Each sample's details: a demo file's stored ones, replaced by an uploaded file of one table per sample."""
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


class _SessionFolder:
    """A temporary folder removed when this object is dropped (with the session's state) or at exit."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="genolens_cohort_"))
        weakref.finalize(self, shutil.rmtree, self.path, ignore_errors=True)


def _session_folder() -> Path:
    """This session's folder for job results."""
    if "cohort_tmp" not in st.session_state:
        st.session_state["cohort_tmp"] = _SessionFolder()
    return Path(st.session_state["cohort_tmp"].path)


def _run_job(bundles: tuple[Bundle, ...], day: dt.date) -> Path | None:
    """Choose a file, its options and details; run the job into this session's folder on a click."""
    source = choose_file()
    if source is None:
        return None
    options = choose_options(source)
    samples = patient_input.sample_names(source)
    details = choose_details(source, samples)
    record = json.dumps([source.sha256, options.absent, day.isoformat(), [(b.name, b.version) for b in bundles],
                         {s: details_record(d) for s, d in sorted(details.items())}], sort_keys=True, default=str)
    name = hashlib.sha256(record.encode()).hexdigest()[:16]
    inputs: dict[str, tuple[PatientSource, ReadOptions, dict[str, PatientDetails]]] = \
        st.session_state.setdefault("cohort_inputs", {})
    done = next((Path(k) for k in inputs if Path(k).name == name and (Path(k) / "manifest.json").is_file()), None)
    if done is not None:
        return done
    slot = st.empty()  # the button goes once the job starts
    if not slot.button(f"Run the cohort job on {inert.short(source.name)} ({len(samples)} samples)", key="cohort_run",
                       type="primary"):
        return None
    slot.empty()
    audit.act("cohort_job", "researcher", sha256=source.sha256, bundles=bundles, detail=f"absent={options.absent}")
    bar = st.progress(0.0, text="Starting the job…")

    def report(line: str) -> None:
        done = _CHUNK.match(line)
        fraction = int(done.group(1)) / int(done.group(2)) if done else None
        bar.progress(fraction if fraction is not None else 0.0, text=inert.message(line))

    out = _session_folder() / name
    with shown_errors(f"running the cohort job on {source.name}"), source.local_path() as path:
        run_cohort_job(path, out, bundles=[b.path for b in bundles], chunk_size=200, absent=options.absent,
                       details=details, on=day, progress=report, references=config.reference_fastas())
    bar.empty()
    inputs[str(out)] = (source, options, details)
    return out


# --- the views ---------------------------------------------------------------------------------------------------
def open_folder(folder: Path) -> cr.CohortResults:
    """Open the results (a running job, a missing manifest or another format is refused with its reason)."""
    with shown_errors(f"opening the results {folder.name}"):
        return cr.open_results(folder)


def overview(results: cr.CohortResults) -> None:
    """What these results are: input, samples, models, when, and that ancestry is not recorded."""
    m = results.manifest
    models = ", ".join(f"{b['name'].replace('_', ' ')} {b['version']}" for b in m["bundles"])
    st.caption(f"{inert.name(m['input']['name'])} · {results.n:,} samples · {models} · build "
               f"{m['settings_used']['build']} · {ABSENT_WORDS.get(m['settings']['absent'], '?')} · finished "
               f"{m.get('finished', '?')} · ancestry from the 1000 Genomes markers: {_ancestry_counts(results)}.")
    ref = m.get("reference")
    if ref:
        st.caption(f"Reference FASTA {inert.name(ref['fasta'])} ({ref['build']}): REFs compared at "
                   f"{ref['sites_compared']} panel sites, {ref['panel_refs_supplied']} panel REFs supplied, "
                   f"{ref['indel_records_left_aligned']} indel records left-aligned before matching.")
        if ref["ref_mismatches"]:
            shown = ", ".join(f"{x['chrom']}:{x['pos']} {inert.short(x['file_ref'])} (FASTA "
                              f"{inert.short(x['fasta_ref'])})" for x in ref["ref_mismatches"][:3])
            st.warning(f"{len(ref['ref_mismatches'])} of {ref['sites_compared']} panel sites show a REF that differs "
                       "from the reference FASTA "
                       f"({shown}): the file's REF column is wrong there, or it was called against another "
                       "reference.", icon=":material/warning:")
    summary = m.get("summary", {})
    low = [(b["name"], mean) for b in m["bundles"]
           if (mean := summary.get(b["name"], {}).get("coverage_mean")) is not None and mean < b["coverage_threshold"]]
    if low:
        st.warning("Low coverage in this file of the variants these models read: "
                   + ", ".join(f"{n.replace('_', ' ')} {c:.0%} on average" for n, c in low)
                   + ". Missing genotypes were set to the population mean, so these distributions say little "
                   "about these people.", icon=":material/warning:")


def _ancestry_counts(results: cr.CohortResults) -> str:
    names, counts = np.unique(results.ancestry.astype(str), return_counts=True)
    order = sorted(zip(names.tolist(), counts.tolist(), strict=True), key=lambda g: (g[0] == cr.NOT_ASSIGNED, -g[1]))
    return ", ".join(f"{inert.short(g)} {c:,}" for g, c in order)


def choose_output(results: cr.CohortResults) -> tuple[str, str]:
    """The bundle output every view below shows."""
    return st.selectbox("Outcome", results.outputs, key="cohort_output", format_func=option_label)  # type: ignore[return-value]


def distributions(results: cr.CohortResults, bundle: str, output: str, highlight: str | None) -> None:
    """The chosen output's histogram (pre-binned) and the quantiles of every output."""
    with shown_errors("summarising the risk distributions"):
        d = cr.distribution(results, bundle, output)
        where = np.flatnonzero(results.samples == highlight) if highlight is not None else np.zeros(0, np.int64)
        mark = (inert.figure_text(highlight), float(results.probability[(bundle, output)][where[0]])) \
            if where.size else None
        st.plotly_chart(binned_risk_figure(d.edges, d.counts, label=output_label(output), quantiles=d.quantiles,
                                           highlight=mark, groups=d.group_counts, rest=cr.NOT_ASSIGNED),
                        key="cohort_histogram")
        st.caption(f"{d.scored:,} samples scored, {d.no_estimate:,} without an estimate · {d.groups} (samples not "
                   "assigned: too few markers in the file, or no superpopulation fits clearly).")
        if len(d.group_quantiles) > 1:
            st.dataframe(pd.DataFrame([{"ancestry": g, "scored": int(d.group_counts[g].sum()),
                                        **{f"{k:.0%}": q.get(k) for k in cr.QUANTILES}}
                                       for g, q in d.group_quantiles.items()]),
                         hide_index=True, width="stretch", column_config={
                f"{k:.0%}": st.column_config.NumberColumn(f"{k:.0%}", format="percent") for k in cr.QUANTILES})
        rows = []
        for b, o in results.outputs:
            q = cr.distribution(results, b, o)
            rows.append({"outcome": output_label(o), "scored": q.scored, "no estimate": q.no_estimate,
                         **{f"{k:.0%}": q.quantiles.get(k) for k in cr.QUANTILES}})
    with st.expander("Quantiles of every outcome", expanded=False):
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", placeholder="—", column_config={
            f"{k:.0%}": st.column_config.NumberColumn(f"{k:.0%}", format="percent") for k in cr.QUANTILES})


def gene_matrix(results: cr.CohortResults, bundle: str, output: str) -> cr.MatrixView:
    """Samples x genes, sorted and filtered on the server; at most :data:`MATRIX_ROWS` rows reach the browser."""
    with shown_errors("reading the attributions"):
        genes = cr.attributions(results, bundle, output).genes
    a, b, c = st.columns([2, 2, 3])
    sort_by = a.selectbox("Sort by", ("risk", "gene"), key="cohort_sort",
                          format_func=lambda s: {"risk": "predicted risk", "gene": "a gene's contribution"}[s])
    gene = b.selectbox("Gene", genes, key="cohort_gene", index=None, placeholder="any (columns by strength)",
                       format_func=inert.short)
    low, high = c.slider("Predicted risk between", 0.0, 1.0, (0.0, 1.0), step=0.005, format="%.3f",
                         key="cohort_risk")
    descending = st.toggle("Highest first", value=True, key="cohort_desc")
    if sort_by == "gene" and gene is None:
        st.info("Choose the gene to sort by.", icon=":material/sort:")
        sort_by = "risk"
    with shown_errors("sorting the attribution matrix"):
        view = cr.gene_matrix(results, bundle, output, sort_by=sort_by, gene=gene or "", risk=(low, high),
                              descending=descending, top=MATRIX_ROWS)
    if not view.samples:
        st.info("No sample's predicted risk lies in that range.", icon=":material/filter_alt_off:")
        return view
    st.plotly_chart(gene_matrix_figure([inert.figure_text(s) for s in view.samples],
                                       [inert.figure_text(g) for g in view.genes], view.values, view.probability),
                    key="cohort_matrix")
    st.caption(f"{len(view.samples)} of {view.matching:,} matching samples; the {len(view.genes)} genes with the "
               "largest mean |contribution| among them. Integrated Gradients against the population average, summed "
               "per gene (log-odds; red raises, blue lowers).")
    download(results, view, bundle, output)
    return view


def matrix_table(view: cr.MatrixView) -> pd.DataFrame:
    """The matrix rows shown: sample, probability, one column per gene (log-odds)."""
    frame = pd.DataFrame(view.values, columns=list(view.genes))
    frame.insert(0, "probability", view.probability)
    frame.insert(0, "sample", list(view.samples))
    return frame


def download(results: cr.CohortResults, view: cr.MatrixView, bundle: str, output: str) -> None:
    """The rows shown as CSV (one ``export`` audit entry per click; formula cells made inert)."""
    m = results.manifest
    models = [f"{b['name']} {b['version']}" for b in m["bundles"] if b["name"] == bundle]
    csv = audit.export(f"cohort matrix csv {output}", functools.partial(inert.csv_bytes, matrix_table(view)),
                       "researcher", sha256=m["input"]["sha256"], models=models)
    st.download_button("Download these rows (CSV)", csv, key="cohort_csv", mime="text/csv", on_click="ignore",
                       file_name=f"cohort_{inert.file_stem(output)}_rows.csv")


def top_decile(results: cr.CohortResults, bundle: str, output: str) -> None:
    """The variants whose mean contribution differs most between the top risk decile and everyone else."""
    with shown_errors("comparing the top decile"):
        d = cr.top_decile_drivers(results, bundle, output, top=15)
    if not d.inputs:
        st.info("No sample was scored on this outcome.", icon=":material/info:")
        return
    labels = [inert.figure_text(f"{i} ({g})" if g and g != i else i) for i, g in zip(d.inputs, d.genes, strict=True)]
    st.plotly_chart(decile_drivers_figure(labels, d.top_mean, d.rest_mean), key="cohort_drivers")
    st.caption(f"Top decile: the {d.in_top:,} samples at or above {d.threshold:.1%}. Inputs ordered by how much "
               "more they raise the log-odds there than in the other samples.")


# --- drill-down --------------------------------------------------------------------------------------------------
def choose_sample(results: cr.CohortResults, view: cr.MatrixView) -> str | None:
    """A sample among the matrix's rows, or one typed by name (the full list never reaches the browser)."""
    left, right = st.columns(2)
    picked = left.selectbox("A sample of the matrix", view.samples, index=None, key="cohort_sample",
                            placeholder="Choose a sample", format_func=inert.short)
    typed = right.text_input("…or a sample's name", key="cohort_sample_name", max_chars=200).strip()
    if typed:
        if not (results.samples == typed).any():
            right.warning("No sample of that name in these results.", icon=":material/search_off:")
            return picked
        return typed
    return picked


def _input_for(results: cr.CohortResults) -> tuple[PatientSource, ReadOptions, Mapping[str, PatientDetails]] | None:
    """The job's input VCF (with its options and details) when it is at hand: a job of this session, or a server
    file of the same name and SHA-256 as the manifest records."""
    known = st.session_state.get("cohort_inputs", {}).get(str(results.path))
    if known is not None:
        return known  # type: ignore[no-any-return]
    m = results.manifest
    folder = server_vcf_dir()
    for path in [*(server_vcf_files(folder) if folder is not None else []), *_candidates()]:
        if path.name == m["input"]["name"]:
            source = path_source(path)
            if source.sha256 == m["input"]["sha256"]:
                options = ReadOptions(build="auto", absent=m["settings"]["absent"])
                details = {s: d for s in patient_input.sample_names(source)
                           if (d := clinical.patient_details(config.demo_details(path, s))) != NO_DETAILS}
                return source, options, details
    return None


def drill_down(results: cr.CohortResults, sample: str, bundle: str, output: str) -> None:
    """One sample: its rows of the results, and its full report when the input VCF is at hand."""
    with shown_errors(f"reading {sample}'s results"):
        rows = cr.sample_rows(results, sample)
    table = pd.DataFrame([{"outcome": output_label(r["output"]), "probability": r["probability"], "band": r["band"],
                           "percentile": r["percentile"], "coverage": r["coverage"],
                           "flags": ", ".join(r["flags"]), "no estimate because": r["not_computed"]}
                          for r in rows.predictions])
    st.dataframe(table, hide_index=True, width="stretch", placeholder="—", column_config={
        "probability": st.column_config.NumberColumn(format="percent"),
        "coverage": st.column_config.NumberColumn(format="percent"),
        "percentile": st.column_config.NumberColumn(format="%.0f")})
    values = rows.attributions.get((bundle, output))
    if values:
        top = sorted(values.items(), key=lambda kv: -abs(kv[1]))[:10]
        st.caption(f"Largest contributions to {output_label(output)} (log-odds): "
                   + "; ".join(f"{inert.name(k)} {v:+.3f}" for k, v in top) + ".")
    found = _input_for(results)
    if found is None:
        st.caption(f"The input file {inert.name(results.manifest['input']['name'])} is not on this server, so the "
                   "full report cannot be opened; the rows above are this sample's results.")
        return
    if st.button("Open report →", key="cohort_open"):
        source, options, details = found
        patient = patient_input.read(source, sample, options, remember=False)
        patient_input.show_on_patient_page(source, sample, options)
        state.set_patient(patient, patient_input.choice(source, sample, options))
        if sample in details:  # the report reads the details the cohort was scored with
            patient_details.use(patient, details[sample])
        st.switch_page("pages/report.py")
