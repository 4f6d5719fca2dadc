"""Guideline phenotypes: PharmCAT's own example outputs, and tiny cases whose answer the CPIC rules fix."""

from __future__ import annotations

import pytest

from genolens.errors import GenoLensError
from genolens.genome.panel import load_panels
from genolens.genome.patient import read_patient
from genolens.genome.pgx import OUTSIDE_ONLY, PHARMCAT_GENES, GeneCall, PgxReport, call_pgx, pgx_panels, pgx_to_json
from tests.factories import DATA, DEMO, need_shared, pharmcat_report

# Reference-allele names differ between tools: PharmCAT calls the CYP2C19 reference haplotype *38.
_REFERENCE_NAMES = {"*38": "*1"}


def _report(name: str, *, sample: str | None = None) -> PgxReport:
    return call_pgx(read_patient(DATA / name, sample=sample, panels=pgx_panels()))


def _alleles(diplotype: str) -> list[str]:
    return sorted(_REFERENCE_NAMES.get(a, a) for a in diplotype.split("/"))


@pytest.mark.corpus
@pytest.mark.parametrize("example", ["pharmcat.example", "pharmcat.example2"])
def test_phenotypes_agree_with_pharmcat_examples(example: str) -> None:
    folder = need_shared("corpus", "pgx", "pharmcat-examples")
    expected = pharmcat_report(folder / f"{example}.report.tsv")
    report = call_pgx(read_patient(folder / f"{example}.vcf", panels=pgx_panels()))
    compared = [g for g in (*PHARMCAT_GENES, "G6PD", "HLA-B") if g in expected]
    assert len(compared) == 10  # every covered gene but HLA-B, which PharmCAT does not call from a VCF
    for name in compared:
        dip, phen = expected[name]
        call = report.gene(name)
        assert call.phenotype == phen, f"{name}: ours {call.phenotype!r}, PharmCAT {phen!r}"
        assert [_alleles(d) for d in call.diplotypes] == [_alleles(dip)], f"{name}: {call.diplotypes} vs {dip}"
        assert call.missing_positions == ()


@pytest.mark.corpus
def test_pharmcat_example2_is_cyp2c19_star2_homozygous() -> None:
    folder = need_shared("corpus", "pgx", "pharmcat-examples")
    report = call_pgx(read_patient(folder / "pharmcat.example2.vcf", panels=pgx_panels()))
    assert report.gene("CYP2C19").diplotypes == ("*2/*2",)
    assert report.gene("CYP2C19").phenotype == "Poor Metabolizer"
    hla = report.gene("HLA-B")  # rs2395029 is not in PharmCAT's positions: missing, not negative
    assert (hla.phenotype, hla.missing_positions, hla.diplotypes) == ("Indeterminate", ("rs2395029",), ())


def test_tpmt_unphased_double_het_lists_both_diplotypes() -> None:
    tpmt = _report("pgx_tpmt_unphased_double_het.vcf").gene("TPMT")
    # *3A = *3B (rs1800460) + *3C (rs1142345) in cis; trans gives *3B/*3C. One no-function allele is IM,
    # two are PM (CPIC thiopurines), so phasing decides the phenotype.
    assert set(tpmt.diplotypes) == {"*1/*3A", "*3B/*3C"}
    assert tpmt.phenotype == "Intermediate Metabolizer or Poor Metabolizer"
    assert "phased" in tpmt.note


def test_tpmt_phased_cis_is_star3a_and_trans_is_star3b_star3c() -> None:
    cis = _report("pgx_tpmt_phased_cis_trans.vcf", sample="CIS").gene("TPMT")
    assert (cis.diplotypes, cis.phenotype) == (("*1/*3A",), "Intermediate Metabolizer")
    trans = _report("pgx_tpmt_phased_cis_trans.vcf", sample="TRANS").gene("TPMT")
    assert (trans.diplotypes, trans.phenotype) == (("*3B/*3C",), "Poor Metabolizer")


def _tpmt_ps(sample: str) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    tpmt = _report("pgx_tpmt_phase_sets.vcf", sample=sample).gene("TPMT")
    return tpmt.diplotypes, tpmt.phenotype, tpmt.possible_phenotypes


_TPMT_UNKNOWN_PHASE = (("*1/*3A", "*3B/*3C"), "Intermediate Metabolizer or Poor Metabolizer",
                       ("Intermediate Metabolizer", "Poor Metabolizer"))


