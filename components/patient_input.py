"""Choosing a patient: the file (upload or server folder), the sample and the reading options."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from components import audit, cached, config, inert, state
from components.errors import shown_errors
from components.sources import PatientSource, sha256_bytes, sha256_file
from genolens.datamodel import BUILD_CHOICES, AbsentPolicy, BuildChoice, PatientGenome

DEMO, UPLOAD, SERVER = "Demo patient", "Upload a file", "Server folder"
UPLOAD_TYPES = [".vcf", ".vcf.gz", ".vcf.bgz", ".bcf"]
BUILD_LABELS = {"auto": "Detect from the file", "GRCh37": "GRCh37 (hg19)", "GRCh38": "GRCh38 (hg38)"}


@dataclass(frozen=True)
class ReadOptions:
    """The choices that change what is read."""

    build: BuildChoice
    absent: AbsentPolicy


def choose_source() -> PatientSource | None:
    """Show the upload / server-folder choice; return the chosen file, or ``None`` yet.

    On a fresh browser session (a page reload) the choices kept in the address bar are put back
    first (:func:`restore_from_url`).
    """
    restore_from_url()
    where = st.radio("Patient file", [DEMO, UPLOAD, SERVER], horizontal=True, key="source",
                     help="Demo patients are simulated people that ship with GenoLens.")
    if where == DEMO:
        return _demo()
    if where == UPLOAD:
        return _uploaded()
    return _server_file()


URL_SAMPLE_LIMIT = 1_000
"""The longest sample name kept in the address bar."""
_URL_SOURCE = {DEMO: "demo", UPLOAD: "upload", SERVER: "server"}
"""The Patient page's source choice as written in the address bar (``?source=demo``)."""


def url_choices(source: PatientSource, sample: str | None, options: ReadOptions) -> dict[str, str]:
    """The choices that may be kept in the address bar to survive a page reload.

    Only what names a file the server already has (a demo or server-folder file name), the sample,
    the build and the whole-genome box; never uploaded data, its name or any genotype. For an
    upload only ``source=upload`` is kept, so that a reload can say the file must be uploaded again. A sample
    name longer than :data:`URL_SAMPLE_LIMIT` characters is not kept (the address bar is no place for it).
    """
    kind = _kind(source)
    if kind == UPLOAD:
        return {"source": _URL_SOURCE[UPLOAD]}
    out = {"source": _URL_SOURCE[kind], "file": source.name, "build": options.build,
           "wgs": "1" if options.absent == "reference" else "0"}
    if sample is not None and len(sample) <= URL_SAMPLE_LIMIT:
        out["sample"] = sample
    return out


def _kind(source: PatientSource) -> str:
    if source.path is None:
        return UPLOAD
    return DEMO if source.path.parent == config.DEMO_DIR else SERVER


def restore_from_url() -> None:
    """Put back the Patient page choices kept in the address bar, once per browser session.

    Only on a fresh session (nothing kept from an earlier run): the file is looked up by name among
    the demo patients or the server folder's files; a name that is not there is ignored. The sample
    and the whole-genome box are applied when that file's widgets are first drawn.
    """
    kept = state.session()
    if kept.url_read:
        return
    kept.url_read = True
    params = {k: str(v) for k, v in st.query_params.to_dict().items()}
    if not params or state.has_kept_widgets():
        return
    where = {v: k for k, v in _URL_SOURCE.items()}.get(params.get("source", ""))
    if where is None:
        return
    if where == UPLOAD:
        state.keep_widget("source", UPLOAD)
        kept.wanted = {"upload_lost": "1"}
        return
    name = params.get("file", "")
    if where == DEMO:
        files = [p for p, _ in config.demo_patients()]
    else:
        folder = config.server_vcf_dir()
        files = config.server_vcf_files(folder) if folder is not None else []
    path = next((p for p in files if p.name == name), None)
    if path is None:
        return
    state.keep_widget("source", where)
    state.keep_widget("demo_file" if where == DEMO else "server_file", path)
    if params.get("build") in BUILD_CHOICES:
        state.keep_widget("build", params["build"])
    kept.wanted = {k: params[k] for k in ("sample", "wgs") if k in params} | {"file": name}


def _wanted(source: PatientSource, what: str) -> str | None:
    """A value restored from the address bar for ``source`` (``None`` when none, or another file)."""
    wanted = state.session().wanted
    return wanted.get(what) if wanted.get("file") == source.name and _kind(source) != UPLOAD else None


def _demo() -> PatientSource | None:
    demos = config.demo_patients()
    if not demos:
        st.info("No demo patients ship with this copy (data/demo is empty). Upload a file instead.",
                icon=":material/folder_off:")
        return None
    stories = dict(demos)
    path: Path | None = st.selectbox(
        "Demo patient (simulated)", [p for p, _ in demos], index=None, key="demo_file",
        format_func=lambda p: p.name.split(".")[0].replace("_", " "),
        placeholder="Choose a demo patient",
    )
    if path is None:
        return None
    if stories[path]:
        st.caption(stories[path])
    return path_source(path)


