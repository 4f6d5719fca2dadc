"""Who may use the dashboard (components/auth.py): local mode on loopback says so and grants every role; without
sign-in off loopback nothing is served; roles come from the token claim or the e-mail table; expiry."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from components.auth import LOCAL_NOTE, expired, roles_from
from tests.factories import ROOT

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def address() -> Iterator[None]:
    old = config.get_option("server.address")
    yield
    config.set_option("server.address", old)


def test_local_mode_says_so_grants_every_role_and_logs_the_page_view(address: None) -> None:
    config.set_option("server.address", "127.0.0.1")
    log = Path(os.environ["GENOLENS_AUDIT_LOG"])
    before = len(log.read_text().splitlines()) if log.is_file() else 0
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert LOCAL_NOTE in [c.value for c in at.sidebar.caption]
    assert "Local mode: no sign-in; anyone on this machine can open it" in LOCAL_NOTE
    entries = [json.loads(x) for x in log.read_text().splitlines()[before:]]
    assert [(e["user"], e["role"], e["action"], e["detail"]) for e in entries] == [
        ("local user", "admin,clinician,researcher", "view_page", "Patient")]
    at.switch_page("pages/admin.py").run()  # the admin page is there for the local user
    assert not at.exception and [t.value for t in at.title] == ["Admin"]


def test_a_page_file_run_directly_is_guarded_and_its_view_logged(address: None) -> None:
    # Streamlit serves /admin from pages/ without the router when a session's first request after a server start
    # names a page: the page's own guard must decide who may see it, and the view must still reach the audit log
    config.set_option("server.address", "127.0.0.1")
    log = Path(os.environ["GENOLENS_AUDIT_LOG"])
    before = len(log.read_text().splitlines()) if log.is_file() else 0
    at = AppTest.from_file(str(ROOT / "pages" / "admin.py"), default_timeout=60).run()
    assert not at.exception and [t.value for t in at.title] == ["Admin"]
    entries = [json.loads(x) for x in log.read_text().splitlines()[before:]]
    assert [(e["user"], e["action"], e["detail"]) for e in entries] == [("local user", "view_page", "Admin")]
    config.set_option("server.address", "0.0.0.0")  # no sign-in configured off loopback: refused, nothing shown
    refused = AppTest.from_file(str(ROOT / "pages" / "admin.py"), default_timeout=60).run()
    assert not refused.exception and [t.value for t in refused.title] == ["GenoLens"] and not refused.dataframe
    assert "not only on 127.0.0.1" in " ".join(e.value for e in refused.error)


def test_without_sign_in_off_loopback_nothing_is_served(address: None) -> None:
    config.set_option("server.address", "0.0.0.0")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    text = " ".join(e.value for e in at.error)
    assert "not only on 127.0.0.1" in text and ".streamlit/secrets.toml" in text
    assert not at.selectbox and not at.file_uploader  # no patient input of any kind


def test_roles_from_a_claim_list_a_claim_string_and_the_mail_table() -> None:
    cfg = {"roles_claim": "roles", "roles": {"R.Jones@Hospital.example": ["Admin"]}}
    assert roles_from({"roles": ["clinician", "nurses"]}, cfg) == {"clinician"}
    assert roles_from({"roles": "researcher, admin"}, cfg) == {"researcher", "admin"}
    assert roles_from({"email": "r.jones@hospital.example", "groups": ["clinician"]}, cfg) == {"admin"}
    assert roles_from({"groups": ["clinician"]}, {}) == {"clinician"}  # default claim: groups
    assert roles_from({"groups": ["genolens-clinician"]}, {}) == frozenset()  # exact names only


def test_an_id_token_expires_at_its_exp_claim() -> None:
    now = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
    assert expired({"exp": now.timestamp() - 1}, now) and expired({"exp": now.timestamp()}, now)
    assert not expired({"exp": now.timestamp() + 1}, now) and not expired({}, now)
