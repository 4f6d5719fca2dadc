"""AppTest of what the pages build on demand (issue 13): the Patient page builds only the open panel tab's match
log, and the report builds its table of every panel variant only once that expander is opened. The rows each
shows are those of the patient that was read (``PatientGenome.panels``, ``ReportSummary.findings``)."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from components.patient_views import PANEL_TAB
from components.report_views import FINDINGS_OPEN
from genolens.datamodel import PanelResult
from genolens.modeling.bundle import bundle_paths
from tests.factories import DEMO, ROOT

DEMO_DPYD = DEMO / "dpyd_2A_heterozygote.vcf.gz"  # one sample, GRCh38, every panel matched

pytestmark = pytest.mark.usefixtures("fresh_caches")


def _with_demo() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.selectbox(key="demo_file").set_value(DEMO_DPYD).run()
    assert not at.exception and not at.error
    return at


def _shows(frame: pd.DataFrame, panel: PanelResult) -> None:
    """The match log ``frame`` is the one of ``panel``: a row per site, every rsID of its sites."""
    assert len(frame) == len(panel.sites)
    assert {s.rsid for s in panel.sites if s.rsid} <= set(frame["rsID"])


def test_the_patient_page_builds_only_the_open_panel_tabs_match_log() -> None:
    at = _with_demo()
    panels = at.session_state["genolens"].patient.panels
    assert len(panels) >= 2 and len(at.tabs) == len(panels)
    assert len({len(p.sites) for p in (panels[0], panels[-1])}) == 2  # tells the two tabs' logs apart
    assert len(at.dataframe) == 1  # the first tab's, not one per panel
    _shows(at.dataframe[0].value, panels[0])
    last = at.tabs[-1].label
    at.session_state[PANEL_TAB] = last
    at.run()
    assert not at.exception
    assert len(at.dataframe) == 1
    _shows(at.dataframe[0].value, panels[-1])
    assert last.startswith(panels[-1].title)


@pytest.mark.skipif(not bundle_paths(), reason="no model bundles installed (make models)")
def test_the_reports_table_of_every_panel_variant_is_built_once_opened() -> None:
    at = _with_demo()
    at.switch_page("pages/report.py").run()
    assert not at.exception and not at.error
    label = next(e.label for e in at.expander if "panel variants" in e.label)
    assert not [d for d in at.dataframe if "variant" in d.value.columns]  # closed: not built
    at.session_state[FINDINGS_OPEN] = True
    at.run()
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "variant" in d.value.columns)
    n = int(label.split()[1])  # "All N panel variants ..."
    assert len(table) == n > 0
    assert (table["status"] == "carrier").sum() == 0  # DEMO_DPYD carries no monogenic panel variant
