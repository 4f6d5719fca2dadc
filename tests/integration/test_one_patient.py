"""One answer per patient: the Cohort page and its drill-down read a sample as the Patient page does.

Also the cohort refusal of a file without any panel site, the
Patient page's choices kept in the address bar, and no widget-state warning when coming back to it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np
import pytest
from streamlit.elements.lib import policies
from streamlit.testing.v1 import AppTest

from genolens.modeling import bundle_paths, load_bundle
from tests.factories import DATA, DEMO, ROOT

TRIO = DEMO / "trio_cyp2c19_brca2.vcf.gz"
TPMT = DEMO / "tpmt_3A_heterozygote_phased.vcf.gz"
NO_PANEL_SITES = DATA / "cohort_no_panel_sites.vcf"

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture(scope="module")
def bundles() -> tuple:  # type: ignore[type-arg]
    paths = bundle_paths()
    if not paths:
        pytest.skip("no model bundles installed (make models)")
    return tuple(load_bundle(p) for p in paths)


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
