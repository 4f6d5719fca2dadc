"""The report's content: drug rows against the guideline, findings, plain-language risk, determinism."""

from __future__ import annotations

from pathlib import Path

import pytest

from genolens.datamodel import PatientGenome
from genolens.datamodel.clinical import PatientDetails
from genolens.genome.patient import read_patient
from genolens.modeling.bundle import MODELS_DIR, bundle_paths, load_bundle
from genolens.present.summary import DrugRow, ReportSummary, plain_risk
from genolens.workflows import patient_report
from tests.factories import DATA, ROOT

DEMO = ROOT / "data" / "demo"
needs_models = pytest.mark.skipif(not bundle_paths(MODELS_DIR),
                                  reason="no trained bundles under models/ (run make models)")


def shipped(name: str) -> Path:
    """The newest shipped version of bundle ``name`` (skips the test when it is not trained)."""
    found = [p for p in bundle_paths(MODELS_DIR) if p.parent.name == name]
    if not found:
        pytest.skip(f"models/{name} not trained (run make models)")
    return found[0]


def read(path: Path, **kw: object) -> PatientGenome:
    return read_patient(path, qc_records=2_000, **kw)  # type: ignore[arg-type]


def drug(summary: ReportSummary, name: str) -> DrugRow:
    return next(d for d in summary.drugs if d.drug.startswith(name))


@pytest.fixture(scope="module")
def dpyd_demo() -> ReportSummary:
    return patient_report(read(DEMO / "dpyd_2A_heterozygote.vcf.gz"), ()).summary


def test_dpyd_2a_heterozygote_is_intermediate_with_half_dose() -> None:
    # Every DPYD position called (hom-ref written out), *2A heterozygous: activity score 1.
    row = drug(patient_report(read(DATA / "pgx_dpyd_2a_het.vcf"), ()).summary, "Fluoropyrimidines")
    assert row.guideline == "DPYD Intermediate Metabolizer (activity score 1; Reference/c.1905+1G>A (*2A))"
    assert row.action.startswith("Reduce starting dose by 50%")
    assert (row.level, row.level_text) == ("amber", "Adjust or check")
    assert "Paraphrase of the cited guideline" in row.action_basis
    # CPIC 2017 DPYD: Intermediate Metabolizer -> 50% starting dose, classification "Moderate".
    assert (row.source, row.strength) == ("CPIC", "Moderate") and row.guideline_version.startswith("CPIC 2017")
    assert row.model_probability is None and row.agreement.startswith("No model prediction")


def test_dpyd_demo_is_called_from_the_positions_present_as_pharmcat_does(dpyd_demo: ReportSummary) -> None:
    # The demo VCF lists variant sites only: the other DPYD positions are absent, never assumed reference. As
    # PharmCAT does, the gene is called from the positions present (*2A heterozygous: Reference/*2A, activity
    # score 1) and the missing positions are listed on the call (pgx.GeneCall.missing_positions).
    row = drug(dpyd_demo, "Fluoropyrimidines")
    assert row.genes[0].phenotype == "Intermediate Metabolizer"
    assert row.guideline == "DPYD Intermediate Metabolizer (activity score 1; Reference/c.1905+1G>A (*2A))"
    assert "Reduce starting dose by 50%" in row.action
    # ... and the action says what the call did not see: the DPYD positions absent from the file, counted from
    # the call itself, and the untested alleles that would lower the activity score named first
    gene = row.genes[0]
    assert gene.missing_positions
    assert f"{len(gene.missing_positions)} defining positions not in the file" in row.action
    assert "alleles not tested: c.61C>T" in row.action


def test_cyp2c19_poor_metabolizer_gets_an_alternative_antiplatelet() -> None:
    row = drug(patient_report(read(DEMO / "cyp2c19_2_2.vcf.gz"), ()).summary, "Clopidogrel")
    assert row.guideline == "CYP2C19 Poor Metabolizer (*2/*2)"
    assert "alternative antiplatelet (prasugrel or ticagrelor)" in row.action
    assert (row.level, row.level_text) == ("red", "Avoid / alternative")


