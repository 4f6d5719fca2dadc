"""The content of a patient report, built once: risk cards, drug table, findings, QC, model cards, provenance.

The dashboard's report page and the exports (:mod:`genolens.present.report`) show the same
:class:`ReportSummary`. Building it is deterministic: no clock is read and every random draw is seeded,
so the same file, options and models give the same summary. Drug actions are short CPIC-style
paraphrases, stated as such; the guideline itself decides.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any, Literal

from genolens.datamodel import PatientGenome
from genolens.genome.pgx import call_pgx
from genolens.genome.qc import panel_warnings
from genolens.present.guideline import DRUGS, DrugRow, drug_row

if TYPE_CHECKING:
    from genolens.datamodel import OutputPrediction
    from genolens.modeling.bundle import Bundle

SCHEMA = "genolens.report/1"
RESEARCH_USE = ("Research use only. Not a medical device; not for diagnosis or treatment decisions. "
                "Models were trained on simulated cohorts.")
MONOGENIC_GENES = ("BRCA1", "BRCA2", "PALB2", "CHEK2", "ATM")
_PACKAGES = ("genolens", "numpy", "torch", "captum", "cyvcf2")


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
    probability: float
    interval: tuple[float, float]
    """Ensemble 5th-95th percentile probability (model uncertainty)."""
    percentile: float
    relative_risk: float
    band: str
    plain: str
    """The risk against the reference population in one sentence."""
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
    clinical: Mapping[str, float]
    """Clinical inputs as given; the rest were set to population means."""
    bundles: tuple[BundleRef, ...]
    method: str
    baseline: str
    attribution_parameters: Mapping[str, str]
    packages: Mapping[str, str]


@dataclass(frozen=True)
class ReportSummary:
    """Everything a report shows, in the order it shows it.

    Every mapping is sorted by key, so the JSON record (keys sorted) rebuilds it in the same order.
    """

    schema: str
    research_use: str
    risk_cards: tuple[RiskCard, ...]
    drugs: tuple[DrugRow, ...]
    findings: tuple[Finding, ...]
    qc_warnings: tuple[str, ...]
    coverage: Mapping[str, float]
    """Share of usable calls per panel title."""
    model_cards: tuple[ModelCardSummary, ...]
    limitations: tuple[str, ...]
    provenance: Provenance


def build_summary(patient: PatientGenome, bundles: Sequence[Bundle], *, clinical: Mapping[str, float] | None = None,
                  method: str = "ig", baseline: str = "population", explain_top: bool = True) -> ReportSummary:
    """Assemble a patient's report from a read sample and loaded bundles.

    Parameters
    ----------
    patient
        A sample read with every shipped panel (the pharmacogenomics and breast-cancer panels at least).
    bundles
        Loaded bundles; ``kind = "risk"`` ones give risk cards, ``kind = "response"`` ones the drug column.
        May be empty: the drug table then shows the guideline alone.
    clinical
        Clinical inputs by card name; those not given are set to the population mean (and said so).
    method, baseline
        Attribution method and baseline of the risk cards' ledgers (see :func:`genolens.explain.explanation.explain`).
    explain_top
        Explain each risk output (ledger rows, reliability grade); ``False`` gives predictions only.

    Raises
    ------
    GenoLensError
        When the patient was not read with a panel a bundle or the drug table needs.
    """
    given = dict(clinical or {})
    cards: list[RiskCard] = []
    params: dict[str, str] = {}
    response: dict[str, OutputPrediction] = {}
    response_bands: dict[str, Mapping[str, float]] = {}
    for b in bundles:
        if b.card["bundle"].get("kind") == "response":
            pred = _predict(b, patient, given)
            response.update({o.output: o for o in pred.outputs})
            response_bands.update({o.output: b.bands for o in pred.outputs})
            continue
        for output in b.outputs:
            card, used = _risk_card(b, patient, output, given, method, baseline, explain_top)
            cards.append(card)
            params = params or used
    pgx = {g.gene: g for g in call_pgx(patient).genes}
    drugs = tuple(drug_row(d, pgx, patient, response.get(d.output), response_bands.get(d.output)) for d in DRUGS)
    warnings = [*patient.qc.warnings]
    for r in patient.panels:
        warnings += panel_warnings(r, patient.qc.chromosomes)
    return ReportSummary(
        schema=SCHEMA, research_use=RESEARCH_USE, risk_cards=tuple(cards), drugs=drugs,
        findings=monogenic_findings(patient), qc_warnings=tuple(warnings),
        coverage=dict(sorted((r.title, round(r.coverage, 6)) for r in patient.panels)),
        model_cards=tuple(_model_card(b) for b in bundles), limitations=LIMITATIONS,
        provenance=_provenance(patient, bundles, given, method if params else "none",
                               baseline if params else "none", params))


LIMITATIONS = (
    "Every model was trained on simulated cohorts with published effect sizes; no model has been validated "
    "on real patients.",
    "A risk is relative to the simulated reference population and depends on the accuracy of the genotypes "
    "and clinical details entered; clinical details not given were set to the population average.",
    "Genotypes missing from the file are never assumed to be reference: they were set to the population "
    "mean and the range they could move the risk is shown as the missing-data band.",
    "Guideline calls use only the panel's positions; alleles defined elsewhere are not tested, and HLA-B*57:01 "
    "is read from a tag SNP. The drug actions are CPIC-style paraphrases: check the current guideline.",
    "The interval is the spread of the model ensemble (model uncertainty), not a confidence interval for the "
    "person's risk.",
)


def _predict(b: Bundle, patient: PatientGenome, clinical: Mapping[str, float]) -> Any:
    from genolens.modeling.predict import features_for, predict

    return predict(b, features_for(patient, b), clinical)


def _risk_card(b: Bundle, patient: PatientGenome, output: str, clinical: Mapping[str, float], method: str,
               baseline: str, explain_top: bool) -> tuple[RiskCard, dict[str, str]]:
    import numpy as np

    from genolens.explain.explanation import explain, sensitivity_band
    from genolens.modeling.predict import features_for

    rows: tuple[LedgerLine, ...] = ()
    total = 0.0
    reasons: tuple[str, ...] = ()
    grade, params = "", {}
    caption, base_p = "reference population average (no explanation made)", float("nan")
    if explain_top:
        e = explain(b, patient, output=output, method=method, baseline=baseline,  # type: ignore[arg-type]
                    clinical=clinical, seed=0)
        o, pred, band_ = e.output, e.prediction, e.sensitivity_band
        note = e.sensitivity_note
        rows = tuple(LedgerLine(r.label, float(r.contribution), r.evidence, r.note) for r in e.ledger.rows[:6])
        grade, reasons = e.reliability.grade, e.reliability.reasons
        params = {k: str(v) for k, v in sorted(e.attribution.parameters.items())}
        caption, base_p = e.ledger.baseline.caption, float(e.ledger.baseline_probability)
        total = float(e.ledger.prediction_logit - e.ledger.baseline_logit)
    else:
        pred = _predict(b, patient, clinical)
        k = b.outputs.index(output)
        o = pred.outputs[k]
        missing = np.isnan(features_for(patient, b).values)
        lo, hi, note = sensitivity_band(b, pred.inputs.astype(np.float64), missing, k, seed=0)
        band_ = (lo, hi)
    if not np.isfinite(base_p):
        base_p = float(b.mean_probability[b.outputs.index(output)])
    low = pred.coverage < b.coverage_threshold
    badge = f"Coverage {pred.coverage:.0%}" + (f" (needs {b.coverage_threshold:.0%})" if low else "")
    card = RiskCard(
        bundle=b.name, output=output, title=output_title(output), probability=float(o.probability),
        interval=(float(o.interval[0]), float(o.interval[1])), percentile=float(o.percentile),
        relative_risk=float(o.relative_risk), band=o.band, plain=plain_risk(o.relative_risk, o.percentile),
        coverage=float(pred.coverage), coverage_threshold=float(b.coverage_threshold), coverage_badge=badge,
        reliability_grade=grade, reliability_reasons=tuple(reasons),
        sensitivity_band=(float(band_[0]), float(band_[1])), sensitivity_note=note,
        flags=tuple(f.message for f in o.flags), baseline_caption=caption, baseline_probability=base_p,
        top_rows=rows, ledger_total=total)
    return card, params


def output_title(output: str) -> str:
    words = output.removeprefix("y_").replace("_", " ")
    return words[:1].upper() + words[1:]


def plain_risk(relative_risk: float, percentile: float) -> str:
    """The risk against the reference population in lay terms (CanRisk-style)."""
    # "Average" is the population's mean risk, which a few high-risk people pull above the typical
    # person's: a median patient can be well below it, so the percentile is said beside it.
    if 0.9 <= relative_risk < 1.1:
        rel = "about the mean risk of the reference population"
    elif relative_risk >= 1.0:
        rel = f"about {relative_risk:.1f}× the mean risk of the reference population"
    else:
        rel = (f"about {relative_risk:.1f}× the mean risk of the reference population "
               f"({1 - relative_risk:.0%} lower)")
    return (f"{rel[0].upper()}{rel[1:]} (the mean is pulled up by a few high-risk people); a higher score "
            f"than about {percentile:.0f} in 100 people of that population.")


# --- findings, model cards, provenance -------------------------------------------------------------------------

def monogenic_findings(patient: PatientGenome, *, panel: str = "breast_cancer") -> tuple[Finding, ...]:
    """Carrier status of the panel's pathogenic variants (carriers first), and the genes it does not test."""
    result = next((r for r in patient.panels if r.panel == panel), None)
    if result is None:
        return tuple(Finding(g, "", "not tested", "", "", f"The {panel} panel was not read.")
                     for g in MONOGENIC_GENES)
    from genolens.genome.panel import load_panel

    variants = {v.id: v for v in load_panel(panel).variants}
    found: list[Finding] = []
    for s, t in zip(result.sites, result.features.origin, strict=True):
        v = variants.get(s.variant_id)
        if v is None or not v.function.startswith("pathogenic") or v.gene not in MONOGENIC_GENES:
            continue
        name = f"{v.gene} {v.allele_name} ({v.rsid or v.id})"
        if t == "assumed_reference":
            found.append(Finding(v.gene, name, "not carried", "assumed reference", v.evidence,
                                 "Absent from the file; assumed reference (whole-genome call set declared)."))
        elif s.dosage is None:
            found.append(Finding(v.gene, name, "not tested", s.genotype or "", v.evidence,
                                 f"No usable call ({s.status.replace('_', ' ')}); carrier status unknown."))
        else:
            status: Literal["carrier", "not carried"] = "carrier" if s.dosage >= 0.5 else "not carried"
            zyg = "homozygous" if s.dosage >= 1.5 else "heterozygous" if status == "carrier" else "reference"
            found.append(Finding(v.gene, name, status, s.genotype or f"dosage {s.dosage:g}", v.evidence,
                                 f"Called {zyg} (GQ {s.gq if s.gq is not None else 'n/a'})."))
    tested = {f.gene for f in found}
    found += [Finding(g, "", "not tested", "", "", "The panel has no variant in this gene.")
              for g in MONOGENIC_GENES if g not in tested]
    order = {"carrier": 0, "not tested": 1, "not carried": 2}
    return tuple(sorted(found, key=lambda f: (order[f.status], MONOGENIC_GENES.index(f.gene))))


