"""Keeping, during the one pass that checks a VCF's text, the record lines a read needs.

A file without an index used to be read twice after its check: once by htslib to build an index (or to
scan every record), once more for the panel sites and the QC windows. :class:`SitePrefilter` watches the
check instead (:class:`~genolens.genome.vcf_check.RecordObserver`) and, with array operations on each
checked chunk, writes two small VCFs beside the read:

- ``sites.vcf``: the header and every record whose POS is a target position of its chromosome, plus every
  record with a symbolic ALT (``<...>``: a gVCF reference block may cover a target from before it) on a
  target chromosome. The read then scans this file with the same matching as a scan of the whole file
  (:meth:`~genolens.genome.vcf.VcfFile.read_sites_and_qc`), so the records found are the same;
- ``qc.vcf``: the header and every k-th record (k a power of two, doubled while more than ``qc_cap``
  records would be kept), the same regular sample a scan keeps.

Chromosome names are compared after :func:`~genolens.genome.build.normalise_chrom`; the targets are given
normalised. When the kept site lines pass :data:`BUDGET_BYTES`, or :data:`SHARE_FLOOR_BYTES` and a tenth of the
text (a gVCF: most of its lines are reference blocks), the filter gives up (:attr:`SitePrefilter.usable` is False)
and the caller reads the file as before, through an index or a scan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from genolens.genome.build import normalise_chrom

BUDGET_BYTES = 32 << 20
"""Site lines kept before the filter gives up (the file is then read through an index or a scan)."""
SHARE_FLOOR_BYTES = 1 << 20
"""Past this many kept bytes, the filter also gives up when it keeps more than :data:`MAX_SHARE` of the text."""
MAX_SHARE = 0.1
_CHROM_BYTES = 5
"""Longest raw chromosome name that can normalise to a panel chromosome (``chr22``, ``chrMT``)."""
_LT = 60  # '<'


class SitePrefilter:
    """Keeps the site lines and a strided QC sample of a VCF's text while it is checked.

    Parameters
    ----------
    folder
        A private folder; ``sites.vcf`` and ``qc.vcf`` are written in its subfolder ``prefilter``.
    targets
        Normalised chromosome -> positions wanted there.
    qc_cap
        The most records the QC sample keeps (0: none).
    """

    def __init__(self, folder: Path, targets: Mapping[str, Sequence[int]], *, qc_cap: int) -> None:
        (folder / "prefilter").mkdir(mode=0o700)
        self.sites_path = folder / "prefilter" / "sites.vcf"
        self.qc_path = folder / "prefilter" / "qc.vcf"
        self._targets = {c: np.unique(np.asarray(p, dtype=np.int64)) for c, p in targets.items() if len(p)}
        self.cap = max(qc_cap, 0)
        """The most records the QC sample keeps."""
        self._text_bytes = 0
        self._sites: BinaryIO | None = open(self.sites_path, "wb")  # noqa: SIM115 - closed in finish()
        self._header: list[bytes] = []
        self._kept = 0
        self._qc_lines: list[bytes] = []
        self._qc_ordinals: list[int] = []
        self.stride = 1
        """Every ``stride``-th record (0-based ordinal divisible by it) is in the QC sample."""
        self.record_count = 0
        """Records seen."""
        self.site_records = 0
        """Record lines written to ``sites.vcf``."""
        self.site_ordinals: list[int] = []
        """The 1-based number in the input of each record of ``sites.vcf`` (for messages)."""
        self.chromosomes: dict[str, None] = {}
        """Normalised chromosomes with records, in file order."""
        self.unsorted = False
        """Whether positions went backwards on a chromosome."""
        self.seen = False
        """Whether the check showed this filter the whole text (set by :meth:`finish`)."""
        self._overflow = False
        self._last_raw = b""
        self._last_pos = 0
        self._names: dict[bytes, str] = {}

    @property
    def usable(self) -> bool:
        """True when both files are complete: the whole text was seen and the site lines fit the budget."""
        return self.seen and not self._overflow

    @property
    def qc_numbers(self) -> list[int]:
        """The input's 1-based number of each record of ``qc.vcf``."""
        return [o + 1 for o in self._qc_ordinals]

    def covers(self, sites: Sequence[tuple[str, int]]) -> bool:
        """Whether every (normalised chromosome, position) is a target, so ``sites.vcf`` holds its records."""
        by_chrom: dict[str, list[int]] = {}
        for chrom, pos in sites:
            by_chrom.setdefault(chrom, []).append(pos)
        for chrom, positions in by_chrom.items():
            wanted = self._targets.get(chrom)
            if wanted is None or len(wanted) == 0:
                return False
            asked = np.asarray(positions, dtype=wanted.dtype)
            at = np.minimum(np.searchsorted(wanted, asked), len(wanted) - 1)
            if not np.array_equal(wanted[at], asked):
                return False
        return True

    def mode_words(self) -> str:
        """How the file was read, in words (a report's read mode)."""
        return (f"one pass over the text: {self.record_count:,} records checked, the {self.site_records:,} at panel "
                "positions kept")

    # -- RecordObserver -----------------------------------------------------------------------------------

    def header(self, line: bytes) -> None:
        """Keep a header line for both files."""
        self._header.append(line)
        if self._sites is not None and line.startswith(b"#CHROM"):
            self._sites.write(b"\n".join(self._header) + b"\n")

    def records(self, text: bytes, starts: npt.NDArray[np.intp], stops: npt.NDArray[np.intp],
                tabs: list[npt.NDArray[np.intp]], pos: npt.NDArray[np.int64]) -> None:
        """Choose the site lines and QC lines of one checked chunk."""
        n = len(starts)
        arr = np.frombuffer(text, dtype=np.uint8)
        chrom_ids, names = self._chromosomes(arr, starts, tabs[0])
        self._order(chrom_ids, names, pos)
        if self._sites is not None and not self._overflow:
            keep = self._site_mask(arr, starts, tabs, pos, chrom_ids, names)
            rows = np.flatnonzero(keep)
            if rows.size:
                block = b"\n".join(text[int(starts[i]):int(stops[i])] for i in rows) + b"\n"
                self._kept += len(block)
                self.site_records += int(rows.size)
                if self._kept > BUDGET_BYTES or (self._kept > SHARE_FLOOR_BYTES and
                                                 self._kept > MAX_SHARE * (self._text_bytes + len(text))):
                    self._overflow = True
                else:
                    self._sites.write(block)
                    self.site_ordinals += (self.record_count + 1 + rows).tolist()
        if self.cap:
            self._sample(text, starts, stops, n)
        self.record_count += n
        self._text_bytes += len(text)

    def finish(self) -> None:
        """Close ``sites.vcf`` and write ``qc.vcf``; call once the check has passed."""
        if self._sites is not None:
            self._sites.close()
            self._sites = None
        with open(self.qc_path, "wb") as out:
            out.write(b"\n".join(self._header) + b"\n")
            if self._qc_lines:
                out.write(b"\n".join(self._qc_lines) + b"\n")
        self.seen = True

    def close(self) -> None:
        """Close the site file without finishing (the check failed)."""
        if self._sites is not None:
            self._sites.close()
            self._sites = None

    # -- internals ----------------------------------------------------------------------------------------

    def _chromosomes(self, arr: npt.NDArray[np.uint8], starts: npt.NDArray[np.intp],
                     tab: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.intp], list[str]]:
        """Each line's chromosome as an index into the returned normalised names (runs compared as bytes)."""
        length = tab - starts
        width = int(min(length.max(), _CHROM_BYTES + 1))
        cols = np.minimum(starts[:, None] + np.arange(width), len(arr) - 1)
        grid = np.where(np.arange(width) < np.minimum(length, width)[:, None], arr[cols], 0)
        grid[length > _CHROM_BYTES] = 255  # too long to be a panel chromosome: one shared key, no match
        change = np.empty(len(starts), dtype=np.bool_)
        change[0] = True
        change[1:] = (grid[1:] != grid[:-1]).any(axis=1)
        run_starts = np.flatnonzero(change)
        names: list[str] = []
        ids_of_runs = np.empty(len(run_starts), dtype=np.intp)
        index: dict[str, int] = {}
        for r, i in enumerate(run_starts):
            raw = grid[i].tobytes()
            name = self._names.get(raw)
            if name is None:
                length_i = int(length[i])
                name = "" if length_i > _CHROM_BYTES else normalise_chrom(bytes(arr[starts[i]:tab[i]]).decode())
                self._names[raw] = name
            if name not in index:
                index[name] = len(names)
                names.append(name)
            ids_of_runs[r] = index[name]
        run_of_line = np.cumsum(change) - 1
        return ids_of_runs[run_of_line], names

    def _order(self, chrom_ids: npt.NDArray[np.intp], names: list[str], pos: npt.NDArray[np.int64]) -> None:
        """Chromosomes in file order and whether positions went backwards within one."""
        change = np.empty(len(chrom_ids), dtype=np.bool_)
        change[0] = False
        change[1:] = chrom_ids[1:] != chrom_ids[:-1]
        for i in np.flatnonzero(np.concatenate(([True], change[1:]))):
            name = names[int(chrom_ids[i])]
            if name:
                self.chromosomes.setdefault(name)
        first = names[int(chrom_ids[0])].encode()
        if not self.unsorted:
            back = (np.diff(pos) < 0) & ~change[1:]
            if back.any() or (first == self._last_raw and int(pos[0]) < self._last_pos):
                self.unsorted = True
        self._last_raw, self._last_pos = names[int(chrom_ids[-1])].encode(), int(pos[-1])

    def _site_mask(self, arr: npt.NDArray[np.uint8], starts: npt.NDArray[np.intp],
                   tabs: list[npt.NDArray[np.intp]], pos: npt.NDArray[np.int64],
                   chrom_ids: npt.NDArray[np.intp], names: list[str]) -> npt.NDArray[np.bool_]:
        keep = np.zeros(len(starts), dtype=np.bool_)
        on_target = np.zeros(len(starts), dtype=np.bool_)
        for k, name in enumerate(names):
            wanted = self._targets.get(name)
            if wanted is None:
                continue
            rows = chrom_ids == k
            on_target |= rows
            p = pos[rows]
            at = np.minimum(np.searchsorted(wanted, p), len(wanted) - 1)
            keep[rows] = wanted[at] == p
        lt = np.flatnonzero(arr == _LT)  # a symbolic ALT: a reference block may cover a target from before
        if lt.size:
            line = np.searchsorted(starts, lt, side="right") - 1
            in_alt = (lt > tabs[3][line]) & (lt < tabs[4][line])
            keep[line[in_alt]] |= on_target[line[in_alt]]
        return keep

    def _sample(self, text: bytes, starts: npt.NDArray[np.intp], stops: npt.NDArray[np.intp], n: int) -> None:
        """Keep this chunk's records on the stride, doubling it first while the kept records would pass the cap
        (the same sample as :meth:`~genolens.genome.vcf_qc.QcCollector.offer` keeps record by record)."""
        ordinals = self.record_count + np.arange(n)
        while len(self._qc_lines) + int(np.count_nonzero((ordinals & (self.stride - 1)) == 0)) > self.cap:
            self.stride *= 2
            keep = [j for j, o in enumerate(self._qc_ordinals) if not o & (self.stride - 1)]
            self._qc_lines = [self._qc_lines[j] for j in keep]
            self._qc_ordinals = [self._qc_ordinals[j] for j in keep]
        rows = np.flatnonzero((ordinals & (self.stride - 1)) == 0)
        self._qc_lines += [text[a:b] for a, b in zip(starts[rows].tolist(), stops[rows].tolist(), strict=True)]
        self._qc_ordinals += (self.record_count + rows).tolist()
