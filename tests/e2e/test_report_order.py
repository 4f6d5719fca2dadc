"""The Report page of every demo patient in Debian Chromium, every request off 127.0.0.1 blocked.

* each demo patient: the sections in the order of :data:`genolens.present.SECTIONS`, and the first section
  ("Key findings") names the finding the demo's story (data/demo/README.md) is about;
* one patient (trio CHILD) through the Patient page, the Cohort drill-down and the CLI: identical report JSON;
* patient details entered on the Patient page change the report, the PDF and the JSON the same way;
* screenshots of every page and the PDF pages of three demo patients, into ``artifacts/`` (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from components.config import DEMO_DETAILS, DEMO_DIR, demo_rows
from genolens.present import SECTIONS
from tests.e2e.browser import block_outside, screenshot, wait_idle

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 240_000  # first torch import, model loading and explanations on a slow 2-core machine
TITLES = [title for _, title in SECTIONS]
TRIO = "trio_cyp2c19_brca2.vcf.gz"

POPPLER = pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("pdftotext")),
                             reason="pdftoppm/pdftotext are absent: apt-get install poppler-utils")
pytestmark = pytest.mark.e2e


def _stem(file: str) -> str:
    return file.split(".")[0]


# What the first section must name, per demo file (its story in data/demo/README.md):
# (text of the first key finding, texts anywhere in the section). None: no single story finding.
STORY: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "brca1_185delAG_carrier.vcf.gz": ("BRCA1", ()),
    "high_polygenic_breast_risk.vcf.gz": (None, ("Breast cancer",)),
    "dpyd_2A_heterozygote.vcf.gz": ("Fluoropyrimidines", ()),
    "cyp2c19_2_2.vcf.gz": ("Clopidogrel", ()),
    "tpmt_3A_heterozygote_phased.vcf.gz": ("Thiopurines", ()),
    "array_like_partial_coverage.vcf.gz": (None, ()),
    "grch37_cyp3a5_expresser.vcf.gz": ("Tacrolimus", ()),
    "gvcf_reference_blocks.g.vcf.gz": (None, ()),
    TRIO: ("BRCA2", ("Clopidogrel",)),
    "warfarin_sensitive_vkorc1_cyp2c9.vcf.gz": ("Warfarin", ("mg/week",)),
}
DEMOS = [(r.file, "CHILD" if r.file == TRIO else r.sample) for r in demo_rows()]
PAGES = {  # sidebar title -> a text that shows the page has been drawn
    "Report": "Download JSON", "Risk": "Ledger", "Treatment": "Why the model says so", "Explorer": "Completeness",
    "Cohort": "Multi-sample VCF", "Models": "Models",
}


def test_every_demo_has_a_story_expectation() -> None:
    """A demo patient added to the README must be given its expectation here (none is skipped silently)."""
    assert sorted(f for f, _ in DEMOS) == sorted(STORY)


# --- helpers ------------------------------------------------------------------------------------------------
def _open(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_text("Research use only").first).to_be_visible(timeout=60_000)
    wait_idle(page, TIMEOUT_MS)


def _select(page: Page, label: str | re.Pattern[str], option: str) -> None:
    """Choose ``option`` in the selectbox ``label``; open the list again if a rerun closed it."""
    box = page.get_by_role("combobox", name=label, exact=isinstance(label, str))
    item = page.get_by_role("option", name=option, exact=True)
    for _ in range(5):
        box.click()
        try:
            item.wait_for(timeout=15_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            wait_idle(page, TIMEOUT_MS)
    item.click()


def _no_errors(page: Page) -> None:
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)


def _choose_demo(page: Page, file: str, sample: str) -> None:
    """On the Patient page: pick the demo ``file`` (and ``sample`` of a multi-sample file); wait until read."""
    _select(page, "Demo patient (simulated)", _stem(file).replace("_", " "))
    if file == TRIO:
        wait_idle(page, TIMEOUT_MS)
        _select(page, re.compile(r"^Sample \(\d+ in this file\)"), sample)
    # this sample's own page: the previous patient's page stays on screen (idle, with its "Genome build:") until
    # the new run draws, and a click elsewhere before that would stop the read (no patient is then loaded)
    expect(page.get_by_test_id("stMain").get_by_text(sample, exact=True).first).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_text("Genome build:").first).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_role("button", name="Use these details")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    _no_errors(page)


def _go(page: Page, title: str) -> None:
    """Click the sidebar link ``title``; wait until the page is drawn and idle."""
    page.get_by_test_id("stSidebarNavLink").filter(has_text=title).click()
    _wait_page(page, title)


def _wait_page(page: Page, title: str) -> None:
    expect(page.get_by_role("heading", name=title, exact=True).first).to_be_visible(timeout=TIMEOUT_MS)
    ready = PAGES.get(title)
    if ready is not None:
        expect(page.get_by_text(ready, exact=True).first).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)


def _headings_and_titles(page: Page) -> list[tuple[str, str]]:
    """In document order: ("h3", text) for every subheader and ("strong", text) for bold text of the main area."""
    return [(tag, text.strip()) for tag, text in page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=stMain] h3, "
        "[data-testid=stMain] [data-testid=stMarkdownContainer] strong')]"
        ".map(e => [e.tagName.toLowerCase(), e.innerText])")]


def _key_section(page: Page) -> str:
    """The main area's text between the "Key findings" and "Risk estimates" subheaders."""
    text = page.get_by_test_id("stMain").inner_text()
    start = text.index(f"\n{TITLES[0]}\n") + len(TITLES[0]) + 2
    return text[start:text.index(f"\n{TITLES[1]}\n", start)].strip()


