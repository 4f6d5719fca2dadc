"""A bounded, streaming check of a VCF's text before htslib (cyvcf2) is given the file.

htslib trusts its input: a blank line, a second ``#CHROM`` line, a ``##`` line after the records, a
NUL byte or a non-integer POS on an undeclared contig make cyvcf2 0.35 crash the whole process, and a
small .gz that expands to gigabytes, a gigabyte-long line or ten million sample columns cost gigabytes
of memory. :func:`check_vcf_text` reads the decompressed text once, in chunks of :data:`CHUNK_BYTES`,
with memory bounded by :attr:`InputLimits.max_line_bytes`, and raises a
:class:`~genolens.errors.VcfReadError` naming the line and the defect on the first problem. Records are
checked a chunk at a time with numpy (line and tab offsets), never one Python object per line.

Messages never quote the file's content (a file can hold anything): they name the line, the column
and, for a bad byte, its hexadecimal value; a message about a limit names the limit's key.

The limits are set by the ``[input_limits]`` table of ``genolens.toml``: each front end (the dashboard
at start, the CLI before its command) passes the parsed file to :func:`configure_limits`, which
validates the table and puts the limits in force for this process and the read workers it starts
(through :data:`INPUT_LIMITS_ENV`). A check called without ``limits`` uses :func:`active_limits`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import zlib
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol, cast

import numpy as np
import numpy.typing as npt
from isal import igzip, isal_zlib  # ISA-L's inflate: the same gzip stream, about 3 times faster than zlib

from genolens.errors import OptionError, VcfReadError

_INFLATE_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error,
                                                    cast("type[BaseException]", isal_zlib.error))
"""What reading damaged or truncated gzip data raises (zlib's and ISA-L's errors)."""


def _inflating(raw: IO[bytes]) -> IO[bytes]:
    """The decompressed stream of a gzip/bgzip file opened in binary mode (ISA-L inflate)."""
    return cast("IO[bytes]", igzip.IGzipFile(fileobj=raw, mode="rb"))  # type: ignore[no-untyped-call]


CHUNK_BYTES = 4 << 20
"""Decompressed bytes read at a time."""

class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class RecordObserver(Protocol):
    """Sees the checked text as the check goes, so that one pass can also keep what a read needs
    (:class:`~genolens.genome.vcf_prefilter.SitePrefilter`)."""

    def header(self, line: bytes) -> None:
        """One checked header line (``##`` or ``#CHROM``), without its line ending."""

    def records(self, text: bytes, starts: npt.NDArray[np.intp], stops: npt.NDArray[np.intp],
                tabs: list[npt.NDArray[np.intp]], pos: npt.NDArray[np.int64]) -> None:
        """Checked record lines: ``text[starts[i]:stops[i]]`` is line i without its line ending; ``tabs``
        the offsets of the tabs after CHROM, POS, ID, REF and ALT; ``pos`` the POS values."""


FIXED_COLUMNS = ("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO")
_POS_DIGITS = 18  # longer POS values cannot be a position on any genome (and would overflow int64)


@dataclass(frozen=True)
class InputLimits:
    """What an untrusted VCF may cost before it is refused.

    The defaults accept a whole-genome single-sample VCF (4.5 million records, ~60 MB bgzipped,
    ~400 MB of text) and cohort files of up to 100,000 samples.
    """

    max_decompressed_bytes: int = 16 << 30
    """Absolute cap on the decompressed text (bytes)."""
    max_expansion: int = 50
    """Cap on decompressed / compressed size once past :attr:`expansion_floor_bytes`; real VCF.gz
    files expand 4-15 times (the whole-genome benchmark file 4.3), a decompression bomb 1,000 times."""
    expansion_floor_bytes: int = 64 << 20
    """Decompressed bytes always allowed, whatever the compressed size."""
    max_line_bytes: int = 16 << 20
    """Longest line (header or record), in bytes."""
    max_header_bytes: int = 32 << 20
    """All ``##`` lines together, in bytes."""
    max_samples: int = 100_000
    """Most sample columns on the ``#CHROM`` line."""

    def decompressed_limit(self, compressed_size: int | None) -> int:
        """The most decompressed bytes a file of ``compressed_size`` bytes (``None``: plain text) may hold."""
        if compressed_size is None:
            return self.max_decompressed_bytes
        return min(self.max_decompressed_bytes, max(self.expansion_floor_bytes, self.max_expansion * compressed_size))


DEFAULT_LIMITS = InputLimits()
LIMITS_TABLE = "input_limits"
"""The ``genolens.toml`` table that sets :class:`InputLimits` (keys: its field names)."""
LIMIT_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(InputLimits))
"""Every key the ``[input_limits]`` table accepts, in the order the dataclass declares them."""
INPUT_LIMITS_ENV = "GENOLENS_INPUT_LIMITS"
"""Environment variable carrying the configured limits (a JSON object) to this process's checks and to
the read workers it starts; :func:`configure_limits` writes it from ``genolens.toml``."""


