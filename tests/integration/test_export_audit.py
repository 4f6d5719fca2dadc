"""Every CSV download (Cohort matrix rows, Explorer attribution table) writes one ``export`` audit entry per click.

Streamlit runs a download's ``data`` callable when the browser asks for the file; these tests draw the
component in an AppTest (local mode: every role), capture what it gives ``st.download_button`` and
play the browser: each call of the data is one click. Drawing and redrawing the page writes no entry.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from streamlit import config
from streamlit.testing.v1 import AppTest

from components import cohort_views, explorer_views

SHA = "ab" * 32  # the fake cohort file's content hash
PATIENT_SHA = "cd" * 32


@pytest.fixture
def local_mode() -> Iterator[None]:
    old = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", old)


@pytest.fixture
def buttons(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What each ``st.download_button`` call was given (label, data, options)."""
    seen: list[dict[str, Any]] = []

    def fake(label: str, data: Any, **options: Any) -> bool:
        seen.append({"label": label, "data": data, **options})
        return False

    monkeypatch.setattr(st, "download_button", fake)
    return seen


def entries() -> list[dict[str, Any]]:
    log = Path(os.environ["GENOLENS_AUDIT_LOG"])
    return [json.loads(line) for line in log.read_text().splitlines()] if log.is_file() else []


def cohort_script() -> None:
    from types import SimpleNamespace

    from components import cohort_views

    manifest = {"input": {"sha256": "ab" * 32}, "bundles": [{"name": "breast_cancer", "version": "2.0.0"}]}
    results = SimpleNamespace(manifest=manifest)
    cohort_views.download(results, None, "breast_cancer", "y_breast_cancer")  # type: ignore[arg-type]


def explorer_script() -> None:
    from types import SimpleNamespace

    from components import explorer_views

    attribution = SimpleNamespace(output="risk_10y", method="ig")
    bundle = SimpleNamespace(name="type_2_diabetes", version="2.0.0", panel=SimpleNamespace(variants=()))
    patient = SimpleNamespace(sha256="cd" * 32, sample="S1")
    explorer_views.download(attribution, bundle, patient)  # type: ignore[arg-type]


def clicks(data: Callable[[], bytes], n: int) -> list[bytes]:
    return [data() for _ in range(n)]


def test_each_cohort_csv_download_is_one_export_entry(local_mode: None, buttons: list[dict[str, Any]],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.DataFrame({"sample": ["S1", "=cmd"], "breast_cancer: risk": [0.1, 0.2]})
    monkeypatch.setattr(cohort_views, "matrix_table", lambda view: frame)
    before = len(entries())
    at = AppTest.from_function(cohort_script, default_timeout=30).run()
    at.run()  # a rerun draws the button again
    assert not at.exception
    assert len(entries()) == before  # drawing is not exporting
    csv = [b for b in buttons if b["label"] == "Download these rows (CSV)"]
    assert len(csv) == 2 and all(callable(b["data"]) for b in csv)
    first = clicks(csv[-1]["data"], 1)[0]
    new = entries()[before:]
    assert [(e["action"], e["detail"], e["user"]) for e in new] == [("export", "cohort matrix csv y_breast_cancer",
                                                                    "local user")]
    assert new[0]["patient"] == {"sha256": SHA, "sample": ""} and new[0]["models"] == ["breast_cancer 2.0.0"]
    assert b"'=cmd" in first  # the data is the CSV the button always gave (formula cells made inert)
    clicks(csv[-1]["data"], 2)
    assert [e["action"] for e in entries()[before:]] == ["export"] * 3  # one entry per click


def test_each_explorer_csv_download_is_one_export_entry(local_mode: None, buttons: list[dict[str, Any]],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.DataFrame({"input": ["rs1"], "contribution": [0.5]})
    monkeypatch.setattr(explorer_views, "table", lambda a, names, origins: frame)
    monkeypatch.setattr(explorer_views, "input_origins", lambda patient, bundle: {})
    before = len(entries())
    at = AppTest.from_function(explorer_script, default_timeout=30).run()
    assert not at.exception and len(entries()) == before
    (csv,) = [b for b in buttons if b["label"] == "Download the attribution table (CSV)"]
    assert callable(csv["data"]) and b"rs1" in clicks(csv["data"], 1)[0]
    new = entries()[before:]
    assert [(e["action"], e["detail"]) for e in new] == [("export", "attribution csv: risk_10y ig")]
    assert new[0]["patient"] == {"sha256": PATIENT_SHA, "sample": "S1"}
    assert new[0]["models"] == ["type_2_diabetes 2.0.0"]
