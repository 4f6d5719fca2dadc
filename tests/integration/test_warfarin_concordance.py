"""The shipped dose card's [concordance]: recomputed from the shipped weights on the held-out IWPC patients."""

from __future__ import annotations

import functools
import shutil
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from genolens import cli
from genolens.errors import BundleError
from genolens.modeling import warfarin_model
from genolens.modeling.bundle import dumps_toml
from genolens.modeling.dose_network import DoseTrainConfig
from genolens.modeling.iwpc import design_matrix, iwpc_csv, load_iwpc, split_iwpc
from genolens.modeling.warfarin_model import train_warfarin
from genolens.workflows.warfarin import (
    CONCORDANCE_FACTORS,
    FACTORS,
    dose_ledger,
    held_out_inputs,
    load_dose_bundle,
    write_concordance,
)
from tests.factories import ROOT

CSV = iwpc_csv()
SHIPPED = ROOT / "models" / "warfarin_dose" / "1.0.0"
pytestmark = [pytest.mark.corpus,
              pytest.mark.skipif(CSV is None, reason="../shared/datasets/iwpc_warfarin/iwpc_warfarin.csv is absent")]


def _card(folder: Path) -> dict[str, Any]:
    return tomllib.loads((folder / "card.toml").read_text(encoding="utf-8"))


def test_the_cards_concordance_is_a_fresh_recomputation_from_the_shipped_weights() -> None:
    """Independently of ``concordance``: the split redone here, one public ledger per held-out patient, and
    Pearson r with numpy."""
    assert CSV is not None
    written = _card(SHIPPED)["concordance"]
    cohort = load_iwpc(CSV)
    _, validation = split_iwpc(cohort, seed=_card(SHIPPED)["bundle"]["seed"])
    X = design_matrix(cohort)[0][validation]
    bundle = load_dose_bundle(SHIPPED.resolve())
    names = [f for f, _ in FACTORS]
    model, algo, worst = [], [], 0.0
    for x in X:
        ledger = dose_ledger(bundle, x)
        model.append([r.model_mg_per_week for r in ledger.rows])
        algo.append([r.iwpc_mg_per_week for r in ledger.rows])
        change = ledger.model_mean_mg_per_week - ledger.model_baseline_mg_per_week
        worst = max(worst, abs(ledger.residual) / abs(change))
    m, a = np.array(model), np.array(algo)
    assert written["n"] == len(X) == _card(SHIPPED)["training"]["n_validation"] == 839
    assert written["max_relative_completeness_residual"] == pytest.approx(worst, rel=1e-3)
    assert worst < 0.01  # the completeness target, for every held-out patient
    for factor in CONCORDANCE_FACTORS:
        j = names.index(factor)
        figures = written[factor]
        assert figures["n"] == len(X)
        assert figures["pearson_r"] == pytest.approx(np.corrcoef(m[:, j], a[:, j])[0, 1], rel=1e-9), factor
        assert figures["mean_model_mg_per_week"] == pytest.approx(m[:, j].mean(), rel=1e-9), factor
        assert figures["mean_iwpc_mg_per_week"] == pytest.approx(a[:, j].mean(), rel=1e-9), factor
    assert written["baseline"] == _card(SHIPPED)["explain"]["baseline"]["caption"]


def test_write_concordance_adds_only_the_concordance_to_a_card(tmp_path: Path) -> None:
    folder = tmp_path / "warfarin_dose" / "1.0.0"
    shutil.copytree(SHIPPED, folder)
    before = _card(SHIPPED)
    del before["concordance"]
    (folder / "card.toml").write_text(dumps_toml(before), encoding="utf-8")
    section = write_concordance(folder)
    after = _card(folder)
    assert after.pop("concordance") == section
    assert after == before  # every other figure as it was
    shipped = _card(SHIPPED)["concordance"]
    for factor in CONCORDANCE_FACTORS:
        assert section[factor]["pearson_r"] == pytest.approx(shipped[factor]["pearson_r"], rel=1e-9)


def test_a_card_whose_split_does_not_match_the_data_is_refused() -> None:
    card = _card(SHIPPED)
    card["training"]["n_validation"] = 838
    with pytest.raises(BundleError, match="holds out 839 patients but the card says 838"):
        held_out_inputs(card)


@pytest.mark.slow
def test_train_warfarin_on_the_command_line_writes_the_concordance(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    tiny = replace(DoseTrainConfig(seed=1), members=2, epochs=4, patience=2)
    monkeypatch.setattr(warfarin_model, "train_warfarin",
                        functools.partial(train_warfarin, base=tiny, grid=((8, 1e-3),), folds=2))
    out = tmp_path / "warfarin_dose" / "0.0.1"
    assert cli.main(["train-warfarin", "--out", str(out)]) == 0
    card = _card(out)
    assert card["concordance"]["n"] == card["training"]["n_validation"]
    assert set(CONCORDANCE_FACTORS) <= set(card["concordance"])
    assert -1.0 <= card["concordance"]["VKORC1"]["pearson_r"] <= 1.0
