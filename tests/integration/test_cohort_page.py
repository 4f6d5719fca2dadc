"""AppTest of the Cohort page on a real small results folder in the server's results root (GENOLENS_RESULTS_DIR):
the views, server-side sorting and filtering, drill-down to a sample's rows, refusals, and the root's boundary."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from genolens.cohort import run_cohort_job
from genolens.genome.panel import load_panel
from tests.factories import ROOT, shown, simulated_cohort_vcf, small_bundle

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results root holding a real job's folder (``tiny``), a copy still ``running``, and a link to a folder
    outside the root (``elsewhere``), which the page must not offer."""
    work = tmp_path_factory.mktemp("cohort_page")
    bundle, _ = small_bundle(work)
    panel = load_panel("tiny", directory=work / "panels")
    vcf = simulated_cohort_vcf(work / "cohort.vcf", panel, 60, seed=5)
    top = work / "results"
    run_cohort_job(vcf, top / "tiny", bundles=[bundle], panel_dir=work / "panels", chunk_size=25)
    shutil.copytree(top / "tiny", top / "running")
    manifest = json.loads((top / "running" / "manifest.json").read_text())
    (top / "running" / "manifest.json").write_text(json.dumps({**manifest, "status": "running"}))
    shutil.copytree(top / "tiny", work / "outside")
    (top / "elsewhere").symlink_to(work / "outside")
    return top


def _page(root: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("GENOLENS_RESULTS_DIR", str(root))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/cohort.py").run()
    assert not at.exception
    return at


def _text(elements: object) -> str:
    return shown("\n".join(str(e.value) for e in elements))  # type: ignore[attr-defined]


def test_the_page_reads_a_results_folder_and_drills_down(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(root, monkeypatch)
    assert at.radio(key="cohort_mode").value == "Results folder on this server"
    assert at.selectbox(key="cohort_results").options == ["running", "tiny"]  # not the link out
    at.selectbox(key="cohort_results").set_value(root / "tiny").run()
    assert not at.exception and not at.error, _text(at.error)
    captions = _text(at.caption)
    assert "60 samples" in captions and "ancestry from the 1000 Genomes markers: not assigned 60" in captions
    assert len(at.get("plotly_chart")) == 3  # histogram, gene matrix, top-decile drivers
    assert "60 of 60 matching samples" in captions

    at.selectbox(key="cohort_sort").set_value("gene").run()
    assert "Choose the gene to sort by." in _text(at.info)
    gene = at.selectbox(key="cohort_gene").options[1]
    at.selectbox(key="cohort_gene").set_value(gene).run()
    assert not at.exception and not at.error
    at.slider(key="cohort_risk").set_value((0.999, 1.0)).run()
    assert "No sample's predicted risk lies in that range." in _text(at.info)
    at.slider(key="cohort_risk").set_value((0.0, 1.0)).run()

    sample = at.selectbox(key="cohort_sample").options[0]
    assert len(at.selectbox(key="cohort_sample").options) == 60
    at.selectbox(key="cohort_sample").set_value(sample).run()
    assert not at.exception and not at.error
    assert "is not on this server, so the full report cannot be opened" in _text(at.caption)
    assert len(at.dataframe) == 2  # the quantiles and this sample's rows
    at.text_input(key="cohort_sample_name").set_value("nobody").run()
    assert "No sample of that name in these results." in _text(at.warning)


def test_a_job_run_with_a_reference_fasta_says_what_it_found(root: Path, monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    other = tmp_path / "results"
    shutil.copytree(root / "tiny", other / "fasta")
    manifest = json.loads((other / "fasta" / "manifest.json").read_text())
    manifest["reference"] = {"fasta": "GRCh38.fa", "build": "GRCh38", "evidence": "sequence lengths",
                             "sites_compared": 19, "panel_refs_supplied": 1, "indel_records_left_aligned": 2,
                             "ref_mismatches": [{"chrom": "1", "pos": 10100, "file_ref": "G", "fasta_ref": "C",
                                                 "variants": ["rs2"]}]}
    (other / "fasta" / "manifest.json").write_text(json.dumps(manifest))
    at = _page(other, monkeypatch)
    at.selectbox(key="cohort_results").set_value(other / "fasta").run()
    assert not at.exception and not at.error, _text(at.error)
    assert ("Reference FASTA GRCh38.fa (GRCh38): REFs compared at 19 panel sites, 1 panel REFs supplied, 2 indel "
            "records left-aligned before matching.") in _text(at.caption)
    warning = _text(at.warning)
    assert "1 of 19 panel sites show a REF that differs from the reference FASTA (1:10100 G (FASTA C))" in warning


def test_a_running_job_is_refused_with_its_reason(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(root, monkeypatch)
    at.selectbox(key="cohort_results").set_value(root / "running").run()
    assert not at.exception
    assert "is 'running', not complete" in _text(at.error)
    assert not at.get("plotly_chart")


def test_without_a_results_root_the_page_only_runs_jobs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    at = _page(tmp_path / "nothing_here", monkeypatch)
    assert at.radio(key="cohort_mode").options == ["Run a job on a file"]
    assert at.button(key="cohort_run")  # nothing runs before the click
    assert not at.get("plotly_chart")
