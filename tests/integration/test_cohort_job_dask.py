"""Cohort jobs on a real ``distributed`` cluster: a ``dask scheduler`` and two ``dask worker`` processes started
here (free ports, 127.0.0.1 only, no dashboards, stopped at the end), as the README's Cohorts section starts them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pytest
from distributed import Client, get_task_stream

from genolens.cohort import run_cohort_job
from genolens.genome.panel import load_panel
from tests.factories import ROOT, cohort_job_rows, simulated_cohort_vcf, small_bundle

WAIT = 300  # seconds: an upper bound for start-up on a busy 2-core machine, never a measured speed


@dataclass
class Cluster:
    """A running scheduler's address and its worker processes."""

    address: str
    workers: list[subprocess.Popen[bytes]]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(bundle folder, panel folder, simulated cohort VCF of 60 samples)."""
    root = tmp_path_factory.mktemp("cohort_dask")
    bundle, _ = small_bundle(root)
    panel = load_panel("tiny", directory=root / "panels")
    return bundle, root / "panels", simulated_cohort_vcf(root / "cohort.vcf", panel, 60, seed=5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """``dask scheduler`` + two single-threaded ``dask worker`` processes (no nanny: killing one kills it)."""
    dask = str(Path(sys.executable).parent / "dask")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started: list[tuple[subprocess.Popen[bytes], IO[str]]] = []

    def start(name: str, *args: str) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed below, after the process ends
        proc = subprocess.Popen([dask, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append((proc, log))
        return proc

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")
    workers = [start(f"worker{i}", "worker", address, "--name", f"w{i}", "--nthreads", "1", "--no-nanny",
                     "--no-dashboard", "--host", "127.0.0.1", "--local-directory", str(tmp_path / f"w{i}"))
               for i in range(2)]
    try:
        yield Cluster(address, workers)
    finally:
        for proc, _ in reversed(started):
            if proc.poll() is None:
                proc.terminate()
        for proc, log in started:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def _assert_same_results(a: Path, b: Path) -> None:
    rows, other = cohort_job_rows(a), cohort_job_rows(b)
    assert rows.keys() == other.keys() and len(rows) == 60
    for key, row in rows.items():
        np.testing.assert_equal(row, other[key], err_msg=str(key))


def test_a_job_on_a_scheduler_and_two_worker_processes(
        cluster: Cluster, tiny: tuple[Path, Path, Path], tmp_path: Path) -> None:
    bundle, panels, vcf = tiny
    with Client(cluster.address, timeout="60s") as client:
        client.wait_for_workers(2, timeout=WAIT)
        with get_task_stream(client) as stream:
            done = run_cohort_job(vcf, tmp_path / "dask", bundles=[bundle], panel_dir=panels, client=client,
                                  chunk_size=6)
        ran = {t["worker"] for t in stream.data if "score_chunk" in str(t["key"])}
        converted = {k for t in stream.data for k in ("explode_partition", "encode_partition") if k in str(t["key"])}
        workers = set(client.scheduler_info()["workers"])
    assert converted == {"explode_partition", "encode_partition"}  # bio2zarr's partitions ran on the cluster
    def started(w: str, name: str) -> list[float]:
        return [t["startstops"][0]["start"] for t in stream.data if t["worker"] == w and str(t["key"]).startswith(name)]
    # every worker loaded the bundles in a task of its own, before its first chunk
    assert all(started(w, "warm-") and min(started(w, "warm-")) < min(started(w, "score_chunk-")) for w in workers)
    assert done.computed == tuple(range(10))
    assert len(ran) == 2, f"both workers should have scored chunks: {ran}"
    run_cohort_job(vcf, tmp_path / "local", bundles=[bundle], panel_dir=panels, chunk_size=6)
    _assert_same_results(tmp_path / "dask", tmp_path / "local")


def test_killing_a_worker_mid_job_still_gives_identical_results(
        cluster: Cluster, tiny: tuple[Path, Path, Path], tmp_path: Path) -> None:
    bundle, panels, vcf = tiny
    out = tmp_path / "dask"
    with Client(cluster.address, timeout="60s") as client, ThreadPoolExecutor(1) as pool:
        client.wait_for_workers(2, timeout=WAIT)
        victim = next(a for a, w in client.scheduler_info()["workers"].items() if w["name"] == "w1")
        job = pool.submit(run_cohort_job, vcf, out, bundles=[bundle], panel_dir=panels, client=client, chunk_size=2)
        # until a chunk has landed and the victim holds work (the job ending first fails the test; no clock)
        while not (list((out / "chunks").glob("chunk-*")) and client.processing(victim).get(victim)):
            assert not job.done(), "the job ended before a worker could be killed mid-job"
            time.sleep(0.05)
        cluster.workers[1].kill()  # SIGKILL while it holds work: no goodbye to the scheduler
        at_kill = len(list((out / "chunks").glob("chunk-*")))
        done = job.result(timeout=WAIT)
        assert cluster.workers[1].wait(timeout=60) != 0
        left = [w["name"] for w in client.scheduler_info()["workers"].values()]
    print(f"worker w1 killed with {at_kill}/30 chunks written; the job finished on {left}")
    assert at_kill < 30 and left == ["w0"]
    assert done.computed == tuple(range(30)) and not list((out / "chunks").glob(".*"))
    run_cohort_job(vcf, tmp_path / "local", bundles=[bundle], panel_dir=panels, chunk_size=2)
    _assert_same_results(out, tmp_path / "local")
