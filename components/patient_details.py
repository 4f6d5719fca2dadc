"""The patient's own details (sex, age, family history, clinical values, requester) and outside calls.

Entered once on the Patient page, kept per patient (file hash and sample) for the session, and read by
every page: the report, the Risk and Treatment pages and the exports all use the same details, so a
change here changes every number at once. A demo patient starts with its stored details
(``data/demo/details.toml``); any other patient starts with none, and every model that reads sex then
says it needs it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from components import cached, config, inert, state
from components.outside_calls import outside_calls_form
from genolens.datamodel import PatientGenome
from genolens.datamodel.clinical import CLINICAL_INPUTS, RACES, PatientDetails, patient_details
from genolens.errors import PatientDetailsError
from genolens.genome import OutsideCall
from genolens.modeling import Bundle
from genolens.modeling.clinical import ModelInputs, model_inputs
from genolens.workflows import PatientReport

_NOT_GIVEN = "not given"
_YES_NO = (_NOT_GIVEN, "yes", "no")


def _key(patient: PatientGenome) -> str:
    return f"{patient.sha256[:16]}:{patient.sample}"


def _demo_path(patient: PatientGenome) -> Any:
    """The demo file this patient was read from, or ``None``."""
    path = config.DEMO_DIR / patient.source_name
    prefix = f"path:{path}:"
    known = state.session().digests
    return path if any(k.startswith(prefix) and v == patient.sha256 for k, v in known.items()) else None


def current(patient: PatientGenome) -> PatientDetails:
    """The details in use for ``patient``: as last accepted, else a demo patient's stored ones, else none."""
    kept = state.session().details
    key = _key(patient)
    if key not in kept:
        try:
            kept[key] = patient_details(config.demo_details(_demo_path(patient), patient.sample))
        except PatientDetailsError:
            kept[key] = PatientDetails()
    return kept[key]


def use(patient: PatientGenome, details: PatientDetails) -> None:
    """Make ``details`` the ones in use for ``patient`` (the Cohort drill-down passes the sample's)."""
    state.session().details[_key(patient)] = details


def outside(patient: PatientGenome) -> dict[str, OutsideCall]:
    """The outside calls in use for ``patient`` (``{}`` until some are given)."""
    return dict(st.session_state.get(f"outside_{_key(patient)}_accepted", {}))


def today() -> dt.date:
    """The report date: today, on this machine's clock."""
    return dt.date.today()


def inputs(patient: PatientGenome, bundle: Bundle) -> ModelInputs:
    """What ``bundle`` reads from the patient's details today (as the report does)."""
    return model_inputs(bundle.info, current(patient), on=today(), sexes=bundle.info.sexes)


def meant_for(patient: PatientGenome, bundles: tuple[Bundle, ...]) -> tuple[Bundle, ...]:
    """The bundles meant for the patient's sex (a women-only model is left out for a man); all when none is left."""
    sex = current(patient).sex
    kept = tuple(b for b in bundles if not b.info.sexes or sex is None or sex in b.info.sexes)
    return kept or bundles


def in_words(d: PatientDetails) -> str:
    """The details in use in one line of words (``"female, 38 years, 2 first-degree relatives with ..."``)."""
    parts = [d.sex or "sex not given", d.race or "race not given"]
    parts += [f"{d.values['age']:g} years" if "age" in d.values else f"born {d.date_of_birth}" if d.date_of_birth
              else "age not given"]
    for spec in CLINICAL_INPUTS:
        v = d.values.get(spec.name)
        if v is None or spec.name == "age":
            continue
        shown = ("yes" if v else "no") if spec.kind == "yes/no" else f"{v:g} {spec.units}".strip()
        parts.append(f"{spec.label.lower() if spec.label[1:2].islower() else spec.label}: {shown}")
    return "; ".join(parts) + "."


