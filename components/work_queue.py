"""The report work of every session, shared and bounded: at most N computations at once, one per identical request.

Twenty clinicians opening reports at once on a 2-core server used to start twenty computations together:
each took as long as all of them, memory grew with each, and downloads were cancelled. Every heavy step
(a report, an explanation, an export rendered) now asks :class:`WorkQueue` for a slot:

* at most ``workers`` steps run at once (by default one per CPU core); the others wait their turn in the
  order they came, each told its place (:data:`Waiting`), so the first asked is the first served;
* a step asked for while an identical one (same key) is running waits for that one and takes its result:
  one computation per identical request. Keys carry the input file's SHA-256 and every option that changes
  the result, so only a session holding the very same file and choices can share a computation; nothing is
  kept after the step ends (results are cached per session by :mod:`components.cached`);
* a step run inside another (an explanation inside a report) runs in its parent's slot, never waits for a
  second one (no deadlock with every slot held by parents);
* the step runs in the caller's own thread (the Streamlit script thread, or the download's thread), so a
  session leaving the page while it waits gives its place up at once.

The queue itself is one per server process (``st.cache_resource`` in :func:`shared`); it holds no patient data.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import TypeVar

import streamlit as st

T = TypeVar("T")

Waiting = Callable[[int], None]
"""Told, while a step waits, how many steps are ahead of it (running ones included); called again as that changes."""

_POLL_S = 0.25
"""How often a waiting step looks at its place (and lets Streamlit stop it if the session moved on)."""


class WorkQueue:
    """At most ``workers`` steps at once, first come first served; identical keys share one computation."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self.workers = workers
        self._lock = threading.Condition()
        self._running = 0
        self._line: list[object] = []  # tickets of the steps waiting for a slot, oldest first
        self._inflight: dict[Hashable, Future[object]] = {}
        self._held = threading.local()  # whether this thread runs a step now (nested steps use its slot)
        self.computed = 0
        """Steps computed since start (a shared one counts once)."""
        self.shared = 0
        """Steps that took the result of an identical one already running."""

    def run(self, key: Hashable | None, step: Callable[[], T], waiting: Waiting | None = None) -> T:
        """Run ``step`` in a free slot and return its result (or raise its error).

        ``key``: identical keys running at once share one computation (``None``: never shared).
        ``waiting``: told this step's place while it waits (not called when a slot is free at once).
        """
        if getattr(self._held, "depth", 0):  # inside a running step: use its slot
            return self._compute(step)
        while True:
            with self._lock:
                running = self._inflight.get(key) if key is not None else None
                if running is None:
                    mine: Future[object] = Future()
                    if key is not None:
                        self._inflight[key] = mine
            if running is None:
                return self._own(key, mine, step, waiting)
            self._wait_for(running, waiting)
            error = running.exception()
            if error is None or isinstance(error, Exception):  # its result, or its error: the same inputs'
                with self._lock:
                    self.shared += 1
                return running.result()  # type: ignore[return-value]
            # the session that computed it moved on (Streamlit stopped its script): compute it here

    def _own(self, key: Hashable | None, mine: Future[object], step: Callable[[], T], waiting: Waiting | None) -> T:
        try:
            self._take_slot(waiting)
        except BaseException as error:  # stopped while waiting (the session moved on): hand over, leave
            self._finish(key, mine, error=error)
            raise
        try:
            result = self._compute(step)
        except BaseException as error:
            self._finish(key, mine, error=error)
            raise
        finally:
            with self._lock:
                self._running -= 1
                self._lock.notify_all()
        self._finish(key, mine, result=result)
        return result

    def _compute(self, step: Callable[[], T]) -> T:
        self._held.depth = getattr(self._held, "depth", 0) + 1
        try:
            result = step()
        finally:
            self._held.depth -= 1
        with self._lock:
            self.computed += 1
        return result

    def _take_slot(self, waiting: Waiting | None) -> None:
        ticket = object()
        with self._lock:
            self._line.append(ticket)
            try:
                while not self._my_turn(ticket):
                    if waiting is not None:  # told its place; Streamlit may stop it here if the session moved on
                        ahead = self._running + self._line.index(ticket)
                        self._lock.release()  # never call out holding the lock
                        try:
                            waiting(ahead)
                        finally:
                            self._lock.acquire()
                        if self._my_turn(ticket):
                            break
                    self._lock.wait(_POLL_S)
            finally:
                self._line.remove(ticket)
                self._lock.notify_all()
            self._running += 1

    def _my_turn(self, ticket: object) -> bool:
        return self._running < self.workers and self._line[0] is ticket

    def _wait_for(self, running: Future[object], waiting: Waiting | None) -> None:
        while True:
            try:
                running.exception(timeout=_POLL_S)
                return
            except TimeoutError:
                if waiting is not None:
                    waiting(0)

    def _finish(self, key: Hashable | None, mine: Future[object], *, result: object = None,
                error: BaseException | None = None) -> None:
        with self._lock:
            if key is not None and self._inflight.get(key) is mine:
                del self._inflight[key]
        if error is None:
            mine.set_result(result)
        else:
            mine.set_exception(error)


def default_workers() -> int:
    """One step per CPU core this process may use."""
    return max(1, len(os.sched_getaffinity(0)))


@st.cache_resource(show_spinner=False)
def shared() -> WorkQueue:
    """The server's one queue (every session's)."""
    return WorkQueue(default_workers())
