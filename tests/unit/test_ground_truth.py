"""Ground-truth validation: true contributions by hand, a linear model recovered exactly, the randomisation
sanity check on a trained and a re-initialised toy network, and the card's [validation] round trip."""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from genolens.cli import main as cli_main
from genolens.datamodel import ExplainContext, Panel
from genolens.errors import GroundTruthError
from genolens.explain.baselines import population_average
from genolens.explain.ground_truth import validate_bundle, write_validation
from genolens.explain.true_contributions import causal_inputs, true_contributions
from genolens.explain.truth_metrics import randomised, validate_outcome
from genolens.modeling.bundle import Reference, load_bundle, write_bundle
from genolens.modeling.export import write_trained_bundle
from genolens.modeling.fresh_metrics import fresh_metrics
from genolens.modeling.networks import Ensemble, NetworkConfig
from genolens.modeling.outcomes import oracle_logit
from genolens.modeling.train import TrainResult
from genolens.modeling.train_config import TrainConfig
from genolens.modeling.training_data import Cohort, split_indices
from tests.factories import FAST, synthetic_cohort, tiny_panel, write_cohort_vcf

P = 24  # variants
CAUSAL = {"rs1": 0.9, "rs4": -0.7, "rs7": 0.5, "rs10": 1.1, "rs13": -0.4, "rs16": 0.6}
FREQ = np.linspace(0.1, 0.5, P)
COVS = ("cov_age",)


def truth(panel: Panel, **extra: Any) -> dict[str, Any]:
    """An additive true model on a tiny panel (six causal variants, age), plus ``extra`` entries."""
    return {"panel": panel.name, "panel_sha256": panel.sha256, "panel_variant_ids": [v.id for v in panel.variants],
            "link": "logit", "intercept": -2.0, "covariates": list(COVS), "covariate_effects": {"cov_age": 0.03},
            "variant_effects": dict(CAUSAL), "features": {}, "feature_effects": {}, "interactions": [], **extra}


def people(n: int, seed: int = 0) -> np.ndarray:
    """Dosages under Hardy-Weinberg and an age column, shape (n, P + 1)."""
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.binomial(2, FREQ, (n, P)).astype(np.float64), rng.normal(55, 10, n)])


def context(panel: Panel) -> ExplainContext:
    mean = np.concatenate([2 * FREQ, [55.0]])
    return ExplainContext(feature_names=(*(v.id for v in panel.variants), *COVS), n_genetic=P,
                          output_names=("y_toy",), panel=panel, population_mean=mean, ancestry_means={},
                          reference_sample=people(16, seed=9))


def beta_vector(panel: Panel) -> np.ndarray:
    return np.array([CAUSAL.get(v.id, 0.0) for v in panel.variants] + [0.03])


def linear_ensemble(panel: Panel) -> Ensemble:
    """A one-member linear bundle whose weights are the true effects (intercept -2)."""
    model = Ensemble(NetworkConfig(kind="linear", n_genetic=P, n_covariates=1, n_outputs=1, members=1))
    with torch.no_grad():
        lin = model.members[0].linear
        lin.weight.copy_(torch.as_tensor(beta_vector(panel)[None], dtype=torch.float32))
        lin.bias.fill_(-2.0)
    return model.freeze()


def trained_risk_ensemble(panel: Panel) -> Ensemble:
    """A risk ensemble at the true weights (as a perfectly trained one would be), interaction path silent."""
    sd = np.concatenate([np.sqrt(2 * FREQ * (1 - FREQ)), [10.0]])
    model = Ensemble(NetworkConfig(kind="risk", n_genetic=P, n_covariates=1, n_outputs=1, hidden=8, members=3), seed=2)
    model.set_standardisation(torch.as_tensor(np.concatenate([2 * FREQ, [55.0]]), dtype=torch.float32),
                              torch.as_tensor(sd, dtype=torch.float32))
    model.warm_start(torch.tensor([-2.0]), torch.as_tensor((beta_vector(panel) * sd)[None], dtype=torch.float32))
    return model.freeze()


@pytest.fixture(scope="module")
def panel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("panels")
    tiny_panel(folder, P)
    return folder


