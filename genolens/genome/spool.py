"""Uploaded bytes as a private temporary file, so a path-based reader (htslib) can open them.

:func:`spooled_upload` removes its folder on exit; a crash or a kill of the server can leave one
behind. :func:`sweep_stale_uploads` (run once when the dashboard starts) removes the folders no live
process can be using.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

UPLOAD_PREFIX = "genolens-upload-"
"""Name prefix of :func:`spooled_upload`'s private folders in the temporary directory."""
INDEX_PREFIX = "genolens-index-"
"""Name prefix of the private folder where a process keeps the indexes it built for uploads."""
SWEPT_PREFIXES: tuple[str, ...] = (UPLOAD_PREFIX, "genolens-worker-", "genolens-read-", INDEX_PREFIX)
"""Prefixes of the temporary folders the sweep looks at (uploads, isolated-read workers, readers, indexes)."""
OWNER_FILE = ".owner"
"""File in an upload or index folder holding the id of the process that made it (an upload's name never
starts with a dot, so it cannot clash)."""
STALE_AFTER_S = 3600.0
"""A folder without an owner file is stale after this long (an isolated read is stopped after 10 min)."""
_STARTED = time.time()
"""When this module was loaded: a folder of this process's id made before then was made by an earlier
process that had the same id (a restarted container)."""
_CLOCK_SLACK_S = 2.0
"""Slack for file systems that keep modification times to the second."""


@contextmanager
def spooled_upload(data: bytes, name: str) -> Iterator[Path]:
    """Write uploaded bytes to a private temporary file, yield its path, delete it on exit.

    Parameters
    ----------
    data
        The uploaded file's bytes.
    name
        The uploaded file's name; only its suffix is kept (htslib looks at ``.bcf``/``.gz``).
    """
    # Keep the user's file name (messages name it) but only safe characters, inside a private folder.
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name or "upload").name).strip("._")[:120] or "upload"
    folder = tempfile.mkdtemp(prefix=UPLOAD_PREFIX)
    os.chmod(folder, 0o700)
    path = Path(folder) / safe
    try:
        (Path(folder) / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")
        path.write_bytes(data)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _owner(folder: Path) -> int | None:
    """The process id in ``folder``'s owner file; ``None`` when there is none or it is unreadable."""
    try:
        text = (folder / OWNER_FILE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and int(text) > 0 else None


def _alive(pid: int) -> bool:
    """Whether a process with id ``pid`` exists on this host (one of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists but is not ours to signal (PermissionError), or we cannot tell
    return True


def is_stale(folder: Path, *, now: float, max_age_s: float = STALE_AFTER_S) -> bool:
    """Whether no live process can be using the temporary folder ``folder``.

    The rule: a folder with an owner file is stale when that process no longer exists, or when the
    owner is this very process but the folder is older than this process's start (an earlier
    process had the same id). A folder with no owner file (a worker's or reader's folder, or one
    left between its creation and its owner file) is stale when it was last modified more than
    ``max_age_s`` seconds before ``now``: far longer than an isolated read may run. A folder whose
    owner is alive is kept, however old.

    Parameters
    ----------
    folder
        A folder in the temporary directory.
    now
        The current time, seconds since the epoch.
    max_age_s
        Age after which a folder with no owner file is stale.
    """
    try:
        mtime = folder.lstat().st_mtime
    except OSError:
        return False  # gone already
    pid = _owner(folder)
    if pid is None:
        return now - mtime > max_age_s
    if pid == os.getpid():
        return mtime < _STARTED - _CLOCK_SLACK_S
    return not _alive(pid)


def sweep_stale_uploads(tmpdir: Path | None = None, *, max_age_s: float = STALE_AFTER_S,
                        now: float | None = None) -> list[Path]:
    """Remove the stale GenoLens temporary folders (see :func:`is_stale`) left by a crash or a kill.

    Only real folders (not links) owned by this user and named with one of :data:`SWEPT_PREFIXES`
    are looked at; errors while removing are ignored (another process may be sweeping too).

    Parameters
    ----------
    tmpdir
        The temporary directory; ``tempfile.gettempdir()`` by default.
    max_age_s
        Age after which a folder with no owner file is stale.
    now
        The current time, seconds since the epoch; ``time.time()`` by default.

    Returns
    -------
    list of Path
        The folders removed, sorted.
    """
    root = Path(tmpdir if tmpdir is not None else tempfile.gettempdir())
    at = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return []
    for entry in entries:
        if not entry.name.startswith(SWEPT_PREFIXES) or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
        except OSError:
            continue
        folder = Path(entry.path)
        if is_stale(folder, now=at, max_age_s=max_age_s):
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                removed.append(folder)
    return sorted(removed)
