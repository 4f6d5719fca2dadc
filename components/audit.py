"""The dashboard's side of the audit trail: who (components.auth) + what, written by genolens.audit.

:func:`act` is the one line the use-case components call before they run one (open a patient, start a
cohort job, run a what-if, offer exports): it refuses (and logs ``denied``) when the user lacks the
role, else logs the action once per session and distinct subject (Streamlit reruns a page on every
click; a rerun is not a new action). Downloads are different: every click is an export, so
:func:`export` (and :func:`exports` for the report) wraps a download's data in a callable that
Streamlit runs when the browser asks for the file, writing one ``export`` entry each time.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import tomllib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import streamlit as st

from components import auth, state
from components.config import SETTINGS_FILE
from components.errors import shown_errors
from genolens import audit
from genolens.audit import Action, PatientRef

_DONE = "_audit_done"
_T = TypeVar("_T")


def log_file() -> Path:
    """Where this server writes its audit log (:func:`genolens.audit.log_path` with genolens.toml)."""
    settings: dict[str, object] = {}
    if SETTINGS_FILE.is_file():
        with SETTINGS_FILE.open("rb") as fh:
            settings = tomllib.load(fh)
    return audit.log_path(os.environ, settings)


def _models(bundles: Iterable[Any]) -> tuple[str, ...]:
    return tuple(f"{b.name} {b.version}" for b in bundles)


def log(who: auth.Who, action: Action, *, patient: PatientRef | None = None, models: Sequence[str] = (),
        detail: str = "") -> None:
    """Append one entry now; a log that cannot be written stops the page with the reason (fail closed)."""
    with shown_errors("writing the audit log"):
        audit.append(log_file(), user=who.name, role=who.role, action=action, patient=patient, models=models,
                     detail=detail)


def act(action: Action, *roles: str, patient: Any = None, sha256: str = "", sample: str = "",
        bundles: Iterable[Any] = (), models: Sequence[str] = (), detail: str = "", key: object = None) -> None:
    """Check that the user holds one of ``roles`` (refuse, log ``denied`` and stop otherwise), then log ``action``
    about ``patient`` (a PatientGenome; or ``sha256`` + ``sample``) with ``bundles`` (or ``models`` names) once
    per session; ``key`` (kept in the session only, never logged) tells apart actions with the same fields."""
    who = _allowed(roles, action.replace("_", " "))
    ref = _ref(patient, sha256, sample)
    models = (*models, *_models(bundles))
    done = st.session_state.setdefault(_DONE, set())
    seen = (action, ref, models, detail, key)
    if seen in done:
        return
    log(who, action, patient=ref, models=models, detail=detail)
    done.add(seen)


def _allowed(roles: Sequence[str], what: str) -> Any:
    """The signed-in user, if they hold one of ``roles`` (any user when none); otherwise refuse, log and stop."""
    who = auth.current() or auth.gate()
    if roles and not who.roles & set(roles):
        auth.deny(who, f"{what} needs the {' or '.join(roles)} role")
    return who


def _ref(patient: Any, sha256: str, sample: str) -> PatientRef | None:
    """The patient as the log names them: the PatientGenome's file hash and sample, or those given."""
    if patient is not None:
        sha256, sample = patient.sha256, patient.sample
    return PatientRef(sha256, sample) if sha256 else None


def what_if(base: Any, edited: Any) -> None:
    """A what-if on a risk model ran (clinicians): log which model and how many inputs changed, never the values."""
    changed = np.flatnonzero(np.asarray(base.prediction.inputs) != np.asarray(edited.prediction.inputs))
    model = f"{edited.bundle} {edited.prediction.version}"
    act("what_if", "clinician", patient=state.current_patient(), models=(model,),
        detail=f"{edited.output.output}: {len(changed)} input(s) changed",
        key=hashlib.sha256(np.asarray(edited.prediction.inputs).tobytes()).hexdigest())


def dose_what_if(base: Any, edited: Any) -> None:
    """A warfarin-dose what-if ran (clinicians): log which genes were changed, never the genotypes."""
    genes = sorted(g for g, v in edited.genotypes.items() if base.genotypes.get(g) != v)
    act("what_if", "clinician", patient=state.current_patient(), models=("warfarin_dose",),
        detail=f"warfarin dose: {', '.join(genes) or 'no'} genotype(s) changed",
        key=tuple(sorted(edited.genotypes.items())))


