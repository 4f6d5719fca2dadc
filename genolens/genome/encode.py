"""From records at panel sites to calls with a status, and from calls to model features.

Each panel variant gets exactly one :class:`~genolens.datamodel.SiteCall` whose status says how
it was obtained (``called``, ``reference_block``, ``absent``, ``no_call``, ``filtered``,
``ref_mismatch``). Alleles are matched on their sequence, not on their index: multi-allelic
records match on the ALT allele, indels are trimmed to a common form before comparison
(UGT1A1 *28 is written CAT>CATAT and C>CAT), and the effect allele may be REF.

Nothing missing becomes hom-ref silently: sites absent from the file stay missing unless the
caller passes ``absent="reference"`` (a whole-genome call set), and even then each such input
is marked ``assumed_reference``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

import numpy as np

from genolens.datamodel import (
    USABLE_STATUSES,
    AbsentPolicy,
    Build,
    CallStatus,
    CohortRecord,
    Features,
    GenotypeOrigin,
    InputOrigin,
    Locus,
    Panel,
    PanelVariant,
    Record,
    SiteCall,
)
from genolens.genome.join_records import join_at_position

_SYMBOLIC = ("<NON_REF>", "<*>", "*")
_R = TypeVar("_R", Record, CohortRecord)


def replace(call: SiteCall, **changes: object) -> SiteCall:
    """``dataclasses.replace`` for SiteCall without its per-call field introspection (hot path:
    every panel site of every read goes through here a couple of times)."""
    return SiteCall(**{**call.__dict__, **changes})


def trim_alleles(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Return the shortest equivalent ``(pos, ref, alt)``: common suffix, then prefix removed.

    Trimming the suffix first left-aligns an indel within the bases both alleles show, so
    ``CAT>CATAT`` and ``C>CAT`` at the same POS both become ``C>CAT``. One anchor base is kept.

    Examples
    --------
    >>> trim_alleles(10, "CAT", "CATAT")
    (10, 'C', 'CAT')
    >>> trim_alleles(10, "CT", "CA")
    (11, 'T', 'A')
    """
    ref, alt = ref.upper(), alt.upper()
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


def call_site(variant: PanelVariant, build: Build, records: Sequence[Record]) -> SiteCall:
    """Decide the status and effect-allele dosage of one panel variant from its records.

    Parameters
    ----------
    variant
        The panel variant.
    build
        The file's build; picks the variant's coordinates and alleles.
    records
        Records whose POS is the site, and gVCF reference blocks covering it (may be empty).
    """
    locus = variant.locus(build)
    base = SiteCall(variant_id=variant.id, rsid=variant.rsid, gene=variant.gene, chrom=locus.chrom,
                    pos=locus.pos, status="absent", genotype=None, alleles=None, dosage=None, from_ds=False,
                    gq=None, dp=None, phase_set=None, note="no record at this position in the file")
    at_pos, problems = join_at_position([r for r in records if r.pos == locus.pos and not r.is_reference_block])
    blocks = [r for r in records if r.is_reference_block]
    if at_pos:
        best = _best_record(locus, at_pos)
        why = problems.get(next(i for i, r in enumerate(at_pos) if r is best))
        if why is not None:
            return replace(base, status="no_call", genotype=best.gt_text, gq=best.gq, dp=best.dp,
                           note=f"genotypes {best.gt_text}: {why}")
        return _call_from_record(locus, best, base)
    if blocks:
        return _call_from_block(locus, blocks[0], base)
    return base


def _allele_map(locus: Locus, rec: Record | CohortRecord) -> list[str] | None:
    """Label each allele index of ``rec`` ``effect``, ``other`` or ``neither``; None on REF mismatch."""
    effect, other, ref = locus.effect_allele.upper(), locus.other_allele.upper(), locus.ref.upper()
    rec_ref = rec.ref.upper()
    labels: list[str] = []
    if ref:
        if not (rec_ref.startswith(ref) or ref.startswith(rec_ref)):
            return None
        panel_alt = effect if effect != ref else other
        want = trim_alleles(locus.pos, ref, panel_alt)
        labels.append("effect" if effect == ref else "other")
        alt_label = "other" if effect == ref else "effect"
        for alt in rec.alts:
            same = alt not in _SYMBOLIC and trim_alleles(rec.pos, rec_ref, alt.upper()) == want
            labels.append(alt_label if same else "neither")
        return labels
    # REF not recorded by the panel (GWAS SNPs): the file's REF must be one of the pair.
    if rec_ref not in (effect, other):
        return None
    for allele in (rec_ref, *(a.upper() for a in rec.alts)):
        labels.append("effect" if allele == effect else "other" if allele == other else "neither")
    return labels


