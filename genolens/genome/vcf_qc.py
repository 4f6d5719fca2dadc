"""Copying the few values file QC counts out of cyvcf2 records, one tuple per examined record.

The records are cyvcf2 Variants, used through their attributes only (cyvcf2 itself is imported by
:mod:`~genolens.genome.vcf`). :class:`QcCollector` keeps, per record, the record kind, the sample's
genotype reduced to two allele indices, REF, the ALTs those alleles name, DP and GQ; at the end
:meth:`QcCollector.sample` turns them into the numpy columns of a :class:`~genolens.genome.qc.QcSample`,
which :func:`~genolens.genome.qc.file_qc` counts with array operations. A stride (every k-th record) can
be doubled on the way, so that a scan of a file of unknown length keeps a regular sample of at most the
record cap.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from genolens.datamodel import QcSampling, VcfInfo
from genolens.genome.qc import KIND_BLOCK, KIND_OTHER, KIND_VARIANT, SYMBOLIC_ALTS, QcSample
from genolens.genome.vcf_records import check_end, sample_alleles

_BLOCK_ALTS = frozenset({"<NON_REF>", "<*>"})
_INT_MISSING = -2147483647  # htslib int32: -2147483648 missing, -2147483647 vector end
_Row = tuple[int, bool, int, int, str, str, str, float, float]


class QcCollector:
    """Collects QC values of records for one sample column.

    Parameters
    ----------
    sample_idx
        The sample's column.
    cap
        The most records to keep; with :meth:`offer` (a scan) the stride doubles past it.
    """

    def __init__(self, sample_idx: int, cap: int, info: VcfInfo) -> None:
        self.idx = sample_idx
        self.info = info
        self.cap = max(cap, 1)
        self.stride = 1
        self._rows: list[_Row] = []
        self._ordinals: list[int] = []

    def __len__(self) -> int:
        return len(self._rows)

    def offer(self, v: Any, ordinal: int) -> None:
        """Keep record number ``ordinal`` (0-based, file order) when it falls on the stride; double the
        stride (keeping every second kept record) when the cap is passed."""
        if ordinal & (self.stride - 1):
            return
        self._ordinals.append(ordinal)
        self.add(v, ordinal + 1)
        if len(self._rows) > self.cap:
            self.stride *= 2
            keep = [i for i, o in enumerate(self._ordinals) if not o & (self.stride - 1)]
            self._rows = [self._rows[i] for i in keep]
            self._ordinals = [self._ordinals[i] for i in keep]

    def add(self, v: Any, n: int | None = None) -> None:
        """Keep one record's values (``n``: its 1-based number in the file, for messages, when known).

        Raises
        ------
        VcfReadError
            A symbolic record states an END before its POS (see
            :func:`~genolens.genome.vcf_records.check_end`).
        """
        alts = v.ALT
        first = alts[0] if alts else ""
        kind = KIND_VARIANT if len(alts) == 1 and first not in SYMBOLIC_ALTS else _kind(alts)
        if alts and alts[-1][:1] == "<" and v.end <= v.POS:
            check_end(v, self.info, n, v.POS)
        ref = v.REF
        try:
            g, _ = sample_alleles(v, self.idx)
        except Exception:  # cyvcf2 raises a bare Exception for a record without GT
            has_gt, a0, a1, alt0, alt1 = False, -1, -1, "", ""
        else:
            has_gt = True
            if len(g) == 2:
                a0, a1 = g[0], g[1]
            elif len(g) == 1:
                a0 = a1 = g[0]
            else:
                a0, a1 = _two_alleles(g)
            n = len(alts)
            alt0 = alts[a0 - 1] if 0 < a0 <= n else ""
            alt1 = alts[a1 - 1] if 0 < a1 <= n else ""
        self._rows.append((kind, has_gt, a0, a1, ref, alt0, alt1, _format(v, "DP", self.idx),
                           _format(v, "GQ", self.idx)))

    def sample(self, *, chromosomes: tuple[str, ...], complete: bool, sampling: QcSampling,
               regions: tuple[str, ...] = (), unsorted: bool = False) -> QcSample:
        """The kept values as numpy columns, with how they were chosen."""
        if not self._rows:
            cols: list[Any] = [[]] * 9
        else:
            cols = [list(c) for c in zip(*self._rows, strict=True)]
        return QcSample(
            kind=np.array(cols[0], dtype=np.int8), has_gt=np.array(cols[1], dtype=np.bool_),
            a0=np.array(cols[2], dtype=np.int32), a1=np.array(cols[3], dtype=np.int32),
            ref=np.array(cols[4], dtype=np.str_), alt0=np.array(cols[5], dtype=np.str_),
            alt1=np.array(cols[6], dtype=np.str_), dp=_numbers(cols[7]), gq=_numbers(cols[8]),
            chromosomes=chromosomes, complete=complete,
            sampling=sampling, regions=regions, stride=self.stride, unsorted=unsorted,
        )


def _two_alleles(alleles: tuple[int, ...]) -> tuple[int, int]:
    """A call of no or more than two alleles as its two smallest distinct alleles (-1, -1 when any is missing):
    heterozygous when they differ, and the second is the first carried ALT when the first is REF."""
    if not alleles or min(alleles) < 0:
        return -1, -1
    distinct = sorted(set(alleles))
    return distinct[0], distinct[min(1, len(distinct) - 1)]


def _kind(alts: list[str]) -> int:
    if any(a not in SYMBOLIC_ALTS for a in alts):
        return KIND_VARIANT
    return KIND_BLOCK if alts and all(a in _BLOCK_ALTS for a in alts) else KIND_OTHER


def _format(v: Any, key: str, idx: int) -> Any:
    """The sample's first value of FORMAT ``key`` as cyvcf2 gives it (a numpy scalar, converted with the rest
    by :func:`_numbers`); NaN when the record or the header lacks the field."""
    try:
        arr = v.format(key)
    except KeyError:  # the header does not declare the field
        return math.nan
    if arr is None:
        return math.nan
    row = arr[idx]  # (values,) per sample; cyvcf2 gives a 1-D array for a field the header does not declare
    return row[0] if getattr(row, "ndim", 0) else row


def _numbers(values: list[Any]) -> npt.NDArray[np.float64]:
    """FORMAT values as float64: NaN for htslib's missing and vector-end integers, for NaN floats and for text
    that is not a number (a header that declares the field as a String); floats truncated to whole numbers."""
    try:
        out = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        out = np.array([_number(x) for x in values], dtype=np.float64)
    out[out <= _INT_MISSING] = np.nan
    return np.trunc(out)


def _number(x: Any) -> float:
    try:
        return float(x)  # "32" counts as 32, as int("32") did; "." does not count
    except (TypeError, ValueError):
        return math.nan
