"""The drug table's model column says its model was trained on a simulated cohort, so that the warfarin row's
simulated over-anticoagulation probability is never read as the dose of the real-patient model."""

from __future__ import annotations

from genolens.present import DrugRow, model_words
from genolens.present.summary import WarfarinLine
from genolens.present.words import dose_words

ROW = DrugRow(drug="Warfarin", output="y_warfarin_overanticoagulation", genes=(), guideline="VKORC1 -1639 AA",
              action="Lower dose expected.", action_basis="Paraphrase.", level="amber", level_text="Adjust or check",
              model_outcome="over-anticoagulation (INR above range) on a standard warfarin dose",
              model_probability=0.4537, model_relative_risk=4.52, model_band="high", agreement="Agree: both flag.")


def test_the_model_column_names_the_simulated_cohort() -> None:
    assert model_words(ROW) == ("45.4% risk of over-anticoagulation (INR above range) on a standard warfarin dose "
                                "(4.5× the reference mean; simulated cohort)")


def test_the_dose_sentence_gives_mg_per_week_mg_per_day_and_the_algorithm() -> None:
    line = WarfarinLine(21.0, (10.0, 35.5), 19.25, {"CYP2C9": "*1/*3", "VKORC1": "A/A"}, (), ())
    assert dose_words(line) == ("Dose model (real IWPC patients): 21.0 mg/week (3.00 mg/day; 90% interval "
                                "10.0–35.5); IWPC algorithm 19.2 mg/week.")
    none = WarfarinLine(None, None, None, {}, (), ("race not given",))
    assert dose_words(none) == "Dose model (real IWPC patients): no dose (race not given)."

