"""Sniffing a VCF/BCF file before htslib opens it, and summarising its header text.

:func:`sniff` catches what htslib would report badly or not at all (a missing, empty, truncated or
non-VCF file, duplicated sample names) and writes a CRLF-normalised copy when needed;
:func:`header_info` turns the header text htslib read into a :class:`~genolens.datamodel.VcfInfo`.
"""

from __future__ import annotations

import codecs
import gzip
import os
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from genolens.datamodel import Contig, VcfInfo
from genolens.errors import VcfReadError
from genolens.genome.vcf_check import InputLimits, RecordObserver, check_compressed_size, check_vcf_file

Kind = Literal["vcf", "vcf.gz", "bcf"]
Compression = Literal["none", "bgzf", "gzip"]

_BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_SNIFF_BYTES = 65536
_V44 = b"##fileformat=VCFv4.4"
_CONTIG_RE = re.compile(r"^##contig=<(.*)>\s*$")
_HINT_RE = re.compile(r"^##(reference|assembly)=(.*)$", re.IGNORECASE)


def sniff(path: Path, workdir: Path, *, limits: InputLimits | None = None,
          observer: RecordObserver | None = None) -> tuple[Kind, Compression, Path]:
    """Check that ``path`` is a complete, readable VCF/BCF; return its kind, compression and the path to read.

    The whole text of a VCF is checked first (:func:`~genolens.genome.vcf_check.check_vcf_file`: limits,
    encoding, header structure, the fixed columns of every record), so that htslib only ever sees
    well-formed text; a BCF is only checked against the decompressed-size limit.

    The path to read is a normalised copy in ``workdir`` when the file has Windows line endings or is a
    VCF 4.4 file (whose explicit genotype phasing prefix htslib refuses).

    ``observer`` is shown the checked text of a VCF read as it is (not of a BCF, nor of a file that needs a
    normalised copy); :attr:`~genolens.genome.vcf_prefilter.SitePrefilter.seen` says whether it was.

    Raises
    ------
    VcfReadError
        The file is missing, a folder, unreadable, empty, damaged or truncated, not a VCF/BCF, an
        uncompressed BCF, names a sample column twice, breaks one of ``limits`` or has malformed text.
    """
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
    compression: Compression = "none"
    text = head
    if head[:2] == b"\x1f\x8b":
        compression = "bgzf" if head[12:14] == b"BC" else "gzip"
        text = _gunzip_prefix(path, name)
        if compression == "bgzf" and tail != _BGZF_EOF:
            _check_complete(path, name)
    kind: Kind
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
    crlf, v44 = b"\r\n" in text, text.startswith(_V44)
    if kind == "bcf":
        check_compressed_size(path, limits=limits)
    elif crlf and not v44:  # one pass: checked and written without carriage returns together
        read_path = workdir / "normalised.vcf"
        with open(read_path, "wb") as sink:
            check_vcf_file(path, compressed=compression != "none", limits=limits, sink=sink)
    else:
        check_vcf_file(path, compressed=compression != "none", limits=limits, observer=None if v44 else observer)
        if v44:
            read_path = _normalised_copy(path, workdir, compressed=compression != "none", phase_prefix=v44)
    return kind, compression, read_path


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
    return _gunzip(path, _SNIFF_BYTES, f"'{name}' is gzip-compressed but cannot be decompressed: it is damaged or "
                   "truncated. Copy or download the file again.")


def _check_complete(path: Path, name: str) -> None:
    """A bgzip file without the end-of-file block is truncated unless it decompresses fully."""
    _gunzip(path, None, f"'{name}' is truncated: the compressed data stops mid-block and the bgzip end-of-file "
            "marker is missing. The copy or download was interrupted; copy the file again.")


def _gunzip(path: Path, limit: int | None, damaged: str) -> bytes:
    """The first ``limit`` decompressed bytes (``None``: decompress all, keep none).

    Raises VcfReadError with the message ``damaged`` when the data cannot be decompressed.
    """
    try:
        with gzip.open(path, "rb") as fh:
            if limit is not None:
                return fh.read(limit)
            while fh.read(1 << 20):
                pass
            return b""
    except (OSError, EOFError, zlib.error):
        raise VcfReadError(damaged) from None


def _not_vcf_message(name: str, text: bytes) -> str:
    if text[:4] in (b"TBI\x01", b"CSI\x01"):
        return (f"'{name}' is a tabix/CSI index, not a VCF. Choose the .vcf.gz or .bcf file it indexes "
                "(keep the index beside it).")
    # Never quote the file: a server folder may hold anything, and its first bytes are not the user's to see.
    return (f"'{name}' does not look like a VCF: a VCF starts with '##fileformat=VCFv4.x' or '#CHROM', "
            f"this one {_content_kind(text)}. Choose a .vcf, .vcf.gz or .bcf file.")


def _content_kind(text: bytes) -> str:
    """What the first bytes of a file that is not a VCF look like, in words that quote none of them."""
    if not text.strip():
        return "starts with blank space"
    if b"\x00" in text:
        return "holds binary data (another kind of file)"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(text, final=False)  # a character cut at the end is fine
    except UnicodeDecodeError:
        return "holds bytes that are not UTF-8 text (another kind of file)"
    return "is text of another kind (no '#' header line first)"


def _normalised_copy(path: Path, workdir: Path, *, compressed: bool, phase_prefix: bool) -> Path:
    """Write a plain-text copy htslib can read and return its path.

    Carriage returns (Windows line endings) are removed. With ``phase_prefix`` (a VCF 4.4 file), the
    explicit phasing prefix of a genotype (``|0``, ``/0|1``: it states the first allele's phase) is
    dropped, because the htslib inside cyvcf2 0.35 refuses it; the separators between alleles, which
    decide phasing here, are kept as written.
    """
    out = workdir / "normalised.vcf"
    opener: Callable[..., Any] = gzip.open if compressed else open
    try:
        with opener(path, "rb") as src, open(out, "wb") as dst:
            if not phase_prefix:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    dst.write(chunk.replace(b"\r", b""))
            else:
                for line in src:
                    dst.write(_drop_phase_prefix(line.replace(b"\r", b"")))
    except (OSError, EOFError, zlib.error):
        raise VcfReadError(f"'{path.name}' cannot be decompressed: it is damaged or truncated. "
                           "Copy the file again.") from None
    return out


def _drop_phase_prefix(line: bytes) -> bytes:
    """A data line with each sample's leading GT phasing prefix removed (GT is FORMAT's first key)."""
    if line.startswith(b"#"):
        return line
    cols = line.split(b"\t")
    if len(cols) < 10 or not cols[8].startswith(b"GT"):
        return line
    return b"\t".join([*cols[:9], *(c[1:] if c[:1] in (b"/", b"|") else c for c in cols[9:])])


def header_info(path: Path, read_path: Path, kind: Kind, compression: Compression, samples: tuple[str, ...],
                header: str) -> VcfInfo:
    """Summarise a header read by htslib: contigs, build hints, file format, and an index beside the file."""
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
                contigs.append(Contig(fields["ID"], int(length) if length.isdigit() else None,
                                      fields.get("assembly") or None))
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
    return VcfInfo(str(path), kind, compression, index, samples, tuple(contigs), tuple(hints), fileformat)


def _split_meta(body: str) -> Iterator[tuple[str, str]]:
    """Split ``ID=chr1,length=123,assembly="a,b"`` respecting quotes."""
    for m in re.finditer(r'([A-Za-z_][\w.]*)=("(?:[^"\\]|\\.)*"|[^,]*)', body):
        yield m.group(1), m.group(2).strip('"')
