"""The patient's details and the clinical policy: what each model reads, what it assumes, when it refuses."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

import pytest

from genolens.datamodel.clinical import PatientDetails, details_record, patient_details, read_details
from genolens.errors import PatientDetailsError
from genolens.modeling.card import ModelCard, read_card
from genolens.modeling.clinical import ASSUMED, model_inputs
from tests.factories import ROOT

DAY = dt.date(2026, 12, 3)


def card(name: str) -> ModelCard:
    return read_card(tomllib.loads((ROOT / "models" / name / "2.0.0" / "card.toml").read_text(encoding="utf-8")))


def test_sex_is_a_word_and_a_model_that_reads_it_refuses_without_it() -> None:
    cad = card("coronary_artery_disease")
    none = model_inputs(cad, PatientDetails(), on=DAY)
    assert none.missing.startswith("sex not given") and "cov_sex" not in none.covariates
    assert model_inputs(cad, patient_details({"sex": "Female"}), on=DAY)["cov_sex"] == 0.0
    assert model_inputs(cad, patient_details({"sex": "male"}), on=DAY)["cov_sex"] == 1.0  # card: 1 = male
    with pytest.raises(PatientDetailsError, match="female or male"):
        patient_details({"sex": "0.5"})


def test_a_model_for_one_sex_says_so_for_the_other() -> None:
    got = model_inputs(card("breast_cancer"), patient_details({"sex": "male"}), on=DAY, sexes=("female",))
    assert got.missing == "this model is meant for female patients only; the patient is male"


def test_a_model_for_one_sex_predicts_nothing_without_the_sex() -> None:
    # a women-only model need not read sex to need it: without it the patient may be a man
    got = model_inputs(card("breast_cancer"), PatientDetails(), on=DAY, sexes=("female",))
    assert got.missing.startswith("sex not given (this model is meant for female patients only")
    assert model_inputs(card("breast_cancer"), patient_details({"sex": "female"}), on=DAY,
                        sexes=("female",)).missing == ""


def test_details_not_given_are_named_with_the_value_shown() -> None:
    got = model_inputs(card("coronary_artery_disease"), patient_details({"sex": "female", "age": 61}), on=DAY)
    assert got.missing == "" and got["cov_age"] == 61.0 and got.given["cov_age"] == "age 61 years"
    assert got["cov_ldl"] == ASSUMED["ldl"] == 3.3
    assert ("LDL cholesterol not given: shown for LDL cholesterol 3.3 mmol/L (the training cohort's median)"
            in got.assumed)
    assert "smoking not given: shown as a non-smoker" in got.assumed
    assert set(got.assumed_inputs) == {"cov_bmi", "cov_ldl", "cov_sbp", "cov_smoking"}


def test_bmi_from_height_and_weight_and_relatives_as_yes_no() -> None:
    d = patient_details({"sex": "female", "height": 170, "weight": 72.25, "breast_cancer_relatives": 2})
    t2d = model_inputs(card("type_2_diabetes"), d, on=DAY)
    assert t2d["cov_bmi"] == pytest.approx(72.25 / 1.7**2) == pytest.approx(25.0)
    assert t2d.given["cov_bmi"] == "BMI 25 kg/m² (from height and weight)"
    assert model_inputs(card("breast_cancer"), d, on=DAY)["cov_family_history"] == 1.0  # 2 relatives: yes


@pytest.mark.parametrize(("born", "day", "age"), [
    ("1988-05-01", dt.date(2026, 12, 3), 38.0),   # birthday passed this year
    ("1988-05-01", dt.date(2026, 4, 30), 37.0),   # the day before the birthday
    ("1988-05-01", dt.date(2026, 5, 1), 38.0),    # on the birthday
])
def test_age_from_the_date_of_birth_on_the_report_date(born: str, day: dt.date, age: float) -> None:
    d = patient_details({"date_of_birth": born})
    assert d.age_on(day) == age and d.age_on(None) is None


@pytest.mark.parametrize(("data", "words"), [
    ({"age": 150}, "outside the plausible range 18–100 years"),
    ({"age": "forty"}, "not a number"),
    ({"breast_cancer_relatives": 1.5}, "not a whole number"),
    ({"smoking": "sometimes"}, "not yes or no"),
    ({"cholesterol": 5}, "unknown"),
    ({"date_of_birth": "03/12/1980"}, "YYYY-MM-DD"),
])
def test_a_wrong_detail_says_what_is_wrong(data: dict[str, object], words: str) -> None:
    with pytest.raises(PatientDetailsError, match=words):
        patient_details(data)


def test_details_files_round_trip_and_pick_the_sample(tmp_path: Path) -> None:
    toml = tmp_path / "details.toml"
    toml.write_text('[ALICE]\nsex = "female"\nage = 42\nsmoking = true\n[BOB]\nsex = "male"\n', encoding="utf-8")
    alice = read_details(toml, "ALICE")
    assert alice == PatientDetails(sex="female", values={"age": 42.0, "smoking": 1.0})
    assert read_details(toml, "CAROL") == PatientDetails()
    flat = tmp_path / "alice.json"
    flat.write_text(json.dumps(details_record(alice)), encoding="utf-8")
    assert read_details(flat) == alice
    bad = tmp_path / "bad.toml"
    bad.write_text("sex = female\n", encoding="utf-8")
    with pytest.raises(PatientDetailsError, match=r"bad\.toml is not valid TOML"):
        read_details(bad)


def test_every_demo_patient_has_valid_details_with_a_sex() -> None:
    data = tomllib.loads((ROOT / "data" / "demo" / "details.toml").read_text(encoding="utf-8"))
    for sample in data:
        assert read_details(ROOT / "data" / "demo" / "details.toml", sample).sex in ("female", "male"), sample
