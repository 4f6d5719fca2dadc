"""Absolute risk on the report: the breast card, its JSON and HTML, men, CAD/T2D named without a horizon, predict."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from genolens.cli import main
from genolens.datamodel.clinical import PatientDetails
from genolens.genome.patient import read_patient
from genolens.modeling.absolute_reference import ABSOLUTE_FILE, breast_engine, log_rr, risks_for
from genolens.modeling.bundle import Bundle, bundle_paths, load_bundle
from genolens.modeling.clinical import model_inputs
from genolens.modeling.predict import features_for, predict
from genolens.present.report import render_html, render_json, summary_from_json
from genolens.present.summary import RiskCard
from genolens.workflows import patient_report
from tests.factories import DEMO

BRCA1 = DEMO / "brca1_185delAG_carrier.vcf.gz"
KEYS = {"outcome", "horizon", "age_from", "age_to", "risk", "typical_risk", "ratio", "percentile", "comparison",
        "sources"}
RISK_BUNDLES = ("breast_cancer", "coronary_artery_disease", "type_2_diabetes")
pytestmark = pytest.mark.skipif(
    not all(any(p.parent.name == n for p in bundle_paths()) for n in RISK_BUNDLES)
    or not any((p / ABSOLUTE_FILE).is_file() for p in bundle_paths()), reason="risk bundles not installed")


@pytest.fixture(scope="module")
def bundles() -> tuple[Bundle, ...]:
    return tuple(load_bundle(next(p for p in bundle_paths() if p.parent.name == n)) for n in RISK_BUNDLES)


def _cards(bundles: tuple[Bundle, ...], details: PatientDetails) -> dict[str, RiskCard]:
    patient = read_patient(BRCA1, qc_records=0, absent="reference")
    summary = patient_report(patient, bundles, details=details, explain=False).summary
    return {c.bundle: c for c in summary.risk_cards}


def test_the_carriers_breast_card_gives_both_horizons_against_the_typical_woman(bundles: tuple[Bundle, ...]) -> None:
    details = PatientDetails(sex="female", values={"age": 38.0, "breast_cancer_relatives": 2.0})
    cards = _cards(bundles, details)
    breast = cards["breast_cancer"]
    assert [(r.horizon, r.age_from, r.age_to) for r in breast.absolute] == [("10-year", 38, 48), ("to age 80", 38, 80)]
    assert breast.absolute_note == ""
    # the same numbers by the route the card does not take: the patient's lp with age held, the engine directly
    patient = read_patient(BRCA1, qc_records=0, absent="reference")
    b = bundles[0]
    inputs = model_inputs(b.info, details, on=None)
    pred = predict(b, features_for(patient, b), inputs)
    engine = breast_engine(b)
    assert engine is not None
    direct = risks_for(engine, float(log_rr(b, pred.inputs[None, :])[0]), sex="female", age=38.0)
    assert direct.risks == breast.absolute
    for r in breast.absolute:
        assert r.risk > 5 * r.typical_risk and r.percentile > 99  # a BRCA1 carrier with a family history
    # one reference point for the band, the sentence and the key finding: the typical woman of the same age
    assert breast.band == "high" and breast.plain.startswith(f"About {breast.absolute[0].ratio:.1f}× the risk of a "
                                                            "typical woman aged 38 (the median woman")
    summary = patient_report(patient, bundles[:1], details=details, explain=False).summary
    finding = next(k for k in summary.key_findings if k.kind == "risk")
    assert finding.title.startswith("Breast cancer: ") and "risk of a diagnosis between age 38 and 48 (high band)" \
        in finding.title
    for other in ("coronary_artery_disease", "type_2_diabetes"):  # no sourced incidence: no horizon invented
        assert cards[other].absolute == () and cards[other].absolute_note == ""
        assert cards[other].horizon.startswith("none: a simulated case status")


def test_json_carries_every_absolute_field_and_rebuilds_the_card(bundles: tuple[Bundle, ...]) -> None:
    patient = read_patient(BRCA1, qc_records=0, absent="reference")
    summary = patient_report(patient, bundles[:1], details=PatientDetails(sex="female", values={"age": 60.0}),
                             explain=False).summary
    record = json.loads(render_json(summary))
    risks = record["risk_cards"][0]["absolute"]
    assert [set(r) for r in risks] == [KEYS, KEYS]
    assert [(r["horizon"], r["age_from"], r["age_to"]) for r in risks] == [("10-year", 60, 70), ("to age 80", 60, 80)]
    assert risks[0]["comparison"] == "the median woman aged 60 in the reference population of US women"
    assert np.isclose(risks[0]["ratio"], risks[0]["risk"] / risks[0]["typical_risk"])
    assert summary_from_json(render_json(summary)) == summary
    older = json.loads(render_json(summary))  # a record written before cards had absolute risks still reads
    for card in older["risk_cards"]:
        del card["absolute"], card["absolute_note"]
    assert summary_from_json(json.dumps(older)).risk_cards[0].absolute == ()
    html = render_html(summary)
    assert "Risk of a diagnosis of breast cancer between age 60 and 70: " in html
    assert "Risk of a diagnosis of breast cancer between age 60 and 80: " in html
    assert "(typical woman aged 60: " in html and "the median woman of the same age" in html


def test_a_man_gets_no_breast_number_and_a_patient_without_age_is_asked_for_it(bundles: tuple[Bundle, ...]) -> None:
    # the breast-cancer model is for women: a man gets no breast-cancer card at all, and the report says why
    patient = read_patient(BRCA1, qc_records=0, absent="reference")
    summary = patient_report(patient, bundles[:1], details=PatientDetails(sex="male", values={"age": 50.0}),
                             explain=False).summary
    assert [c.bundle for c in summary.risk_cards] == []
    assert [(n.bundle, n.reason) for n in summary.not_computed] == [
        ("breast_cancer", "this model is meant for female patients only; the patient is male")]
    assert "this model is meant for female patients only; the patient is male" in render_html_of(bundles[:1], "male")
    # a model that reads sex (not women-only) still gets the men's sentence from the absolute-risk step
    engine = breast_engine(bundles[0])
    assert engine is not None
    assert "No absolute risk of breast cancer is given for men" in risks_for(engine, 0.0, sex="male", age=50.0).note
    no_age = _cards(bundles[:1], PatientDetails(sex="female"))["breast_cancer"]
    assert no_age.absolute == () and "age not given" in no_age.absolute_note


def render_html_of(bundles: tuple[Bundle, ...], sex: str) -> str:
    patient = read_patient(BRCA1, qc_records=0, absent="reference")
    return render_html(patient_report(patient, bundles, details=PatientDetails(sex=sex, values={"age": 50.0}),
                                      explain=False).summary)


def test_predict_json_carries_the_same_absolute_risks(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["predict", str(BRCA1), "--model", "breast_cancer", "--absent", "reference", "--json",
                 "--detail", "sex=female", "--detail", "age=45"]) == 0
    record = json.loads(capsys.readouterr().out)
    got = record["absolute_risk"]["breast_cancer"]["y_breast_cancer"]
    assert [set(r) for r in got["risks"]] == [KEYS, KEYS] and got["note"] == ""
    assert [(r["age_from"], r["age_to"]) for r in got["risks"]] == [(45, 55), (45, 80)]
