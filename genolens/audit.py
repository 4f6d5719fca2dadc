"""The audit trail: an append-only, tamper-evident JSON-lines log of who did what to which patient.

Each line is one entry::

    {"seq": 3, "time": "2026-05-01T09:30:12.123456+00:00", "user": "a.smith@example.org", "role": "clinician",
     "action": "open_patient", "patient": {"sha256": "<64 hex>", "sample": "NA12878"},
     "models": ["breast_cancer 2.0.0"], "detail": "", "prev": "<hash of entry 2>", "hash": "<sha256 of this entry>"}

``hash`` is the SHA-256 of the entry's canonical JSON (keys sorted, no spaces, UTF-8) without the
``hash`` key; ``prev`` is the previous entry's ``hash`` (:data:`GENESIS` for the first). Editing,
deleting, inserting or reordering an entry therefore breaks the chain, and :func:`verify` says where.
A patient is named by the SHA-256 of its input file and the sample, never by genotypes or the file name.

Appends are safe across threads and processes: the file is opened ``O_APPEND``, an exclusive
``fcntl.flock`` is held while the last entry is read and the new line written with one ``write``.
Where the log lives: :func:`log_path` (``$GENOLENS_AUDIT_LOG``, else ``[audit] log`` in ``genolens.toml``,
else a per-user data folder; never inside the project).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from genolens.datamodel import PatientGenome
from genolens.errors import AuditError

Action = Literal["open_patient", "view_page", "export", "cohort_job", "what_if", "sign_in", "sign_out", "denied"]
"""What an entry records."""
ACTIONS: tuple[str, ...] = get_args(Action)
"""Every :data:`Action`, in the order the Admin page offers them."""
GENESIS = "0" * 64
"""The ``prev`` of the first entry."""
AUDIT_LOG_ENV = "GENOLENS_AUDIT_LOG"
"""Environment variable naming the log file (wins over ``genolens.toml``)."""
FIELDS = ("seq", "time", "user", "role", "action", "patient", "models", "detail", "prev", "hash")
"""The keys of every entry, in the order they are written."""
MAX_DETAIL = 300
"""Longest ``detail`` accepted (characters): a page title, an export kind, a what-if count; never data."""
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TAIL_BLOCK = 64 * 1024


@dataclass(frozen=True)
class PatientRef:
    """Which patient an entry is about, without anything read from the file."""

    sha256: str
    """SHA-256 hex (64 lower-case characters) of the input file's bytes."""
    sample: str
    """Sample name as written in the VCF header."""


@dataclass(frozen=True)
class Entry:
    """One audit log entry (see the module docstring for its JSON form)."""

    seq: int
    """Position in the log, from 1, without gaps."""
    time: str
    """When, UTC, ISO 8601 with offset ``+00:00``."""
    user: str
    """Who: the signed-in user's e-mail (or subject), ``"local user"`` in local mode."""
    role: str
    """The roles the user held, comma-separated (``""`` when none)."""
    action: str
    """One of :data:`ACTIONS`."""
    patient: PatientRef | None
    """The patient concerned; ``None`` for actions about none (a model page, sign-in)."""
    models: tuple[str, ...]
    """``"<bundle name> <version>"`` of every model the action used; empty when none."""
    detail: str
    """A short description (page title, export format, number of what-if changes, denied page); never data."""
    prev: str
    """``hash`` of the previous entry; :data:`GENESIS` for the first."""
    hash: str
    """SHA-256 hex of this entry's canonical JSON without ``hash``."""

    def to_json(self) -> dict[str, object]:
        """The entry as the JSON object written to the log (keys in :data:`FIELDS` order)."""
        return _record(self.seq, self.time, self.user, self.role, self.action, self.patient, self.models,
                       self.detail, self.prev) | {"hash": self.hash}


@dataclass(frozen=True)
class Problem:
    """One thing :func:`verify` found wrong."""

    line: int
    """Line number in the file, from 1."""
    message: str
    """What is wrong there, in words."""

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def patient_ref(patient: PatientGenome) -> PatientRef:
    """The patient as the log names it: the input file's SHA-256 and the sample (nothing read from the records)."""
    return PatientRef(patient.sha256, patient.sample)


def log_path(env: Mapping[str, str] | None = None, settings: Mapping[str, object] | None = None) -> Path:
    """Where the audit log lives.

    Parameters
    ----------
    env
        Environment (default ``os.environ``); :data:`AUDIT_LOG_ENV` wins when set.
    settings
        The parsed ``genolens.toml``; its ``[audit] log`` is used next (``~`` expanded).

    Returns
    -------
    Path
        The log file; by default ``$XDG_DATA_HOME/genolens/audit.jsonl`` (``~/.local/share`` without it).
    """
    env = os.environ if env is None else env
    raw = env.get(AUDIT_LOG_ENV)
    section = (settings or {}).get("audit")
    if not raw and isinstance(section, Mapping):
        raw = section.get("log") or None
    if raw:
        return Path(str(raw)).expanduser()
    data_home = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local" / "share")
    return Path(data_home) / "genolens" / "audit.jsonl"


