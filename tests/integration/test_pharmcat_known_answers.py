"""PharmCAT's own known answers for the genes GenoLens calls from PharmCAT's allele definitions.

Each fixture in ``tests/data/pharmcat`` is a PharmCAT test VCF (``src/test/resources/org/pharmgkb/pharmcat/
haplotype/<GENE>/<case>.vcf`` at PharmGKB/PharmCAT@5431bf1) or, for cases PharmCAT builds in code with
``TestVcfBuilder``, the VCF that builder writes (every gene position reference unless the test names it;
``missing`` positions left out), named ``<GENE>_<case>.vcf``. The expected diplotypes are the ones PharmCAT's
tests assert (``NamedAlleleMatcher<Gene>Test``); ``()`` where PharmCAT's test expects no call.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from genolens.genome.panel import load_panel
from genolens.genome.patient import read_patient
from genolens.genome.pgx import PHARMCAT_GENES, GeneCall, call_pgx, load_definitions, pgx_panels
from tests.data.pharmcat.write_builder_cases import BUILDER_CASES, PIPELINE_CASES
from tests.factories import DATA, need_shared

FIXTURES = DATA / "pharmcat"

# (fixture, PharmCAT test, PharmCAT's expected diplotypes): PharmCAT's own test VCFs
VCF_CASES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("CYP3A5_s3s9", "NamedAlleleMatcherCyp3a5Test.cyp3a5s3s9", ("*3/*9",)),
    ("CYP3A5_s1s7", "NamedAlleleMatcherCyp3a5Test.cyp3a5s1s7", ("*1/*7",)),
    ("CYP3A5_s3s9-homozygous", "NamedAlleleMatcherCyp3a5Test.cyp3a5s3s9Homozygous", ("*3/*9",)),
    ("CYP3A5_s1s7missing", "NamedAlleleMatcherCyp3a5Test.s1s7missing", ("*1/*1",)),
    ("CYP3A5_s1s1rs776746missing", "NamedAlleleMatcherCyp3a5Test.s1s1rs776746missing", ("*1/*1",)),
    ("CYP2C19_s4bs17rs28399504missing", "NamedAlleleMatcherCyp2c19Test.s4bs17rs28399504missing",
     ("*4/*4", "*4/*17", "*17/*17")),
    ("TPMT_s1s1", "NamedAlleleMatcherTpmtTest.tpmts1s1", ("*1/*1",)),
    ("TPMT_s1s1s", "NamedAlleleMatcherTpmtTest.tpmts1s1s", ("*1/*1",)),
    ("TPMT_s3bs3c", "NamedAlleleMatcherTpmtTest.tpmts3bs3c", ("*1/*3A", "*3B/*3C")),
    ("TPMT_s3as3b", "NamedAlleleMatcherTpmtTest.tpmts3as3b", ("*3A/*3B",)),
    ("TPMT_s16s22", "NamedAlleleMatcherTpmtTest.tpmts16s22", ("*16/*22",)),
    ("TPMT_s1ss1ss3", "NamedAlleleMatcherTpmtTest.tpmtStar1SHomo3AHet", ("*1/*3A", "*3B/*3C")),
    ("UGT1A1_s1s1", "NamedAlleleMatcherUgt1a1Test.ugt1a1s1s1", ("*1/*1",)),
    ("UGT1A1_s28s37", "NamedAlleleMatcherUgt1a1Test.ugt1a1s28s37", ("*28/*37",)),
    ("UGT1A1_s6s6", "NamedAlleleMatcherUgt1a1Test.ugt1a1s6s6", ("*6/*6",)),
    ("UGT1A1_s1s60s80unphased", "NamedAlleleMatcherUgt1a1Test.ugt1a1s1s60s80", ("*1/*80",)),
    ("UGT1A1_s1s28s60s80unphased", "NamedAlleleMatcherUgt1a1Test.ugt1a1s1s28s60s80", ("*1/*80+*28", "*28/*80")),
    ("UGT1A1_s1s60s80phased", "NamedAlleleMatcherUgt1a1Test.ugt1a1s1s60s80phased", ("*1/*80",)),
    ("UGT1A1_s28s80s6s60phased", "NamedAlleleMatcherUgt1a1Test.ugt1a1s28s80s6s60phased", ("*6/*80+*28",)),
    ("UGT1A1_s28s80s6s60unphased", "NamedAlleleMatcherUgt1a1Test.ugt1a1s28s80s6s60unphased", ("*6/*80+*28",)),
    ("UGT1A1_s6s60s80s28missingunphased", "NamedAlleleMatcherUgt1a1Test.ugt1a1s6s60s80s28missingunphased",
     ("*6/*80", "*6/*80+*28", "*6/*80+*37")),
    ("UGT1A1_s28s80unphased", "NamedAlleleMatcherUgt1a1Test.ugt1a1s28s80unphased", ("*1/*80+*28", "*28/*80")),
    ("UGT1A1_s28s80phased", "NamedAlleleMatcherUgt1a1Test.ugt1a1s28s80phased", ("*1/*80+*28",)),
    ("UGT1A1_s1s37s80s60phased", "NamedAlleleMatcherUgt1a1Test.ugt1a1s1s37s80s60phased", ("*1/*80+*37",)),
    ("VKORC1_-1639G-1639G", "NamedAlleleMatcherVkorc1Test.vkorc1gg",
     ("rs9923231 reference (C)/rs9923231 reference (C)",)),
    ("VKORC1_-1639G-1639A", "NamedAlleleMatcherVkorc1Test.vkorc1ga",
     ("rs9923231 reference (C)/rs9923231 variant (T)",)),
    ("VKORC1_-1639A-1639A", "NamedAlleleMatcherVkorc1Test.vkorc1aa", ("rs9923231 variant (T)/rs9923231 variant (T)",)),
)


def _call(fixture: str, **kwargs: str) -> GeneCall:
    patient = read_patient(FIXTURES / f"{fixture}.vcf", build="GRCh38",
                           panels=[load_panel("pharmacogenomics"), load_panel("pharmcat_positions")])
    return call_pgx(patient, **kwargs).gene(fixture.split("_")[0])  # type: ignore[arg-type]


# PharmCAT's TestVcfBuilder cases, written as fixtures by tests/data/pharmcat/write_builder_cases.py; with
# ``top_only`` PharmCAT's test asks for its top-scoring candidates only, else for every matching diplotype.
BUILDER = tuple((f"{g}_{name}", test, expected, top) for g, name, test, _gt, _miss, expected, top in
                (*BUILDER_CASES, *PIPELINE_CASES))
CASES = (*((f, t, e, False) for f, t, e in VCF_CASES), *BUILDER)


@pytest.mark.parametrize(("fixture", "test", "expected", "top_only"), CASES, ids=[c[0] for c in CASES])
def test_diplotypes_are_pharmcats(fixture: str, test: str, expected: tuple[str, ...], top_only: bool) -> None:
    call = _call(fixture)
    got = call.pharmcat_diplotypes if top_only else call.diplotypes
    assert set(got) == set(expected), test
    if not expected:  # PharmCAT makes no call: never a confident phenotype
        assert call.phenotype == "Indeterminate"
        assert "rs" in call.uncertainty


@pytest.mark.parametrize(("fixture", "phenotype"), [
    ("CYP2C19_s4as4b", "Poor Metabolizer"),
    ("CYP2C19_rs12769205call", "Intermediate Metabolizer"),   # *35 is no function in PharmCAT's table
    ("CYP2C9_s24_s24", "Poor Metabolizer"),
    ("CYP2C9_s2_s24", "Poor Metabolizer"),                    # 0.5 + 0 (CPIC activity values)
    ("TPMT_s3as3b", "Poor Metabolizer"),
    ("UGT1A1_s28s80phased", "Intermediate Metabolizer"),
])
def test_phenotypes_follow_pharmcats_tables(fixture: str, phenotype: str) -> None:
    assert _call(fixture).phenotype == phenotype


def test_cyp3a5_star6_star7_positions_absent_is_star1_star1_with_them_listed() -> None:
    call = _call("CYP3A5_s1s7missing")
    assert call.phenotype == "Normal Metabolizer"
    assert call.missing_positions == ("rs41303343",)
    assert call.untested_alleles == ("*7",)


def test_cyp3a5_targeted_file_without_star6_star7_is_star1_star1_with_them_listed() -> None:
    # The case: PharmCAT calls *1/*1 from the positions present and lists those missing.
    call = _call("CYP3A5_s6s7positionsabsent")
    assert (call.diplotypes, call.phenotype) == (("*1/*1",), "Normal Metabolizer")
    assert call.missing_positions == ("rs41303343", "rs10264272") and call.untested_alleles == ("*6", "*7")
    assert "rs41303343" in call.note and "*6" in call.note


def test_strict_policy_is_indeterminate_and_keeps_pharmcats_answer_beside_it() -> None:
    call = _call("CYP3A5_s1s7missing", missing="strict")
    assert (call.phenotype, call.policy, call.pharmcat_phenotype) == ("Indeterminate", "strict", "Normal Metabolizer")
    assert "Strict policy" in call.note


def test_unphased_tpmt_double_het_gives_both_phenotypes_not_pharmcats_top_guess() -> None:
    call = _call("TPMT_s3bs3c")
    assert call.diplotypes[0] == "*1/*3A"  # PharmCAT's top-scoring diplotype first
    assert call.possible_phenotypes == ("Intermediate Metabolizer", "Poor Metabolizer")


def test_variant_no_allele_explains_is_named_and_indeterminate() -> None:
    call = _call("CYP2C9_s2_s24Only")
    assert call.phenotype == "Indeterminate" and call.diplotypes == ()
    assert "rs749060448 A/A" in call.uncertainty and "rs1799853 C/T" in call.uncertainty


def test_tpmt_star41_is_called() -> None:
    call = _call("TPMT_s1s41")
    assert (call.diplotypes, call.phenotype) == (("*1/*41",), "Intermediate Metabolizer")


def test_tpmt_star3c_star41_in_one_multiallelic_record() -> None:
    call = _call("TPMT_s3cs41_multiallelic")
    assert "*3C/*41" in call.diplotypes  # *3A/*41 ties: rs1800460 (*3A's other position) is not in the file
    assert call.phenotype == "Poor Metabolizer"


def test_ugt1a1_star28_in_the_short_indel_form() -> None:
    call = _call("UGT1A1_s1s28_short_indel")  # C>CAT at chr2:233760233, PharmCAT writes CAT>CATAT
    assert "*1/*28" in call.diplotypes
    assert call.phenotype == "Intermediate Metabolizer"


@pytest.mark.corpus
@pytest.mark.parametrize("example", ["pharmcat.example", "pharmcat.example2"])
def test_pharmcat_examples_diplotypes_are_pharmcats_published_ones(example: str) -> None:
    folder = need_shared("corpus", "pgx", "pharmcat-examples")
    published = json.loads((folder / f"{example}.match.json").read_text(encoding="utf-8"))
    report = call_pgx(read_patient(folder / f"{example}.vcf", panels=pgx_panels()))
    compared = 0
    for result in published["results"]:
        if result["gene"] in PHARMCAT_GENES:
            call = report.gene(result["gene"])
            assert set(call.pharmcat_diplotypes) == {d["name"] for d in result["diplotypes"]}, result["gene"]
            compared += 1
    assert compared == len(PHARMCAT_GENES)


def test_undocumented_tpmt_allele_is_not_read_as_reference() -> None:
    # PharmCAT (PipelineTest.testUndocumentedVariationsWithTreatAsReference) reads TPMT rs1800462 C/T, an ALT its
    # definitions do not have, as reference and calls *1/*1; GenoLens names the variant and does not call it.
    call = _call("TPMT_undocumented_rs1800462")
    assert (call.phenotype, call.diplotypes) == ("Indeterminate", ())
    assert "rs1800462" in call.uncertainty


def _undefined_alt_cases() -> list[tuple[str, int]]:
    defs = load_definitions()
    ends = {g: len(defs[g].positions) - 1 for g in PHARMCAT_GENES}
    return [(g, i) for g in PHARMCAT_GENES for i in sorted({0, ends[g] // 2, ends[g]})]  # first, middle, last


@pytest.mark.parametrize(("gene", "index"), _undefined_alt_cases())
def test_an_allele_no_definition_has_is_named_never_explained_away(tmp_path: Path, gene: str, index: int) -> None:
    # A heterozygous call at a defining position, of a base no PharmCAT allele has there: never a phenotype.
    p = load_definitions()[gene].positions[index]
    if len(p.ref) != 1:
        pytest.skip("indel position")
    alt = next(b for b in "ACGT" if b not in (p.ref, *p.alts))
    vcf = tmp_path / "undefined_alt.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n"
                   f"##contig=<ID=chr{p.chrom},assembly=hg38>\n"
                   '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
                   "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n"
                   f"chr{p.chrom}\t{p.pos38}\t{p.rsid or '.'}\t{p.ref}\t{alt}\t.\tPASS\t.\tGT\t0/1\n", encoding="utf-8")
    call = call_pgx(read_patient(vcf, build="GRCh38", panels=pgx_panels())).gene(gene)
    assert (call.phenotype, call.diplotypes, call.possible_phenotypes) == ("Indeterminate", (), ())
    assert p.label() in call.uncertainty