def _best_record(locus: Locus, records: Sequence[_R]) -> _R:
    """Among records at one POS, prefer one carrying the panel's alleles, then one whose REF fits."""
    def score(r: _R) -> int:
        labels = _allele_map(locus, r)
        if labels is None:
            return 0
        return 2 if any(lab != "neither" for lab in labels[1:]) else 1
    return max(records, key=score)


def _call_from_record(locus: Locus, rec: Record, base: SiteCall) -> SiteCall:
    labels = _allele_map(locus, rec)
    shown = f"{rec.ref}>{','.join(rec.alts) or '.'}"
    base = replace(base, genotype=rec.gt_text, gq=rec.gq, dp=rec.dp, phase_set=rec.ps)
    if labels is None:
        expected = locus.ref or f"{locus.other_allele} or {locus.effect_allele}"
        return replace(base, status="ref_mismatch", alleles=None, dosage=None, from_ds=False,
                        note=f"file REF {rec.ref} differs from the panel's {expected} (record {shown})")
    if rec.filters:
        return replace(base, status="filtered", alleles=_allele_strings(rec), dosage=None, from_ds=False,
                        note=f"FILTER={';'.join(rec.filters)} (not PASS); call not used ({shown})")
    if rec.gt_text is None:
        return _call_from_ds(locus, rec, labels, base, shown)
    if not rec.gt or any(a < 0 for a in rec.gt):
        return replace(base, status="no_call", alleles=None, dosage=None, from_ds=False,
                        note=f"genotype {rec.gt_text} is missing in the file ({shown})")
    if any(a >= len(labels) for a in rec.gt):
        return replace(base, status="no_call", alleles=None, dosage=None, from_ds=False,
                        note=f"genotype {rec.gt_text} names an allele the record does not have ({shown})")
    if all(a == 0 for a in rec.gt) and (rec.gq == 0 or rec.dp == 0):
        return replace(base, status="no_call", alleles=None, dosage=None, from_ds=False,
                        note=f"reference call {rec.gt_text} with GQ {rec.gq}, DP {rec.dp}: no read supports it "
                             f"({NO_DATA_POLICY}) ({shown})")
    dosage = float(_effect_counts(labels, np.array([rec.gt]))[0])  # labels, FILTER and alleles checked above
    notes = [f"{shown} GT {rec.gt_text}"]
    if any(labels[a] == "neither" for a in rec.gt):
        others = sorted({_allele_strings(rec)[i] for i, a in enumerate(rec.gt) if labels[a] == "neither"})
        notes.append(f"carries {', '.join(others)}, not a panel allele (counted as non-effect)")
    if len(rec.gt) == 1:
        notes.append("haploid call")
    if not locus.ref and _palindromic(locus):
        notes.append("palindromic SNP matched on the + strand as published")
    return replace(base, status="called", alleles=_allele_strings(rec), dosage=dosage, from_ds=False,
                    note="; ".join(notes))


def _call_from_ds(locus: Locus, rec: Record, labels: list[str], base: SiteCall,
                  shown: str) -> SiteCall:
    base = replace(base, gq=rec.gq, dp=rec.dp)
    if rec.ds is None:
        return replace(base, status="no_call", dosage=None, from_ds=False,
                        note=f"neither GT nor DS given ({shown})")
    if len(labels) != 2 or "neither" in labels:
        return replace(base, status="no_call", dosage=None, from_ds=False,
                        note=f"DS {rec.ds:g} is ambiguous for a multi-allelic record ({shown})")
    dosage = rec.ds if labels[1] == "effect" else 2.0 - rec.ds
    return replace(base, status="called", dosage=float(dosage), from_ds=True,
                    note=f"dosage from FORMAT/DS={rec.ds:g} (no GT) ({shown})")


NO_DATA_POLICY = ("a reference call (gVCF block or hom-ref genotype) with GQ 0 or DP 0 is a no-call, as GATK "
                  "GenotypeGVCFs makes GQ0 hom-refs no-calls, broadinstitute/gatk PR #8741")
"""Policy: a reference call nothing supports reads as missing, never as the reference genotype. Only reference
calls: a call carrying an ALT allele is kept whatever its GQ (it is what the caller saw; its FILTER decides)."""


