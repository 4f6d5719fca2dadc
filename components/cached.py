"""Every ``st.cache_*`` wrapper of the dashboard. The caching policy (DESIGN.md §7):

* Anything derived from a patient uses ``st.cache_data(scope="session", max_entries=...)``: it is
  dropped when the browser session ends and is never served to another session. Values are
  pickled copies, so a caller cannot mutate the cached patient.
* Keys are the file's SHA-256 plus every option that changes the result (sample, build, absent
  policy, panel). The file itself rides along as an underscore argument (``_source``), which
  Streamlit does not hash: hashing a 300 MB upload on every rerun is what the SHA-256 avoids.
  The SHA-256 of a source is computed once per upload / server file (``components.sources``).
* Models use ``st.cache_resource`` (shared by every session: they hold no patient data), keyed on
  the models folder's newest bundle versions; they are frozen (eval mode, no gradients) and never
  mutated — explanations that need hooks work on a per-call copy.
* Errors are not cached: a ``GenoLensError`` propagates and the next call tries again.
* Cached functions draw nothing. Streamlit records elements drawn inside a cached function and
  replays them on a hit, which fails for elements drawn into a container made outside it. A
  progress callback is therefore passed as ``_progress`` and wrapped with ``drawing_outside_cache``,
  so what it draws is live and never recorded.
* No module-level mutable state.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable

import pandas as pd
import streamlit as st

from components import tables
from components.sources import PatientSource
from genolens.genome.patient import list_samples, read_patient
from genolens.modeling.bundle import Bundle, bundle_paths, load_bundle
from genolens.types import AbsentPolicy, BuildChoice, PanelResult, PatientGenome

ProgressCallback = Callable[[float, str], None]

_PATIENTS_PER_SESSION = 4
"""A session rarely compares more than a few files/options; each entry is one PatientGenome."""


def drawing_outside_cache(callback: ProgressCallback) -> ProgressCallback:
    """Return ``callback`` run in the context of *this* moment, outside any cache recording.

    Streamlit marks "inside a cached function" with a context variable; running the callback in
    a context copied before the cached call keeps its drawing out of the replay record.
    """
    ctx = contextvars.copy_context()

    def run(fraction: float, message: str) -> None:
        ctx.run(callback, fraction, message)

    return run


@st.cache_data(scope="session", max_entries=_PATIENTS_PER_SESSION, show_spinner=False)
def sample_names(sha256: str, _source: PatientSource) -> tuple[str, ...]:
    """Return the sample names of the file with content hash ``sha256``."""
    with _source.local_path() as path:
        return list_samples(path)


@st.cache_data(scope="session", max_entries=_PATIENTS_PER_SESSION, show_spinner=False)
def patient(
    sha256: str,
    source_name: str,
    sample: str | None,
    build: BuildChoice,
    absent: AbsentPolicy,
    _source: PatientSource,
    _progress: ProgressCallback | None = None,
) -> PatientGenome:
    """Read one sample of the file with content hash ``sha256`` under the given options."""
    with _source.local_path() as path:
        return read_patient(
            path, sample=sample, build=build, absent=absent, source_name=source_name,
            progress=_progress,
        )


@st.cache_data(scope="session", max_entries=8 * _PATIENTS_PER_SESSION, show_spinner=False)
def match_log(
    sha256: str, sample: str, build: str, absent: AbsentPolicy, panel: str, _result: PanelResult
) -> pd.DataFrame:
    """Return the match-log table of panel ``panel`` of the patient identified by the other keys."""
    return tables.match_log(_result)


@st.cache_resource(show_spinner="Loading models…", max_entries=8)
def _bundle(path: str, mtime_ns: int) -> Bundle:
    return load_bundle(path)


def bundles() -> tuple[Bundle, ...]:
    """The newest version of every shipped bundle, loaded once per server (cache_resource)."""
    return tuple(_bundle(str(p), (p / "weights.pt").stat().st_mtime_ns) for p in bundle_paths())
