"""The patient report, the clinician's use case: every bundle's prediction and explanation, computed once.

:func:`patient_report` is what the Report, Risk and Treatment pages and ``python -m genolens report``
call. Per bundle it predicts once; each risk bundle is explained once (all outputs together, sharing
the prediction, the attribution passes and the missing-data band); the guideline calls are made once.
Building it is deterministic: no clock is read and every random draw is seeded, so the same file,
options and models give the same report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genolens.datamodel import OutputPrediction, PatientGenome, Prediction
from genolens.datamodel.clinical import CLINICAL_INPUTS, NO_DETAILS, PatientDetails, details_record
from genolens.explain.attribution_methods import Method
from genolens.explain.explanation import BaselineChoice, Explanation, sensitivity_bands
from genolens.genome.cpic import LEVEL_WORDS
from genolens.genome.encode import ABSENT_WORDS
from genolens.genome.gene_call import PgxReport
from genolens.genome.outside_calls import OutsideCall
from genolens.genome.pgx import MISSING_WORDS, call_pgx
from genolens.genome.qc import panel_warnings
from genolens.genome.star_alleles import MissingPolicy
from genolens.modeling.absolute_reference import absolute_risks as absolute_risks
from genolens.modeling.bundle import Bundle
from genolens.modeling.clinical import ModelInputs, detail_of, model_inputs
from genolens.modeling.predict import band as risk_band
from genolens.modeling.predict import features_for, predict
from genolens.present.summary import (
    LIMITATIONS,
    SCHEMA,
    SECTIONS,
    BundleRef,
    DetailLine,
    DrugRow,
    Finding,
    KeyFinding,
    LedgerLine,
    ModelCardSummary,
    NotComputed,
    PanelCoverage,
    Provenance,
    ReportHeader,
    ReportSummary,
    RiskCard,
    WarfarinLine,
    absent_limitation,
    output_title,
    plain_absolute,
    plain_risk,
)
from genolens.present.words import (
    BASELINE_WORDS,
    METHOD_WORDS,
    absolute_basis,
    absolute_words,
    dose_words,
    percent,
    risk_percent,
)
from genolens.provenance import REPORT_PACKAGES, RESEARCH_USE_REPORT, package_versions
from genolens.workflows.drugs import drug_rows
from genolens.workflows.explain import explain_bundle
from genolens.workflows.findings import monogenic_findings
from genolens.workflows.warfarin import DOSE_DETAILS, WARFARIN_OUTPUT, warfarin_dose

ExplainProvider = Callable[[Bundle, ModelInputs], Mapping[str, Explanation]]
"""Gives every output of a risk bundle explained with the report's settings and the patient's clinical
inputs (the dashboard passes its session cache, so the Risk page reuses what the report computed)."""


@dataclass(frozen=True)
class BundleResult:
    """One bundle's numbers for the patient, as the report computed them."""

    bundle: str
    inputs: ModelInputs
    """The clinical inputs the model read (and those it was missing)."""
    prediction: Prediction | None
    """Every output of the bundle; ``None`` when the model made no prediction (``inputs.missing`` says why)."""
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


