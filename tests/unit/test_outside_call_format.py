"""PharmCAT outside-call files: what each line gives, and the line-numbered errors for what cannot be read."""

from __future__ import annotations

import pytest

from genolens.errors import OutsideCallError
from genolens.genome.outside_calls import OutsideCall, cyp2d6_phenotype, read_outside_calls


def test_comments_blank_lines_and_optional_columns() -> None:
    text = "# from the HLA lab\n\nHLA-B\t*57:01/*08:01\nCYP2D6\t*1/*4\n"
    calls = read_outside_calls(text)
    assert list(calls) == ["HLA-B", "CYP2D6"]
    assert calls["HLA-B"] == OutsideCall("HLA-B", "*57:01/*08:01", "*15:02 negative; *57:01 positive; "
                                         "*58:01 negative", None)
    # CPIC CYP2D6 activity values: *1 = 1, *4 = 0 -> AS 1.0, Intermediate Metabolizer (AS 0.25-1).
    assert calls["CYP2D6"] == OutsideCall("CYP2D6", "*1/*4", "Intermediate Metabolizer", 1.0)


@pytest.mark.parametrize(("diplotype", "score", "phenotype"), [
    ("*4/*4", 0.0, "Poor Metabolizer"),            # 0 + 0
    ("*10/*41", 0.75, "Intermediate Metabolizer"),  # 0.25 + 0.5
    ("*1/*10", 1.25, "Normal Metabolizer"),        # 1 + 0.25: AS 1.25 is Normal since the 2019 consensus
    ("*1x2/*4", 2.0, "Normal Metabolizer"),        # duplication counts twice
    ("*1x2/*2", 3.0, "Ultrarapid Metabolizer"),    # AS above 2.25
])
def test_cyp2d6_phenotype_from_activity_values(diplotype: str, score: float, phenotype: str) -> None:
    call = read_outside_calls(f"CYP2D6\t{diplotype}\n")["CYP2D6"]
    assert (call.activity_score, call.phenotype) == (score, phenotype)


def test_a_given_activity_score_trumps_the_diplotype() -> None:
    # PharmCAT: for activity-score genes the score given decides the phenotype.
    call = read_outside_calls("CYP2D6\t*1/*1\t\t0.5\n")["CYP2D6"]
    assert (call.activity_score, call.phenotype) == (0.5, "Intermediate Metabolizer")
    assert cyp2d6_phenotype(0.0) == "Poor Metabolizer"


def test_phenotype_only_lines_and_crlf() -> None:
    calls = read_outside_calls("G6PD\t\tDeficient\r\nMT-RNR1\t1555A>G\r\n")
    assert calls["G6PD"] == OutsideCall("G6PD", "", "Deficient", None)
    assert calls["MT-RNR1"].phenotype == "increased risk of aminoglycoside-induced hearing loss"


@pytest.mark.parametrize(("text", "match"), [
    ("CYP2D6\t*1/*3\nBRCA9\t*1/*1\n", r"line 2: gene 'BRCA9' is not one GenoLens reads"),
    ("# header\nCYP2D6 *1/*3\n", r"line 2: 'CYP2D6 \*1/\*3' has no tab"),
    ("CYP2D6\t*1/*3\t\t\t\n", r"line 1: 5 tab-separated fields"),
    ("CYP2D6\t*1/*3\nCYP2D6\t*1/*4\n", r"line 2: CYP2D6 is given a second time"),
    ("CYP2D6\t*1/*999\n", r"line 1: CYP2D6 allele '\*999' has no activity value"),
    ("CYP2D6\t*1\n", r"line 1: CYP2D6 diplotype '\*1' must be two alleles"),
    ("CYP2D6\t*1/*3\t\tone\n", r"line 1: activity score 'one' is not a number"),
    ("HLA-B\tB57\n", r"line 1: HLA-B result 'B57' is not written as alleles"),
    ("HLA-B\n", r"line 1: HLA-B has no result"),
])
def test_unreadable_lines_say_line_what_and_what_to_do(text: str, match: str) -> None:
    with pytest.raises(OutsideCallError, match=match):
        read_outside_calls(text)
