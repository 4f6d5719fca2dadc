"""DPYD's lowest-function rule (genolens.genome.dpyd), on calls built here rather than read from a file.

The expected answers are PharmCAT's ``LowestFunctionGeneCallerTest`` (PharmGKB/PharmCAT@5431bf1; it replaced
``DpydCallerTest``): which allele of each copy is scored, of several diplotypes which one, and how alleles rank.
PharmCAT's own VCF cases are in ``tests/integration/test_pharmcat_dpyd.py``.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from genolens.errors import OutsideCallError, PanelError
from genolens.genome.dpyd import HAPB3, HAPB3_INTRONIC, by_function, call_dpyd, name_key, score_diplotypes
from genolens.genome.outside_calls import read_outside_calls
from genolens.genome.patient import read_patient
from genolens.genome.pgx import GeneCall, call_pgx, load_definitions, pgx_panels
from tests.factories import DATA

D = load_definitions()["DPYD"]
INDEX = {p.rsid: i for i, p in enumerate(D.positions)}
FUNCTION = {0.0: "No function", 0.5: "Decreased function", 1.0: "Normal function"}


def _activity(name: str) -> float:
    return next(float(a.key) for a in D.alleles if a.name == name)


def _copies(calls: dict[str, str]) -> dict[int, tuple[str, ...]]:
    """rsID -> ``"C/T"`` as chromosome copies; every other DPYD position reference."""
    out = {i: (p.ref, p.ref) for i, p in enumerate(D.positions)}
    out.update({INDEX[rs]: tuple(gt.replace("|", "/").split("/")) for rs, gt in calls.items()})
    return out


@pytest.mark.parametrize(("diplotype", "first", "second", "f1", "f2"), [
    ("c.498G>A/c.2582A>G", "c.498G>A", "c.2582A>G", "Normal function", "Normal function"),
    ("c.2582A>G/c.2846A>T", "c.2582A>G", "c.2846A>T", "Normal function", "Decreased function"),
    ("c.2582A>G/c.2933A>G", "c.2582A>G", "c.2933A>G", "Normal function", "No function"),
    ("c.2933A>G/c.2933A>G", "c.2933A>G", "c.2933A>G", "No function", "No function"),
    ("c.498G>A/[c.2933A>G + c.1905+1G>A (*2A)]", "c.498G>A", "c.1905+1G>A (*2A)", "Normal function", "No function"),
    ("c.1905+1G>A (*2A)/[c.498G>A + c.2933A>G]", "c.1905+1G>A (*2A)", "c.2933A>G", "No function", "No function"),
    ("[c.498G>A + c.2582A>G]/[c.2846A>T + c.2933A>G]", "c.498G>A", "c.2933A>G", "Normal function", "No function"),
])
def test_each_copy_is_scored_by_its_lowest_function_allele(diplotype: str, first: str, second: str, f1: str,
                                                           f2: str) -> None:
    # LowestFunctionGeneCallerTest.inferPhased (diplotypes given as outside calls)
    scored = score_diplotypes(D, [diplotype])
    assert scored is not None
    assert scored[0] == (first, second)
    assert (FUNCTION[_activity(first)], FUNCTION[_activity(second)]) == (f1, f2)
    assert scored[1] == _activity(first) + _activity(second)


@pytest.mark.parametrize(("diplotypes", "label", "score"), [
    (["c.2657G>A (*9B)/c.1679T>G (*13)"], "c.1679T>G (*13)/c.2657G>A (*9B)", 1.0),
    (["c.1774C>T/c.1679T>G (*13)"], "c.1679T>G (*13)/c.1774C>T", 0.0),
    (["c.2657G>A (*9B)/[c.1774C>T + c.1679T>G (*13)]"], "c.1679T>G (*13)/c.2657G>A (*9B)", 1.0),
    (["c.2657G>A (*9B)/[c.1774C>T + c.1679T>G (*13)]", "c.1679T>G (*13)/[c.1774C>T + c.2657G>A (*9B)]"],
     "c.1679T>G (*13)/c.1774C>T", 0.0),
])
def test_of_several_diplotypes_the_lowest_scoring_is_looked_up(diplotypes: list[str], label: str,
                                                               score: float) -> None:
    # LowestFunctionGeneCallerTest.inferDiplotypes_matcherPhaseSets (PharmCAT's label sorts the two alleles)
    scored = score_diplotypes(D, diplotypes)
    assert scored is not None
    assert ("/".join(sorted(scored[0], key=name_key)), scored[1]) == (label, score)


def test_unphased_alleles_found_score_the_two_lowest_function_ones() -> None:
    # LowestFunctionGeneCallerTest.inferDiplotypes_matcherUnphased
    got = call_dpyd(D, _copies({"rs139834141": "C/T", "rs60139309": "T/C", "rs67376798": "A/T",
                                "rs72547601": "C/T"}), {})
    assert got.alleles_found and got.calls == ("c.498G>A", "c.2582A>G", "c.2846A>T", "c.2933A>G")
    assert got.lookup == ("c.2933A>G", "c.2846A>T")
    assert [FUNCTION[_activity(n)] for n in got.lookup] == ["No function", "Decreased function"]
    assert (got.activity_score, got.phenotype) == (0.5, "Poor Metabolizer")


def test_alleles_rank_by_activity_then_name() -> None:
    # LowestFunctionGeneCallerTest.testDpydActivityComparator
    for lower, higher in [("c.2846A>T", "Reference"), ("c.2933A>G", "c.2846A>T"), ("c.2933A>G", "Reference"),
                          ("Reference", "c.498G>A"), ("c.498G>A", "c.2582A>G")]:
        assert by_function(D, [higher, lower]) == [lower, higher]


def test_names_sort_as_pharmcat_prints_them() -> None:
    names = ["[c.85T>C (*9A) + c.632A>G + c.2846A>T]", HAPB3, "[c.85T>C (*9A) + c.632A>G]", "c.1679T>G (*13)",
             HAPB3_INTRONIC, "c.61C>T", "Reference"]
    assert sorted(names, key=name_key) == ["Reference", "c.61C>T", HAPB3_INTRONIC, HAPB3, "c.1679T>G (*13)",
                                           "[c.85T>C (*9A) + c.632A>G]", "[c.85T>C (*9A) + c.632A>G + c.2846A>T]"]


def _outside(line: str) -> GeneCall:
    patient = read_patient(DATA / "pharmcat" / "DPYD_testDpydC2846het.vcf", build="GRCh38", panels=pgx_panels())
    return call_pgx(patient, read_outside_calls(f"{line}\n")).gene("DPYD")


def test_an_outside_dpyd_call_is_scored_by_the_lowest_function_rule() -> None:
    call = _outside("DPYD\tc.498G>A/[c.2933A>G + c.1905+1G>A (*2A)]")
    assert (call.phenotype, call.activity_score, call.outside_call) == ("Intermediate Metabolizer", 1.0, True)


def test_an_outside_dpyd_call_with_unknown_names_asks_for_its_phenotype() -> None:
    # PharmCAT (infer_outsideCall_noMatch) gives "*1/*5" Indeterminate; GenoLens asks for the phenotype instead.
    with pytest.raises(OutsideCallError, match=r"'\*1/\*5' cannot be read"):
        _outside("DPYD\t*1/*5")
    assert _outside("DPYD\t*1/*5\tNormal Metabolizer").phenotype == "Normal Metabolizer"


def test_hapb3_on_one_copy_and_its_intronic_variant_on_the_other() -> None:
    # DpydTest.hapB3AndIntronicD, phased: 1|0 at c.1236G>A, 1|1 at c.1129-5923C>G
    got = call_dpyd(D, _copies({"rs56038477": "T|C", "rs75017182": "C|C"}), {INDEX["rs56038477"]: None,
                                                                              INDEX["rs75017182"]: None})
    assert got.calls == (f"{HAPB3_INTRONIC}/{HAPB3}",) and got.activity_score == 1.0 and got.warnings == ()


def test_too_many_phase_sets_are_not_tried() -> None:
    hets = [i for i, p in enumerate(D.positions) if p.rsid not in ("rs56038477", "rs75017182")][:15]
    copies = _copies({})
    copies.update({i: (D.positions[i].ref, D.positions[i].alts[0]) for i in hets})
    got = call_dpyd(D, copies, {i: n for n, i in enumerate(hets)})
    assert (got.phenotype, got.calls, got.activity_score) == ("Indeterminate", (), None)
    assert "too many arrangements" in got.note


def test_an_allele_no_dpyd_allele_defines_is_refused() -> None:
    with pytest.raises(PanelError, match="rs3918290: allele G is not defined"):
        call_dpyd(D, _copies({"rs3918290": "C/G"}), {})


def test_definitions_the_rule_cannot_read_are_refused() -> None:
    two = replace(D.alleles[1], name="two positions", cells=tuple("A" if i < 2 else None for i in range(
        len(D.positions))))
    with pytest.raises(PanelError, match="'two positions' is not one variant at one position"):
        call_dpyd(replace(D, alleles=(*D.alleles, two)), _copies({}), {})
