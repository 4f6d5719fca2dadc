"""Report exports: self-contained HTML, PDF that renders, JSON identical across runs and rebuildable."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from genolens.cli import main
from genolens.datamodel.clinical import PatientDetails
from genolens.genome.patient import read_patient
from genolens.modeling.bundle import bundle_paths
from genolens.present.report import render_html, render_json, render_pdf, summary_from_json, waterfall_svg
from genolens.present.summary import SECTIONS, LedgerLine, ReportSummary
from genolens.workflows import patient_report
from tests.factories import ROOT

DEMO = ROOT / "data" / "demo"
CYP2C19 = DEMO / "cyp2c19_2_2.vcf.gz"


def summary_of(path: Path) -> ReportSummary:
    return patient_report(read_patient(path, qc_records=2_000), ()).summary


@pytest.fixture(scope="module")
def summary() -> ReportSummary:
    return summary_of(CYP2C19)


def test_json_is_identical_across_runs_and_carries_the_input_hash(summary: ReportSummary) -> None:
    first, second = render_json(summary), render_json(summary_of(CYP2C19))
    assert first == second
    record = json.loads(first)
    assert record["provenance"]["sha256"] == hashlib.sha256(CYP2C19.read_bytes()).hexdigest()
    assert record["provenance"]["file"] == "cyp2c19_2_2.vcf.gz" and record["schema"] == "genolens.report/1"
    assert list(record) == sorted(record)
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", first)  # no timestamp


def test_json_rebuilds_the_same_report(summary: ReportSummary) -> None:
    rebuilt = summary_from_json(render_json(summary))
    assert rebuilt == summary
    assert render_html(rebuilt) == render_html(summary)


def test_html_is_self_contained_and_says_research_use(summary: ReportSummary) -> None:
    html = render_html(summary)
    assert "http://" not in html and "https://" not in html  # no src/href, no namespace URL, nothing
    assert not re.search(r"""(src|href)\s*=\s*["']?(?!#|data:)""", html)
    assert "Research use only" in html and "trained on simulated cohorts" in html
    headings = [html.index(f'<section id="{sid}"><h2>{title}</h2>') for sid, title in SECTIONS]
    assert headings == sorted(headings)  # key findings first, in the order of SECTIONS
    assert "CYP2C19 Poor Metabolizer (*2/*2)" in html and "■ Avoid / alternative" in html


def test_waterfall_ends_at_the_total_and_labels_every_bar() -> None:
    rows = [LedgerLine("BRCA1 (2 variants)", 2.0, "", ""), LedgerLine("Age", -0.5, "", "")]
    svg = waterfall_svg(rows, 1.75)
    assert [t for t in ("BRCA1 (2 variants)", "Age", "All other inputs") if t in svg] == [
        "BRCA1 (2 variants)", "Age", "All other inputs"]
    assert "+2.00" in svg and "-0.50" in svg and "+0.25" in svg  # the rest: 1.75 - (2.0 - 0.5)


@pytest.mark.skipif(shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
                    reason="poppler-utils (pdftoppm, pdftotext) not installed")
def test_pdf_renders_with_the_summary_text(summary: ReportSummary, tmp_path: Path) -> None:
    pytest.importorskip("weasyprint", reason="WeasyPrint not installed: PDF export unavailable")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render_pdf(summary))
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=60)
    page = next(tmp_path.glob("page*.png"))
    assert page.stat().st_size > 20_000
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True,
                          timeout=60).stdout
    assert text.index("Key findings") < text.index("Risk estimates") < text.index("Drug table")
    assert "Clopidogrel" in text
    assert "Poor Metabolizer" in text and "Research use only" in text
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=False).stdout
    match = re.search(r"Pages:\s+(\d+)", pages)
    assert match is None or 1 <= int(match.group(1)) <= 3


def test_cli_writes_the_json_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("genolens.modeling.bundle.load_bundles", lambda: ())  # guideline-only, fast
    out = tmp_path / "r.json"
    assert main(["report", str(CYP2C19), "--format", "json", "--out", str(out), "--qc-records", "2000"]) == 0
    assert "wrote json report" in capsys.readouterr().out
    assert json.loads(out.read_text())["provenance"]["sample"] == "DEMO_CYP2C19"


