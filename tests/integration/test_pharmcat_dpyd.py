"""PharmCAT's own known answers for DPYD, which PharmCAT calls by its lowest-function rule.

The cases are PharmCAT's DPYD tests at PharmGKB/PharmCAT@5431bf1 (``DpydTest``, ``PipelineTest.phaseSetDpyd``, the
DPYD tests of ``NamedAlleleMatcherTest``), written as ``tests/data/pharmcat/DPYD_<case>.vcf`` by
``tests/data/pharmcat/write_dpyd_cases.py``, and ``DpydTest.hapB3``'s table (``DPYD_hapb3.tsv``, 109 rows, each run
phased and unphased; its VCFs are written here). The expected answers are PharmCAT's asserts: the diplotypes (or,
phase unknown, the alleles found) its report prints, the two alleles its recommendation lookup uses, its HapB3
warnings and its missing positions. The activity score and phenotype are those two alleles' CPIC activity values
summed and read through PharmCAT's DPYD table (PharmCAT's tests assert the score where named below).

Differences from PharmCAT, kept on purpose (each pinned by ``test_differences_from_pharmcat``):

- **An allele DPYD's definition lacks** (``testDpydUndocumentedVariation``, ``testFindCombinations``, and the 21
  ``DPYD_hapb3.tsv`` rows whose rs186169810 carries the undocumented G, each phased and unphased: 44 cases).
  PharmCAT reads it as reference and calls ``Reference/Reference`` (or the rest); GenoLens makes DPYD
  ``Indeterminate`` and names the call, its rule for every gene: a called variant is never silently ignored.
- **A genotype with one allele missing** (``hapB3AndIntronicC_missing*``: ``.|T``, ``T|.``; 4 cases). PharmCAT
  reads HapB3 from the called half; GenoLens reads such a call as missing and, as its other half carries a variant,
  makes DPYD ``Indeterminate`` with the call named, rather than call the gene from the other positions.

``LowestFunctionGeneCallerTest`` (the successor of ``DpydCallerTest``) is covered in ``tests/unit/test_dpyd.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from genolens.genome.dpyd import EXONIC_ONLY, MISMATCH
from genolens.genome.patient import read_patient
from genolens.genome.pgx import GeneCall, call_pgx, load_definitions, pgx_panels
from tests.data.pharmcat.write_dpyd_cases import DPYD_CASES, DpydCase, dpyd_vcf, hapb3_cases
from tests.factories import DATA, DEMO

FIXTURES = DATA / "pharmcat"
UNDOCUMENTED = {"testDpydUndocumentedVariation": "rs3918290", "testFindCombinations": "rs114096998"}
HALF_CALLED = ("hapB3AndIntronicC_missingFirstAllele", "hapB3AndIntronicC_missingSecondAllele",
               "hapB3AndIntronicC_missingAlternateStrands1", "hapB3AndIntronicC_missingAlternateStrands2")
HAPB3_ROWS = hapb3_cases()
WARNING_TEXT = {"mismatch": MISMATCH, "exonic_only": EXONIC_ONLY}


def _undocumented(case: DpydCase) -> bool:
    return case.name in UNDOCUMENTED or case.genotypes.get("rs186169810", "0/0") not in ("0/0", "0|0")


SAME = [c for c in DPYD_CASES if c.name not in UNDOCUMENTED and c.name not in HALF_CALLED]
SAME_ROWS = [c for c in HAPB3_ROWS if not _undocumented(c)]
DIFFERENT = [*(c for c in DPYD_CASES if c.name in UNDOCUMENTED or c.name in HALF_CALLED),
             *(c for c in HAPB3_ROWS if _undocumented(c))]


def _call(vcf: Path, **kwargs: str) -> GeneCall:
    return call_pgx(read_patient(vcf, build="GRCh38", panels=pgx_panels()), **kwargs).gene(  # type: ignore[arg-type]
        "DPYD")


def _case_call(case: DpydCase, tmp_path: Path) -> GeneCall:
    fixture = FIXTURES / f"DPYD_{case.name}.vcf"
    if not fixture.exists():  # DPYD_hapb3.tsv rows: written here, as PharmCAT's builder writes them
        fixture = tmp_path / f"DPYD_{case.name}.vcf"
        fixture.write_text(dpyd_vcf(case, load_definitions()["DPYD"]), encoding="utf-8")
    return _call(fixture)


def _score(names: tuple[str, ...]) -> float:
    activity = {a.name: float(a.key) for a in load_definitions()["DPYD"].alleles}
    return sum(activity[n] for n in names)


def test_the_cases_are_pharmcats_dpyd_tests() -> None:
    assert len(DPYD_CASES) == 44 and len(HAPB3_ROWS) == 2 * 109
    assert all((FIXTURES / f"DPYD_{c.name}.vcf").exists() for c in DPYD_CASES)
    assert (len(SAME) + len(SAME_ROWS), len(DIFFERENT)) == (214, 48)


@pytest.mark.parametrize("case", [*SAME, *SAME_ROWS], ids=lambda c: c.name)
def test_dpyd_calls_are_pharmcats(case: DpydCase, tmp_path: Path) -> None:
    call = _case_call(case, tmp_path)
    assert call.diplotypes == case.calls, case.test
    assert call.pharmcat_diplotypes == case.calls  # every one of them is what PharmCAT prints
    assert call.alleles_found == all("/" not in c for c in case.calls)
    assert call.missing_positions == tuple(r for r in (p.rsid for p in load_definitions()["DPYD"].positions)
                                           if r in case.missing)
    if case.lookup:  # where PharmCAT's test names the lookup (NamedAlleleMatcherTest does not)
        assert sorted(call.lowest_function) == sorted(case.lookup), case.test
        assert call.activity_score == _score(case.lookup)
    table = load_definitions()["DPYD"].phenotypes
    assert call.phenotype == table[f"{call.activity_score:g}"] != "Indeterminate"
    assert call.uncertainty == "" and call.possible_phenotypes == ()
    if case.test == "DpydTest.hapB3":
        assert {w for w, text in WARNING_TEXT.items() if text in call.note} == set(case.warnings)


@pytest.mark.parametrize(("fixture", "score", "phenotype"), [
    ("testDpydUnphasedMultiple1", 0.5, "Poor Metabolizer"),   # DpydTest: testLookupByActivity("DPYD", "0.5")
    ("testDpydUnphasedMultiple2", 0.5, "Poor Metabolizer"),
    ("testDpydC2846het", 1.5, "Intermediate Metabolizer"),    # testDpydDifferenceOnScore: 1.5 ...
    ("testDpydDifferenceOnScore_low", 1.0, "Intermediate Metabolizer"),  # ... and 1.0
    ("phaseSetDpyd_unphased", 2.0, "Normal Metabolizer"),     # c.85T>C (*9A) and c.3067C>A are normal function
])
def test_activity_scores_pharmcats_tests_assert(fixture: str, score: float, phenotype: str) -> None:
    call = _call(FIXTURES / f"DPYD_{fixture}.vcf")
    assert (call.activity_score, call.phenotype) == (score, phenotype)


@pytest.mark.parametrize("case", DIFFERENT, ids=lambda c: c.name)
def test_differences_from_pharmcat(case: DpydCase, tmp_path: Path) -> None:
    call = _case_call(case, tmp_path)
    assert (call.phenotype, call.diplotypes, call.activity_score, call.possible_phenotypes) == (
        "Indeterminate", (), None, ())
    if case.name in HALF_CALLED:
        assert "rs56038477" in call.uncertainty and "one allele of the genotype is missing" in call.uncertainty
        assert {"rs56038477", "rs75017182"} <= set(call.missing_positions)
    else:
        rsid = UNDOCUMENTED.get(case.name, "rs186169810")
        assert f"{rsid} " in call.uncertainty and "an allele PharmCAT does not define" in call.uncertainty


def test_demo_star2a_heterozygote_is_intermediate_with_activity_score_1() -> None:
    call = _call(DEMO / "dpyd_2A_heterozygote.vcf.gz")
    assert call.diplotypes == ("Reference/c.1905+1G>A (*2A)",)
    assert (call.phenotype, call.activity_score) == ("Intermediate Metabolizer", 1.0)
    assert call.lowest_function == ("Reference", "c.1905+1G>A (*2A)") and not call.alleles_found


def test_strict_policy_keeps_pharmcats_dpyd_call_beside_indeterminate() -> None:
    # NamedAlleleMatcherTest.testDpydEffectivelyPhasedCombination leaves 37 DPYD positions out of the file.
    fixture = FIXTURES / "DPYD_testDpydEffectivelyPhasedCombination.vcf"
    call = _call(fixture, missing="strict")
    assert (call.phenotype, call.pharmcat_phenotype, call.policy) == ("Indeterminate", "Normal Metabolizer", "strict")
    assert call.diplotypes == ("c.1627A>G (*5)/[c.85T>C (*9A) + c.1627A>G (*5)]",)
    assert len(call.missing_positions) == 37 and call.possible_phenotypes == ("Normal Metabolizer",)
    assert _call(fixture).phenotype == "Normal Metabolizer"


def test_unphased_note_says_the_two_lowest_are_scored_as_if_on_different_copies() -> None:
    call = _call(FIXTURES / "DPYD_testDpydUnphasedMultiTrans.vcf")
    assert call.lowest_function == ("c.2933A>G", "c.2846A>T")
    assert (call.activity_score, call.phenotype) == (0.5, "Poor Metabolizer")
    assert "Phase unknown" in call.note and "different chromosome copies" in call.note
