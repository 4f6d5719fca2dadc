"""The dashboard's pure helpers: the demo README table, the default read options, ordinals, the match log."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from components import config, tables
from components.patient_input import ReadOptions, default_options, path_source, url_choices
from genolens.genome import read_patient
from tests.factories import DATA, DEMO

# Read off data/demo/README.md by hand: every row whose last column says "whole-genome call set".
WHOLE_GENOME_DEMOS = {
    "brca1_185delAG_carrier.vcf.gz", "high_polygenic_breast_risk.vcf.gz", "dpyd_2A_heterozygote.vcf.gz",
    "cyp2c19_2_2.vcf.gz", "tpmt_3A_heterozygote_phased.vcf.gz", "grch37_cyp3a5_expresser.vcf.gz",
    "trio_cyp2c19_brca2.vcf.gz", "warfarin_sensitive_vkorc1_cyp2c9.vcf.gz",
}
NOT_WHOLE_GENOME_DEMOS = {"array_like_partial_coverage.vcf.gz", "gvcf_reference_blocks.g.vcf.gz"}


def test_every_demo_in_the_readme_is_parsed_with_its_whole_genome_column() -> None:
    rows = config.demo_rows()
    assert {r.file for r in rows} == WHOLE_GENOME_DEMOS | NOT_WHOLE_GENOME_DEMOS
    for r in rows:
        assert (DEMO / r.file).is_file(), r.file
        assert r.build in ("GRCh37", "GRCh38"), (r.file, r.build)  # a shifted cell would put story text here
        assert r.whole_genome == (r.file in WHOLE_GENOME_DEMOS), r.file
    assert config.demo_whole_genome() == WHOLE_GENOME_DEMOS


def test_tpmt_story_keeps_its_escaped_pipe_and_runs_to_the_end() -> None:
    story = dict(config.demo_patients())[DEMO / "tpmt_3A_heterozygote_phased.vcf.gz"]
    assert "`0|1` at both" in story
    assert story.endswith("could be \\*3B/\\*3C (poor metabolizer).")


def test_a_table_row_splits_only_on_unescaped_pipes(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("| file | sample | build | story | absent |\n|---|---|---|---|---|\n"
                      "| `x.vcf` | S | GRCh38 | a `0\\|1` b \\| c | hom-ref (whole-genome call set) |\n",
                      encoding="utf-8")
    (row,) = config.demo_rows(readme)
    assert (row.file, row.sample, row.story) == ("x.vcf", "S", "a `0|1` b | c")
    assert row.whole_genome


def test_whole_genome_box_starts_ticked_only_for_documented_demos(tmp_path: Path) -> None:
    assert config.known_whole_genome(DEMO / "tpmt_3A_heterozygote_phased.vcf.gz")
    assert not config.known_whole_genome(DEMO / "array_like_partial_coverage.vcf.gz")
    copy = tmp_path / "tpmt_3A_heterozygote_phased.vcf.gz"  # same name, not the bundled demo
    copy.write_bytes((DEMO / copy.name).read_bytes())
    assert not config.known_whole_genome(copy)
    assert not config.known_whole_genome(None)


def test_default_read_options_follow_the_readme() -> None:
    assert default_options(path_source(DEMO / "trio_cyp2c19_brca2.vcf.gz")) == ReadOptions("auto", "reference")
    assert default_options(path_source(DEMO / "array_like_partial_coverage.vcf.gz")) == ReadOptions("auto", "missing")
    assert default_options(None) == ReadOptions("auto", "missing")


def test_url_keeps_file_names_and_options_never_upload_data() -> None:
    demo = path_source(DEMO / "trio_cyp2c19_brca2.vcf.gz")
    assert url_choices(demo, "CHILD", ReadOptions("GRCh38", "reference")) == {
        "source": "demo", "file": "trio_cyp2c19_brca2.vcf.gz", "sample": "CHILD", "build": "GRCh38", "wgs": "1"}
    upload = type(demo)(name="patient_jane_doe.vcf", sha256="0" * 64, data=b"##fileformat=VCFv4.2\n")
    assert url_choices(upload, "JANE", ReadOptions("auto", "missing")) == {"source": "upload"}


def test_chromosomes_sort_naturally() -> None:
    names = ["chrX", "chr10", "chr2", "chrMT", "chr1", "chrY", "chr22"]
    assert sorted(names, key=tables.chrom_sort_key) == ["chr1", "chr2", "chr10", "chr22", "chrX", "chrY", "chrMT"]


def test_match_log_sorts_positions_as_numbers_and_chromosomes_naturally() -> None:
    patient = read_patient(DATA / "pgx_cyp2c19_2_17.vcf", sample=None)
    frame = tables.match_log(patient.panels[0])
    assert str(frame["pos"].dtype) == "Int64"
    assert isinstance(frame["chrom"].dtype, pd.CategoricalDtype) and frame["chrom"].dtype.ordered
    chroms = list(frame.sort_values(["chrom", "pos"])["chrom"].astype(str).drop_duplicates())
    assert chroms == sorted(chroms, key=tables.chrom_sort_key)
    assert len(chroms) > 9  # the panel spans 1-digit and 2-digit chromosomes, so text order would differ
    positions = frame.sort_values("pos")["pos"].dropna().tolist()
    assert positions == sorted(int(p) for p in positions)


def test_match_log_shows_each_calls_phase_set() -> None:
    """OTHER_PS: TPMT *3C site in set 18130687, *3B site in set 18138997 (cis/trans unknown between them)."""
    patient = read_patient(DATA / "pgx_tpmt_phase_sets.vcf", sample="OTHER_PS")
    pgx = next(r for r in patient.panels if r.panel == "pharmacogenomics")
    frame = tables.match_log(pgx).set_index("rsID")
    assert str(frame["PS"].dtype) == "Int64"
    assert frame.loc["rs1142345", "PS"] == 18130687
    assert frame.loc["rs1800460", "PS"] == 18138997
    assert frame["PS"].isna().sum() == len(frame) - 2  # no other site carries a phase set
