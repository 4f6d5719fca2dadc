"""Genome-side records: builds, panels, VCF records, calls per site, features, the read patient."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np

Build = Literal["GRCh37", "GRCh38"]
BUILDS: tuple[Build, ...] = get_args(Build)

BuildChoice = Literal["auto", "GRCh37", "GRCh38"]
BUILD_CHOICES: tuple[BuildChoice, ...] = get_args(BuildChoice)

CallStatus = Literal["called", "reference_block", "absent", "no_call", "filtered", "ref_mismatch"]
CALL_STATUSES: tuple[CallStatus, ...] = get_args(CallStatus)
USABLE_STATUSES: frozenset[str] = frozenset({"called", "reference_block"})

AbsentPolicy = Literal["missing", "reference"]
ABSENT_POLICIES: tuple[AbsentPolicy, ...] = get_args(AbsentPolicy)

GenotypeOrigin = Literal["observed", "assumed_reference", "missing"]

QcSampling = Literal["all", "regions", "stride", "none"]
QC_SAMPLINGS: tuple[QcSampling, ...] = get_args(QcSampling)


@dataclass(frozen=True)
class Locus:
    """One panel variant on one build."""

    chrom: str
    """Normalised chromosome name (``"1"``, ``"X"``, ``"MT"``)."""
    pos: int
    """1-based position of the first REF base, as written in a VCF."""
    ref: str
    """Reference bases on the + strand; ``""`` when the facts do not say which allele is REF."""
    effect_allele: str
    """The allele whose dosage is the model input (+ strand, as written in a VCF)."""
    other_allele: str
    """The other allele of the pair (+ strand); may equal ``ref``."""


@dataclass(frozen=True)
class PanelVariant:
    """One variant a model reads, with its facts on both builds and its evidence."""

    id: str
    """Unique id within the panel: the rsID, or ``chrom:pos:other:effect`` (GRCh38) when none."""
    rsid: str
    """dbSNP rsID, or ``""`` when none is known."""
    gene: str
    """Gene or locus name (nearest gene for GWAS loci)."""
    grch38: Locus
    """Coordinates and alleles on GRCh38."""
    grch37: Locus
    """Coordinates and alleles on GRCh37."""
    evidence: str
    """One line a clinician can read: an odds ratio, an allele function or a pathogenicity."""
    log_or: float | None
    """Per-effect-allele log odds ratio; ``None`` when the evidence is not an odds ratio."""
    function: str
    """Allele function (CPIC/PharmVar wording) or pathogenicity; ``""`` for GWAS SNPs."""
    activity_value: float | None
    """CPIC activity value of the effect allele; ``None`` when not defined."""
    allele_name: str
    """Star-allele or legacy name (``"*2A"``, ``"185delAG"``); ``""`` when none."""
    eaf: float | None
    """Effect-allele frequency in the reference population (European unless stated); ``None`` if unknown."""
    source: str
    """Where the facts come from (publication, PGS ID, repository at commit)."""

    def locus(self, build: Build) -> Locus:
        """Return the coordinates and alleles on ``build``."""
        return self.grch38 if build == "GRCh38" else self.grch37


@dataclass(frozen=True)
class Panel:
    """A named set of variants read from ``data/panels/<name>.tsv``."""

    name: str
    """File stem, e.g. ``"pharmacogenomics"``."""
    title: str
    """Human-readable title."""
    variants: tuple[PanelVariant, ...]
    """The variants, in file order; ids are unique."""
    sha256: str
    """SHA-256 of the TSV bytes (every column: REF facts, evidence and sources included)."""

    @property
    def inputs_sha256(self) -> str:
        """SHA-256 of what a model reads from the panel: each variant's id, chromosome, position, effect and
        other allele on both builds, function and activity value, in order. REF facts, evidence, sources and
        frequencies are left out, so a REF fact added to the panel does not void the bundles trained on it (the
        inputs they read are the same); any change to a variant, its position or its alleles does."""
        rows = [[v.id, *(f"{x.chrom}:{x.pos}:{x.effect_allele}:{x.other_allele}" for x in (v.grch38, v.grch37)),
                 v.function, "" if v.activity_value is None else repr(v.activity_value)] for v in self.variants]
        return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()

    def pinned_by(self, inputs_sha256: str | None, sha256: str | None) -> bool:
        """Whether a pin recorded with a model or a simulated truth fits this panel: its inputs hash when the pin
        has one, else (pins written before that hash) the file's bytes."""
        return self.inputs_sha256 == inputs_sha256 if inputs_sha256 is not None else self.sha256 == sha256


