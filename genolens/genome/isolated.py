"""Reading an untrusted file in a worker process, so that a crash of htslib ends that read only.

cyvcf2 (htslib) runs in the process that calls it: a file it mishandles can crash the whole
dashboard and every user's session with it. :func:`read_patient_isolated` runs
:func:`~genolens.genome.patient.read_patient` in a fresh Python process (``python -m
genolens.genome.isolated``; about 0.3 s to start, measured): never a fork of the dashboard, whose threads
and torch live in the parent, and never a multiprocessing child, which would run the parent's main script
(under ``streamlit run``, ``app.py``) again. The job goes in pickled on the child's stdin; progress, the
result or the error come back pickled on its stdout. A crash, a kill or a timeout of the child becomes a
:class:`~genolens.errors.VcfReadError` for that read, and every temporary file the child wrote
(normalised copies, indexes) is removed whatever happened, because its temporary folder is made and
deleted here.

A long-running caller (the dashboard) can keep one worker started ahead (:func:`keep_worker_warm`): a fresh
process that has already imported the reader and loaded the panels and ancestry markers, waiting for its one
job. Every read still gets a process of its own that ends with it; the next spare is started as one is taken.
A spare started under other settings (``GENOLENS_*`` variables, e.g. input limits changed since, or another
``PYTHONPATH``) is not used.
"""

from __future__ import annotations

import atexit
import importlib
import importlib.util
import os
import pickle
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

from genolens.datamodel import PatientGenome
from genolens.errors import GenoLensError, VcfReadError
from genolens.genome.spool import INDEX_PREFIX, OWNER_FILE

READ_TIMEOUT_S = 600.0
"""Default limit on one isolated read (a whole-genome file reads in well under a minute)."""

_ROOT = Path(__file__).resolve().parents[2]
"""The folder that holds the ``genolens`` package (the child's working directory and import path)."""
_T = TypeVar("_T")
Progress = Callable[[float, str], None]


_SPARE_LOCK = threading.Lock()
_SPARES: list[tuple[subprocess.Popen[bytes], str, dict[str, str]]] = []
"""At most one (process, its temporary folder, the environment it started under) waiting for a job."""
_KEEP_WARM: list[bool] = [False]


def _settings() -> dict[str, str]:
    """The environment a worker's answer depends on: GenoLens's own variables and the import path."""
    return {k: v for k, v in os.environ.items() if k.startswith("GENOLENS_") or k == "PYTHONPATH"}


def keep_worker_warm() -> None:
    """Keep one worker process started ahead of the next isolated call, in this process from now on."""
    if not _KEEP_WARM[0]:
        _KEEP_WARM[0] = True
        atexit.register(_drop_spares)
    _refill()


