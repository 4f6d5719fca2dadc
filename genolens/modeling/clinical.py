"""The clinical policy: what a model reads from the patient's details, and what it does when one is not given.

Every model's clinical inputs (``cov_*`` columns of its card) come from :class:`PatientDetails` here, and
nowhere else. The policy, stated once:

- **Sex is required.** A model that reads sex makes no prediction without it (never a fractional,
  "half male, half female" sex), and a model meant for one sex only says so for the other.
- **Anything else not given is set to a stated reference value and named** on every card that used
  it: age to 55 years (the training cohort's median), a yes/no to "no", a measurement to the training
  cohort's median. The words say what was assumed ("age not given: shown for age 55 years").
- Body-mass index comes from height and weight when it is not given itself; the number of first-degree
  relatives with breast cancer becomes the model's yes/no family history (one or more).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from genolens.datamodel.clinical import PatientDetails, clinical_input
from genolens.modeling.card import ModelCard

ASSUMED: Mapping[str, float] = {
    "age": 55.0, "breast_cancer_relatives": 0.0, "bmi": 27.0, "smoking": 0.0, "ldl": 3.3, "sbp": 130.0,
    "egfr": 85.0, "amiodarone": 0.0, "capecitabine": 0.0, "enzyme_inducer": 0.0,
}
"""The value a model is shown when a detail is not given (training-cohort medians; "no" for yes/no)."""

COVARIATE_DETAIL: Mapping[str, str] = {
    "cov_age": "age", "cov_family_history": "breast_cancer_relatives", "cov_bmi": "bmi", "cov_smoking": "smoking",
    "cov_ldl": "ldl", "cov_sbp": "sbp", "cov_egfr": "egfr", "cov_amiodarone": "amiodarone",
    "cov_capecitabine": "capecitabine",
}
"""Model input (card covariate) -> the patient detail it is read from (``cov_sex`` is the sex)."""

_NOT_GIVEN_WORDS: Mapping[str, str] = {
    "breast_cancer_relatives": "family history of breast cancer not given: shown as no affected first-degree "
                               "relative",
    "smoking": "smoking not given: shown as a non-smoker",
    "amiodarone": "amiodarone not given: shown as not taking it",
    "enzyme_inducer": "enzyme inducer not given: shown as not taking one",
    "capecitabine": "fluoropyrimidine route not given: shown as IV 5-FU (not capecitabine)",
}


def detail_of(covariate: str) -> str | None:
    """The patient detail a model input is read from: by :data:`COVARIATE_DETAIL`, or a covariate named after a
    detail (``bmi``, ``cov_egfr``); ``None`` when it is no detail GenoLens asks for."""
    if covariate in COVARIATE_DETAIL:
        return COVARIATE_DETAIL[covariate]
    bare = covariate.removeprefix("cov_")
    return bare if bare in ASSUMED else None


@dataclass(frozen=True)
class ModelInputs(Mapping[str, float]):
    """What one model reads from the patient's details; as a mapping, card covariate -> value.

    :func:`~genolens.modeling.predict.predict` reads it like any mapping of clinical values, and marks
    the inputs of :attr:`assumed_inputs` as not given (with their sentences) on the prediction.
    """

    covariates: Mapping[str, float]
    """Card covariate -> value, for every covariate when :attr:`missing` is empty."""
    given: Mapping[str, str]
    """Card covariate -> the detail it came from, in words (``"age 42 years"``), for those given."""
    assumed_inputs: Mapping[str, str]
    """Card covariate -> the sentence naming the value shown instead, for each input not given."""
    missing: str
    """Why no prediction is made (``"sex not given"``), or ``""`` when the model can predict."""

    @property
    def assumed(self) -> tuple[str, ...]:
        """One sentence per input not given, in model order."""
        return tuple(self.assumed_inputs.values())

    def __getitem__(self, key: str) -> float:
        return self.covariates[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.covariates)

    def __len__(self) -> int:
        return len(self.covariates)


def model_inputs(card: ModelCard, details: PatientDetails, *, on: dt.date | None,
                 sexes: tuple[str, ...] = ()) -> ModelInputs:
    """Resolve a model's clinical inputs from ``details`` under the policy of this module.

    Parameters
    ----------
    card
        The model's card (its covariates, in model order).
    details
        The patient's details as entered.
    on
        The report date (the age of a patient given by date of birth is taken on it); ``None``: undated.
    sexes
        The sexes the model is meant for; empty means any.
    """
    values: dict[str, float] = {}
    given: dict[str, str] = {}
    assumed: dict[str, str] = {}
    missing = ""
    if sexes and details.sex is not None and details.sex not in sexes:
        missing = f"this model is meant for {' and '.join(sexes)} patients only; the patient is {details.sex}"
    elif sexes and details.sex is None:
        missing = (f"sex not given (this model is meant for {' and '.join(sexes)} patients only: enter the sex to "
                   "see the estimate)")
    for spec in card.covariates:
        if spec.name == "cov_sex":
            if details.sex is None:
                missing = missing or "sex not given (this model reads sex: enter it to see the estimate)"
            else:
                values[spec.name] = 1.0 if details.sex == "male" else 0.0
                given[spec.name] = f"sex {details.sex}"
            continue
        name = detail_of(spec.name)
        if name is None:
            missing = missing or f"the model reads '{spec.name}', which is not a patient detail GenoLens asks for"
            continue
        value, words = _detail(details, name, on)
        if value is None:
            value = ASSUMED[name]
            assumed[spec.name] = _NOT_GIVEN_WORDS.get(name) or _assumed_words(name, value)
        else:
            given[spec.name] = words
        values[spec.name] = min(value, 1.0) if name == "breast_cancer_relatives" else value
    return ModelInputs(covariates=values, given=given, assumed_inputs=assumed, missing=missing)


def _detail(details: PatientDetails, name: str, on: dt.date | None) -> tuple[float | None, str]:
    spec = clinical_input(name)
    if name == "age":
        age = details.age_on(on)
        if age is None:
            return None, ""
        source = "" if "age" in details.values else f" (born {details.date_of_birth})"
        return age, f"age {age:g} years{source}"
    if name == "bmi" and (bmi := details.bmi_from_height_and_weight()) is not None:
        return bmi, f"BMI {bmi:g} kg/m² (from height and weight)"
    if name not in details.values:
        return None, ""
    value = details.values[name]
    if spec.kind == "yes/no":
        return value, f"{_words(name)}: {'yes' if value else 'no'}"
    return value, f"{_words(name)} {value:g} {spec.units}".strip()


def _assumed_words(name: str, value: float) -> str:
    label = _words(name)
    return f"{label} not given: shown for {label} {value:g} {clinical_input(name).units} (the training cohort's median)"


def _words(name: str) -> str:
    """The detail's label inside a sentence (``"age"``, ``"LDL cholesterol"``, ``"BMI"``)."""
    label = "BMI" if name == "bmi" else clinical_input(name).label
    return label if label[:2] != label[:2].capitalize() else label[0].lower() + label[1:]
