"""The Models page's warfarin dose tab in a real browser: the card's provenance and concordance, a screenshot."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import block_outside, screenshot, wait_idle

ROOT = Path(__file__).resolve().parents[2]
CARD = ROOT / "models" / "warfarin_dose" / "1.0.0" / "card.toml"
TIMEOUT_MS = 120_000

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not CARD.is_file(), reason="no warfarin dose bundle installed (make models)")]


def test_models_page_shows_the_warfarin_dose_card(page: Page, artifacts_dir: Path) -> None:
    card = tomllib.loads(CARD.read_text(encoding="utf-8"))
    blocked = block_outside(page)
    page.goto("/")
    expect(page.get_by_text("Research use only")).to_be_visible(timeout=30_000)
    wait_idle(page, TIMEOUT_MS)
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Models").click()
    expect(page.get_by_role("heading", name="Models", exact=True).first).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    # lazy tabs: the card is built by the rerun the click asks for (only the open tab is ever built)
    expect(page.get_by_text("trained on real IWPC patients")).to_have_count(0)
    page.get_by_role("tab", name="warfarin dose (real IWPC patients)").click()
    panel = page.get_by_role("tabpanel").filter(has_text="trained on real IWPC patients")
    expect(panel.get_by_text(card["provenance"]["attribution"], exact=False)).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    expect(page.get_by_text("Explanations checked against the simulated truth")).to_have_count(0)  # the closed card
    expect(panel.get_by_test_id("stDataFrame")).to_have_count(1)
    expect(panel.get_by_text(f"Pearson r {card['concordance']['VKORC1']['pearson_r']:.3f}")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    screenshot(page, artifacts_dir / "models_warfarin_dose.png", TIMEOUT_MS)
    assert blocked == [], f"the page asked for something off this machine: {blocked}"
