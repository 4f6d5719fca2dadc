"""Reading VCF, VCF.gz (bgzip or plain gzip) and BCF files: the only module that imports cyvcf2.

A file is opened with :func:`open_vcf`, a context manager that owns a private temporary
folder (a CRLF-normalised copy, an index built for a bgzipped file that has none) and
removes it on exit. Indexed or bgzipped files are read by region query at the requested
sites; plain or plain-gzip files are scanned once. Every cyvcf2 array is copied into plain
Python values before the record is released. Every htslib/cyvcf2 failure, at open or at
record N, becomes a :class:`~genolens.errors.VcfReadError` saying what is wrong and what to do.
"""

from __future__ import annotations

import bisect
import ctypes
import gzip
import math
import os
import re
import shutil
import tempfile
import threading
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

import cyvcf2
import numpy as np

from genolens.datamodel import CohortRecord, Contig, Record, VcfInfo
from genolens.errors import SampleError, VcfReadError
from genolens.genome.build import normalise_chrom

Progress = Callable[[float, str], None]


class _Located(Protocol):
    @property
    def pos(self) -> int: ...

    @property
    def end(self) -> int: ...

    @property
    def is_reference_block(self) -> bool: ...


_R = TypeVar("_R", bound=_Located)
Site = tuple[str, int]
"""A requested site: normalised chromosome and 1-based position."""

_BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_SNIFF_BYTES = 65536
# Sites this close share one region query: the records between them cost less than a second
# seek and block decompression.
_CLUSTER_GAP = 2_000
_BYTES_PER_RECORD = {"none": 120, "gzip": 15, "bgzf": 15}
_INT_MISSING = -2147483648  # htslib int32 missing; -2147483647 is vector end
_CONTIG_RE = re.compile(r"^##contig=<(.*)>\s*$")
_HINT_RE = re.compile(r"^##(reference|assembly)=(.*)$", re.IGNORECASE)
_QUERY_LOCK = threading.Lock()

# cyvcf2 lazy=True segfaults on FORMAT access (0.35), so readers are opened eagerly.
# htslib is linked into cyvcf2's extension: index building and log level come from there.
_HTS = ctypes.CDLL(cyvcf2.cyvcf2.__file__)
_HTS.bcf_index_build3.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]
_HTS.bcf_index_build3.restype = ctypes.c_int
_HTS.hts_set_log_level.argtypes = [ctypes.c_int]
_HTS.hts_set_log_level(0)  # off: every failure becomes a VcfReadError with its own message


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


