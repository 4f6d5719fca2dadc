"""The missing-position switch in Debian Chromium: the DPYD demo with absent sites missing, strict chosen on the
Report page; the strict call is labelled beside PharmCAT's on screen and in the HTML export.

Screenshot: ``artifacts/pgx_strict.png`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from genolens.genome import MISSING_WORDS
from tests.e2e.browser import block_outside, screenshot, wait_idle

TIMEOUT_MS = 240_000  # first torch import, model loading and explanations on a 2-core machine
LABEL = "strict policy; PharmCAT's policy: Intermediate Metabolizer"

pytestmark = pytest.mark.e2e


def test_strict_is_labelled_beside_pharmcats_call_on_screen_and_in_the_export(page: Page, artifacts_dir: Path) -> None:
    blocked = block_outside(page)
    page.goto("/")
    expect(page.get_by_text("Research use only")).to_be_visible(timeout=60_000)
    wait_idle(page, TIMEOUT_MS)
    page.get_by_role("combobox", name="Demo patient (simulated)", exact=True).click()
    page.get_by_role("option", name="dpyd 2A heterozygote", exact=True).click()
    box = page.get_by_role("checkbox", name="This file is a whole-genome call set")
    expect(box).to_be_checked(timeout=TIMEOUT_MS)  # the README documents the demo so
    wait_idle(page, TIMEOUT_MS)
    box.uncheck(force=True)  # Streamlit hides the native input under its own box
    expect(page).to_have_url(re.compile(r"wgs=0"), timeout=TIMEOUT_MS)  # read again, absent sites missing
    wait_idle(page, TIMEOUT_MS)

    page.get_by_test_id("stSidebarNavLink").filter(has_text="Report").click()
    drugs = page.get_by_test_id("stTable").first
    expect(drugs).to_contain_text("DPYD Intermediate Metabolizer", timeout=TIMEOUT_MS)  # PharmCAT's policy first
    wait_idle(page, TIMEOUT_MS)
    expect(page.get_by_test_id("stMain")).not_to_contain_text("strict policy")
    page.get_by_test_id("stRadio").get_by_text("Strict", exact=True).click()
    expect(drugs).to_contain_text(f"DPYD Indeterminate ({LABEL}", timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    expect(page.get_by_test_id("stMain")).to_contain_text(MISSING_WORDS["strict"])
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    screenshot(page, artifacts_dir / "pgx_strict.png", TIMEOUT_MS)

    with page.expect_download(timeout=TIMEOUT_MS) as dl:
        page.get_by_role("button", name="Download HTML").click()
    html = Path(dl.value.path()).read_text(encoding="utf-8")
    assert LABEL.replace("'", "&#x27;") in html and "positions missing from the file: strict policy" in html
    assert not blocked
