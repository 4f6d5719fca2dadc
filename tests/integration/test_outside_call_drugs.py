"""Outside calls end to end: PharmCAT's own example outside-call file and VCF give PharmCAT's published CYP2D6
call and the CPIC lines for it; without outside calls CYP2D6/HLA-B drugs need an outside result."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from genolens.datamodel import PatientGenome
from genolens.genome import call_pgx, read_outside_calls, read_patient
from genolens.genome.outside_calls import OutsideCall
from genolens.genome.pgx import pgx_panels
from genolens.present.summary import DrugRow
from genolens.workflows import drug_rows
from tests.factories import DATA, need_shared


def _rows(patient: PatientGenome, outside: dict[str, OutsideCall] | None) -> dict[str, DrugRow]:
    report = call_pgx(patient, outside)
    return {r.drug: r for r in drug_rows({g.gene: g for g in report.genes}, patient, {}, {})}


def _pharmcat_row(path: Path, gene: str) -> dict[str, str]:
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    header = rows[1]  # row 0 is the PharmCAT version line
    return next(dict(zip(header, r, strict=False)) for r in rows[2:] if r and r[0] == gene)


@pytest.fixture(scope="module")
def example() -> tuple[PatientGenome, dict[str, OutsideCall], Path]:
    folder = need_shared("corpus", "pgx", "pharmcat-examples")
    patient = read_patient(folder / "pharmcat.example.vcf", panels=pgx_panels())
    outside = read_outside_calls((folder / "pharmcat.example.outsideCall.tsv").read_text())
    return patient, outside, folder / "pharmcat.example.report.tsv"


@pytest.mark.corpus
def test_pharmcat_example_outside_cyp2d6_matches_pharmcats_report(example: tuple[PatientGenome, dict[
        str, OutsideCall], Path]) -> None:
    patient, outside, report_tsv = example
    oracle = _pharmcat_row(report_tsv, "CYP2D6")  # PharmCAT v3.1.0: *1/*3 IM, AS 1.0, outside call yes
    cyp2d6 = call_pgx(patient, outside).gene("CYP2D6")
    assert cyp2d6.diplotypes == (oracle["Source Diplotype"],)
    assert cyp2d6.phenotype == oracle["Phenotype"]
    assert cyp2d6.activity_score == float(oracle["Activity Score"])
    assert cyp2d6.outside_call and oracle["Outside Call"] == "yes"


@pytest.mark.corpus
def test_pharmcat_example_codeine_tamoxifen_abacavir_lines(example: tuple[PatientGenome, dict[
        str, OutsideCall], Path]) -> None:
    patient, outside, _ = example
    rows = _rows(patient, outside)
    # CPIC 2021 codeine (Crews et al.), CYP2D6 IM (AS 0.25-1): label dosing; if no response, a non-tramadol
    # opioid. Classification: Moderate.
    codeine = rows["Codeine"]
    assert (codeine.level, codeine.strength, codeine.source) == ("amber", "Moderate", "CPIC")
    assert codeine.action == ("Use the label's age- or weight-specific codeine dosing; if there is no response and an "
                              "opioid is warranted, consider a non-tramadol opioid.")
    assert codeine.guideline == "CYP2D6 Intermediate Metabolizer (outside call; activity score 1; *1/*3)"
    assert codeine.genes[0].outside_call
    # CPIC 2018 tamoxifen (Goetz et al.), AS 1.0 (no *10): consider an aromatase inhibitor; 40 mg/day if
    # contraindicated. Classification for AS 1: Optional.
    tamoxifen = rows["Tamoxifen"]
    assert (tamoxifen.level, tamoxifen.strength) == ("amber", "Optional")
    assert tamoxifen.action.startswith("Consider an aromatase inhibitor (postmenopausal)")
    assert "tamoxifen 40 mg/day" in tamoxifen.action
    assert tamoxifen.guideline_version.startswith("CPIC 2018 tamoxifen")
    for row in (codeine, tamoxifen):
        assert row.model_probability is None and row.agreement == "No model for this drug; guideline only."
    # HLA-B *15:02/*57:01 (the outside-call file): *57:01 positive -> abacavir not recommended (CPIC, Strong).
    abacavir = rows["Abacavir"]
    assert (abacavir.level, abacavir.strength) == ("red", "Strong")
    assert abacavir.action.startswith("HLA-B*57:01 positive: abacavir is not recommended")


@pytest.mark.corpus
def test_without_outside_calls_cyp2d6_and_hla_drugs_need_an_outside_result(example: tuple[
        PatientGenome, dict[str, OutsideCall], Path]) -> None:
    patient, _, _ = example
    rows = _rows(patient, None)
    for name in ("Abacavir", "Allopurinol", "Codeine", "Tamoxifen"):
        row = rows[name]
        assert (row.level, row.level_text) == ("grey", "Needs an outside result"), name
        assert row.action.startswith("Needs an outside result:") and row.strength == ""
    assert rows["Rasburicase"].level == "green"  # G6PD B/B called from the VCF: Normal (PharmCAT agrees)
    assert _pharmcat_row(need_shared("corpus", "pgx", "pharmcat-examples", "pharmcat.example.report.tsv"),
                         "G6PD")["Phenotype"] == "Normal"


def test_outside_call_replaces_the_vcf_call_and_says_so() -> None:
    patient = read_patient(DATA / "pgx_tpmt_unphased_double_het.vcf", panels=pgx_panels())
    assert call_pgx(patient).gene("HLA-B").phenotype == "positive"  # the tag SNP
    hla = call_pgx(patient, read_outside_calls("HLA-B\t*08:01/*44:02\n")).gene("HLA-B")
    assert hla.outside_call and hla.phenotype == "*15:02 negative; *57:01 negative; *58:01 negative"
    assert "replaces the VCF-based call (positive)" in hla.note
    rows = _rows(patient, read_outside_calls("HLA-B\t*08:01/*44:02\n"))
    assert (rows["Abacavir"].level, rows["Abacavir"].level_text) == ("green", "Standard")


def test_outside_call_for_a_panel_gene_uses_the_panel_alleles() -> None:
    patient = read_patient(DATA / "pgx_dpyd_2a_het.vcf", panels=pgx_panels())
    tpmt = call_pgx(patient, read_outside_calls("TPMT\t*1/*3A\n")).gene("TPMT")
    assert (tpmt.phenotype, tpmt.outside_call) == ("Intermediate Metabolizer", True)  # one no-function allele


def test_ugt1a1_star1_star80_says_unknown_function_not_phase() -> None:
    patient = read_patient(DATA / "pgx_ugt1a1_1_80.vcf", panels=pgx_panels())
    ugt = call_pgx(patient).gene("UGT1A1")
    assert ugt.diplotypes == ("*1/*80",) and ugt.missing_positions == ("rs35350960",)  # *27 untested
    # *80 alone is of unknown function (PharmCAT/CPIC UGT1A1 allele functionality); with a *1 beside it the
    # phenotype is Normal or Intermediate, and DPWG changes irinotecan dosing only for Poor Metabolizers.
    assert ugt.phenotype == "Indeterminate"  # PharmCAT's table: *1/*80 (normal + unknown function)
    row = _rows(patient, None)["Irinotecan"]
    assert "*80 alone is of unknown function" in row.action and "phase" not in row.action.lower()
    assert (row.level, row.source) == ("green", "DPWG")
