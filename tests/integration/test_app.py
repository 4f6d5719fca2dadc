"""AppTest smoke tests of the dashboard: no patient, a good upload, a malformed upload, the options."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import components.cached
from components.patient_views import PANEL_TAB
from tests.factories import CORPUS, DATA, DEMO, ROOT, shown

GVCF = CORPUS / "patients" / "hail-gvcfs" / "HG00187.hg38.g.vcf.gz"
MULTI = CORPUS / "vcf" / "bio2zarr" / "vcf" / "chr22.vcf.gz"
PGX = CORPUS / "pgx" / "pharmcat-examples" / "pharmcat.example2.vcf"  # PharmCAT: CYP2C19 *2/*2
MALFORMED = DATA / "malformed_upload.vcf"
STATUSES = DATA / "absent_vs_nocall_vs_filtered_vs_refblock.vcf"
GRCH37 = DATA / "grch37_cyp3a5_homref.vcf"

pytestmark = pytest.mark.usefixtures("fresh_caches")
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent on this machine")


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.run()
    assert not app.exception
    return app


def _upload(at: AppTest, path: Path) -> AppTest:
    if at.radio(key="source").value != "Upload a file":
        at.radio(key="source").set_value("Upload a file").run()
    at.file_uploader(key="vcf").upload(path.name, path.read_bytes(), "application/octet-stream")
    return at.run()


def _texts(elements: object) -> str:
    return shown("\n".join(str(e.value) for e in elements))  # type: ignore[attr-defined]


def _patient(at: AppTest) -> object:
    return at.session_state["genolens"].patient


def _open_panel_tab(at: AppTest, title: str) -> AppTest:
    """Open the Patient page's panel tab whose label starts with ``title`` (only the open tab is built)."""
    label = next(t.label for t in at.tabs if t.label.startswith(title))
    at.session_state[PANEL_TAB] = label
    return at.run()


def test_runs_without_a_patient(at: AppTest) -> None:
    assert "Research use only" in _texts(at.warning)
    assert at.radio(key="source").value == "Demo patient"
    assert not at.error
    assert _patient(at) is None
    at.radio(key="source").set_value("Upload a file").run()
    assert "Upload a VCF" in _texts(at.info)


def test_demo_patients_are_listed_and_read() -> None:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    box = app.selectbox(key="demo_file")
    assert len(box.options) >= 8 and "dpyd 2A heterozygote" in box.options  # labels shown to the user
    box.set_value(DEMO / "dpyd_2A_heterozygote.vcf.gz").run()
    assert not app.exception and not app.error
    patient = _patient(app)
    assert patient is not None and patient.sample == "DEMO_DPYD"
    dpyd_site = next(s for r in patient.panels for s in r.sites if s.rsid == "rs3918290")
    assert dpyd_site.dosage == 1.0


@needs_corpus
@pytest.mark.corpus
def test_gvcf_upload_shows_build_qc_and_coverage(at: AppTest) -> None:
    _upload(at, GVCF)
    assert not at.exception
    assert not at.error, _texts(at.error)
    assert "Genome build: GRCh38" in _texts(at.subheader)
    labels = [m.label for m in at.metric]
    assert {"Records", "Call rate", "Ti/Tv", "Het / hom-alt", "DP median", "GQ median"} <= set(labels)
    coverage = [m for m in at.metric if m.label == "Coverage"]
    assert coverage, labels
    assert all(m.value.endswith("%") for m in coverage)
    assert at.dataframe, "each panel shows its match log"
    frame = at.dataframe[0].value
    assert list(frame.columns) == ["rsID", "gene", "chrom", "pos", "status", "genotype", "dosage",
                                   "GQ", "DP", "PS", "note"]
    patient = _patient(at)
    assert patient is not None
    assert patient.source_name == GVCF.name
    assert patient.absent_policy == "missing"


def test_tiny_upload_shows_build_evidence_and_every_status(at: AppTest) -> None:
    _upload(at, STATUSES)
    assert not at.exception
    assert not at.error, _texts(at.error)
    assert "Genome build: GRCh38" in _texts(at.subheader)
    assert "##contig lengths match GRCh38" in _texts(at.markdown)
    assert "Pharmacogenomics" in "".join(t.label for t in at.tabs)
    assert len(at.dataframe) == 1, "only the open panel tab's match log is built"
    _open_panel_tab(at, "Pharmacogenomics")
    assert not at.exception
    assert len(at.dataframe) == 1
    pgx = next(d.value for d in at.dataframe if "rs3918290" in set(d.value["rsID"]))
    assert {"called", "no_call", "filtered", "reference_block", "absent"} <= set(pgx["status"])
    no_call = pgx[pgx["rsID"] == "rs55886062"].iloc[0]
    assert no_call["status"] == "no_call"
    assert no_call["dosage"] is pd.NA, "a ./. call is never turned into a dosage"


def test_declared_build_that_the_file_contradicts_is_an_error(at: AppTest) -> None:
    _upload(at, GRCH37)
    assert "Genome build: GRCh37" in _texts(at.subheader)
    at.selectbox(key="build").select("GRCh38").run()
    assert not at.exception
    assert len(at.error) == 1
    assert "Genome build problem" in at.error[0].value
    assert _patient(at) is None


