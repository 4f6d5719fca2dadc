"""Build detection and chromosome naming."""

from __future__ import annotations

import pytest

from genolens.datamodel import Contig, VcfInfo
from genolens.errors import BuildError
from genolens.genome.build import CONTIG_LENGTHS, decide_build, normalise_chrom
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
    assert "REF bases at 4 panel sites match GRCh37" in p.build.evidence[0]
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
        decide_build(_info(), declared="auto", ref_votes={"GRCh37": 0, "GRCh38": 0})