def _uploaded() -> PatientSource | None:
    upload = st.file_uploader(
        "VCF, VCF.gz or BCF of one patient (gVCF welcome)", type=UPLOAD_TYPES, key="vcf",
        help="The file stays on this machine: it is read from a private temporary copy that is "
        "deleted right after reading.",
    )
    if upload is None:
        if state.session().wanted.pop("upload_lost", None):
            st.warning("The page was reloaded: an uploaded file is never kept, so it is gone. Upload it "
                       "again to go on.", icon=":material/upload_file:")
        st.info("Upload a VCF, VCF.gz or BCF file to begin. An uploaded file does not survive a page "
                "reload: after a reload, upload it again.", icon=":material/upload_file:")
        return None
    data = upload.getvalue()
    return PatientSource(name=upload.name, sha256=_digest(f"upload:{upload.file_id}", lambda: sha256_bytes(data)),
                         data=data)


def _server_file() -> PatientSource | None:
    folder = config.server_vcf_dir()
    if folder is None:
        st.info(f"No server folder is configured: set `[patients] server_vcf_dir` in genolens.toml "
                f"or the `{config.VCF_DIR_ENV}` environment variable.", icon=":material/folder_off:")
        return None
    if not config.folder_exists(folder):  # the server's paths are never shown
        st.warning(f"The configured server folder does not exist or cannot be read. Upload a file instead, or set "
                   f"`{config.VCF_DIR_ENV}` to an existing folder.", icon=":material/folder_off:")
        return None
    files = config.server_vcf_files(folder)
    if not files:
        st.info("The server folder holds no VCF, VCF.gz or BCF files (only regular files inside it are offered; "
                "links out of it, folders, pipes and devices never are).", icon=":material/folder_off:")
        return None
    path: Path | None = st.selectbox(
        "File in the server folder", files, index=None, format_func=lambda p: inert.short(p.name),
        help="Regular VCF, VCF.gz and BCF files inside the server folder.",
        placeholder="Choose a file", key="server_file",
    )
    if path is None:
        return None
    if path not in config.server_vcf_files(folder):  # changed since it was listed (kept choice, or swapped link)
        st.warning(f"{inert.name(path.name)} is no longer a file in the server folder: choose again.",
                   icon=":material/folder_off:")
        return None
    return path_source(path)


def path_source(path: Path) -> PatientSource:
    """A server-side file as a patient source, hashed once per path, size and mtime."""
    stat = path.stat()
    key = f"path:{path}:{stat.st_size}:{stat.st_mtime_ns}"
    return PatientSource(name=path.name, sha256=_digest(key, lambda: sha256_file(path)), path=path)


def _digest(key: str, compute: Callable[[], str]) -> str:
    """The SHA-256 of the source ``key`` names, computed once per session (the one hash of a file)."""
    digests = state.session().digests
    if key not in digests:
        digests[key] = compute()
    return digests[key]


def sample_names(source: PatientSource) -> tuple[str, ...]:
    """Return the file's sample names; show a read error and stop the page if it has none readable."""
    with shown_errors(f"reading the header of {source.name}"):
        return cached.sample_names(source.sha256, source)


def choose_sample(source: PatientSource, samples: tuple[str, ...], column: Any) -> str | None:
    """Return the sample to read: the only one, or the user's choice among several (``None`` yet)."""
    if len(samples) <= 1:
        with column:  # display only: no key, so nothing is kept or restored for it
            st.text_input("Sample", value=inert.short(samples[0]) if samples else "(no samples)", disabled=True)
        return samples[0] if samples else None
    key = sample_key(source)
    if key not in st.session_state and (wanted := _wanted(source, "sample")) in samples:
        st.session_state[key] = wanted
    with column:
        return st.selectbox(
            f"Sample ({len(samples)} in this file)", samples, index=None, format_func=inert.short,
            placeholder="Choose the patient's sample", key=key,
        )


def choice(source: PatientSource, sample: str | None, options: ReadOptions) -> tuple[object, ...]:
    """What a patient is read for: the source's SHA-256, the sample, the build choice and the absent policy."""
    return (source.sha256, sample, options.build, options.absent)


def sample_key(source: PatientSource) -> str:
    """Widget key of the sample choice for ``source`` (one per file, so each file keeps its own)."""
    return f"sample_{source.sha256[:16]}"


def whole_genome_key(source: PatientSource | None) -> str:
    """Widget key of the whole-genome box for ``source`` (one per file)."""
    return f"whole_genome_{source.sha256[:16]}" if source is not None else "whole_genome"


