"""``python -m genolens inspect``: JSON contract and error lines."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.factories import DATA, ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "genolens", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, check=False)


def test_inspect_json_has_the_documented_fields() -> None:
    out = _run("inspect", str(DATA / "multiallelic_tpmt.vcf"), "--sample", "HET_3C_41", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["samples"] == ["HET_3C_41", "HOM_41", "HET_3C"] and d["sample"] == "HET_3C_41"
    assert d["build"] == "GRCh38" and d["build_evidence"] and isinstance(d["qc"], dict)
    pgx = d["panels"]["pharmacogenomics"]
    assert 0 <= pgx["coverage"] <= 1 and len(pgx["sites"]) == 37
    tpmt = next(s for s in pgx["sites"] if s["rsid"] == "rs1142345")
    assert (tpmt["gene"], tpmt["status"], tpmt["genotype"], tpmt["dosage"]) == ("TPMT", "called", "1/2", 1.0)
    absent = next(s for s in pgx["sites"] if s["rsid"] == "rs3918290")
    assert (absent["status"], absent["genotype"], absent["dosage"]) == ("absent", None, None)


def test_absent_policy_flag_reaches_the_features() -> None:
    out = _run("inspect", str(DATA / "chr_prefix_mismatch.vcf"), "--absent", "reference", "--json")
    d = json.loads(out.stdout)
    assert d["absent_policy"] == "reference"
    dpyd = next(s for s in d["panels"]["pharmacogenomics"]["sites"] if s["rsid"] == "rs3918290")
    assert (dpyd["status"], dpyd["origin"]) == ("absent", "assumed_reference")


@pytest.mark.parametrize("args", [
    ("inspect", str(DATA / "not_a_vcf.txt")),
    ("inspect", str(DATA / "malformed_upload.vcf"), "--json"),
    ("inspect", str(DATA / "multiallelic_tpmt.vcf")),
    ("inspect", str(DATA / "grch37_cyp3a5_homref.vcf"), "--build", "GRCh38"),
    ("inspect", "/nonexistent/file.vcf"),
    ("inspect", str(DATA / "chr_prefix_mismatch.vcf"), "--build", "hg19"),
    ("frobnicate",),
])
def test_bad_input_exits_2_with_one_error_line(args: tuple[str, ...]) -> None:
    out = _run(*args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_text_output_names_build_coverage_and_policy() -> None:
    out = _run("inspect", str(DATA / "absent_vs_nocall_vs_filtered_vs_refblock.vcf"))
    assert out.returncode == 0
    assert "GRCh38" in out.stdout and "coverage 8% of 37" in out.stdout
    assert "treated as: missing" in out.stdout and "Research use only." in out.stdout


def test_pgx_json_reports_ambiguity_instead_of_picking() -> None:
    out = _run("pgx", str(DATA / "pgx_tpmt_unphased_double_het.vcf"), "--json")
    assert out.returncode == 0, out.stderr
    tpmt = json.loads(out.stdout)["genes"]["TPMT"]
    assert sorted(tpmt["diplotypes"]) == ["*1/*3A", "*3B/*3C"]
    assert set(tpmt) >= {"diplotypes", "phenotype", "activity_score", "missing_positions"}


def test_cli_choices_match_the_engine() -> None:
    from genolens import cli
    from genolens.explain.attribution_methods import METHODS
    from genolens.explain.explanation import BASELINE_CHOICES

    assert tuple(METHODS) == cli.METHODS and tuple(BASELINE_CHOICES) == cli.BASELINES


def test_inspect_does_not_load_torch() -> None:
    out = subprocess.run([sys.executable, "-c", "import sys; from genolens.cli import main; "
                          "print('torch' in sys.modules, 'captum' in sys.modules)"],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.skipif(not (ROOT / "models" / "type_2_diabetes").is_dir(), reason="no shipped models")
def test_predict_makes_no_estimate_without_sex_and_names_what_it_assumed() -> None:
    demo = str(ROOT / "data" / "demo" / "dpyd_2A_heterozygote.vcf.gz")
    none = json.loads(_run("predict", demo, "--absent", "reference", "--detail", "age=63", "--json").stdout)
    assert none["predictions"] == {} and set(none["not_computed"]) >= {"breast_cancer", "type_2_diabetes"}
    assert all(why.startswith("sex not given") for why in none["not_computed"].values())
    given = json.loads(_run("predict", demo, "--absent", "reference", "--details",
                            str(ROOT / "data" / "demo" / "details.toml"), "--detail", "age=70", "--json").stdout)
    t2d = given["predictions"]["type_2_diabetes"]["y_type_2_diabetes"]
    # the DPYD demo patient is a man: the women-only breast-cancer model makes no estimate, and says why
    assert given["not_computed"] == {"breast_cancer": "this model is meant for female patients only; the patient is "
                                                      "male"} and any(f["code"] == "assumed_clinical" for f in
                                                given["predictions"]["coronary_artery_disease"]
                                                ["y_coronary_artery_disease"]["flags"])
    assert 0 < t2d["probability"] < 1
    bad = _run("predict", demo, "--detail", "age=170")
    assert bad.returncode == 2 and bad.stderr.startswith("error: Age 170 years is outside the plausible range")