def limits_from_table(table: object, *, where: str = f"[{LIMITS_TABLE}] in genolens.toml") -> InputLimits:
    """Validate a table of limits (keys of :data:`LIMIT_KEYS`, positive whole numbers); unset keys keep defaults.

    Parameters
    ----------
    table
        The parsed ``[input_limits]`` table (a mapping).
    where
        Where the table came from, for the messages.

    Raises
    ------
    OptionError
        The table is not a table, names an unknown key, or gives a value that is not a positive whole number;
        the message names the key.
    """
    if not isinstance(table, Mapping):
        raise OptionError(f"{where} must be a table of limits (key = number), not {type(table).__name__}.")
    values: dict[str, int] = {}
    for key, value in table.items():
        if key not in LIMIT_KEYS:
            raise OptionError(f"{where}: unknown key '{key}'. The keys are: {', '.join(LIMIT_KEYS)}.")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise OptionError(f"{where}: {key} = {value!r} is not a positive whole number. Give a number of "
                              f"{'times' if key == 'max_expansion' else 'samples' if key == 'max_samples' else 'bytes'}"
                              f", e.g. {key} = {getattr(DEFAULT_LIMITS, key)} (the default).")
        values[str(key)] = value
    return InputLimits(**values)


def limits_from_settings(settings: Mapping[str, object]) -> InputLimits:
    """The limits that a parsed ``genolens.toml`` sets (its ``[input_limits]`` table; the defaults without one).

    Raises
    ------
    OptionError
        See :func:`limits_from_table`.
    """
    table = settings.get(LIMITS_TABLE)
    return DEFAULT_LIMITS if table is None else limits_from_table(table)


COHORT_FLOORS: Mapping[str, int] = {"max_samples": 10_000_000, "max_expansion": 1_000, "max_line_bytes": 1 << 28}
"""What a training or validation cohort VCF (written by ``simulate``: one column per person, genotypes compressing
far better than a patient's text) is always allowed, whatever ``[input_limits]`` says for patient files."""


def configure_limits(settings: Mapping[str, object], env: MutableMapping[str, str] | None = None, *,
                     cohort: bool = False) -> InputLimits:
    """Put the limits of a parsed ``genolens.toml`` in force for this process and the read workers it starts.

    Parameters
    ----------
    settings
        The parsed ``genolens.toml`` (``{}`` without one: the defaults).
    env
        Where to write :data:`INPUT_LIMITS_ENV` (default ``os.environ``, which worker processes inherit).
    cohort
        The command reads cohort files (``train``, ``validate``): :data:`COHORT_FLOORS` raise the limits.

    Returns
    -------
    InputLimits
        The limits now in force.

    Raises
    ------
    OptionError
        The ``[input_limits]`` table is invalid (see :func:`limits_from_table`); nothing is changed.
    """
    env = os.environ if env is None else env
    limits = limits_from_settings(settings)
    if cohort:
        limits = dataclasses.replace(limits, **{k: max(getattr(limits, k), v) for k, v in COHORT_FLOORS.items()})
    changed = {k: v for k, v in dataclasses.asdict(limits).items() if v != getattr(DEFAULT_LIMITS, k)}
    if changed:
        env[INPUT_LIMITS_ENV] = json.dumps(changed, sort_keys=True)
    else:
        env.pop(INPUT_LIMITS_ENV, None)
    return limits


