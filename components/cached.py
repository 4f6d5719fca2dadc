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
* Heavy steps (report, explanations, method comparison, randomisation check) run in a slot of the server's
  one :mod:`components.work_queue`: a few at a time, first come first served, and an identical request
  (same file SHA-256 and options) running at that moment in another session is waited for, not recomputed.
  Nothing is kept in the queue after the step: results stay in each session's own cache.
* No module-level mutable state.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from components import tables, work_queue
from components.sources import PatientSource
from genolens.datamodel import (
    AbsentPolicy,
    BuildChoice,
    LedgerLevel,
    PanelResult,
    PatientGenome,
    RandomisationCheck,
)
from genolens.datamodel.clinical import PatientDetails, details_record
from genolens.explain import BaselineChoice, Explanation, Method, output_index
from genolens.genome import MissingPolicy, OutsideCall
from genolens.genome.isolated import list_samples_isolated, read_patient_isolated
from genolens.modeling import Bundle, bundle_paths, load_bundle
from genolens.modeling.clinical import ModelInputs
from genolens.workflows import (
    MethodComparison,
    PatientReport,
    WarfarinDose,
    bundle_randomisation,
    compare_methods,
    explain_bundle,
    installed_dose_bundle,
    patient_report,
    warfarin_dose,
)

ProgressCallback = Callable[[float, str], None]
Waiting = Callable[[int], None]

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


class _Place:
    """Where a step waiting in :mod:`components.work_queue` says its place, drawn only if it has to wait.

    The note is drawn, like a progress callback, in the context of the moment the step was asked for (so it
    lands where the page asked, outside any cache recording), and removed once the step has run.
    """

    def __init__(self) -> None:
        self._ctx = contextvars.copy_context()
        self._slot: Any = None

    def __call__(self, ahead: int) -> None:
        self._ctx.run(self._draw, ahead)

    def _draw(self, ahead: int) -> None:
        if self._slot is None:
            self._slot = st.empty()
        steps = "step" if ahead == 1 else "steps"
        self._slot.caption(f":material/hourglass_top: Waiting for a free worker: {ahead} {steps} of other "
                           "reports ahead of this one on this server (they run a few at a time, first come first "
                           "served).")

    def clear(self) -> None:
        if self._slot is not None:
            self._ctx.run(self._slot.empty)


def _queued(ask: Callable[[Waiting], Any]) -> Any:
    """Call ``ask(waiting)`` (a cached function given where to say its place in the queue); clear the note."""
    place = _Place()
    try:
        return ask(place)
    finally:
        place.clear()


@st.cache_data(scope="session", max_entries=_PATIENTS_PER_SESSION, show_spinner=False)
def sample_names(sha256: str, _source: PatientSource) -> tuple[str, ...]:
    """Return the sample names of the file with content hash ``sha256`` (read in a worker process)."""
    with _source.local_path() as path:
        return list_samples_isolated(path, name=_source.name)


