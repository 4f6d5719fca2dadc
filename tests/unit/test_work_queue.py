"""The shared, bounded report queue: at most N steps at once, first come first served, one computation per
identical key, nested steps in their parent's slot, a stopped waiter leaves without harm.

Threads are coordinated by events and the queue's own ``waiting`` callback (called once a step is in line),
never by sleeping for a guessed time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from components.work_queue import WorkQueue

WAIT_S = 30  # a generous bound for a thread to reach a point; reaching it is what is asserted


class Stopped(BaseException):
    """What Streamlit raises in a script whose session moved on (a BaseException, like StopException)."""


def _in_line(events: dict[str, threading.Event], name: str) -> Callable[[int], None]:
    def told(ahead: int) -> None:
        events[name].set()
    return told


def test_at_most_workers_steps_run_at_once() -> None:
    queue = WorkQueue(2)
    lock, active, peak = threading.Lock(), [0], [0]
    two_in, go = threading.Event(), threading.Event()

    def step() -> int:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
            if active[0] == 2:
                two_in.set()
        assert go.wait(WAIT_S)
        with lock:
            active[0] -= 1
        return 1

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(queue.run, None, step) for _ in range(8)]
        assert two_in.wait(WAIT_S)
        go.set()
        assert sum(f.result(WAIT_S) for f in futures) == 8
    assert peak[0] == 2 and queue.computed == 8 and queue.shared == 0


def test_identical_keys_share_one_computation_and_its_error() -> None:
    queue = WorkQueue(2)
    started, go = threading.Event(), threading.Event()
    joined = {f"s{i}": threading.Event() for i in range(4)}
    calls = [0]

    def step() -> list[int]:
        calls[0] += 1
        started.set()
        assert go.wait(WAIT_S)
        return [42]

    with ThreadPoolExecutor(5) as pool:
        owner = pool.submit(queue.run, ("sha", "S1"), step)
        assert started.wait(WAIT_S)
        sharers = [pool.submit(queue.run, ("sha", "S1"), step, _in_line(joined, n)) for n in joined]
        assert all(e.wait(WAIT_S) for e in joined.values())  # every one is waiting on the owner's computation
        go.set()
        results = [owner.result(WAIT_S)] + [f.result(WAIT_S) for f in sharers]
    assert calls[0] == 1 and queue.computed == 1 and queue.shared == 4
    assert all(r is results[0] for r in results)

    failing, go = threading.Event(), threading.Event()

    def broken() -> None:
        failing.set()
        assert go.wait(WAIT_S)
        raise ValueError("bad record at line 3")

    joined = {"s": threading.Event()}
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(queue.run, "k", broken)
        assert failing.wait(WAIT_S)
        second = pool.submit(queue.run, "k", broken, _in_line(joined, "s"))
        assert joined["s"].wait(WAIT_S)
        go.set()
        for future in (first, second):
            with pytest.raises(ValueError, match="bad record at line 3"):
                future.result(WAIT_S)


def test_waiting_steps_are_served_in_the_order_they_came_and_told_their_place() -> None:
    queue = WorkQueue(1)
    holding, release = threading.Event(), threading.Event()
    order: list[str] = []
    places: dict[str, list[int]] = {n: [] for n in "ABC"}
    in_line = {n: threading.Event() for n in "ABC"}

    def blocker() -> None:
        holding.set()
        assert release.wait(WAIT_S)

    def told(name: str) -> Callable[[int], None]:
        def record(ahead: int) -> None:
            places[name].append(ahead)
            in_line[name].set()
        return record

    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(queue.run, None, blocker)
        assert holding.wait(WAIT_S)
        futures = []
        for name in "ABC":  # each is in line before the next comes
            futures.append(pool.submit(queue.run, None, lambda n=name: order.append(n), told(name)))
            assert in_line[name].wait(WAIT_S)
        release.set()
        first.result(WAIT_S)
        for f in futures:
            f.result(WAIT_S)
    assert order == ["A", "B", "C"]
    assert [places[n][0] for n in "ABC"] == [1, 2, 3]  # the running step, then those ahead in line


def test_a_step_inside_a_step_runs_in_its_parents_slot() -> None:
    queue = WorkQueue(1)
    assert queue.run("report", lambda: queue.run("explanation", lambda: 3) + 1) == 4
    assert queue.computed == 2


def test_a_waiter_stopped_by_its_session_leaves_the_line_and_a_sharer_of_a_stopped_owner_computes() -> None:
    queue = WorkQueue(1)
    holding, release = threading.Event(), threading.Event()

    def blocker() -> str:
        holding.set()
        assert release.wait(WAIT_S)
        return "done"

    def stop(ahead: int) -> None:
        raise Stopped

    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(queue.run, None, blocker)
        assert holding.wait(WAIT_S)
        with pytest.raises(Stopped):  # the session moved on while it waited: it leaves the line
            queue.run("k", lambda: "never", stop)
        joined = {"s": threading.Event()}
        sharer_owner_stops = threading.Event()

        def owner_told(ahead: int) -> None:
            sharer_owner_stops.set()
            if joined["s"].is_set():
                raise Stopped

        owner = pool.submit(queue.run, "k2", lambda: "owner's", owner_told)
        assert sharer_owner_stops.wait(WAIT_S)
        sharer = pool.submit(queue.run, "k2", lambda: "sharer's", _in_line(joined, "s"))
        assert joined["s"].wait(WAIT_S)
        with pytest.raises(Stopped):
            owner.result(WAIT_S)
        release.set()
        assert first.result(WAIT_S) == "done"
        assert sharer.result(WAIT_S) == "sharer's"  # its owner left: it computed the step itself
    assert queue.run(None, lambda: "free") == "free"  # no slot was leaked by the stopped ones
