"""The dose card reader: one wide table from the card's held-out metrics, the concordance, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from genolens.errors import BundleError, CohortError
from genolens.modeling.bundle import dumps_toml
from genolens.workflows.dose_card import dose_card, read_dose_card
from genolens.workflows.warfarin import held_out_inputs


def _two_models_one_race() -> dict[str, Any]:
    """A card with the OLS refit before the network in the file and an Asian group only the network has."""
    return {
        "bundle": {"name": "warfarin_dose", "version": "9.9.9", "kind": "dose", "intended_use": "use",
                   "research_use_only": "Research use only.", "seed": 1},
        "training": {"description": "30 patients; 10 held out", "split": "80/20", "n_validation": 10},
        "metrics": {"validation": {
            "ols_refit": {"all": {"mae": 9.5, "pct_ideal": 40.0, "n": 10}},
            "network": {"all": {"mae": 8.25, "pct_ideal": 50.0, "n": 10},
                        "Asian": {"mae": 6.5, "pct_ideal": 30.0, "n": 4}}},
            "interval_coverage_90": {"validation": 0.9}, "published": {"iwpc_pharmacogenetic_validation_mae": 8.8}},
        "provenance": {"attribution": "Data: X (CC BY-SA 4.0).", "licence": "CC BY-SA 4.0"},
        "limitations": {"text": ["one", "two"]},
    }


def test_the_table_puts_all_patients_first_and_models_in_a_fixed_order_within_each_group() -> None:
    c = dose_card(_two_models_one_race())
    assert c.rows == (("All (n=10)", "GenoLens network (deep ensemble)", 8.25, 50.0),
                      ("All (n=10)", "OLS refit (derivation part)", 9.5, 40.0),
                      ("Asian (n=4)", "GenoLens network (deep ensemble)", 6.5, 30.0),
                      ("Asian (n=4)", "OLS refit (derivation part)", None, None))
    assert (c.coverage_90, c.attribution, c.limitations) == (0.9, "Data: X (CC BY-SA 4.0).", ("one", "two"))
    assert c.concordance is None  # a card written before the concordance


def test_the_concordance_is_read_per_factor_in_the_cards_order(tmp_path: Path) -> None:
    card = _two_models_one_race()
    card["concordance"] = {"description": "d", "patients": "p", "baseline": "b", "n": 10,
                           "max_relative_completeness_residual": 1e-8,
                           "CYP2C9": {"pearson_r": 0.5, "mean_model_mg_per_week": -1.0,
                                      "mean_iwpc_mg_per_week": -2.0, "n": 10},
                           "VKORC1": {"pearson_r": 0.75, "mean_model_mg_per_week": -3.0,
                                      "mean_iwpc_mg_per_week": -4.0, "n": 10}}
    (tmp_path / "card.toml").write_text(dumps_toml(card), encoding="utf-8")
    k = read_dose_card(tmp_path).concordance
    assert k is not None and k.max_relative_completeness_residual == 1e-8
    assert [(f.factor, f.pearson_r, f.mean_model_mg_per_week, f.mean_iwpc_mg_per_week) for f in k.factors] == [
        ("CYP2C9", 0.5, -1.0, -2.0), ("VKORC1", 0.75, -3.0, -4.0)]


def test_a_risk_card_or_a_missing_card_is_refused(tmp_path: Path) -> None:
    card = _two_models_one_race()
    card["bundle"]["kind"] = "risk"
    with pytest.raises(BundleError, match="Not a dose card"):
        dose_card(card)
    with pytest.raises(BundleError, match="No warfarin card"):
        read_dose_card(tmp_path)


def test_the_held_out_patients_need_the_iwpc_data_set(tmp_path: Path) -> None:
    with pytest.raises(CohortError, match="IWPC warfarin data set was not found"):
        held_out_inputs(_two_models_one_race(), csv=tmp_path / "iwpc_warfarin.csv")
