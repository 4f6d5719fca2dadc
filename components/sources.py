"""Where a patient file comes from: an upload (bytes) or a file in the server folder (path)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from genolens.genome import spooled_upload


@dataclass(frozen=True)
class PatientSource:
    """One patient file, identified by its content hash."""

    name: str
    """File name shown to the user (never a server path)."""
    sha256: str
    """SHA-256 hex of the file bytes: the cache key."""
    data: bytes | None = field(default=None, repr=False)
    """Uploaded bytes; ``None`` for a server file."""
    path: Path | None = None
    """Server file; ``None`` for an upload."""

    @contextmanager
    def local_path(self) -> Iterator[Path]:
        """Yield a path cyvcf2 can open: the server file, or a private temp copy of the upload."""
        if self.path is not None:
            yield self.path
            return
        with spooled_upload(self.data or b"", self.name) as path:
            yield path


def sha256_bytes(data: bytes) -> str:
    """Return the SHA-256 hex digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Return the SHA-256 hex digest of the file at ``path``, read in chunks."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
