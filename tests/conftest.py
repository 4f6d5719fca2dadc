"""Fixtures shared by every test folder; plain builders live in tests/factories.py."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def audit_log_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The dashboard's audit log (and that of every server a test starts) goes to a temporary file, never into
    the user's data folder."""
    old = os.environ.get("GENOLENS_AUDIT_LOG")
    os.environ["GENOLENS_AUDIT_LOG"] = str(tmp_path_factory.mktemp("audit") / "audit.jsonl")
    yield
    if old is None:
        os.environ.pop("GENOLENS_AUDIT_LOG", None)
    else:
        os.environ["GENOLENS_AUDIT_LOG"] = old


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """Streamlit's data caches are process-global across AppTests: start and end a test with empty ones."""
    import streamlit as st

    st.cache_data.clear()
    yield
    st.cache_data.clear()
