"""The data model of GenoLens, written down once.

Every type is a frozen dataclass. The docstring under each field gives its shape,
units and missing-value rule. Chromosome names are always normalised (``"1"``..``"22"``,
``"X"``, ``"Y"``, ``"MT"``; no ``chr`` prefix) and positions are 1-based, as in a VCF.
"""

from __future__ import annotations

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

Treatment = Literal["observed", "assumed_reference", "missing"]


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
    """SHA-256 of the TSV bytes: the panel hash that bundles check against."""


@dataclass(frozen=True)
class Contig:
    """One ``##contig`` header line."""

    name: str
    """Name as written in the file (``"chr1"`` or ``"1"``)."""
    length: int | None
    """Declared length in bases; ``None`` when the header gives none."""


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
class Record:
    """One VCF record reduced to one sample, copied out of cyvcf2's C memory."""

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
    gt: tuple[int, ...]
    """Allele indices of the sample's genotype (0 = REF); -1 for a missing allele; ``()`` when no GT."""
    phased: bool
    """True when every separator of GT is ``|``."""
    gt_text: str | None
    """GT as written in the VCF (``"0/1"``, ``"1|0"``, ``"./."``); ``None`` when the record has no GT."""
    ds: float | None
    """FORMAT/DS alternate-allele dosage; ``None`` when absent or missing."""
    gq: int | None
    """FORMAT/GQ; ``None`` when absent or missing."""
    dp: int | None
    """FORMAT/DP (or the sum of AD); ``None`` when absent or missing."""

    @property
    def is_reference_block(self) -> bool:
        """True for a gVCF reference block: only symbolic ALTs (``<NON_REF>``/``<*>``)."""
        return all(a in ("<NON_REF>", "<*>") for a in self.alts) and len(self.alts) > 0


@dataclass(frozen=True)
class CohortRecord:
    """One VCF record with every sample's genotype (cohort files), copied out of cyvcf2."""

    chrom: str
    """Chromosome as written in the file."""
    pos: int
    """1-based POS."""
    end: int
    """1-based last reference base covered."""
    ref: str
    """REF bases."""
    alts: tuple[str, ...]
    """ALT alleles as written; ``()`` for ``"."``."""
    filters: tuple[str, ...]
    """Failed FILTER names; ``()`` for PASS or ``"."``."""
    gt: np.ndarray | None = field(repr=False)
    """int16, shape (n_samples, ploidy): allele indices, -1 missing; ``None`` when the record has no GT."""

    @property
    def is_reference_block(self) -> bool:
        """True for a gVCF reference block: only symbolic ALTs."""
        return all(a in ("<NON_REF>", "<*>") for a in self.alts) and len(self.alts) > 0


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
    treatment: tuple[Treatment, ...]
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
    source: Literal["contigs", "header", "ref_bases", "declared"]
    """Which evidence decided (``declared``: the user said so and nothing contradicted it)."""


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
    """False when examination stopped at the record cap; figures then describe the first ``records``."""
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
    """Normalised chromosomes of the examined records, in file order (``()`` when none examined)."""
    warnings: tuple[str, ...]
    """Plain-language findings a clinician must see (low call rate, odd Ti/Tv, unsorted, ...)."""


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


RiskBand = Literal["below average", "average", "above average", "high"]
RISK_BANDS: tuple[RiskBand, ...] = get_args(RiskBand)


@dataclass(frozen=True)
class Flag:
    """One reason to trust a prediction less, in words a clinician can read."""

    code: str
    """Stable machine code: ``low_coverage``, ``imputed_genetic``, ``defaulted_clinical``,
    ``clinical_out_of_range``, ``ancestry_unusual``, ``ancestry_not_checked``, ``no_ensemble``,
    ``score_out_of_range``."""
    message: str
    """What happened and what it means, with the offending values."""


