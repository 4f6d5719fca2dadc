"""Downloads under /media/ with sign-in on (components/web_guard.py): a signed-in clinician's report HTML is served
to that browser, and refused (403) to a request without the session's sign-in cookie, with Streamlit's other
cookies only, or with a sign-in cookie signed by another secret; every answer carries the security headers."""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeTimedSerializer
from playwright.sync_api import Page, Playwright, expect

from tests.e2e.auth.conftest import AuthApp
from tests.e2e.browser import wait_idle

TIMEOUT_MS = 120_000
pytestmark = pytest.mark.e2e


def test_a_report_download_is_refused_without_the_sign_in_cookie(page: Page, auth_app: AuthApp,
                                                                   playwright: Playwright) -> None:
    page.goto("/")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="clinician@example.org", exact=True).click()
    expect(page.get_by_text("Signed in as clinician@example.org")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    page.get_by_role("combobox", name="Demo patient (simulated)", exact=True).click()
    page.get_by_role("option", name="dpyd 2A heterozygote", exact=True).click()
    expect(page.get_by_text("Genome build: GRCh38")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Report").click()
    expect(page.get_by_role("button", name="Download HTML")).to_be_enabled(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    with page.expect_download(timeout=TIMEOUT_MS) as dl:
        page.get_by_role("button", name="Download HTML").click()
    url = dl.value.url
    assert urlsplit(url).path.startswith("/media/"), url

    mine = page.context.request.get(url)  # the control: the signed-in browser gets the file
    assert mine.status == 200 and b"DEMO_DPYD" in mine.body(), mine.status
    assert mine.headers["x-frame-options"] == "DENY"

    others = {c["name"]: c["value"] for c in page.context.cookies() if not c["name"].startswith("_streamlit_user")}
    forged = URLSafeTimedSerializer("not-the-server-secret", salt="_streamlit_user").dumps(json.dumps(
        {"origin": auth_app.url, "is_logged_in": True, "email": "clinician@example.org",
         "groups": ["clinician"], "exp": int(time.time()) + 3600}))
    for cookies in ({}, others, {**others, "_streamlit_user": forged}):
        stranger = playwright.request.new_context()  # no cookie jar shared with the browser
        try:
            header = "; ".join(f"{k}={v}" for k, v in cookies.items())
            got = stranger.get(url, headers={"Cookie": header} if header else {})
            assert got.status == 403, (sorted(cookies), got.status)
            assert b"DEMO_DPYD" not in got.body()
            assert got.headers["content-security-policy"].startswith("default-src 'self'")
        finally:
            stranger.dispose()
