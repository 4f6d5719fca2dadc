"""GenoLens's absolute risk against py-icare's on iCARE's own example data (the known answer).

Same inputs on both sides: the rate files, the 72-SNP reference population (taken from py-icare's
model object, which simulates it from the SNP file with a fixed seed), the questionnaire models'
reference samples. GenoLens's linear predictors for the questionnaire models are built here with
patsy from the formula and log odds ratio files, not by py-icare. Skipped when
``../shared/datasets/icare`` or py-icare (a test-only dependency) is absent.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from genolens.modeling.absolute_risk import (
    absolute_risk,
    baseline_hazard,
    partial_profile_risk,
)
from genolens.modeling.incidence import breast_cancer_rates, read_rate_table
from genolens.modeling.risk_validation import check_on_cohort

ICARE = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "icare"
BPC3, LIT = ICARE / "BPC3", ICARE / "iCARE-Lit"
pytestmark = [pytest.mark.corpus,
              pytest.mark.skipif(not ICARE.is_dir(), reason="../shared/datasets/icare is absent"),
              # py-icare 1.0.0 calls pandas APIs the installed pandas deprecates; its results are unaffected
              pytest.mark.filterwarnings("ignore:The inplace keyword in:DeprecationWarning")]
icare = pytest.importorskip("icare")
pd = pytest.importorskip("pandas")
patsy = pytest.importorskip("patsy")

TOL = 1e-6
SEED = 1234


def _profile(result: dict[str, Any]) -> Any:
    """py-icare's per-profile table (risk_estimates, linear_predictors, ages) from its JSON."""
    return pd.read_json(io.StringIO(result["profile"]), orient="records")


def _bpc3_rates() -> dict[str, Path]:
    return {"model_disease_incidence_rates_path": BPC3 / "age_specific_breast_cancer_incidence_rates.csv",
            "model_competing_incidence_rates_path": BPC3 / "age_specific_all_cause_mortality_rates.csv"}


@pytest.mark.parametrize(("starts", "lengths"), [
    pytest.param(50, 30, id="50_to_80"),
    pytest.param([40, 50, 60], [10, 30, 20], id="mixed_intervals", marks=pytest.mark.slow),
])
def test_bpc3_72_snp_profiles_equal_pyicare(starts: int | list[int], lengths: int | list[int]) -> None:
    from icare.absolute_risk_model import AbsoluteRiskModel

    snp_info, profile_path = BPC3 / "breast_cancer_72_snps_info.csv", BPC3 / "query_snp_profile.csv"
    theirs = _profile(icare.compute_absolute_risk(
        apply_age_start=starts, apply_age_interval_length=lengths, model_snp_info_path=snp_info,
        apply_snp_profile_path=profile_path, return_linear_predictors=True, seed=SEED, **_bpc3_rates()))
    model = AbsoluteRiskModel(starts, lengths, _bpc3_rates()["model_disease_incidence_rates_path"], None, snp_info,
                              None, None, None, _bpc3_rates()["model_competing_incidence_rates_path"], None, 5, None,
                              profile_path, False, SEED)  # the same simulated reference, for the same inputs
    beta = np.log(pd.read_csv(snp_info)["snp_odds_ratio"].to_numpy())
    reference = model.population_distribution.to_numpy()  # (50,000, 72) genotypes
    profiles = pd.read_csv(profile_path).set_index("id")[list(pd.read_csv(snp_info)["snp_name"])].to_numpy()
    incidence = read_rate_table(BPC3 / "age_specific_breast_cancer_incidence_rates.csv", source="BPC3")
    mortality = read_rate_table(Path(__file__).resolve().parents[2] / "data" / "incidence" /
                                "all_cause_mortality_women.csv", source="shipped")  # = source rows 0-84; 85+ blank
    hazard0 = baseline_hazard(incidence, reference @ beta)
    a = np.broadcast_to(np.asarray(starts), (len(profiles),))
    b = a + np.asarray(lengths)
    ours = np.empty(len(profiles))
    for i, z in enumerate(profiles):
        seen = ~np.isnan(z)
        if seen.all():
            ours[i] = absolute_risk(np.array([z @ beta]), a[i], b[i], hazard0=hazard0, incidence=incidence,
                                    mortality=mortality)[0]
        else:  # miss some SNPs: averaged over comparable reference women, never filled in
            ref_risks = absolute_risk(reference @ beta, a[i], b[i], hazard0=hazard0, incidence=incidence,
                                      mortality=mortality)
            ours[i] = partial_profile_risk(float(z[seen] @ beta[seen]), reference[:, seen] @ beta[seen], ref_risks)
    assert np.isnan(profiles).any(axis=1).sum() == 2  # the two partial profiles are exercised
    assert theirs["age_interval_start"].tolist() == a.tolist()
    np.testing.assert_allclose(ours, theirs["risk_estimates"].to_numpy(), rtol=0, atol=TOL)


def _lit_model(tag: str) -> tuple[str, dict[str, float]]:
    formula = " ".join((LIT / f"model_formula_{tag}.txt").read_text().splitlines())
    return formula, json.loads((LIT / f"model_log_odds_ratios_{tag}.json").read_text())


def _lit_lp(tag: str, data: Any) -> np.ndarray:
    """Linear predictors from the formula and log odds ratio files, through patsy (not py-icare)."""
    formula, beta = _lit_model(tag)
    design = patsy.dmatrix(formula, data, return_type="dataframe").drop(columns="Intercept")
    assert set(design.columns) == set(beta)  # every log OR names exactly one design column
    return np.asarray(design[list(beta)].to_numpy() @ np.array(list(beta.values())), dtype=np.float64)


