"""Build detection and chromosome naming."""

from __future__ import annotations

import pytest

from genolens.datamodel import Contig, Locus, PanelVariant, RefTally, VcfInfo
from genolens.errors import BuildError
from genolens.genome.build import (
    CONTIG_LENGTHS,
    REF_BUILD_POLICY,
    build_from_ref_bases,
    decide_build,
    named_builds,
    normalise_chrom,
    ref_tallies,
)
from genolens.genome.patient import read_patient
from tests.factories import DATA


@pytest.mark.parametrize(("raw", "norm"), [
    ("chr1", "1"), ("1", "1"), ("CHR22", "22"), ("chrX", "X"), ("x", "X"), ("chrM", "MT"), ("MT", "MT"),
    ("M", "MT"), ("chr01", "1"), ("chrUn_gl000220", "chrUn_gl000220"), ("HLA-A*01:01", "HLA-A*01:01"),
])
def test_chromosome_names_are_normalised_in_one_place(raw: str, norm: str) -> None:
    assert normalise_chrom(raw) == norm


def _info(contigs: tuple[Contig, ...] = (), hints: tuple[str, ...] = ()) -> VcfInfo:
    return VcfInfo("x.vcf", "vcf", "none", None, ("S",), contigs, hints, "VCFv4.2")


def test_contig_lengths_decide_first() -> None:
    call = decide_build(_info((Contig("chr1", CONTIG_LENGTHS["GRCh38"]["1"]),), ("hg19",)), declared="auto")
    assert call.build == "GRCh38" and call.source == "contigs"
    assert any("hg19" in e for e in call.evidence)  # the contrary hint is still reported


def test_header_hint_when_no_lengths() -> None:
    call = decide_build(_info((Contig("1", None),), ("file:///refs/human_g1k_v37.fasta",)), declared="auto")
    assert (call.build, call.source) == ("GRCh37", "header")


def test_ref_bases_when_header_is_silent() -> None:
    p = read_patient(DATA / "no_build_header_grch37_refs.vcf")
    assert (p.build.build, p.build.source) == ("GRCh37", "ref_bases")
    assert p.build.evidence[0] == ("decided from 4 REF bases at panel sites matching GRCh37, 0 disagreeing "
                                   "(GRCh38 coordinates: 0 matching, 0 disagreeing)")
    cyp2c19 = next(s for r in p.panels for s in r.sites if s.rsid == "rs4244285")
    assert cyp2c19.dosage == 2.0


def test_declared_build_contradicted_by_evidence_is_an_error() -> None:
    with pytest.raises(BuildError, match="You said this file is on GRCh38, but it is on GRCh37"):
        read_patient(DATA / "grch37_cyp3a5_homref.vcf", build="GRCh38")
    with pytest.raises(BuildError, match="but it is on GRCh37"):
        read_patient(DATA / "no_build_header_grch37_refs.vcf", build="GRCh38")


def test_declared_build_is_used_when_nothing_contradicts_it() -> None:
    p = read_patient(DATA / "multiallelic_tpmt.vcf", sample="HET_3C", build="GRCh38")
    assert p.build.build == "GRCh38" and p.build.evidence[0] == "declared by the user as GRCh38"


def test_no_evidence_at_all_asks_the_user() -> None:
    with pytest.raises(BuildError, match="Choose the build explicitly"):
        decide_build(_info(), declared="auto", ref_tallies=(RefTally("GRCh37", 0, 0), RefTally("GRCh38", 0, 0)))


@pytest.mark.parametrize(("value", "build"), [
    ("GRCh38.p14", "GRCh38"), ("hg38", "GRCh38"), ("38", "GRCh38"), ("b38", "GRCh38"), ("GCA_000001405.15", "GRCh38"),
    ("GCF_000001405.40", "GRCh38"), ("Homo_sapiens_assembly38.fasta", "GRCh38"), ("hs38DH", "GRCh38"),
    ("b37", "GRCh37"), ("hg19", "GRCh37"), ("GRCh37.p13", "GRCh37"), ("37", "GRCh37"), ("hs37d5", "GRCh37"),
    ("Homo_sapiens_assembly19.fasta", "GRCh37"), ("GCF_000001405.25", "GRCh37"), ("GCA_000001405.14", "GRCh37"),
    ("B36", "NCBI36 (hg18)"), ("T2T-CHM13v2.0", "T2T-CHM13"),
])
def test_assembly_spellings_name_their_build(value: str, build: str) -> None:
    # accession versions: NCBI Assembly records GRCh37.p13 = GCF_000001405.25 / GCA_000001405.14,
    # GRCh38 = GCA_000001405.15, GRCh38.p14 = GCF_000001405.40
    assert named_builds(value) == {build}


