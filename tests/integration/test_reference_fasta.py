"""The user's reference FASTA (``--reference``): build confirmed, REF mismatches reported, hom-ref filled.

The FASTA is built here from a known source, not from GenoLens: the GRCh38 REF bases PharmCAT publishes at
its allele-defining positions (../shared/corpus/pgx/pharmcat_positions.vcf), written at their positions on a
chr6 slice (TPMT) padded with N, and indexed by htslib (pysam.faidx). The fixture VCF
reference_tpmt_wrong_ref_rs1800584.vcf writes G as the REF of rs1800584 (chr6:18130781), where PharmCAT's
(and GRCh38's) base is C; its five other records carry PharmCAT's REF.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from genolens.cli import main
from genolens.datamodel import Locus, Panel, PanelVariant
from genolens.errors import BuildError, ReferenceFastaError
from genolens.genome.panel import load_panels
from genolens.genome.patient import read_patient
from tests.factories import DATA, write_fasta
from tests.factories import pharmcat_bases as _pharmcat_bases

WRONG_REF = DATA / "reference_tpmt_wrong_ref_rs1800584.vcf"
SLICE_END = 18_200_000  # past every TPMT position on GRCh38 and GRCh37


def _write_fasta(path: Path, bases: dict[int, str], *, name: str = "chr6", bgzip: bool = False) -> Path:
    return write_fasta(path, {name: (SLICE_END, bases)}, bgzip=bgzip)


@pytest.fixture(scope="module")
def grch38_fasta(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_fasta(tmp_path_factory.mktemp("ref") / "tpmt_grch38.fa", _pharmcat_bases("chr6"))


def test_fasta_reports_the_deliberately_wrong_ref_and_confirms_the_build(grch38_fasta: Path) -> None:
    p = read_patient(WRONG_REF, references=[grch38_fasta])
    assert p.build.build == "GRCh38"
    ref = p.reference
    assert ref is not None and ref.build == "GRCh38" and ref.name == "tpmt_grch38.fa"
    assert ref.compared == 6  # every record of the fixture is at a panel site the FASTA knows
    assert [(m.chrom, m.pos, m.file_ref, m.fasta_ref) for m in ref.mismatches] == [("6", 18130781, "G", "C")]
    assert "6:18130781:C:T" in ref.mismatches[0].variants
    assert any("1 of 6 panel sites show a REF that differs from the reference FASTA tpmt_grch38.fa" in w
               for w in p.qc.warnings)
    assert any("reference FASTA tpmt_grch38.fa is GRCh38" in e and "5 match it, 1 differ" in e
               for e in p.build.evidence)
    site = next(s for r in p.panels for s in r.sites if s.variant_id == "6:18130781:C:T")
    assert site.status == "ref_mismatch" and site.dosage is None


def test_without_a_fasta_the_shipped_facts_serve_and_nothing_is_compared() -> None:
    p = read_patient(WRONG_REF)
    assert p.reference is None and p.build.build == "GRCh38"
    assert not any("reference FASTA" in w for w in p.qc.warnings)


def test_bgzipped_fasta_with_its_gzi_reads_the_same(tmp_path: Path) -> None:
    fasta = _write_fasta(tmp_path / "tpmt.fa.gz", _pharmcat_bases("chr6"), bgzip=True)
    assert Path(f"{fasta}.gzi").is_file()
    p = read_patient(WRONG_REF, references=[fasta])
    assert p.reference is not None
    assert [m.pos for m in p.reference.mismatches] == [18130781]


def test_fasta_of_the_other_build_is_a_clear_error(tmp_path: Path) -> None:
    # The same PharmCAT bases, written at each TPMT site's GRCh37 coordinates (from the panel rows):
    # a FASTA whose bases are GRCh37's.
    to37 = {v.grch38.pos: v.grch37.pos for p in load_panels() for v in p.variants
            if v.grch38.chrom == "6" and v.gene == "TPMT"}
    bases = {to37[pos]: ref for pos, ref in _pharmcat_bases("chr6").items() if pos in to37}
    fasta = _write_fasta(tmp_path / "tpmt_grch37.fa", bases)
    with pytest.raises(BuildError, match=r"The reference FASTA you gave is on the other build: tpmt_grch37\.fa is "
                                         r"GRCh37 \(its bases at panel sites equal the REF of GRCh37's at 43 of 43; "
                                         r"GRCh38's at 0 of 0\); this file is "
                                         r"on GRCh38 .* Give the GRCh38 FASTA"):
        read_patient(WRONG_REF, references=[fasta])


def _site(pos: int, effect: str, other: str, vid: str) -> PanelVariant:
    locus = Locus("6", pos, "", effect, other)  # no shipped REF fact
    return PanelVariant(vid, "", "TPMT", locus, Locus("6", pos + 231, "", effect, other), "test", None, "", None,
                        "", None, "test")


def test_whole_genome_policy_assumes_the_fastas_ref_where_the_panel_has_none(grch38_fasta: Path) -> None:
    # Both sites are absent from the fixture; PharmCAT's REF is T at 18133845 (rs75543815 T>A) and A at
    # 18132136 (rs72556347 A>G).
    bases = _pharmcat_bases("chr6")
    assert (bases[18133845], bases[18132136]) == ("T", "A")
    panel = Panel("fill", "Sites without REF facts", (_site(18133845, "A", "T", "alt_effect"),
                                                      _site(18132136, "A", "G", "ref_effect")), "0")
    filled = read_patient(WRONG_REF, panels=[panel], absent="reference", references=[grch38_fasta], build="GRCh38")
    f = filled.panels[0].features
    assert f.origin == ("assumed_reference", "assumed_reference")
    assert f.values.tolist() == [0.0, 2.0]  # hom-ref T/T carries no A; hom-ref A/A carries two
    assert filled.reference is not None and filled.reference.filled == 2
    plain = read_patient(WRONG_REF, panels=[panel], absent="reference", build="GRCh38")
    assert plain.panels[0].features.origin == ("missing", "missing")  # without the FASTA: never assumed


def test_fasta_decides_a_build_nothing_else_decides(grch38_fasta: Path) -> None:
    # A panel whose rows carry no REF facts: the file's REF bases cannot vote, the FASTA's bases can.
    panel = Panel("bare", "No REF facts", tuple(_site(pos, "G" if ref != "G" else "A", ref, f"s{pos}")
                                                for pos, ref in _pharmcat_bases("chr6").items()
                                                if len(ref) == 1 and pos in (18130687, 18130694, 18130725,
                                                                             18130729, 18130762)), "0")
    with pytest.raises(BuildError, match="Cannot tell whether this file is on GRCh37 or GRCh38"):
        read_patient(WRONG_REF, panels=[panel])
    p = read_patient(WRONG_REF, panels=[panel], references=[grch38_fasta])
    assert (p.build.build, p.build.source) == ("GRCh38", "reference")


def test_cli_reference_option_lists_the_mismatch(grch38_fasta: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(WRONG_REF), "--qc-records", "0", "--reference", str(grch38_fasta), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["reference"]["ref_mismatches"] == [{"chrom": "6", "pos": 18130781, "file_ref": "G", "fasta_ref": "C",
                                                   "variants": out["reference"]["ref_mismatches"][0]["variants"]}]
    assert out["reference"]["sites_compared"] == 6 and out["build"] == "GRCh38"
    assert main(["inspect", str(WRONG_REF), "--qc-records", "0", "--reference", str(grch38_fasta)]) == 0
    assert "REF mismatch: 6:18130781 file G, FASTA C" in capsys.readouterr().out


@pytest.mark.parametrize("case", ["no index", "plain gzip", "not a fasta", "missing"])
def test_unreadable_fastas_are_refused_with_what_to_do(tmp_path: Path, case: str) -> None:
    path = tmp_path / "ref.fa"
    if case == "no index":
        path.write_text(">chr6\nACGT\n")
        expected = r"has no index beside it \(ref\.fa\.fai\)\. Index it with `samtools faidx ref\.fa`"
    elif case == "plain gzip":
        path = tmp_path / "ref.fa.gz"
        path.write_bytes(gzip.compress(b">chr6\nACGT\n"))
        expected = "gzip-compressed but not with bgzip"
    elif case == "not a fasta":
        path.write_text("##fileformat=VCFv4.2\n")
        expected = "is not a FASTA file"
    else:
        expected = "does not exist"
    with pytest.raises(ReferenceFastaError, match=expected):
        read_patient(WRONG_REF, references=[path])


def test_dashboard_setting_reaches_the_isolated_read(grch38_fasta: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from components import config
    from genolens.genome.isolated import read_patient_isolated

    settings = tmp_path / "genolens.toml"
    settings.write_text(f'[reference]\ngrch38 = "{grch38_fasta}"\n', encoding="utf-8")
    monkeypatch.setattr(config, "SETTINGS_FILE", settings)
    monkeypatch.delenv(config.REFERENCE_ENV, raising=False)
    assert config.reference_fastas() == (str(grch38_fasta),)
    p = read_patient_isolated(WRONG_REF, references=config.reference_fastas(), qc_records=0)
    assert p.reference is not None and [m.pos for m in p.reference.mismatches] == [18130781]
    monkeypatch.setenv(config.REFERENCE_ENV, f"{tmp_path}/a.fa:{tmp_path}/b.fa")
    assert config.reference_fastas() == (f"{tmp_path}/a.fa", f"{tmp_path}/b.fa")
    monkeypatch.setattr(config, "SETTINGS_FILE", tmp_path / "absent.toml")
    monkeypatch.delenv(config.REFERENCE_ENV)
    assert config.reference_fastas() == ()
