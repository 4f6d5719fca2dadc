"""Calls and features: each known trap pinned by a tiny fixture named after it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from genolens.datamodel import PatientGenome, SiteCall
from genolens.genome.encode import trim_alleles
from genolens.genome.patient import read_patient
from tests.factories import DATA


def site(p: PatientGenome, rsid: str) -> SiteCall:
    return next(s for r in p.panels for s in r.sites if s.rsid == rsid)


def test_absent_nocall_filtered_and_reference_block_are_told_apart() -> None:
    p = read_patient(DATA / "absent_vs_nocall_vs_filtered_vs_refblock.vcf")
    assert (site(p, "rs3918290").status, site(p, "rs3918290").dosage) == ("called", 1.0)
    assert (site(p, "rs55886062").status, site(p, "rs55886062").dosage) == ("no_call", None)
    filtered = site(p, "rs67376798")
    assert (filtered.status, filtered.dosage, filtered.genotype) == ("filtered", None, "1/1")
    block = site(p, "rs56038477")
    assert (block.status, block.dosage, block.gq, block.genotype) == ("reference_block", 0.0, 40, "0/0")
    assert site(p, "rs75017182").status == "reference_block"
    assert site(p, "rs1800462").status == "absent"  # TPMT: no chr6 record at all


def test_missing_stays_missing_under_the_default_policy() -> None:
    p = read_patient(DATA / "absent_vs_nocall_vs_filtered_vs_refblock.vcf")
    pgx = next(r for r in p.panels if r.panel == "pharmacogenomics")
    ids = list(pgx.features.names)
    for rsid in ("rs55886062", "rs67376798", "rs1800462"):
        i = ids.index(rsid)
        assert math.isnan(pgx.features.values[i]) and pgx.features.missing[i]
        assert pgx.features.origin[i] == "missing"
    i = ids.index("rs56038477")
    assert pgx.features.values[i] == 0.0 and pgx.features.origin[i] == "observed"


def test_reference_policy_assumes_hom_ref_only_for_absent_sites_and_says_so() -> None:
    p = read_patient(DATA / "absent_vs_nocall_vs_filtered_vs_refblock.vcf", absent="reference")
    pgx = next(r for r in p.panels if r.panel == "pharmacogenomics")
    ids = list(pgx.features.names)
    tpmt = ids.index("rs1800462")  # absent: REF C, effect G -> 0 effect alleles assumed
    assert pgx.features.values[tpmt] == 0.0 and pgx.features.origin[tpmt] == "assumed_reference"
    nocall = ids.index("rs55886062")  # ./. is not absence: never filled in
    assert math.isnan(pgx.features.values[nocall]) and pgx.features.origin[nocall] == "missing"
    # the call itself still says absent: the policy changes the feature, not the record
    assert site(p, "rs1800462").status == "absent"


def test_reference_policy_counts_effect_alleles_when_reference_is_the_effect_allele() -> None:
    p = read_patient(DATA / "grch37_cyp3a5_homref.vcf", absent="reference")
    pgx = next(r for r in p.panels if r.panel == "pharmacogenomics")
    ids = list(pgx.features.names)
    # rs16947 (CYP2D6 *2): GRCh37 reference carries the effect allele A, so hom-ref = 2 copies
    assert pgx.features.values[ids.index("rs16947")] == 2.0


def test_chr_prefix_mismatch_between_header_and_records() -> None:
    p = read_patient(DATA / "chr_prefix_mismatch.vcf")
    assert p.build.build == "GRCh38"
    assert (site(p, "rs4244285").status, site(p, "rs4244285").dosage) == ("called", 2.0)
    assert site(p, "rs12248560").dosage == 0.0


def test_grch37_cyp3a5_hom_ref_is_star3_star3() -> None:
    p = read_patient(DATA / "grch37_cyp3a5_homref.vcf")
    assert p.build.build == "GRCh37"
    s = site(p, "rs776746")
    assert (s.status, s.genotype, s.dosage, s.alleles) == ("called", "0/0", 2.0, ("C", "C"))
    assert site(p, "rs10264272").dosage == 0.0  # CYP3A5 *6: hom-ref is no *6 allele


@pytest.mark.parametrize(("sample", "dosage", "alleles"), [
    ("HET_3C_41", 1.0, ("C", "G")), ("HOM_41", 0.0, ("G", "G")), ("HET_3C", 1.0, ("T", "C")),
])
def test_tpmt_multiallelic_matches_on_the_alt_allele(sample: str, dosage: float, alleles: tuple[str, ...]) -> None:
    s = site(read_patient(DATA / "multiallelic_tpmt.vcf", sample=sample), "rs1142345")
    assert (s.status, s.dosage, s.alleles) == ("called", dosage, alleles)


@pytest.mark.parametrize("fixture", ["ugt1a1_star28_cat_catat.vcf", "ugt1a1_star28_c_cat.vcf"])
def test_ugt1a1_star28_matches_in_both_representations(fixture: str) -> None:
    s = site(read_patient(DATA / fixture), "rs3064744")
    assert (s.status, s.dosage) == ("called", 1.0)


def test_ds_only_file_uses_dosages_and_flags_them() -> None:
    p = read_patient(DATA / "ds_only.vcf")
    s = site(p, "rs4244285")
    assert (s.status, s.dosage, s.from_ds, s.genotype) == ("called", 0.35, True, None)
    assert site(p, "rs776746").dosage == 1.8  # effect allele C is the ALT on GRCh38
    assert site(p, "rs1799853").status == "no_call"  # DS '.'


def test_haploid_chrx_calls_count_one_allele() -> None:
    male = read_patient(DATA / "haploid_chrx.vcf", sample="MALE")
    s = site(male, "rs1050828")
    assert (s.status, s.genotype, s.dosage) == ("called", "1", 1.0)
    assert "haploid" in s.note
    female = read_patient(DATA / "haploid_chrx.vcf", sample="FEMALE")
    assert site(female, "rs1050829").dosage == 1.0 and site(female, "rs1050828").dosage == 0.0


def test_ref_mismatch_is_reported_not_guessed() -> None:
    s = site(read_patient(DATA / "ref_mismatch_cyp2c19.vcf"), "rs4244285")
    assert (s.status, s.dosage) == ("ref_mismatch", None)
    assert "REF A" in s.note


def test_unsorted_and_crlf_files_read_every_record() -> None:
    p = read_patient(DATA / "unsorted_records.vcf")
    assert [site(p, r).dosage for r in ("rs1799853", "rs4244285", "rs3918290", "rs12248560")] == [1, 1, 2, 2]
    assert any("not sorted" in w for w in p.qc.warnings)
    c = read_patient(DATA / "crlf_line_endings.vcf")
    assert c.sample == "PATIENT"
    assert (site(c, "rs4244285").dosage, site(c, "rs1799853").dosage) == (1.0, 2.0)


def test_coverage_counts_only_usable_calls() -> None:
    p = read_patient(DATA / "absent_vs_nocall_vs_filtered_vs_refblock.vcf")
    pgx = next(r for r in p.panels if r.panel == "pharmacogenomics")
    usable = sum(s.status in ("called", "reference_block") for s in pgx.sites)
    assert usable == 3
    assert pgx.coverage == pytest.approx(3 / len(pgx.sites))
    assert np.count_nonzero(~pgx.features.missing) == 3


@given(
    pos=st.integers(1, 10_000),
    anchor=st.text("ACGT", min_size=1, max_size=3),
    unit=st.text("ACGT", min_size=1, max_size=3),
    copies=st.integers(1, 3),
)
def test_trimming_makes_repeat_insertions_written_two_ways_equal(pos: int, anchor: str, unit: str, copies: int) -> None:
    # An insertion of `unit` into `anchor + unit*copies` written with the short and the long anchor.
    short = trim_alleles(pos, anchor, anchor + unit)
    long_ref = anchor + unit * copies
    long = trim_alleles(pos, long_ref, long_ref + unit)
    assert short == long


def test_cohort_dosage_matrix_matches_per_sample_calls() -> None:
    from genolens.genome.encode import dosage_matrix
    from genolens.genome.panel import load_panel
    from genolens.genome.vcf import open_vcf

    panel = load_panel("pharmacogenomics")
    with open_vcf(DATA / "multiallelic_tpmt.vcf") as vf:
        records, _mode = vf.read_matrix([(v.grch38.chrom, v.grch38.pos) for v in panel.variants])
        matrix = dosage_matrix(panel, "GRCh38", records, len(vf.info.samples))
    for i, sample in enumerate(("HET_3C_41", "HOM_41", "HET_3C")):
        p = read_patient(DATA / "multiallelic_tpmt.vcf", sample=sample, panels=[panel])
        expected = np.array([np.nan if s.dosage is None else s.dosage for s in p.panels[0].sites])
        np.testing.assert_array_equal(matrix[i], expected)


@pytest.mark.parametrize(("gq", "dp", "status"), [(0, 12, "no_call"), (30, 0, "no_call"), (30, 12, "reference_block"),
                                                  (None, None, "reference_block")])
def test_a_reference_block_no_read_supports_is_a_no_call(gq: int | None, dp: int | None, status: str) -> None:
    """GQ 0 or DP 0: GATK's GenotypeGVCFs makes such hom-refs no-calls (PR #8741); GenoLens never reads them as
    the reference genotype. Without GQ/DP the block stands as written."""
    from genolens.datamodel import Locus, PanelVariant, Record
    from genolens.genome.encode import call_site

    locus = Locus("20", 1_000, "A", "G", "A")
    variant = PanelVariant(id="rsX", rsid="rsX", gene="", grch38=locus, grch37=locus, evidence="", log_or=None,
                           function="", activity_value=None, allele_name="", eaf=None, source="")
    block = Record(chrom="20", pos=900, end=1_100, ref="C", alts=("<NON_REF>",), filters=(), gt=(0, 0), phased=False,
                   gt_text="0/0", ds=None, gq=gq, dp=dp, ps=None)
    call = call_site(variant, "GRCh38", [block])
    assert call.status == status
    assert (call.dosage is None) == (status == "no_call")
    if status == "no_call":
        assert "no read supports the reference call" in call.note


@pytest.mark.parametrize(("sample", "status", "dosage"), [
    ("HOMREF_GQ0", "no_call", None), ("HOMREF_DP0", "no_call", None), ("HOMREF_OK", "called", 0.0),
    ("HET_GQ0", "called", 1.0), ("HOMREF_NO_GQ", "called", 0.0)])
def test_a_hom_ref_call_no_read_supports_is_a_no_call(sample: str, status: str, dosage: float | None) -> None:
    """A 0/0 genotype at GQ 0 or DP 0 (a joint-called sample with no reads there) is a no-call, as GATK makes it
    (PR #8741) and as a reference block at GQ 0 is; a call carrying an ALT allele stands whatever its GQ, and a
    0/0 without GQ/DP stands as written. CYP2C19 *2 (rs4244285, G>A), effect allele A."""
    from genolens.genome.panel import load_panel

    panel = load_panel("pharmacogenomics")
    p = read_patient(DATA / "hom_ref_calls_without_reads.vcf", sample=sample, panels=[panel])
    site = next(s for s in p.panels[0].sites if s.rsid == "rs4244285")
    assert (site.status, site.dosage) == (status, dosage)
    if status == "no_call":
        assert "no read supports it" in site.note