def test_contig_assembly_decides_when_lengths_are_missing() -> None:
    p = read_patient(DATA / "contig_assembly_grch38_no_lengths.vcf")
    assert (p.build.build, p.build.source) == ("GRCh38", "assembly")
    assert p.build.evidence[0] == "##contig assembly=GRCh38.p14 names GRCh38 (2 ##contig lines (chr10, chr22))"
    assert p.build.ref_tallies == (RefTally("GRCh38", 1, 0),)  # rs4244285: GRCh38 REF G at chr10:94781859


def test_contig_assemblies_naming_two_builds_are_an_error() -> None:
    with pytest.raises(BuildError, match=r"The ##contig lines name different assemblies: hg19 \(GRCh37\) on chr10; "
                                         r"hg38 \(GRCh38\) on chr22\. A file is on one build"):
        read_patient(DATA / "contig_assembly_conflict_hg19_hg38.vcf")


def test_contig_lengths_still_decide_before_assembly() -> None:
    info = _info((Contig("chr1", CONTIG_LENGTHS["GRCh37"]["1"], "GRCh37"),))
    assert decide_build(info, declared="auto").source == "contigs"


@pytest.mark.parametrize(("t37", "t38", "build"), [
    ((0, 0), (3, 0), "GRCh38"),   # the minimum count, no disagreement
    ((0, 0), (2, 0), None),       # below the minimum count
    ((1, 0), (4, 0), "GRCh38"),   # 4 of 5 = 80%: a clear majority
    ((2, 0), (4, 0), None),       # 4 of 6 = 67%
    ((0, 5), (8, 2), "GRCh38"),   # 8 of 10; disagreement at the other build's coordinates says nothing
    ((0, 0), (8, 3), None),       # 8 of 11 = 73%
    ((9, 1), (0, 0), "GRCh37"),
])
def test_ref_policy_needs_a_clear_majority_and_a_minimum(t37: tuple[int, int], t38: tuple[int, int],
                                                         build: str | None) -> None:
    assert (REF_BUILD_POLICY.min_agree, REF_BUILD_POLICY.min_share) == (3, 0.8)
    decided, lines = build_from_ref_bases((RefTally("GRCh37", *t37), RefTally("GRCh38", *t38)))
    assert decided == build
    if build is None:
        assert "do not decide the build" in lines[0] and "at least 3 sites" in lines[0]


def test_undecided_ref_bases_say_how_many_were_checked() -> None:
    with pytest.raises(BuildError, match=r"REF bases at 6 panel sites do not decide it \(GRCh37: 2 match, 0 "
                                         r"disagree; GRCh38: 4 match, 0 disagree; deciding needs"):
        decide_build(_info(), declared="auto", ref_tallies=(RefTally("GRCh37", 2, 0), RefTally("GRCh38", 4, 0)))


def _variant(pos37: int, ref37: str, pos38: int, ref38: str) -> PanelVariant:
    return PanelVariant("v", "", "G", Locus("1", pos38, ref38, "T", ref38), Locus("1", pos37, ref37, "T", ref37),
                        "", None, "", None, "", None, "test")


def test_ref_tallies_compare_first_bases_and_skip_uninformative_sites() -> None:
    file_refs = {("1", 100): ["A"], ("1", 200): ["GT"], ("1", 300): ["C"], ("1", 500): ["A"]}
    variants = [
        _variant(1100, "C", 100, "A"),  # GRCh38 REF A shown: match
        _variant(1200, "C", 200, "G"),  # deletion record GT at a G site: match on the first base
        _variant(1300, "C", 300, "G"),  # C shown where GRCh38 has G: disagree
        _variant(400, "C", 400, "C"),   # same coordinates on both builds: skipped
        _variant(500, "A", 1500, "G"),  # GRCh37 REF A shown at its coordinates
    ]
    tallies = ref_tallies(variants, lambda chrom, pos: file_refs.get((chrom, pos), []))
    assert tallies == (RefTally("GRCh37", 1, 0), RefTally("GRCh38", 2, 1))