def test_brca1_carrier_is_found_first_and_untested_genes_are_said(tmp_path: Path) -> None:
    s = patient_report(read(DEMO / "brca1_185delAG_carrier.vcf.gz"), ()).summary
    first = s.findings[0]
    assert (first.gene, first.variant, first.status, first.genotype) == (
        "BRCA1", "BRCA1 185delAG (rs80357914)", "carrier", "0/1")
    assert "heterozygous" in first.note and "high penetrance" in first.evidence
    assert [f.status for f in s.findings].count("carrier") == 1
    atm = next(f for f in s.findings if f.gene == "ATM")
    assert atm.status == "not tested" and "no variant" in atm.note
    brca2 = next(f for f in s.findings if f.gene == "BRCA2")
    assert brca2.status == "not tested" and "absent" in brca2.note  # variant-only VCF: absent is not "not carried"


def test_provenance_and_no_models(dpyd_demo: ReportSummary) -> None:
    p = dpyd_demo.provenance
    assert (p.sample, p.build, p.absent_policy, p.bundles, p.method) == ("DEMO_DPYD", "GRCh38", "missing", (), "none")
    assert dpyd_demo.risk_cards == () and dpyd_demo.model_cards == ()
    assert len(dpyd_demo.drugs) == 13 and "Research use only" in dpyd_demo.research_use
    assert any("simulated cohorts" in x for x in (dpyd_demo.research_use, *dpyd_demo.limitations))


def test_risk_in_plain_words() -> None:
    assert plain_risk(2.1, 91.4).startswith("About 2.1× the mean risk of the simulated reference population (the "
                                            "mean is")
    assert "about 91 in 100 people" in plain_risk(2.1, 91.4)
    assert plain_risk(1.02, 50).startswith("About the mean risk")
    assert "(60% lower)" in plain_risk(0.4, 20)


@needs_models
def test_risk_card_of_a_brca1_carrier_shows_the_variant_and_its_caveats() -> None:
    bundle = load_bundle(shipped("breast_cancer"))
    s = patient_report(read(DEMO / "brca1_185delAG_carrier.vcf.gz"), (bundle,),
                       details=PatientDetails(sex="female", values={"age": 38.0})).summary
    (card,) = s.risk_cards
    assert card.title == "Breast cancer" and card.bundle == "breast_cancer"
    assert card.top_rows[0].label.startswith("BRCA1") and card.top_rows[0].contribution > 0
    assert card.plain.startswith("About") and "reference population" in card.plain
    assert card.sensitivity_band[0] <= card.probability <= card.sensitivity_band[1]
    assert card.reliability_grade in ("A", "B", "C") and card.coverage_badge.startswith("Coverage ")
    assert s.provenance.bundles[0].weights_sha256 == bundle.card["provenance"]["weights_sha256"]
    assert s.provenance.method == "ig" and s.provenance.attribution_parameters["seed"] == "0"
    assert s.model_cards[0].auroc["y_breast_cancer"] == pytest.approx(
        bundle.card["metrics"]["y_breast_cancer"]["network_auroc"])


@needs_models
def test_model_and_guideline_agreement_is_consistent() -> None:
    bundle = load_bundle(shipped("treatment_response"))
    s = patient_report(read(DEMO / "cyp2c19_2_2.vcf.gz"), (bundle,), details=PatientDetails(sex="male")).summary
    assert s.risk_cards == ()  # a response model gives the drug column, not a risk card
    for row in s.drugs:
        if row.output.startswith("guideline:"):  # a guideline-only drug: no model output, said so
            assert row.model_probability is None and row.agreement == "No model for this drug; guideline only."
            continue
        assert row.model_probability is not None and row.model_relative_risk is not None
        flagged = row.model_relative_risk >= bundle.bands["above_average"]
        if row.level_text == "Avoid / alternative" and not flagged:
            assert row.agreement == "Conflict: model does not flag a guideline-actionable genotype."
        if row.level_text == "Standard" and flagged:
            pytest.fail(f"{row.drug}: a model-flagged, guideline-normal row must not stay green")
    clop = drug(s, "Clopidogrel")
    assert clop.agreement.startswith(("Agree: both flag", "Conflict: model does not flag"))
