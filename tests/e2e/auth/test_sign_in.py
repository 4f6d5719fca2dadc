"""Sign-in, roles and the audit trail against a real OpenID Connect provider (oidc-provider-mock), in Debian
Chromium, every request off 127.0.0.1 blocked.

* without sign-in no page is served, whatever the address; forged, too old and expired session cookies are
  refused, while a cookie signed like the server's own is accepted (so the refusals are not an accident);
* a clinician signs in, opens a demo patient, downloads the report and signs out: each action is in the
  audit log once, the patient named by file hash + sample, and `audit verify` passes;
* a researcher sees only researcher pages and is refused (and logged) on the Report and Patient pages;
* a user without a GenoLens role is told so and logged; an admin sees the Admin page with the verified log.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from playwright.sync_api import Page, Route, expect

from tests.e2e.auth.conftest import AuthApp
from tests.e2e.browser import ROOT, wait_idle

TIMEOUT_MS = 120_000
DEMO = ROOT / "data" / "demo" / "dpyd_2A_heterozygote.vcf.gz"
pytestmark = pytest.mark.e2e


def _block_outside(page: Page, app: AuthApp) -> list[str]:
    """Abort every request off 127.0.0.1; return those the app's own pages made (the provider's login form
    asks a CDN for a style sheet: blocked too, but it is the test provider's, not ours)."""
    from_app: list[str] = []

    def handle(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
            return
        if route.request.frame.url.startswith(app.url):
            from_app.append(route.request.url)
        route.abort()

    page.route("**/*", handle)
    return from_app


def _entries(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.is_file() else []


def _new(app: AuthApp, since: int) -> list[dict[str, object]]:
    return _entries(app.audit_log)[since:]


def _sign_in(page: Page, user: str) -> None:
    page.goto("/")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=user, exact=True).click()  # the provider's predefined-user button
    expect(page.get_by_text(f"Signed in as {user}").or_(page.get_by_text("hold no GenoLens role"))).to_be_visible(
        timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)


def _nav(page: Page) -> list[str]:
    return [t.strip().splitlines()[-1] for t in page.get_by_test_id("stSidebarNavLink").all_inner_texts()]


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click()  # the provider's end-session confirmation
    _sign_in_screen(page)


def _sign_in_screen(page: Page) -> None:
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
    wait_idle(page, TIMEOUT_MS)
    expect(page.get_by_test_id("stSidebarNavLink")).to_have_count(0)
    expect(page.get_by_text("Research use only")).to_have_count(0)
    expect(page.get_by_text("Demo patient (simulated)")).to_have_count(0)


def _cookie(app: AuthApp, *, secret: str, claims: dict[str, object], age_days: float = 0) -> dict[str, str]:
    """A `_streamlit_user` cookie as Streamlit 1.67 signs it (itsdangerous, the cookie name as salt)."""

    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - age_days * 86400)

    payload = json.dumps({"origin": app.url, "is_logged_in": True, **claims})
    value = URLSafeTimedSerializer(secret, salt="_streamlit_user", signer=Signer).dumps(payload)
    return {"name": "_streamlit_user", "value": value, "url": app.url}


def test_no_page_without_a_valid_sign_in(page: Page, auth_app: AuthApp) -> None:
    blocked = _block_outside(page, auth_app)
    start = len(_entries(auth_app.audit_log))
    for path in ("/", "/report", "/patient", "/cohort", "/models", "/admin"):
        page.goto(path)
        _sign_in_screen(page)
    later = int(time.time()) + 3600
    clinician = {"email": "clinician@example.org", "sub": "clinician@example.org", "groups": ["clinician"]}
    page.context.add_cookies([_cookie(auth_app, secret="not-the-server-secret", claims={**clinician, "exp": later})])
    page.goto("/report")
    _sign_in_screen(page)  # forged: signed with another secret
    page.context.add_cookies([_cookie(auth_app, secret=auth_app.cookie_secret, claims={**clinician, "exp": later},
                                      age_days=40)])
    page.goto("/")
    _sign_in_screen(page)  # signed by the server, but older than Streamlit's 30 days (+1 grace)
    page.context.add_cookies([_cookie(auth_app, secret=auth_app.cookie_secret,
                                      claims={**clinician, "exp": int(time.time()) - 60})])
    page.goto("/")
    _sign_in_screen(page)  # the ID token inside has expired
    expect(page.get_by_text("Your sign-in has expired")).to_be_visible()
    page.context.add_cookies([_cookie(auth_app, secret=auth_app.cookie_secret, claims={**clinician, "exp": later})])
    page.goto("/")  # the control: the same cookie, valid, is accepted
    expect(page.get_by_text("Signed in as clinician@example.org")).to_be_visible(timeout=TIMEOUT_MS)
    assert [e["action"] for e in _new(auth_app, start)] == ["sign_in", "view_page"]
    assert blocked == [], f"the app asked for something off this machine: {blocked}"


