"""Who is using the dashboard and what they may do: sign-in (Streamlit's OpenID Connect), local mode, roles.

Modes (:func:`mode`):

- ``"oidc"``: ``[auth]`` is configured in ``.streamlit/secrets.toml``; every page needs a signed-in user
  (``st.login``), whose ID token has not expired and who holds at least one role.
- ``"local"``: no ``[auth]`` and the server listens on loopback only (``server.address`` 127.0.0.1,
  localhost or ::1): one user on a laptop, said so on screen, holding every role.
- ``"refused"``: no ``[auth]`` but the server listens elsewhere: nothing is served, the screen says how
  to configure sign-in.

Roles (:data:`ROLES`) come from a claim of the identity token (``[auth] roles_claim`` in genolens.toml,
default ``"groups"``: a list, or a string separated by commas or spaces) and from the ``[auth.roles]``
table of genolens.toml mapping e-mail addresses to lists of roles; a user holds the union.
Pages declare the role they need in :data:`PAGE_ROLES`; pages a user may not use are hidden *and*
refused (:func:`enter`, :func:`require_page`); the component functions that run the use cases check
again through :func:`components.audit.act`. Every refusal is logged.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from components.config import SETTINGS_FILE

Mode = Literal["oidc", "local", "refused"]
ROLES = ("clinician", "researcher", "admin")
"""Every role: clinician (patients and reports), researcher (explorer, cohorts, models), admin (server folders,
audit log)."""
PAGE_ROLES = {
    "patient": "clinician", "report": "clinician", "risk": "clinician", "treatment": "clinician",
    "explorer": "researcher", "cohort": "researcher", "models": "researcher", "admin": "admin",
}
"""The role each page (by its script's stem under pages/) needs."""
TITLE_ROLES = {"Patient": "clinician", "Report": "clinician", "Risk": "clinician", "Treatment": "clinician",
               "Explorer": "researcher", "Cohort": "researcher", "Models": "researcher", "Admin": "admin"}
"""The same, by the title a page passes to ``frame.header`` (the second check, inside the page)."""
LOOPBACK = ("127.0.0.1", "localhost", "::1")
LOCAL_USER = "local user"
LOCAL_NOTE = ("Local mode: no sign-in; anyone on this machine can open it. You hold every role (clinician, "
              "researcher, admin).")
DEFAULT_CLAIM = "groups"
_SEEN = "_auth_seen"


@dataclass(frozen=True)
class Who:
    """The person using this session."""

    name: str
    """E-mail (or the token's subject) of the signed-in user; ``"local user"`` in local mode."""
    roles: frozenset[str]
    """Roles held (a subset of :data:`ROLES`)."""
    local: bool
    """Local mode (no sign-in)."""

    @property
    def role(self) -> str:
        """The roles as written into the audit log: sorted, comma-separated."""
        return ",".join(sorted(self.roles))


def _auth_section() -> Mapping[str, Any] | None:
    try:
        section = st.secrets.get("auth")
    except (StreamlitSecretNotFoundError, FileNotFoundError):
        return None
    return section if isinstance(section, Mapping) and section else None


def settings() -> dict[str, Any]:
    """genolens.toml's ``[auth]`` table ({} without one)."""
    if not SETTINGS_FILE.is_file():
        return {}
    with SETTINGS_FILE.open("rb") as fh:
        table = tomllib.load(fh).get("auth", {})
    return dict(table) if isinstance(table, dict) else {}


def mode() -> Mode:
    """``"oidc"`` with ``[auth]`` in secrets.toml; else ``"local"`` on loopback; else ``"refused"``."""
    if _auth_section() is not None:
        return "oidc"
    address = str(st.get_option("server.address") or "")
    return "local" if address in LOOPBACK else "refused"


def roles_from(claims: Mapping[str, Any], config: Mapping[str, Any]) -> frozenset[str]:
    """The roles of a user with these ID-token ``claims`` under genolens.toml's ``[auth]`` ``config``."""
    raw = claims.get(str(config.get("roles_claim") or DEFAULT_CLAIM))
    values = raw.replace(",", " ").split() if isinstance(raw, str) else raw if isinstance(raw, list) else []
    table = config.get("roles", {})
    email = str(claims.get("email") or "").lower()
    by_mail = next((v for k, v in table.items() if str(k).lower() == email), []) if isinstance(table, dict) else []
    found = {str(v).strip().lower() for v in [*values, *by_mail]}
    return frozenset(r for r in ROLES if r in found)


def expired(claims: Mapping[str, Any], now: dt.datetime | None = None) -> bool:
    """Whether the ID token's ``exp`` claim (seconds since the epoch) has passed; no ``exp``: not expired."""
    exp = claims.get("exp")
    if not isinstance(exp, int | float):
        return False
    return (now or dt.datetime.now(dt.UTC)).timestamp() >= float(exp)


def current() -> Who | None:
    """The user of this session, or ``None`` when nobody may be served (not signed in, expired, refused)."""
    m = mode()
    if m == "local":
        return Who(LOCAL_USER, frozenset(ROLES), local=True)
    if m == "refused" or not st.user.is_logged_in:
        return None
    claims = st.user.to_dict()
    if expired(claims):
        return None
    name = str(claims.get("email") or claims.get("sub") or "unknown")
    return Who(name, roles_from(claims, settings()), local=False)


def _once(key: str) -> bool:
    """True the first time ``key`` is seen in this session."""
    seen = st.session_state.setdefault(_SEEN, set())
    if key in seen:
        return False
    seen.add(key)
    return True


def gate() -> Who:
    """Who may use this session; otherwise draw the sign-in (or the refusal) screen and stop the run."""
    from components import audit  # audit imports this module

    m = mode()
    if m == "refused":
        _only(_refused_screen)
    who = current()
    if who is None:
        _only(_sign_in_screen)
    if who.local:
        st.sidebar.caption(LOCAL_NOTE)
        return who
    if _once("sign_in"):
        audit.log(who, "sign_in")
    if not who.roles:
        if _once("no_role"):
            audit.log(who, "denied", detail="signed in without a GenoLens role")
        _only(functools.partial(_no_role_screen, who))
    st.sidebar.caption(f"Signed in as **{who.name}** · {', '.join(sorted(who.roles))}")
    sign_out_button(who, st.sidebar)
    return who


def _only(screen: Callable[[], None]) -> NoReturn:
    """Show ``screen`` as the only page (no page list in the sidebar, whatever the address) and stop the run."""
    st.navigation([st.Page(screen, title="GenoLens", url_path="welcome")], position="hidden").run()
    st.stop()


def _refused_screen() -> None:
    """The screen of a server that listens off loopback without sign-in configured."""
    address = st.get_option("server.address") or "every interface"
    st.title("GenoLens")
    st.error(f"This server listens on {address}, not only on 127.0.0.1, and no sign-in is configured, so it "
                 "serves no patient data. Either add an `[auth]` section (redirect_uri, cookie_secret, client_id, "
                 "client_secret, server_metadata_url of your identity provider) to `.streamlit/secrets.toml`, or "
                 "run it for one user on this machine with `--server.address 127.0.0.1`. See the README, "
                 "\"Sign-in, roles and audit\".", icon=":material/lock:")


def _no_role_screen(who: Who) -> None:
    """The screen of a signed-in user without any GenoLens role."""
    st.title("GenoLens")
    st.warning(f"You are signed in as {who.name} but hold no GenoLens role ({', '.join(ROLES)}). Ask an "
               "administrator to give you one.", icon=":material/no_accounts:")
    sign_out_button(who, st)


def _sign_in_screen() -> None:
    """The screen of a session without a (valid) sign-in."""
    st.title("GenoLens")
    if st.user.is_logged_in:
        st.warning("Your sign-in has expired. Sign in again.", icon=":material/timer_off:")
    else:
        st.info("GenoLens holds patient genotypes: sign in with your hospital account to continue.",
                icon=":material/lock:")
    st.button("Sign in", key="sign_in", type="primary", on_click=st.login)


def sign_out_button(who: Who, where: Any) -> None:
    """A "Sign out" button that logs the sign-out and ends the session."""
    from components import audit

    if where.button("Sign out", key="sign_out"):
        audit.log(who, "sign_out")
        st.logout()


def pages(who: Who, specs: Sequence[tuple[str, str, str]]) -> list[Any]:
    """``st.Page`` objects for ``(path, title, icon)`` in order: those ``who`` may not use are hidden (links to them
    still resolve, and :func:`enter` refuses them); the admin page only for admins; the first allowed is default."""
    allowed = [s for s in specs if _page_role(s[0]) in who.roles]
    first = allowed[0][0] if allowed else None
    out = []
    for path, title, icon in specs:
        role = _page_role(path)
        if role == "admin" and role not in who.roles:
            continue
        out.append(st.Page(path, title=title, icon=icon, default=path == first,
                           visibility="visible" if role in who.roles else "hidden"))
    return out


def _page_role(path: str) -> str:
    return PAGE_ROLES.get(Path(path).stem, "admin")  # a page nobody declared is for admins only


def enter(page: Any, who: Who) -> None:
    """Refuse (and log) a page ``who`` may not use; log a page view when the page changes. Stops when refused."""

    title = str(page.title)
    if not require_title(title, who):
        return
    _log_view(who, title)


def require_page(title: str) -> None:
    """The page guard inside every analysis page (``frame.header``): stop unless the user may see ``title``; log
    the view when the router did not (a page file run directly: Streamlit serves ``/admin`` from ``pages/`` when
    a session's first request after a server start names a page)."""
    who = current()
    if who is None:
        who = gate()
    if require_title(title, who):
        _log_view(who, title)


def _log_view(who: Who, title: str) -> None:
    """Log a page view when the session's page changes."""
    from components import audit

    if st.session_state.get("_audit_page") != title:
        st.session_state["_audit_page"] = title
        audit.log(who, "view_page", detail=title)


def require_title(title: str, who: Who) -> bool:
    """True when ``who`` may see the page titled ``title``; otherwise say so, log ``denied`` and stop."""
    role = TITLE_ROLES.get(title, "admin")
    if role in who.roles:
        return True
    deny(who, f"page {title} needs the {role} role")
    return False


def deny(who: Who, what: str) -> NoReturn:
    """Log a refusal (once per session and ``what``), say it on screen and stop the run."""
    from components import audit

    if _once(f"denied:{what}"):
        audit.log(who, "denied", detail=what)
    st.error(f"Not allowed: {what}; you hold {', '.join(sorted(who.roles)) or 'no role'}. Ask an administrator "
             "if you need it.", icon=":material/block:")
    st.stop()