def active_limits(env: Mapping[str, str] | None = None) -> InputLimits:
    """The limits in force: those :data:`INPUT_LIMITS_ENV` carries, else :data:`DEFAULT_LIMITS`.

    Raises
    ------
    OptionError
        The variable is not a JSON object of valid limits.
    """
    raw = (os.environ if env is None else env).get(INPUT_LIMITS_ENV, "")
    return _parsed_limits(raw) if raw else DEFAULT_LIMITS


@functools.lru_cache(maxsize=8)
def _parsed_limits(raw: str) -> InputLimits:
    try:
        table = json.loads(raw)
    except ValueError:
        raise OptionError(f"${INPUT_LIMITS_ENV} is not a JSON object of limits; set the limits in "
                          f"genolens.toml's [{LIMITS_TABLE}] table instead.") from None
    return limits_from_table(table, where=f"${INPUT_LIMITS_ENV}")


def _limit_name(key: str) -> str:
    """How a message names a limit: its key in genolens.toml (where a server's administrator sets it)."""
    return f"[{LIMITS_TABLE}] {key}"


def check_vcf_file(path: Path, *, compressed: bool, limits: InputLimits | None = None,
                   sink: IO[bytes] | None = None, observer: RecordObserver | None = None) -> None:
    """Check the whole text of a VCF or VCF.gz file (see :func:`check_vcf_text`).

    Parameters
    ----------
    path
        The file.
    compressed
        True for gzip or bgzip; the decompressed-size limit then follows the file's size.
    limits
        What the file may cost (default :func:`active_limits`).
    sink
        When given, the text is also written there with carriage returns removed (one pass for a
        Windows-line-ending file instead of two).
    observer
        When given, shown every checked line (see :class:`RecordObserver`).

    Raises
    ------
    VcfReadError
        The file breaks a limit, cannot be decompressed, or its text is not a well-formed VCF.
    """
    name = path.name
    limits = limits or active_limits()
    try:
        size = path.stat().st_size
        if compressed:
            with open(path, "rb") as raw, _inflating(raw) as gz:
                check_vcf_text(gz, name, limit=limits.decompressed_limit(size), limits=limits, sink=sink,
                               compressed_size=size, consumed=raw.tell, observer=observer)
        else:
            with open(path, "rb") as fh:
                check_vcf_text(fh, name, limit=limits.decompressed_limit(None), limits=limits, sink=sink,
                               observer=observer)
    except _INFLATE_ERRORS:
        raise VcfReadError(f"'{name}' cannot be decompressed to the end: it is damaged or truncated. "
                           "Copy or download the file again.") from None


def check_compressed_size(path: Path, *, limits: InputLimits | None = None) -> None:
    """Decompress a BCF (or any gzip) file without keeping it, refusing it past the decompressed-size limit.

    ``limits`` defaults to :func:`active_limits`.

    Raises
    ------
    VcfReadError
        The file expands past the limit, or cannot be decompressed.
    """
    name = path.name
    limits = limits or active_limits()
    try:
        size = path.stat().st_size
        limit = limits.decompressed_limit(size)
        total = 0
        with open(path, "rb") as raw, _inflating(raw) as gz:
            while chunk := gz.read(CHUNK_BYTES):
                total += len(chunk)
                if total > limit:
                    raise VcfReadError(_expansion_message(name, limit, size, limits))
    except _INFLATE_ERRORS:
        raise VcfReadError(f"'{name}' cannot be decompressed to the end: it is damaged or truncated. "
                           "Copy or download the file again.") from None