def test_cli_reports_an_unwritable_path_as_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("genolens.modeling.bundle.load_bundles", lambda: ())
    bad = tmp_path / "missing-dir" / "r.html"
    assert main(["report", str(CYP2C19), "--format", "html", "--out", str(bad), "--qc-records", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Cannot write the report") and "Traceback" not in err


@pytest.mark.skipif(not any(p.parent.name == "breast_cancer" for p in bundle_paths()),
                    reason="models/breast_cancer not trained (run make models)")
def test_json_with_an_explained_model_is_identical_across_runs() -> None:
    from genolens.modeling.bundle import load_bundle

    bundle = load_bundle(next(p for p in bundle_paths() if p.parent.name == "breast_cancer"))
    path = DEMO / "brca1_185delAG_carrier.vcf.gz"
    details = PatientDetails(sex="female", values={"age": 38.0})
    runs = [render_json(patient_report(read_patient(path, qc_records=0), (bundle,), details=details).summary)
            for _ in range(2)]
    assert runs[0] == runs[1]
    record = json.loads(runs[0])
    assert record["risk_cards"][0]["top_rows"][0]["label"].startswith("BRCA1")
    assert record["provenance"]["bundles"][0]["weights_sha256"] == bundle.card["provenance"]["weights_sha256"]


def test_the_report_carries_the_warfarin_dose_line_of_the_real_patient_model() -> None:
    from genolens.datamodel.clinical import read_details
    from genolens.workflows import installed_dose_bundle, warfarin_dose

    dose = installed_dose_bundle()
    if dose is None:
        pytest.skip("no warfarin dose bundle installed")
    path, day = DEMO / "brca1_185delAG_carrier.vcf.gz", dt.date(2026, 12, 3)
    patient = read_patient(path, absent="reference", qc_records=0)
    details = read_details(DEMO / "details.toml", "DEMO_BRCA1")  # White, 38 years, 168 cm, 63 kg
    s = patient_report(patient, (), details=details, report_date=day, dose_bundle=dose).summary
    alone = warfarin_dose(patient, details, on=day, bundle_dir=dose, explain=False)
    assert s.warfarin is not None and s.warfarin.dose_mg_per_week == alone.dose_mg_per_week is not None
    assert s.warfarin.iwpc_mg_per_week == alone.iwpc_algorithm_mg_per_week and not s.warfarin.missing
    html = render_html(s)
    assert f"{alone.dose_mg_per_week:.1f} mg/week" in html and "real IWPC patients" in html
    assert summary_from_json(render_json(s)) == s
    no_race = patient_report(patient, (), details=PatientDetails(sex="female", values={"age": 38.0}),
                             report_date=day, dose_bundle=dose).summary
    assert no_race.warfarin is not None and no_race.warfarin.dose_mg_per_week is None
    assert any("race" in m for m in no_race.warfarin.missing) and "not computed" in render_html(no_race)
    assert patient_report(patient, (), details=details, report_date=day).summary.warfarin is None


def test_the_warfarin_key_finding_carries_the_dose_and_the_details_name_the_dose_model() -> None:
    from genolens.datamodel.clinical import read_details
    from genolens.workflows import installed_dose_bundle, warfarin_dose

    dose = installed_dose_bundle()
    if dose is None:
        pytest.skip("no warfarin dose bundle installed")
    path, day = DEMO / "warfarin_sensitive_vkorc1_cyp2c9.vcf.gz", dt.date(2026, 12, 4)
    patient = read_patient(path, absent="reference", qc_records=0)
    details = read_details(DEMO / "details.toml", "DEMO_WARFARIN")  # White, 67 years, 170 cm, 80 kg
    s = patient_report(patient, (), details=details, report_date=day, dose_bundle=dose).summary
    alone = warfarin_dose(patient, details, on=day, bundle_dir=dose, explain=False)
    assert alone.dose_mg_per_week is not None and alone.iwpc_algorithm_mg_per_week is not None
    first = s.key_findings[0]  # the reason names warfarin, and VKORC1 A/A + CYP2C9 *1/*3 changes the dose
    assert first.kind == "drug" and first.title.startswith("Warfarin")
    assert f"{alone.dose_mg_per_week:.1f} mg/week" in first.action
    assert f"IWPC algorithm {alone.iwpc_algorithm_mg_per_week:.1f} mg/week" in first.action
    readers = {line.label: line.used_by for line in s.details}
    for label in ("Race (OMB group)", "Age"):
        assert "warfarin dose model" in readers[label]
    without = patient_report(patient, (), details=details, report_date=day).summary
    assert "mg/week" not in without.key_findings[0].action
    assert "warfarin dose model" not in {line.label: line.used_by for line in without.details}["Race (OMB group)"]