def patient_report(patient: PatientGenome, bundles: Sequence[Bundle], *, details: PatientDetails = NO_DETAILS,
                   report_date: dt.date | None = None, outside: Mapping[str, OutsideCall] | None = None,
                   dose_bundle: Path | None = None,
                   method: Method = "ig", baseline: BaselineChoice = "population",
                   explain: bool = True, explained: ExplainProvider | None = None,
                   pgx_missing: MissingPolicy = "pharmcat") -> PatientReport:
    """Predict with every bundle, explain every risk output, call the guideline genes, and assemble the report.

    Parameters
    ----------
    patient
        A sample read with every shipped panel (the pharmacogenomics and breast-cancer panels at least).
    bundles
        Loaded bundles; ``risk`` ones give risk cards, ``response`` ones the drug column. May be empty:
        the drug table then shows the guideline alone.
    details
        The patient's details as entered. Each model reads them under the policy of
        :mod:`genolens.modeling.clinical`: without sex a model that reads it makes no prediction; any other
        detail not given is shown at a stated reference value, named on the card.
    outside
        Outside calls by gene (PharmCAT's outside-call format: CYP2D6, HLA-B, ...); each replaces the call made
        from the file for its gene, and the report says so.
    dose_bundle
        The warfarin dose bundle (``models/warfarin_dose/<version>``) for the report's warfarin dose line;
        ``None``: no such line.
    pgx_missing
        Defining positions missing from the file: ``"pharmcat"`` calls from those present and lists the missing
        (PharmCAT's policy); ``"strict"`` gives Indeterminate whenever one is missing, PharmCAT's result beside it.
    report_date
        The date the report is made for (the CLI and the dashboard pass today); it is printed on the report
        and gives the age of a patient entered by date of birth. ``None``: undated.
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
    provider = explained or (lambda b, inputs: explain_bundle(b, patient, method=method, baseline=baseline,
                                                              clinical=inputs))
    results: list[BundleResult] = []
    cards: list[RiskCard] = []
    skipped: list[NotComputed] = []
    params: dict[str, str] = {}
    response: dict[str, OutputPrediction] = {}
    bands: dict[str, Mapping[str, float]] = {}
    no_model: dict[str, str] = {}
    for b in bundles:
        inputs = model_inputs(b.info, details, on=report_date, sexes=b.info.sexes)
        if inputs.missing:
            results.append(BundleResult(b.name, inputs, None))
            skipped.append(NotComputed(b.name, tuple(o.outcome for o in b.info.output_specs), inputs.missing))
            if b.info.kind == "response":
                no_model.update({o: inputs.missing for o in b.outputs})
            continue
        if b.info.kind == "response" or not explain:
            pred = predict(b, features_for(patient, b), inputs, ancestry=patient.ancestry)
            result = BundleResult(b.name, inputs, pred)
        else:
            explanations = dict(provider(b, inputs))
            result = BundleResult(b.name, inputs, next(iter(explanations.values())).prediction, explanations)
        results.append(result)
        assert result.prediction is not None
        if b.info.kind == "response":
            response.update({o.output: o for o in result.prediction.outputs})
            bands.update({o.output: b.bands for o in result.prediction.outputs})
            continue
        cards += [_risk_card(b, patient, result, k) for k in range(len(b.outputs))]
        if result.explanations and not params:
            first = next(iter(result.explanations.values()))
            params = {k: str(v) for k, v in sorted(first.attribution.parameters.items())}
    pgx = call_pgx(patient, outside, missing=pgx_missing)
    warnings = [*patient.qc.warnings]
    for r in patient.panels:
        warnings += panel_warnings(r, patient.qc.chromosomes)
    outcomes = {o.name: o.outcome for b in bundles if b.info.kind == "response" for o in b.info.output_specs}
    drugs = drug_rows({g.gene: g for g in pgx.genes}, patient, response, bands, no_model, outcomes)
    findings = monogenic_findings(patient)
    provenance = _provenance(patient, bundles, details, method if params else "none",
                             baseline if params else "none", params, outside or {}, pgx_missing)
    warfarin = _warfarin_line(patient, details, report_date, dose_bundle)
    summary = ReportSummary(
        schema=SCHEMA, research_use=RESEARCH_USE_REPORT, sections=tuple(sid for sid, _ in SECTIONS),
        header=_header(patient, details, report_date, provenance),
        key_findings=key_findings(findings, drugs, cards, details.reason, warfarin),
        details=_detail_lines(details, bundles, report_date, dose=dose_bundle is not None),
        risk_cards=tuple(cards), not_computed=tuple(skipped), drugs=drugs,
        warfarin=warfarin, findings=findings,
        qc_warnings=tuple(warnings),
        coverage=tuple(PanelCoverage(r.title, round(r.coverage, 6), round(r.coverage * len(r.sites)), len(r.sites))
                       for r in sorted(patient.panels, key=lambda r: r.title)),
        model_cards=tuple(model_card_summary(b) for b in bundles),
        limitations=(*LIMITATIONS, absent_limitation(patient.absent_policy)), provenance=provenance)
    return PatientReport(summary, tuple(results), pgx)


def key_findings(findings: Sequence[Finding], drugs: Sequence[DrugRow], cards: Sequence[RiskCard],
                 reason: str = "", warfarin: WarfarinLine | None = None) -> tuple[KeyFinding, ...]:
    """The report's first section, most important first.

    Carried high/moderate-penetrance variants (with their action); then drug calls that change or may change a
    prescription (red or amber, including a gene that cannot be called exactly: "either way: reduce the dose"
    still changes it, and "cannot call" asks for genotyping before prescribing): a drug the reason for the report
    names first, then exact calls before inexact ones, then red before amber; then risks in the ``high`` band.
    One ``none`` line when there is none of these.
    """
    out = [KeyFinding("variant", f"{f.variant if f.variant.startswith(f.gene) else f'{f.gene} {f.variant}'}: "
                                 f"carried ({f.genotype})",
                      "Refer for genetic counselling and confirmatory testing in an accredited laboratory.",
                      f.evidence, f.variant) for f in findings if f.status == "carrier"]
    asked = reason.lower()
    changing = [d for d in drugs if d.level in ("red", "amber")]
    changing.sort(key=lambda d: (not _named_in(d.drug, asked), d.level_text != LEVEL_WORDS[d.level],
                                 ("red", "amber").index(d.level)))
    dose = {WARFARIN_OUTPUT: f" {dose_words(warfarin)}"} if warfarin is not None else {}
    out += [KeyFinding("drug", f"{d.drug}: {d.guideline}", d.action + dose.get(d.output, ""), d.action_basis, d.output)
            for d in changing]
    out += [_risk_finding(c) for c in cards if c.band == "high"]
    if not out:
        out.append(KeyFinding("none", "No key finding",
                              "No tested high/moderate-penetrance variant is carried, no drug call changes a "
                              "prescription, and no risk is in the high band.", "See the sections below."))
    return tuple(out)


def _risk_finding(c: RiskCard) -> KeyFinding:
    """A high risk as a key finding: by age against the typical woman where given, else the model probability."""
    model = (f"Model probability of {c.outcome} in the simulated population: {percent(c.probability)} (time "
             f"horizon: {c.horizon}); {c.comparison}.")
    if c.absolute:
        r = c.absolute[0]
        return KeyFinding("risk", f"{c.title}: {risk_percent(r.risk)} risk of a diagnosis between age {r.age_from} "
                                  f"and {r.age_to} ({c.band} band)",
                          " ".join(absolute_words(x) + "." for x in c.absolute),
                          f"{absolute_basis(c.absolute)} {model}", c.output)
    return KeyFinding("risk", f"{c.title}: {percent(c.probability)} model probability in the simulated population "
                              f"({c.band} band)", c.plain, model, c.output)


def _named_in(drug: str, text: str) -> bool:
    """Whether ``text`` (lower case) names the drug or one of the drugs in its parentheses."""
    words = [w.strip(" ,)").lower() for w in drug.replace("(", ",").split(",")]
    return any(len(w) > 3 and (w in text or w.rstrip("s") in text) for w in words)


def _header(p: PatientGenome, d: PatientDetails, day: dt.date | None, prov: Provenance) -> ReportHeader:
    age = d.age_on(day)
    born = f" (born {d.date_of_birth})" if d.date_of_birth and "age" not in d.values else ""
    settings = (f"genome build {p.build.build}; sites absent from the file "
                f"{ABSENT_WORDS.get(p.absent_policy, p.absent_policy)}; explanations by "
                f"{METHOD_WORDS.get(prov.method, prov.method)} against "
                f"{BASELINE_WORDS.get(prov.baseline, prov.baseline)}; results from other tests: "
                f"{', '.join(f'{g} {c}' for g, c in prov.outside_calls.items()) or 'none'}; pharmacogenomic "
                f"positions missing from the file: {MISSING_WORDS.get(prov.pgx_missing, prov.pgx_missing)}")
    return ReportHeader(patient_id=d.patient_id, sample=p.sample, sex=d.sex or "not given",
                        age=f"{age:g} years{born}" if age is not None else "not given",
                        report_date=day.isoformat() if day else "not dated", file=p.source_name, sha256=p.sha256,
                        requester=d.requester, reason=d.reason, settings=settings)


def _warfarin_line(patient: PatientGenome, details: PatientDetails, day: dt.date | None,
                   bundle: Path | None) -> WarfarinLine | None:
    if bundle is None:
        return None
    d = warfarin_dose(patient, details, on=day, bundle_dir=bundle, explain=False)
    return WarfarinLine(d.dose_mg_per_week, d.interval, d.iwpc_algorithm_mg_per_week, dict(d.genotypes), d.flags,
                        d.missing)


def _model_words(b: Bundle) -> str:
    """A model in words for the details table (``"breast cancer model"``, ``"drug-response model"``)."""
    if b.info.kind == "response":
        return "drug-response model"
    return "; ".join(o.outcome for o in b.info.output_specs) + " model"


def _detail_lines(d: PatientDetails, bundles: Sequence[Bundle], day: dt.date | None, *,
                  dose: bool = False) -> tuple[DetailLine, ...]:
    """Every detail the form asks for: its value as entered (or "not given") and the models that read it."""
    readers: dict[str, list[str]] = {}
    for b in bundles:
        for c in b.info.covariates:
            name = "sex" if c.name == "cov_sex" else detail_of(c.name) or c.name
            readers.setdefault(name, []).append(_model_words(b))
    readers["height"] = readers["weight"] = [f"{x} (through BMI)" for x in readers.get("bmi", [])]
    for name in DOSE_DETAILS if dose else ():
        readers.setdefault(name, []).append("warfarin dose model")
    def used(name: str) -> str:
        return ", ".join(readers.get(name, [])) or "no model"

    lines = [DetailLine("Sex", d.sex or "not given", used("sex")),
             DetailLine("Race (OMB group)", d.race or "not given", used("race"))]
    age = d.age_on(day)
    lines.append(DetailLine("Age", "not given" if age is None else f"{age:g} years"
                            + (f" (born {d.date_of_birth})" if d.date_of_birth else ""),
                            used("age")))
    for spec in CLINICAL_INPUTS:
        if spec.name == "age":
            continue
        v = d.values.get(spec.name)
        if spec.name == "bmi" and (bmi := d.bmi_from_height_and_weight()) is not None:
            lines.append(DetailLine(spec.label, f"{bmi:g} {spec.units} (from height and weight)",
                                    used(spec.name)))
            continue
        shown = "not given" if v is None else ("yes" if v else "no") if spec.kind == "yes/no" else f"{v:g} {spec.units}"
        lines.append(DetailLine(spec.label, shown.strip(), used(spec.name)))
    return tuple(lines)


def _risk_card(b: Bundle, patient: PatientGenome, result: BundleResult, k: int) -> RiskCard:
    """The card of output ``k`` of risk bundle ``b`` from the numbers the report computed."""
    output = b.outputs[k]
    pred = result.prediction
    assert pred is not None  # cards are made only for bundles that predicted
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
    n_read = int(b.reads.sum())
    badge = (f"Coverage {pred.coverage:.0%} ({round(pred.coverage * n_read)} of {n_read} variants read)"
             + (f"; needs {b.coverage_threshold:.0%}" if low else ""))
    spec = b.info.output(output)
    comparison = model_comparison(b, k)
    absolute = absolute_risks(b, output, pred, result.inputs)
    risks = absolute.risks if absolute else ()
    # one reference point for the headline, the band and the sentence: the typical woman of the same age where a
    # risk by age is given (the model probability's own band mixes in age and both sexes), else the model's
    card_band, plain = ((risk_band(risks[0].ratio, b.bands), plain_absolute(risks[0])) if risks else
                        (o.band, plain_risk(o.relative_risk, o.percentile)))
    return RiskCard(
        bundle=b.name, output=output, title=output_title(output), outcome=spec.outcome, horizon=spec.horizon,
        comparison=comparison, assumed=result.inputs.assumed, probability=float(o.probability),
        interval=(float(o.interval[0]), float(o.interval[1])), percentile=float(o.percentile),
        relative_risk=float(o.relative_risk), band=card_band, plain=plain,
        coverage=float(pred.coverage), coverage_threshold=float(b.coverage_threshold), coverage_badge=badge,
        reliability_grade=grade, reliability_reasons=reasons,
        sensitivity_band=(float(band[0]), float(band[1])), sensitivity_note=note,
        flags=tuple(f.message for f in o.flags), baseline_caption=caption, baseline_probability=base_p,
        top_rows=rows, ledger_total=total, absolute=risks,
        absolute_note=absolute.note if absolute else "")


def model_comparison(b: Bundle, k: int) -> str:
    """Whom the model's probability, relative risk and percentile compare the patient with, in words."""
    return (f"relative risk against the mean probability of the simulated reference population "
            f"({percent(float(b.mean_probability[k]))}: {b.info.people} of the training simulation, a mean that "
            f"carriers pull above the typical person's); percentile among the same population "
            f"({b.reference.logits.shape[1]:,} reference scores)")


