"""Prediction: imputation and defaults flagged, interval and percentile recomputed, JSON shape."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from genolens.datamodel import Features, GenotypeOrigin
from genolens.datamodel.clinical import PatientDetails
from genolens.errors import BundleError
from genolens.genome.patient import read_patient
from genolens.modeling.bundle import Bundle, load_bundle
from genolens.modeling.predict import band, predict, predict_json
from tests.factories import F32_RTOL, N_SNP, small_bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    path, _ = small_bundle(tmp_path_factory.mktemp("predict"))
    return load_bundle(path, panel_dir=path.parents[2] / "panels")


def features(values: np.ndarray) -> Features:
    missing = np.isnan(values)
    origin: tuple[GenotypeOrigin, ...] = tuple("missing" if m else "observed" for m in missing)
    return Features(names=tuple(f"rs{i + 1}" for i in range(len(values))), values=values, missing=missing,
                    origin=origin, policy="missing")


def codes(pred_flags: tuple[object, ...]) -> set[str]:
    return {f.code for f in pred_flags}  # type: ignore[attr-defined]


@pytest.mark.slow  # trains a model
def test_low_coverage_imputed_and_defaulted_inputs_are_flagged(bundle: Bundle) -> None:
    values = np.ones(N_SNP)
    values[:12] = np.nan
    pred = predict(bundle, features(values), {})
    out = pred.outputs[0]
    assert {"low_coverage", "imputed_genetic", "defaulted_clinical"} <= codes(out.flags)
    reads = bundle.reads
    assert reads.sum() == bundle.card["training"]["selected_genetic_inputs"]["y_disease"]
    expected = (~np.isnan(values))[reads].mean()  # coverage counts the variants the network reads
    assert expected < 0.8 and pred.coverage == pytest.approx(expected)
    assert pred.imputed == tuple(f"rs{i + 1}" for i in range(12)) and pred.defaulted == ("age", "bmi")
    assert np.allclose(pred.inputs[:12], bundle.reference.feature_mean[:12])
    assert np.allclose(pred.inputs[N_SNP:], bundle.covariate_mean)
    message = next(f.message for f in out.flags if f.code == "low_coverage")
    assert f"{expected:.0%}" in message and "80%" in message


@pytest.mark.slow  # trains a model
def test_a_missing_variant_the_network_does_not_read_does_not_lower_coverage(bundle: Bundle) -> None:
    if bundle.reads.all():
        pytest.skip("selection kept every variant of the toy bundle")
    unread = int(np.flatnonzero(~bundle.reads)[0])
    values = np.ones(N_SNP)
    values[unread] = np.nan
    pred = predict(bundle, features(values), {"age": 60.0, "bmi": 30.0})
    assert pred.coverage == 1.0 and pred.imputed == (f"rs{unread + 1}",)
    flag = next(f for f in pred.outputs[0].flags if f.code == "imputed_genetic")
    assert flag.message.startswith("No variant the model reads was missing.") and "weight zero" in flag.message
    complete = predict(bundle, features(np.ones(N_SNP)), {"age": 60.0, "bmi": 30.0})  # float32 logits below
    assert pred.outputs[0].logit == pytest.approx(complete.outputs[0].logit, rel=F32_RTOL)  # imputing changes nothing


@pytest.mark.slow  # trains a model
def test_complete_inputs_raise_no_input_flags(bundle: Bundle) -> None:
    pred = predict(bundle, features(np.ones(N_SNP)), {"age": 60.0, "bmi": 30.0})
    assert not {"low_coverage", "imputed_genetic", "defaulted_clinical"} & codes(pred.outputs[0].flags)
    assert pred.inputs[N_SNP:].tolist() == [60.0, 30.0] and pred.coverage == 1.0


@pytest.mark.slow  # trains a model
def test_clinical_value_far_from_training_is_flagged(bundle: Bundle) -> None:
    pred = predict(bundle, features(np.ones(N_SNP)), {"age": 120.0, "bmi": 27.0})
    flag = next(f for f in pred.outputs[0].flags if f.code == "clinical_out_of_range")
    assert flag.message.startswith("age lies +6.") and "years" in flag.message


@pytest.mark.slow  # trains a model
def test_probability_interval_and_percentile_recomputed(bundle: Bundle) -> None:
    rng = np.random.default_rng(4)
    ref = np.load(bundle.path / "reference.npz")["logits"][0]
    for _ in range(5):
        values = rng.integers(0, 3, N_SNP).astype(np.float64)
        pred = predict(bundle, features(values), {"age": float(rng.normal(55, 10)), "bmi": 27.0})
        out = pred.outputs[0]
        with torch.inference_mode():
            members = bundle.model.member_logits(torch.from_numpy(pred.inputs)[None, :])[:, 0, 0].double().numpy()
        z = members.mean()
        # predict runs the ensemble in numpy (float64 over the stored float32 weights), torch in float32: the two
        # agree to float32 rounding (modeling/architecture.py; tests/integration/test_numpy_forward.py)
        assert out.probability == pytest.approx(1 / (1 + np.exp(-z)), abs=1e-6)
        member_p = 1 / (1 + np.exp(-members))
        assert out.interval[0] <= out.probability <= out.interval[1]
        assert out.interval[0] == pytest.approx(min(np.percentile(member_p, 5), out.probability))
        assert out.percentile == pytest.approx(100 * (np.sum(ref < z) + 0.5 * np.sum(ref == z)) / len(ref))
        assert out.relative_risk == pytest.approx(out.probability / bundle.mean_probability[0])
        assert out.band == band(out.relative_risk, bundle.bands)


def test_bands_follow_the_card_thresholds() -> None:
    t = {"below_average": 0.8, "above_average": 1.25, "high": 2.0}
    assert [band(r, t) for r in (0.5, 0.8, 1.0, 1.25, 1.99, 2.0)] == [
        "below average", "average", "average", "above average", "above average", "high"]


@pytest.mark.slow  # trains a model
def test_predict_never_mutates_the_model(bundle: Bundle) -> None:
    before = {k: v.clone() for k, v in bundle.model.state_dict().items()}
    predict(bundle, features(np.full(N_SNP, np.nan)), {})
    after = bundle.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not bundle.model.training


@pytest.mark.slow  # trains a model
def test_unusual_ancestry_is_flagged(bundle: Bundle) -> None:
    freq = bundle.reference.feature_mean_by_ancestry / 2
    unlikely = np.where(freq.max(axis=0) < 0.5, 2.0, 0.0)  # the rarer homozygote everywhere
    assert "ancestry_unusual" in codes(predict(bundle, features(unlikely), {}).outputs[0].flags)
    typical = np.round(bundle.reference.feature_mean_by_ancestry[0])
    assert "ancestry_unusual" not in codes(predict(bundle, features(typical), {}).outputs[0].flags)


@pytest.mark.slow  # trains a model
def test_wrong_number_of_inputs_is_refused(bundle: Bundle) -> None:
    with pytest.raises(BundleError, match="expects 20 genetic inputs, got 3"):
        predict(bundle, features(np.ones(3)), {})


@pytest.mark.slow  # trains a model
def test_predict_json_from_a_patient_vcf(bundle: Bundle, tmp_path: Path) -> None:
    lines = ["##fileformat=VCFv4.2", "##reference=GRCh38", '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">',
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP1"]
    lines += [f"1\t{10_000 + 100 * i}\trs{i + 1}\tG\tA\t.\tPASS\t.\tGT\t0/1" for i in range(10)]
    (tmp_path / "p.vcf").write_text("\n".join(lines) + "\n")
    patient = read_patient(tmp_path / "p.vcf", panels=[bundle.panel], qc_records=0)
    record = predict_json(patient, [bundle], PatientDetails(values={"age": 50.0}))
    entry = record["predictions"]["tiny_risk"]["y_disease"]
    assert set(entry) >= {"probability", "interval", "percentile", "band", "flags"}
    flags = {f["code"]: f["message"] for f in entry["flags"]}
    assert "low_coverage" in flags and flags["assumed_clinical"].startswith("BMI not given: shown for BMI 27 kg/m²")
    assert "age" not in flags["assumed_clinical"] and record["not_computed"] == {}
    json.dumps(record, allow_nan=False)
