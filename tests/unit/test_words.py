"""Wording helpers: ordinals and the comparison point of a baseline caption."""

from __future__ import annotations

import pytest

from genolens.present import ordinal
from genolens.present.words import comparison_words


@pytest.mark.parametrize(("n", "text"), [
    (0, "0th"), (1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"),
    (21, "21st"), (22, "22nd"), (23, "23rd"), (52, "52nd"), (62, "62nd"), (100, "100th"), (101, "101st"),
    (111, "111th"), (112, "112th"), (113, "113th")])
def test_ordinal_suffixes_follow_english_usage(n: int, text: str) -> None:
    assert ordinal(n) == text


@pytest.mark.parametrize(("caption", "words"), [
    ("Compared with an average person of the reference population (average genotype at every variant and average "
     "clinical factors).", "an average person of the reference population"),
    ("Compared with the mother (sample NA12892): the contributions show what differs between the two.",
     "the mother"),
    ("Compared with a person who carries the GRCh38 reference base at every tested position, with average clinical "
     "factors.", "a person who carries the GRCh38 reference base at every tested position, with average clinical "
                 "factors"),
    ("Against the cohort mean.", "Against the cohort mean")])
def test_comparison_words_keep_who_the_patient_is_compared_with(caption: str, words: str) -> None:
    assert comparison_words(caption) == words


def test_an_absolute_risk_names_outcome_ages_typical_woman_ratio_and_percentile() -> None:
    from genolens.modeling.absolute_risk import AbsoluteRisk
    from genolens.present.words import absolute_words, risk_percent

    r = AbsoluteRisk(outcome="a diagnosis of breast cancer", horizon="10-year", age_from=38, age_to=48,
                     risk=0.0321, typical_risk=0.00812, ratio=0.0321 / 0.00812, percentile=95.2,
                     comparison="the median woman aged 38", sources=("x",))
    assert absolute_words(r) == ("Risk of a diagnosis of breast cancer between age 38 and 48: 3.2% (typical woman "
                                 "aged 38: 0.81%; 4.0× the risk of a typical woman this age; 95th percentile)")
    same = AbsoluteRisk(**{**r.__dict__, "ratio": 1.0, "risk": 0.00812})
    assert "(typical woman aged 38: 0.81%; about the same as the risk of a typical woman" in absolute_words(same)
    assert (risk_percent(0.0), risk_percent(0.000123), risk_percent(0.5)) == ("<0.01%", "0.01%", "50.0%")


def test_the_plain_sentence_of_an_absolute_risk_names_the_typical_woman_and_the_share_below() -> None:
    from genolens.modeling.absolute_risk import AbsoluteRisk
    from genolens.present.summary import plain_absolute

    r = AbsoluteRisk(outcome="a diagnosis of breast cancer", horizon="10-year", age_from=60, age_to=70, risk=0.016,
                     typical_risk=0.0227, ratio=0.7, percentile=31.6, comparison="x", sources=())
    assert plain_absolute(r) == ("About 0.7× the risk of a typical woman aged 60 (the median woman of the reference "
                                 "population, not the mean) between age 60 and 70 (30% lower); about 32 in 100 women "
                                 "of that population have a lower risk.")