class VcfFile:
    """An open VCF/BCF file; create it with :func:`open_vcf`."""

    def __init__(self, path: Path, workdir: Path) -> None:
        self._workdir = workdir
        self.info, self._read_path, reader = _sniff_and_prepare(path, workdir)
        # The header's reader is handed out once more (opening an indexed file loads its index).
        self._spare: tuple[Path, Any] | None = (self._read_path, reader)

    def sample_index(self, sample: str | None) -> int:
        """Return the column of ``sample``; with ``None``, the only sample of the file.

        Raises
        ------
        SampleError
            The sample is absent, the file has none, or several exist and none was chosen.
        """
        samples = self.info.samples
        if not samples:
            raise SampleError(
                "This VCF has no sample columns (it lists sites only), so there is no genotype to read. "
                "Use a VCF with a FORMAT column and at least one sample."
            )
        if len(set(samples)) != len(samples):
            dups = sorted({s for s in samples if samples.count(s) > 1})
            raise SampleError(
                f"This VCF names the same sample twice ({', '.join(dups)}), so its columns are ambiguous. "
                "Rename the duplicated sample columns (bcftools reheader) and load the file again."
            )
        if sample is None:
            if len(samples) == 1:
                return 0
            raise SampleError(
                f"This VCF has {len(samples)} samples; choose one: {_listing(samples)}."
            )
        if sample not in samples:
            raise SampleError(f"Sample '{sample}' is not in this VCF; samples present: {_listing(samples)}.")
        return samples.index(sample)

    @property
    def indexable(self) -> bool:
        """True when the file is bgzip-compressed (VCF.gz or BCF) and can be region-queried."""
        return self.info.compression == "bgzf" and self._read_path == Path(self.info.path)

    def read_sites(
        self, sample_idx: int, sites: Sequence[Site], *, progress: Progress | None = None
    ) -> tuple[dict[Site, list[Record]], str]:
        """Read the records at (and gVCF blocks covering) each site.

        Parameters
        ----------
        sample_idx
            Column of the sample (see :meth:`sample_index`).
        sites
            Normalised (chrom, pos) pairs.
        progress
            Called with (fraction done, message) while reading.

        Returns
        -------
        tuple
            Records per site (those whose POS is the site, and reference blocks whose span
            covers it), and the read mode in words.
        """
        return self._collect(sites, lambda v, n: _to_record(v, sample_idx, self.info, n), progress)

    def read_matrix(
        self, sites: Sequence[Site], *, progress: Progress | None = None
    ) -> tuple[dict[Site, list[CohortRecord]], str]:
        """Like :meth:`read_sites`, but keep every sample's genotype (for cohorts)."""
        return self._collect(sites, lambda v, n: _to_cohort_record(v, self.info, n), progress)

    def _collect(self, sites: Sequence[Site], convert: Callable[[Any, int | None], _R],
                 progress: Progress | None) -> tuple[dict[Site, list[_R]], str]:
        wanted = sorted(set(sites))
        if self.indexable:
            index = self._ensure_index()
            if index is not None:
                return self._query(wanted, convert, progress), f"region queries ({index})"
        mode = "single scan of the whole file"
        if self.info.compression == "bgzf" and self._read_path == Path(self.info.path):
            mode += " (records are not sorted, so no index could be built)"
        return self._scan(wanted, convert, progress), mode

    def iter_records(self, sample_idx: int, *, limit: int | None = None) -> Iterator[Record]:
        """Yield every record (reduced to one sample) in file order, up to ``limit`` records."""
        reader = self._reader()
        n = 0
        it = iter(reader)
        while limit is None or n < limit:
            try:
                v = next(it)
            except StopIteration:
                return
            except Exception as exc:  # htslib/cyvcf2 raise bare Exception
                raise _record_error(self.info, n + 1, exc) from None
            n += 1
            yield _to_record(v, sample_idx, self.info, n)

    # -- internals ---------------------------------------------------------------------------

    def _reader(self) -> Any:
        if self._spare is not None:
            spare_path, reader = self._spare
            self._spare = None
            if spare_path == self._read_path:
                return reader
        try:
            return cyvcf2.VCF(str(self._read_path))
        except Exception as exc:
            raise _open_error(self.info, exc) from None

    def _ensure_index(self) -> str | None:
        if self.info.index is not None:
            return f"index {Path(self.info.index).name}"
        link = self._workdir / Path(self.info.path).name
        if not link.exists():
            link.symlink_to(Path(self.info.path).resolve())
        # TBI builds faster than CSI; CSI is needed for BCF and for contigs over 2^29 bases.
        for min_shift, ext, kind in ((0, ".tbi", "TBI"), (14, ".csi", "CSI")):
            if min_shift == 0 and self.info.kind == "bcf":
                continue
            if _HTS.bcf_index_build3(str(link).encode(), (str(link) + ext).encode(), min_shift, 2) == 0:
                self._read_path = link
                return f"{kind} index built for this read"
        return None

    def _query(self, sites: list[Site], convert: Callable[[Any, int | None], _R],
               progress: Progress | None) -> dict[Site, list[_R]]:
        reader = self._reader()
        spellings = _file_spellings(reader, self.info)
        found: dict[Site, list[_R]] = {}
        clusters = _clusters(sites)
        for i, (chrom, positions) in enumerate(clusters):
            if progress and i % 50 == 0:
                progress(i / max(len(clusters), 1), f"Reading panel sites ({i}/{len(clusters)} regions)")
            try:
                hits = _query_one(reader, spellings, chrom, positions[0], positions[-1])
                recs = [convert(v, None) for v in hits if v.POS in positions or v.end > v.POS]
            except VcfReadError:
                raise
            except Exception as exc:
                raise _record_error(self.info, None, exc, where=f"{chrom}:{positions[0]}") from None
            for pos in positions:
                keep = [r for r in recs if r.pos == pos or (r.is_reference_block and r.pos <= pos <= r.end)]
                if keep:
                    found[(chrom, pos)] = keep
        return found

    def _scan(self, sites: list[Site], convert: Callable[[Any, int | None], _R],
              progress: Progress | None) -> dict[Site, list[_R]]:
        by_chrom: dict[str, list[int]] = {}
        for chrom, pos in sites:
            by_chrom.setdefault(chrom, []).append(pos)
        wanted = set(sites)
        found: dict[Site, list[_R]] = {}
        size = max(os.path.getsize(self._read_path), 1)
        reader = self._reader()
        it = iter(reader)
        n = 0
        norm_cache: dict[str, str] = {}
        while True:
            try:
                v = next(it)
            except StopIteration:
                break
            except Exception as exc:
                raise _record_error(self.info, n + 1, exc) from None
            n += 1
            if progress and n % 100_000 == 0:
                # cyvcf2 exposes no file offset: the fraction is an estimate from typical record sizes.
                progress(min(n * _BYTES_PER_RECORD[self.info.compression] / size, 0.95),
                         f"Scanning records ({n:,} read)")
            raw_chrom: str = v.CHROM
            if raw_chrom not in norm_cache:
                norm_cache[raw_chrom] = normalise_chrom(raw_chrom)
            chrom = norm_cache[raw_chrom]
            positions = by_chrom.get(chrom)
            if positions is None:
                continue
            pos = v.POS
            end = v.end
            if (chrom, pos) in wanted:
                found.setdefault((chrom, pos), []).append(convert(v, n))
            if end > pos:
                lo = bisect.bisect_right(positions, pos)
                hi = bisect.bisect_right(positions, end)
                if lo < hi:
                    rec = convert(v, n)
                    if rec.is_reference_block:
                        for p in positions[lo:hi]:
                            found.setdefault((chrom, p), []).append(rec)
        return found


