"""What a patient report shows, as content: risk cards, drug rows, findings, model cards, provenance.

These are plain frozen dataclasses. :func:`genolens.workflows.patient_report` fills them (every number
through one route); :mod:`genolens.present.report` renders them as HTML, PDF and JSON, and the dashboard
shows them. Nothing here computes a prediction or an explanation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from genolens.genome.cpic import Level
from genolens.modeling.absolute_risk import AbsoluteRisk

SCHEMA = "genolens.report/1"


@dataclass(frozen=True)
class GeneLine:
    """A guideline phenotype call for one gene."""

    gene: str
    diplotypes: tuple[str, ...]
    phenotype: str
    activity_score: float | None
    missing_positions: tuple[str, ...]
    outside_call: bool = False
    """True when the call comes from an outside result (another test), not from the VCF."""


@dataclass(frozen=True)
class DrugRow:
    """One line of the traffic-light table: model beside guideline, and whether they agree."""

    drug: str
    output: str
    """The treatment-response model's output, or ``"guideline:<drug>"`` for a drug the model has no output for."""
    genes: tuple[GeneLine, ...]
    guideline: str
    """The phenotype call in words (``"DPYD Intermediate Metabolizer (activity score 1)"``)."""
    action: str
    """What the call implies, as a short paraphrase (see ``action_basis``)."""
    action_basis: str
    """Where ``action`` comes from, stated with it."""
    level: Level
    level_text: str
    """The level in words: colour is never the only signal."""
    model_outcome: str
    """What the model's probability is of, in words (``""`` without a model prediction)."""
    model_probability: float | None
    """``None`` when no treatment-response model was loaded, it made no prediction, or it has no output for
    this drug."""
    model_relative_risk: float | None
    model_band: str
    agreement: str
    source: str = ""
    """Who makes the recommendation: ``"CPIC"`` or ``"DPWG"``."""
    strength: str = ""
    """CPIC's classification of the recommendation (``"Strong"``, ``"Moderate"``, ``"Optional"``); ``""`` when
    there is none (DPWG, a call with several possible recommendations, a missing outside result)."""
    guideline_version: str = ""
    """The guideline publication the action paraphrases (``"CPIC 2021 codeine/CYP2D6 (Crews et al., ...)"``)."""


@dataclass(frozen=True)
class WarfarinLine:
    """The starting weekly warfarin dose from the model trained on real IWPC patients, beside the algorithm's."""

    dose_mg_per_week: float | None
    """Median of the predictive distribution; ``None`` when a required detail was not given."""
    interval: tuple[float, float] | None
    """5th-95th percentile, mg/week."""
    iwpc_mg_per_week: float | None
    """The published IWPC pharmacogenetic algorithm on the same inputs."""
    genotypes: Mapping[str, str]
    """CYP2C9 and VKORC1 as coded ("unknown" when not read)."""
    notes: tuple[str, ...]
    """What was assumed or could not be read."""
    missing: tuple[str, ...]
    """Why there is no dose (a required detail not given); empty when there is one."""


@dataclass(frozen=True)
class LedgerLine:
    """One top row of an explanation ledger (logit contribution against the baseline)."""

    label: str
    contribution: float
    evidence: str
    note: str


@dataclass(frozen=True)
class RiskCard:
    """One disease output of one bundle for the patient, in plain words."""

    bundle: str
    output: str
    title: str
    """Disease in words (``"Breast cancer"``)."""
    outcome: str
    """What the probability is of, in words (``"breast cancer"``, from the model card)."""
    horizon: str
    """Over what time it holds, in words (from the model card)."""
    comparison: str
    """What the relative risk and percentile compare the patient with, in words."""
    assumed: tuple[str, ...]
    """One sentence per clinical detail not given, naming the value the model was shown instead."""
    probability: float
    interval: tuple[float, float]
    """Ensemble 5th-95th percentile probability (model uncertainty)."""
    percentile: float
    relative_risk: float
    band: str
    """Risk band: of the 10-year risk against the typical woman of the same age where :attr:`absolute` is given,
    else of the model probability against the simulated population's mean (:func:`band_basis` says which)."""
    plain: str
    """The risk against the same comparison point as :attr:`band`, in one sentence."""
    coverage: float
    coverage_threshold: float
    coverage_badge: str
    reliability_grade: str
    """``A``/``B``/``C``, or ``""`` when no explanation was made."""
    reliability_reasons: tuple[str, ...]
    sensitivity_band: tuple[float, float]
    """Probability range over plausible genotypes at the missing sites."""
    sensitivity_note: str
    flags: tuple[str, ...]
    baseline_caption: str
    baseline_probability: float
    top_rows: tuple[LedgerLine, ...]
    """Largest ledger rows first; ``()`` when no explanation was made."""
    ledger_total: float
    """Prediction minus baseline on the logit scale: what every ledger row adds up to (0.0 without one)."""
    absolute: tuple[AbsoluteRisk, ...] = ()
    """Risk of a diagnosis between two ages (10-year, to age 80) beside the median woman of the same age;
    ``()`` for an outcome without sourced incidence (CAD, T2D), a man, or a patient without an age."""
    absolute_note: str = ""
    """Why an absolute risk is not given (a man, no age, an age outside the rate tables); ``""`` otherwise or
    for an outcome that never has one."""