@pytest.mark.parametrize("sample", ["SAME_PS", "PS_MISSING"])
def test_tpmt_phased_hets_in_one_phase_set_are_cis(sample: str) -> None:
    # rs1142345 (*3C) and rs1800460 (*3B) 0|1 in one set (one PS, or both '.': VCF 4.3 puts phased genotypes
    # without PS in one set): both on one copy, *3A = *3B + *3C in cis.
    assert _tpmt_ps(sample) == (("*1/*3A",), "Intermediate Metabolizer", ())


@pytest.mark.parametrize("sample", ["OTHER_PS", "OTHER_PS_TRANS", "ONE_PS_MISSING", "MIXED_UNPHASED"])
def test_tpmt_hets_in_different_phase_sets_are_of_unknown_phase(sample: str) -> None:
    # Phased in different sets (two PS, or one PS and one without), or one het unphased: cis/trans between them
    # is unknown, whatever order the GTs are written in, so the answer is the unphased double het's.
    unphased = _report("pgx_tpmt_unphased_double_het.vcf").gene("TPMT")
    assert (unphased.diplotypes, unphased.phenotype, unphased.possible_phenotypes) == _TPMT_UNKNOWN_PHASE
    assert _tpmt_ps(sample) == _TPMT_UNKNOWN_PHASE
    tpmt = _report("pgx_tpmt_phase_sets.vcf", sample=sample).gene("TPMT")
    assert tpmt.pharmcat_diplotypes == unphased.pharmcat_diplotypes == ("*1/*3A",)
    assert tpmt.uncertainty == "Phase unknown: *1/*3A or *3B/*3C; calls phased in one phase set would decide"


def test_gene_split_by_phase_sets_says_so() -> None:
    note = _report("pgx_tpmt_phase_sets.vcf", sample="OTHER_PS").gene("TPMT").note
    assert ("Phased in 2 phase sets (PS 18130687: rs1142345; PS 18138997: rs1800460): cis/trans between sets "
            "unknown.") in note
    assert "phase sets" not in _report("pgx_tpmt_phase_sets.vcf", sample="SAME_PS").gene("TPMT").note
    mixed = _report("pgx_tpmt_phase_sets.vcf", sample="ONE_PS_MISSING").gene("TPMT").note
    assert "(PS 18130687: rs1142345; no PS: rs1800460)" in mixed


def test_ps_of_unphased_genotypes_is_ignored() -> None:
    # VCF 4.3: "If the genotype in the GT field is unphased, the corresponding PS field is ignored."
    assert _tpmt_ps("UNPHASED_SAME_PS") == _TPMT_UNKNOWN_PHASE


@pytest.mark.parametrize(("sample", "diplotypes"), [
    ("SAME_PS", ("B (reference)/A- 202A_376G",)),
    ("OTHER_PS", ("B (reference)/A- 202A_376G", "A/Asahi")),
    ("UNPHASED", ("B (reference)/A- 202A_376G", "A/Asahi")),
])
def test_g6pd_a_minus_needs_both_variants_in_one_phase_set(sample: str, diplotypes: tuple[str, ...]) -> None:
    # G6PD A- is 376G (rs1050829) + 202A (rs1050828) in cis; in trans the copies are A and Asahi. A heterozygous
    # female is Variable either way, so only the diplotypes show the phase.
    g6pd = _report("pgx_g6pd_phase_sets.vcf", sample=sample).gene("G6PD")
    assert (g6pd.diplotypes, g6pd.phenotype) == (diplotypes, "Variable")

def test_dpyd_star2a_het_scores_one() -> None:
    dpyd = _report("pgx_dpyd_2a_het.vcf").gene("DPYD")
    # AS = 1 (normal allele) + 0 (c.1905+1G>A, no function) = 1.0 -> Intermediate Metabolizer (AS 1-1.5).
    assert dpyd.diplotypes == ("Reference/c.1905+1G>A (*2A)",)
    assert dpyd.activity_score == 1.0
    assert dpyd.phenotype == "Intermediate Metabolizer"
    assert "rs3918290" not in dpyd.missing_positions  # the PharmCAT positions off this small file are listed


