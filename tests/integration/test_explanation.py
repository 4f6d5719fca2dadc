"""explain() and explain_all() on a shipped bundle and a demo patient: the numbers add up and the JSON holds."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from genolens.datamodel import PatientGenome
from genolens.explain.explanation import (
    Explanation,
    explain,
    explain_all,
    explanation_json,
    sensitivity_band,
    sensitivity_bands,
    use_one_thread,
)
from genolens.genome.patient import read_patient
from genolens.modeling.bundle import Bundle, load_bundles
from genolens.modeling.predict import features_for, predict
from tests.factories import DEMO, assert_close_f32

DEMO_PATIENT = DEMO / "brca1_185delAG_carrier.vcf.gz"


@pytest.fixture(scope="module")
def bundles() -> dict[str, Bundle]:
    found = {b.name: b for b in load_bundles()}
    if not found:
        pytest.skip("no model bundles under models/ (make models)")
    return found


@pytest.fixture(scope="module")
def patient() -> PatientGenome:
    return read_patient(DEMO_PATIENT, qc_records=0)


@pytest.fixture(scope="module")
def every(bundles: dict[str, Bundle], patient: PatientGenome) -> dict[str, dict[str, Explanation]]:
    return {name: explain_all(b, patient) for name, b in bundles.items()}


def _explanations(every: dict[str, dict[str, Explanation]]) -> list[Explanation]:
    return [e for per_bundle in every.values() for e in per_bundle.values()]


def test_the_ledger_adds_up_to_prediction_minus_baseline(every: dict[str, dict[str, Explanation]]) -> None:
    for e in _explanations(every):
        a = e.attribution
        total = sum(r.contribution for r in e.ledger.rows)  # the residual row included
        assert total == pytest.approx(a.prediction_logit - a.baseline_logit, abs=1e-9), (e.bundle, a.output)
        assert e.ledger.rows[-1].section == "residual"
        assert e.ledger.rows[-1].contribution == pytest.approx(a.residual, abs=1e-12)


def test_ig_is_complete_within_one_percent(every: dict[str, dict[str, Explanation]]) -> None:
    for e in _explanations(every):
        a = e.attribution
        assert a.method == "ig" and a.converged
        assert abs(a.residual) < max(0.01 * abs(a.delta), 1e-4), (e.bundle, a.output, a.residual, a.delta)
        assert a.prediction_logit == pytest.approx(float(np.log(e.output.probability / (1 - e.output.probability))),
                                                   abs=1e-4)


def test_the_sensitivity_band_contains_the_prediction(every: dict[str, dict[str, Explanation]]) -> None:
    for e in _explanations(every):
        lo, hi = e.sensitivity_band
        assert 0.0 <= lo <= e.output.probability + 1e-6 and e.output.probability - 1e-6 <= hi <= 1.0
        assert e.sensitivity_note


def test_explain_all_gives_what_explain_gives_for_each_output(bundles: dict[str, Bundle], patient: PatientGenome,
                                                              every: dict[str, dict[str, Explanation]]) -> None:
    b = bundles.get("treatment_response") or next(iter(bundles.values()))
    assert list(every[b.name]) == list(b.outputs)
    for name in (b.outputs[0], b.outputs[-1]):
        one, shared = explain(b, patient, output=name), every[b.name][name]
        # the same numbers up to float32 rounding (one output's batch is smaller than all outputs')
        assert_close_f32(one.attribution.member_values, shared.attribution.member_values)
        assert one.reliability.grade == shared.reliability.grade and one.sensitivity_band == shared.sensitivity_band
        assert [r.label for r in one.ledger.rows] == [r.label for r in shared.ledger.rows]
        assert_close_f32([r.contribution for r in one.ledger.rows], [r.contribution for r in shared.ledger.rows])
        assert one.output == shared.output
    short = b.outputs[-1].removeprefix("y_")
    assert list(explain_all(b, patient, outputs=[short], reliability=False)) == [b.outputs[-1]]


def test_band_for_several_outputs_equals_the_band_of_each(bundles: dict[str, Bundle], patient: PatientGenome) -> None:
    for b in bundles.values():
        features = features_for(patient, b)
        x, missing = predict(b, features).inputs.astype(np.float64), np.isnan(features.values)
        together = sensitivity_bands(b, x, missing, range(len(b.outputs)))
        for k, band in enumerate(together):
            assert sensitivity_band(b, x, missing, k) == band


def test_explanation_json_has_the_documented_shape(every: dict[str, dict[str, Explanation]]) -> None:
    for e in _explanations(every)[:3]:
        record = json.loads(json.dumps(explanation_json(e)))
        assert set(record) == {"prediction", "attribution", "ledger", "reliability", "sensitivity_band",
                               "sensitivity_note", "research_use_only"}
        assert set(record["prediction"]) == {"bundle", "output", "probability", "interval", "percentile", "band",
                                             "flags"}
        a = record["attribution"]
        assert a["method"] == "ig" and a["baseline"] == "population_average"
        assert len(a["features"]) == len(a["values"]) == len(a["spread"]) == len(e.attribution.values)
        assert a["parameters"]["n_steps"] >= 32 and abs(a["completeness_residual"]) < 1e-2
        assert record["ledger"][-1]["section"] == "residual"
        assert {"label", "section", "level", "contribution", "spread", "evidence", "note",
                "origins"} <= set(record["ledger"][0])
        assert record["reliability"]["grade"] in ("A", "B", "C")
        assert isinstance(record["reliability"]["reasons"], list)  # only checks that fell short of A
        assert bool(record["reliability"]["reasons"]) == (record["reliability"]["grade"] != "A")
        lo, hi = record["sensitivity_band"]
        assert lo <= record["prediction"]["probability"] <= hi


def test_use_one_thread_sets_one_intra_op_thread() -> None:
    before = torch.get_num_threads()
    try:
        use_one_thread()
        assert torch.get_num_threads() == 1
        use_one_thread()  # idempotent
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_the_band_ignores_missing_sites_the_network_does_not_read(bundles: dict[str, Bundle],
                                                                   patient: PatientGenome) -> None:
    b = bundles["breast_cancer"]
    if b.reads.all():
        pytest.skip("this bundle reads every panel variant")
    features = features_for(patient, b)
    x = predict(b, features).inputs.astype(np.float64)
    unread = np.zeros(len(b.reads), dtype=bool)
    unread[np.flatnonzero(~b.reads)[:50]] = True  # 50 missing sites, none read: nothing can move
    lo, hi, how = sensitivity_band(b, x, unread, 0)
    assert lo == hi and how.startswith("no genetic input the model reads is missing") and "50 other" in how
    # Brute force: redraw those 50 sites at random; the prediction does not move (the band is exact, not sampled).
    rng = np.random.default_rng(0)
    batch = np.repeat(x[None, :], 20, axis=0)
    batch[:, np.flatnonzero(unread)] = rng.integers(0, 3, size=(20, 50))
    with torch.inference_mode():
        p = torch.sigmoid(b.model(torch.as_tensor(batch, dtype=torch.float32)))[:, 0].double().numpy()
    # float32 rounding only (one unit in the last place is 3e-8 here); a site that is read moves it by far more
    assert np.ptp(p) <= 1e-7 and p[0] == pytest.approx(lo, abs=1e-7)