def check_vcf_text(stream: _Readable, name: str, *, limit: int, limits: InputLimits | None = None,
                   sink: IO[bytes] | None = None, compressed_size: int | None = None,
                   consumed: Callable[[], int] | None = None, observer: RecordObserver | None = None) -> None:
    """Check decompressed VCF text read from ``stream``, in bounded chunks.

    Checked: at most ``limit`` bytes in all; no line longer than ``limits.max_line_bytes``; no NUL
    byte; UTF-8 throughout; ``##`` lines only before one ``#CHROM`` line, which names the eight fixed
    columns (then FORMAT and at most ``limits.max_samples`` samples); no blank line; no line starting
    with ``#`` after it; every record with at least the eight fixed tab-separated columns (htslib copes
    with missing or extra sample columns), a non-empty CHROM, REF and ALT, and a POS of digits only
    (0 is allowed: the specification uses it for a telomere).

    Parameters
    ----------
    stream
        Binary text, already decompressed.
    name
        The file name shown in messages.
    limit
        The most bytes the text may hold.
    limits
        Line, header and sample limits (default :func:`active_limits`).
    sink
        When given, each chunk is also written there with carriage returns removed.
    compressed_size
        The compressed file's size, for the message when ``limit`` is passed (``None``: plain text).
    consumed
        Compressed bytes read so far: past ``limits.expansion_floor_bytes``, text that has expanded more
        than ``limits.max_expansion`` times is refused at once, not only at ``limit`` (a bomb is
        refused after a few hundred megabytes, whatever its size).
    observer
        When given, shown every checked line (see :class:`RecordObserver`).

    Raises
    ------
    VcfReadError
        The first defect found, naming its line.
    """
    limits = limits or active_limits()
    scan = _Scan(name, limits, observer)
    carry = bytearray()
    total = 0
    while chunk := stream.read(CHUNK_BYTES):
        total += len(chunk)
        early = consumed is not None and total > limits.expansion_floor_bytes and \
            total > limits.max_expansion * consumed()
        if total > limit or early:
            if compressed_size is None:
                raise VcfReadError(f"'{name}' is larger than {_size(limit)}, the most GenoLens reads from one "
                                   "file. Extract the chromosomes or samples you need (bcftools view) and load "
                                   f"that file. (Limit: {_limit_name('max_decompressed_bytes')}.)")
            if early and consumed is not None:
                raise VcfReadError(_expansion_message(name, total, consumed(), limits, part=True))
            raise VcfReadError(_expansion_message(name, limit, compressed_size, limits))
        if sink is not None:
            sink.write(chunk.replace(b"\r", b""))
        cut = chunk.rfind(b"\n")
        if cut < 0:
            carry += chunk
            if len(carry) > limits.max_line_bytes:
                raise VcfReadError(scan.long_line_message(scan.line_no + 1))
            continue
        carry += chunk[:cut + 1]
        scan.lines(bytes(carry))
        carry = bytearray(chunk[cut + 1:])
    if carry:
        scan.lines(bytes(carry) + b"\n")
    scan.finish()


