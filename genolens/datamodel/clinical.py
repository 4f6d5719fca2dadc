"""The patient's own details: who the report is about and the clinical values the models read.

A :class:`PatientDetails` is what a clinician enters on the Patient page or writes in a small TOML
or JSON file for ``genolens report --details``. Sex is a word, never a number; every other value is
one entry of :data:`CLINICAL_INPUTS`, with its units and plausible range. What a model does with a
detail that was not given is a clinical policy of :mod:`genolens.modeling.clinical`, never a silent
mean.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from genolens.errors import PatientDetailsError

Sex = Literal["female", "male"]
SEXES: tuple[Sex, ...] = get_args(Sex)
RACES: tuple[str, ...] = ("White", "Asian", "Black or African American", "other or mixed")
"""The race a patient may be recorded with (the OMB groups of the IWPC warfarin data; "other or mixed" is the
algorithm's "missing or mixed race" term). Only the warfarin dose model reads it."""
InputKind = Literal["number", "count", "yes/no"]


@dataclass(frozen=True)
class ClinicalInput:
    """One clinical value a patient can have, as the form asks for it."""

    name: str
    """Key in :attr:`PatientDetails.values` and in a details file (``"age"``)."""
    label: str
    """The question in words (``"Age"``)."""
    kind: InputKind
    """``number`` (any value in range), ``count`` (whole number) or ``yes/no`` (1 yes, 0 no)."""
    units: str
    """Units in words (``"years"``); ``""`` for yes/no."""
    low: float
    """Lowest plausible value (inclusive)."""
    high: float
    """Highest plausible value (inclusive)."""
    help: str = ""


CLINICAL_INPUTS: tuple[ClinicalInput, ...] = (
    ClinicalInput("age", "Age", "number", "years", 18, 100,
                  "Age today in whole or decimal years; or give the date of birth instead."),
    ClinicalInput("breast_cancer_relatives", "First-degree relatives with breast cancer", "count", "relatives", 0, 20,
                  "Mother, sisters, daughters (and father, brothers, sons) ever diagnosed with breast cancer."),
    ClinicalInput("breast_cancer_relative_age", "Youngest age at diagnosis among them", "number", "years", 10, 100,
                  "Recorded on the report; no shipped model reads it."),
    ClinicalInput("height", "Height", "number", "cm", 100, 230, "Used with weight to compute the body-mass index."),
    ClinicalInput("weight", "Weight", "number", "kg", 25, 300, "Used with height to compute the body-mass index."),
    ClinicalInput("bmi", "Body-mass index", "number", "kg/m²", 12, 70,
                  "Computed from height and weight when those are given."),
    ClinicalInput("smoking", "Current smoker", "yes/no", "", 0, 1),
    ClinicalInput("ldl", "LDL cholesterol", "number", "mmol/L", 0.5, 15),
    ClinicalInput("sbp", "Systolic blood pressure", "number", "mmHg", 70, 260),
    ClinicalInput("egfr", "eGFR", "number", "mL/min/1.73 m²", 5, 150, "Estimated glomerular filtration rate."),
    ClinicalInput("amiodarone", "Taking amiodarone", "yes/no", "", 0, 1),
    ClinicalInput("capecitabine", "Fluoropyrimidine given as oral capecitabine (not IV 5-FU)", "yes/no", "", 0, 1),
    ClinicalInput("enzyme_inducer", "Taking an enzyme inducer (carbamazepine, phenytoin, rifampicin)", "yes/no", "",
                  0, 1, "Read by the warfarin dose model (IWPC): these drugs raise the dose needed."),
)
"""Every clinical value GenoLens asks for, in the order the form shows them."""

_BY_NAME = {c.name: c for c in CLINICAL_INPUTS}
_TEXT_FIELDS = ("patient_id", "requester", "reason")


def clinical_input(name: str) -> ClinicalInput:
    """The catalogue entry ``name``.

    Raises
    ------
    PatientDetailsError
        When no clinical input has that name.
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise PatientDetailsError(f"Patient detail '{name}' unknown. Choose from: sex, race, date_of_birth, "
                                  f"{', '.join(_BY_NAME)}, {', '.join(_TEXT_FIELDS)}.") from None


@dataclass(frozen=True)
class PatientDetails:
    """Who the patient is, as entered; every field may be left out (and is then named as not given)."""

    patient_id: str = ""
    """The identifier the requester uses (free text; ``""`` when not given)."""
    sex: Sex | None = None
    """``"female"`` or ``"male"``; ``None`` when not given (models that read sex then make no prediction)."""
    date_of_birth: str = ""
    """ISO date (``"1986-04-30"``) or ``""``; gives the age on the report date when ``age`` is not given."""
    race: str | None = None
    """One of :data:`RACES`; ``None`` when not given (the warfarin dose model then makes no dose)."""
    values: Mapping[str, float] = field(default_factory=dict)
    """Catalogue name -> value in the catalogue's units (yes/no as 1/0); sorted by name, each in range."""
    requester: str = ""
    """Who asked for the report (free text)."""
    reason: str = ""
    """Why the report was asked for (free text)."""

    def bmi_from_height_and_weight(self) -> float | None:
        """BMI (kg/m², one decimal) from height and weight when BMI itself is not given but both are; else ``None``."""
        if "bmi" in self.values or not {"height", "weight"} <= set(self.values):
            return None
        return round(self.values["weight"] / (self.values["height"] / 100.0) ** 2, 1)

    def age_on(self, day: dt.date | None) -> float | None:
        """Age in years on ``day``: as given, else from the date of birth (whole years; needs ``day``), else
        ``None``."""
        if "age" in self.values:
            return self.values["age"]
        if not self.date_of_birth or day is None:
            return None
        born = dt.date.fromisoformat(self.date_of_birth)
        return float(day.year - born.year - ((day.month, day.day) < (born.month, born.day)))


NO_DETAILS = PatientDetails()
"""Nothing entered: every model that reads sex then makes no prediction, and says why."""


def patient_details(data: Mapping[str, Any]) -> PatientDetails:
    """Check and type a mapping of details (a parsed TOML/JSON file, or the form's values).

    Keys are ``patient_id``, ``sex``, ``race`` (one of :data:`RACES`, any case), ``date_of_birth``,
    ``requester``, ``reason`` and the names of :data:`CLINICAL_INPUTS`; yes/no values may be
    ``true``/``false``. ``None`` or ``""`` means not given.

    Raises
    ------
    PatientDetailsError
        When a key is unknown, or a value is malformed or outside its plausible range (the message says
        which, the range, and what to do).
    """
    text: dict[str, str] = {}
    values: dict[str, float] = {}
    sex: Sex | None = None
    race: str | None = None
    dob = ""
    for key, raw in data.items():
        if raw is None or raw == "":
            continue
        if key in _TEXT_FIELDS:
            text[key] = str(raw).strip()
        elif key == "sex":
            word = str(raw).strip().lower()
            if word not in SEXES:
                raise PatientDetailsError(f"Sex '{raw}' not understood: write female or male.")
            sex = "female" if word == "female" else "male"
        elif key == "race":
            race = _race(raw)
        elif key == "date_of_birth":
            dob = _date(raw)
        else:
            values[key] = _value(clinical_input(key), raw)
    if dob and dt.date.fromisoformat(dob) < dt.date(1900, 1, 1):
        raise PatientDetailsError(f"Date of birth {dob} is before 1900: check it.")
    return PatientDetails(patient_id=text.get("patient_id", ""), sex=sex, date_of_birth=dob, race=race,
                          values=dict(sorted(values.items())), requester=text.get("requester", ""),
                          reason=text.get("reason", ""))


def details_record(details: PatientDetails) -> dict[str, Any]:
    """The details as a flat mapping :func:`patient_details` reads back (yes/no as booleans)."""
    out: dict[str, Any] = {k: getattr(details, k) for k in _TEXT_FIELDS if getattr(details, k)}
    if details.sex is not None:
        out["sex"] = details.sex
    if details.race is not None:
        out["race"] = details.race
    if details.date_of_birth:
        out["date_of_birth"] = details.date_of_birth
    for name, v in details.values.items():
        out[name] = bool(v) if _BY_NAME[name].kind == "yes/no" else v
    return out


def _race(raw: Any) -> str:
    word = " ".join(str(raw).split()).lower()
    for race in RACES:
        if word == race.lower():
            return race
    raise PatientDetailsError(f"Race '{raw}' not understood: write one of {', '.join(RACES)}.")


def _date(raw: Any) -> str:
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    try:
        return dt.date.fromisoformat(str(raw).strip()).isoformat()
    except ValueError:
        raise PatientDetailsError(f"Date of birth '{raw}' not understood: write it as YYYY-MM-DD.") from None


def _value(spec: ClinicalInput, raw: Any) -> float:
    if spec.kind == "yes/no":
        if isinstance(raw, bool):
            return 1.0 if raw else 0.0
        word = str(raw).strip().lower()
        if word in ("yes", "true", "1", "y"):
            return 1.0
        if word in ("no", "false", "0", "n"):
            return 0.0
        raise PatientDetailsError(f"{spec.label}: '{raw}' is not yes or no.")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise PatientDetailsError(f"{spec.label}: '{raw}' is not a number ({spec.units}).") from None
    if not math.isfinite(value):
        raise PatientDetailsError(f"{spec.label}: '{raw}' is not a finite number ({spec.units}).")
    if spec.kind == "count" and value != int(value):
        raise PatientDetailsError(f"{spec.label}: {raw} is not a whole number.")
    if not spec.low <= value <= spec.high:
        raise PatientDetailsError(f"{spec.label} {value:g} {spec.units} is outside the plausible range "
                                  f"{spec.low:g}–{spec.high:g} {spec.units}: check the value and its units.")
    return value


def read_details(path: str | Path, sample: str | None = None) -> PatientDetails:
    """Read a details file: TOML (``.toml``) or JSON (``.json``) with the keys of :func:`patient_details`.

    A file may hold several patients as tables named by sample (``[DEMO_BRCA1]``); ``sample`` picks one
    (a sample without a table gets no details).

    Raises
    ------
    PatientDetailsError
        When the file cannot be read or parsed, or a value is wrong (the message names the file).
    """
    where = Path(path)
    try:
        text = where.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PatientDetailsError(f"Cannot read the details file {where.name}: {exc}.") from None
    tables = details_tables(text, where.name)
    return tables.get(sample or "", NO_DETAILS) if tables else _flat(text, where.name)


def details_tables(text: str, name: str) -> dict[str, PatientDetails]:
    """Every sample's details in a TOML/JSON text with one table per sample (``{}`` for a flat file).

    Raises
    ------
    PatientDetailsError
        When the text cannot be parsed or a value is wrong (the message names the file and the sample).
    """
    data = _parse(text, name)
    if not data or not all(isinstance(v, dict) for v in data.values()):
        return {}
    out = {}
    for sample, table in data.items():
        try:
            out[str(sample)] = patient_details(table)
        except PatientDetailsError as exc:
            raise PatientDetailsError(f"{name}, [{sample}]: {exc}") from None
    return out


def _flat(text: str, name: str) -> PatientDetails:
    try:
        return patient_details(_parse(text, name))
    except PatientDetailsError as exc:
        raise PatientDetailsError(f"{name}: {exc}") from None


def _parse(text: str, name: str) -> dict[str, Any]:
    is_json = name.lower().endswith(".json")
    try:
        data = json.loads(text) if is_json else tomllib.loads(text)
    except ValueError as exc:
        raise PatientDetailsError(f"The details file {name} is not valid {'JSON' if is_json else 'TOML'}: "
                                  f"{exc}.") from None
    if not isinstance(data, dict):
        raise PatientDetailsError(f"The details file {name} must hold one table of details.")
    return data