@dataclass(frozen=True)
class Contig:
    """One ``##contig`` header line."""

    name: str
    """Name as written in the file (``"chr1"`` or ``"1"``)."""
    length: int | None
    """Declared length in bases; ``None`` when the header gives none."""
    assembly: str | None = None
    """The line's ``assembly=`` value as written (``"GRCh38.p14"``, ``"b37"``); ``None`` when absent."""


@dataclass(frozen=True)
class VcfInfo:
    """What the header of a VCF/BCF says, read before any record."""

    path: str
    """Local path that was opened (a private temp file for uploads)."""
    kind: Literal["vcf", "vcf.gz", "bcf"]
    """Container: plain text, gzip/bgzip-compressed text, or BCF."""
    compression: Literal["none", "bgzf", "gzip"]
    """``bgzf`` allows an index; plain ``gzip`` must be scanned."""
    index: str | None
    """Path of the tabix/CSI index found beside the file; ``None`` when there is none."""
    samples: tuple[str, ...]
    """Sample names in column order; empty for a sites-only file."""
    contigs: tuple[Contig, ...]
    """``##contig`` lines in header order; may be empty."""
    hints: tuple[str, ...]
    """``##reference=`` / ``##assembly=`` header values, verbatim."""
    fileformat: str
    """The ``##fileformat`` value, e.g. ``"VCFv4.2"``; ``""`` when absent."""


@dataclass(frozen=True)
class RecordSite:
    """Where a VCF record sits and what it says about the reference, copied out of cyvcf2's C memory."""

    chrom: str
    """Chromosome as written in the file (not normalised)."""
    pos: int
    """1-based POS."""
    end: int
    """1-based last reference base covered (INFO/END for gVCF blocks, else POS+len(REF)-1)."""
    ref: str
    """REF bases."""
    alts: tuple[str, ...]
    """ALT alleles as written, symbolic ones included (``"<NON_REF>"``, ``"<*>"``); ``()`` for ``"."``."""
    filters: tuple[str, ...]
    """Failed FILTER names; ``()`` for PASS or ``"."``."""

    @property
    def is_reference_block(self) -> bool:
        """True for a gVCF reference block: only symbolic ALTs (``<NON_REF>``/``<*>``)."""
        return all(a in ("<NON_REF>", "<*>") for a in self.alts) and len(self.alts) > 0


@dataclass(frozen=True)
class Record(RecordSite):
    """One VCF record reduced to one sample."""

    gt: tuple[int, ...]
    """Allele indices of the sample's genotype (0 = REF); -1 for a missing allele; ``()`` when no GT."""
    phased: bool
    """True when every separator of GT is ``|`` and FORMAT/PS, when given, is readable (a PS that is not a
    non-negative integer makes the genotype unphased: cis/trans is never read from a phase set that cannot be
    told apart from the others)."""
    gt_text: str | None
    """GT as written in the VCF (``"0/1"``, ``"1|0"``, ``"./."``); ``None`` when the record has no GT."""
    ds: float | None
    """FORMAT/DS alternate-allele dosage; ``None`` when absent or missing."""
    gq: int | None
    """FORMAT/GQ; ``None`` when absent or missing."""
    dp: int | None
    """FORMAT/DP (or the sum of AD); ``None`` when absent or missing."""
    ps: int | None
    """FORMAT/PS, the phase set of a phased genotype (non-negative; by convention the POS of the set's first
    variant); ``None`` when GT is unphased (the VCF spec ignores PS there), or PS is absent or ``.`` (every
    phased genotype without PS is in one set)."""


@dataclass(frozen=True)
class CohortRecord(RecordSite):
    """One VCF record with every sample's genotype (cohort files)."""

    gt: np.ndarray | None = field(repr=False)
    """int16, shape (n_samples, ploidy): allele indices, -1 missing; ``None`` when the record has no GT."""


