"""Browser helpers shared by the e2e tests: block the network, wait for Streamlit to settle."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, Route, expect

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def block_outside(target: Page | BrowserContext) -> list[str]:
    """Abort every request not to 127.0.0.1; return the list the blocked URLs are appended to."""
    blocked: list[str] = []

    def handle(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    target.route("**/*", handle)
    return blocked


def wait_idle(page: Page, timeout_ms: int) -> None:
    """Wait until the script has finished running and no skeleton placeholder is left."""
    page.locator(IDLE).wait_for(timeout=timeout_ms)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout_ms)
