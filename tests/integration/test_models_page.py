"""AppTest of the Models page's warfarin dose tab: the figures on screen are those of the shipped card file."""

from __future__ import annotations

import itertools
import json
import tomllib

import pytest
from streamlit.testing.v1 import AppTest

from components.model_card import CARD_TAB
from tests.factories import ROOT

CARD = ROOT / "models" / "warfarin_dose" / "1.0.0" / "card.toml"
MODELS = ("network", "iwpc_pharmacogenetic", "iwpc_clinical", "fixed_35", "ols_refit")
WORDS = ("network", "pharmacogenetic", "clinical", "35 mg/week", "OLS")  # how each row of MODELS is named
DOSE_TAB = "warfarin dose (real IWPC patients)"

pytestmark = [pytest.mark.usefixtures("fresh_caches"),
              pytest.mark.skipif(not CARD.is_file(), reason="no warfarin dose bundle installed (make models)")]


def _text(elements: object) -> str:
    return "\n".join(str(e.value) for e in elements)  # type: ignore[attr-defined]


def test_the_dose_tab_shows_the_cards_held_out_figures_provenance_and_concordance() -> None:
    card = tomllib.loads(CARD.read_text(encoding="utf-8"))
    held = card["metrics"]["validation"]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/models.py").run()
    assert not at.exception and not at.error
    assert at.tabs[-1].label == DOSE_TAB
    at.session_state[CARD_TAB] = DOSE_TAB  # only the open tab is built
    at.run()
    assert not at.exception and not at.error
    tables = [df.value for df in at.tabs[-1].dataframe]
    assert len(tables) == 1  # one table, overall and per race group
    table = tables[0]
    groups = ["all", *[g for g in held["network"] if g != "all"]]
    assert len(groups) == 4  # all + White, Asian, Black or African American
    assert len(table) == len(MODELS) * len(groups)
    for i, (group, (model, word)) in enumerate(itertools.product(groups, zip(MODELS, WORDS, strict=True))):
        figures = held[model][group]
        row = table.iloc[i]
        assert row["patients"] == f"{'All' if group == 'all' else group} (n={figures['n']})"
        assert word in row["model"]
        assert row["MAE (mg/week)"] == pytest.approx(figures["mae"]), (model, group)
        assert row["% within 20%"] == pytest.approx(figures["pct_ideal"]), (model, group)
    shown = _text(at.tabs[-1].markdown)
    assert card["provenance"]["attribution"] in shown  # the CC BY-SA attribution exactly as the card gives it
    assert card["training"]["split"] in shown
    assert f"{card['metrics']['interval_coverage_90']['validation']:.1%}" in shown
    for factor in ("VKORC1", "CYP2C9"):
        assert f"**{factor}**: Pearson r {card['concordance'][factor]['pearson_r']:.3f}" in shown
    for line in card["limitations"]["text"]:
        assert line in shown


def test_the_models_page_builds_only_the_open_card_and_one_outcomes_curves() -> None:
    """Lazy tabs: one card (two charts) per visit; a card of several outcomes lists every outcome's held-out AUROC
    (as its metrics.json gives it) and draws the curves of the one chosen."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/models.py").run()
    assert not at.exception and not at.error
    labels = [t.label for t in at.tabs]
    assert labels[0] == "breast cancer" and labels[-1] == DOSE_TAB and "treatment response" in labels
    assert [h.value for h in at.subheader if " · v" in h.value] == ["breast_cancer · v2.0.0"]
    assert len(at.get("plotly_chart")) == 2  # ROC and calibration of the open card's one outcome

    at.session_state[CARD_TAB] = "treatment response"
    at.run()
    assert not at.exception and not at.error
    assert [h.value for h in at.subheader if " · v" in h.value] == ["treatment_response · v2.0.0"]
    metrics = json.loads((ROOT / "models" / "treatment_response" / "2.0.0" / "metrics.json").read_text())
    outputs = [o for o in metrics if o.startswith("y_")]
    assert len(outputs) == 8
    label = {o: o.removeprefix("y_").replace("_", " ").capitalize() for o in outputs}
    overview = next(df.value for df in at.dataframe if "outcome" in df.value.columns)
    assert len(overview) == len(outputs)
    assert dict(zip(overview["outcome"], overview["GenoLens network"], strict=True)) == pytest.approx(
        {label[o]: metrics[o]["network"]["all"]["auroc"] for o in outputs})
    box = at.selectbox(key="card_output_treatment_response")
    assert sorted(box.options) == sorted(label.values())
    assert len(at.get("plotly_chart")) == 2
    box.set_value(outputs[3]).run()
    assert not at.exception
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    auroc = metrics[outputs[3]]["network"]["all"]["auroc"]
    assert f"GenoLens network (AUROC {auroc:.3f})" in charts[0].proto.spec
