"""The server's HTTP hardening (components/web_guard.py behind serve.py), against the running server in Chromium.

* `/`, a page address, `/_stcore/health`, a static script and a 404 all carry the Content-Security-Policy
  (this server only: no outside origin anywhere, no framing, images only from here or data:/blob:),
  X-Frame-Options DENY, X-Content-Type-Options nosniff and Referrer-Policy no-referrer;
* every page of the app still draws (plotly charts included) under that policy, with zero CSP violations
  in Chromium's console and zero `securitypolicyviolation` events.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.e2e.browser import block_outside, wait_idle

TIMEOUT_MS = 120_000
pytestmark = pytest.mark.e2e

FIXED = {"x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}
# Each page and a text its finished drawing shows (the Patient page: after the demo patient is read).
PAGES = (("Report", "Inherited variants tested"), ("Risk", "Ledger"), ("Treatment", "Why the model says so"),
         ("Explorer", "Completeness"), ("Cohort", "Multi-sample VCF"), ("Models", "Models"))
LISTEN = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


def _headers(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}


def _policy(value: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in value.split(";"):
        name, *sources = part.split()
        out[name] = sources
    return out


def test_every_response_carries_the_security_headers(streamlit_server: str) -> None:
    index = urllib.request.urlopen(streamlit_server + "/", timeout=30).read().decode("utf-8")
    script = re.search(r'src="\./(static/js/[^"]+\.js)"', index)
    assert script, "no script in Streamlit's index.html"
    for path, status in (("/", 200), ("/report", 200), ("/_stcore/health", 200), ("/" + script.group(1), 200),
                         ("/media/0123456789abcdef.pdf", 404)):
        got, headers = _headers(streamlit_server + path)
        assert got == status, (path, got)
        for name, value in FIXED.items():
            assert headers.get(name) == value, (path, name, headers.get(name))
        csp = _policy(headers["content-security-policy"])
        assert csp["default-src"] == ["'self'"], path
        assert csp["frame-ancestors"] == ["'none'"], path
        assert csp["img-src"] == ["'self'", "data:", "blob:"], path
        assert csp["object-src"] == ["'none'"], path
        assert "'unsafe-eval'" not in csp["script-src"] and "'unsafe-inline'" not in csp["script-src"], path
        for directive, sources in csp.items():  # no outside origin, no scheme wildcard that would allow one
            for source in sources:
                assert not re.match(r"(https?|wss?):|\*", source), (path, directive, source)


def test_every_page_draws_with_no_csp_violation(page: Page) -> None:
    console: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text:
            console.append(msg.text)

    page.on("console", on_console)
    page.add_init_script(LISTEN)
    blocked = block_outside(page)
    page.goto("/")
    expect(page.get_by_text("Research use only")).to_be_visible(timeout=30_000)
    wait_idle(page, TIMEOUT_MS)
    page.get_by_role("combobox", name="Demo patient (simulated)", exact=True).click()
    page.get_by_role("option", name="brca1 185delAG carrier", exact=True).click()
    expect(page.get_by_text("Genome build: GRCh38")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    charts = 0
    for title, ready in PAGES:
        page.get_by_test_id("stSidebarNavLink").filter(has_text=title).click()
        expect(page.get_by_role("heading", name=title, exact=True).first).to_be_visible(timeout=TIMEOUT_MS)
        expect(page.get_by_text(ready, exact=True).first).to_be_visible(timeout=TIMEOUT_MS)
        wait_idle(page, TIMEOUT_MS)
        expect(page.get_by_test_id("stException")).to_have_count(0)
        if title == "Explorer":  # plotly draws its SVG inside the chart element: the scripts it needs all ran
            expect(page.get_by_test_id("stPlotlyChart")).to_have_count(2, timeout=TIMEOUT_MS)
            expect(page.get_by_test_id("stPlotlyChart").first.locator("svg.main-svg").first).to_be_visible(
                timeout=TIMEOUT_MS)
        charts += page.locator('[data-testid="stPlotlyChart"] svg.main-svg').count()
        assert page.evaluate("window.__csp") == [], (title, page.evaluate("window.__csp"))
    assert charts > 0, "no plotly chart drew on any page"
    assert console == [], f"CSP violations in the console: {console}"
    assert blocked == [], f"the page asked for something off this machine: {blocked}"