def test_missing_dpyd_position_is_not_taken_as_reference() -> None:
    dpyd = _report("pgx_dpyd_missing_2a.vcf").gene("DPYD")
    # rs3918290 absent: PharmCAT calls from the positions present and lists *2A as not tested.
    assert "rs3918290" in dpyd.missing_positions and "c.1905+1G>A (*2A)" in dpyd.untested_alleles
    assert (dpyd.diplotypes, dpyd.phenotype) == (("Reference/Reference",), "Normal Metabolizer")
    assert "rs3918290" in dpyd.note
    # The strict policy (a user option) never calls it, and shows PharmCAT's answer beside it.
    from genolens.genome.patient import read_patient as _read
    strict = call_pgx(_read(DATA / "pgx_dpyd_missing_2a.vcf", panels=pgx_panels()), missing="strict").gene("DPYD")
    assert (strict.phenotype, strict.pharmcat_phenotype) == ("Indeterminate", "Normal Metabolizer")


def test_missing_position_that_cannot_change_the_phenotype_is_said_so() -> None:
    dpyd = _report("pgx_dpyd_missing_hapb3_tag.vcf").gene("DPYD")
    # rs56038477 (c.1236G>A) is decreased-function only as HapB3 with c.1129-5923C>G, which is hom-ref here.
    assert "rs56038477" in dpyd.missing_positions
    assert (dpyd.phenotype, dpyd.activity_score) == ("Normal Metabolizer", 2.0)


def test_cyp2c19_star2_star17_is_intermediate() -> None:
    report = _report("pgx_cyp2c19_2_17.vcf")
    cyp2c19 = report.gene("CYP2C19")
    # rs28399504 is not in the file, so *4 (rs28399504 + rs12248560) cannot be told from *17: PharmCAT's
    # tie, and the phenotype is not guessed.
    assert cyp2c19.diplotypes == ("*2/*4", "*2/*17")
    assert cyp2c19.phenotype == "Poor Metabolizer or Intermediate Metabolizer"
    assert report.gene("VKORC1").phenotype == "-1639 AG"
    assert {"rs1799853", "rs1057910"} <= set(report.gene("CYP2C9").missing_positions)
    assert report.gene("CYP2C9").phenotype == "Indeterminate"


def test_cyp3a5_grch37_homref_is_star3_star3() -> None:
    report = _report("pgx_grch37_cyp3a5_homref.vcf")
    assert report.build == "GRCh37"
    # The GRCh37 reference base at rs776746 is the *3 allele: hom-ref means *3/*3, a Poor Metabolizer.
    cyp3a5 = report.gene("CYP3A5")
    assert (cyp3a5.diplotypes, cyp3a5.phenotype) == (("*3/*3",), "Poor Metabolizer")


def test_hla_tag_is_positive_and_says_it_is_a_tag() -> None:
    hla = _report("pgx_tpmt_unphased_double_het.vcf").gene("HLA-B")
    assert hla.phenotype == "positive"
    assert "tag SNP" in hla.note and "not an HLA type" in hla.note


def test_multiallelic_tpmt_3c_41_is_called_from_pharmcats_alleles() -> None:
    tpmt = _report("multiallelic_tpmt.vcf", sample="HET_3C_41").gene("TPMT")  # rs1142345 C/G: *3C and *41
    assert tpmt.phenotype == "Poor Metabolizer" and "*3C/*41" in tpmt.diplotypes


def test_g6pd_hemizygous_a_minus_is_deficient() -> None:
    g6pd = _report("haploid_chrx.vcf", sample="MALE").gene("G6PD")
    # 202A + 376G on the one X is A- (class III): Deficient, whatever rs5030868 (absent) carries.
    assert (g6pd.diplotypes, g6pd.phenotype) == (("A- 202A_376G",), "Deficient")
    assert g6pd.missing_positions == ("rs5030868",)


def test_json_shape() -> None:
    out = pgx_to_json(_report("pgx_dpyd_2a_het.vcf"))
    # CYP2D6, MT-RNR1: outside calls only
    assert list(out["genes"]) == [*PHARMCAT_GENES, "G6PD", "HLA-B", *OUTSIDE_ONLY]
    assert out["genes"]["CYP2D6"]["phenotype"] == "No result" and out["genes"]["CYP2D6"]["outside_call"] is False
    dpyd = out["genes"]["DPYD"]
    assert dpyd["diplotypes"] == ["Reference/c.1905+1G>A (*2A)"]
    assert (dpyd["phenotype"], dpyd["activity_score"], dpyd["policy"]) == ("Intermediate Metabolizer", 1.0, "pharmcat")
    assert out["genes"]["TPMT"]["activity_score"] is None


