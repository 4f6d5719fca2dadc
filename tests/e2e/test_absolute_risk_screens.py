"""Breast-cancer risk by age in Debian Chromium: the BRCA1 carrier, and one woman without a high-risk variant aged
40 and 60 (her age changed on the Patient page). The Report page, the Risk page and the PDF say the risk of a
diagnosis between two ages beside the typical woman of that age; screenshots go into ``artifacts/`` (git-ignored)
for a person to read.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import block_outside, screenshot, wait_idle
from tests.e2e.test_report_order import (
    POPPLER,
    TIMEOUT_MS,
    _choose_demo,
    _download,
    _go,
    _no_errors,
    _open,
    _select,
)

pytestmark = pytest.mark.e2e

CASES = [("brca1", "brca1_185delAG_carrier.vcf.gz", "DEMO_BRCA1", None),
         ("woman40", "tpmt_3A_heterozygote_phased.vcf.gz", "DEMO_TPMT", 40),
         ("woman60", "tpmt_3A_heterozygote_phased.vcf.gz", "DEMO_TPMT", 60)]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _card_page(pdf: Path, words: str) -> int:
    """The first PDF page whose text holds ``words`` (whitespace-normalised)."""
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                                                            text=True, timeout=60).stdout).group(1))  # type: ignore[union-attr]
    for n in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(pdf), "-"], check=True,
                              capture_output=True, text=True, timeout=60).stdout
        if words in _flat(text):
            return n
    raise AssertionError(f"no PDF page says {words!r}")


@POPPLER
@pytest.mark.parametrize(("name", "file", "sample", "age"), CASES, ids=[c[0] for c in CASES])
def test_breast_risk_by_age_on_the_report_the_risk_page_and_the_pdf(
        page: Page, artifacts_dir: Path, tmp_path: Path, name: str, file: str, sample: str, age: int | None) -> None:
    blocked = block_outside(page)
    _open(page)
    _choose_demo(page, file, sample)
    if age is not None:
        page.get_by_role("spinbutton", name="Age (years)").fill(str(age))
        page.get_by_role("button", name="Use these details").click()
        expect(page.get_by_text("Details in use for every page and the report.")).to_be_visible(timeout=TIMEOUT_MS)
        wait_idle(page, TIMEOUT_MS)
    a = 38 if age is None else age  # DEMO_BRCA1 is 38 in data/demo/details.toml
    ten, life = (f"Risk of a diagnosis of breast cancer between age {a} and {end}: " for end in (a + 10, 80))

    _go(page, "Report")
    _no_errors(page)
    main = page.get_by_test_id("stMain")
    expect(page.get_by_test_id("stMetric").filter(has_text=f"Risk of diagnosis, age {a} to {a + 10}")).to_have_count(1)
    for words in (ten, life, f"(typical woman aged {a}: ", "the risk of a typical woman this age",
                  f"the median woman aged {a} in the reference population of US women",
                  "Model probability of coronary artery disease in the simulated population"):
        expect(main).to_contain_text(words)
    screenshot(page, artifacts_dir / f"absrisk_{name}_report.png", TIMEOUT_MS)
    pdf = _download(page, "PDF", tmp_path / f"{name}.pdf")
    n = _card_page(pdf, life.strip())
    for old in artifacts_dir.glob(f"absrisk_{name}_pdf-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(n), "-l", str(n), str(pdf),
                    str(artifacts_dir / f"absrisk_{name}_pdf")], check=True, timeout=120)
    assert list(artifacts_dir.glob(f"absrisk_{name}_pdf-*.png"))

    _go(page, "Risk")
    _select(page, "Model output", "Breast cancer")
    wait_idle(page, TIMEOUT_MS)
    _no_errors(page)
    metric = page.get_by_test_id("stMetric").filter(has_text=f"between age {a} and {a + 10}")
    expect(metric.get_by_test_id("stMetricValue")).to_have_text(re.compile(r"^\d+(\.\d+)?%$"), timeout=TIMEOUT_MS)
    expect(main).to_contain_text(life)
    expect(main).to_contain_text("Comparison points differ: the absolute risks compare with the median woman")
    screenshot(page, artifacts_dir / f"absrisk_{name}_risk.png", TIMEOUT_MS)
    assert blocked == [], f"the page asked for something off this machine: {blocked}"