def _model_card(b: Bundle) -> ModelCardSummary:
    meta = b.card["bundle"]
    metrics = b.card.get("metrics", {})
    return ModelCardSummary(
        name=b.name, version=b.version, kind=str(meta.get("kind", "")), intended_use=str(meta.get("intended_use", "")),
        training=str(b.card.get("training", {}).get("description", "not stated")),
        research_use=str(meta.get("research_use_only", RESEARCH_USE)),
        auroc={o: metrics.get(o, {}).get("network_auroc") for o in sorted(b.outputs)},
        limitations=tuple(b.card.get("limitations", {}).get("text", ())))


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages a report depends on."""
    out = {"python": platform.python_version()}
    for pkg in _PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed" if pkg != "genolens" else "0.1.0 (source)"
    return dict(sorted(out.items()))


def _provenance(p: PatientGenome, bundles: Sequence[Bundle], clinical: Mapping[str, float], method: str,
                baseline: str, params: Mapping[str, str]) -> Provenance:
    refs = tuple(BundleRef(b.name, b.version, str(b.card["provenance"]["weights_sha256"]), b.panel.name,
                           b.panel.sha256) for b in bundles)
    return Provenance(file=p.source_name, sha256=p.sha256, sample=p.sample, build=p.build.build,
                      build_source=p.build.source, build_evidence=p.build.evidence, absent_policy=p.absent_policy,
                      read_mode=p.read_mode, clinical=dict(sorted(clinical.items())), bundles=refs, method=method,
                      baseline=baseline, attribution_parameters=dict(params), packages=package_versions())