def canonical(record: Mapping[str, object]) -> bytes:
    """The canonical JSON bytes of ``record``: keys sorted, no spaces, UTF-8 (what ``hash`` is taken over)."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(record: Mapping[str, object]) -> str:
    """SHA-256 hex of ``record``'s canonical JSON, its ``hash`` key left out."""
    return hashlib.sha256(canonical({k: v for k, v in record.items() if k != "hash"})).hexdigest()


def _record(seq: int, time: str, user: str, role: str, action: str, patient: PatientRef | None,
            models: Sequence[str], detail: str, prev: str) -> dict[str, object]:
    return {"seq": seq, "time": time, "user": user, "role": role, "action": action,
            "patient": None if patient is None else {"sha256": patient.sha256, "sample": patient.sample},
            "models": list(models), "detail": detail, "prev": prev}


def _check(user: str, action: str, patient: PatientRef | None, detail: str) -> None:
    if action not in ACTIONS:
        raise AuditError(f"Audit action {action!r} is unknown; choose from {', '.join(ACTIONS)}.")
    if not user.strip():
        raise AuditError("An audit entry needs a user; got an empty name.")
    if patient is not None and not _HEX64.fullmatch(patient.sha256):
        raise AuditError(f"A patient is named by the SHA-256 of its file (64 hex characters), not {patient.sha256!r}.")
    if len(detail) > MAX_DETAIL:
        raise AuditError(f"An audit detail is at most {MAX_DETAIL} characters (it names, it never carries data); "
                         f"got {len(detail)}.")


def _last_line(fd: int) -> bytes:
    """The last line of the open file ``fd`` (without its newline); b"" for an empty file."""
    end = os.lseek(fd, 0, os.SEEK_END)
    if end == 0:
        return b""
    tail = b""
    pos = end
    while pos > 0:
        step = min(_TAIL_BLOCK, pos)
        pos -= step
        tail = os.pread(fd, step, pos) + tail
        if tail.count(b"\n") >= 2 or (pos == 0):
            break
    if not tail.endswith(b"\n"):
        raise AuditError("The audit log ends with a partial entry (a write was cut short or the file was edited); "
                         "run `python -m genolens audit verify` on it and start a new log.")
    return tail[:-1].rsplit(b"\n", 1)[-1]


def append(path: Path, *, user: str, role: str, action: Action, patient: PatientRef | None = None,
           models: Sequence[str] = (), detail: str = "", now: dt.datetime | None = None) -> Entry:
    """Append one entry to the log at ``path`` (created, mode 0600, with its folder when missing).

    Parameters
    ----------
    path
        The log file.
    user, role
        Who acted and the roles they held (comma-separated).
    action
        One of :data:`ACTIONS`.
    patient
        The patient concerned (file hash + sample), or ``None``.
    models
        ``"<name> <version>"`` of each model used.
    detail
        A short description (at most :data:`MAX_DETAIL` characters); never genotypes or other data.
    now
        The time to record (default: the current UTC time); a naive value is taken as UTC.

    Returns
    -------
    Entry
        The entry written.

    Raises
    ------
    AuditError
        An unknown action, an empty user, a malformed patient hash, a long detail, a log that cannot be
        written, or a log whose last line is not a complete entry.
    """
    _check(user, action, patient, detail)
    when = (now or dt.datetime.now(dt.UTC))
    when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as exc:
        raise AuditError(f"The audit log {path} cannot be opened ({exc.strerror}); set {AUDIT_LOG_ENV} to a "
                         "writable file.") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        last = _last_line(fd)
        seq, prev = 1, GENESIS
        if last:
            try:
                previous = json.loads(last)
                seq, prev = int(previous["seq"]) + 1, str(previous["hash"])
            except (ValueError, KeyError, TypeError) as exc:
                raise AuditError("The audit log's last line is not an entry; run `python -m genolens audit "
                                 "verify` on it and start a new log.") from exc
        record = _record(seq, when.isoformat(), user, role, action, patient, models, detail, prev)
        entry = Entry(seq, str(record["time"]), user, role, action, patient, tuple(models), detail, prev,
                      entry_hash(record))
        line = json.dumps(entry.to_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        if os.write(fd, line) != len(line):
            raise AuditError(f"The audit log {path} took only part of an entry (disk full?).")
        os.fsync(fd)
        return entry
    except OSError as exc:
        raise AuditError(f"The audit log {path} cannot be written ({exc.strerror}).") from exc
    finally:
        os.close(fd)  # closing releases the lock


def _lines(path: Path) -> list[tuple[int, bytes]]:
    with path.open("rb") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_SH)  # never read half of an entry being written
        data = fh.read()
    return list(enumerate(data.split(b"\n"), start=1))


