"""A Streamlit session without a browser: Streamlit's own protocol over a bare WebSocket (tests/e2e/test_flood.py).

The client connects to ``/_stcore/stream`` with the subprotocol ``streamlit`` (as Streamlit's frontend does; no
XSRF token is needed, it only guards the sign-in cookie) and sends ``BackMsg.rerun_script`` with a
``ClientState.page_script_hash`` to change page, as the frontend does when a sidebar link is clicked. A reader
thread parses every ``ForwardMsg``: the page list (the latest ``navigation`` message: with ``st.navigation`` the
pages are not in ``NewSession.app_pages``, which lists only the entry script), each finished script run (its
``script_finished`` status and the headings and texts it drew; ``new_session`` opens every run) and the id of
every widget by label. Nothing here draws anything, so a flood can run at any rate.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import TracebackType

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

SUBPROTOCOL = Subprotocol("streamlit")
_TEXT_KINDS = ("heading", "markdown", "alert", "caption", "text")


@dataclass
class Run:
    """One script run as the client saw it: every heading/text body it drew, and how it finished."""

    texts: list[str] = field(default_factory=list)
    status: int | None = None  # ForwardMsg.ScriptFinishedStatus; None while it runs


class RawSession:
    """One Streamlit session over ``ws://…/_stcore/stream``; a context manager that closes the socket."""

    def __init__(self, url: str, timeout: float = 60) -> None:
        self.timeout = timeout
        self._ws: ClientConnection = connect(
            url.replace("http://", "ws://", 1) + "/_stcore/stream", subprotocols=[SUBPROTOCOL],
            max_size=None, proxy=None, ping_interval=None, open_timeout=timeout, compression=None,
            legacy=True)  # connected here, closed by close()
        self._cond = threading.Condition()
        self.pages: dict[str, str] = {}
        """Page title -> page_script_hash, from the latest ``navigation`` message."""
        self.widgets: dict[str, str] = {}
        """Widget label -> widget id, every widget seen so far."""
        self.runs: list[Run] = []
        """Every script run, in order (the last may still be running)."""
        self.messages = 0
        self.closed: str | None = None
        """Why the connection ended (None while it is open)."""
        self._reader = threading.Thread(target=self._read, name="raw-session-reader", daemon=True)
        self._reader.start()

    def __enter__(self) -> RawSession:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._ws.close()
        self._reader.join(timeout=self.timeout)

    # --- receiving ---------------------------------------------------------------------------------------------
    def _read(self) -> None:
        try:
            while True:
                raw = self._ws.recv()
                msg = ForwardMsg()
                msg.ParseFromString(raw if isinstance(raw, bytes) else raw.encode())
                with self._cond:
                    self._take(msg)
                    self._cond.notify_all()
        except ConnectionClosed as err:
            reason = f"closed: {err!r}"
        except Exception as err:  # reported through .closed: a thread must not raise into pytest
            reason = f"reader failed: {err!r}"
        with self._cond:
            self.closed = reason
            self._cond.notify_all()

    def _take(self, msg: ForwardMsg) -> None:
        self.messages += 1
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.runs.append(Run())
        elif kind == "navigation":
            self.pages = {p.page_name: p.page_script_hash for p in msg.navigation.app_pages}
        elif kind == "script_finished" and self.runs:
            self.runs[-1].status = msg.script_finished
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            sub = element.WhichOneof("type")
            if sub in _TEXT_KINDS and self.runs:
                self.runs[-1].texts.append(getattr(element, sub).body)
            elif sub is not None:
                proto = getattr(element, sub)
                if hasattr(proto, "label") and hasattr(proto, "id") and proto.id:
                    self.widgets[proto.label] = proto.id

    def finished(self) -> list[int]:
        """The ``script_finished`` status of every run that has finished."""
        with self._cond:
            return [r.status for r in self.runs if r.status is not None]

    # --- sending -----------------------------------------------------------------------------------------------
    def request(self, page_hash: str = "", widgets: Iterable[WidgetState] = ()) -> None:
        """Send one ``rerun_script`` for ``page_hash`` ('' is the default page); return at once."""
        msg = BackMsg()
        msg.rerun_script.page_script_hash = page_hash
        msg.rerun_script.widget_states.widgets.extend(widgets)
        self._ws.send(msg.SerializeToString())

    def run(self, page_hash: str = "", widgets: Iterable[WidgetState] = ()) -> Run:
        """Ask for a run of ``page_hash`` and wait for a run started after it to finish without being replaced.

        Raises
        ------
        TimeoutError
            No such run within :attr:`timeout` seconds, or the connection ended.
        """
        with self._cond:
            before = len(self.runs)
        self.request(page_hash, widgets)
        deadline = time.monotonic() + self.timeout
        with self._cond:
            while True:
                done = [r for r in self.runs[before:] if r.status == ForwardMsg.FINISHED_SUCCESSFULLY]
                if done:
                    return done[-1]
                left = deadline - time.monotonic()
                if self.closed is not None or left <= 0:
                    raise TimeoutError(f"no finished run of {page_hash!r} ({self.closed or 'timed out'})")
                self._cond.wait(left)

    def wait_idle(self, quiet: float = 2.0) -> None:
        """Wait until the last run has finished and nothing has arrived for ``quiet`` seconds.

        Raises
        ------
        TimeoutError
            Not idle within :attr:`timeout` seconds, or the connection ended.
        """
        deadline = time.monotonic() + self.timeout
        with self._cond:
            while True:
                seen = self.messages
                idle = not self.runs or self.runs[-1].status is not None
                if idle and not self._cond.wait(quiet) and self.messages == seen:
                    return
                if self.closed is not None or time.monotonic() > deadline:
                    raise TimeoutError(f"session not idle ({self.closed or 'timed out'})")
                if not idle:
                    self._cond.wait(min(quiet, max(deadline - time.monotonic(), 0.01)))

    def select(self, label: str, value: str, page_hash: str) -> Run:
        """Choose ``value`` in the selectbox labelled ``label`` (seen in an earlier run) on ``page_hash``."""
        return self.run(page_hash, [WidgetState(id=self.widgets[label], string_value=value)])

    def flood(self, page_hashes: Sequence[str], n: int, every: float) -> list[float]:
        """Send ``n`` page changes, one every ``every`` seconds on a fixed schedule, cycling through
        ``page_hashes``, without waiting for any run; return the ``time.monotonic()`` of each send."""
        sent: list[float] = []
        start = time.monotonic()
        for i in range(n):
            delay = start + i * every - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.request(page_hashes[i % len(page_hashes)])
            sent.append(time.monotonic())
        return sent
