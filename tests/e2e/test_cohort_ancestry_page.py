"""The Cohort page stacks each risk histogram by the samples' ancestry, in Debian Chromium.

The cohort: four people per superpopulation (AFR, EAS, EUR) drawn at every chromosome-22 marker (the integration
test's file, ``tests/integration/test_cohort_ancestry.py``), uploaded with a details file; the histogram of the
first outcome shown must have one trace per group, and a screenshot goes to ``artifacts/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import block_outside, screenshot, wait_idle
from tests.e2e.test_report_order import TIMEOUT_MS, _go, _no_errors, _open
from tests.integration.test_cohort_ancestry import DRAWN, _cohort

pytestmark = pytest.mark.e2e


def test_the_risk_histogram_is_stacked_by_ancestry(page: Page, artifacts_dir: Path, tmp_path: Path) -> None:
    blocked = block_outside(page)
    vcf = tmp_path / "three_ancestries_chr22.vcf.gz"
    samples = _cohort(vcf)
    details = "".join(f'[{s}]\nsex = "{("female", "male")[i % 2]}"\nage = {40 + i}\n\n' for i, s in enumerate(samples))
    _open(page)
    _go(page, "Cohort")
    page.get_by_test_id("stRadio").filter(has_text="On this server").get_by_text("Upload a file").click()
    wait_idle(page, TIMEOUT_MS)
    page.get_by_test_id("stFileUploader").filter(has_text="Multi-sample VCF") \
        .get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(vcf))
    wait_idle(page, TIMEOUT_MS)
    page.get_by_test_id("stFileUploader").filter(has_text="Sample details") \
        .get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
            {"name": "details.toml", "mimeType": "text/plain", "buffer": details.encode()})
    expect(page.get_by_text(f"Details for {len(samples)} of {len(samples)} samples", exact=False)) \
        .to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    # the file lists the chromosome-22 markers only: the models' variants count as reference (whole genome)
    page.get_by_test_id("stCheckbox").filter(has_text="This file is a whole-genome call set").click()
    wait_idle(page, TIMEOUT_MS)
    page.get_by_role("button", name=re.compile(r"^Run the cohort job on ")).click()
    expect(page.get_by_text("Drill down", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    _no_errors(page)
    chart = page.get_by_test_id("stPlotlyChart").first
    for group in DRAWN:
        expect(chart).to_contain_text(group, timeout=TIMEOUT_MS)
    screenshot(page, artifacts_dir / "cohort_ancestry_histogram.png", TIMEOUT_MS)
    assert blocked == [], f"the page asked for something off this machine: {blocked}"
