"""End-to-end user flows in Debian Chromium, each with every request off 127.0.0.1 blocked.

* clinician: demo patient -> Report (risk cards, drug table, findings) -> PDF download, rendered and read back;
* researcher: Explorer, switch method and baseline, the numbers on screen change;
* two browser contexts with two demo patients never see each other's data;
* a malformed upload shows a clear error and the app stays usable.

Screenshots of every page go to ``artifacts/flow_*.png`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser import block_outside, screenshot, wait_idle

ROOT = Path(__file__).resolve().parents[2]
MALFORMED = ROOT / "tests" / "data" / "malformed_upload.vcf"
TIMEOUT_MS = 120_000  # first torch import, model loading and explanations on a 2-core machine
DISEASES = ("Breast cancer", "Coronary artery disease", "Type 2 diabetes")
DEMO_SAMPLES = ("DEMO_DPYD", "DEMO_BRCA1", "DEMO_CYP2C19", "DEMO_TPMT", "DEMO_PRS_HIGH")

pytestmark = pytest.mark.e2e


# --- helpers ------------------------------------------------------------------------------------------------




def _open(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_text("Research use only")).to_be_visible(timeout=30_000)
    wait_idle(page, TIMEOUT_MS)  # before the first click, or the pre-navigation page list is still showing


def _select(page: Page, label: str, option: str) -> None:
    """Choose ``option`` in the selectbox labelled ``label`` (its input carries the label as aria-label)."""
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def _choose_demo(page: Page, name: str, sample: str) -> None:
    """On the Patient page: pick the demo patient ``name`` and wait until ``sample`` is read."""
    _select(page, "Demo patient (simulated)", name)
    expect(page.get_by_text("Genome build: GRCh38")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("stMain").get_by_text(sample, exact=True)).to_be_visible()
    wait_idle(page, TIMEOUT_MS)


def _go(page: Page, title: str, ready: str) -> None:
    """Click the sidebar link ``title``; wait for the text ``ready`` and then for idle."""
    page.get_by_test_id("stSidebarNavLink").filter(has_text=title).click()
    expect(page.get_by_role("heading", name=title, exact=True).first).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_text(ready, exact=True).first).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)


def _main_text(page: Page) -> str:
    return page.get_by_test_id("stMain").inner_text()


def _no_errors(page: Page) -> None:
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)


def _metric(page: Page, label: str) -> str:
    """The value of the ``st.metric`` whose label is exactly ``label``."""
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True))
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


# --- flows --------------------------------------------------------------------------------------------------
@pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("pdftotext")),
                    reason="pdftoppm/pdftotext are absent: apt-get install poppler-utils")
def test_clinician_flow(page: Page, artifacts_dir: Path) -> None:
    """Demo patient -> Report with every card -> PDF download that renders and holds the summary."""
    blocked = block_outside(page)
    _open(page)
    _choose_demo(page, "dpyd 2A heterozygote", "DEMO_DPYD")
    _no_errors(page)
    # lazy panel tabs: one match log is built, the open tab's; a click on another builds that one instead
    expect(page.get_by_role("tab")).to_have_count(5)  # four model panels and PharmCAT's allele-defining positions
    expect(page.get_by_test_id("stDataFrame")).to_have_count(1)
    usable = page.get_by_text(re.compile(r"^\d+ of \d+ sites usable$"))  # the open panel's progress bar text
    expect(usable).to_have_count(1)
    first = usable.inner_text()
    pgx = page.get_by_role("tab").filter(has_text="Pharmacogenomics")
    pgx.click()
    expect(pgx).to_have_attribute("aria-selected", "true")
    total = first.split(" of ")[1].split()[0]  # the pharmacogenomics panel has another number of sites
    other = page.get_by_text(re.compile(rf"^\d+ of (?!{total} )\d+ sites usable$"))
    expect(other).to_be_visible(timeout=TIMEOUT_MS)  # (the old tab's text may linger while the new one draws)
    wait_idle(page, TIMEOUT_MS)
    expect(usable).to_have_count(1)
    expect(usable).not_to_have_text(first)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(1)
    screenshot(page, artifacts_dir / "flow_patient.png", TIMEOUT_MS)

    _go(page, "Report", "Inherited variants tested")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("Patient DEMO_DPYD from dpyd_2A_heterozygote.vcf.gz", exact=False)).to_be_visible()
    for disease in DISEASES[1:]:  # one risk card per disease meant for him, each with its estimate
        card = page.get_by_test_id("stColumn").filter(has_text=disease).filter(has_text="Model probability of")
        expect(card).to_have_count(1)
        expect(card.get_by_test_id("stMetricValue")).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
    # a man: no breast-cancer card (the model is for women), and the report says why
    expect(page.get_by_test_id("stMetric").filter(has_text="Model probability (no time horizon)")).to_have_count(2)
    expect(main).to_contain_text("this model is meant for female patients only; the patient is male")
    drugs = page.get_by_test_id("stTable").first  # the drug table comes before the details table
    expect(drugs).to_contain_text("Fluoropyrimidines")
    expect(drugs).to_contain_text("DPYD Intermediate Metabolizer")  # the demo's story: *2A heterozygote
    expect(drugs).to_contain_text("Clopidogrel")
    expect(main).to_contain_text("panel variants")  # the findings expander's label
    expect(page.get_by_role("button", name="Download PDF")).to_be_enabled()
    _no_errors(page)
    screenshot(page, artifacts_dir / "flow_report.png", TIMEOUT_MS)

    with page.expect_download(timeout=TIMEOUT_MS) as dl:
        page.get_by_role("button", name="Download PDF").click()
    download = dl.value
    assert download.suggested_filename == "genolens_DEMO_DPYD.pdf"
    pdf = artifacts_dir / "flow_report.pdf"
    download.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    for old in artifacts_dir.glob("flow_report_pdf-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(artifacts_dir / "flow_report_pdf")],
                   check=True, timeout=60)
    pngs = sorted(artifacts_dir.glob("flow_report_pdf-*.png"))
    assert pngs and all(p.stat().st_size > 5_000 for p in pngs), pngs
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True,
                          timeout=60).stdout
    for expected in ("GenoLens patient report", "DEMO_DPYD", "Risk estimates", *DISEASES[1:], "Drug table",
                     "Fluoropyrimidines", "Clopidogrel", "Research use only"):
        assert expected in text, f"{expected!r} missing from the PDF text"
    assert "DEMO_BRCA1" not in text

    # the rest of the clinician's pages, for screenshots (each renders without error)
    _go(page, "Risk", "Ledger")
    _no_errors(page)
    screenshot(page, artifacts_dir / "flow_risk.png", TIMEOUT_MS)
    _go(page, "Treatment", "Why the model says so")
    _no_errors(page)
    screenshot(page, artifacts_dir / "flow_treatment.png", TIMEOUT_MS)

    assert blocked == [], f"the page asked for something off this machine: {blocked}"


def test_researcher_flow(page: Page, artifacts_dir: Path) -> None:
    """Explorer: switching method and baseline changes what is shown (parameters, f(baseline), residual)."""
    blocked = block_outside(page)
    _open(page)
    _choose_demo(page, "brca1 185delAG carrier", "DEMO_BRCA1")
    _go(page, "Explorer", "Completeness")
    _no_errors(page)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(2, timeout=TIMEOUT_MS)  # agreement + deletion
    caption = page.get_by_test_id("stCaptionContainer").filter(has_text="Parameters:")

    def snapshot() -> dict[str, str]:
        return {"caption": caption.inner_text(), "f_baseline": _metric(page, "f(baseline)"),
                "sum": _metric(page, "Sum of contributions"), "f_patient": _metric(page, "f(patient)"),
                "table": page.get_by_test_id("stDataFrame").last.inner_text()[:2000]}

    before = snapshot()
    screenshot(page, artifacts_dir / "flow_explorer.png", TIMEOUT_MS)

    _select(page, "Method", "Input × Gradient")
    expect(page.get_by_role("combobox", name="Method", exact=True)).to_have_value("Input × Gradient")
    expect(caption).not_to_have_text(before["caption"], timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    _no_errors(page)
    after_method = snapshot()
    assert after_method["f_patient"] == before["f_patient"]  # same model, same patient
    assert after_method["caption"] != before["caption"], after_method

    _select(page, "Compared with", "All-reference genotype (the reference-build allele at every variant)")
    expect(page.get_by_test_id("stMetric").filter(has_text="f(baseline)").get_by_test_id("stMetricValue")) \
        .not_to_have_text(before["f_baseline"], timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    _no_errors(page)
    after_baseline = snapshot()
    assert after_baseline["f_baseline"] != after_method["f_baseline"], (after_method, after_baseline)
    assert after_baseline["sum"] != after_method["sum"], (after_method, after_baseline)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(2)
    screenshot(page, artifacts_dir / "flow_explorer_switched.png", TIMEOUT_MS)

    # the research pages that need no patient choice, for screenshots
    _go(page, "Cohort", "Multi-sample VCF")
    page.get_by_role("button", name=re.compile(r"^Run the cohort job on ")).click()  # the demo trio, in a job
    expect(page.get_by_text("Drill down", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    _no_errors(page)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(3)  # histogram, gene matrix, top-decile drivers
    screenshot(page, artifacts_dir / "flow_cohort.png", TIMEOUT_MS)
    _go(page, "Models", "Models")
    expect(page.get_by_role("tab")).to_have_count(5)  # + the warfarin dose card
    expect(page.get_by_text("Explanations checked against the simulated truth").first).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(2)  # the open card's ROC and calibration only
    _no_errors(page)
    screenshot(page, artifacts_dir / "flow_models.png", TIMEOUT_MS)

    assert blocked == [], f"the page asked for something off this machine: {blocked}"


def test_two_sessions_never_share_a_patient(browser: Browser, base_url: str, artifacts_dir: Path) -> None:
    """Two browser contexts, two demo patients, interleaved: each Patient and Report page shows only its own."""
    people = {"DEMO_DPYD": "dpyd 2A heterozygote", "DEMO_BRCA1": "brca1 185delAG carrier"}
    contexts = {s: browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 900})
                for s in people}
    try:
        blocked = {s: block_outside(c) for s, c in contexts.items()}
        pages = {s: c.new_page() for s, c in contexts.items()}
        for page in pages.values():
            _open(page)
        for sample, name in people.items():  # both loaded before either looks at a report
            _choose_demo(pages[sample], name, sample)
        for sample, page in pages.items():
            others = [s for s in DEMO_SAMPLES if s != sample]
            text = _main_text(page)
            assert sample in text and not any(o in text for o in others), (sample, text[:500])
            _go(page, "Report", "Inherited variants tested")
            expect(page.get_by_test_id("stMain")).to_contain_text(f"Patient {sample} from")
            text = _main_text(page)
            assert not any(o in text for o in others), (sample, [o for o in others if o in text])
            screenshot(page, artifacts_dir / f"flow_session_{sample}.png", TIMEOUT_MS)
        # after both reports were drawn, each session's Risk page is still about its own patient
        for sample, page in pages.items():
            _go(page, "Risk", "Ledger")
            expect(page.get_by_test_id("stMain")).to_contain_text(f"Patient {sample} from")
            assert not any(o in _main_text(page) for o in DEMO_SAMPLES if o != sample)
        for sample in people:
            assert blocked[sample] == [], f"session {sample} asked for something off this machine: {blocked[sample]}"
    finally:
        for c in contexts.values():
            c.close()


def test_malformed_upload_then_demo(page: Page, artifacts_dir: Path) -> None:
    """A malformed VCF shows a plain error, no traceback; then a demo patient loads and reports."""
    blocked = block_outside(page)
    _open(page)
    page.get_by_test_id("stRadio").get_by_text("Upload a file").click()
    uploader = page.get_by_test_id("stFileUploaderDropzoneInput")
    expect(uploader).to_have_count(1, timeout=30_000)
    uploader.set_input_files(MALFORMED)
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_contain_text("This file cannot be read.", timeout=TIMEOUT_MS)
    expect(error).to_contain_text("malformed_upload.vcf")
    expect(page.get_by_text("Traceback")).to_have_count(0)
    expect(page.get_by_text("internal error")).to_have_count(0)
    expect(page.get_by_text("Genome build:")).to_have_count(0)
    wait_idle(page, TIMEOUT_MS)
    screenshot(page, artifacts_dir / "flow_upload_error.png", TIMEOUT_MS)

    # the failed read leaves no patient behind: the Report says so instead of showing stale data
    _go(page, "Report", "Report")
    expect(page.get_by_text("No patient is loaded")).to_be_visible()
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Patient").click()
    expect(page.get_by_test_id("stRadio")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)

    page.get_by_test_id("stRadio").get_by_text("Demo patient").click()
    expect(page.get_by_role("combobox", name="Demo patient (simulated)", exact=True)).to_be_visible(
        timeout=30_000)
    wait_idle(page, TIMEOUT_MS)
    _choose_demo(page, "cyp2c19 2 2", "DEMO_CYP2C19")
    _no_errors(page)
    _go(page, "Report", "Inherited variants tested")
    expect(page.get_by_test_id("stMain")).to_contain_text("Patient DEMO_CYP2C19 from")
    expect(page.get_by_test_id("stTable").first).to_contain_text("Clopidogrel")
    _no_errors(page)

    assert blocked == [], f"the page asked for something off this machine: {blocked}"


def test_patient_survives_a_visit_to_the_patient_page(page: Page) -> None:
    """Patient -> Report -> Patient -> Report keeps the patient that was loaded."""
    blocked = block_outside(page)
    _open(page)
    _choose_demo(page, "cyp2c19 2 2", "DEMO_CYP2C19")
    _go(page, "Report", "Inherited variants tested")
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Patient").click()
    expect(page.get_by_role("heading", name="Patient", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)
    assert blocked == []
    expect(page.get_by_role("combobox", name="Demo patient (simulated)", exact=True)).to_have_value(
        "cyp2c19 2 2", timeout=5_000)
    _go(page, "Report", "Report")
    expect(page.get_by_test_id("stMain")).to_contain_text("Patient DEMO_CYP2C19 from", timeout=5_000)