def form(patient: PatientGenome) -> None:
    """The details form, filled with the details in use; a valid submission replaces them for every page."""
    d = current(patient)
    key = f"details_{_key(patient)}"
    with st.form(key=key):
        st.markdown("**Patient details** — every model and the report read these. Leave a field empty when it "
                    "is not known: the card then names the value shown instead. Without sex, models that read "
                    "sex make no estimate.")
        c1, c2, c3, c4 = st.columns(4)
        values: dict[str, Any] = {
            "patient_id": c1.text_input("Patient identifier", value=d.patient_id, key=f"{key}_patient_id"),
            "sex": c2.selectbox("Sex", (_NOT_GIVEN, "female", "male"), key=f"{key}_sex",
                                index=(_NOT_GIVEN, "female", "male").index(d.sex or _NOT_GIVEN)),
            "date_of_birth": c4.text_input("Date of birth (YYYY-MM-DD)", value=d.date_of_birth,
                                           key=f"{key}_date_of_birth", help="Used when the age is not given."),
        }
        races = (_NOT_GIVEN, *RACES)
        values["race"] = c2.selectbox("Race (OMB group)", races, index=races.index(d.race or _NOT_GIVEN),
                                      key=f"{key}_race", help="Read only by the warfarin dose model (IWPC coding).")
        cols = st.columns(4)
        others = iter(range(len(CLINICAL_INPUTS)))
        for spec in CLINICAL_INPUTS:
            column = c3 if spec.name == "age" else cols[next(others) % 4]
            label = f"{spec.label} ({spec.units})" if spec.units and spec.kind != "count" else spec.label
            given = d.values.get(spec.name)
            if spec.kind == "yes/no":
                shown = _NOT_GIVEN if given is None else "yes" if given else "no"
                values[spec.name] = column.selectbox(label, _YES_NO, index=_YES_NO.index(shown),
                                                     key=f"{key}_{spec.name}", help=spec.help or None)
            elif spec.kind == "count":
                values[spec.name] = column.number_input(
                    label, value=None if given is None else int(given), min_value=int(spec.low),
                    max_value=int(spec.high), step=1, format="%d",
                    placeholder=f"{_NOT_GIVEN} ({spec.low:g}–{spec.high:g})", key=f"{key}_{spec.name}",
                    help=spec.help or None)
            else:
                whole = spec.units in ("years", "cm", "kg", "mmHg")
                values[spec.name] = column.number_input(
                    label, value=given, min_value=float(spec.low), max_value=float(spec.high),
                    step=1.0 if whole else 0.1, format="%.0f" if whole else "%.1f",
                    placeholder=f"{_NOT_GIVEN} ({spec.low:g}–{spec.high:g})", key=f"{key}_{spec.name}",
                    help=spec.help or None)
        r1, r2 = st.columns(2)
        values["requester"] = r1.text_input("Requested by", value=d.requester, key=f"{key}_requester")
        values["reason"] = r2.text_input("Reason for the report", value=d.reason, key=f"{key}_reason")
        submitted = st.form_submit_button("Use these details", type="primary")
    if submitted:
        cleaned = {k: (None if v == _NOT_GIVEN else v) for k, v in values.items()}
        try:
            state.session().details[_key(patient)] = patient_details(cleaned)
        except PatientDetailsError as exc:
            st.error(f"**Patient details not accepted.** {inert.message(exc)}", icon=":material/block:")
            return
        st.success("Details in use for every page and the report.", icon=":material/check_circle:")
    st.caption("In use: " + inert.message(in_words(current(patient))))
    with st.expander("Results from other tests (CYP2D6, HLA-B, HLA-A, G6PD)"):
        outside_calls_form(f"outside_{_key(patient)}")


def report(patient: PatientGenome, bundles: tuple[Bundle, ...]) -> PatientReport:
    """The patient's report with the details, outside calls and missing-position policy in use, dated today (one
    route for every page)."""
    return cached.report(patient, bundles, current(patient), outside(patient), today(),
                         pgx_missing=state.session().pgx_missing)


def need_inputs(patient: PatientGenome, bundle: Bundle) -> ModelInputs:
    """The bundle's inputs from the patient's details; when it cannot predict, say why and stop the page."""
    got = inputs(patient, bundle)
    if got.missing:
        advice = ("" if got.missing.startswith("this model is meant for") else
                  " Enter the patient's details on the Patient page.")
        st.info(f"**No estimate from {bundle.name}:** {got.missing}.{advice}", icon=":material/person_edit:")
        st.page_link("pages/patient.py", label="Open the Patient page", icon="🧬")
        st.stop()
    return got
