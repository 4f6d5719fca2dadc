"""Browser-test fixtures for sign-in: a real OpenID Connect provider (``oidc-provider-mock``) on a free loopback
port, and `streamlit run serve.py` (app.py behind the web guard) with a secrets.toml whose ``[auth]`` points
at it and its own audit log.

The provider knows four users by their ``groups`` claim (genolens.toml's default ``roles_claim``):
clinician, researcher, admin and one without any GenoLens role. Both processes run in their own
process group and are stopped (that group only) at the end of the session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.browser import ENTRY, ROOT, _free_port, _stop, _wait_healthy

USERS = {
    "clinician@example.org": ["clinician"],
    "researcher@example.org": ["researcher"],
    "admin@example.org": ["admin"],
    "norole@example.org": ["visitors"],
}
COOKIE_SECRET = "test-cookie-secret-for-the-e2e-auth-suite"


@dataclass(frozen=True)
class AuthApp:
    """The app under test with sign-in configured."""

    url: str
    """Base URL of the dashboard (http://127.0.0.1:PORT)."""
    provider: str
    """Base URL of the OIDC provider."""
    audit_log: Path
    """The server's audit log."""
    cookie_secret: str
    """The secret the server signs its session cookie with (to forge an expired one)."""


def _wait_provider(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"oidc-provider-mock exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"oidc-provider-mock not ready after {timeout}s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start ``python -m oidc_provider_mock`` on a free loopback port with the :data:`USERS`; yield its URL."""
    port = _free_port()
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    cmd = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    for mail, groups in USERS.items():
        cmd += ["--user-claims", json.dumps({"sub": mail, "email": mail, "groups": groups})]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_provider(url, proc, log)
        yield url
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def auth_app(oidc_provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthApp]:
    """`streamlit run serve.py` with ``[auth]`` pointing at the provider; yield it once healthy."""
    folder = tmp_path_factory.mktemp("auth_app")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    secrets = folder / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "{url}/oauth2callback"\n'
        f'cookie_secret = "{COOKIE_SECRET}"\n'
        'client_id = "genolens-e2e"\n'
        'client_secret = "genolens-e2e-secret"\n'
        f'server_metadata_url = "{oidc_provider}/.well-known/openid-configuration"\n', encoding="utf-8")
    audit_log = folder / "audit.jsonl"
    log = folder / "server.log"
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / ENTRY), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--secrets.files", str(secrets)]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1", "GENOLENS_AUDIT_LOG": str(audit_log)})
    try:
        _wait_healthy(url, proc, log)
        yield AuthApp(url, oidc_provider, audit_log, COOKIE_SECRET)
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, object], auth_app: AuthApp) -> dict[str, object]:
    return {**browser_context_args, "base_url": auth_app.url}  # the parent's args carry the local server's


@pytest.fixture(scope="session")
def base_url(auth_app: AuthApp) -> str:  # overrides the parent conftest's: these tests talk to the auth server
    return auth_app.url