@dataclass(frozen=True)
class OutputPrediction:
    """One output (disease or drug response) of one bundle for one patient."""

    output: str
    """Output name as written in the bundle's card (e.g. ``"breast_cancer"``, ``"clopidogrel"``)."""
    logit: float
    """Calibrated ensemble-mean logit (natural-log odds)."""
    probability: float
    """Calibrated probability, 0..1: ``sigmoid(logit)``."""
    interval: tuple[float, float]
    """(low, high) probability: 5th and 95th percentile of the calibrated ensemble members, widened
    if needed to contain ``probability``; equal to (p, p) for a single-member (linear) bundle."""
    percentile: float
    """Percentile 0..100 of ``logit`` in the bundle's reference distribution (mid-rank for ties)."""
    relative_risk: float
    """``probability`` / mean probability of the reference population."""
    band: RiskBand
    """Risk band from ``relative_risk`` with the thresholds stated in the bundle's card."""
    flags: tuple[Flag, ...]
    """Out-of-distribution and input-quality flags; ``()`` when none applies."""


@dataclass(frozen=True)
class Prediction:
    """Every output of one bundle for one patient, with the inputs as actually used."""

    bundle: str
    """Bundle name (``models/<name>/``)."""
    version: str
    """Bundle version (``models/<name>/<version>/``)."""
    outputs: tuple[OutputPrediction, ...]
    """One entry per output, in card order."""
    inputs: np.ndarray = field(repr=False)
    """float32, shape (n_genetic + n_covariates,): the model input after imputation and defaults."""
    input_names: tuple[str, ...]
    """Names of ``inputs``: panel variant ids, then covariate names."""
    imputed: tuple[str, ...]
    """Genetic inputs that were missing and set to the population mean dosage."""
    defaulted: tuple[str, ...]
    """Clinical inputs that were not given and set to the population mean."""
    coverage: float
    """Share of the bundle's genetic inputs with an observed (or assumed-reference) dosage, 0..1."""


InputTreatment = Literal["observed", "assumed_reference", "missing", "defaulted"]
INPUT_TREATMENTS: tuple[InputTreatment, ...] = get_args(InputTreatment)

BaselineKind = Literal["population_average", "all_reference", "ancestry_average", "reference_distribution",
                       "relative"]
BASELINE_KINDS: tuple[BaselineKind, ...] = get_args(BaselineKind)


@dataclass(frozen=True)
class ExplainContext:
    """What the explanation layer needs to know about a model's inputs, besides the network."""

    feature_names: tuple[str, ...]
    """Model input names: panel variant ids in panel order, then covariate names in card order."""
    n_genetic: int
    """How many of ``feature_names`` are genetic (the first ``n_genetic``); the rest are clinical."""
    output_names: tuple[str, ...]
    """Output names in model order (a ``target`` indexes these)."""
    panel: Panel
    """The panel whose variants are the genetic inputs, in the same order."""
    population_mean: np.ndarray = field(repr=False)
    """float64, shape (n_features,): reference-population mean of every input (dosage, then covariates)."""
    ancestry_means: dict[str, np.ndarray] = field(repr=False)
    """Per ancestry label: float64, shape (n_genetic,) or (n_features,); covariates not given take
    ``population_mean``. Empty when the training data had no ancestry labels."""
    reference_sample: np.ndarray = field(repr=False)
    """float64, shape (n_ref, n_features): feature vectors of a reference cohort, no NaN."""
    covariate_labels: dict[str, str] = field(default_factory=dict)
    """Optional display label per covariate name (``"age"`` -> ``"Age (years)"``); name used when absent."""
    reads: np.ndarray | None = field(default=None, repr=False)
    """bool, shape (n_genetic,): genetic inputs the network reads (weight non-zero in some path);
    ``None``: all of them. The ledger gathers the others in one zero row."""


@dataclass(frozen=True)
class Baseline:
    """The comparison point an explanation is relative to, with a caption a clinician can read."""

    kind: BaselineKind
    """Which clinical choice this is."""
    values: np.ndarray = field(repr=False)
    """float64, shape (n_features,): the baseline input; for a distribution, the mean of ``samples``."""
    samples: np.ndarray | None = field(repr=False)
    """float64, shape (n_samples, n_features) for ``reference_distribution``; ``None`` otherwise."""
    caption: str
    """One plain-language sentence saying what the patient is compared with."""
    notes: tuple[str, ...] = ()
    """Caveats in words (e.g. variants whose REF base the panel does not give); ``()`` when none."""


