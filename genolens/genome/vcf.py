"""Reading VCF, VCF.gz (bgzip or plain gzip) and BCF files: the only module that imports cyvcf2.

A file is opened with :func:`open_vcf`, a context manager that owns a private temporary
folder (a CRLF-normalised copy, an index built for a bgzipped file that has none) and
removes it on exit. Indexed or bgzipped files are read by region query at the requested
sites; plain or plain-gzip files are scanned once. Every cyvcf2 array is copied into plain
Python values before the record is released. Every htslib/cyvcf2 failure, at open or at
record N, becomes a :class:`~genolens.errors.VcfReadError` saying what is wrong and what to do.

The pieces that need no cyvcf2 of their own live beside it: :mod:`~genolens.genome.vcf_header`
(sniffing, header summary), :mod:`~genolens.genome.vcf_records` (copying records),
:mod:`~genolens.genome.vcf_regions` (region queries), :mod:`~genolens.genome.vcf_errors` (messages).
"""

from __future__ import annotations

import bisect
import ctypes
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

import cyvcf2

from genolens.datamodel import CohortRecord, Record, VcfInfo
from genolens.errors import SampleError, VcfReadError
from genolens.genome.build import CONTIG_LENGTHS, normalise_chrom
from genolens.genome.qc import QcSample, empty_sample, qc_windows
from genolens.genome.vcf_errors import open_error, record_error
from genolens.genome.vcf_header import Compression, Kind, header_info, sniff
from genolens.genome.vcf_prefilter import SitePrefilter
from genolens.genome.vcf_qc import QcCollector
from genolens.genome.vcf_records import to_cohort_record, to_record
from genolens.genome.vcf_regions import QUERY_LOCK, Site, file_spellings, query_one, region_clusters

Progress = Callable[[float, str], None]


class _Located(Protocol):
    @property
    def pos(self) -> int: ...

    @property
    def end(self) -> int: ...

    @property
    def is_reference_block(self) -> bool: ...


_R = TypeVar("_R", bound=_Located)

_BYTES_PER_RECORD = {"none": 120, "gzip": 15, "bgzf": 15}

# cyvcf2 lazy=True segfaults on FORMAT access (0.35), so readers are opened eagerly.
# htslib is linked into cyvcf2's extension: index building and log level come from there.
_HTS = ctypes.CDLL(cyvcf2.cyvcf2.__file__)
_HTS.bcf_index_build3.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]
_HTS.bcf_index_build3.restype = ctypes.c_int
_HTS.hts_set_log_level.argtypes = [ctypes.c_int]
_HTS.hts_set_log_level(0)  # off: every failure becomes a VcfReadError with its own message