def _call_from_block(locus: Locus, block: Record, base: SiteCall) -> SiteCall:
    span = f"gVCF reference block {block.chrom}:{block.pos}-{block.end}"
    base = replace(base, genotype=block.gt_text, gq=block.gq, dp=block.dp, phase_set=block.ps)
    if block.filters:
        return replace(base, status="filtered", alleles=None, dosage=None,
                        note=f"{span} FILTER={';'.join(block.filters)} (not PASS)")
    if not block.gt or any(a != 0 for a in block.gt):
        return replace(base, status="no_call", alleles=None, dosage=None,
                        note=f"{span} with genotype {block.gt_text} (not a reference call)")
    if block.gq == 0 or block.dp == 0:
        return replace(base, status="no_call", alleles=None, dosage=None,
                        note=f"{span} with GQ {block.gq}, DP {block.dp}: no read supports the reference call "
                             f"({NO_DATA_POLICY})")
    ref = locus.ref.upper() or (block.ref.upper() if block.pos == locus.pos else "")
    if not ref:
        return replace(base, status="reference_block", alleles=None, dosage=None,
                        note=f"{span} (GQ {block.gq}); the panel does not record which allele is the "
                             "reference here, so no dosage can be derived")
    ploidy = len(block.gt)
    dosage = float(block_dosages(locus, block, np.array([block.gt]))[0])
    return replace(base, status="reference_block", alleles=(ref,) * ploidy, dosage=dosage,
                    note=f"{span} (GQ {block.gq}) covers the site: reference {ref} on every allele")


def _allele_strings(rec: Record) -> tuple[str, ...]:
    alleles = (rec.ref, *rec.alts)
    return tuple(alleles[a] if 0 <= a < len(alleles) else "." for a in rec.gt)


def _palindromic(locus: Locus) -> bool:
    return {locus.effect_allele.upper(), locus.other_allele.upper()} in ({"A", "T"}, {"C", "G"})


def call_panel(panel: Panel, build: Build, records: Mapping[tuple[str, int], Sequence[Record]]) -> tuple[
        SiteCall, ...]:
    """Call every variant of ``panel`` from records keyed by normalised (chrom, pos)."""
    out = []
    for v in panel.variants:
        locus = v.locus(build)
        out.append(call_site(v, build, records.get((locus.chrom, locus.pos), ())))
    return tuple(out)


def encode(sites: Sequence[SiteCall], panel: Panel, build: Build, *, absent: AbsentPolicy) -> Features:
    """Turn calls into model inputs under an explicit policy for absent sites.

    Parameters
    ----------
    sites
        One call per panel variant, in panel order.
    panel
        The panel the calls belong to.
    build
        The file's build (decides which allele is reference).
    absent
        ``"missing"``: a site absent from the file is missing (NaN). ``"reference"``: the user
        confirms the file is a whole-genome call set, so an absent site is taken as hom-ref and
        marked ``assumed_reference``. No-calls, filtered calls and REF mismatches stay missing
        under both policies.
    """
    values = np.full(len(sites), np.nan, dtype=np.float64)
    origin: list[GenotypeOrigin] = []
    for i, (s, v) in enumerate(zip(sites, panel.variants, strict=True)):
        locus = v.locus(build)
        if s.status in USABLE_STATUSES and s.dosage is not None:
            values[i] = s.dosage
            origin.append("observed")
        elif s.status == "absent" and absent == "reference" and locus.ref:
            values[i] = 2.0 if locus.ref.upper() == locus.effect_allele.upper() else 0.0
            origin.append("assumed_reference")
        else:
            origin.append("missing")
    return Features(
        names=tuple(v.id for v in panel.variants),
        values=values,
        missing=np.isnan(values),
        origin=tuple(origin),
        policy=absent,
    )


def effect_dosages(locus: Locus, rec: Record | CohortRecord, gt: np.ndarray) -> np.ndarray:
    """Effect-allele count per genotype row of a record at the site: the one allele count of GenoLens.

    Patients (:func:`call_site`) and cohorts (:func:`dosage_matrix`, what training reads) both count here.

    Parameters
    ----------
    locus
        The panel variant's coordinates and alleles in the file's build.
    rec
        The record at the site (ALT-aware matching, indels trimmed, effect may be REF).
    gt
        int, shape (n, ploidy): allele indices, -1 missing.

    Returns
    -------
    numpy.ndarray
        float64, shape (n,): effect-allele count; NaN for a REF mismatch, a filtered record, a missing
        allele or an allele index the record does not have.
    """
    labels = _allele_map(locus, rec)
    if labels is None or rec.filters:
        return np.full(len(gt), np.nan)
    return _effect_counts(labels, gt)