def model_card_summary(b: Bundle) -> ModelCardSummary:
    """What a reader must know about bundle ``b`` before reading its numbers."""
    card = b.info
    return ModelCardSummary(
        name=b.name, version=b.version, kind=card.kind, intended_use=card.intended_use, training=card.training,
        research_use=card.research_use or RESEARCH_USE_REPORT, auroc=dict(card.network_auroc),
        limitations=card.limitations)


def _provenance(p: PatientGenome, bundles: Sequence[Bundle], details: PatientDetails, method: str,
                baseline: str, params: Mapping[str, str], outside: Mapping[str, OutsideCall],
                pgx_missing: MissingPolicy) -> Provenance:
    refs = tuple(BundleRef(b.name, b.version, b.info.weights_sha256, b.panel.name, b.panel.sha256) for b in bundles)
    return Provenance(file=p.source_name, sha256=p.sha256, sample=p.sample, build=p.build.build,
                      build_source=p.build.source, build_evidence=p.build.evidence, absent_policy=p.absent_policy,
                      read_mode=p.read_mode,
                      ancestry=p.ancestry.words if p.ancestry is not None else "not estimated (not asked for)",
                      details={k: str(v) for k, v in sorted(details_record(details).items())}, bundles=refs,
                      method=method, outside_calls={g: c.diplotype for g, c in sorted(outside.items())},
                      baseline=baseline, attribution_parameters=dict(params),
                      packages=package_versions(REPORT_PACKAGES), pgx_missing=pgx_missing)