class _Scan:
    """The state of one check: where the header ends and how many columns records must have."""

    def __init__(self, name: str, limits: InputLimits, observer: RecordObserver | None = None) -> None:
        self.name = name
        self.limits = limits
        self.observer = observer
        self.line_no = 0  # lines consumed so far
        self.header_bytes = 0
        self.columns = 0  # columns of the #CHROM line; 0 while still in the ## header

    def lines(self, text: bytes) -> None:
        """Check complete lines (``text`` ends with a newline)."""
        at = 0
        while self.columns == 0 and at < len(text):
            end = text.index(b"\n", at)
            self._header_line(text[at:end])
            at = end + 1
        if at < len(text):
            self._records(text[at:] if at else text)

    def finish(self) -> None:
        if self.columns == 0:
            raise VcfReadError(f"'{self.name}' has no '#CHROM' header line, so its columns are unknown. Export "
                               "the VCF again with its full header.")

    # -- header -------------------------------------------------------------------------------------------

    def _header_line(self, raw: bytes) -> None:
        self.line_no += 1
        n = self.line_no
        line = raw[:-1] if raw.endswith(b"\r") else raw
        if len(line) > self.limits.max_line_bytes:
            raise VcfReadError(self.long_line_message(n))
        self._text_ok(line, n)
        if line.startswith(b"##"):
            self.header_bytes += len(raw) + 1
            if self.header_bytes > self.limits.max_header_bytes:
                raise VcfReadError(f"'{self.name}' has more than {_size(self.limits.max_header_bytes)} of '##' "
                                   "header lines, more than any VCF needs. Remove the unused header lines "
                                   "(bcftools reheader) and load the file again. "
                                   f"(Limit: {_limit_name('max_header_bytes')}.)")
            if self.observer is not None:
                self.observer.header(line)
            return
        if not line:
            raise VcfReadError(self._at(n, "is blank, inside the header") + " Remove the blank line.")
        if not line.startswith(b"#CHROM"):
            what = "starts with a single '#' but is not the '#CHROM' line." if line.startswith(b"#") else \
                "is a record, but no '#CHROM' header line came before it."
            raise VcfReadError(self._at(n, what) + " Every '##' line must come first, then one '#CHROM' line, "
                               "then the records.")
        cols = line.split(b"\t", self.limits.max_samples + 10)
        fixed = tuple(c.decode("ascii", "replace") for c in cols[:8])
        if fixed != FIXED_COLUMNS or (len(cols) > 8 and cols[8] != b"FORMAT"):
            raise VcfReadError(self._at(n, "is the '#CHROM' line but does not name the columns #CHROM, POS, ID, "
                                           "REF, ALT, QUAL, FILTER, INFO (then FORMAT and the samples), "
                                           "separated by tabs.") + " Export the VCF again.")
        samples = max(len(cols) - 9, 0)
        if samples > self.limits.max_samples:
            raise VcfReadError(f"'{self.name}' has more than {self.limits.max_samples:,} sample columns, the most "
                               "GenoLens reads. Extract the samples you need (bcftools view -s) and load that "
                               f"file. (Limit: {_limit_name('max_samples')}.)")
        self.columns = len(cols)
        if self.observer is not None:
            self.observer.header(line)

    # -- records ------------------------------------------------------------------------------------------

    def _records(self, text: bytes) -> None:
        """Check complete record lines with array operations (no Python object per line)."""
        first = self.line_no + 1
        nul = text.find(b"\0")
        if nul >= 0:  # found before the line-by-line checks, as a NUL can hide in any column
            n = first + text.count(b"\n", 0, nul)
            raise VcfReadError(self._at(n, "contains a NUL byte (binary data, not text).")
                               + " The file is damaged: export or copy it again.")
        if not text.isascii():
            try:
                text.decode("utf-8")
            except UnicodeDecodeError as exc:
                n = first + text.count(b"\n", 0, exc.start)
                raise VcfReadError(self._byte_message(n, text[exc.start])) from None
        arr = np.frombuffer(text, dtype=np.uint8)
        # One pass finds every tab and newline; the newlines' places in that list give each line's tabs.
        sep = np.flatnonzero(arr <= 10)
        vals = arr[sep]
        if np.count_nonzero(vals >= 9) != len(vals):  # other control bytes are content, not separators
            sep = sep[vals >= 9]
            vals = arr[sep]
        nl = np.flatnonzero(vals == 10)
        prev = np.empty_like(nl)
        prev[0] = -1
        prev[1:] = nl[:-1]
        ends = sep[nl]
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        self.line_no += len(ends)
        stop = np.maximum(ends - (arr[np.maximum(ends - 1, 0)] == 13), starts)  # a CR before the newline
        length = stop - starts
        columns = nl - prev
        found: list[tuple[int, int, str]] = []  # (line index in this chunk, check, message): earliest wins

        def first_of(mask: npt.NDArray[np.bool_], message: Callable[[int], str]) -> None:
            if (bad := np.flatnonzero(mask)).size:
                found.append((int(bad[0]), len(found), message(int(bad[0]))))

        first_of(length > self.limits.max_line_bytes, lambda i: self.long_line_message(first + i))
        first_of(length == 0, lambda i: self._at(
            first + i, f"is blank ({'at the end of the file' if first + i == self.line_no else 'between records'}), "
            "which htslib cannot read.") + " Remove the blank line and load the file again.")
        first_of(arr[starts] == 35, lambda i: self._at(  # '#'
            first + i, ("is a second '#CHROM' line." if text.startswith(b"#CHROM", int(starts[i])) else
                        "is a header line ('#'), but it comes after the records.")) +
            " All header lines must come before the records; concatenated files must be joined with "
            "`bcftools concat`, not `cat`.")
        first_of((columns < 8) & (length > 0), lambda i: self._at(  # htslib copes with missing/extra samples
            first + i, f"has {int(columns[i])} tab-separated columns; a record needs at least the eight fixed ones "
            "(CHROM to INFO).") + " Columns must be separated by single tabs; fix or remove that record.")
        if found:  # fields are checked on the lines before the first defect found so far
            cut = min(found)[0]
            starts, prev = starts[:cut], prev[:cut]
        if starts.size:
            tabs = [sep[prev + 1 + k] for k in range(5)]  # the tabs after CHROM, POS, ID, REF, ALT
            defects, pos = self._fields(arr, starts, tabs, first)
            for j, message in defects:
                found.append((j, len(found), message))
        if found:
            raise VcfReadError(min(found)[2])
        if self.observer is not None and starts.size:
            self.observer.records(text, starts, stop, tabs, pos)

    def _fields(self, arr: npt.NDArray[np.uint8], starts: npt.NDArray[np.intp], t: list[npt.NDArray[np.intp]],
                first: int) -> tuple[list[tuple[int, str]], npt.NDArray[np.int64]]:
        """The first defect of each kind in CHROM, POS, REF and ALT, as (row, message), and the POS values
        (meaningful only when no defect was found).

        Every row has the eight fixed columns; ``t`` holds the offsets of the tabs after CHROM, POS, ID, REF
        and ALT; ``first`` is the first row's line number.
        """
        found: list[tuple[int, str]] = []
        for label, left, right in (("CHROM", starts - 1, t[0]), ("POS", t[0], t[1]), ("REF", t[2], t[3]),
                                   ("ALT", t[3], t[4])):
            if (bad := np.flatnonzero(right - left == 1)).size:
                j = int(bad[0])
                found.append((j, self._at(first + j, f"has an empty {label} column.")
                              + f" Every record needs {'an' if label == 'ALT' else 'a'} {label}"
                              + (" ('.' when there is none)." if label == "ALT" else ".")
                              + " Fix or remove that record."))
        width = t[1] - t[0] - 1
        bad_row = width > _POS_DIGITS
        pos = np.zeros(len(width), dtype=np.int64)
        top = len(arr) - 1
        for k in range(min(int(width.max()), _POS_DIGITS + 1)):  # Horner, one digit column at a time
            live = k < width
            digit = arr[np.minimum(t[0] + 1 + k, top)] - np.uint8(48)  # wraps below '0'
            bad_row |= live & (digit > 9)
            pos = np.where(live, pos * 10 + digit, pos)
        if (bad := np.flatnonzero(bad_row)).size:
            j = int(bad[0])
            found.append((j, self._pos_message(first + j)))
        return found, pos

    # -- messages -----------------------------------------------------------------------------------------

    def _at(self, n: int, what: str) -> str:
        return f"'{self.name}' line {n:,} {what}"

    def _pos_message(self, n: int) -> str:
        return self._at(n, "has a POS that is not a whole number.") + \
            " POS must be the 1-based position (digits only); fix or remove that record."

    def _byte_message(self, n: int, byte: int) -> str:
        return self._at(n, f"contains a byte that is not UTF-8 text (0x{byte:02X}).") + \
            " Names and values in a VCF must be UTF-8: re-encode the file (iconv) or export it again."

    def long_line_message(self, n: int) -> str:
        """The message for line ``n``, which passes the line-length limit."""
        return self._at(n, f"is longer than {_size(self.limits.max_line_bytes)}, the longest line GenoLens "
                           "reads.") + " The file is damaged or not a VCF; export it again. " \
            f"(Limit: {_limit_name('max_line_bytes')}.)"

    def _text_ok(self, line: bytes, n: int) -> None:
        if b"\0" in line:
            raise VcfReadError(self._at(n, "contains a NUL byte (binary data, not text).")
                               + " The file is damaged: export or copy it again.")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VcfReadError(self._byte_message(n, line[exc.start])) from None


def _expansion_message(name: str, limit: int, compressed_size: int, limits: InputLimits, *,
                       part: bool = False) -> str:
    whose = "the compressed data read so far" if part else "its compressed size"
    keys = ("max_decompressed_bytes",) if not part and limit == limits.max_decompressed_bytes else \
        ("max_expansion", "expansion_floor_bytes")
    return (f"'{name}' expands to more than {_size(limit)} when decompressed, over "
            f"{limit // max(compressed_size, 1):,} times {whose} ({_size(compressed_size)}): a real "
            "VCF does not compress that well, so GenoLens stops reading it. Check the file, or extract the "
            "region you need (bcftools view -r) and load that. "
            f"(Limit: {' and '.join(_limit_name(k) for k in keys)}.)")


def _size(n: int) -> str:
    for unit, step in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= step:
            return f"{n / step:.3g} {unit}"
    return f"{n} bytes"