@pytest.fixture(scope="module")
def panel(panel_dir: Path) -> Panel:
    return tiny_panel(panel_dir, P)


def test_true_contributions_of_an_additive_model_are_beta_times_x_minus_baseline(panel: Panel) -> None:
    ctx, x = context(panel), people(30)
    got = true_contributions(truth(panel), x, baseline=ctx.population_mean, feature_names=ctx.feature_names)
    assert np.allclose(got, beta_vector(panel) * (x - ctx.population_mean), rtol=0, atol=1e-13)  # to rounding
    assert causal_inputs(truth(panel)) == ("cov_age", *CAUSAL)


def test_products_split_as_integrated_gradients_and_features_by_shapley(panel: Panel) -> None:
    feature = {"kind": "allele_count", "groups": [["rs2"], ["rs3", "rs5"]], "cap": 2, "description": "test"}
    t = truth(panel, features={"count": feature}, feature_effects={"count": 0.8},
              interactions=[{"a": "rs1", "b": "cov_age", "beta": 0.05, "description": "test"},
                            {"a": "count", "b": "rs10", "beta": -0.3, "description": "test"}])
    ctx, x = context(panel), people(40, seed=1)
    b, names = ctx.population_mean, ctx.feature_names
    got = true_contributions(t, x, baseline=b, feature_names=names)
    additive = beta_vector(panel) * (x - b)
    age, rs1 = names.index("cov_age"), names.index("rs1")
    ig_rs1 = additive[:, rs1] + 0.05 * (x[:, rs1] - b[rs1]) * (x[:, age] + b[age]) / 2  # the IG split of a product
    assert np.allclose(got[:, rs1], ig_rs1, rtol=0, atol=1e-12)
    # completeness: the values add up to the true logit difference, term by term
    both = np.vstack([x, b[None]])
    logits = oracle_logit(t, both[:, :P], {"cov_age": both[:, P]})
    assert np.allclose(got.sum(axis=1), logits[:-1] - logits[-1], rtol=0, atol=1e-10)
    # a one-variant derived feature gets the occlusion difference
    single = truth(panel, variant_effects={}, features={"carrier": {"kind": "allele_count", "groups": [["rs2"]],
                                                                    "cap": 1, "description": "t"}},
                   feature_effects={"carrier": 2.0})
    occl = true_contributions(single, x, baseline=b, feature_names=names)[:, names.index("rs2")]
    assert np.allclose(occl, 2.0 * (np.minimum(x[:, 1], 1) - min(b[1], 1)), rtol=0, atol=1e-12)


def test_an_allele_of_two_variants_never_carried_apart_is_scored_as_one_input(panel: Panel) -> None:
    # rs2 is only ever carried with rs3 (as TPMT rs1800460 with rs1142345 in *3A) and the truth counts the pair as one
    # allele: its Shapley split gives rs2 half the credit, while a model exact on every possible patient may give all
    # of it to rs3. Per variant that model misses; per allele (the pair summed, model and truth) it is exact.
    feature = {"kind": "allele_count", "groups": [["rs2", "rs3"]], "cap": 2, "description": "test"}
    t = truth(panel, features={"star": feature}, feature_effects={"star": 0.8})
    x = people(30, seed=4)
    x[:, 1] = x[:, 2]  # never apart
    ctx = context(panel)
    mean = ctx.population_mean.copy()
    mean[1] = mean[2]
    ctx = replace(ctx, population_mean=mean)
    model = Ensemble(NetworkConfig(kind="linear", n_genetic=P, n_covariates=1, n_outputs=1, members=1))
    weights = beta_vector(panel)
    weights[2] += 0.8  # all of the allele's effect on rs3
    with torch.no_grad():
        model.members[0].linear.weight.copy_(torch.as_tensor(weights[None], dtype=torch.float32))
        model.members[0].linear.bias.fill_(-2.0)
    v = validate_outcome(model.freeze(), t, x, baseline=population_average(ctx), target=0, context=ctx, output="y")
    assert v.alleles == ("rs2+rs3",)
    assert v.mean_pearson_r < 0.99 and v.causal_auroc < 1.0  # per variant: rs2 (causal) gets nothing
    assert v.allele_pearson_r is not None and np.allclose(v.allele_pearson_r, 1.0, atol=1e-6)
    assert v.allele_causal_auroc == 1.0
    record = v.record()
    assert record["allele_mean_pearson_r"] == pytest.approx(1.0, abs=1e-6) and record["passed"] is True
    # without such an allele the per-allele figures are the per-variant ones
    ctx = context(panel)
    plain = validate_outcome(linear_ensemble(panel), truth(panel), people(25), baseline=population_average(ctx),
                             target=0, context=ctx, output="y")
    assert plain.alleles == () and plain.record()["allele_mean_pearson_r"] == plain.mean_pearson_r