def _parse(line: bytes) -> Entry:
    """One log line as an Entry; ValueError (with what is wrong) when it is not one."""
    try:
        obj = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError("not a JSON entry (edited, or a write was cut short)") from exc
    if not isinstance(obj, dict) or sorted(obj) != sorted(FIELDS):
        raise ValueError(f"not an audit entry (its keys must be {', '.join(FIELDS)})")
    pat = obj["patient"]
    if pat is not None and not (isinstance(pat, dict) and sorted(pat) == ["sample", "sha256"]):
        raise ValueError("its patient is not {sha256, sample}")
    if not isinstance(obj["seq"], int) or not isinstance(obj["models"], list):
        raise ValueError("its seq is not a number or its models not a list")
    return Entry(obj["seq"], str(obj["time"]), str(obj["user"]), str(obj["role"]), str(obj["action"]),
                 None if pat is None else PatientRef(str(pat["sha256"]), str(pat["sample"])),
                 tuple(str(m) for m in obj["models"]), str(obj["detail"]), str(obj["prev"]), str(obj["hash"]))


def read(path: Path) -> list[Entry]:
    """Every well-formed entry of the log at ``path``, in file order ([] when there is no log).

    Lines that are not entries are skipped here; :func:`verify` reports them.
    """
    if not path.is_file():
        return []
    out = []
    for _n, line in _lines(path):
        if line:
            try:
                out.append(_parse(line))
            except ValueError:
                continue
    return out


def verify(path: Path) -> list[Problem]:
    """Check the whole chain of the log at ``path``; return what is wrong ([] when intact).

    Detects an edited entry (its hash no longer matches), a deleted or inserted one (a ``seq`` gap
    or a ``prev`` that is not the hash before it), a reordered one (both), a truncated last line
    (no newline, or not JSON) and a missing file.
    """
    if not path.is_file():
        return [Problem(0, f"no audit log at {path}")]
    problems: list[Problem] = []
    prev_hash, prev_seq = GENESIS, 0
    lines = _lines(path)
    for n, line in lines:
        if n == len(lines) and line == b"":
            break  # the newline after the last entry
        try:
            entry = _parse(line)
        except ValueError as exc:
            last = n == len(lines)
            problems.append(Problem(n, f"truncated last entry: {exc}" if last else str(exc)))
            continue
        if entry_hash(entry.to_json()) != entry.hash:
            problems.append(Problem(n, f"entry seq {entry.seq} was edited (its content does not match its hash)"))
        if entry.seq != prev_seq + 1:
            problems.append(Problem(n, f"entry seq {entry.seq} follows seq {prev_seq}: an entry was deleted, "
                                       "inserted or moved"))
        if entry.prev != prev_hash:
            problems.append(Problem(n, f"entry seq {entry.seq} does not chain to the entry before it (deleted, "
                                       "inserted or moved)"))
        if entry.action not in ACTIONS:
            problems.append(Problem(n, f"entry seq {entry.seq} has an unknown action {entry.action!r}"))
        prev_hash, prev_seq = entry.hash, entry.seq
    if lines and lines[-1][1] != b"" and not any(p.line == len(lines) for p in problems):
        problems.append(Problem(len(lines), "the log does not end with a newline (its last write was cut short)"))
    return problems


def search(entries: Sequence[Entry], *, user: str = "", action: str = "", patient: str = "",
           since: dt.date | None = None, until: dt.date | None = None) -> list[Entry]:
    """The entries matching every filter given (empty strings and ``None`` match everything).

    Parameters
    ----------
    entries
        Entries as returned by :func:`read`.
    user
        Case-insensitive substring of the user.
    action
        One of :data:`ACTIONS`.
    patient
        Prefix of the patient file's SHA-256 (case-insensitive) or the exact sample name.
    since, until
        First and last UTC day included.
    """
    want_user, want_patient = user.strip().lower(), patient.strip()
    out = []
    for e in entries:
        day = dt.datetime.fromisoformat(e.time).astimezone(dt.UTC).date()
        if want_user and want_user not in e.user.lower():
            continue
        if action and e.action != action:
            continue
        if want_patient and (e.patient is None or not (e.patient.sha256.startswith(want_patient.lower())
                                                         or e.patient.sample == want_patient)):
            continue
        if (since and day < since) or (until and day > until):
            continue
        out.append(e)
    return out
