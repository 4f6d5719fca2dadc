"""Explanation-side records: context, baseline, attribution, ledger, reliability."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np

from genolens.datamodel.genome import Panel

InputOrigin = Literal["observed", "assumed_reference", "missing", "defaulted"]
INPUT_ORIGINS: tuple[InputOrigin, ...] = get_args(InputOrigin)

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
    covariate_units: dict[str, str] = field(default_factory=dict)
    """Optional units or coding per covariate (``"years"``, ``"1 = male, 0 = female"``): the ledger row then
    names the patient's value (``"sex: female"``, ``"age 38 years"``)."""
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
    origins: tuple[InputOrigin, ...]
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