def test_a_truth_reading_an_input_the_model_lacks_is_refused(panel: Panel) -> None:
    ctx = context(panel)
    t = truth(panel, covariates=["cov_age", "cov_bmi"], covariate_effects={"cov_age": 0.03, "cov_bmi": 0.1})
    with pytest.raises(GroundTruthError, match=r"reads cov_bmi, which the model does not have"):
        true_contributions(t, people(3), baseline=ctx.population_mean, feature_names=ctx.feature_names)


def test_a_linear_bundle_recovers_the_truth_exactly(panel: Panel) -> None:
    ctx = context(panel)
    v = validate_outcome(linear_ensemble(panel), truth(panel), people(25), baseline=population_average(ctx), target=0,
                         context=ctx, output="y_toy")
    assert np.allclose(v.pearson_r, 1.0, atol=1e-6) and v.mean_pearson_r == pytest.approx(1.0, abs=1e-6)
    assert v.causal_auroc == 1.0 and v.n_causal == 7 and v.n_inputs == P + 1
    assert v.record()["passed"] is True and v.trained_grade == "A"


def test_randomisation_passes_for_a_trained_network_and_fails_for_a_reinitialised_one(panel: Panel) -> None:
    ctx, x = context(panel), people(20, seed=3)
    trained = trained_risk_ensemble(panel)
    good = validate_outcome(trained, truth(panel), x, baseline=population_average(ctx), target=0, context=ctx,
                            n_randomisation=2)
    assert good.trained_grade == "A" and good.randomised_grade == "C"  # the check's randomised network fails
    assert good.randomisation_passed and good.record()["randomisation"] == "pass"
    noise = randomised(trained, seed=11)
    bad = validate_outcome(noise, truth(panel), x, baseline=population_average(ctx), target=0, context=ctx,
                           n_randomisation=2)
    assert bad.trained_grade == "C" and not bad.randomisation_passed  # the grade drops: A -> C
    assert bad.record()["randomisation"] == "fail" and bad.record()["passed"] is False
    assert all(torch.equal(a, b) for a, b in zip(trained.state_dict().values(),
                                                trained_risk_ensemble(panel).state_dict().values(), strict=True))


def test_the_card_round_trips_with_validation_and_the_weights_hash_stays_valid(panel: Panel, panel_dir: Path,
                                                                              tmp_path: Path) -> None:
    folder = tmp_path / "models" / "toy" / "0.1.0"
    model = linear_ensemble(panel)
    card = {"bundle": {"name": "toy", "version": "0.1.0", "kind": "linear"},
            "architecture": {"kind": "linear", "n_genetic": P, "n_covariates": 1, "n_outputs": 1, "hidden": 16,
                             "members": 1},
            "panel": {"name": panel.name, "sha256": panel.sha256, "file": ""},
            "inputs": {"genetic": [v.id for v in panel.variants], "covariates": list(COVS), "coverage_threshold": 0.8},
            "covariates": {"cov_age": {"mean": 55.0, "sd": 10.0, "units": "years", "kind": "continuous"}},
            "outputs": {"names": ["y_toy"], "y_toy": {"mean_probability": 0.1}}, "bands": {"high": 2.0}}
    ref = Reference(np.zeros((1, 4)), (), {}, 2 * FREQ, np.zeros((0, P)), math.nan)
    write_bundle(folder, model, card, ref, {"y_toy": {"auroc": 0.7}})
    before = tomllib.loads((folder / "card.toml").read_text())
    table = {"n_patients": 25, "seed": 0, "method": "ig", "baseline": "population_average", "mean_pearson_r": 0.97,
             "causal_auroc": math.nan, "randomisation": "pass",
             "y_toy": {"mean_pearson_r": 0.97, "randomisation_correlations": [0.9, 0.1]}}
    write_validation(folder, table, details={"y_toy": {"pearson_r": [1.0, 0.5]}})
    write_validation(folder, replace_nan(table, 0.5))  # replacing it again keeps one table
    back = tomllib.loads((folder / "card.toml").read_text())
    assert {k: v for k, v in back.items() if k != "validation"} == before
    assert back["validation"] == replace_nan(table, 0.5)
    loaded = load_bundle(folder, panel_dir=panel_dir)  # checks weights_sha256 against weights.pt
    assert loaded.card["validation"]["randomisation"] == "pass"
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["y_toy"] == {"auroc": 0.7} and metrics["validation"]["causal_auroc"] == 0.5