class VcfFile:
    """An open VCF/BCF file; create it with :func:`open_vcf`."""

    def __init__(self, path: Path, workdir: Path, index_cache: Path | None = None,
                 targets: Mapping[str, Sequence[int]] | None = None, qc_cap: int = 0,
                 side_targets: Mapping[str, Sequence[int]] | None = None) -> None:
        self._workdir = workdir
        self._index_cache = index_cache
        # A file without an index: the text check keeps the lines a read needs (module vcf_prefilter), for the
        # targets and the side targets. With an index, it keeps those of the side targets only (many sites, one
        # region query each would cost more than the text check): the targets are region-queried as before.
        has_index = any(os.path.exists(f"{path}{ext}") for ext in (".tbi", ".csi"))
        pf = None
        self._side_sites: frozenset[Site] = frozenset()
        if targets is not None and not has_index:
            merged: dict[str, list[int]] = {c: list(p) for c, p in targets.items()}
            for c, p in (side_targets or {}).items():
                merged.setdefault(c, []).extend(p)
            pf = SitePrefilter(workdir, merged, qc_cap=qc_cap)
        elif side_targets and has_index:
            pf = SitePrefilter(workdir, side_targets, qc_cap=0)
            self._side_sites = frozenset((c, int(p)) for c, ps in side_targets.items() for p in ps)
        try:
            self.info, self._read_path, reader = _sniff_and_prepare(path, workdir, pf)
        finally:
            if pf is not None:
                pf.close()
        if pf is not None and self.info.kind != "bcf" and self._read_path == path:
            pf.finish()
        usable = pf if pf is not None and pf.usable else None
        self._prefilter = usable if not self._side_sites else None
        self._side = usable if self._side_sites else None
        # The header's reader is handed out once more (opening an indexed file loads its index).
        self._spare: tuple[Path, Any] | None = (self._read_path, reader)
        self._index: str | bool | None = False  # False: not looked for yet; None: none could be built

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
        return self._collect(sites, lambda v, n: to_record(v, sample_idx, self.info, n), progress)

    def read_matrix(
        self, sites: Sequence[Site], *, progress: Progress | None = None
    ) -> tuple[dict[Site, list[CohortRecord]], str]:
        """Like :meth:`read_sites`, but keep every sample's genotype (for cohorts)."""
        return self._collect(sites, lambda v, n: to_cohort_record(v, self.info, n), progress)

    def read_sites_and_qc(
        self, sample_idx: int, sites: Sequence[Site], *, qc_records: int, progress: Progress | None = None
    ) -> tuple[dict[Site, list[Record]], str, QcSample]:
        """Read the records at each site, like :meth:`read_sites`, and a QC sample of the same file in one go.

        With an index (the file's, or one built here once for this read), the panel sites and the QC
        windows are read by region queries on the same reader: windows spread over every chromosome the
        file has records on (:func:`~genolens.genome.qc.qc_windows`), or every record when the index
        counts no more than ``qc_records``. Without one, the single scan that finds the sites also keeps
        every k-th record (k a power of two, at most ``qc_records`` kept).

        Parameters
        ----------
        sample_idx
            Column of the sample (see :meth:`sample_index`).
        sites
            Normalised (chrom, pos) pairs.
        qc_records
            The most records QC examines; 0 skips QC (the sample is then empty, sampling ``"none"``).
        progress
            Called with (fraction done, message) while reading.

        Returns
        -------
        tuple
            Records per site, the read mode in words, and the QC sample.
        """
        def convert(v: Any, n: int | None) -> Record:
            return to_record(v, sample_idx, self.info, n)

        wanted = sorted(set(sites))
        pf = self._prefilter
        if pf is not None and pf.covers(wanted) and (qc_records == 0 or qc_records >= pf.cap):
            found = self._scan(wanted, convert, progress, path=pf.sites_path, numbers=pf.site_ordinals)[0]
            if qc_records == 0:
                return found, pf.mode_words(), empty_sample(chromosomes=tuple(pf.chromosomes))
            kept = QcCollector(sample_idx, qc_records, self.info)
            self._qc_file(pf.qc_path, kept, pf.qc_numbers)
            kept.stride = pf.stride
            qc = kept.sample(chromosomes=tuple(pf.chromosomes), complete=pf.stride == 1,
                                  unsorted=pf.unsorted, sampling="all" if pf.stride == 1 else "stride")
            return found, pf.mode_words(), qc
        index = self._ensure_index() if self.indexable else None
        if index is not None:
            reader = self._reader()
            side = self._side
            from_side = [s for s in wanted if s in self._side_sites] if side is not None else []
            queried = [s for s in wanted if s not in self._side_sites] if side is not None else wanted
            found = self._query(queried, convert, progress, reader)
            if side is not None and from_side:
                found.update(self._scan(from_side, convert, None, path=side.sites_path, numbers=side.site_ordinals)[0])
            qc = self._qc_indexed(reader, sample_idx, qc_records) if qc_records > 0 else empty_sample(
                chromosomes=tuple(dict.fromkeys(normalise_chrom(n) for n, _ in self._contigs_with_records(reader))))
            return found, f"region queries ({index})", qc
        collector = QcCollector(sample_idx, qc_records, self.info) if qc_records > 0 else None
        found, chromosomes, unsorted = self._scan(wanted, convert, progress, collector)
        if collector is None:
            return found, self._scan_mode(), empty_sample(chromosomes=tuple(chromosomes))
        stride = collector.stride
        qc = collector.sample(chromosomes=chromosomes, complete=stride == 1, unsorted=unsorted,
                              sampling="all" if stride == 1 else "stride")
        return found, self._scan_mode(), qc

    def _collect(self, sites: Sequence[Site], convert: Callable[[Any, int | None], _R],
                 progress: Progress | None) -> tuple[dict[Site, list[_R]], str]:
        wanted = sorted(set(sites))
        pf = self._prefilter
        if pf is not None and pf.covers(wanted):
            return (self._scan(wanted, convert, progress, path=pf.sites_path, numbers=pf.site_ordinals)[0],
                    pf.mode_words())
        if self.indexable:
            index = self._ensure_index()
            if index is not None:
                return self._query(wanted, convert, progress), f"region queries ({index})"
        return self._scan(wanted, convert, progress)[0], self._scan_mode()

    def _scan_mode(self) -> str:
        mode = "single scan of the whole file"
        if self.info.compression == "bgzf" and self._read_path == Path(self.info.path):
            mode += " (records are not sorted, so no index could be built)"
        return mode

    def iter_records(self, sample_idx: int, *, limit: int | None = None) -> Iterator[Record]:
        """Yield every record (reduced to one sample) in file order, up to ``limit`` records.

        Genotype alleles beyond ALT are not refused here (see :func:`~genolens.genome.vcf_records.to_record`).
        """
        reader = self._reader()
        n = 0
        it = iter(reader)
        while limit is None or n < limit:
            try:
                v = next(it)
            except StopIteration:
                return
            except Exception as exc:  # htslib/cyvcf2 raise bare Exception
                raise record_error(self.info, n + 1, exc) from None
            n += 1
            yield to_record(v, sample_idx, self.info, n, strict=False)

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
            raise open_error(self.info, exc) from None

    def _ensure_index(self) -> str | None:
        """The index in words, built once per open file when the file has none; ``None`` when none can be."""
        if self._index is False:
            self._index = self._find_or_build_index()
        return self._index if isinstance(self._index, str) else None

    def _find_or_build_index(self) -> str | None:
        if self.info.index is not None:
            return f"index {Path(self.info.index).name}"
        link = self._workdir / Path(self.info.path).name
        if not link.exists():
            link.symlink_to(Path(self.info.path).resolve())
        cache = self._index_cache
        for ext, kind in ((".tbi", "TBI"), (".csi", "CSI")):
            if cache is not None and Path(str(cache) + ext).is_file():
                Path(str(link) + ext).symlink_to(Path(str(cache) + ext))
                os.utime(str(cache) + ext)  # most recently used: kept longest
                self._read_path = link
                # the same words as a fresh build: a report never depends on what a cache held
                return f"{kind} index built by GenoLens"
        # TBI builds faster than CSI; CSI is needed for BCF and for contigs over 2^29 bases.
        for min_shift, ext, kind in ((0, ".tbi", "TBI"), (14, ".csi", "CSI")):
            if min_shift == 0 and self.info.kind == "bcf":
                continue
            if _HTS.bcf_index_build3(str(link).encode(), (str(link) + ext).encode(), min_shift, 2) == 0:
                self._read_path = link
                if cache is not None:  # copied, then renamed: a concurrent read never sees half an index
                    part = Path(f"{cache}{ext}.{os.getpid()}.part")
                    shutil.copyfile(str(link) + ext, part)
                    os.replace(part, str(cache) + ext)
                return f"{kind} index built by GenoLens"
        return None

    def _query(self, sites: list[Site], convert: Callable[[Any, int | None], _R],
               progress: Progress | None, reader: Any = None) -> dict[Site, list[_R]]:
        reader = reader if reader is not None else self._reader()
        spellings = file_spellings(reader, self.info)
        found: dict[Site, list[_R]] = {}
        clusters = region_clusters(sites)
        for i, (chrom, positions) in enumerate(clusters):
            if progress and i % 50 == 0:
                progress(i / max(len(clusters), 1), f"Reading panel sites ({i}/{len(clusters)} regions)")
            try:
                hits = query_one(reader, spellings, chrom, positions[0], positions[-1])
                recs = [convert(v, None) for v in hits if v.POS in positions or v.end > v.POS]
            except VcfReadError:
                raise
            except Exception as exc:
                raise record_error(self.info, None, exc, where=f"{chrom}:{positions[0]}") from None
            for pos in positions:
                keep = [r for r in recs if r.pos == pos or (r.is_reference_block and r.pos <= pos <= r.end)]
                if keep:
                    found[(chrom, pos)] = keep
        return found

    def _qc_indexed(self, reader: Any, sample_idx: int, cap: int) -> QcSample:
        """QC sample through the index: every record when the index counts no more than ``cap``, else
        windows spread over every chromosome with records."""
        collector = QcCollector(sample_idx, cap, self.info)
        try:
            total = int(reader.num_records)
        except Exception:  # an index without counts: sample by windows
            total = cap + 1
        if total <= cap:
            chromosomes, unsorted = self._qc_all(collector)
            return collector.sample(chromosomes=chromosomes, complete=True, sampling="all", unsorted=unsorted)
        windows, per_window = qc_windows(self._contigs_with_records(reader), records=cap)
        regions: list[str] = []
        chromosomes_seen: dict[str, None] = {}
        capped = False
        for name, start, end in windows:
            taken = first = last = 0
            try:
                for v in reader(f"{_region_name(name)}:{start}-{end if end is not None else ''}"):
                    pos = v.POS
                    if pos < start:  # a record overlapping the window from before: its own window's
                        continue
                    if taken >= per_window and pos != last:
                        capped = True
                        break
                    collector.add(v)
                    taken += 1
                    first, last = first or pos, pos
            except VcfReadError:
                raise
            except Exception as exc:
                raise record_error(self.info, None, exc, where=f"{name}:{start}") from None
            if taken:
                regions.append(f"{name}:{first}-{last}")
                chromosomes_seen.setdefault(normalise_chrom(name))
        if not windows:  # the index names no chromosome with records: a strided scan instead
            chromosomes, unsorted = self._qc_all(collector, stride=True)
            return collector.sample(chromosomes=chromosomes, complete=collector.stride == 1, unsorted=unsorted,
                                    sampling="all" if collector.stride == 1 else "stride")
        return collector.sample(chromosomes=tuple(chromosomes_seen), complete=not capped,
                                sampling="regions" if capped else "all", regions=tuple(regions) if capped else ())

    def _contigs_with_records(self, reader: Any) -> list[tuple[str, int | None]]:
        """(name, length) of the chromosomes the index has records on, in header order."""
        declared = {c.name: c.length for c in self.info.contigs}
        known = {c: max(CONTIG_LENGTHS[b].get(c, 0) for b in CONTIG_LENGTHS) for c in CONTIG_LENGTHS["GRCh38"]}
        out: list[tuple[str, int | None]] = []
        for name in list(reader.seqnames or []):
            with QUERY_LOCK, warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "no intervals": the index has no record there
                try:
                    first = next(iter(reader(_region_name(name))), None)
                except Exception:
                    first = None
            if first is not None:
                out.append((name, declared.get(name) or known.get(normalise_chrom(name)) or None))
        return out

    def _qc_all(self, collector: QcCollector, *, stride: bool = False) -> tuple[tuple[str, ...], bool]:
        """Every record in file order into ``collector`` (``stride``: kept on a doubling stride)."""
        reader = self._reader()
        chromosomes: dict[str, None] = {}
        last_chrom, last_pos, unsorted, n = "", 0, False, 0
        it = iter(reader)
        while True:
            try:
                v = next(it)
            except StopIteration:
                break
            except Exception as exc:
                raise record_error(self.info, n + 1, exc) from None
            chrom, pos = v.CHROM, v.POS
            if chrom != last_chrom:
                chromosomes.setdefault(normalise_chrom(chrom))
            elif pos < last_pos:
                unsorted = True
            last_chrom, last_pos = chrom, pos
            if stride:
                collector.offer(v, n)
            else:
                collector.add(v, n + 1)
            n += 1
        return tuple(chromosomes), unsorted

    def _side_reader(self, path: Path) -> Any:
        """A reader of one of the prefilter's small files, its failures named after the input."""
        try:
            return cyvcf2.VCF(str(path))
        except Exception as exc:
            raise open_error(self.info, exc) from None

    def _qc_file(self, path: Path, collector: QcCollector, numbers: Sequence[int]) -> None:
        """Every record of a QC sample file (the prefilter's ``qc.vcf``) into ``collector``; ``numbers``: the
        input's 1-based record number of each, for messages."""
        it = iter(self._side_reader(path))
        for k in range(len(numbers) + 1):
            try:
                v = next(it)
            except StopIteration:
                return
            except Exception as exc:
                raise record_error(self.info, numbers[k] if k < len(numbers) else None, exc) from None
            collector.add(v, numbers[k] if k < len(numbers) else None)

    def _scan(self, sites: list[Site], convert: Callable[[Any, int | None], _R],
              progress: Progress | None, qc: QcCollector | None = None, *, path: Path | None = None,
              numbers: Sequence[int] = (),
              ) -> tuple[dict[Site, list[_R]], tuple[str, ...], bool]:
        """Every record once: the records at ``sites``, the chromosomes seen (normalised, file order),
        whether records went backwards on a chromosome, and every k-th record into ``qc``.

        ``path``: scan that file (the prefilter's ``sites.vcf``) instead of the input; ``numbers``: the input's
        1-based record number of each of its records, for messages."""
        by_chrom: dict[str, list[int]] = {}
        for chrom, pos in sites:
            by_chrom.setdefault(chrom, []).append(pos)
        wanted = set(sites)
        found: dict[Site, list[_R]] = {}
        size = max(os.path.getsize(path or self._read_path), 1)
        reader = self._reader() if path is None else self._side_reader(path)
        def number(k: int) -> int | None:  # the input's number of the k-th record read (1-based)
            if path is None:
                return k
            return numbers[k - 1] if 0 < k <= len(numbers) else None

        it = iter(reader)
        n = 0
        norm_cache: dict[str, str] = {}
        last_chrom, last_pos, unsorted = "", 0, False
        while True:
            try:
                v = next(it)
            except StopIteration:
                break
            except Exception as exc:
                raise record_error(self.info, number(n + 1), exc) from None
            if qc is not None:
                qc.offer(v, n)
            n += 1
            if progress and n % 100_000 == 0:
                # cyvcf2 exposes no file offset: the fraction is an estimate from typical record sizes.
                progress(min(n * _BYTES_PER_RECORD[self.info.compression] / size, 0.95),
                         f"Scanning records ({n:,} read)")
            raw_chrom: str = v.CHROM
            pos = v.POS
            if raw_chrom != last_chrom:
                if raw_chrom not in norm_cache:
                    norm_cache[raw_chrom] = normalise_chrom(raw_chrom)
                last_chrom = raw_chrom
            elif pos < last_pos:
                unsorted = True
            last_pos = pos
            chrom = norm_cache[raw_chrom]
            positions = by_chrom.get(chrom)
            if positions is None:
                continue
            end = v.end
            if (chrom, pos) in wanted:
                found.setdefault((chrom, pos), []).append(convert(v, number(n)))
            if end > pos:
                lo = bisect.bisect_right(positions, pos)
                hi = bisect.bisect_right(positions, end)
                if lo < hi:
                    rec = convert(v, number(n))
                    if rec.is_reference_block:
                        for p in positions[lo:hi]:
                            found.setdefault((chrom, p), []).append(rec)
        return found, tuple(dict.fromkeys(norm_cache.values())), unsorted