def _download(page: Page, kind: str, path: Path) -> Path:
    with page.expect_download(timeout=TIMEOUT_MS) as dl:
        page.get_by_role("button", name=f"Download {kind}").click()
    dl.value.save_as(path)
    return path


def _cli_json(file: str, sample: str | None, out: Path) -> str:
    cmd = [sys.executable, "-m", "genolens", "report", str(DEMO_DIR / file), "--absent", "reference",
           "--details", str(DEMO_DETAILS), "--date", dt.date.today().isoformat(), "--format", "json",
           "--out", str(out)]
    subprocess.run(cmd + (["--sample", sample] if sample else []), cwd=ROOT, check=True, timeout=600,
                   capture_output=True)
    return out.read_text(encoding="utf-8")


def _pct(p: float) -> str:
    """A probability as the report and the screens print it, one decimal (independent of genolens.present)."""
    return f"{p * 100:.1f}%"


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True,
                          timeout=120).stdout


# --- 1. section order and the story's finding first ---------------------------------------------------------
@pytest.mark.parametrize(("file", "sample"), DEMOS, ids=[_stem(f) for f, _ in DEMOS])
def test_report_sections_in_order_story_first(page: Page, artifacts_dir: Path, file: str, sample: str) -> None:
    blocked = block_outside(page)
    _open(page)
    _choose_demo(page, file, sample)
    _go(page, "Report")
    _no_errors(page)
    expect(page.get_by_test_id("stMain")).to_contain_text(f"{sample}")

    items = _headings_and_titles(page)
    h3 = [text for tag, text in items if tag == "h3"]
    assert [t for t in h3 if t in TITLES] == TITLES, h3
    assert h3[:len(TITLES) + 1] == [*TITLES, "Export"], f"a subheader out of the SECTIONS order: {h3}"

    section = _key_section(page)
    assert section, "the Key findings section is empty"
    assert "**" not in section, f"markdown marks shown as text (star alleles read as emphasis): {section[:800]}"
    # st.table reads cells as markdown: the two stars of this action must not turn into italics
    expect(page.get_by_test_id("stTable").first).to_contain_text("HLA-B*57:01 typing")
    first, anywhere = STORY[file]
    start = items.index(("h3", TITLES[0]))
    titles = [text for tag, text in items[start + 1:items.index(("h3", TITLES[1]))] if tag == "strong"]
    assert titles, f"no key finding under {TITLES[0]!r}: {section[:500]}"
    if first is not None:
        assert first in titles[0], f"first key finding is {titles[0]!r}, not about {first!r}; all: {titles}"
    for text in anywhere:
        assert text in section, f"{text!r} not in the Key findings section: {section[:800]}"
    screenshot(page, artifacts_dir / f"report_{_stem(file)}.png", TIMEOUT_MS)
    assert blocked == [], f"the page asked for something off this machine: {blocked}"