def replace_nan(table: dict[str, Any], value: float) -> dict[str, Any]:
    return {k: (value if isinstance(v, float) and math.isnan(v) else v) for k, v in table.items()}


def at_the_truth(cohort: Cohort, cfg: TrainConfig, beta: np.ndarray, cov_beta: np.ndarray) -> TrainResult:
    """What training would give at best: a risk ensemble at the true additive weights (no training, it is fast)."""
    sizes = {k: len(v) for k, v in split_indices(len(cohort.samples), cfg).items()}
    x = np.hstack([cohort.genetic, cohort.covariates])
    mean, sd = x.mean(axis=0), x.std(axis=0)
    net = NetworkConfig(kind="risk", n_genetic=len(beta), n_covariates=len(cov_beta), n_outputs=1, hidden=4,
                        members=cfg.members)
    model = Ensemble(net, seed=cfg.seed)
    model.set_standardisation(torch.as_tensor(mean, dtype=torch.float32), torch.as_tensor(sd, dtype=torch.float32))
    coef = np.concatenate([beta, cov_beta]) * sd
    model.warm_start(torch.tensor([-2.0]), torch.as_tensor(coef[None], dtype=torch.float32))
    model.freeze()
    with torch.inference_mode():
        logits = model(torch.as_tensor(x[:50], dtype=torch.float32)).double().numpy()  # (50, 1)
    metrics = {"y_disease": {"network": {"all": {"auroc": 0.7}}}}
    return TrainResult(model, net, cfg, sizes, cohort.genetic.mean(axis=0), logits, None, metrics)


def tiny_bundle_and_cohort(tmp_path: Path) -> tuple[Path, Cohort, dict[str, Any]]:
    """A bundle at the truth of a tiny simulated cohort, the cohort folder (VCF, phenotypes, truth) beside it."""
    cohort = replace(synthetic_cohort(1_000, seed=4), ancestry=None)  # 20 variants, age and bmi
    effects = {f"rs{i + 1}": float(b) for i, b in enumerate(np.linspace(-0.4, 0.5, 20))}
    cfg = replace(FAST, members=2, test_fraction=0.3)
    result = at_the_truth(cohort, cfg, np.array(list(effects.values())), np.array([0.04, 0.05]))
    panel = tiny_panel(tmp_path / "panels", cohort.genetic.shape[1])
    folder = tmp_path / "models" / "tiny" / "0.1.0"
    write_trained_bundle(folder, result, cohort, panel, source={"vcf": "cohort.GRCh38.vcf", "phenotypes": "p"},
                         units={})
    (tmp_path / "cohort").mkdir()
    write_cohort_vcf(tmp_path / "cohort" / "cohort.GRCh38.vcf", panel, cohort.genetic)
    rows = ["sample,age,bmi,y_disease", *(f"s{i},{a},{b},{int(y)}" for i, (a, b), y in
                                          zip(range(len(cohort.samples)), cohort.covariates, cohort.outcomes[:, 0],
                                              strict=True))]
    (tmp_path / "cohort" / "phenotypes.csv").write_text("\n".join(rows) + "\n")
    t = {"y_disease": {"panel": "tiny", "panel_sha256": panel.sha256, "panel_variant_ids": list(effects),
                       "intercept": -2.0, "covariates": ["age", "bmi"], "covariate_effects": {"age": 0.04, "bmi": 0.05},
                       "variant_effects": effects, "features": {}, "feature_effects": {}, "interactions": []}}
    (tmp_path / "cohort" / "truth.json").write_text(json.dumps(t))
    return folder, cohort, t