@contextmanager
def open_vcf(path: str | os.PathLike[str], *, index_cache: str | os.PathLike[str] | None = None,
             targets: Mapping[str, Sequence[int]] | None = None, qc_cap: int = 0,
             side_targets: Mapping[str, Sequence[int]] | None = None) -> Iterator[VcfFile]:
    """Open a VCF/VCF.gz/BCF file for reading; private temporary files are removed on exit.

    Parameters
    ----------
    path
        The file.
    index_cache
        Where an index built for this file is kept for later reads of the same bytes, and found by them:
        a path prefix (``.tbi``/``.csi`` is appended) that names the file's content, e.g. a private folder
        and the file's SHA-256 and size. ``None``: an index built here is removed on exit.
    targets
        Normalised chromosome -> the positions later reads will ask for. A VCF without an index beside it
        then keeps, during its text check, the records at those positions and a QC sample of ``qc_cap``
        records at most (:mod:`~genolens.genome.vcf_prefilter`), and reads of sites among them need
        neither an index nor a second pass over the file.
    qc_cap
        See ``targets``.
    side_targets
        Further positions (normalised chromosome -> positions; the ancestry markers): kept by the text check
        like ``targets`` for a file without an index; for an indexed file too, and read from what it kept
        rather than by one region query each (the targets are still region-queried there).

    Raises
    ------
    VcfReadError
        The file is missing, empty, not a VCF/BCF, or its header cannot be parsed.
    """
    workdir = Path(tempfile.mkdtemp(prefix="genolens-read-"))
    os.chmod(workdir, 0o700)
    try:
        yield VcfFile(Path(path), workdir, Path(index_cache) if index_cache is not None else None, targets, qc_cap,
                      side_targets)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def read_header(path: str | os.PathLike[str]) -> VcfInfo:
    """Return the header summary of a file (samples, contigs, build hints)."""
    with open_vcf(path) as vf:
        return vf.info


# -- opening ------------------------------------------------------------------------------------


def _sniff_and_prepare(path: Path, workdir: Path, observer: SitePrefilter | None = None,
                       ) -> tuple[VcfInfo, Path, Any]:
    kind, compression, read_path = sniff(path, workdir, observer=observer)
    info, reader = _read_info(path, read_path, kind, compression)
    return info, read_path, reader


def _read_info(path: Path, read_path: Path, kind: Kind, compression: Compression) -> tuple[VcfInfo, Any]:
    base = VcfInfo(str(path), kind, compression, None, (), (), (), "")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = cyvcf2.VCF(str(read_path))
            samples = tuple(reader.samples)
            header = reader.raw_header
    except Exception as exc:
        raise open_error(base, exc) from None
    return header_info(path, read_path, kind, compression, samples, header), reader


def _region_name(name: str) -> str:
    """A chromosome name as a region string takes it (htslib reads ``{name}`` when the name has a colon)."""
    return f"{{{name}}}" if ":" in name else name


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
