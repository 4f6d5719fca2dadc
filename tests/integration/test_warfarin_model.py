"""The shipped warfarin dose bundle: its card's figures recomputed from its weights and the real IWPC data."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from genolens.modeling.bundle import bundle_paths, load_bundles
from genolens.modeling.dose_network import DoseTrainConfig, load_dose_ensemble, predict_dose
from genolens.modeling.iwpc import design_matrix, iwpc_csv, load_iwpc, split_iwpc
from genolens.modeling.warfarin_baselines import fit_ols
from genolens.modeling.warfarin_model import evaluate, train_warfarin
from tests.factories import ROOT

CSV = iwpc_csv()
SHIPPED = ROOT / "models" / "warfarin_dose" / "1.0.0"
pytestmark = [pytest.mark.corpus,
              pytest.mark.skipif(CSV is None, reason="../shared/datasets/iwpc_warfarin/iwpc_warfarin.csv is absent")]


def card() -> dict:  # type: ignore[type-arg]
    return tomllib.loads((SHIPPED / "card.toml").read_text(encoding="utf-8"))


def test_the_card_figures_are_those_of_the_shipped_weights_on_the_held_out_patients() -> None:
    assert CSV is not None
    written = card()
    cohort = load_iwpc(CSV)
    derivation, validation = split_iwpc(cohort, seed=written["bundle"]["seed"])
    assert (int(derivation.sum()), int(validation.sum())) == (written["training"]["n_derivation"],
                                                              written["training"]["n_validation"])
    X, names = design_matrix(cohort)
    model = load_dose_ensemble(SHIPPED / "weights.pt")
    ols = fit_ols(X[derivation], np.sqrt(cohort.dose_mg_week[derivation]))
    held_out, coverage = evaluate(cohort, validation, X, names, cohort.dose_mg_week, model, ols)
    for name, groups in held_out.items():
        for group, figures in groups.items():
            for key, value in figures.items():
                # float32 network arithmetic: another CPU's kernels round differently (2e-9 seen), never by 1e-6
                assert written["metrics"]["validation"][name][group][key] == pytest.approx(value, rel=1e-6), \
                    (name, group, key)
    assert written["metrics"]["interval_coverage_90"]["validation"] == pytest.approx(coverage, rel=1e-12)
    # the published IWPC algorithm on our held-out patients lies within 1 mg/week of the paper's 8.8
    assert abs(held_out["iwpc_pharmacogenetic"]["all"]["mae"] - 8.8) < 1.0
    assert 0.85 <= coverage <= 0.95  # the nominal 90% interval, on patients the network never saw


def test_the_dose_bundle_is_not_loaded_as_a_risk_or_response_bundle() -> None:
    assert SHIPPED.parent not in {p.parent for p in bundle_paths()}
    assert all(b.info.kind in ("risk", "response", "linear") for b in load_bundles())


def test_training_writes_weights_and_a_card_that_predicts_doses(tmp_path: Path) -> None:
    tiny = replace(DoseTrainConfig(seed=1), members=2, epochs=4, patience=2)
    out = tmp_path / "warfarin_dose" / "0.0.1"
    written = train_warfarin(out, base=tiny, grid=((8, 1e-3),), folds=2)
    assert written["bundle"]["kind"] == "dose" and (out / "weights.pt").is_file()
    assert tomllib.loads((out / "card.toml").read_text(encoding="utf-8"))["metrics"] == written["metrics"]
    assert tomllib.loads((out / "card.toml").read_text(encoding="utf-8"))["explain"] == written["explain"]
    assert CSV is not None
    X, _ = design_matrix(load_iwpc(CSV))
    pred = predict_dose(load_dose_ensemble(out / "weights.pt"), X[:5])
    assert (pred.lo <= pred.median).all() and (pred.median <= pred.hi).all() and (pred.median > 0).all()