def test_validate_bundle_end_to_end_on_a_tiny_simulated_cohort(tmp_path: Path) -> None:
    folder, _cohort, _t = tiny_bundle_and_cohort(tmp_path)
    out = validate_bundle(folder, tmp_path / "cohort", n_patients=15, seed=1, panel_dir=tmp_path / "panels")
    assert out["n_patients"] == 15 and out["y_disease"]["mean_pearson_r"] == pytest.approx(1.0, abs=1e-4)
    assert out["passed"] and out["randomisation"] == "pass"
    card = tomllib.loads((folder / "card.toml").read_text())
    assert card["validation"]["y_disease"]["n_causal"] == 22 and card["validation"]["method"] == "ig"
    assert load_bundle(folder, panel_dir=tmp_path / "panels").card["validation"]["passed"] is True


def test_a_fresh_cohort_draws_from_everyone_and_a_bundle_at_the_truth_ranks_as_the_oracle(tmp_path: Path) -> None:
    folder, cohort, t = tiny_bundle_and_cohort(tmp_path)
    (tmp_path / "cohort" / "truth.json").write_text(json.dumps({**t, "_simulation": {"seed": 99}}))
    out = validate_bundle(folder, tmp_path / "cohort", n_patients=15, seed=1, panel_dir=tmp_path / "panels",
                          fresh=True, write=False)
    assert out["cohort_seed"] == 99 and "seed 99, never used in training" in out["patients"]
    assert out["y_disease"]["mean_pearson_r"] == pytest.approx(1.0, abs=1e-4)
    table = fresh_metrics(load_bundle(folder, panel_dir=tmp_path / "panels"), tmp_path / "cohort")
    row = table["y_disease"]
    y = cohort.outcomes[:, 0]
    assert table["cohort_seed"] == 99 and row["n"] == len(y) and row["cases"] == int(y.sum())
    # the network is the truth itself: same ranking, so the same AUROC as the oracle's
    assert row["network_auroc"] == pytest.approx(row["oracle_auroc"], abs=1e-4)
    # the oracle's AUROC by counting pairs (Mann-Whitney), not by evaluate.auroc's ranks
    covariates = {"age": cohort.covariates[:, 0], "bmi": cohort.covariates[:, 1]}
    logit = oracle_logit(t["y_disease"], cohort.genetic, covariates)
    case, control = logit[y == 1], logit[y == 0]
    pairs = (case[:, None] > control[None, :]).mean() + 0.5 * (case[:, None] == control[None, :]).mean()
    assert row["oracle_auroc"] == pytest.approx(pairs, abs=1e-4)
    assert row["observed"] == pytest.approx(y.mean(), abs=1e-5) and 0 < row["mean_predicted"] < 1


def test_the_command_says_when_there_is_no_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["validate", "--cohort", str(tmp_path), "--models", str(tmp_path / "none")]) == 2
    assert "error: no bundle" in capsys.readouterr().err


def test_the_summary_names_each_missed_target() -> None:
    from genolens.explain.ground_truth import validation_summary as _summary

    row = {"mean_pearson_r": 0.93, "locus_mean_pearson_r": 0.99, "causal_auroc": 0.86, "neighbour_auroc": float("nan"),
           "randomisation": "pass", "randomisation_final_spearman": 0.3, "randomisation_grade": "B",
           "randomised_mean_pearson_r": 0.0}
    text = _summary("toy", {"n_patients": 3, "seconds": 1.0, "y_a": row,
                            "y_b": {**row, "causal_auroc": float("nan"), "mean_pearson_r": 0.5}})
    assert "NOT PASSED y_a: causal AUROC 0.860 < 0.95" in text
    assert "NOT PASSED y_b: mean r 0.500 < 0.95" in text and "y_b: causal AUROC" not in text.split("NOT PASSED")[-1]