@dataclass(frozen=True)
class Attribution:
    """Contributions of a model's inputs (or groups of inputs) to one output, on the logit scale."""

    method: str
    """Attribution method (``"ig"``, ``"gradient_shap"``, ``"deeplift_shap"``, ``"deeplift"``,
    ``"saliency"``, ``"input_x_gradient"``, ``"feature_ablation"``, ``"shapley_sampling"``)."""
    target: int
    """Index of the explained output."""
    output: str
    """Name of the explained output; ``""`` when the caller gave no names."""
    feature_names: tuple[str, ...]
    """Model input names, length n_features."""
    names: tuple[str, ...]
    """What each value is attributed to: ``feature_names``, or group names when a feature mask was used."""
    groups: tuple[tuple[int, ...], ...]
    """Per entry of ``names``: the input indices it covers (``(i,)`` per input when ungrouped)."""
    values: np.ndarray = field(repr=False)
    """float64, shape (len(names),): contribution to the logit (ensemble mean over members).
    For ``saliency`` the signed gradient, logit per input unit, which is not a contribution."""
    member_values: np.ndarray = field(repr=False)
    """float64, shape (members, len(names)): the same per ensemble member (members = 1 for a plain model)."""
    spread: np.ndarray = field(repr=False)
    """float64, shape (len(names),): standard deviation of ``member_values`` across members (ddof 0)."""
    inputs: np.ndarray = field(repr=False)
    """float64, shape (n_features,): the explained input."""
    baseline: Baseline
    """The baseline (its ``values`` are the mean over the distribution for ``*_shap`` methods)."""
    prediction_logit: float
    """f(x): the model's logit for ``target`` at ``inputs``."""
    baseline_logit: float
    """f(baseline); for a distribution baseline the mean of f over its samples."""
    residual: float
    """Completeness residual ``(prediction_logit - baseline_logit) - sum(values)``; NaN for ``saliency``."""
    tolerance: float
    """The completeness target: ``max(0.01 * |prediction_logit - baseline_logit|, 1e-4)``."""
    converged: bool
    """True when ``|residual| <= tolerance``."""
    completeness: str
    """In words: what the values add up to and how well (shown beside the explanation)."""
    parameters: dict[str, int | float | str]
    """What else made the result: n_steps, samples, seed, members, quadrature, captum version."""

    @property
    def delta(self) -> float:
        """``prediction_logit - baseline_logit``: what the contributions should add up to."""
        return self.prediction_logit - self.baseline_logit


LedgerSection = Literal["genetics", "clinical", "residual"]
LedgerLevel = Literal["variant", "allele", "gene"]


@dataclass(frozen=True)
class LedgerRow:
    """One line of a ledger: a variant, star allele, gene/locus, clinical factor, or the residual."""

    label: str
    """What a clinician reads: ``"CYP2C19 *2 (rs4244285)"``, ``"BRCA2 (3 variants)"``, ``"Age"``."""
    section: LedgerSection
    """``genetics``, ``clinical`` or ``residual`` (the completeness residual, always last)."""
    level: str
    """``variant``, ``allele``, ``gene``, ``other`` (rows merged into "Other genetics", or the variants
    the network does not read, gathered in one zero row), ``clinical`` or ``residual``."""
    features: tuple[str, ...]
    """Input names this row sums over; ``()`` for the residual row."""
    contribution: float
    """Logit contribution (sum over ``features``; the residual for the residual row)."""
    spread: float
    """Standard deviation across ensemble members of this row's contribution; 0.0 for one member."""
    values: tuple[float, ...]
    """The patient's input per feature (dosage or covariate value)."""
    baseline_values: tuple[float, ...]
    """The baseline's input per feature."""
    treatments: tuple[InputTreatment, ...]
    """How each input was obtained: ``observed``, ``assumed_reference``, ``missing`` (imputed to the
    population mean) or ``defaulted`` (clinical input not given)."""
    evidence: str
    """Published odds ratio / allele function / pathogenicity text; ``""`` for clinical and residual rows."""
    note: str
    """How the inputs were obtained, in words (``"2 called, 1 missing (population mean used)"``)."""
    children: tuple[LedgerRow, ...] = ()
    """Finer rows this one sums (variants of a gene); ``()`` at variant level."""