@dataclass(frozen=True)
class SiteCall:
    """How one panel variant was found in one sample, and its effect-allele dosage."""

    variant_id: str
    """``PanelVariant.id``."""
    rsid: str
    """``PanelVariant.rsid`` (``""`` when none)."""
    gene: str
    """``PanelVariant.gene``."""
    chrom: str
    """Normalised chromosome on the file's build."""
    pos: int
    """Position on the file's build."""
    status: CallStatus
    """``called``, ``reference_block``, ``absent``, ``no_call``, ``filtered`` or ``ref_mismatch``."""
    genotype: str | None
    """GT as written in the VCF (for a block: the block's GT); ``None`` when absent or DS-only."""
    alleles: tuple[str, ...] | None
    """Allele strings of the genotype, normalised; ``None`` when not called."""
    dosage: float | None
    """Effect-allele count (0..ploidy) or DS-derived dosage; ``None`` when not usable."""
    from_ds: bool
    """True when the dosage came from FORMAT/DS because GT was absent."""
    gq: int | None
    """Genotype quality of the call or of the covering block; ``None`` when not given."""
    dp: int | None
    """Read depth; ``None`` when not given."""
    phase_set: int | None
    """``Record.ps``: the FORMAT/PS phase set of a phased genotype; ``None`` when unphased, not given or ``.``.
    Phased genotypes are in known cis/trans relation only within one phase set."""
    note: str
    """Why this status, in words (the match log line)."""


@dataclass(frozen=True)
class Features:
    """Model inputs for one panel: effect-allele dosages with an explicit missing rule."""

    names: tuple[str, ...]
    """Variant ids, one per input, in panel order."""
    values: np.ndarray = field(repr=False)
    """float64, shape (n,): dosage; NaN where missing (never silently 0)."""
    missing: np.ndarray = field(repr=False)
    """bool, shape (n,): True where no usable genotype was observed and none was assumed."""
    origin: tuple[GenotypeOrigin, ...]
    """Per input: ``observed``, ``assumed_reference`` (absent + policy ``reference``) or ``missing``."""
    policy: AbsentPolicy
    """The absent-site policy that produced these values."""


@dataclass(frozen=True)
class BuildCall:
    """The genome build of a file and why."""

    build: Build
    """The decided build."""
    evidence: tuple[str, ...]
    """Human-readable lines, strongest first (contig lengths, header hints, REF bases)."""
    source: Literal["contigs", "assembly", "header", "ref_bases", "reference", "declared"]
    """Which evidence decided: ``##contig`` lengths, ``##contig`` ``assembly=`` values, ``##reference``/
    ``##assembly`` lines, REF bases at panel sites, the user's reference FASTA, or ``declared`` (the user
    said so and nothing contradicted it)."""
    ref_tallies: tuple[RefTally, ...] = ()
    """REF bases the file shows at panel sites, compared with each build's REF facts (``()``: not compared)."""


@dataclass(frozen=True)
class RefTally:
    """How many panel sites show one build's REF base at that build's coordinates, and how many another base."""

    build: Build
    """The build whose coordinates and REF facts were compared."""
    agree: int
    """Sites where the file's REF starts with the build's REF base."""
    disagree: int
    """Sites where the file has a record at the position with another first REF base."""


@dataclass(frozen=True)
class PanelResult:
    """One panel matched against one sample."""

    panel: str
    """Panel name."""
    title: str
    """Panel title."""
    sites: tuple[SiteCall, ...]
    """Match log: one call per panel variant, in panel order."""
    features: Features
    """Encoded model inputs under the chosen absent policy."""

    @property
    def coverage(self) -> float:
        """Share of sites with a usable call (``called`` or ``reference_block`` with a dosage), 0..1."""
        if not self.sites:
            return 0.0
        usable = sum(s.status in USABLE_STATUSES and s.dosage is not None for s in self.sites)
        return usable / len(self.sites)


@dataclass(frozen=True)
class FileQC:
    """Whole-file quality summary for one sample."""

    records: int
    """Records examined (variant records and reference blocks)."""
    complete: bool
    """True when every record of the file was examined; False when the figures rest on a sample
    (see :attr:`sampling`)."""
    variant_records: int
    """Records with at least one non-symbolic ALT."""
    reference_blocks: int
    """gVCF reference-block records."""
    call_rate: float | None
    """Share of variant records with a non-missing GT for the sample; ``None`` without variant records."""
    ti_tv: float | None
    """Transitions / transversions over biallelic SNVs the sample carries; ``None`` when no transversion."""
    het_hom_alt: float | None
    """Heterozygous / homozygous-alternate calls; ``None`` when no hom-alt call."""
    dp_median: float | None
    """Median FORMAT/DP over variant records where present; ``None`` when never given."""
    gq_median: float | None
    """Median FORMAT/GQ over variant records where present; ``None`` when never given."""
    chromosomes: tuple[str, ...]
    """Normalised chromosomes the file has records on, in file order: every chromosome of the file
    when it was scanned (``"all"``, ``"stride"``), those with records in the sampled regions when it
    was read through its index (``"regions"``); ``()`` when none was examined."""
    warnings: tuple[str, ...]
    """Plain-language findings a clinician must see (low call rate, odd Ti/Tv, unsorted, what was
    sampled, ...)."""
    sampling: QcSampling = "all"
    """How the examined records were chosen: ``"all"`` every record of the file; ``"regions"``
    windows spread over every chromosome the index has records on (windows per chromosome in
    proportion to its length, the first records from each window's start, up to a per-window cap);
    ``"stride"`` every :attr:`stride`-th record of the whole file (no index); ``"none"`` QC skipped."""
    regions: tuple[str, ...] = ()
    """With ``"regions"``: the spans examined, ``chrom:first-last`` in the file's own spelling, 1-based
    and inclusive (the POS of the first and last record examined in each window); exactly the records
    whose POS lies in these spans were examined (``bcftools view -t``/``-R --regions-overlap pos``
    selects the same records). ``()`` otherwise."""
    stride: int = 1
    """With ``"stride"``: records 1, 1 + stride, 1 + 2 * stride, ... of the file were examined (a power
    of two, chosen so that at most the record cap were); 1 otherwise."""