@dataclass(frozen=True)
class KeyFinding:
    """One line of the report's first section: what a clinician must act on or know first."""

    kind: Literal["variant", "drug", "risk", "none"]
    """A pathogenic variant, a drug call that changes a prescription, a high risk, or nothing of these."""
    title: str
    """The finding in a few words (``"BRCA1 c.68_69delAG (185delAG): pathogenic, carried"``)."""
    action: str
    """What it implies, in words."""
    detail: str
    """Where it comes from (evidence, guideline source, model and comparison)."""
    subject: str = ""
    """What it is about, for a link: the drug row's output, the risk card's output, or the variant."""


@dataclass(frozen=True)
class NotComputed:
    """A model that made no prediction for this patient, and why."""

    bundle: str
    outcomes: tuple[str, ...]
    """The outcomes it would have given, in words."""
    reason: str


@dataclass(frozen=True)
class ReportHeader:
    """Who and what the report is about (the optional fields are ``""`` when not given)."""

    patient_id: str
    sample: str
    sex: str
    """``"female"``, ``"male"`` or ``"not given"``."""
    age: str
    """Age in words (``"42 years"``, ``"38 years (born 1988-05-01)"``) or ``"not given"``."""
    report_date: str
    """ISO date the report was made for."""
    file: str
    sha256: str
    requester: str
    reason: str
    settings: str
    """The settings that made the numbers, in one line (build, absent sites, attribution)."""


@dataclass(frozen=True)
class DetailLine:
    """One patient detail as entered (``"not given"`` otherwise), and which models read it."""

    label: str
    value: str
    used_by: str


@dataclass(frozen=True)
class Finding:
    """A high- or moderate-penetrance variant of the breast-cancer panel, or a gene it does not test."""

    gene: str
    variant: str
    status: Literal["carrier", "not carried", "not tested"]
    genotype: str
    evidence: str
    note: str


@dataclass(frozen=True)
class ModelCardSummary:
    """What a reader must know about a model before reading its numbers."""

    name: str
    version: str
    kind: str
    intended_use: str
    training: str
    research_use: str
    auroc: Mapping[str, float | None]
    """Held-out AUROC of the network per output."""
    limitations: tuple[str, ...]


@dataclass(frozen=True)
class BundleRef:
    """A model as used: enough to fetch the exact same weights again."""

    name: str
    version: str
    weights_sha256: str
    panel: str
    panel_sha256: str


@dataclass(frozen=True)
class Provenance:
    """What made the report, so that it can be rebuilt."""

    file: str
    sha256: str
    sample: str
    build: str
    build_source: str
    build_evidence: tuple[str, ...]
    absent_policy: str
    read_mode: str
    details: Mapping[str, str]
    """The patient's details as entered (a details file's keys and values); what was not given is absent."""
    outside_calls: Mapping[str, str]
    """Outside calls given (gene -> diplotype), which replaced the calls made from the file."""
    bundles: tuple[BundleRef, ...]
    method: str
    baseline: str
    attribution_parameters: Mapping[str, str]
    packages: Mapping[str, str]
    ancestry: str = "not estimated"
    """The 1000 Genomes ancestry estimate in words (or why there is none)."""
    pgx_missing: str = "pharmcat"
    """The missing-position policy of the pharmacogenomic calls: ``"pharmcat"`` or ``"strict"`` (a record written
    before the choice existed has none: PharmCAT's policy, the only one then)."""


@dataclass(frozen=True)
class PanelCoverage:
    """How many of a panel's sites have a usable call (called, or inside a gVCF reference block)."""

    title: str
    coverage: float
    """``usable / sites``."""
    usable: int
    sites: int


@dataclass(frozen=True)
class ReportSummary:
    """Everything a report shows, in the order it shows it.

    Every mapping is sorted by key, so the JSON record (keys sorted) rebuilds it in the same order.
    """

    schema: str
    research_use: str
    sections: tuple[str, ...]
    """The section ids in the order the report shows them (:data:`SECTIONS`): the JSON's keys are sorted, this
    list is the reading order."""
    header: ReportHeader
    key_findings: tuple[KeyFinding, ...]
    """The first section: pathogenic variants, then prescription-changing drug calls, then high risks."""
    details: tuple[DetailLine, ...]
    """The patient's details as entered and where each was used."""
    risk_cards: tuple[RiskCard, ...]
    not_computed: tuple[NotComputed, ...]
    """Models that made no prediction, and why (sex not given, model not meant for the patient's sex)."""
    drugs: tuple[DrugRow, ...]
    warfarin: WarfarinLine | None
    """The warfarin dose line (real IWPC patients); ``None`` when no dose model was used."""
    findings: tuple[Finding, ...]
    qc_warnings: tuple[str, ...]
    coverage: tuple[PanelCoverage, ...]
    """Share of usable calls per panel, by title."""
    model_cards: tuple[ModelCardSummary, ...]
    limitations: tuple[str, ...]
    provenance: Provenance