def test_panel_not_read_is_an_error() -> None:
    others = [p for p in load_panels() if p.name != "pharmacogenomics"][:1]
    patient = read_patient(DATA / "pgx_dpyd_2a_het.vcf", panels=others)
    with pytest.raises(GenoLensError, match="'pharmacogenomics' was not read"):
        call_pgx(patient)


@pytest.mark.corpus
def test_real_hemizygous_g6pd_mediterranean_is_deficient() -> None:
    path = need_shared("corpus", "vcf", "cyvcf2", "test-haploidX.vcf")  # GRCh37, haploid chrX calls
    panels = pgx_panels()
    carrier = call_pgx(read_patient(path, sample="37150", panels=panels)).gene("G6PD")
    # GT 1 at c.563C>T (rs5030868, S188F): Mediterranean, WHO class II, on the only X -> Deficient,
    # whatever the two absent positions carry.
    assert carrier.diplotypes == ("Mediterranean, Dallas, Panama, Sassari, Cagliari, Birmingham",)
    assert carrier.phenotype == "Deficient"
    assert carrier.missing_positions == ("rs1050828", "rs1050829")
    # GT 0 there, but A- (rs1050828 + rs1050829) is not in the file: Normal or Deficient.
    other = call_pgx(read_patient(path, sample="38008", panels=panels)).gene("G6PD")
    assert other.phenotype == "Indeterminate"
    assert "A- 202A_376G" in other.diplotypes


def test_whole_genome_policy_lets_absent_pgx_sites_count_as_reference_and_says_so() -> None:
    from genolens.genome.patient import read_patient as _read
    from genolens.genome.pgx import call_pgx as _call

    demo = DEMO / "dpyd_2A_heterozygote.vcf.gz"
    strict = _call(_read(demo, qc_records=0), missing="strict").gene("DPYD")
    assert strict.phenotype == "Indeterminate" and strict.missing_positions  # never assumed by default
    assert strict.pharmcat_phenotype == "Intermediate Metabolizer"  # PharmCAT: called from the positions present
    wgs = _call(_read(demo, absent="reference", qc_records=0)).gene("DPYD")
    assert (wgs.phenotype, wgs.activity_score) == ("Intermediate Metabolizer", 1.0)
    assert "Assumed reference" in wgs.note and "rs55886062" in wgs.note


def test_whole_genome_assumption_gives_way_to_a_called_variant_it_cannot_explain() -> None:
    # The CYP2C19 demo lists rs4244285 A/A but not rs12769205; PharmCAT's *2 is defined by both. Assuming the
    # absent rs12769205 is reference contradicts the called A/A (no PharmCAT allele pair fits it); the gene is then
    # called from the positions in the file, as PharmCAT calls it without the assumption, and the note says why.
    patient = read_patient(DEMO / "cyp2c19_2_2.vcf.gz", absent="reference", qc_records=0, panels=pgx_panels())
    wgs = call_pgx(patient).gene("CYP2C19")
    assert (wgs.phenotype, wgs.diplotypes[0]) == ("Poor Metabolizer", "*2/*2")
    assert "rs12769205" in wgs.missing_positions  # listed missing, not assumed
    assert "whole-genome assumption" in wgs.note
    as_pharmcat = call_pgx(read_patient(DEMO / "cyp2c19_2_2.vcf.gz", qc_records=0, panels=pgx_panels()))
    assert as_pharmcat.gene("CYP2C19").diplotypes[0] == "*2/*2"  # the same call without the assumption
    # other genes keep the assumption: DPYD's absent positions are still read as reference
    assert call_pgx(patient).gene("DPYD").phenotype == "Normal Metabolizer"


def test_a_half_called_variant_makes_the_gene_indeterminate_with_the_call_named() -> None:
    """CYP2C19 *2 written ./1 (one allele missing, the other the *2 ALT): not read as missing and the gene called
    *1/*1 from the other positions, but Indeterminate naming the call; the same site written 0/1 is *1/*2."""
    def cyp2c19(sample: str) -> GeneCall:
        p = read_patient(DATA / "pgx_cyp2c19_half_called_star2.vcf", sample=sample)
        return next(g for g in call_pgx(p).genes if g.gene == "CYP2C19")

    half = cyp2c19("HALF_CALLED")
    assert (half.phenotype, half.diplotypes) == ("Indeterminate", ())
    assert "rs4244285 ./1" in half.uncertainty
    full = cyp2c19("FULLY_CALLED")  # the other CYP2C19 positions are absent: called from those present
    assert "*1/*2" in full.diplotypes and full.phenotype != "Indeterminate"