def _spawn() -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    """A new worker, with its own 0700 temporary folder as TMPDIR (owned by this process, so that a sweep of
    stale folders never takes a spare's folder while it waits)."""
    workdir = tempfile.mkdtemp(prefix="genolens-worker-")
    os.chmod(workdir, 0o700)
    (Path(workdir) / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")
    base = _settings()
    env = {**os.environ, "TMPDIR": workdir, "PYTHONPATH": os.pathsep.join(
        [str(_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    proc = subprocess.Popen([sys.executable, "-m", "genolens.genome.isolated"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=_ROOT, env=env,
                            start_new_session=True)
    return proc, workdir, base


def _end(proc: subprocess.Popen[bytes], workdir: str) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()
    shutil.rmtree(workdir, ignore_errors=True)


def _refill() -> None:
    with _SPARE_LOCK:
        if not _SPARES:
            _SPARES.append(_spawn())


def _drop_spares() -> None:
    with _SPARE_LOCK:
        while _SPARES:
            proc, workdir, _ = _SPARES.pop()
            _end(proc, workdir)


def _worker() -> tuple[subprocess.Popen[bytes], str]:
    """A spare started under the current environment, else a new worker; starts the next spare when kept warm."""
    taken = None
    with _SPARE_LOCK:
        while _SPARES and taken is None:
            proc, workdir, env = _SPARES.pop()
            if proc.poll() is None and env == _settings():
                taken = (proc, workdir)
            else:
                _end(proc, workdir)
    if _KEEP_WARM[0]:
        _refill()
    if taken is None:
        proc, workdir, _ = _spawn()
        taken = (proc, workdir)
    return taken


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
        panels, source_name, sha256, qc_records, index_dir). With ``sha256`` and no ``index_dir``, an index
        built for the file is kept in this process's private index folder for later reads of the same
        bytes (at most :data:`INDEXES_KEPT`, removed when the process exits).

    Raises
    ------
    GenoLensError
        What ``read_patient`` raises, unchanged; a :class:`~genolens.errors.VcfReadError` when the
        worker crashed, was killed or passed ``timeout``.
    """
    name = str(options.get("source_name") or Path(path).name)
    if options.get("sha256") and "index_dir" not in options:
        options["index_dir"] = str(_index_folder())
    try:
        return run_isolated(_read_patient, (str(path),), options, name=name, timeout=timeout, progress=progress)
    finally:
        if "index_dir" in options:
            _prune(Path(options["index_dir"]))


_INDEX_FOLDER: list[Path] = []
"""This process's private folder of indexes built for uploads (made on first use; see :func:`_index_folder`)."""
INDEXES_KEPT = 16
"""Indexes kept in that folder, the most recently used; older ones are removed."""


def _index_folder() -> Path:
    """The private folder (0700, with an owner file) where indexes built for uploads are kept for this process's
    later reads of the same bytes (the dashboard reads a file again for another sample, build or policy). It is
    removed when this process exits, and by :func:`~genolens.genome.spool.sweep_stale_uploads` after a crash."""
    if not _INDEX_FOLDER or not _INDEX_FOLDER[0].is_dir():
        folder = Path(tempfile.mkdtemp(prefix=INDEX_PREFIX))
        os.chmod(folder, 0o700)
        (folder / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")
        _INDEX_FOLDER[:] = [folder]
        atexit.register(shutil.rmtree, folder, True)
    return _INDEX_FOLDER[0]


def _prune(folder: Path) -> None:
    """Keep the :data:`INDEXES_KEPT` most recently used indexes of ``folder``."""
    try:
        found = sorted((p for p in folder.iterdir() if p.suffix in (".tbi", ".csi")),
                       key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in found[INDEXES_KEPT:]:
        old.unlink(missing_ok=True)


def list_samples_isolated(path: str | os.PathLike[str], *, name: str | None = None,
                          timeout: float = READ_TIMEOUT_S) -> tuple[str, ...]:
    """The file's sample names like :func:`~genolens.genome.patient.list_samples`, in a worker process.

    The header is checked and parsed by htslib there, so a header that crashes htslib ends this call
    only (a :class:`~genolens.errors.VcfReadError`), never the process that asked.
    """
    return run_isolated(_list_samples, (str(path),), {}, name=name or Path(path).name, timeout=timeout)


def _list_samples(path: str, progress: Progress | None = None) -> tuple[str, ...]:
    from genolens.genome.patient import list_samples

    return list_samples(path)


def _read_patient(path: str, progress: Progress | None = None, **options: Any) -> PatientGenome:
    from genolens.genome.patient import read_patient

    return read_patient(path, progress=progress, **options)


def run_isolated(func: Callable[..., _T], args: tuple[Any, ...], kwargs: dict[str, Any], *, name: str,
                 timeout: float, progress: Progress | None = None) -> _T:
    """Run ``func(*args, progress=..., **kwargs)`` in a worker process and return its result.

    ``func`` must be a module-level function (the child imports it by module and name) that takes a
    ``progress`` keyword; its arguments, its result and the ``GenoLensError`` it raises travel pickled.

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
    job = pickle.dumps((func.__module__, func.__code__.co_filename, func.__qualname__, args, kwargs,
                        progress is not None))
    proc, workdir = _worker()
    messages: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
    assert proc.stdin is not None and proc.stdout is not None
    reader = threading.Thread(target=_read_messages, args=(proc.stdout, messages), daemon=True)
    reader.start()
    try:
        try:
            proc.stdin.write(job)
            proc.stdin.close()
        except BrokenPipeError:
            pass  # the child died at once: its exit status says how
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise VcfReadError(f"Reading '{name}' took longer than {timeout:.0f} s and was stopped. The file "
                                   "may be far larger than a patient's VCF; extract the region or sample you "
                                   "need (bcftools view) and load that.")
            try:
                message = messages.get(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            if message is None:
                break
            kind, *payload = message
            if kind == "progress" and progress is not None:
                progress(*payload)
            elif kind == "ok":
                return payload[0]  # type: ignore[no-any-return]
            elif kind == "error":
                raise payload[0]
            elif kind == "bug":
                raise RuntimeError(f"reading '{name}' failed in the worker: {payload[0]}")
        proc.wait(5)
        raise VcfReadError(_crash_message(name, proc.returncode))
    finally:
        _end(proc, workdir)


def _read_messages(stream: IO[bytes], out: queue.Queue[tuple[Any, ...] | None]) -> None:
    """Unpickle the child's messages into ``out``; ``None`` when its stdout ends (done, crashed or killed)."""
    try:
        while True:
            out.put(pickle.load(stream))
    except (EOFError, OSError, pickle.UnpicklingError, ValueError):
        out.put(None)


def _module(name: str, source: str) -> Any:
    """The job's module by name, or from its source file when the name does not import (a test module that
    pytest imported by its file name)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        spec = importlib.util.spec_from_file_location(name, source)
        if spec is None or spec.loader is None:
            raise
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


def _preload() -> None:
    """What every read needs, loaded while the worker waits for its job (a spare is started ahead)."""
    try:
        from genolens.genome.ancestry import marker_sites
        from genolens.genome.panel import load_panels
        from genolens.genome.patient import read_patient  # noqa: F401  # imported for its import time

        load_panels()
        marker_sites("GRCh37")
        marker_sites("GRCh38")
    except Exception:  # the job itself will meet the problem and report it
        pass


def _child() -> None:
    """The worker (``python -m genolens.genome.isolated``): run the job from stdin, answer on stdout."""
    _preload()
    module, source, qualname, args, kwargs, report = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing the job prints may corrupt the answer

    def send(*message: Any) -> None:
        pickle.dump(message, out)
        out.flush()

    def progress(fraction: float, message: str) -> None:
        send("progress", fraction, message)

    try:
        func = getattr(_module(module, source), qualname)
        result = func(*args, progress=progress if report else None, **kwargs)
    except GenoLensError as exc:
        send("error", exc)
    except Exception as exc:  # a bug: say what, and let the parent raise it
        send("bug", f"{type(exc).__name__}: {exc}")
    else:
        send("ok", result)


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


if __name__ == "__main__":
    _child()