SECTIONS: tuple[tuple[str, str], ...] = (
    ("key", "Key findings"), ("risks", "Risk estimates"), ("drugs", "Drug table"),
    ("findings", "Inherited variants tested"), ("details", "Patient details and settings"),
    ("quality", "Quality of the input"), ("models", "Models"), ("limitations", "Limitations"),
    ("provenance", "Provenance"),
)
"""The report's sections in the order every rendering shows them (id, heading): the dashboard, HTML, PDF."""

LIMITATIONS = (
    "Every model was trained on simulated cohorts with published effect sizes; no model has been validated "
    "on real patients.",
    "A risk is relative to the simulated reference population and depends on the accuracy of the genotypes "
    "and clinical details entered; a detail not given was set to the reference value each card names, and a "
    "model that reads sex made no prediction without it.",
    "Guideline calls use only the panel's positions; alleles defined elsewhere are not tested. The drug actions "
    "are paraphrases of the guideline named on each row: check the current guideline.",
    "The interval is the spread of the model ensemble (model uncertainty), not a confidence interval for the "
    "person's risk.",
    "A breast-cancer risk between two ages applies the model's relative risk (its log-odds, age held at one value) "
    "to US incidence and mortality rates for women; the relative risks come from simulated effect sizes and have "
    "not been checked against observed penetrance, and no missing-data band or model range is computed for them.",
)
"""Limitations that hold for every report; :func:`absent_limitation` adds the one that depends on the reading."""


def absent_limitation(absent_policy: str) -> str:
    """The limitation sentence on sites absent from the file, true for how this file was read."""
    if absent_policy == "reference":
        return ("Sites absent from the file were counted as homozygous reference, because the file was marked a "
                "whole-genome call set; genotypes with no usable call were set to the population mean, and the "
                "range they could move each risk is shown as the missing-data band.")
    return ("Sites absent from the file were never assumed to be reference: they, and calls that were not usable, "
            "were set to the population mean, and the range they could move each risk is shown as the "
            "missing-data band.")


def output_title(output: str) -> str:
    words = output.removeprefix("y_").replace("_", " ")
    return words[:1].upper() + words[1:]


def plain_risk(relative_risk: float, percentile: float) -> str:
    """The risk against the reference population in lay terms (CanRisk-style)."""
    # "Average" is the population's mean risk, which a few high-risk people pull above the typical
    # person's: a median patient can be well below it, so the percentile is said beside it.
    if 0.9 <= relative_risk < 1.1:
        rel = "about the mean risk of the simulated reference population"
    elif relative_risk >= 1.0:
        rel = f"about {relative_risk:.1f}× the mean risk of the simulated reference population"
    else:
        rel = (f"about {relative_risk:.1f}× the mean risk of the simulated reference population "
               f"({1 - relative_risk:.0%} lower)")
    among = ("more than 99" if percentile > 99 else "fewer than 1" if percentile < 1 else
             f"about {percentile:.0f}")
    return (f"{rel[0].upper()}{rel[1:]} (the mean is pulled up by a few high-risk people); {among} in 100 people "
            "of that population have a lower score.")


def plain_absolute(r: AbsoluteRisk) -> str:
    """An absolute risk against the typical woman of the same age in lay terms (the card's sentence for it)."""
    whom = f"a typical woman aged {r.age_from} (the median woman of the reference population, not the mean)"
    span = f"between age {r.age_from} and {r.age_to}"
    if 0.9 <= r.ratio < 1.1:
        rel = f"About the risk of {whom} {span}"
    elif r.ratio >= 1.0:
        rel = f"About {r.ratio:.1f}× the risk of {whom} {span}"
    else:
        rel = f"About {r.ratio:.1f}× the risk of {whom} {span} ({1 - r.ratio:.0%} lower)"
    among = ("more than 99" if r.percentile > 99 else "fewer than 1" if r.percentile < 1 else
             f"about {r.percentile:.0f}")
    return f"{rel}; {among} in 100 women of that population have a lower risk."


def band_basis(card: RiskCard) -> str:
    """What a card's band compares, in words (the band follows the card's headline number)."""
    if card.absolute:
        return f"{card.absolute[0].horizon} risk against the typical woman of the same age"
    return "model probability against the simulated population's mean"
