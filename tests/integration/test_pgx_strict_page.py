"""AppTest of the dashboard's missing-position switch: strict is labelled beside PharmCAT's call on every page.

The DPYD demo is documented as a whole-genome call set, so the Patient page reads it with absent sites as
homozygous reference and no DPYD position is missing. With that box unticked its absent DPYD positions are
missing: PharmCAT's policy still calls *1/*2A (Intermediate Metabolizer), the strict policy gives Indeterminate.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from genolens.genome import MISSING_WORDS
from genolens.modeling.bundle import bundle_paths
from tests.factories import DEMO, ROOT, shown

DPYD_DEMO = DEMO / "dpyd_2A_heterozygote.vcf.gz"
LABEL = "strict policy; PharmCAT's policy: Intermediate Metabolizer"
FLUOROPYRIMIDINES = "y_fluoropyrimidine_toxicity"
PGX_MISSING = "pgx_missing"  # the switch's widget key (components.choices.PGX_MISSING)

pytestmark = [pytest.mark.usefixtures("fresh_caches"),
              pytest.mark.skipif(not bundle_paths(), reason="no model bundles installed (make models)")]


def _text(elements: object) -> str:
    return shown("\n".join(str(e.value) for e in elements))  # type: ignore[attr-defined]


def _dpyd_with_absent_sites_missing() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.selectbox(key="demo_file").set_value(DPYD_DEMO).run()
    box = next(c for c in at.checkbox if str(c.key).startswith("whole_genome"))
    box.uncheck().run()
    patient = at.session_state["genolens"].patient
    assert not at.exception and patient is not None and patient.absent_policy == "missing"
    return at


def _fluoropyrimidines(at: AppTest) -> str:
    drugs = at.table[0].value
    return shown(next(g for d, g in zip(drugs["drug"], drugs["guideline phenotype"], strict=True)
                      if d.startswith("Fluoropyrimidines")))


def test_strict_is_labelled_beside_pharmcats_call_on_the_report_and_treatment_pages() -> None:
    at = _dpyd_with_absent_sites_missing()
    at.switch_page("pages/report.py").run()
    assert not at.exception and not at.error
    assert at.radio(key=PGX_MISSING).value == "pharmcat"  # PharmCAT's policy unless the user chooses
    default = _fluoropyrimidines(at)
    assert default.startswith("DPYD Intermediate Metabolizer") and "strict" not in default
    assert "strict policy" not in _text(at.table) + _text(at.markdown)
    assert MISSING_WORDS["pharmcat"] in _text(at.caption)  # the settings line names the policy

    at.radio(key=PGX_MISSING).set_value("strict").run()
    assert not at.exception and not at.error
    strict = _fluoropyrimidines(at)
    assert strict.startswith("DPYD Indeterminate") and LABEL in strict  # PharmCAT's call beside the strict one
    assert MISSING_WORDS["strict"] in _text(at.caption)

    at.switch_page("pages/treatment.py").run()  # the choice holds on the next page
    at.selectbox(key="treatment_drug").set_value(FLUOROPYRIMIDINES).run()
    assert not at.exception and at.radio(key=PGX_MISSING).value == "strict"
    assert f"**DPYD**: Indeterminate ({LABEL})" in _text(at.markdown)

    at.switch_page("pages/risk.py").run()  # a page without the switch: Streamlit drops the widget's state
    at.switch_page("pages/report.py").run()
    assert at.radio(key=PGX_MISSING).value == "strict" and LABEL in _fluoropyrimidines(at)
    at.radio(key=PGX_MISSING).set_value("pharmcat").run()
    assert _fluoropyrimidines(at) == default  # switching back gives PharmCAT's report again
