"""Fixtures shared by every test folder; plain builders live in tests/factories.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """Streamlit's data caches are process-global across AppTests: start and end a test with empty ones."""
    import streamlit as st

    st.cache_data.clear()
    yield
    st.cache_data.clear()
