"""What the patient page shows once a file is read: file, build, QC and panel coverage."""

from __future__ import annotations

import streamlit as st

from components import cached, inert, tables
from genolens.datamodel import AncestryEstimate, BuildCall, FileQC, PanelResult, PatientGenome, ReferenceCheck
from genolens.genome import ORIGIN_WORDS, panel_warnings
from genolens.genome.qc import sampling_words

_BUILD_SOURCE = {
    "contigs": "decided by ##contig lengths",
    "assembly": "decided by the assembly named in ##contig lines",
    "header": "decided by ##reference/##assembly header lines",
    "ref_bases": "decided by the REF bases at panel sites",
    "reference": "confirmed by the reference FASTA you gave",
    "declared": "as declared; nothing in the file contradicts it",
}
_CONTAINER = {
    ("vcf", "none"): "plain-text VCF",
    ("vcf.gz", "bgzf"): "bgzipped VCF",
    ("vcf.gz", "gzip"): "gzip-compressed VCF (not bgzip)",
    ("bcf", "bgzf"): "BCF",
    ("bcf", "none"): "uncompressed BCF",
}


PATIENT_SCREEN = ("This screen reads the patient's genotypes at the model panels' positions and checks the "
                  "file's quality; it makes no prediction.")


def research_banner(what: str = PATIENT_SCREEN) -> None:
    """Show the research-use-only notice and what this screen does."""
    st.warning(f"**Research use only — not for diagnosis or treatment decisions.** {what}", icon=":material/science:")


def file_summary(p: PatientGenome) -> None:
    """Show what was read: file, container, hash, samples and how records were read."""
    st.subheader("File")
    n = len(p.info.samples)
    others = "the only sample" if n == 1 else f"one of {n} samples"
    index = "indexed" if p.info.index else "no index"
    fileformat = f", {inert.name(p.info.fileformat)}" if p.info.fileformat else ""
    container = _CONTAINER.get((p.info.kind, p.info.compression), f"{p.info.kind} ({p.info.compression})")
    facts = [
        ("File", inert.name(p.source_name)),
        ("Format", f"{container}, {index}{fileformat}"),
        ("SHA-256", f"`{p.sha256[:16]}…`"),
        ("Sample read", f"**{inert.name(p.sample)}** ({others})"),
        ("Read mode", p.read_mode),
    ]
    for col, (label, value) in zip(st.columns([3, 3, 2, 3, 3]), facts, strict=True):
        col.caption(label)
        col.markdown(value, help=p.sha256 if label == "SHA-256" else None)


def build_summary(build: BuildCall, reference: ReferenceCheck | None = None) -> None:
    """Show the genome build and the evidence for it (which may quote the file's header: escaped), and what
    the server's reference FASTA said about the file."""
    st.subheader(f"Genome build: {build.build}")
    st.caption(_BUILD_SOURCE.get(build.source, build.source).capitalize() + ".")
    if build.evidence:
        st.markdown("\n".join(f"- {inert.message(line)}" for line in build.evidence))
    if reference is not None:
        st.caption(f"Reference FASTA {inert.name(reference.name)} ({reference.build}): {reference.compared} panel "
                   f"sites compared with the file's REF, {len(reference.mismatches)} mismatches; "
                   f"{reference.filled} panel sites got their REF from it; indel records left-aligned against it "
                   f"before matching: {reference.left_aligned}.")


def ancestry_summary(a: AncestryEstimate | None) -> None:
    """Show the continental-ancestry estimate from the 1000 Genomes markers, or why there is none."""
    if a is None:
        return
    st.subheader("Ancestry")
    shown = " · ".join(f"{g} {p:.1%}" for g, p in a.posterior[:3])
    st.markdown(a.words + (f"  \nPosterior: {shown}." if shown else ""))
    st.caption("Likelihood of the sample's genotypes at ancestry-informative SNPs under the allele frequencies "
               "of the five 1000 Genomes superpopulations (AFR, AMR, EAS, EUR, SAS). It checks whether the "
               "models, trained on simulated EUR/AFR/EAS people, suit this patient; it is not a statement "
               "about identity.")


