"""Warfarin dose from a VCF and the patient's details: genotypes, dose, ledger, the CLI; concordance on IWPC."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from genolens.datamodel.clinical import patient_details
from genolens.genome import read_patient
from genolens.modeling.iwpc import design_matrix, iwpc_csv, load_iwpc, split_iwpc
from genolens.workflows.warfarin import concordance, warfarin_dose
from tests.factories import DATA, ROOT

DETAILS = patient_details({"age": 67, "height": 170, "weight": 80, "race": "White", "amiodarone": False,
                           "enzyme_inducer": False})
# The IWPC pharmacogenetic algorithm by hand for this patient (6 decades, 170 cm, 80 kg, White, no drugs):
# sqrt(dose) = 5.6044 - 0.2614*6 + 0.0087*170 + 0.0128*80 = 6.5390 with CYP2C9 *1/*1 and VKORC1 G/G.
S_GG_11 = 6.5390


def dose(fixture: str, details=DETAILS, **kw):  # type: ignore[no-untyped-def]
    return warfarin_dose(read_patient(DATA / fixture, **kw), details, on=None)


def test_vkorc1_aa_cyp2c9_13_gets_a_lower_dose_than_gg_11_for_the_same_details() -> None:
    low, high = dose("warfarin_vkorc1_AA_cyp2c9_1_3.vcf"), dose("warfarin_vkorc1_GG_cyp2c9_1_1.vcf")
    assert dict(low.genotypes) == {"CYP2C9": "*1/*3", "VKORC1": "A/A"}
    assert dict(high.genotypes) == {"CYP2C9": "*1/*1", "VKORC1": "G/G"}
    assert low.dose_mg_per_week is not None and high.dose_mg_per_week is not None
    assert low.dose_mg_per_week < high.dose_mg_per_week
    assert high.iwpc_algorithm_mg_per_week == pytest.approx(S_GG_11**2, rel=1e-9)
    assert low.iwpc_algorithm_mg_per_week == pytest.approx((S_GG_11 - 1.6974 - 0.9357) ** 2, rel=1e-9)
    for d in (low, high):
        assert d.interval is not None and d.interval[0] < d.dose_mg_per_week < d.interval[1]
        assert d.dose_mg_per_day == pytest.approx(d.dose_mg_per_week / 7)
        assert d.flags == () and d.missing == ()


def test_the_ledger_adds_up_within_1_percent_and_puts_the_genotypes_first() -> None:
    d = dose("warfarin_vkorc1_AA_cyp2c9_1_3.vcf")
    led = d.ledger
    assert led is not None and led.complete
    change = led.model_mean_mg_per_week - led.model_baseline_mg_per_week
    assert abs(led.residual) < 0.01 * abs(change)
    assert sum(r.model_mg_per_week for r in led.rows) + led.residual == pytest.approx(change, rel=1e-9)
    algo_change = led.iwpc_mg_per_week - led.iwpc_baseline_mg_per_week
    assert sum(r.iwpc_mg_per_week for r in led.rows) == pytest.approx(algo_change, abs=1e-9)
    by = {r.factor: r for r in led.rows}
    assert by["VKORC1"].model_mg_per_week < 0 and by["CYP2C9"].model_mg_per_week < 0
    assert by["VKORC1"].iwpc_mg_per_week < by["CYP2C9"].iwpc_mg_per_week < 0
    assert min(led.rows, key=lambda r: r.model_mg_per_week).factor == "VKORC1"


def test_one_star2_and_one_star3_is_cyp2c9_23() -> None:
    assert dict(dose("warfarin_cyp2c9_2_3_vkorc1_AG.vcf").genotypes) == {"CYP2C9": "*2/*3", "VKORC1": "A/G"}


def test_a_missing_vkorc1_site_is_coded_unknown_and_flagged() -> None:
    d = dose("warfarin_vkorc1_site_missing.vcf")
    assert dict(d.genotypes) == {"CYP2C9": "*1/*1", "VKORC1": "unknown"}
    assert len(d.flags) == 1 and "VKORC1 coded unknown" in d.flags[0] and "rs9923231 absent" in d.flags[0]
    assert d.iwpc_algorithm_mg_per_week == pytest.approx((S_GG_11 - 0.4854) ** 2, rel=1e-9)
    assert d.inputs is not None and d.inputs["vkorc1_unknown"] == 1.0
    # declared a whole-genome call set, the absent site is hom-ref: G/G, no flag
    ref = dose("warfarin_vkorc1_site_missing.vcf", absent="reference")
    assert ref.genotypes["VKORC1"] == "G/G" and ref.flags == ()


def test_missing_race_or_height_gives_no_dose_and_says_which() -> None:
    d = dose("warfarin_vkorc1_GG_cyp2c9_1_1.vcf", patient_details({"age": 67, "weight": 80}))
    assert d.dose_mg_per_week is None and d.interval is None and d.iwpc_algorithm_mg_per_week is None
    assert d.ledger is None and len(d.missing) == 2
    assert d.missing[0].startswith("height not given") and d.missing[1].startswith("race not given")
    assert any("amiodarone not given" in f for f in d.flags) and any("enzyme inducer" in f for f in d.flags)


def _cli(*args: str) -> dict:  # type: ignore[type-arg]
    out = subprocess.run([sys.executable, "-m", "genolens", *args], capture_output=True, text=True, cwd=ROOT,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


DETAIL_ARGS = ("--detail", "age=67", "--detail", "height=170", "--detail", "weight=80", "--detail", "race=White")


def test_cli_predict_and_explain_warfarin_json() -> None:
    vcf = str(DATA / "warfarin_vkorc1_AA_cyp2c9_1_3.vcf")
    p = _cli("predict", vcf, "--model", "warfarin_dose", *DETAIL_ARGS, "--json")
    assert set(p) == {"dose_mg_per_week", "dose_mg_per_day", "interval_mg_per_week", "iwpc_algorithm_mg_per_week",
                      "genotypes", "flags", "missing"}
    assert p["genotypes"] == {"CYP2C9": "*1/*3", "VKORC1": "A/A"} and p["missing"] == []
    assert p["iwpc_algorithm_mg_per_week"] == pytest.approx((S_GG_11 - 1.6974 - 0.9357) ** 2, rel=1e-9)
    e = _cli("explain", vcf, "--model", "warfarin_dose", *DETAIL_ARGS, "--json")
    assert e["dose_mg_per_week"] == pytest.approx(p["dose_mg_per_week"], rel=1e-12)
    rows = e["ledger"]["rows"]
    assert [r["factor"] for r in rows][3:5] == ["VKORC1", "CYP2C9"]
    assert set(rows[0]) == {"factor", "model_mg_per_week", "iwpc_algorithm_mg_per_week"}
    assert abs(e["ledger"]["completeness_residual_mg_per_week"]) < 0.01 * abs(
        e["ledger"]["model_mean_mg_per_week"] - e["ledger"]["model_baseline_mg_per_week"])
    issue_form = _cli("predict", vcf, "--model", "warfarin_dose", "--clinical", "age=67", "height_cm=170",
                      "weight_kg=80", "race=White", "amiodarone=0", "enzyme_inducer=0", "--json")
    assert issue_form == {**p, "flags": []}  # the same patient; amiodarone and inducer given, so nothing flagged
    no_race = _cli("predict", vcf, "--model", "warfarin_dose", *DETAIL_ARGS[:-2], "--json")
    assert no_race["dose_mg_per_week"] is None and no_race["missing"][0].startswith("race not given")


CSV = iwpc_csv()


@pytest.mark.corpus
@pytest.mark.skipif(CSV is None, reason="../shared/datasets/iwpc_warfarin/iwpc_warfarin.csv is absent")
def test_genotype_contributions_agree_with_the_algorithm_on_held_out_patients() -> None:
    assert CSV is not None
    cohort = load_iwpc(CSV)
    _, validation = split_iwpc(cohort, seed=2009)
    X, _ = design_matrix(cohort)
    idx = np.flatnonzero(validation)[::4]  # every fourth held-out patient (210): the full 839 in the closing note
    c = concordance(X[idx])
    assert c["n"] == len(idx) and c["max_relative_residual"] < 0.01
    assert c["VKORC1"]["pearson_r"] > 0.9 and c["CYP2C9"]["pearson_r"] > 0.9


@pytest.mark.corpus
@pytest.mark.skipif(CSV is None, reason="../shared/datasets/iwpc_warfarin/iwpc_warfarin.csv is absent")
def test_the_shipped_baseline_is_the_derivation_mean_with_reference_genotypes() -> None:
    import tomllib

    assert CSV is not None
    card = tomllib.loads((ROOT / "models" / "warfarin_dose" / "1.0.0" / "card.toml").read_text(encoding="utf-8"))
    cohort = load_iwpc(CSV)
    derivation, _ = split_iwpc(cohort, seed=card["bundle"]["seed"])
    d = cohort.subset(derivation)
    base = dict(zip(card["explain"]["baseline"]["names"], card["explain"]["baseline"]["values"], strict=True))
    assert base["age_decades"] == pytest.approx(float(np.mean(d.age_decades)), rel=1e-12)
    assert base["weight_kg"] == pytest.approx(float(np.mean(d.weight_kg)), rel=1e-12)
    assert base["asian"] == pytest.approx(float(np.mean(d.race == "Asian")), rel=1e-12)
    assert base["amiodarone"] == pytest.approx(float(np.mean(d.amiodarone)), rel=1e-12)
    assert all(v == 0.0 for k, v in base.items() if k.startswith(("vkorc1_", "cyp2c9_")))


def test_the_what_if_gives_the_dose_of_a_file_with_those_genotypes_and_flags_the_change() -> None:
    from genolens.errors import OptionError

    gg = read_patient(DATA / "warfarin_vkorc1_GG_cyp2c9_1_1.vcf")
    edited = warfarin_dose(gg, DETAILS, on=None, what_if={"VKORC1": "A/A", "CYP2C9": "*1/*3"})
    read = dose("warfarin_vkorc1_AA_cyp2c9_1_3.vcf")  # a file that has those genotypes
    assert dict(edited.genotypes) == dict(read.genotypes) == {"CYP2C9": "*1/*3", "VKORC1": "A/A"}
    assert edited.dose_mg_per_week == pytest.approx(read.dose_mg_per_week, rel=1e-12)
    assert edited.iwpc_algorithm_mg_per_week == pytest.approx(read.iwpc_algorithm_mg_per_week, rel=1e-12)
    assert edited.flags == ("what-if: VKORC1 set to A/A; read from the file: G/G.",
                            "what-if: CYP2C9 set to *1/*3; read from the file: *1/*1.")
    same = warfarin_dose(gg, DETAILS, on=None, what_if={"VKORC1": "G/G"})  # what was read: no change, no flag
    assert same.flags == () and same.dose_mg_per_week == dose("warfarin_vkorc1_GG_cyp2c9_1_1.vcf").dose_mg_per_week
    for bad in ({"VKORC1": "T/T"}, {"CYP2C19": "*2/*2"}):
        with pytest.raises(OptionError, match="what-if"):
            warfarin_dose(gg, DETAILS, on=None, what_if=bad)


def test_the_cli_report_line_names_the_real_patient_model_beside_the_simulated_ones(tmp_path) -> None:  # type: ignore[no-untyped-def]
    vcf = str(DATA / "warfarin_vkorc1_AA_cyp2c9_1_3.vcf")
    out = subprocess.run([sys.executable, "-m", "genolens", "report", vcf, *DETAIL_ARGS, "--detail", "sex=male",
                          "--format", "json", "--out", str(tmp_path / "r.json")], capture_output=True, text=True,
                         cwd=ROOT, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    assert "warfarin_dose (real IWPC patients)" in out.stdout
    assert "models trained on simulated cohorts, except the warfarin dose model (real IWPC patients)" in out.stdout
    record = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    row = next(r for r in record["drugs"] if r["drug"] == "Warfarin")
    assert record["warfarin"]["dose_mg_per_week"] is not None and row["model_probability"] is not None