def test_clinician_opens_a_patient_exports_and_signs_out_each_action_logged_once(page: Page,
                                                                                 auth_app: AuthApp) -> None:
    blocked = _block_outside(page, auth_app)
    start = len(_entries(auth_app.audit_log))
    _sign_in(page, "clinician@example.org")
    assert _nav(page) == ["Patient", "Report", "Risk", "Treatment"]
    expect(page.get_by_text("Local mode")).to_have_count(0)
    page.get_by_role("combobox", name="Demo patient (simulated)", exact=True).click()
    page.get_by_role("option", name="dpyd 2A heterozygote", exact=True).click()
    expect(page.get_by_text("Genome build: GRCh38")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Report").click()
    expect(page.get_by_role("button", name="Download JSON")).to_be_enabled(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    with page.expect_download(timeout=TIMEOUT_MS) as dl:
        page.get_by_role("button", name="Download JSON").click()
    assert dl.value.suggested_filename == "genolens_DEMO_DPYD.json"
    _sign_out(page)

    entries = _new(auth_app, start)
    seen = Counter((e["action"], e["detail"]) for e in entries)
    for action, detail in (("sign_in", ""), ("view_page", "Patient"), ("view_page", "Report"),
                           ("export", "report json"), ("sign_out", "")):
        assert seen[(action, detail)] == 1, (action, detail, entries)
    opened = [e for e in entries if e["action"] == "open_patient"]
    assert len(opened) == 1
    assert opened[0]["patient"] == {"sha256": hashlib.sha256(DEMO.read_bytes()).hexdigest(), "sample": "DEMO_DPYD"}
    assert {e["user"] for e in entries} == {"clinician@example.org"}
    export = next(e for e in entries if e["action"] == "export")
    assert export["patient"] == opened[0]["patient"] and export["models"]  # which model versions made it
    text = auth_app.audit_log.read_text(encoding="utf-8")
    assert DEMO.name not in text and "rs3918290" not in text  # never the file name or a variant
    run = subprocess.run([sys.executable, "-m", "genolens", "audit", "verify", str(auth_app.audit_log)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0 and run.stdout.startswith("ok: "), run.stdout + run.stderr
    assert blocked == [], f"the app asked for something off this machine: {blocked}"


def test_researcher_cannot_open_a_patient_report(page: Page, auth_app: AuthApp) -> None:
    blocked = _block_outside(page, auth_app)
    start = len(_entries(auth_app.audit_log))
    _sign_in(page, "researcher@example.org")
    assert _nav(page) == ["Explorer", "Cohort", "Models"]
    for path, title in (("/report", "Report"), ("/patient", "Patient")):
        page.goto(path)
        expect(page.get_by_text(f"Not allowed: page {title} needs the clinician role")).to_be_visible(
            timeout=TIMEOUT_MS)
        wait_idle(page, TIMEOUT_MS)
        expect(page.get_by_text("Demo patient (simulated)")).to_have_count(0)
        expect(page.get_by_role("button", name="Download JSON")).to_have_count(0)
    denied = [e["detail"] for e in _new(auth_app, start) if e["action"] == "denied"]
    assert denied == ["page Report needs the clinician role", "page Patient needs the clinician role"]
    assert blocked == [], f"the app asked for something off this machine: {blocked}"


def test_a_user_without_a_role_is_refused_and_an_admin_sees_the_verified_log(page: Page, auth_app: AuthApp) -> None:
    blocked = _block_outside(page, auth_app)
    start = len(_entries(auth_app.audit_log))
    _sign_in(page, "norole@example.org")
    expect(page.get_by_text("hold no GenoLens role")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNavLink")).to_have_count(0)
    assert [(e["action"], e["user"]) for e in _new(auth_app, start) if e["action"] == "denied"] == [
        ("denied", "norole@example.org")]
    _sign_out(page)

    _sign_in(page, "admin@example.org")
    expect(page.get_by_role("heading", name="Admin", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    assert _nav(page) in ([], ["Admin"])  # its only page: Streamlit draws no page list for one page
    expect(page.get_by_text(re.compile(r"Verified: \d+ entries, hash chain intact"))).to_be_visible(
        timeout=TIMEOUT_MS)
    assert blocked == [], f"the app asked for something off this machine: {blocked}"
