"""Choosing a patient: the file (upload or server folder), the sample and the reading options."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from components import cached, config, state
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
    """Show the upload / server-folder choice; return the chosen file, or ``None`` yet."""
    where = st.radio("Patient file", [DEMO, UPLOAD, SERVER], horizontal=True, key="source",
                     help="Demo patients are simulated people that ship with GenoLens (data/demo/README.md).")
    if where == DEMO:
        return _demo()
    if where == UPLOAD:
        return _uploaded()
    return _server_file()


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
        st.info("Upload a VCF, VCF.gz or BCF file to begin.", icon=":material/upload_file:")
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
    if not folder.is_dir():
        st.warning(f"The server folder `{folder}` does not exist. Upload a file instead, or set "
                   f"`{config.VCF_DIR_ENV}` to an existing folder.", icon=":material/folder_off:")
        return None
    files = config.server_vcf_files(folder)
    if not files:
        st.info(f"The server folder `{folder}` holds no VCF, VCF.gz or BCF files.",
                icon=":material/folder_off:")
        return None
    path: Path | None = st.selectbox(
        f"File in `{folder}`", files, index=None, format_func=lambda p: p.name,
        placeholder="Choose a file", key="server_file",
    )
    if path is None:
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
        with column:
            st.text_input("Sample", value=samples[0] if samples else "(no samples)", disabled=True,
                          key=f"only_sample_{source.sha256[:16]}")
        return samples[0] if samples else None
    with column:
        return st.selectbox(
            f"Sample ({len(samples)} in this file)", samples, index=None,
            placeholder="Choose the patient's sample", key=f"sample_{source.sha256[:16]}",
        )


def choose_options(build_column: Any, absent_column: Any, source: PatientSource | None = None) -> ReadOptions:
    """Show the build and absent-site choices; return them.

    The whole-genome box starts ticked only for a demo patient documented as a whole-genome call set
    (data/demo/README.md); for every other file it starts unticked. Either way it is visible and the
    user can change it.
    """
    known_wgs = source is not None and source.path is not None and source.path.parent == config.DEMO_DIR \
        and source.path.name in config.demo_whole_genome()
    with build_column:
        build: BuildChoice = st.selectbox(
            "Genome build", BUILD_CHOICES, format_func=BUILD_LABELS.__getitem__, key="build",
            help="Detected from ##contig lengths, header hints and REF bases. A declared build "
            "that the file contradicts is refused, never guessed.",
        )
    with absent_column:
        whole_genome = st.checkbox(
            "This file is a whole-genome call set", value=known_wgs,
            key=f"whole_genome_{source.sha256[:16]}" if source is not None else "whole_genome",
            help="Only then may sites absent from the file be counted as homozygous reference.",
        )
    absent: AbsentPolicy = "reference" if whole_genome else "missing"
    if whole_genome:
        st.warning(
            "**Sites absent from this file will be counted as homozygous reference.** That is only "
            "right for a whole-genome call set in which every site not written is reference. It is "
            "wrong for exomes, gene panels, arrays or filtered files, and can hide a risk or drug-"
            "response allele. gVCF reference blocks count as called either way.", icon=":material/warning:",
        )
    return ReadOptions(build=build, absent=absent)


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
            self._status = self._slot.status(f"Reading {self._name}…", expanded=True)
            self._bar = self._status.progress(0.0)
        self._bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

    def finish(self, *, ok: bool) -> None:
        if self._status is None:  # cache hit: nothing was read, nothing to close
            return
        took = time.monotonic() - self._start
        label = f"Read {self._name} in {took:.1f} s" if ok else f"Reading {self._name} failed"
        self._status.update(label=label, state="complete" if ok else "error", expanded=False)


def read(source: PatientSource, sample: str | None, options: ReadOptions) -> PatientGenome:
    """Read the patient with visible progress; show a GenoLensError and stop the page on failure."""
    progress = StatusProgress(source.name)
    with shown_errors(f"reading {source.name}"):
        try:
            patient = cached.patient(
                source.sha256, source.name, sample, options.build, options.absent,
                source, cached.drawing_outside_cache(progress),
            )
        except Exception:
            progress.finish(ok=False)
            raise
    progress.finish(ok=True)
    return patient