@contextmanager
def open_vcf(path: str | os.PathLike[str]) -> Iterator[VcfFile]:
    """Open a VCF/VCF.gz/BCF file for reading; private temporary files are removed on exit.

    Raises
    ------
    VcfReadError
        The file is missing, empty, not a VCF/BCF, or its header cannot be parsed.
    """
    workdir = Path(tempfile.mkdtemp(prefix="genolens-read-"))
    os.chmod(workdir, 0o700)
    try:
        yield VcfFile(Path(path), workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def read_header(path: str | os.PathLike[str]) -> VcfInfo:
    """Return the header summary of a file (samples, contigs, build hints)."""
    with open_vcf(path) as vf:
        return vf.info


# -- sniffing and header ----------------------------------------------------------------------


def _sniff_and_prepare(path: Path, workdir: Path) -> tuple[VcfInfo, Path, Any]:
    name = path.name
    if not path.exists():
        raise VcfReadError(f"File '{name}' does not exist. Check the path, or upload the file.")
    if path.is_dir():
        raise VcfReadError(f"'{name}' is a folder, not a VCF file. Choose a .vcf, .vcf.gz or .bcf file.")
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
            fh.seek(max(os.path.getsize(path) - 28, 0))
            tail = fh.read(28)
    except OSError as exc:
        raise VcfReadError(f"Cannot read '{name}': {exc.strerror}. Check the file's permissions.") from None
    if not head:
        raise VcfReadError(f"'{name}' is empty (0 bytes). Export the VCF again and upload the whole file.")
    compression: Literal["none", "bgzf", "gzip"] = "none"
    text = head
    if head[:2] == b"\x1f\x8b":
        compression = "bgzf" if head[12:14] == b"BC" else "gzip"
        text = _gunzip_prefix(path, name)
        if compression == "bgzf" and tail != _BGZF_EOF:
            _check_complete(path, name)
    kind: Literal["vcf", "vcf.gz", "bcf"]
    if text[:3] == b"BCF":
        kind = "bcf"
        if compression == "none":
            raise VcfReadError(f"'{name}' is an uncompressed BCF, which htslib cannot read. "
                               "Convert it with `bcftools view -Ob` or to VCF.")
    elif text[:1] == b"#":
        kind = "vcf.gz" if compression != "none" else "vcf"
    else:
        raise VcfReadError(_not_vcf_message(name, text))
    if kind != "bcf":
        _check_sample_names(name, text)
    read_path = path
    if kind != "bcf" and b"\r\n" in text:
        read_path = _strip_cr(path, workdir, compressed=compression != "none")
    info, reader = _read_info(path, read_path, kind, compression)
    return info, read_path, reader


def _check_sample_names(name: str, text: bytes) -> None:
    """htslib refuses duplicated sample names with a bare header error: say which."""
    start = text.find(b"#CHROM")
    end = text.find(b"\n", start)
    if start < 0 or end < 0:
        return
    samples = text[start:end].rstrip(b"\r").decode("utf-8", "replace").split("\t")[9:]
    dups = sorted({s for s in samples if samples.count(s) > 1})
    if dups:
        raise VcfReadError(
            f"'{name}' names the same sample column twice ({', '.join(dups)}), so its genotypes cannot be "
            "told apart. Rename the duplicated samples (e.g. `bcftools reheader -s`) and load the file again."
        )


def _gunzip_prefix(path: Path, name: str) -> bytes:
    try:
        with gzip.open(path, "rb") as fh:
            return fh.read(_SNIFF_BYTES)
    except (OSError, EOFError, zlib.error):
        raise VcfReadError(
            f"'{name}' is gzip-compressed but cannot be decompressed: it is damaged or truncated. "
            "Copy or download the file again."
        ) from None


def _check_complete(path: Path, name: str) -> None:
    """A bgzip file without the end-of-file block is truncated unless it decompresses fully."""
    try:
        with gzip.open(path, "rb") as fh:
            while fh.read(1 << 20):
                pass
    except (OSError, EOFError, zlib.error):
        raise VcfReadError(
            f"'{name}' is truncated: the compressed data stops mid-block and the bgzip end-of-file "
            "marker is missing. The copy or download was interrupted; copy the file again."
        ) from None


def _not_vcf_message(name: str, text: bytes) -> str:
    if text[:4] in (b"TBI\x01", b"CSI\x01"):
        return (f"'{name}' is a tabix/CSI index, not a VCF. Choose the .vcf.gz or .bcf file it indexes "
                "(keep the index beside it).")
    shown = text[:40].decode("utf-8", "replace").splitlines()[0] if text.strip() else "blank space"
    return (f"'{name}' does not look like a VCF: a VCF starts with '##fileformat=VCFv4.x' or '#CHROM', "
            f"this one starts with '{shown[:40]}'. Choose a .vcf, .vcf.gz or .bcf file.")


def _strip_cr(path: Path, workdir: Path, *, compressed: bool) -> Path:
    """Write a copy without carriage returns (Windows line endings) and return its path."""
    out = workdir / "crlf-normalised.vcf"
    opener: Callable[..., Any] = gzip.open if compressed else open
    try:
        with opener(path, "rb") as src, open(out, "wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                dst.write(chunk.replace(b"\r", b""))
    except (OSError, EOFError, zlib.error):
        raise VcfReadError(f"'{path.name}' cannot be decompressed: it is damaged or truncated. "
                           "Copy the file again.") from None
    return out


def _read_info(path: Path, read_path: Path, kind: Literal["vcf", "vcf.gz", "bcf"],
               compression: Literal["none", "bgzf", "gzip"]) -> tuple[VcfInfo, Any]:
    base = VcfInfo(str(path), kind, compression, None, (), (), (), "")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = cyvcf2.VCF(str(read_path))
            samples = tuple(reader.samples)
            header = reader.raw_header
    except Exception as exc:
        raise _open_error(base, exc) from None
    contigs: list[Contig] = []
    hints: list[str] = []
    fileformat = ""
    for line in header.splitlines():
        if line.startswith("##fileformat="):
            fileformat = line.split("=", 1)[1].strip()
        elif m := _CONTIG_RE.match(line):
            fields = dict(_split_meta(m.group(1)))
            if "ID" in fields:
                length = fields.get("length", "")
                contigs.append(Contig(fields["ID"], int(length) if length.isdigit() else None))
        elif m := _HINT_RE.match(line):
            hints.append(m.group(2).strip())
    index = None
    if compression == "bgzf" and read_path == path:
        for cand in (f"{path}.csi", f"{path}.tbi") if kind == "bcf" else (f"{path}.tbi", f"{path}.csi"):
            if kind == "bcf" and cand.endswith(".tbi"):
                continue
            if os.path.exists(cand):
                index = cand
                break
    return VcfInfo(str(path), kind, compression, index, samples, tuple(contigs), tuple(hints), fileformat), reader


def _split_meta(body: str) -> Iterator[tuple[str, str]]:
    """Split ``ID=chr1,length=123,assembly="a,b"`` respecting quotes."""
    for m in re.finditer(r'([A-Za-z_][\w.]*)=("(?:[^"\\]|\\.)*"|[^,]*)', body):
        yield m.group(1), m.group(2).strip('"')


# -- records ------------------------------------------------------------------------------------


def _to_record(v: Any, idx: int, info: VcfInfo, n: int | None) -> Record:
    """Copy one cyvcf2 Variant into a plain Record for sample column ``idx``."""
    try:
        fmt = v.FORMAT or []
        alts = tuple(v.ALT)
        filt = v.FILTER
        gt: tuple[int, ...] = ()
        phased = False
        gt_text: str | None = None
        if "GT" in fmt:
            g = v.genotypes[idx]
            gt = tuple(int(a) for a in g[:-1])
            phased = bool(g[-1]) and len(gt) > 1
            gt_text = ("|" if phased else "/").join("." if a < 0 else str(a) for a in gt)
        rec = Record(
            chrom=v.CHROM, pos=int(v.POS), end=max(int(v.end), int(v.POS)), ref=v.REF, alts=alts,
            filters=tuple(filt.split(";")) if filt else (),
            gt=gt, phased=phased, gt_text=gt_text,
            ds=_float_field(v, "DS", idx) if "DS" in fmt else None,
            gq=_int_field(v, "GQ", idx) if "GQ" in fmt else None,
            dp=_int_field(v, "DP", idx) if "DP" in fmt else None,
        )
    except VcfReadError:
        raise
    except Exception as exc:
        raise _record_error(info, n, exc, where=f"{v.CHROM}:{v.POS}") from None
    return rec


def _to_cohort_record(v: Any, info: VcfInfo, n: int | None) -> CohortRecord:
    """Copy one cyvcf2 Variant with every sample's genotype (allele indices, -1 missing)."""
    try:
        fmt = v.FORMAT or []
        gt = None
        if "GT" in fmt:
            arr = v.genotype.array()  # (n_samples, ploidy + 1): alleles then the phased flag
            gt = np.array(arr[:, :-1], dtype=np.int16, copy=True)
            gt[gt < -1] = -1  # vector-end padding of lower-ploidy samples counts as missing
        filt = v.FILTER
        return CohortRecord(chrom=v.CHROM, pos=int(v.POS), end=max(int(v.end), int(v.POS)), ref=v.REF,
                            alts=tuple(v.ALT), filters=tuple(filt.split(";")) if filt else (), gt=gt)
    except Exception as exc:
        raise _record_error(info, n, exc, where=f"{v.CHROM}:{v.POS}") from None


def _float_field(v: Any, key: str, idx: int) -> float | None:
    arr = v.format(key)
    if arr is None:
        return None
    x = float(arr[idx][0])
    # FORMAT floats are float32: round away the binary noise (0.35 -> 0.3499999940395355).
    return None if math.isnan(x) else round(x, 6)


def _int_field(v: Any, key: str, idx: int) -> int | None:
    arr = v.format(key)
    if arr is None:
        return None
    x = arr[idx][0]
    try:
        value = int(x)
    except (TypeError, ValueError):
        return None  # a header that declares the field as Float/String: treat as not given
    return None if value <= _INT_MISSING + 1 else value


def _file_spellings(reader: Any, info: VcfInfo) -> dict[str, list[str]]:
    """Per normalised chromosome, the names to try: the header's spelling first, then the other.

    The index is keyed on the names the records use, which can differ from the header's
    (``##contig=<ID=chr1>`` with records on ``1``).
    """
    spellings: dict[str, list[str]] = {}
    for n in [*list(reader.seqnames or []), *(c.name for c in info.contigs)]:
        names = spellings.setdefault(normalise_chrom(n), [])
        if n not in names:
            names.append(n)
    for chrom, names in spellings.items():
        for alt in (chrom, f"chr{chrom}", "chrM" if chrom == "MT" else chrom, "M" if chrom == "MT" else chrom):
            if alt not in names:
                names.append(alt)
    return spellings


def _clusters(sites: Sequence[Site], gap: int = _CLUSTER_GAP) -> list[tuple[str, list[int]]]:
    """Group sorted sites into regions whose neighbouring sites lie within ``gap`` bases."""
    out: list[tuple[str, list[int]]] = []
    for chrom, pos in sorted(sites):
        if out and out[-1][0] == chrom and pos - out[-1][1][-1] <= gap:
            out[-1][1].append(pos)
        else:
            out.append((chrom, [pos]))
    return out


def _query_one(reader: Any, spellings: dict[str, list[str]], chrom: str, start: int, end: int) -> list[Any]:
    """Query one region under the spelling the index knows.

    The first query on a chromosome tries each spelling and watches for cyvcf2's "no intervals"
    warning (the index does not know that name); the spelling that works is then used alone, and
    a chromosome the index does not know at all is skipped without further queries.
    """
    names = spellings.setdefault(chrom, [chrom, f"chr{chrom}"])
    if names and names[0].startswith("="):  # settled: "=name" works, "=" means none does
        name = names[0][1:]
        return list(reader(f"{name}:{start}-{end}")) if name else []
    for name in names:
        with _QUERY_LOCK, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            hits = list(reader(f"{name}:{start}-{end}"))
        if not any("no intervals" in str(w.message) for w in caught):
            spellings[chrom] = [f"={name}"]
            return hits
    spellings[chrom] = ["="]
    return []


# -- error messages ---------------------------------------------------------------------------


def _open_error(info: VcfInfo, exc: BaseException) -> VcfReadError:
    name = Path(info.path).name
    return VcfReadError(
        f"'{name}' cannot be opened as a {info.kind.upper()}: its header is malformed or incomplete "
        f"(htslib: {_short(exc)}). Check that the file starts with '##fileformat=VCFv4.x' and has a "
        "'#CHROM' line, or export it again from your pipeline."
    )


def _record_error(info: VcfInfo, n: int | None, exc: BaseException, *, where: str = "") -> VcfReadError:
    name = Path(info.path).name
    at = f"record {n:,}" if n is not None else "a record"
    if where:
        at += f" ({where})"
    detail = _short(exc)
    if info.compression != "none" and ("ret: -2" in detail or "BGZF" in detail or "truncat" in detail.lower()):
        return VcfReadError(
            f"'{name}' is damaged or truncated at {at}: the compressed data cannot be read further. "
            "Copy or download the file again."
        )
    line = _body_line(Path(info.path), n, compressed=info.compression != "none") if info.kind != "bcf" else ""
    shown = f": '{line}'" if line else f" ({detail})"
    return VcfReadError(
        f"'{name}' has a malformed {at} that htslib cannot parse{shown}. Fix or remove that record "
        "(`bcftools view` reports the same line) and load the file again."
    )


def _body_line(path: Path, n: int | None, *, compressed: bool) -> str:
    """Return record ``n`` (1-based, header skipped) as text, shortened, or "" when not found."""
    if n is None or n > 1_000_000:
        return ""
    opener: Callable[..., Any] = gzip.open if compressed else open
    try:
        with opener(path, "rb") as fh:
            seen = 0
            for raw in fh:
                if raw.startswith(b"#"):
                    continue
                seen += 1
                if seen == n:
                    text = str(raw.decode("utf-8", "replace")).rstrip("\r\n").replace("\t", " ")
                    return text[:80] + ("..." if len(text) > 80 else "")
    except (OSError, EOFError, zlib.error):
        return ""
    return ""


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def _listing(samples: Sequence[str]) -> str:
    shown = ", ".join(samples[:10])
    return shown + (f" and {len(samples) - 10} more" if len(samples) > 10 else "")


def index_vcf(path: str | os.PathLike[str]) -> Path:
    """Write a tabix index (``<path>.tbi``) beside a sorted, bgzipped VCF and return its path.

    Raises
    ------
    VcfReadError
        htslib could not index the file (not bgzipped, or records not sorted).
    """
    index = Path(str(path) + ".tbi")
    if _HTS.bcf_index_build3(str(path).encode(), str(index).encode(), 0, 1) != 0:
        raise VcfReadError(f"Cannot index '{Path(path).name}': it must be bgzipped and sorted by position.")
    return index