@st.cache_data(scope="session", max_entries=_PATIENTS_PER_SESSION, show_spinner=False)
def patient(
    sha256: str,
    source_name: str,
    sample: str | None,
    build: BuildChoice,
    absent: AbsentPolicy,
    _source: PatientSource,
    _progress: ProgressCallback | None = None,
    references: tuple[str, ...] = (),
) -> PatientGenome:
    """Read one sample of the file with content hash ``sha256`` under the given options (``references``: the
    server's reference FASTAs, part of the cache key)."""
    with _source.local_path() as path:
        return read_patient_isolated(  # a worker process: a file that crashes htslib ends this read only
            path, sample=sample, build=build, absent=absent, source_name=source_name, sha256=sha256,
            references=references, progress=_progress,
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


# --- Predictions and explanations (patient-derived: session scope) ----------------------------------------------

_EXPLANATIONS_PER_SESSION = 48
"""Risk cards for every bundle, what-if variants and explorer choices of a few patients."""


def _patient_key(p: PatientGenome) -> tuple[str, str, str, str]:
    return p.sha256, p.sample, p.build.build, p.absent_policy


@st.cache_data(scope="session", max_entries=_EXPLANATIONS_PER_SESSION, show_spinner=False)
def _explanations(
    key: tuple[str, str, str, str], bundle: tuple[str, str], outputs: tuple[str, ...] | None, method: Method,
    baseline: BaselineChoice, clinical: tuple[tuple[str, float], ...], assumed: tuple[tuple[str, str], ...],
    overrides: tuple[tuple[str, float], ...], ancestry: str | None, level: LedgerLevel, reliability: bool,
    _patient: PatientGenome, _bundle: Bundle, _clinical: Mapping[str, float] | None, _waiting: Waiting | None = None,
) -> dict[str, Explanation]:
    return work_queue.shared().run(
        ("explanations", key, bundle, outputs, method, baseline, clinical, assumed, overrides, ancestry, level,
         reliability),
        lambda: explain_bundle(_bundle, _patient, outputs=outputs, method=method, baseline=baseline,
                               clinical=_clinical, overrides=dict(overrides), ancestry=ancestry, level=level,
                               reliability=reliability),
        _waiting)


def explanations(
    patient: PatientGenome, bundle: Bundle, *, outputs: tuple[str, ...] | None = None, method: Method = "ig",
    baseline: BaselineChoice = "population", clinical: Mapping[str, float] | None = None,
    overrides: Mapping[str, float] | None = None, ancestry: str | None = None, level: LedgerLevel = "gene",
    reliability: bool = True,
) -> dict[str, Explanation]:
    """``outputs`` of ``bundle`` (all when ``None``) explained for ``patient`` (the one explanation cache).

    ``clinical`` is the patient's :class:`~genolens.modeling.clinical.ModelInputs` (the report passes them);
    its values and which were assumed are both part of the key.
    """
    assumed = clinical.assumed_inputs if isinstance(clinical, ModelInputs) else {}
    return _queued(lambda waiting: _explanations(  # type: ignore[no-any-return]
        _patient_key(patient), (bundle.name, bundle.version), outputs, method, baseline,
        tuple(sorted((clinical or {}).items())), tuple(sorted(assumed.items())),
        tuple(sorted((overrides or {}).items())), ancestry, level, reliability, patient, bundle, clinical, waiting,
    ))


def explanation(
    patient: PatientGenome, bundle: Bundle, *, output: str | None = None, method: Method = "ig",
    baseline: BaselineChoice = "population", clinical: Mapping[str, float] | None = None,
    overrides: Mapping[str, float] | None = None, ancestry: str | None = None, level: LedgerLevel = "gene",
    reliability: bool = True,
) -> Explanation:
    """One output of ``bundle`` explained for ``patient`` (``overrides``: what-if dosages by input id).

    A risk bundle is explained whole, as the report explains it, so the Risk page reuses the report's
    entry; a treatment-response bundle is explained one drug at a time (the Treatment page shows one).
    """
    name = bundle.outputs[output_index(bundle, output)]
    outputs = None if bundle.info.kind != "response" else (name,)
    return explanations(patient, bundle, outputs=outputs, method=method, baseline=baseline, clinical=clinical,
                        overrides=overrides, ancestry=ancestry, level=level, reliability=reliability)[name]


@st.cache_data(scope="session", max_entries=_EXPLANATIONS_PER_SESSION, show_spinner=False)
def _comparison(
    key: tuple[str, str, str, str], bundle: tuple[str, str], output: str, methods: tuple[Method, ...],
    baseline: BaselineChoice, ancestry: str | None, n_steps: int | None, clinical: tuple[tuple[str, float], ...],
    _patient: PatientGenome, _bundle: Bundle, _clinical: Mapping[str, float] | None, _waiting: Waiting | None = None,
) -> MethodComparison:
    return work_queue.shared().run(
        ("comparison", key, bundle, output, methods, baseline, ancestry, n_steps, clinical),
        lambda: compare_methods(_patient, _bundle, output=output, methods=methods, baseline=baseline,
                                ancestry=ancestry, n_steps=n_steps, clinical=_clinical),
        _waiting)


def comparison(
    patient: PatientGenome, bundle: Bundle, *, output: str, methods: tuple[Method, ...], baseline: BaselineChoice,
    ancestry: str | None = None, n_steps: int | None = None, clinical: Mapping[str, float] | None = None,
) -> MethodComparison:
    """The same output explained by several methods (first one chosen), its deletion curve and grade."""
    return _queued(lambda waiting: _comparison(  # type: ignore[no-any-return]
        _patient_key(patient), (bundle.name, bundle.version), output, methods, baseline, ancestry, n_steps,
        tuple(sorted((clinical or {}).items())), patient, bundle, clinical, waiting))


@st.cache_resource(show_spinner=False, max_entries=32)
def randomisation(bundle_name: str, version: str, output: str, method: Method, _bundle: Bundle) -> RandomisationCheck:
    """Model-randomisation sanity check of one method on one bundle output (no patient data: shared)."""
    return work_queue.shared().run(("randomisation", bundle_name, version, output, method),
                                   lambda: bundle_randomisation(_bundle, output=output, method=method))


@st.cache_data(scope="session", max_entries=_PATIENTS_PER_SESSION, show_spinner=False)
def _warfarin(key: tuple[str, str, str, str], details: tuple[tuple[str, Any], ...], day: dt.date,
              what_if: tuple[tuple[str, str], ...], _patient: PatientGenome, _details: PatientDetails) -> WarfarinDose:
    return warfarin_dose(_patient, _details, on=day, what_if=dict(what_if), explain=not what_if)


def warfarin(patient: PatientGenome, details: PatientDetails, day: dt.date,
             what_if: dict[str, str] | None = None) -> WarfarinDose:
    """The weekly warfarin dose of the model trained on the real IWPC patients, with its ledger; with the
    what-if genotypes ``{"VKORC1": "A/A", ...}`` instead of those read, the dose alone (the what-if shows no
    ledger)."""
    return _warfarin(_patient_key(patient), tuple(sorted(details_record(details).items())), day,
                     tuple(sorted((what_if or {}).items())), patient, details)


@st.cache_data(scope="session", max_entries=_PATIENTS_PER_SESSION, show_spinner=False)
def _report(key: tuple[str, str, str, str], bundles: tuple[tuple[str, str], ...], details: tuple[tuple[str, Any], ...],
            outside: tuple[tuple[str, str, str, float | None], ...], day: dt.date, dose: str | None,
            pgx_missing: MissingPolicy, _patient: PatientGenome, _bundles: tuple[Bundle, ...],
            _details: PatientDetails, _outside: Mapping[str, OutsideCall], _waiting: Waiting | None = None,
            ) -> PatientReport:
    return work_queue.shared().run(
        ("report", key, bundles, details, outside, day, dose, pgx_missing),
        lambda: patient_report(_patient, _bundles, details=_details, report_date=day, outside=_outside,
                               dose_bundle=None if dose is None else Path(dose), pgx_missing=pgx_missing,
                               explained=lambda b, inputs: explanations(_patient, b, clinical=inputs)),
        _waiting)


def report(patient: PatientGenome, bundles: tuple[Bundle, ...], details: PatientDetails,
           outside: Mapping[str, OutsideCall], day: dt.date, *, pgx_missing: MissingPolicy) -> PatientReport:
    """The patient's report (key findings, risk cards, drug table, findings, QC, provenance) and its numbers.

    ``pgx_missing`` (the missing-position policy of the pharmacogenomic calls) is part of the key: switching it
    makes a new report, whose explanations are the cached ones (they do not depend on it).

    Its explanations go through :func:`explanations` with the default settings and the patient's clinical
    inputs, so the Risk page shows the very entries the report computed.
    """
    dose = installed_dose_bundle()
    return _queued(lambda waiting: _report(  # type: ignore[no-any-return]
        _patient_key(patient), tuple((b.name, b.version) for b in bundles),
        tuple(sorted(details_record(details).items())),
        tuple((g, c.diplotype, c.phenotype, c.activity_score) for g, c in sorted(outside.items())), day,
        None if dose is None else str(dose), pgx_missing, patient, bundles, details, outside, waiting))
