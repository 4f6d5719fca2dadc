"""Copying cyvcf2 records into plain Python values before the record (and its C memory) is released."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from genolens.datamodel import CohortRecord, Record, VcfInfo
from genolens.errors import VcfReadError
from genolens.genome.vcf_errors import allele_error, end_error, record_error

_INT_MISSING = -2147483648  # htslib int32 missing; -2147483647 is vector end


def to_record(v: Any, idx: int, info: VcfInfo, n: int | None, *, strict: bool = True) -> Record:
    """Copy one cyvcf2 Variant into a plain Record for sample column ``idx``.

    With ``strict`` (a record read at a panel site), a genotype naming an allele beyond ALT is refused;
    the QC pass over the whole file reads with ``strict=False`` (its counts ignore such alleles), so a
    defect at a site GenoLens never uses does not refuse the file.
    """
    try:
        fmt = v.FORMAT or []
        alts = tuple(v.ALT)
        filt = v.FILTER
        gt: tuple[int, ...] = ()
        phased = False
        ps: int | None = None
        gt_text: str | None = None
        if "GT" in fmt:
            gt, phased = sample_alleles(v, idx)
            phased = phased and len(gt) > 1
            if phased and "PS" in fmt:
                try:
                    ps = _phase_set(v, idx)
                except ValueError:
                    phased = False  # a phase set that cannot be told apart from others: never read cis/trans
            gt_text = ("|" if phased else "/").join("." if a < 0 else str(a) for a in gt)
            if strict and gt and max(gt) > len(alts):
                raise allele_error(info, n, max(gt), len(alts))
        pos, end = int(v.POS), int(v.end)
        if end <= pos and alts and alts[-1][:1] == "<":
            check_end(v, info, n, pos)
        rec = Record(
            chrom=v.CHROM, pos=pos, end=max(end, pos), ref=v.REF, alts=alts,
            filters=tuple(filt.split(";")) if filt else (),
            gt=gt, phased=phased, gt_text=gt_text,
            ds=_float_field(v, "DS", idx) if "DS" in fmt else None,
            gq=_int_field(v, "GQ", idx) if "GQ" in fmt else None,
            dp=_int_field(v, "DP", idx) if "DP" in fmt else None,
            ps=ps,
        )
    except VcfReadError:
        raise
    except Exception as exc:
        raise record_error(info, n, exc, where=f"{v.CHROM}:{v.POS}") from None
    return rec


def sample_alleles(v: Any, idx: int) -> tuple[tuple[int, ...], bool]:
    """Sample ``idx``'s allele indices (-1 a missing allele; as many as its own ploidy) and phase flag.

    Read from cyvcf2's C array of every sample's genotype (the vector-end padding of a lower ploidy, -2, dropped),
    not ``v.genotypes``, which builds a Python list per sample (0.29 s against 0.013 s for 100 records of 10,000
    samples): one patient read from a cohort file costs as much as from a single-sample file.

    Raises
    ------
    Exception
        cyvcf2's bare exception when the record has no GT.
    """
    row = v.genotype.array()[idx]
    return tuple(int(a) for a in row[:-1] if a != -2), bool(row[-1])


def to_cohort_record(v: Any, info: VcfInfo, n: int | None) -> CohortRecord:
    """Copy one cyvcf2 Variant with every sample's genotype (allele indices, -1 missing)."""
    try:
        fmt = v.FORMAT or []
        gt = None
        if "GT" in fmt:
            arr = v.genotype.array()  # (n_samples, ploidy + 1): alleles then the phased flag
            gt = np.array(arr[:, :-1], dtype=np.int16, copy=True)
            gt[gt < -1] = -1  # vector-end padding of lower-ploidy samples counts as missing
            if gt.size and int(gt.max()) > len(v.ALT):
                raise allele_error(info, n, int(gt.max()), len(v.ALT))
        filt = v.FILTER
        return CohortRecord(chrom=v.CHROM, pos=int(v.POS), end=max(int(v.end), int(v.POS)), ref=v.REF,
                            alts=tuple(v.ALT), filters=tuple(filt.split(";")) if filt else (), gt=gt)
    except VcfReadError:
        raise
    except Exception as exc:
        raise record_error(info, n, exc, where=f"{v.CHROM}:{v.POS}") from None


def check_end(v: Any, info: VcfInfo, n: int | None, pos: int) -> None:
    """htslib ignores an INFO END before POS (the record then spans its REF only): refuse it instead.

    Only symbolic records whose span did not grow are looked at, so ordinary records cost nothing.
    """
    try:
        stated = int(v.INFO.get("END"))  # a String when the header does not declare END
    except (TypeError, ValueError):
        return
    if stated < pos:
        raise end_error(info, n, pos, stated)


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


def _phase_set(v: Any, idx: int) -> int | None:
    """FORMAT/PS of sample ``idx``: ``None`` when missing; raises ValueError unless a non-negative integer.

    A header may declare PS as a String (or not at all: htslib then reads it as a String), so the whole
    text is read, not its first character.
    """
    arr = v.format("PS")
    if arr is None:
        return None
    x = arr[idx]
    if isinstance(x, str | bytes):
        text = (x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x)).strip()
        if text in ("", "."):
            return None
        if not (text.isascii() and text.isdigit()):
            raise ValueError(text)
        return int(text)
    value = float(x[0])
    if math.isnan(value) or value <= _INT_MISSING + 1:
        return None
    if value < 0 or not value.is_integer():
        raise ValueError(value)
    return int(value)
