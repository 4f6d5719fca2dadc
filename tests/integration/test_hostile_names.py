"""A file and a sample named with markdown and HTML (and VCF ID/INFO/FILTER/##reference text that carries them)
show as text on every page: the markdown bodies hold the escaped characters, never live markup."""

from __future__ import annotations

import html
import re
import shutil
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import config
from components.inert import plain, short
from genolens.genome.patient import read_patient
from genolens.modeling.bundle import bundle_paths
from genolens.present import report
from genolens.present.report import render_html
from genolens.present.summary import ReportSummary
from genolens.workflows import patient_report
from tests.factories import DATA, ROOT, shown

HOSTILE_FILE = "x`![fn](http://203.0.113.13/fn.png)`<img src=x onerror=alert(7)>.vcf"
HOSTILE_SAMPLE = "![x](http://203.0.113.13/x.png)<img src=x onerror=alert(1)>"  # the sample of the fixture
FIXTURE = DATA / "hostile_names.vcf"
LIVE = re.compile(r"(?<!\\)(?:!\[|\]\(|<img|<a |javascript:)")
"""Markup that would render (an image, a link, an HTML tag) when not backslash-escaped."""

pytestmark = pytest.mark.usefixtures("fresh_caches")
needs_models = pytest.mark.skipif(not bundle_paths(), reason="no model bundles installed (make models)")


def _markdown_bodies(at: AppTest) -> list[str]:
    """Every text Streamlit renders as markdown on the current page (bodies and labels)."""
    texts = [str(e.value) for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning",
                                       "error", "success") for e in getattr(at, kind)]
    texts += [str(m.label) for m in at.metric] + [str(t.label) for t in at.tabs]
    texts += [str(e.label) for e in at.expander]
    texts += [str(getattr(w, "help", "") or "")
              for kind in ("selectbox", "button", "metric") for w in getattr(at, kind)]
    return texts


def _assert_inert(at: AppTest, page: str) -> str:
    assert not at.exception, page
    bodies = _markdown_bodies(at)
    live = [(t[:200], LIVE.findall(t)) for t in bodies if LIVE.search(t)]
    assert live == [], (page, live)
    return "\n".join(bodies)


def _upload(at: AppTest) -> AppTest:
    at.radio(key="source").set_value("Upload a file").run()
    at.file_uploader(key="vcf").upload(HOSTILE_FILE, FIXTURE.read_bytes(), "application/octet-stream")
    return at.run()


def test_fixture_sample_is_the_hostile_name() -> None:
    header = next(line for line in FIXTURE.read_text().splitlines() if line.startswith("#CHROM"))
    assert header.split("\t")[9] == HOSTILE_SAMPLE


def test_patient_page_shows_hostile_names_as_text() -> None:
    at = _upload(AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run())
    assert not at.error, [e.value for e in at.error]
    assert at.session_state["genolens"].patient.sample == HOSTILE_SAMPLE
    text = _assert_inert(at, "patient")
    assert plain(HOSTILE_FILE) in text and plain(HOSTILE_SAMPLE) in text
    assert plain("header names the reference: GRCh38 ![ref](http://203.0.113.13/ref.png)") in text
    assert at.text_input[0].value == HOSTILE_SAMPLE  # a text box shows it as it is: no markup there
    assert shown(plain(HOSTILE_SAMPLE)) == HOSTILE_SAMPLE


@needs_models
@pytest.mark.parametrize("page", ["report", "risk", "treatment", "explorer"])
def test_every_patient_page_shows_hostile_names_as_text(page: str) -> None:
    at = _upload(AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run())
    at.switch_page(f"pages/{page}.py").run()
    text = _assert_inert(at, page)
    assert plain(HOSTILE_SAMPLE) in text, page  # the patient caption (and the report header) name the sample


def test_a_fifty_thousand_character_sample_name_is_cut_on_the_page(tmp_path: Path) -> None:
    long = "S" * 50_000
    vcf = tmp_path / "long_sample_name.vcf"
    vcf.write_text(FIXTURE.read_text().replace(HOSTILE_SAMPLE, long))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.radio(key="source").set_value("Upload a file").run()
    at.file_uploader(key="vcf").upload(vcf.name, vcf.read_bytes(), "application/octet-stream").run()
    assert not at.exception and not at.error
    assert at.session_state["genolens"].patient.sample == long
    assert at.text_input[0].value == short(long) and len(short(long)) == 120
    assert max(len(t) for t in _markdown_bodies(at)) < 5_000
    assert "sample" not in at.query_params  # the address bar does not carry it


def test_server_folder_file_with_a_hostile_name_is_listed_as_text(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    name = "x`![fn](fn.png)`<img src=x onerror=alert(7)>.vcf"  # a file name cannot hold '/'
    shutil.copy(FIXTURE, tmp_path / name)
    monkeypatch.setenv(config.VCF_DIR_ENV, str(tmp_path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.radio(key="source").set_value("Server folder").run()
    box = at.selectbox(key="server_file")
    assert box.options == [name]
    at = box.select((tmp_path / name).resolve()).run()
    assert not at.error, [e.value for e in at.error]
    text = _assert_inert(at, "patient (server file)")
    assert plain(name) in text


class _Tags(HTMLParser):
    """The tags of an HTML page and the URLs its attributes name (the browser's view, not the text's)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href", "action", "srcset")]


def _hostile_summary(tmp_path: Path) -> ReportSummary:
    vcf = tmp_path / "x`![fn](fn.png)`<img src=x onerror=alert(7)>.vcf"
    shutil.copy(FIXTURE, vcf)
    summary = patient_report(read_patient(vcf), ()).summary
    header = replace(summary.header, patient_id="<img src=http://203.0.113.13/id.png>",
                     requester="[Dr](javascript:alert(2))", reason="<script>alert(3)</script>")
    return replace(summary, header=header)


def test_html_report_escapes_every_name(tmp_path: Path) -> None:
    page = render_html(_hostile_summary(tmp_path))
    assert html.escape(HOSTILE_SAMPLE, quote=False) in page
    assert html.escape("<img src=http://203.0.113.13/id.png>", quote=False) in page
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page
    tags = _Tags()
    tags.feed(page)
    assert {"img", "script", "a", "link", "iframe"} & tags.names == set()
    assert [v for v in tags.urls if not v.startswith(("#", "data:"))] == []


def test_pdf_renderer_fetches_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Even markup that slipped into the page is never fetched: the PDF's URL fetcher refuses every non-data URL."""
    from weasyprint.urls import URLFetcher

    seen: list[tuple[str, str]] = []
    real = URLFetcher.fetch

    def fetch(self: URLFetcher, url: str, *args: object, **kwargs: object) -> object:
        try:
            got = real(self, url, *args, **kwargs)  # type: ignore[arg-type]
        except Exception:
            seen.append((url, "refused"))
            raise
        seen.append((url, "fetched"))
        return got

    monkeypatch.setattr(URLFetcher, "fetch", fetch)
    monkeypatch.setattr(report, "render_html", lambda s: (
        '<p>x</p><img src="http://203.0.113.13/x.png"><img src="file:///etc/passwd">'
        '<link rel="stylesheet" href="https://203.0.113.13/s.css">'))
    pdf = report.render_pdf(_hostile_summary(tmp_path))
    assert pdf.startswith(b"%PDF")
    assert sorted(seen) == [("file:///etc/passwd", "refused"), ("http://203.0.113.13/x.png", "refused"),
                            ("https://203.0.113.13/s.css", "refused")]
