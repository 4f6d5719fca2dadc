"""Uploaded bytes as a private temporary file, so a path-based reader (htslib) can open them."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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
    folder = tempfile.mkdtemp(prefix="genolens-upload-")
    os.chmod(folder, 0o700)
    path = Path(folder) / safe
    try:
        path.write_bytes(data)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)
