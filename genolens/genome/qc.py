"""Quality figures a clinician must see before trusting anything read from a file.

Per panel, coverage and the match log live on :class:`~genolens.datamodel.PanelResult`; this module
summarises the file itself for one sample: call rate, Ti/Tv, het/hom-alt ratio and DP/GQ.

The reader (:meth:`~genolens.genome.vcf.VcfFile.read_sites_and_qc`) copies a few values of each examined
record into a :class:`QcSample` (numpy columns, no Python object per record), in the same pass as the
panel sites: through the index, windows spread over every chromosome (:func:`qc_windows`); without one,
every k-th record of the scan that finds the panel sites. :func:`file_qc` counts those columns with
array operations, the way ``bcftools stats -s`` counts per sample: heterozygous and homozygous-alternate
genotypes, and a transition or transversion for each genotype whose first carried ALT (the smallest ALT
index, so ``1/2`` counts ALT 1 only) is a single-base substitution. Unlike bcftools, a haploid ALT call
counts as homozygous-alternate, and records of every type count towards het/hom-alt (bcftools splits SNPs
and indels between its PSC and PSI tables and leaves MNPs out).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from genolens.datamodel import FileQC, PanelResult, QcSampling

SYMBOLIC_ALTS = frozenset({"<NON_REF>", "<*>", "*"})
QC_RECORDS = 1 << 17
"""Default cap on records examined for file QC (131,072; a whole genome is sampled, ~70,000 records of 4.5
million): Ti/Tv and het/hom-alt from that many calls have a relative standard error well under 1%, and each
examined record costs ~20 microseconds in Python."""
"""ALTs that name no variant allele (a gVCF's unobserved allele, a spanning deletion)."""
KIND_OTHER, KIND_VARIANT, KIND_BLOCK = 0, 1, 2
"""Record kinds in :attr:`QcSample.kind`: no variant ALT (``.``, ``*``), a variant, a gVCF reference block."""
QC_WINDOWS = 256
"""Windows spread over the genome when the index is used (fewer when the record cap is small)."""
_TRANSITIONS = ("AG", "GA", "CT", "TC")
_MIN_FOR_RATIO_WARNINGS = 1000
_MIN_PER_WINDOW = 500


@dataclass(frozen=True)
class QcSample:
    """The values file QC counts, one entry per examined record (copied out of the reader), and how the
    records were chosen.

    Genotypes are reduced to two allele indices ``a0``/``a1`` (-1 missing; a haploid call repeats its
    allele; a call of more than two alleles keeps its two smallest distinct alleles).
    """

    kind: npt.NDArray[np.int8]
    """(n,) :data:`KIND_VARIANT`, :data:`KIND_BLOCK` or :data:`KIND_OTHER` per record."""
    has_gt: npt.NDArray[np.bool_]
    """(n,) True when the record has a GT field."""
    a0: npt.NDArray[np.int32]
    """(n,) first allele index of the sample's genotype (see the class docstring); -1 missing."""
    a1: npt.NDArray[np.int32]
    """(n,) second allele index; -1 missing."""
    ref: npt.NDArray[np.str_]
    """(n,) REF."""
    alt0: npt.NDArray[np.str_]
    """(n,) the ALT that allele ``a0`` names; ``""`` for REF, missing or an index beyond ALT."""
    alt1: npt.NDArray[np.str_]
    """(n,) the ALT that allele ``a1`` names; ``""`` likewise."""
    dp: npt.NDArray[np.float64]
    """(n,) FORMAT/DP of the sample; NaN when absent or missing."""
    gq: npt.NDArray[np.float64]
    """(n,) FORMAT/GQ of the sample; NaN when absent or missing."""
    chromosomes: tuple[str, ...]
    """Normalised chromosomes the reader saw records on, in file order."""
    complete: bool
    """True when every record of the file was examined."""
    sampling: QcSampling
    """How the records were chosen (see :attr:`~genolens.datamodel.FileQC.sampling`)."""
    regions: tuple[str, ...] = ()
    """With ``"regions"``, the spans examined (see :attr:`~genolens.datamodel.FileQC.regions`)."""
    stride: int = 1
    """With ``"stride"``, every how many records one was examined."""
    unsorted: bool = False
    """True when the reader saw a record before its predecessor on the same chromosome."""


def empty_sample(sampling: QcSampling = "none", chromosomes: tuple[str, ...] = ()) -> QcSample:
    """A sample of no records (QC skipped, or a file with no records); ``chromosomes``: those the file has
    records on, when the read learnt them anyway."""
    ints, strs, floats = np.zeros(0, np.int32), np.zeros(0, np.str_), np.zeros(0, np.float64)
    return QcSample(np.zeros(0, np.int8), np.zeros(0, np.bool_), ints, ints, strs, strs, strs, floats, floats,
                    chromosomes, sampling == "all", sampling)


def qc_windows(contigs: Sequence[tuple[str, int | None]], *, records: int,
               windows: int = QC_WINDOWS) -> tuple[list[tuple[str, int, int | None]], int]:
    """Spread windows over the chromosomes, in proportion to their lengths, and cap the records per window.

    Parameters
    ----------
    contigs
        (name as the index knows it, length or ``None``) of every chromosome with records, in file order.
    records
        The most records to examine in all.
    windows
        How many windows to aim for (at most one per ``_MIN_PER_WINDOW`` records of ``records``).

    Returns
    -------
    tuple
        The windows as (name, start, end): 1-based, inclusive, the windows of one chromosome tiling it
        (the last one's ``end`` is ``None``: it reads to the chromosome's end, whatever its length); and
        the record cap per window. Every chromosome gets at least one window; a chromosome of unknown
        length gets one.
    """
    if not contigs:
        return [], 0
    aim = max(1, min(windows, records // _MIN_PER_WINDOW))
    total = sum(length for _, length in contigs if length) or 1
    out: list[tuple[str, int, int | None]] = []
    for name, length in contigs:
        n = max(1, round(aim * length / total)) if length else 1
        starts = [1 + (i * length) // n for i in range(n)] if length else [1]
        ends: list[int | None] = [s - 1 for s in starts[1:]] + [None]  # the last reads on past a wrong length
        out += [(name, s, e) for s, e in zip(starts, ends, strict=True)]
    return out, max(1, records // len(out))


def file_qc(sample: QcSample) -> FileQC:
    """Count the QC figures of one sample's examined records.

    Parameters
    ----------
    sample
        The examined records' values and how they were chosen (see :class:`QcSample`).
    """
    kind, a0, a1 = sample.kind, sample.a0, sample.a1
    variant = kind == KIND_VARIANT
    with_gt = variant & sample.has_gt
    called = with_gt & (a0 >= 0) & (a1 >= 0)
    carried = called & ((a0 > 0) | (a1 > 0))
    het = int(np.count_nonzero(carried & (a0 != a1)))
    hom_alt = int(np.count_nonzero(carried & (a0 == a1)))
    # the first carried ALT, as bcftools stats counts Ti/Tv per sample: the smaller non-zero allele index
    first_is_a0 = (a0 > 0) & ((a1 <= 0) | (a0 <= a1))
    alt = np.where(first_is_a0, sample.alt0, sample.alt1)
    snv, transition = _snv_kinds(sample.ref, alt)
    ti = int(np.count_nonzero(carried & snv & transition))
    tv = int(np.count_nonzero(carried & snv & ~transition))
    n_with_gt = int(np.count_nonzero(with_gt))
    qc = FileQC(
        records=len(kind),
        complete=sample.complete,
        variant_records=int(np.count_nonzero(variant)),
        reference_blocks=int(np.count_nonzero(kind == KIND_BLOCK)),
        call_rate=int(np.count_nonzero(called)) / n_with_gt if n_with_gt else None,
        ti_tv=ti / tv if tv else None,
        het_hom_alt=het / hom_alt if hom_alt else None,
        dp_median=_median(sample.dp[variant]),
        gq_median=_median(sample.gq[variant]),
        chromosomes=sample.chromosomes,
        warnings=(),
        sampling=sample.sampling,
        regions=sample.regions,
        stride=sample.stride,
    )
    return _with_warnings(qc, unsorted=sample.unsorted, snvs=ti + tv, genotyped=het + hom_alt,
                          has_gt=n_with_gt > 0)


def _snv_kinds(ref: npt.NDArray[np.str_], alt: npt.NDArray[np.str_]) -> tuple[npt.NDArray[np.bool_],
                                                                               npt.NDArray[np.bool_]]:
    """(is a single-base substitution, is a transition) per (REF, ALT) pair."""
    snv = (np.strings.str_len(ref) == 1) & (np.strings.str_len(alt) == 1) & (alt != "*")
    pair = np.strings.add(np.strings.upper(ref), np.strings.upper(alt))
    return snv, np.isin(pair, _TRANSITIONS)


def _median(values: npt.NDArray[np.float64]) -> float | None:
    present = values[~np.isnan(values)]
    return float(np.median(present)) if present.size else None


def _with_warnings(qc: FileQC, *, unsorted: bool, snvs: int, genotyped: int, has_gt: bool) -> FileQC:
    found: list[str] = []
    if qc.sampling == "none":
        return qc
    if qc.records == 0:
        found.append("The file has a header but no records: nothing could be read for this sample.")
    elif qc.variant_records and not has_gt:
        found.append("The file has no GT field: genotypes come from DS dosages where present.")
    if qc.call_rate is not None and qc.call_rate < 0.9:
        found.append(f"Low call rate: {qc.call_rate:.0%} of variant records have a genotype for this sample.")
    if qc.ti_tv is not None and snvs >= _MIN_FOR_RATIO_WARNINGS and not 1.8 <= qc.ti_tv <= 3.3:
        found.append(f"Ti/Tv {qc.ti_tv:.2f} is outside 1.8-3.3 (genome ~2.0-2.1, exome ~3.0): "
                     "many calls may be artefacts.")
    if qc.het_hom_alt is not None and genotyped >= _MIN_FOR_RATIO_WARNINGS and not 1.0 <= qc.het_hom_alt <= 3.0:
        found.append(f"Het/hom-alt ratio {qc.het_hom_alt:.2f} is outside 1.0-3.0: check for contamination "
                     "or the wrong sample.")
    if unsorted:
        found.append("Records are not sorted by position; the file was read in one pass.")
    if not qc.complete:
        found.append(sampling_words(qc))
    return FileQC(**{**qc.__dict__, "warnings": tuple(found)})


def sampling_words(qc: FileQC) -> str:
    """One sentence saying which records the QC figures describe."""
    chroms = _chrom_list(qc.chromosomes)
    if qc.sampling == "regions":
        return (f"File QC describes a sample of {qc.records:,} records from {len(qc.regions)} regions spread "
                f"over {len(qc.chromosomes)} chromosome(s) ({chroms}), read through the index; the figures "
                "estimate the whole file's.")
    if qc.sampling == "stride":
        return (f"File QC describes one record in every {qc.stride:,} of the whole file ({qc.records:,} records; "
                f"the file has records on {chroms}); the figures estimate the whole file's.")
    if qc.sampling == "none":
        return "File QC was skipped."
    return f"File QC describes {qc.records:,} records."


def _chrom_list(chroms: Sequence[str]) -> str:
    shown = ", ".join(chroms[:25])
    return shown + (f" and {len(chroms) - 25} more" if len(chroms) > 25 else "")


def panel_warnings(result: PanelResult, file_chromosomes: Sequence[str] = ()) -> tuple[str, ...]:
    """Plain-language warnings for one panel's coverage and match log.

    Parameters
    ----------
    result
        The panel matched against one sample.
    file_chromosomes
        Chromosomes the file has records on (from :func:`file_qc`); when given, absent sites on
        other chromosomes are explained as such.
    """
    found: list[str] = []
    n = len(result.sites)
    if n and result.coverage < 0.8:
        found.append(f"{result.title}: only {result.coverage:.0%} of {n} sites have a usable call; "
                     "predictions from this panel rest on imputed values.")
    if file_chromosomes:
        have = set(file_chromosomes)
        elsewhere = [s for s in result.sites if s.status == "absent" and s.chrom not in have]
        if elsewhere:
            chroms = ", ".join(sorted({s.chrom for s in elsewhere}, key=_chrom_order))
            found.append(f"{result.title}: {len(elsewhere)} site(s) lie on chromosomes this file has no "
                         f"records for ({chroms}); the file covers {', '.join(file_chromosomes[:8])} only.")
    counts: dict[str, int] = {}
    for s in result.sites:
        counts[s.status] = counts.get(s.status, 0) + 1
    for status, words in (("ref_mismatch", "show a different REF than the panel (wrong build or strand?)"),
                          ("filtered", "failed the caller's FILTER"), ("no_call", "have no genotype")):
        if counts.get(status):
            found.append(f"{result.title}: {counts[status]} site(s) {words}.")
    return tuple(found)


def _chrom_order(chrom: str) -> tuple[int, str]:
    return (int(chrom), "") if chrom.isdigit() else (100, chrom)
