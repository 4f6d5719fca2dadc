"""Browser helpers shared by the e2e tests and bench/ui.py: Debian Chromium's flags, a `streamlit run serve.py`
server (app.py behind the security-header middleware, as `make run` starts it) in its own process group,
blocking the network, waiting for Streamlit to settle, full-page screenshots."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, Route, expect

ROOT = Path(__file__).resolve().parents[2]
ENTRY = "serve.py"
"""The server's entry point: st.App serving app.py with components.web_guard in front (as `make run`)."""
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Playwright adds --headless itself and makes a fresh temporary profile per launch.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200 and r.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"streamlit not healthy after {timeout}s:\n{log.read_text()}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)  # the group we created (start_new_session=True), nothing else
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@contextmanager
def streamlit_app(log: Path) -> Iterator[tuple[str, int]]:
    """`streamlit run serve.py` on a free loopback port, output into ``log``; yield (url, pid) once healthy;
    stop its own process group at the end."""
    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / ENTRY), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url, proc.pid
    finally:
        _stop(proc)


def block_outside(target: Page | BrowserContext) -> list[str]:
    """Abort every request not to 127.0.0.1; return the list the blocked URLs are appended to."""
    blocked: list[str] = []

    def handle(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    target.route("**/*", handle)
    return blocked


def wait_idle(page: Page, timeout_ms: int) -> None:
    """Wait until the script has finished running and no skeleton placeholder is left."""
    page.locator(IDLE).wait_for(timeout=timeout_ms)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout_ms)


def screenshot(page: Page, path: Path, timeout_ms: int, *, max_height: int = 12_000) -> None:
    """Full-page screenshot: Streamlit scrolls inside its own container, so grow the viewport to it."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
        "[data-testid=stAppViewContainer], body')].map(e => e.scrollHeight))")
    size = page.viewport_size or {"width": 1400, "height": 900}
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height), max_height))})
    wait_idle(page, timeout_ms)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
