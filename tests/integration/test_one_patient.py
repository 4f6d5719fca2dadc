"""One answer per patient: the Cohort page and its drill-down read a sample as the Patient page does.

Also the cohort refusal of a file without any panel site, the
Patient page's choices kept in the address bar, and no widget-state warning when coming back to it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import numpy as np
import pytest
from streamlit.elements.lib import policies
from streamlit.testing.v1 import AppTest

from genolens.datamodel.clinical import read_details
from genolens.errors import CohortError
from genolens.genome import read_patient
from genolens.modeling import bundle_paths, features_for, load_bundle, predict
from genolens.modeling.clinical import model_inputs
from genolens.workflows import score_cohort
from tests.factories import DATA, DEMO, ROOT

TRIO = DEMO / "trio_cyp2c19_brca2.vcf.gz"
TPMT = DEMO / "tpmt_3A_heterozygote_phased.vcf.gz"
NO_PANEL_SITES = DATA / "cohort_no_panel_sites.vcf"
DAY = dt.date(2026, 12, 3)
TRIO_DETAILS = {s: read_details(DEMO / "details.toml", s) for s in ("CHILD", "MOTHER", "FATHER")}

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture(scope="module")
def bundles() -> tuple:  # type: ignore[type-arg]
    paths = bundle_paths()
    if not paths:
        pytest.skip("no model bundles installed (make models)")
    return tuple(load_bundle(p) for p in paths)


@pytest.mark.parametrize("absent", ["missing", "reference"])
def test_cohort_scores_each_sample_as_the_patient_read_does(bundles: tuple, absent: str) -> None:  # type: ignore[type-arg]
    result = score_cohort(TRIO, bundles, absent=absent, details=TRIO_DETAILS, on=DAY)  # type: ignore[arg-type]
    assert result.absent_policy == absent
    i = result.samples.index("CHILD")
    child = read_patient(TRIO, sample="CHILD", absent=absent)  # type: ignore[arg-type]
    for b in bundles:
        alone = predict(b, features_for(child, b), model_inputs(b.info, TRIO_DETAILS["CHILD"], on=DAY))
        assert result.coverage[b.name][i] == pytest.approx(alone.coverage)
        assert result.imputed[b.name][i] == alone.imputed
        for j, o in enumerate(b.outputs):
            assert result.probabilities[b.name][o][i] == pytest.approx(alone.outputs[j].probability, rel=1e-6)


def test_a_sample_without_sex_gets_no_estimate_and_says_why(bundles: tuple) -> None:  # type: ignore[type-arg]
    result = score_cohort(TRIO, bundles, absent="reference", details={"CHILD": TRIO_DETAILS["CHILD"]}, on=DAY)
    i, mother = result.samples.index("CHILD"), result.samples.index("MOTHER")
    for b in bundles:
        assert result.not_computed[b.name][i] == "" and result.not_computed[b.name][mother].startswith("sex not given")
        assert all(np.isnan(result.probabilities[b.name][o][mother]) for o in b.outputs)
        assert np.isnan(result.inputs[b.name][mother]).all() and not np.isnan(result.inputs[b.name][i]).any()
        assert 0 < result.coverage[b.name][mother] <= 1  # the genotypes were still read


def test_whole_genome_cohort_fills_absent_sites(bundles: tuple) -> None:  # type: ignore[type-arg]
    missing = score_cohort(TRIO, bundles, absent="missing")
    reference = score_cohort(TRIO, bundles, absent="reference")
    assert all((reference.coverage[b.name] >= missing.coverage[b.name]).all() for b in bundles)
    assert any((reference.coverage[b.name] > missing.coverage[b.name]).any() for b in bundles)


def test_a_cohort_file_without_any_panel_site_is_refused(bundles: tuple) -> None:  # type: ignore[type-arg]
    with pytest.raises(CohortError, match=r"no record at any of the \d+ variant sites"):
        score_cohort(NO_PANEL_SITES, bundles)


# --- AppTest ---------------------------------------------------------------------------------------------------

def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def _texts(elements: object) -> str:
    return "\n".join(str(e.value) for e in elements)  # type: ignore[attr-defined]


def _patient_page_reads(file: object, sample: str | None) -> object:
    at = _app().run()
    at.selectbox(key="demo_file").set_value(file).run()
    if sample is not None:
        next(b for b in at.selectbox if b.key.startswith("sample_")).set_value(sample).run()
    assert not at.exception and not at.error, _texts(at.error)
    return at


@pytest.mark.slow  # runs the cohort job on the trio (VCF Zarr, IG): 30-60 s
def test_cohort_drill_down_is_the_patient_page_patient(bundles: tuple) -> None:  # type: ignore[type-arg]
    on_patient_page = _patient_page_reads(TRIO, "CHILD").session_state["genolens"].patient

    at = _app().run()
    at.switch_page("pages/cohort.py").run()
    assert not at.exception and not at.error, _texts(at.error)
    assert next(c for c in at.checkbox if c.key.startswith("cohort_whole_genome_")).value  # as the Patient page
    at.button(key="cohort_run").click().run()
    assert not at.exception and not at.error, _texts(at.error)
    assert "counted as homozygous reference" in _texts(at.caption)
    at.selectbox(key="cohort_sample").set_value("CHILD").run()
    at.button(key="cohort_open").click().run()
    drilled = at.session_state["genolens"].patient
    assert drilled is not None and drilled.sample == "CHILD"
    assert drilled.absent_policy == on_patient_page.absent_policy == "reference"
    assert [r.coverage for r in drilled.panels] == [r.coverage for r in on_patient_page.panels]
    for a, b in zip(drilled.panels, on_patient_page.panels, strict=True):
        np.testing.assert_array_equal(a.features.values, b.features.values)
        assert a.features.origin == b.features.origin

    at.switch_page("pages/patient.py").run()  # the Patient page now shows the very same patient
    assert not at.exception and not at.error, _texts(at.error)
    again = at.session_state["genolens"].patient
    assert (again.sha256, again.sample, again.absent_policy) == (drilled.sha256, "CHILD", "reference")


def test_a_file_without_panel_sites_is_refused_on_the_cohort_page(
        bundles: tuple, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[type-arg]
    monkeypatch.setenv("GENOLENS_VCF_DIR", str(DATA))
    at = _app().run()
    at.switch_page("pages/cohort.py").run()
    at.selectbox(key="cohort_file").set_value(NO_PANEL_SITES).run()
    at.button(key="cohort_run").click().run()
    assert not at.exception
    assert "no record at any of the" in _texts(at.error)
    assert not at.get("plotly_chart")


def test_a_reload_restores_the_patient_from_the_address_bar() -> None:
    first = _patient_page_reads(TRIO, "CHILD")
    kept = dict(first.query_params)
    assert kept == {"source": "demo", "file": TRIO.name, "sample": "CHILD", "build": "auto", "wgs": "1"}

    reloaded = _app()  # a fresh session, as after a browser reload
    reloaded.query_params.update(kept)
    reloaded.run()
    assert not reloaded.exception and not reloaded.error, _texts(reloaded.error)
    patient = reloaded.session_state["genolens"].patient
    assert patient is not None and (patient.sample, patient.absent_policy) == ("CHILD", "reference")


def test_a_reload_after_an_upload_says_the_file_is_gone() -> None:
    at = _app()
    at.query_params["source"] = "upload"
    at.run()
    assert at.radio(key="source").value == "Upload a file"
    assert "uploaded file is never kept" in _texts(at.warning)
    assert at.session_state["genolens"].patient is None


@pytest.fixture
def widget_warnings() -> Iterator[list[str]]:
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Keep()
    logger = logging.getLogger(policies.__name__)
    logger.addHandler(handler)
    shown = policies._shown_default_value_warning
    policies._shown_default_value_warning = False  # the warning is logged once per process
    yield records
    policies._shown_default_value_warning = shown
    logger.removeHandler(handler)


def test_coming_back_to_the_patient_page_sets_no_widget_twice(widget_warnings: list[str]) -> None:
    at = _patient_page_reads(TPMT, None)
    assert at.session_state["genolens"].patient.absent_policy == "reference"  # README: whole-genome call set
    at.switch_page("pages/models.py").run()
    at.switch_page("pages/patient.py").run()
    assert not at.exception
    assert at.session_state["genolens"].patient.absent_policy == "reference"
    assert not [m for m in widget_warnings if "Session State API" in m], widget_warnings
