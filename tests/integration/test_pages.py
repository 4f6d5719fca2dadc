"""AppTest over the analysis pages: each runs with no patient and with a demo patient; the what-if editor works."""

from __future__ import annotations

import json
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from components.model_card import CARD_TAB
from genolens.modeling.bundle import bundle_paths
from tests.factories import DEMO, ROOT, shown

DEMO_PATIENT = DEMO / "dpyd_2A_heterozygote.vcf.gz"
TRIO = DEMO / "trio_cyp2c19_brca2.vcf.gz"
PAGES = ("report", "risk", "treatment", "explorer", "cohort")
PATIENT_PAGES = ("report", "risk", "treatment", "explorer")

pytestmark = pytest.mark.usefixtures("fresh_caches")
needs_models = pytest.mark.skipif(not bundle_paths(), reason="no model bundles installed (make models)")


def _app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    return at


def _with_demo() -> AppTest:
    at = _app()
    at.selectbox(key="demo_file").set_value(DEMO_PATIENT).run()
    assert not at.exception and at.session_state["genolens"].patient is not None
    return at


def _text(elements: object) -> str:
    return shown("\n".join(str(e.value) for e in elements))  # type: ignore[attr-defined]


def _metric(at: AppTest, label: str) -> str:
    return next(str(m.value) for m in at.metric if m.label == label)


def _card_metrics(at: AppTest) -> list[Any]:
    """A risk card's headline: the risk of a diagnosis by age (women, breast cancer) or the model probability."""
    return [m for m in at.metric if m.label.startswith(("Risk of diagnosis, age ", "Model probability (no time"))]


@pytest.mark.parametrize("page", PATIENT_PAGES)
def test_pages_without_a_patient_say_what_to_do(page: str) -> None:
    at = _app()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception and not at.error
    assert "Research use only" in _text(at.warning)
    assert "No patient is loaded" in _text(at.info)
    assert "simulated cohorts" in _text(at.caption)


@needs_models
def test_every_page_runs_with_a_demo_patient() -> None:
    at = _with_demo()
    for page in PAGES:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, page
        assert not at.error, (page, _text(at.error))
        assert "Research use only" in _text(at.warning), page
    at.switch_page("pages/models.py").run()
    assert not at.exception


@needs_models
def test_report_shows_cards_drugs_and_opens_the_risk_page_on_a_card() -> None:
    at = _with_demo()
    at.switch_page("pages/report.py").run()
    assert len(_card_metrics(at)) == 2  # CAD and T2D: the demo is a man, and the breast-cancer model is for women
    assert "meant for female patients only; the patient is male" in _text(at.info)
    drugs = at.table[0].value
    assert any("Fluoropyrimidines" in d for d in drugs["drug"]) and "agreement" in drugs
    at.button(key="open_risk_type_2_diabetes_y_type_2_diabetes").click().run()
    assert not at.exception
    assert at.selectbox(key="risk_output").value == ("type_2_diabetes", "y_type_2_diabetes")
    spec = at.get("plotly_chart")[0].proto.spec
    assert "Baseline" in spec and "Prediction" in spec and "rs" in spec


@needs_models
def test_what_if_changes_the_prediction() -> None:
    at = _with_demo()
    at.switch_page("pages/risk.py").run()
    at.selectbox(key="risk_output").set_value(("type_2_diabetes", "y_type_2_diabetes")).run()
    before = next(str(m.value) for m in at.metric if m.label == "Model probability")
    assert not any(str(n.key).startswith("whatif_cov") for n in at.number_input)  # details: Patient page only
    genotype = next(s for s in at.selectbox if str(s.key).startswith("whatif_") and s.options[-1] == "2 effect alleles")
    for dosage in (2, 0):  # one of the two differs from the genotype as read
        genotype.set_value(dosage).run()
        assert not at.exception
        if _metric(at, "With your changes") != before:
            break
    assert _metric(at, "With your changes") != before
    assert _metric(at, "As read") == before


