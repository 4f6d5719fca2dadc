"""The report's static SVG charts: bar lengths proportional to their values on an axis from 0, ordinals, colour key."""

from __future__ import annotations

import math
import re

from genolens.present.report import SVG_COLOUR_NAMES, percentile_svg, waterfall_svg
from genolens.present.summary import LedgerLine

ROWS = [LedgerLine("BRCA1 (2 variants)", 2.0, "", ""), LedgerLine("Age", -0.5, "", "")]


def _expit(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def _bars(svg: str) -> list[tuple[float, float, str]]:
    """(x, width, fill) of every bar, top to bottom."""
    return [(float(x), float(w), fill) for x, w, fill in
            re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="8" fill="(#\w+)"/>', svg)]


def _zero_line(svg: str) -> float:
    return float(re.search(r'<line x1="([\d.]+)"[^>]*stroke="#000"', svg).group(1))  # type: ignore[union-attr]


def test_probability_waterfall_bars_start_at_zero_and_are_proportional() -> None:
    svg = waterfall_svg(ROWS, 1.75, baseline_probability=0.1, outcome="Breast cancer",
                        comparison="an average person of the reference population")
    base, brca1, age, rest, patient = _bars(svg)
    zero = _zero_line(svg)
    assert base[0] == zero and patient[0] == zero  # baseline and patient bars start at the 0% line
    patient_p = _expit(math.log(0.1 / 0.9) + 1.75)
    assert math.isclose(patient[1] / base[1], patient_p / 0.1, rel_tol=0.01)  # lengths ∝ probabilities
    step = _expit(math.log(0.1 / 0.9) + 2.0) - 0.1
    assert math.isclose(brca1[1] / base[1], step / 0.1, rel_tol=0.01)
    assert math.isclose(brca1[0], zero + base[1], abs_tol=0.15)  # each step starts where the previous ended
    age_step = _expit(math.log(0.1 / 0.9) + 1.5) - _expit(math.log(0.1 / 0.9) + 2.0)  # -0.5 after BRCA1
    assert math.isclose(age[1] / base[1], -age_step / 0.1, rel_tol=0.01)
    assert math.isclose(rest[0], patient[0] + patient[1] - rest[1], abs_tol=0.15)  # "other inputs" end at the patient
    assert "+35.1 pt (+2.00)" in svg and f"{patient_p:.1%}" in svg and ">10.0%<" in svg
    assert "Breast cancer: contributions against an average person of the reference population" in svg
    assert ">0%<" in svg and "axis from 0%" in svg


def test_a_small_change_is_a_short_bar_in_the_report() -> None:
    svg = waterfall_svg([LedgerLine("CYP2C9", -0.09, "", "")], -0.09, baseline_probability=0.086)
    base, step, _rest, _patient = _bars(svg)
    assert step[1] / base[1] < 0.10
    legacy = _bars(waterfall_svg([LedgerLine("CYP2C9", -0.09, "", "")], -0.09))[0]
    assert legacy[1] < 0.05 * 169  # log-odds chart: the axis spans at least -1..+1 (169 px of plot)


def test_colour_key_names_the_fills_it_draws() -> None:
    by_word = {w: c for c, w in SVG_COLOUR_NAMES.items()}
    for svg in (waterfall_svg(ROWS, 1.75, baseline_probability=0.1), waterfall_svg(ROWS, 1.75)):
        key = re.findall(r"<text[^>]*>(Colours:[^<]*)</text>", svg)[0]
        words = set(re.findall(r"[a-z]+", key)) & {"red", "orange", "blue", "grey", "green", "amber"}
        assert "red" not in words and words <= set(by_word)
        assert {fill for _, _, fill in _bars(svg)} <= {by_word[w] for w in words}


def test_percentile_marker_says_the_ordinal() -> None:
    for p, text in ((62.4, "62nd"), (52.0, "52nd"), (21.0, "21st"), (11.2, "11th"), (12.0, "12th"), (13.0, "13th")):
        svg = percentile_svg(p)
        assert f">{text} percentile</text>" in svg and f'aria-label="{text} percentile' in svg
    bar = re.search(r'<rect x="8" y="9" width="([\d.]+)" height="10" fill="#0072B2"', percentile_svg(25.0))
    assert bar is not None and math.isclose(float(bar.group(1)), 0.25 * (230 - 16), abs_tol=0.05)  # from 0