def export(detail: str, render: Callable[[], _T], *roles: str, patient: Any = None, sha256: str = "",
           sample: str = "", bundles: Iterable[Any] = (), models: Sequence[str] = ()) -> Callable[[], _T]:
    """The ``data`` of an ``st.download_button``: ``render`` run on the click, each run logging one ``export``.

    Checks now (while the page is drawn) that the user holds one of ``roles`` (refuses, logs ``denied``
    and stops otherwise); the returned callable, run by Streamlit outside the script when the browser
    asks for the file, appends an ``export`` entry (``detail``, the patient or file ``sha256`` +
    ``sample``, ``bundles``/``models``) and returns what ``render`` makes. A log that cannot be written
    fails the download (fail closed). ``detail`` says what was exported, never data.
    """
    who = _allowed(roles, f"exporting {detail}")
    ref = _ref(patient, sha256, sample)
    names = (*models, *_models(bundles))
    path = log_file()

    def logged() -> _T:
        # Runs when the browser asks for the file, outside the script run: no Streamlit here.
        audit.append(path, user=who.name, role=who.role, action="export", patient=ref, models=names, detail=detail)
        return render()

    return logged


def exports(kinds: Sequence[tuple[str, str, Callable[[Any], Any]]], summary: Any) -> tuple[Any, ...]:
    """The report's download renderers, each logging an ``export`` entry when it runs (the click); clinicians only."""
    who = auth.current() or auth.gate()
    if "clinician" not in who.roles:
        auth.deny(who, "exporting a report needs the clinician role")
    patient = state.current_patient()
    if patient is None:
        return tuple(kinds)
    ref = PatientRef(patient.sha256, patient.sample)
    models = tuple(f"{c.name} {c.version}" for c in getattr(summary, "model_cards", ()))
    path = log_file()

    def logged(render: Callable[[Any], Any], kind: str, value: Any) -> Any:
        # Runs when the browser asks for the file, outside the script run: no Streamlit here.
        audit.append(path, user=who.name, role=who.role, action="export", patient=ref, models=models,
                     detail=f"report {kind}")
        return render(value)

    return tuple((kind, mime, functools.partial(logged, render, kind)) for kind, mime, render in kinds)


def verification() -> list[audit.Entry]:
    """Say where the log is and whether :func:`genolens.audit.verify` finds it intact; return its entries."""
    path = log_file()
    st.caption(f"Audit log: `{path}` (set `GENOLENS_AUDIT_LOG` or `[audit] log` in genolens.toml to move it). "
               "Check it from a shell with `python -m genolens audit verify LOG`.")
    if not path.is_file():
        st.info("No audit entry has been written yet.", icon=":material/history:")
        return []
    problems = audit.verify(path)
    entries = audit.read(path)
    if problems:
        st.error(f"The audit log fails verification: {len(problems)} problem(s).", icon=":material/gpp_bad:")
        st.dataframe([{"line": p.line, "problem": p.message} for p in problems], hide_index=True)
    else:
        st.success(f"Verified: {len(entries)} entries, hash chain intact.", icon=":material/verified_user:")
    return entries


def search_view(entries: Sequence[audit.Entry]) -> None:
    """Filters (user, action, patient hash or sample, UTC days) and the matching entries, newest first."""
    left, mid, right = st.columns(3)
    user = left.text_input("User contains", key="audit_user")
    action = mid.selectbox("Action", ("", *audit.ACTIONS), format_func=lambda a: a or "any", key="audit_action")
    patient = right.text_input("Patient file SHA-256 (prefix) or sample", key="audit_patient")
    since_col, until_col = st.columns(2)
    since = since_col.date_input("From (UTC day)", value=None, key="audit_since")
    until = until_col.date_input("To (UTC day)", value=None, key="audit_until")
    found = audit.search(entries, user=user, action=action or "", patient=patient,
                         since=since if isinstance(since, dt.date) else None,
                         until=until if isinstance(until, dt.date) else None)
    st.caption(f"{len(found)} of {len(entries)} entries, newest first.")
    st.dataframe([{
        "seq": e.seq, "time (UTC)": e.time, "user": e.user, "role": e.role, "action": e.action,
        "patient sha256": e.patient.sha256 if e.patient else "", "sample": e.patient.sample if e.patient else "",
        "models": ", ".join(e.models), "detail": e.detail,
    } for e in reversed(found)], hide_index=True, width="stretch")