@needs_models
def test_patient_details_reach_the_report_and_without_sex_no_estimate_is_made() -> None:
    at = _with_demo()  # DEMO_DPYD: a man of 63 in data/demo/details.toml
    key = next(str(s.key) for s in at.selectbox if str(s.key).endswith("_sex"))
    assert at.selectbox(key=key).value == "male"
    at.switch_page("pages/report.py").run()
    stored = [m.value for m in _card_metrics(at)]
    assert len(stored) == 2 and not at.exception  # CAD and T2D (breast cancer: women only)
    at.switch_page("pages/patient.py").run()
    at.selectbox(key=key).set_value("not given")
    at.button[[b.label for b in at.button].index("Use these details")].click().run()
    at.switch_page("pages/report.py").run()
    assert not at.exception and not _card_metrics(at)
    assert _text(at.info).count("No estimate of") == 4  # three risk models and the drug model
    assert "sex not given" in _text(at.info)
    at.switch_page("pages/patient.py").run()
    at.selectbox(key=key).set_value("male")
    at.number_input(key=key.replace("_sex", "_age")).set_value(80.0)
    at.button[[b.label for b in at.button].index("Use these details")].click().run()
    at.switch_page("pages/report.py").run()
    older = [m.value for m in _card_metrics(at)]
    assert len(older) == 2 and older != stored  # age feeds every risk model
    assert "80 years" in _text(at.markdown)


@needs_models
def test_report_names_a_monogenic_carrier_without_an_error_box() -> None:
    at = _app()
    at.selectbox(key="demo_file").set_value(DEMO / "brca1_185delAG_carrier.vcf.gz").run()
    at.switch_page("pages/report.py").run()
    assert not at.exception and not at.error
    assert "carrier] **BRCA1 185delAG (rs80357914)**" in _text(at.markdown)


@needs_models
def test_breast_card_and_risk_page_give_the_risk_of_diagnosis_by_age_against_the_typical_woman() -> None:
    at = _app()
    at.selectbox(key="demo_file").set_value(DEMO / "brca1_185delAG_carrier.vcf.gz").run()  # a woman of 38
    at.switch_page("pages/report.py").run()
    assert not at.exception and not at.error
    labels = [m.label for m in _card_metrics(at)]
    assert "Risk of diagnosis, age 38 to 48" in labels
    assert labels.count("Model probability (no time horizon)") == 2  # CAD and T2D: no sourced incidence
    words = _text(at.markdown)
    for end in (48, 80):
        assert f"Risk of a diagnosis of breast cancer between age 38 and {end}: " in words
    assert "(typical woman aged 38: " in words and "the risk of a typical woman this age; >99th percentile)" in words
    captions = _text(at.caption)
    assert "the median woman aged 38 in the reference population of US women" in captions
    assert "Comparison points differ: the absolute risks compare with the median woman of the same age" in captions
    assert "Model probability of coronary artery disease in the simulated population" in captions
    assert "time horizon: none: a simulated case status" in captions
    at.switch_page("pages/risk.py").run()
    at.selectbox(key="risk_output").set_value(("breast_cancer", "y_breast_cancer")).run()
    assert not at.exception and not at.error
    assert _metric(at, "Risk of a diagnosis of breast cancer between age 38 and 48").endswith("%")
    assert "Risk of a diagnosis of breast cancer between age 38 and 80: " in _text(at.markdown)
    assert "Comparison points differ: the absolute risks compare with the median woman" in _text(at.caption)


@needs_models
def test_treatment_page_shows_the_guideline_call_beside_the_model() -> None:
    at = _with_demo()
    at.switch_page("pages/treatment.py").run()
    at.selectbox(key="treatment_drug").set_value("y_fluoropyrimidine_toxicity").run()
    assert not at.exception
    body = _text(at.markdown)
    assert "DPYD" in body and "Guideline call" in body and "Treatment-response model" in body
    # the demo is a whole-genome call set (box ticked on the patient page): *2A het -> intermediate metabolizer
    assert "Intermediate Metabolizer" in body


@needs_models
def test_explorer_methods_and_sanity_check() -> None:
    at = _with_demo()
    at.switch_page("pages/explorer.py").run()
    at.selectbox(key="explorer_output").set_value(("coronary_artery_disease", "y_coronary_artery_disease")).run()
    at.selectbox(key="explorer_method").set_value("deeplift").run()
    assert not at.exception and not at.error
    assert "Completeness residual" in {m.label for m in at.metric}
    at.button(key="explorer_randomise").click().run()
    assert not at.exception
    assert "With every layer randomised" in _text(at.markdown)