# --- 2. Patient page, Cohort drill-down and CLI: one report -------------------------------------------------
def test_patient_page_cohort_drill_down_and_cli_give_one_report(
        browser: Browser, base_url: str, tmp_path: Path) -> None:
    def fresh_page() -> Page:
        context = browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 900},
                                      accept_downloads=True)
        contexts.append(context)
        return context.new_page()

    contexts: list[Any] = []
    try:
        page_a = fresh_page()
        blocked_a = block_outside(page_a)
        _open(page_a)
        _choose_demo(page_a, TRIO, "CHILD")
        _go(page_a, "Report")
        _no_errors(page_a)
        route_a = _download(page_a, "JSON", tmp_path / "patient_page.json").read_text(encoding="utf-8")

        page_b = fresh_page()
        blocked_b = block_outside(page_b)
        _open(page_b)
        _go(page_b, "Cohort")
        _no_errors(page_b)
        page_b.get_by_role("button", name=re.compile(r"^Run the cohort job on ")).click()  # the demo trio
        expect(page_b.get_by_text("Drill down", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
        wait_idle(page_b, TIMEOUT_MS)
        _no_errors(page_b)
        _select(page_b, "A sample of the matrix", "CHILD")
        wait_idle(page_b, TIMEOUT_MS)
        page_b.get_by_role("button", name="Open report →").click()
        _wait_page(page_b, "Report")
        _no_errors(page_b)
        expect(page_b.get_by_test_id("stMain")).to_contain_text("CHILD")
        route_b = _download(page_b, "JSON", tmp_path / "cohort.json").read_text(encoding="utf-8")
        assert blocked_a == [] and blocked_b == [], (blocked_a, blocked_b)
    finally:
        for context in contexts:
            context.close()

    route_c = _cli_json(TRIO, "CHILD", tmp_path / "cli.json")
    assert json.loads(route_a)["header"]["sample"] == "CHILD"
    assert json.loads(route_a)["header"]["patient_id"] == "DEMO-TRIO-C"  # the stored details were used
    assert route_a == route_b, "Patient page and Cohort drill-down reports differ"
    assert route_a == route_c, "dashboard and CLI reports differ"


# --- 3. details entered on the Patient page: report, PDF and JSON agree -------------------------------------
@POPPLER
def test_details_change_report_pdf_and_json_alike(page: Page, tmp_path: Path) -> None:
    blocked = block_outside(page)
    _open(page)
    _choose_demo(page, "dpyd_2A_heterozygote.vcf.gz", "DEMO_DPYD")
    _go(page, "Report")
    stored = json.loads(_download(page, "JSON", tmp_path / "stored.json").read_text(encoding="utf-8"))
    assert stored["header"]["sex"] == "male" and stored["risk_cards"], stored["header"]

    def submit(sex: str, age: str | None = None) -> None:
        _go(page, "Patient")
        expect(page.get_by_role("button", name="Use these details")).to_be_visible(timeout=TIMEOUT_MS)
        _select(page, "Sex", sex)
        if age is not None:
            page.get_by_role("spinbutton", name="Age (years)").fill(age)
        page.get_by_role("button", name="Use these details").click()
        expect(page.get_by_text("Details in use for every page and the report.")).to_be_visible(timeout=TIMEOUT_MS)
        wait_idle(page, TIMEOUT_MS)
        _no_errors(page)
        _go(page, "Report")
        _no_errors(page)

    submit("not given")
    no_sex = json.loads(_download(page, "JSON", tmp_path / "no_sex.json").read_text(encoding="utf-8"))
    assert no_sex["risk_cards"] == []
    assert no_sex["not_computed"], "no model says why it made no estimate"
    assert all("sex" in entry["reason"] for entry in no_sex["not_computed"]), no_sex["not_computed"]
    expect(page.get_by_test_id("stMetric").filter(has_text="Model probability (no time horizon)")).to_have_count(0)

    submit("male", "80")
    older = json.loads(_download(page, "JSON", tmp_path / "older.json").read_text(encoding="utf-8"))
    assert older["header"]["age"] == "80 years" and older["header"]["sex"] == "male", older["header"]
    before = {c["output"]: c["probability"] for c in stored["risk_cards"]}
    after = {c["output"]: c["probability"] for c in older["risk_cards"]}
    wanted = {"y_coronary_artery_disease", "y_type_2_diabetes"}  # breast cancer: the model is for women only
    assert wanted == set(before) and wanted == set(after), (before, after)
    assert [n["bundle"] for n in older["not_computed"]] == ["breast_cancer"], older["not_computed"]
    for output in sorted(wanted):
        assert after[output] != before[output], f"{output}: age 80 left the probability at {before[output]}"

    text = _pdf_text(_download(page, "PDF", tmp_path / "older.pdf"))
    assert "80 years" in text, text[:1500]
    first = older["risk_cards"][0]
    at = text.index(first["title"], text.index(TITLES[1]))
    assert _pct(first["probability"]) in text[at:at + 400], (first["title"], _pct(first["probability"]),
                                                             text[at:at + 400])
    assert blocked == [], f"the page asked for something off this machine: {blocked}"


# --- 4. screenshots of every page and the PDF, for a person to look at --------------------------------------
@POPPLER
@pytest.mark.parametrize(("file", "sample"), [
    ("brca1_185delAG_carrier.vcf.gz", "DEMO_BRCA1"), ("tpmt_3A_heterozygote_phased.vcf.gz", "DEMO_TPMT"),
    (TRIO, "CHILD")], ids=["brca1", "tpmt", "trio_child"])
def test_screenshots_of_every_page_and_the_pdf(page: Page, artifacts_dir: Path, tmp_path: Path, file: str,
                                               sample: str) -> None:
    demo = {"brca1_185delAG_carrier.vcf.gz": "brca1", "tpmt_3A_heterozygote_phased.vcf.gz": "tpmt"}.get(
        file, "trio_child")
    blocked = block_outside(page)
    _open(page)
    _choose_demo(page, file, sample)
    screenshot(page, artifacts_dir / f"pages_{demo}_patient.png", TIMEOUT_MS)
    for title in PAGES:
        _go(page, title)
        _no_errors(page)
        screenshot(page, artifacts_dir / f"pages_{demo}_{title.lower()}.png", TIMEOUT_MS)
        if title == "Report":
            pdf = _download(page, "PDF", tmp_path / f"{demo}.pdf")
            assert pdf.read_bytes()[:5] == b"%PDF-"
    for old in artifacts_dir.glob(f"pdf_{demo}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(artifacts_dir / f"pdf_{demo}")], check=True,
                   timeout=120)
    pngs = sorted(artifacts_dir.glob(f"pdf_{demo}-*.png"))
    assert pngs and all(p.stat().st_size > 3_000 for p in pngs), pngs
    assert blocked == [], f"the page asked for something off this machine: {blocked}"


_WARFARIN = "warfarin_sensitive_vkorc1_cyp2c9.vcf.gz"
_DOSE_LINE = re.compile(r"real\s+IWPC\s+patients\s+\(target\s+INR\s+2-3\):\s+(\d+\.\d)\s+mg/week")


def _page_dose(page: Page, label: str = "Model dose") -> float:
    value = page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")
    expect(value).to_have_text(re.compile(r"^\d+(\.\d)? mg/week$"), timeout=TIMEOUT_MS)
    return float(value.inner_text().split()[0])


@POPPLER
def test_warfarin_sensitive_genotypes_get_a_lower_dose_on_the_page_and_in_the_pdf(
        page: Page, artifacts_dir: Path, tmp_path: Path) -> None:
    """DEMO_WARFARIN (VKORC1 A/A, CYP2C9 *1/*3) and the trio's FATHER (G/G, *1/*1) with the same details (67
    years, 170 cm, 80 kg, White, no amiodarone, no enzyme inducer): a lower dose on the Treatment page and in
    the PDF; the what-if G/G + *1/*1 on DEMO_WARFARIN gives the FATHER's dose."""
    blocked = block_outside(page)
    _open(page)
    on_page: dict[str, float] = {}
    in_pdf: dict[str, float] = {}
    for file, sample in ((TRIO, "FATHER"), (_WARFARIN, "DEMO_WARFARIN")):
        _go(page, "Patient")
        _choose_demo(page, file, sample)
        if sample == "FATHER":  # the same details as DEMO_WARFARIN's (data/demo/details.toml)
            # the FATHER's own form (not the first sample's, still on screen while the sample choice reruns)
            expect(page.get_by_role("textbox", name="Patient identifier")).to_have_value("DEMO-TRIO-F",
                                                                                     timeout=TIMEOUT_MS)
            _select(page, "Race (OMB group)", "White")
            _select(page, "Taking amiodarone", "no")
            _select(page, re.compile(r"^Taking an enzyme inducer"), "no")
            for name, value in (("Age (years)", "67"), ("Height (cm)", "170"), ("Weight (kg)", "80")):
                box = page.get_by_role("spinbutton", name=name)
                box.fill(value)
                expect(box).to_have_value(value, timeout=TIMEOUT_MS)  # a rerun while typing would drop a digit
            page.get_by_role("button", name="Use these details").click()
            in_use = page.get_by_text(re.compile(r"^In use: "))
            for words in ("White", "67 years", "height: 170 cm", "weight: 80 kg", "taking amiodarone: no"):
                expect(in_use).to_contain_text(words, timeout=TIMEOUT_MS)
            wait_idle(page, TIMEOUT_MS)
        _go(page, "Treatment")
        _select(page, "Drug", "Warfarin")
        wait_idle(page, TIMEOUT_MS)
        coded = {"FATHER": "CYP2C9 *1/*1, VKORC1 G/G", "DEMO_WARFARIN": "CYP2C9 *1/*3, VKORC1 A/A"}[sample]
        expect(page.get_by_text(f"genotypes as coded: {coded}", exact=False)).to_be_visible(timeout=TIMEOUT_MS)
        on_page[sample] = _page_dose(page)
        _no_errors(page)
        screenshot(page, artifacts_dir / f"treatment_warfarin_{sample.lower()}.png", TIMEOUT_MS)
        if sample == "DEMO_WARFARIN":  # the what-if: the genotypes of the FATHER
            page.get_by_text("What if VKORC1 or CYP2C9 were different?").click()
            _select(page, re.compile(r"^VKORC1 -1639G>A"), "G/G")
            _select(page, re.compile(r"^CYP2C9 \(\*2"), "*1/*1")
            what_if = page.get_by_test_id("stMetric").filter(has_text="What-if dose").get_by_test_id("stMetricValue")
            expect(what_if).to_have_text(f"{on_page['FATHER']:.1f} mg/week", timeout=TIMEOUT_MS)
            wait_idle(page, TIMEOUT_MS)
            screenshot(page, artifacts_dir / "treatment_warfarin_what_if.png", TIMEOUT_MS)
        _go(page, "Report")
        text = _pdf_text(_download(page, "PDF", tmp_path / f"{sample}.pdf"))
        found = _DOSE_LINE.search(text)
        assert found, f"no warfarin dose line in the PDF of {sample}: {text[:2000]}"
        in_pdf[sample] = float(found.group(1))
    assert on_page["DEMO_WARFARIN"] < on_page["FATHER"], on_page
    assert in_pdf["DEMO_WARFARIN"] < in_pdf["FATHER"], in_pdf
    assert in_pdf == {s: on_page[s] for s in in_pdf}, (in_pdf, on_page)  # one number on the page and in the PDF
    assert blocked == [], blocked