def _lit_rates() -> dict[str, Path]:
    return {"model_disease_incidence_rates_path": LIT / "age_specific_breast_cancer_incidence_rates.csv",
            "model_competing_incidence_rates_path": LIT / "age_specific_all_cause_mortality_rates.csv"}


def _lit_tables() -> tuple[Any, Any]:
    return (read_rate_table(LIT / "age_specific_breast_cancer_incidence_rates.csv", source="iCARE-Lit"),
            read_rate_table(LIT / "age_specific_all_cause_mortality_rates.csv", source="iCARE-Lit"))


@pytest.mark.parametrize(("tag", "start", "length"), [("lt50", 40, 10), ("ge50", 50, 20)])
def test_icare_lit_query_profiles_equal_pyicare(tag: str, start: int, length: int, tmp_path: Path) -> None:
    """The query profiles of py-icare's R cross-check: the first 50 women of each reference sample."""
    reference_path = LIT / f"reference_covariate_data_{tag}.csv"
    query = pd.read_csv(reference_path, dtype=str).head(50)
    query.insert(0, "id", [f"Q{i:02d}" for i in range(50)])
    query.to_csv(tmp_path / "query.csv", index=False)
    theirs = _profile(icare.compute_absolute_risk(
        apply_age_start=start, apply_age_interval_length=length,
        model_covariate_formula_path=LIT / f"model_formula_{tag}.txt",
        model_log_relative_risk_path=LIT / f"model_log_odds_ratios_{tag}.json",
        model_reference_dataset_path=reference_path, apply_covariate_profile_path=tmp_path / "query.csv",
        return_linear_predictors=True, **_lit_rates()))
    reference = pd.read_csv(reference_path)
    incidence, mortality = _lit_tables()
    hazard0 = baseline_hazard(incidence, _lit_lp(tag, reference))
    lp = _lit_lp(tag, reference.head(50))
    ours = absolute_risk(lp, start, start + length, hazard0=hazard0, incidence=incidence, mortality=mortality)
    np.testing.assert_allclose(lp, theirs["linear_predictors"].to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours, theirs["risk_estimates"].to_numpy(), rtol=0, atol=TOL)
    assert ours.std() > 0.2 * ours.mean()  # the profiles differ: the comparison is not of one number fifty times


@pytest.fixture(scope="module")
def lit_validation() -> tuple[Any, Any, dict[str, Any]]:
    study = pd.read_csv(LIT / "validation_cohort_data.csv")
    covariates = pd.read_csv(LIT / "validation_cohort_covariate_data.csv")
    theirs = icare.validate_absolute_risk_model(
        study_data_path=LIT / "validation_cohort_data.csv", predicted_risk_interval="total-followup",
        icare_model_parameters={"model_covariate_formula_path": LIT / "model_formula_ge50.txt",
                                "model_log_relative_risk_path": LIT / "model_log_odds_ratios_ge50.json",
                                "model_reference_dataset_path": LIT / "reference_covariate_data_ge50.csv",
                                "apply_covariate_profile_path": LIT / "validation_cohort_covariate_data.csv",
                                **_lit_rates()},
        number_of_percentiles=10)
    return study, covariates, theirs


@pytest.mark.slow  # py-icare's validation of 50,000 women takes ~35 s on a busy 2-core machine
def test_icare_lit_validation_eo_and_auc_equal_pyicare(lit_validation: tuple[Any, Any, dict[str, Any]]) -> None:
    study, covariates, theirs = lit_validation
    assert (study["id"].to_numpy() == covariates["id"].to_numpy()).all()
    incidence, mortality = _lit_tables()
    hazard0 = baseline_hazard(incidence, _lit_lp("ge50", pd.read_csv(LIT / "reference_covariate_data_ge50.csv")))
    lp = _lit_lp("ge50", covariates)
    ours = check_on_cohort(lp, study["study_entry_age"].to_numpy(), study["study_exit_age"].to_numpy(),
                           study["observed_outcome"].to_numpy(), study["time_of_onset"].astype(float).to_numpy(),
                           hazard0=hazard0, incidence=incidence, mortality=mortality)
    assert ours.n == 50_000
    assert ours.cases == 1889  # every onset in this cohort falls within follow-up
    assert abs(ours.expected_by_observed - theirs["expected_by_observed_ratio"]["ratio"]) < TOL
    # py-icare 1.0.0 counts a tied case-control pair as 0, GenoLens (evaluate.auroc) as 1/2: remove the ties' half
    case = study["observed_outcome"].to_numpy() == 1
    ties = int(np.isin(lp[~case], lp[case]).sum()) if len(np.unique(lp[case])) == case.sum() else -1
    assert ties >= 0  # no two cases share a score, so each tied control is one tied pair
    n1, n0 = int(case.sum()), int((~case).sum())
    assert abs(ours.auc - ties * 0.5 / (n1 * n0) - theirs["auc"]["auc"]) < 1e-12
    assert abs(ours.auc - theirs["auc"]["auc"]) < TOL


def test_shipped_rates_are_the_bpc3_rates_row_for_row() -> None:
    incidence, mortality = breast_cancer_rates()
    for table, name in ((incidence, "age_specific_breast_cancer_incidence_rates.csv"),
                        (mortality, "age_specific_all_cause_mortality_rates.csv")):
        with (BPC3 / name).open(newline="") as handle:
            source = {int(r["age"]): float(r["rate"]) for r in csv.DictReader(handle) if r["rate"]}
        assert sorted(source) == list(range(table.first_age, table.last_age + 1))
        assert table.rates.tolist() == [source[a] for a in sorted(source)]