def qc_summary(qc: FileQC) -> None:
    """Show whole-file QC as metrics, and each QC warning."""
    st.subheader("File quality")
    cols = st.columns(6)
    cols[0].metric("Records", f"{qc.records:,}", help=_records_help(qc))
    cols[1].metric("Call rate", _fmt(qc.call_rate, "{:.1%}"),
                   help="Share of variant records with a genotype for this sample.")
    cols[2].metric("Ti/Tv", _fmt(qc.ti_tv, "{:.2f}"),
                   help="Transitions / transversions over the SNVs this sample carries "
                   "(about 2.0–2.1 genome-wide, 3.0 in exomes).")
    cols[3].metric("Het / hom-alt", _fmt(qc.het_hom_alt, "{:.2f}"),
                   help="Heterozygous / homozygous-alternate calls (about 1.5–2 genome-wide).")
    cols[4].metric("DP median", _fmt(qc.dp_median, "{:.0f}"), help="Median read depth.")
    cols[5].metric("GQ median", _fmt(qc.gq_median, "{:.0f}"), help="Median genotype quality.")
    first = "" if qc.complete else f" (QC figures describe a sample of {qc.records:,} records: see below)"
    missing = any(v is None for v in (qc.call_rate, qc.ti_tv, qc.het_hom_alt, qc.dp_median, qc.gq_median))
    dash = " A dash means the file does not give what that figure needs." if missing else ""
    st.caption(f"{qc.variant_records:,} variant records, {qc.reference_blocks:,} reference blocks"
               f"{first}.{dash}")
    for warning in qc.warnings:
        st.warning(inert.message(warning), icon=":material/warning:")


def _records_help(qc: FileQC) -> str:
    if qc.complete:
        return "Every record in the file was examined."
    return sampling_words(qc)


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else spec.format(value)


PANEL_TAB = "panel_tab"
"""Widget key of the Patient page's panel tabs (the open one's label)."""


def panel_coverage(p: PatientGenome) -> None:
    """Show each panel's coverage and its per-site match log, one tab per panel; only the open tab is built."""
    st.subheader("Panel coverage")
    if not p.panels:
        st.info("No variant panels were matched.")
        return
    st.caption("Coverage is the share of a panel's sites with a usable call: called, or inside a "
               "gVCF reference block. The match log says what happened at every site.")
    # lazy tabs: only the open tab's panel is built and sent (a click on another tab reruns the page; the read is
    # cached), so a visit draws one match log instead of all of them
    tabs = st.tabs([f"{r.title} · {r.coverage:.0%}" for r in p.panels], key=PANEL_TAB, on_change="rerun")
    for tab, result in zip(tabs, p.panels, strict=True):
        if tab.open:
            with tab:
                _panel(p, result)


def _panel(p: PatientGenome, r: PanelResult) -> None:
    usable = round(r.coverage * len(r.sites))
    left, right = st.columns([1, 3])
    left.metric("Coverage", f"{r.coverage:.0%}", help=f"{r.title}: {usable} of {len(r.sites)} sites usable")
    with right:
        st.progress(r.coverage, text=f"{usable} of {len(r.sites)} sites usable")
        counts = tables.status_counts(r)
        st.markdown(" · ".join(f"**{status}**: {n}" for status, n in counts.items()))
        st.caption("Model inputs: " + ", ".join(
            f"{n} {ORIGIN_WORDS[t]}" for t, n in tables.origin_counts(r).items()) + ".")
    for warning in panel_warnings(r, p.qc.chromosomes):
        st.warning(inert.message(warning.removeprefix(f"{r.title}: ")), icon=":material/warning:")
    frame = cached.match_log(p.sha256, p.sample, p.build.build, p.absent_policy, r.panel, r)
    st.dataframe(
        frame.fillna({"genotype": "—"}), hide_index=True, width="stretch", placeholder="—",
        height=min(38 + 35 * len(frame), 38 + 35 * 15),
        column_config={
            "rsID": st.column_config.TextColumn("rsID", width="small"),
            "status": st.column_config.TextColumn("status", help="How the site was found; see below."),
            "genotype": st.column_config.TextColumn(
                "genotype", help="GT as written in the file; — when there is none."),
            "pos": st.column_config.NumberColumn("pos", format="%d"),
            "dosage": st.column_config.NumberColumn(
                "dosage", format="%.2f", help="Effect-allele count; empty when not usable."),
            "GQ": st.column_config.NumberColumn("GQ", format="%d"),
            "DP": st.column_config.NumberColumn("DP", format="%d"),
            "PS": st.column_config.NumberColumn(
                "PS", format="%d", help="FORMAT/PS phase set: phased calls are cis/trans only within one set."),
            "note": st.column_config.TextColumn("note", width="large"),
        },
    )
    with st.expander("What each status means"):
        st.markdown("\n".join(f"- **{k}**: {v}" for k, v in tables.STATUS_MEANING.items()))
