"""Reading an untrusted file in a worker process, so that a crash of htslib ends that read only.

cyvcf2 (htslib) runs in the process that calls it: a file it mishandles can crash the whole
dashboard and every user's session with it. :func:`read_patient_isolated` runs
:func:`~genolens.genome.patient.read_patient` in a child process started by a "forkserver" (never a
plain fork: the dashboard's threads and torch live in the parent); a crash, a kill or a timeout of the
child becomes a :class:`~genolens.errors.VcfReadError` for that read, and every temporary file the child
wrote (normalised copies, indexes) is removed whatever happened, because its temporary folder is made
and deleted here.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from genolens.datamodel import PatientGenome
from genolens.errors import GenoLensError, VcfReadError

READ_TIMEOUT_S = 600.0
"""Default limit on one isolated read (a whole-genome file reads in well under a minute)."""

_PRELOAD = ["__main__", "genolens.genome.patient"]
"""Imported once by the fork server, so that a read starts in a fraction of a second; with "__main__" there,
a child does not run the main script again (under `streamlit run`, the streamlit launcher)."""
_T = TypeVar("_T")
Progress = Callable[[float, str], None]


def read_patient_isolated(path: str | os.PathLike[str], *, timeout: float = READ_TIMEOUT_S,
                          progress: Progress | None = None, **options: Any) -> PatientGenome:
    """Read one sample like :func:`~genolens.genome.patient.read_patient`, in a worker process.

    Parameters
    ----------
    path
        The file to read (an upload already spooled to disk, or a server file).
    timeout
        Seconds the read may take; the worker is killed after that.
    progress
        Called in *this* process (and thread) with (fraction, message) as the worker reports.
    **options
        Keyword arguments of :func:`~genolens.genome.patient.read_patient` (sample, build, absent,
        panels, source_name, sha256, qc_records).

    Raises
    ------
    GenoLensError
        What ``read_patient`` raises, unchanged; a :class:`~genolens.errors.VcfReadError` when the
        worker crashed, was killed or passed ``timeout``.
    """
    name = str(options.get("source_name") or Path(path).name)
    return run_isolated(_read_patient, (str(path),), options, name=name, timeout=timeout, progress=progress)


def _read_patient(path: str, progress: Progress | None = None, **options: Any) -> PatientGenome:
    from genolens.genome.patient import read_patient

    return read_patient(path, progress=progress, **options)


def run_isolated(func: Callable[..., _T], args: tuple[Any, ...], kwargs: dict[str, Any], *, name: str,
                 timeout: float, progress: Progress | None = None) -> _T:
    """Run ``func(*args, progress=..., **kwargs)`` in a worker process and return its result.

    ``func`` must be a module-level function (it is pickled by name) that takes a ``progress``
    keyword; its result and the ``GenoLensError`` it raises travel back pickled.

    Parameters
    ----------
    func, args, kwargs
        What to run.
    name
        The file's name, for the messages.
    timeout
        Seconds before the worker is killed.
    progress
        Receives the worker's progress reports, in this thread.

    Raises
    ------
    GenoLensError
        What ``func`` raised; a :class:`~genolens.errors.VcfReadError` on a crash, kill or timeout.
    """
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    receive, send = ctx.Pipe(duplex=False)
    workdir = tempfile.mkdtemp(prefix="genolens-worker-")
    os.chmod(workdir, 0o700)
    proc = ctx.Process(target=_child, args=(send, workdir, func, args, kwargs, progress is not None),
                       name="genolens-read", daemon=True)
    try:
        proc.start()
        send.close()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise VcfReadError(f"Reading '{name}' took longer than {timeout:.0f} s and was stopped. The file "
                                   "may be far larger than a patient's VCF; extract the region or sample you "
                                   "need (bcftools view) and load that.")
            if not receive.poll(min(left, 1.0)):
                if proc.is_alive():
                    continue
                if not receive.poll(0):
                    break
            try:
                kind, *payload = receive.recv()
            except (EOFError, OSError):
                break
            if kind == "progress" and progress is not None:
                progress(*payload)
            elif kind == "ok":
                return payload[0]  # type: ignore[no-any-return]
            elif kind == "error":
                raise payload[0]
            elif kind == "bug":
                raise RuntimeError(f"reading '{name}' failed in the worker: {payload[0]}")
        proc.join(5)
        raise VcfReadError(_crash_message(name, proc.exitcode))
    finally:
        if proc.is_alive():
            proc.kill()
        if proc.pid is not None:
            proc.join()
        receive.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _child(send: Connection, workdir: str, func: Callable[..., Any], args: tuple[Any, ...],
           kwargs: dict[str, Any], report: bool) -> None:
    """The worker: run the job with temporary files in ``workdir``; send progress, then the result."""
    tempfile.tempdir = workdir
    os.environ["TMPDIR"] = workdir

    def progress(fraction: float, message: str) -> None:
        send.send(("progress", fraction, message))

    try:
        result = func(*args, progress=progress if report else None, **kwargs)
    except GenoLensError as exc:
        send.send(("error", exc))
    except Exception as exc:  # a bug: say what, and let the parent raise it
        send.send(("bug", f"{type(exc).__name__}: {exc}"))
    else:
        send.send(("ok", result))
    send.close()


def _crash_message(name: str, exitcode: int | None) -> str:
    how = "stopped"
    if exitcode is not None and exitcode < 0:
        try:
            how = f"crashed ({signal.Signals(-exitcode).name})"
        except ValueError:
            how = f"was killed (signal {-exitcode})"
    elif exitcode:
        how = f"stopped (exit status {exitcode})"
    return (f"The VCF reader {how} while reading '{name}': the file is malformed in a way GenoLens does not "
            "recognise yet. Check it with `bcftools view` and export it again. Nothing else was affected and "
            "no copy of the file was kept.")