@dataclass(frozen=True)
class PatientGenome:
    """Everything the genome layer learnt about one sample of one file."""

    source_name: str
    """File name shown to the user (not a server path)."""
    sha256: str
    """SHA-256 of the input file bytes."""
    info: VcfInfo
    """Header summary."""
    sample: str
    """The chosen sample."""
    build: BuildCall
    """Decided build and evidence."""
    absent_policy: AbsentPolicy
    """How sites absent from the file were treated."""
    panels: tuple[PanelResult, ...]
    """One result per panel, in panel-name order."""
    qc: FileQC
    """Whole-file QC for the sample."""
    read_mode: str
    """How records were read, in words (``"region queries on index"``, ``"single scan"``)."""
    reference: ReferenceCheck | None = None
    """What the user's reference FASTA said (``None``: none given; the shipped REF facts serve)."""
    ancestry: AncestryEstimate | None = None
    """Continental ancestry from the 1000 Genomes markers (``None``: not asked for)."""


AncestryStatus = Literal["assigned", "uncertain", "unusual", "not_estimated"]


@dataclass(frozen=True)
class AncestryEstimate:
    """The sample's continental ancestry, from its genotypes at ancestry-informative 1000 Genomes markers."""

    status: AncestryStatus
    """``assigned`` (one superpopulation fits clearly), ``uncertain`` (two or more fit about as well),
    ``unusual`` (the best fits worse than almost every member of it would) or ``not_estimated``."""
    group: str | None
    """The best-fitting superpopulation (``AFR``, ``AMR``, ``EAS``, ``EUR``, ``SAS``); ``None`` when not estimated."""
    posterior: tuple[tuple[str, float], ...]
    """Posterior probability of each superpopulation (flat prior), best first; empty when not estimated."""
    markers_used: int
    """Markers whose genotype entered the estimate (observed or assumed reference)."""
    markers_assumed_reference: int
    """Of those, markers absent from a declared whole-genome call set and taken as reference."""
    markers_considered: int
    """Markers on the chromosomes the file has records on (the denominator of the coverage check)."""
    fit_z: float | None
    """How well the best superpopulation fits: (log-likelihood - its expectation) / SD under that group."""
    words: str
    """One sentence for the user: the result, or why there is none and what to do."""


@dataclass(frozen=True)
class RefMismatch:
    """A panel site where the file's REF differs from the reference FASTA's bases."""

    chrom: str
    """Normalised chromosome."""
    pos: int
    """1-based position on the file's build."""
    file_ref: str
    """REF as the file writes it."""
    fasta_ref: str
    """The FASTA's bases at the same position and length."""
    variants: tuple[str, ...]
    """Ids of the panel variants at the site."""


@dataclass(frozen=True)
class ReferenceCheck:
    """The user's reference FASTA, compared with the file at every panel site."""

    name: str
    """The FASTA's file name (not its folder)."""
    build: Build
    """The build the FASTA is on."""
    evidence: str
    """How the FASTA's build was told (sequence lengths or its bases at panel sites)."""
    compared: int
    """Panel sites where the file has a record and the FASTA a base: REFs compared."""
    mismatches: tuple[RefMismatch, ...]
    """Of those, the sites where the file's REF is not the FASTA's bases."""
    filled: int
    """Panel sites without a shipped REF fact whose REF the FASTA gave (used by the whole-genome policy)."""
    left_aligned: int = 0
    """Indel records of the file moved to their left-aligned position against the FASTA before matching."""
    path: str = ""
    """The FASTA's path as given (for reading it again, e.g. in a cohort job); never written into a report."""