def _effect_counts(labels: Sequence[str], gt: np.ndarray) -> np.ndarray:
    """Count ``effect`` labels per genotype row (n, ploidy); NaN for a missing or out-of-range allele."""
    is_effect = np.array([lab == "effect" for lab in labels] + [False], dtype=np.float64)
    gt = np.asarray(gt, dtype=np.int64).reshape(len(gt), -1)  # (n, ploidy)
    bad = (gt < 0).any(axis=1) | (gt >= len(labels)).any(axis=1) | (gt.shape[1] == 0)
    counts = is_effect[np.clip(gt, 0, len(labels))].sum(axis=1)
    return np.where(bad, np.nan, counts)


def block_dosages(locus: Locus, block: Record | CohortRecord, gt: np.ndarray) -> np.ndarray:
    """Effect-allele count per genotype row of a gVCF reference block covering the site.

    Returns
    -------
    numpy.ndarray
        float64, shape (n,): ploidy when the reference base is the effect allele, else 0; NaN for a
        filtered block, a genotype that is not all-reference, or a site whose reference base is unknown
        (the panel does not record it and the block does not start at the site).
    """
    ref = locus.ref.upper() or (block.ref.upper() if block.pos == locus.pos else "")
    gt = np.asarray(gt, dtype=np.int64).reshape(len(gt), -1)  # (n, ploidy)
    if block.filters or not ref or gt.shape[1] == 0:
        return np.full(len(gt), np.nan)
    value = float(gt.shape[1]) if ref == locus.effect_allele.upper() else 0.0
    return np.where((gt == 0).all(axis=1), value, np.nan)


def dosage_matrix(
    panel: Panel, build: Build, records: Mapping[tuple[str, int], Sequence[CohortRecord]], n_samples: int
) -> np.ndarray:
    """Effect-allele dosages of every sample at every panel variant (cohort files).

    The same joining of records at one position (:func:`~genolens.genome.join_records.join_at_position`), record
    choice (:func:`_best_record`) and allele count (:func:`effect_dosages`,
    :func:`block_dosages`) as :func:`call_site`, over all samples at once. A site absent from the file,
    a REF mismatch, a filtered record or a missing genotype gives NaN; nothing is filled in here.
    Cohort records carry no FORMAT/DS, so a record without GT gives NaN (a patient's DS is read).

    Returns
    -------
    numpy.ndarray
        float64, shape (n_samples, n_variants), in panel order; NaN where missing.
    """
    out = np.full((n_samples, len(panel.variants)), np.nan, dtype=np.float64)
    for j, v in enumerate(panel.variants):
        locus = v.locus(build)
        found = records.get((locus.chrom, locus.pos), ())
        recs, _ = join_at_position([r for r in found if r.pos == locus.pos and not r.is_reference_block])
        recs = [r for r in recs if r.gt is not None]
        blocks = [r for r in found if r.is_reference_block]
        if recs:
            rec = _best_record(locus, recs)
            out[:, j] = effect_dosages(locus, rec, rec.gt)  # type: ignore[arg-type]  # gt checked above
        elif blocks and blocks[0].gt is not None and not any(
                r.pos == locus.pos and not r.is_reference_block for r in found):
            out[:, j] = block_dosages(locus, blocks[0], blocks[0].gt)
    return out


STATUS_WORDS: Mapping[CallStatus, str] = {
    "called": "called in the file",
    "reference_block": "covered by a gVCF reference block",
    "absent": "not in the file",
    "no_call": "in the file without a genotype",
    "filtered": "in the file but failed its FILTER",
    "ref_mismatch": "in the file with a different REF",
}

ORIGIN_WORDS: Mapping[InputOrigin, str] = {
    "observed": "called",
    "assumed_reference": "absent from the file, assumed reference",
    "missing": "missing, population mean used",
    "defaulted": "not given, a stated reference value used",
}
"""How a model input was obtained, in words (ledger notes, the patient page, the report)."""

ABSENT_WORDS: Mapping[str, str] = {
    "reference": "counted as homozygous reference (whole-genome call set)",
    "missing": "left missing (never assumed reference)",
}
"""What the absent-site policy did, in words (report header and settings)."""