@dataclass(frozen=True)
class Ledger:
    """The clinician form of an Attribution: rows that add up to prediction minus baseline."""

    output: str
    """Explained output name."""
    method: str
    """Attribution method it comes from."""
    baseline: Baseline
    """The baseline the rows are relative to."""
    level: LedgerLevel
    """Granularity of the genetic rows."""
    rows: tuple[LedgerRow, ...]
    """Genetic and clinical rows by decreasing |contribution|, then the residual row (always present)."""
    baseline_logit: float
    """f(baseline) on the logit scale."""
    prediction_logit: float
    """f(x) on the logit scale; ``sum(rows) == prediction_logit - baseline_logit`` up to float rounding."""
    baseline_probability: float
    """``sigmoid(baseline_logit)``."""
    prediction_probability: float
    """``sigmoid(prediction_logit)``."""
    genetics: float
    """Sum of the genetic rows (logit)."""
    clinical: float
    """Sum of the clinical rows (logit)."""
    residual: float
    """The residual row's contribution (logit)."""
    converged: bool
    """Whether the attribution met its completeness target."""


Grade = Literal["A", "B", "C"]


@dataclass(frozen=True)
class ReliabilityCheck:
    """One test of how far an explanation can be trusted, with its grade and its reason in words."""

    name: str
    """``completeness``, ``method_agreement``, ``member_agreement``, ``deletion`` or ``randomisation``."""
    value: float
    """The measured quantity (see ``reason`` for its meaning); NaN when it could not be measured."""
    grade: Grade
    """``A`` (good), ``B`` (usable with care) or ``C`` (do not rely on it)."""
    reason: str
    """One sentence a clinician or researcher can read, with the value and the thresholds."""


@dataclass(frozen=True)
class Reliability:
    """The reliability grade of one explanation: the worst grade of the checks that were run."""

    grade: Grade
    """Overall grade: the worst of ``checks``."""
    checks: tuple[ReliabilityCheck, ...]
    """The checks that were run, in a fixed order; checks without their inputs are left out."""

    @property
    def reasons(self) -> tuple[str, ...]:
        """The reasons of the checks that did not get an ``A``, worst first."""
        return tuple(c.reason for c in sorted(self.checks, key=lambda c: c.grade, reverse=True) if c.grade != "A")


@dataclass(frozen=True)
class DeletionCurve:
    """Model output as the most-contributing inputs are set to the baseline one group at a time."""

    order: tuple[int, ...]
    """Indices into the attribution's ``names``, by decreasing contribution."""
    logits: np.ndarray = field(repr=False)
    """float64, shape (n_groups + 1,): f after deleting the first k groups of ``order``, k = 0..n_groups."""
    random_logits: np.ndarray = field(repr=False)
    """float64, shape (n_random, n_groups + 1): the same for random orders."""
    score: float
    """Share (0..1) of random orders whose curve has a larger area than the attribution's (1 = most faithful)."""


@dataclass(frozen=True)
class RandomisationCheck:
    """Adebayo et al. (2018) model-randomisation sanity check of one attribution method."""

    method: str
    """Attribution method checked."""
    layers: tuple[str, ...]
    """Layers re-initialised, cumulatively from the output down; the last entry is ``"all"``."""
    correlations: tuple[float, ...]
    """Spearman correlation of |attribution| with the original after each step, one per ``layers``."""

    @property
    def final(self) -> float:
        """Correlation with every layer randomised; should be near 0 for a method that reads the model."""
        return self.correlations[-1]