@needs_models
@pytest.mark.slow  # runs the cohort job on the trio (VCF Zarr, IG): 30-60 s
def test_cohort_scores_the_trio_and_opens_a_sample() -> None:
    at = _app()
    at.switch_page("pages/cohort.py").run()
    at.selectbox(key="cohort_file").set_value(TRIO).run()
    assert not at.get("plotly_chart")  # nothing runs before the click
    at.button(key="cohort_run").click().run()
    assert not at.exception and not at.error
    low = [w.value for w in at.warning if w.value.startswith("Low coverage in this file of the variants")]
    # The trio is variant-only, read as a whole-genome call set: absent sites are filled only where the panel knows
    # REF (data/refs/README.md). The warning names, in words, each model whose mean coverage in the job's summary
    # is under its threshold, and no other.
    manifest = json.loads(next(at.session_state["cohort_tmp"].path.rglob("manifest.json")).read_text())
    under = [b["name"] for b in manifest["bundles"]
             if (c := manifest["summary"].get(b["name"], {}).get("coverage_mean")) is not None
             and c < b["coverage_threshold"]]
    assert "breast_cancer" in manifest["summary"] and "breast_cancer" not in under  # most breast REFs are known
    assert len(low) == (1 if under else 0)
    text = low[0] if low else ""
    for name in manifest["summary"]:
        assert (f"{name.replace('_', ' ')} " in text) == (name in under)
        assert name not in text or "_" not in name  # never the snake_case name
    sample = at.selectbox(key="cohort_sample").options[0]
    at.selectbox(key="cohort_sample").set_value(sample).run()
    at.button(key="cohort_open").click().run()
    assert not at.exception
    assert at.session_state["genolens"].patient.sample == sample


@needs_models
def test_models_page_shows_each_cards_validation_figures() -> None:
    from genolens.modeling.bundle import load_bundles

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/models.py").run()
    assert not at.exception
    tables = []
    for tab in [t.label for t in at.tabs]:  # only the open tab is built: open each in turn
        at.session_state[CARD_TAB] = tab
        at.run()
        assert not at.exception
        tables += [df.value for df in at.dataframe if "causal AUROC" in df.value.columns]
    validated = [b for b in load_bundles() if b.card.get("validation")]
    assert len(tables) == len(validated) >= 1
    for bundle, table in zip(validated, tables, strict=True):
        first = bundle.outputs[0]
        assert table["mean r"].iloc[0] == pytest.approx(bundle.card["validation"][first]["mean_pearson_r"])
        for k, output in enumerate(bundle.outputs):  # per allele where the truth groups variants, else per variant
            row = bundle.card["validation"][output]
            assert table["r per allele"].iloc[k] == pytest.approx(row["allele_mean_pearson_r"])
            assert table["causal AUROC per allele"].iloc[k] == pytest.approx(row["allele_causal_auroc"], nan_ok=True)
            assert table["targets met"].iloc[k] == ("yes" if row["passed"] else "no")


@needs_models
def test_treatment_page_shows_the_warfarin_dose_from_real_patients_beside_the_algorithm() -> None:
    at = _app()
    at.selectbox(key="demo_file").set_value(DEMO / "brca1_185delAG_carrier.vcf.gz").run()  # White, 38, 168 cm, 63 kg
    at.switch_page("pages/treatment.py").run()
    at.selectbox(key="treatment_drug").set_value("y_warfarin_overanticoagulation").run()
    assert not at.exception and not at.error
    model, algorithm = _metric(at, "Model dose"), _metric(at, "IWPC algorithm")
    assert model.endswith(" mg/week") and algorithm.endswith(" mg/week")
    assert 5.0 < float(model.split()[0]) < 150.0 and 5.0 < float(algorithm.split()[0]) < 150.0
    assert any("IWPC algorithm (mg/week)" in d.value.columns for d in at.dataframe)  # the ledger, both columns
    at = _with_demo()  # DEMO_DPYD: no race in data/demo/details.toml
    at.switch_page("pages/treatment.py").run()
    at.selectbox(key="treatment_drug").set_value("y_warfarin_overanticoagulation").run()
    assert not at.exception and "No dose:" in _text(at.info) and "race" in _text(at.info)


def test_a_patient_page_rerun_cut_short_keeps_the_same_patient_and_another_file_drops_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A click on another page interrupts the Patient page's rerun before its read: the patient read for the
    same choice stays (the CI failure of stop 19); a different file chosen drops the previous patient at once."""
    import streamlit as st

    from components import patient_input

    at = _with_demo()
    kept = at.session_state["genolens"].patient
    monkeypatch.setattr(patient_input, "read", lambda *args, **kwargs: st.stop())  # the run ends before reading
    at.run()
    assert not at.exception
    assert at.session_state["genolens"].patient is kept
    at.selectbox(key="demo_file").set_value(TRIO).run()
    assert not at.exception
    assert at.session_state["genolens"].patient is None
    assert at.session_state["genolens"].choice == ()