def default_options(source: PatientSource | None) -> ReadOptions:
    """The read options the Patient page starts with for ``source``.

    Build detected from the file; absent sites counted as reference only for a demo file documented
    as a whole-genome call set (:func:`components.config.known_whole_genome`), missing otherwise.
    The Cohort page and its drill-down start from the same options, so a sample reached from
    either page is read the same way.
    """
    known = config.known_whole_genome(source.path if source is not None else None)
    return ReadOptions(build="auto", absent="reference" if known else "missing")


def choose_options(build_column: Any, absent_column: Any, source: PatientSource | None = None) -> ReadOptions:
    """Show the build and absent-site choices; return them.

    The whole-genome box starts as :func:`default_options` says (ticked only for a demo patient
    documented as a whole-genome call set); either way it is visible and the user can change it.
    """
    key = whole_genome_key(source)
    if key not in st.session_state:  # the default goes through Session State only: one source of the value
        wanted = _wanted(source, "wgs") if source is not None else None
        st.session_state[key] = wanted == "1" if wanted in ("0", "1") else \
            default_options(source).absent == "reference"
    with build_column:
        build: BuildChoice = st.selectbox(
            "Genome build", BUILD_CHOICES, format_func=BUILD_LABELS.__getitem__, key="build",
            help="Detected from ##contig lengths, header hints and REF bases. A declared build "
            "that the file contradicts is refused, never guessed.",
        )
    with absent_column:
        whole_genome = st.checkbox(
            "This file is a whole-genome call set", key=key,
            help="Only then may sites absent from the file be counted as homozygous reference.",
        )
    absent: AbsentPolicy = "reference" if whole_genome else "missing"
    if whole_genome:
        whole_genome_warning()
    return ReadOptions(build=build, absent=absent)


def whole_genome_warning() -> None:
    """The warning shown while absent sites are counted as homozygous reference."""
    st.warning(
        "**Sites absent from this file will be counted as homozygous reference.** That is only "
        "right for a whole-genome call set in which every site not written is reference. It is "
        "wrong for exomes, gene panels, arrays or filtered files, and can hide a risk or drug-"
        "response allele. gVCF reference blocks count as called either way.", icon=":material/warning:",
    )


def show_on_patient_page(source: PatientSource, sample: str | None, options: ReadOptions) -> None:
    """Set the Patient page's choices so that it shows ``sample`` of ``source`` read with ``options``.

    Used by the Cohort drill-down: the Patient page then reads the very same file, sample, build and
    whole-genome setting (and hits the same cache entry). A file the Patient page cannot offer (not a
    demo, not in the server folder) leaves its file choice empty; the page then names the current patient.
    """
    kind = _kind(source)
    folder = config.server_vcf_dir()
    offered = kind == DEMO or (kind == SERVER and folder is not None and source.path is not None
                               and source.path in config.server_vcf_files(folder))
    state.keep_widget("source", kind if offered else DEMO)
    state.keep_widget("demo_file", source.path if offered and kind == DEMO else None)
    state.keep_widget("server_file", source.path if offered and kind == SERVER else None)
    state.keep_widget("build", options.build)
    state.keep_widget(whole_genome_key(source), options.absent == "reference")
    if sample is not None:
        state.keep_widget(sample_key(source), sample)


class StatusProgress:
    """A progress callback that opens an ``st.status`` with a bar on its first call."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._slot = st.empty()
        self._status: Any = None
        self._bar: Any = None
        self._start = time.monotonic()

    def __call__(self, fraction: float, message: str) -> None:
        if self._status is None:
            self._status = self._slot.status(f"Reading {inert.name(self._name)}…", expanded=True)
            self._bar = self._status.progress(0.0)
        self._bar.progress(min(max(float(fraction), 0.0), 1.0), text=inert.message(message))

    def finish(self, *, ok: bool) -> None:
        if self._status is None:  # cache hit: nothing was read, nothing to close
            return
        took = time.monotonic() - self._start
        shown = inert.name(self._name)
        label = f"Read {shown} in {took:.1f} s" if ok else f"Reading {shown} failed"
        self._status.update(label=label, state="complete" if ok else "error", expanded=False)


def read(source: PatientSource, sample: str | None, options: ReadOptions, *, remember: bool = True) -> PatientGenome:
    """Read the patient with visible progress; show a GenoLensError and stop the page on failure.

    With ``remember`` (the Patient page) the choices are kept in the address bar (:func:`url_choices`),
    so a page reload finds the same patient again.
    """
    progress = StatusProgress(source.name)
    with shown_errors(f"reading {source.name}"):
        try:
            patient = cached.patient(
                source.sha256, source.name, sample, options.build, options.absent,
                source, cached.drawing_outside_cache(progress), config.reference_fastas(),
            )
        except Exception:
            progress.finish(ok=False)
            raise
    progress.finish(ok=True)
    audit.act("open_patient", "clinician", "researcher", patient=patient)  # refuses and logs, or logs once
    if remember:
        st.query_params.from_dict(url_choices(source, sample, options))
    return patient
