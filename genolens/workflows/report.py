"""The patient report, the clinician's use case: every bundle's prediction and explanation, computed once.

:func:`patient_report` is what the Report, Risk and Treatment pages and ``python -m genolens report``
call. Per bundle it predicts once; each risk bundle is explained once (all outputs together, sharing
the prediction, the attribution passes and the missing-data band); the guideline calls are made once.
Building it is deterministic: no clock is read and every random draw is seeded, so the same file,
options and models give the same report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from genolens.datamodel import OutputPrediction, PatientGenome, Prediction
from genolens.explain.attribution_methods import Method
from genolens.explain.explanation import BaselineChoice, Explanation, sensitivity_bands
from genolens.genome.pgx import PgxReport, call_pgx
from genolens.genome.qc import panel_warnings
from genolens.modeling.bundle import Bundle
from genolens.modeling.predict import features_for, predict
from genolens.present.summary import (
    LIMITATIONS,
    SCHEMA,
    BundleRef,
    LedgerLine,
    ModelCardSummary,
    Provenance,
    ReportSummary,
    RiskCard,
    output_title,
    plain_risk,
)
from genolens.provenance import REPORT_PACKAGES, RESEARCH_USE_REPORT, package_versions
from genolens.workflows.drugs import drug_rows
from genolens.workflows.explain import explain_bundle
from genolens.workflows.findings import monogenic_findings

ExplainProvider = Callable[[Bundle], Mapping[str, Explanation]]
"""Gives every output of a risk bundle explained with the report's settings (the dashboard passes its
session cache, so the Risk page reuses what the report computed)."""


@dataclass(frozen=True)
class BundleResult:
    """One bundle's numbers for the patient, as the report computed them."""

    bundle: str
    prediction: Prediction
    """Every output of the bundle."""
    explanations: Mapping[str, Explanation] = field(default_factory=dict)
    """Full output name -> explanation; empty for a treatment-response bundle or without explanations."""


@dataclass(frozen=True)
class PatientReport:
    """A report's content and the numbers behind it."""

    summary: ReportSummary
    """What the report shows (rendered by :mod:`genolens.present.report` and the dashboard)."""
    results: tuple[BundleResult, ...]
    """One entry per bundle, in the order given."""
    pgx: PgxReport
    """The guideline phenotype calls."""


def patient_report(patient: PatientGenome, bundles: Sequence[Bundle], *, clinical: Mapping[str, float] | None = None,
                   method: Method = "ig", baseline: BaselineChoice = "population", explain: bool = True,
                   explained: ExplainProvider | None = None) -> PatientReport:
    """Predict with every bundle, explain every risk output, call the guideline genes, and assemble the report.

    Parameters
    ----------
    patient
        A sample read with every shipped panel (the pharmacogenomics and breast-cancer panels at least).
    bundles
        Loaded bundles; ``risk`` ones give risk cards, ``response`` ones the drug column. May be empty:
        the drug table then shows the guideline alone.
    clinical
        Clinical inputs by card name; those not given are set to the population mean (and said so).
    method, baseline
        Attribution method and baseline of the risk cards' ledgers.
    explain
        Explain each risk output (ledger rows, reliability grade); ``False`` gives predictions only.
    explained
        Where explanations come from (default: :func:`~genolens.workflows.explain_bundle` with the
        settings above); a caller with a cache passes its cached equivalent.

    Raises
    ------
    GenoLensError
        When the patient was not read with a panel a bundle or the drug table needs.
    """
    given = dict(clinical or {})
    provider = explained or (lambda b: explain_bundle(b, patient, method=method, baseline=baseline, clinical=given))
    results: list[BundleResult] = []
    cards: list[RiskCard] = []
    params: dict[str, str] = {}
    response: dict[str, OutputPrediction] = {}
    bands: dict[str, Mapping[str, float]] = {}
    for b in bundles:
        if b.info.kind == "response" or not explain:
            result = BundleResult(b.name, predict(b, features_for(patient, b), given))
        else:
            explanations = dict(provider(b))
            result = BundleResult(b.name, next(iter(explanations.values())).prediction, explanations)
        results.append(result)
        if b.info.kind == "response":
            response.update({o.output: o for o in result.prediction.outputs})
            bands.update({o.output: b.bands for o in result.prediction.outputs})
            continue
        cards += [_risk_card(b, patient, result, k) for k in range(len(b.outputs))]
        if result.explanations and not params:
            first = next(iter(result.explanations.values()))
            params = {k: str(v) for k, v in sorted(first.attribution.parameters.items())}
    pgx = call_pgx(patient)
    warnings = [*patient.qc.warnings]
    for r in patient.panels:
        warnings += panel_warnings(r, patient.qc.chromosomes)
    summary = ReportSummary(
        schema=SCHEMA, research_use=RESEARCH_USE_REPORT, risk_cards=tuple(cards),
        drugs=drug_rows({g.gene: g for g in pgx.genes}, patient, response, bands),
        findings=monogenic_findings(patient), qc_warnings=tuple(warnings),
        coverage=dict(sorted((r.title, round(r.coverage, 6)) for r in patient.panels)),
        model_cards=tuple(model_card_summary(b) for b in bundles), limitations=LIMITATIONS,
        provenance=_provenance(patient, bundles, given, method if params else "none",
                               baseline if params else "none", params))
    return PatientReport(summary, tuple(results), pgx)