def test_malformed_upload_shows_a_clear_error_and_no_exception(at: AppTest) -> None:
    _upload(at, MALFORMED)
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert "cannot be read" in message
    assert "Traceback" not in message
    assert _patient(at) is None
    assert at.file_uploader(key="vcf"), "the uploader stays so another file can be chosen"


@needs_corpus
@pytest.mark.corpus
def test_app_keeps_working_after_an_error(at: AppTest) -> None:
    _upload(at, MALFORMED)
    assert at.error
    _upload(at, GVCF)
    assert not at.exception
    assert not at.error, _texts(at.error)
    assert "Genome build: GRCh38" in _texts(at.subheader)


@needs_corpus
@pytest.mark.corpus
def test_whole_genome_option_is_explicit_and_warned(at: AppTest) -> None:
    _upload(at, GVCF)
    assert _patient(at).absent_policy == "missing"
    assert "homozygous reference" not in _texts(at.warning)
    box = next(c for c in at.checkbox if c.key.startswith("whole_genome"))
    box.check().run()
    assert not at.exception
    assert "counted as homozygous reference" in _texts(at.warning)
    assert _patient(at).absent_policy == "reference"


def test_demo_whole_genome_call_sets_start_ticked_and_arrays_do_not() -> None:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    app.selectbox(key="demo_file").set_value(DEMO / "dpyd_2A_heterozygote.vcf.gz").run()
    assert _patient(app).absent_policy == "reference"
    assert "counted as homozygous reference" in _texts(app.warning)  # visible, not silent
    app.selectbox(key="demo_file").set_value(DEMO / "array_like_partial_coverage.vcf.gz").run()
    assert _patient(app).absent_policy == "missing"


@needs_corpus
@pytest.mark.corpus
def test_multi_sample_file_waits_for_a_sample_choice(at: AppTest) -> None:
    _upload(at, MULTI)
    assert not at.exception
    assert not at.error, _texts(at.error)
    assert _patient(at) is None
    assert "choose the patient's sample" in _texts(at.info)
    choice = at.selectbox[0]
    assert len(choice.options) == 100
    choice.select(choice.options[3]).run()
    assert not at.exception
    assert not at.error, _texts(at.error)
    assert _patient(at).sample == choice.options[3]


def test_missing_server_folder_is_said(at: AppTest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GENOLENS_VCF_DIR", str(tmp_path / "nowhere"))
    at.radio(key="source").set_value("Server folder").run()
    assert not at.exception
    assert "does not exist" in _texts(at.warning)


def test_empty_server_folder_is_said(at: AppTest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GENOLENS_VCF_DIR", str(tmp_path))
    at.radio(key="source").set_value("Server folder").run()
    assert "holds no VCF" in _texts(at.info)


@needs_corpus
@pytest.mark.corpus
def test_server_folder_file_is_read(at: AppTest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    shutil.copy(GVCF, tmp_path / GVCF.name)
    monkeypatch.setenv("GENOLENS_VCF_DIR", str(tmp_path))
    at.radio(key="source").set_value("Server folder").run()
    at.selectbox(key="server_file").select(tmp_path / GVCF.name).run()
    assert not at.exception
    assert not at.error, _texts(at.error)
    assert "Genome build: GRCh38" in _texts(at.subheader)
    assert _patient(at).source_name == GVCF.name


@needs_corpus
@pytest.mark.corpus
def test_known_pgx_answer_is_in_the_match_log(at: AppTest) -> None:
    """PharmCAT's example 2 is CYP2C19 *2/*2: rs4244285 homozygous, effect-allele dosage 2."""
    _upload(at, PGX)
    assert not at.exception
    assert not at.error, _texts(at.error)
    pgx = next(r for r in _patient(at).panels if r.panel == "pharmacogenomics")
    assert pgx.coverage > 0.9
    _open_panel_tab(at, pgx.title)
    frames = [d.value for d in at.dataframe]
    log = next(f for f in frames if "rs4244285" in set(f["rsID"]))
    row = log[log["rsID"] == "rs4244285"].iloc[0]
    assert (row["gene"], row["status"], row["genotype"], row["dosage"]) == ("CYP2C19", "called", "1/1", 2.0)


@needs_corpus
@pytest.mark.corpus
def test_reading_shows_progress_then_is_cached_per_content_and_options(
    at: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[tuple[str, str]] = []
    real = components.cached.read_patient_isolated

    def counting(path: Path, **kw: object) -> object:
        reads.append((str(kw["build"]), str(kw["absent"])))
        return real(path, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(components.cached, "read_patient_isolated", counting)
    _upload(at, GVCF)
    statuses = [e for e in at.main.children.values() if e.type == "status"]
    assert statuses and shown(statuses[0].label).startswith(f"Read {GVCF.name} in ")
    at.run()  # a rerun reads nothing: same content, same options
    assert reads == [("auto", "missing")]
    assert "Genome build: GRCh38" in _texts(at.subheader)
    at.selectbox(key="build").select("GRCh38").run()
    at.selectbox(key="build").select("auto").run()
    assert reads == [("auto", "missing"), ("GRCh38", "missing")]
    assert not at.exception
