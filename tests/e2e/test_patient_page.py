"""The patient page in a real browser, with every request off this machine blocked."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import block_outside, screenshot, wait_idle

ROOT = Path(__file__).resolve().parents[2]
GVCF = ROOT.parent / "shared" / "corpus" / "patients" / "hail-gvcfs" / "HG00268.g.vcf.gz"
MALFORMED = ROOT / "tests" / "data" / "malformed_upload.vcf"
READ_TIMEOUT_MS = 180_000  # a 235k-record gVCF, single-scanned on a 2-core machine

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not GVCF.is_file(), reason=f"{GVCF} is absent (../shared/corpus not on this machine)"),
]






def _upload(page: Page, path: Path) -> None:
    uploader = (page.get_by_test_id("stFileUploader").filter(has_text="of one patient")  # not the outside-call one
                .get_by_test_id("stFileUploaderDropzoneInput"))
    if not uploader.count():
        page.get_by_test_id("stRadio").get_by_text("Upload a file").click()
        wait_idle(page, READ_TIMEOUT_MS)
    uploader.set_input_files(path)


def _expect_read(page: Page) -> None:
    expect(page.get_by_text("Genome build: GRCh38")).to_be_visible(timeout=READ_TIMEOUT_MS)
    coverage = page.get_by_test_id("stMetric").filter(has_text="coverage").first
    expect(coverage).to_be_visible()
    expect(coverage.get_by_test_id("stMetricValue")).to_contain_text("%")
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    wait_idle(page, READ_TIMEOUT_MS)


def test_upload_read_error_and_recover(page: Page, artifacts_dir: Path) -> None:
    blocked = block_outside(page)
    page.goto("/")
    expect(page.get_by_text("Research use only")).to_be_visible(timeout=30_000)

    _upload(page, GVCF)
    _expect_read(page)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    # HG00268 is Finnish (1000 Genomes FIN): its markers in the slice place it in EUR.
    expect(page.get_by_text("Ancestry most like the 1000 Genomes European superpopulation (EUR")).to_be_visible()
    screenshot(page, artifacts_dir / "patient_gvcf.png", READ_TIMEOUT_MS)

    _upload(page, MALFORMED)
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_contain_text("cannot be read", timeout=60_000)
    expect(page.get_by_text("Genome build: GRCh38")).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)
    wait_idle(page, READ_TIMEOUT_MS)
    screenshot(page, artifacts_dir / "patient_error.png", READ_TIMEOUT_MS)

    _upload(page, GVCF)  # the page stays usable after an error
    _expect_read(page)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)

    assert blocked == [], f"the page asked for something off this machine: {blocked}"


def test_the_risk_page_gives_the_percentile_among_people_of_the_patients_ancestry(
        page: Page, artifacts_dir: Path) -> None:
    """HG00268 (FIN) is placed in EUR from its markers; with her details given, the Risk page's caption adds her
    percentile among the model's European reference people to the whole population's."""
    from tests.e2e.test_report_order import _go, _no_errors, _select

    blocked = block_outside(page)
    page.goto("/")
    expect(page.get_by_text("Research use only")).to_be_visible(timeout=30_000)
    _upload(page, GVCF)
    _expect_read(page)
    _select(page, "Sex", "female")
    page.get_by_role("spinbutton", name="Age (years)").fill("50")
    page.get_by_role("button", name="Use these details").click()
    expect(page.get_by_text("Details in use for every page and the report.")).to_be_visible(timeout=READ_TIMEOUT_MS)
    wait_idle(page, READ_TIMEOUT_MS)
    _go(page, "Risk")
    _select(page, "Model output", "Breast cancer")
    wait_idle(page, READ_TIMEOUT_MS)
    _no_errors(page)
    caption = page.get_by_test_id("stCaptionContainer").filter(has_text="of its EUR people")
    expect(caption).to_have_count(1, timeout=READ_TIMEOUT_MS)
    expect(caption).to_contain_text("the patient's ancestry from the 1000 Genomes markers")
    screenshot(page, artifacts_dir / "risk_ancestry_percentile.png", READ_TIMEOUT_MS)
    assert blocked == [], f"the page asked for something off this machine: {blocked}"