def _risk_card(b: Bundle, patient: PatientGenome, result: BundleResult, k: int) -> RiskCard:
    """The card of output ``k`` of risk bundle ``b`` from the numbers the report computed."""
    output = b.outputs[k]
    pred = result.prediction
    o = pred.outputs[k]
    e = result.explanations.get(output)
    if e is not None:
        rows = tuple(LedgerLine(r.label, float(r.contribution), r.evidence, r.note) for r in e.ledger.rows[:6])
        grade: str = e.reliability.grade
        reasons = tuple(e.reliability.reasons)
        caption, base_p = e.ledger.baseline.caption, float(e.ledger.baseline_probability)
        total = float(e.ledger.prediction_logit - e.ledger.baseline_logit)
        band, note = e.sensitivity_band, e.sensitivity_note
    else:
        rows, grade, reasons, total = (), "", (), 0.0
        caption, base_p = "reference population average (no explanation made)", float("nan")
        missing = np.isnan(features_for(patient, b).values)  # (n_genetic,)
        lo, hi, note = sensitivity_bands(b, pred.inputs.astype(np.float64), missing, [k], seed=0)[0]
        band = (lo, hi)
    if not np.isfinite(base_p):
        base_p = float(b.mean_probability[k])
    low = pred.coverage < b.coverage_threshold
    badge = f"Coverage {pred.coverage:.0%}" + (f" (needs {b.coverage_threshold:.0%})" if low else "")
    return RiskCard(
        bundle=b.name, output=output, title=output_title(output), probability=float(o.probability),
        interval=(float(o.interval[0]), float(o.interval[1])), percentile=float(o.percentile),
        relative_risk=float(o.relative_risk), band=o.band, plain=plain_risk(o.relative_risk, o.percentile),
        coverage=float(pred.coverage), coverage_threshold=float(b.coverage_threshold), coverage_badge=badge,
        reliability_grade=grade, reliability_reasons=reasons,
        sensitivity_band=(float(band[0]), float(band[1])), sensitivity_note=note,
        flags=tuple(f.message for f in o.flags), baseline_caption=caption, baseline_probability=base_p,
        top_rows=rows, ledger_total=total)


def model_card_summary(b: Bundle) -> ModelCardSummary:
    """What a reader must know about bundle ``b`` before reading its numbers."""
    card = b.info
    return ModelCardSummary(
        name=b.name, version=b.version, kind=card.kind, intended_use=card.intended_use, training=card.training,
        research_use=card.research_use or RESEARCH_USE_REPORT, auroc=dict(card.network_auroc),
        limitations=card.limitations)


def _provenance(p: PatientGenome, bundles: Sequence[Bundle], clinical: Mapping[str, float], method: str,
                baseline: str, params: Mapping[str, str]) -> Provenance:
    refs = tuple(BundleRef(b.name, b.version, b.info.weights_sha256, b.panel.name, b.panel.sha256) for b in bundles)
    return Provenance(file=p.source_name, sha256=p.sha256, sample=p.sample, build=p.build.build,
                      build_source=p.build.source, build_evidence=p.build.evidence, absent_policy=p.absent_policy,
                      read_mode=p.read_mode, clinical=dict(sorted(clinical.items())), bundles=refs, method=method,
                      baseline=baseline, attribution_parameters=dict(params),
                      packages=package_versions(REPORT_PACKAGES))
