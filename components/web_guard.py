"""HTTP hardening of the dashboard server: security headers on every response, and downloads only with a session.

``serve.py`` (``streamlit run serve.py``) serves ``app.py`` through Streamlit's ASGI entry point ``st.App`` with
:class:`WebGuard` as its outermost middleware. It is a plain ASGI middleware (no response buffering, WebSocket
traffic passed through untouched) that

- adds :data:`HEADERS` to every HTTP response: a Content-Security-Policy that allows only this server (plus the
  hashes of the inline ``<script>`` blocks of Streamlit's own ``index.html``, WebAssembly compilation, and inline
  styles, which Streamlit's styling library injects), ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff`` and
  ``Referrer-Policy: no-referrer``;
- refuses (403) every ``/media/`` request (reports, CSV exports, images) that does not carry a valid sign-in when
  sign-in is configured: Streamlit's signed ``_streamlit_user`` cookie, unexpired, of a user holding a GenoLens
  role (:func:`media_allowed`). In local mode (no ``[auth]``, the server listens on 127.0.0.1 only) media are
  served to anyone on this machine, as every page is; with neither, nothing is served.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any

import streamlit as st

from components import auth

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

USER_COOKIE = "_streamlit_user"
"""Streamlit's signed sign-in cookie (itsdangerous, the cookie name as salt; split into ``_1``, ``_2``... chunks
when long)."""
INDEX_HTML = Path(st.__file__).parent / "static" / "index.html"


def inline_script_hashes(html: str) -> list[str]:
    """CSP source expressions (``'sha256-…'``) of every inline ``<script>`` block (no ``src``) in ``html``."""
    out = []
    for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S | re.I):
        if "src=" not in attrs.lower():
            digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
            out.append(f"'sha256-{digest}'")
    return out


def content_security_policy(script_hashes: list[str]) -> str:
    """The Content-Security-Policy: this server only; no framing, plugins, outside images, fonts or connections."""
    directives = {
        "default-src": "'self'",
        # 'wasm-unsafe-eval' lets WebAssembly compile (not JavaScript eval): long.js, inside Streamlit's protobuf
        # decoder, compiles a tiny WebAssembly module for 64-bit arithmetic and would report a violation each load
        "script-src": " ".join(["'self'", "'wasm-unsafe-eval'", *script_hashes]),
        "style-src": "'self' 'unsafe-inline'",  # emotion (Streamlit's CSS-in-JS) and plotly write inline styles
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",  # Streamlit's own stylesheet inlines a woff2 font as a data: URL
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{k} {v}" for k, v in directives.items())


CSP = content_security_policy(inline_script_hashes(INDEX_HTML.read_text(encoding="utf-8")))
HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
"""Added to every HTTP response (replacing any the inner app set)."""


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:
                return {}
    return {k: m.value for k, m in jar.items()}


def signed_in_claims(cookies: Mapping[str, str]) -> dict[str, Any] | None:
    """The claims of a valid Streamlit sign-in cookie (signature, 30-day age, chunks checked by Streamlit's own
    decoder), or ``None``."""
    from streamlit.auth_util import get_cookie_with_chunks
    from streamlit.web.server.server_util import get_cookie_secret
    from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value

    secret = get_cookie_secret()

    def single(name: str) -> bytes | None:
        raw = cookies.get(name)
        return None if raw is None else decode_signed_value(secret, name, raw.encode("latin-1"))

    decoded = get_cookie_with_chunks(single, USER_COOKIE)
    if not decoded:
        return None
    try:
        claims = json.loads(decoded)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return claims if isinstance(claims, dict) and claims.get("is_logged_in") is True else None


def media_allowed(cookies: Mapping[str, str], mode: auth.Mode) -> bool:
    """Whether a ``/media/`` request with these ``cookies`` may be served in sign-in ``mode``: always in local
    mode; with sign-in, only to a signed-in user whose ID token has not expired and who holds a role; never when
    the server refuses everyone."""
    if mode == "local":
        return True
    if mode == "refused":
        return False
    claims = signed_in_claims(cookies)
    return claims is not None and not auth.expired(claims) and bool(auth.roles_from(claims, auth.settings()))


def _media_path(path: str) -> bool:
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    prefix = f"/{base}/media/" if base else "/media/"
    return path.startswith(prefix)


class WebGuard:
    """ASGI middleware: :data:`HEADERS` on every HTTP response; ``/media/`` only with a session (see module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in HEADERS.items()]
        self._names = {k for k, _ in self._headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self._names]
                message["headers"] = kept + self._headers
            await send(message)

        if _media_path(str(scope.get("path", ""))) and not media_allowed(_cookies(scope), auth.mode()):
            body = b"Sign in to download this file.\n"
            await send_with_headers({"type": "http.response.start", "status": 403, "headers": [
                (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
            await send_with_headers({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send_with_headers)
