"""Browser-test fixtures: a real `streamlit run serve.py` (app.py behind the
web guard, as `make run` starts it) on a free loopback port + Debian Chromium.

Adapted from ../shared/examples/e2e_conftest.py. pytest-playwright provides `page`; this file points
it at /usr/bin/chromium (never `playwright install`) and at the server started here, which runs in
its own process group and is stopped (that group only) at the end of the session.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, ROOT, streamlit_app


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip browser tests, with the reason, where Debian's Chromium is not installed."""
    if CHROMIUM.is_file():
        return
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} is absent: apt-get install chromium (never `playwright install`)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def streamlit_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the server's stdout/stderr go (tests read it to prove nothing leaked)."""
    return tmp_path_factory.mktemp("streamlit") / "server.log"


@pytest.fixture(scope="session")
def streamlit_server(streamlit_log: Path) -> Iterator[str]:
    """Start `streamlit run serve.py` once per test session; yield its base URL."""
    with streamlit_app(streamlit_log) as (url, _pid):
        yield url


# --- pytest-playwright hooks -------------------------------------------------------------
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, object], streamlit_server: str) -> dict[str, object]:
    # base_url set here, not only by the plugin: its session-scoped args are cached with the first base_url
    # asked for, which may be tests/e2e/auth's server
    return {**browser_context_args, "base_url": streamlit_server, "viewport": {"width": 1400, "height": 900},
            "locale": "en-GB", "timezone_id": "Europe/London"}


@pytest.fixture(scope="session")
def base_url(streamlit_server: str) -> str:  # overrides pytest-base-url: page.goto("/") works
    return streamlit_server


@pytest.fixture
def artifacts_dir() -> Path:
    d = ROOT / "artifacts"
    d.mkdir(exist_ok=True)
    return d
