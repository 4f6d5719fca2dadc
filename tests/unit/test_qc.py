"""File QC against counts worked out by hand from tests/data/qc_counts.vcf."""

from __future__ import annotations

import pytest

from genolens.genome.patient import read_patient
from genolens.genome.qc import panel_warnings
from tests.factories import DATA


def test_qc_counts_match_the_hand_count() -> None:
    qc = read_patient(DATA / "qc_counts.vcf").qc
    assert (qc.records, qc.variant_records, qc.reference_blocks, qc.complete) == (8, 7, 1, True)
    assert qc.call_rate == pytest.approx(6 / 7)  # 5000 is ./.
    # A>G, C>T vs A>C, A>T: 6000's 1/2 counts its first ALT (T) only, as bcftools stats counts per sample
    assert qc.ti_tv == pytest.approx(2 / 2)
    assert qc.het_hom_alt == pytest.approx(4 / 1)  # 1000, 3000, 6000 (1/2), 8000 vs 2000
    assert qc.dp_median == 35.0  # 10, 20, 30, 40, 50, 60 (block and '.' excluded)
    assert qc.gq_median == 35.0  # 10, 20, 30, 40, 60, 80 (block and "." excluded)
    assert any("Low call rate: 86%" in w for w in qc.warnings)


def test_qc_cap_on_an_unindexed_file_takes_a_regular_stride_and_says_so() -> None:
    # 8 records, at most 3 kept: the stride doubles from 1 to 4, so records 1 and 5 (POS 1000, 5000) remain
    qc = read_patient(DATA / "qc_counts.vcf", qc_records=3).qc
    assert (qc.records, qc.complete, qc.sampling, qc.stride, qc.regions) == (2, False, "stride", 4, ())
    assert qc.variant_records == 2 and qc.call_rate == pytest.approx(1 / 2)  # 0/1 at 1000, ./. at 5000
    assert qc.chromosomes == ("1",)  # the scan saw every record's chromosome
    assert any("one record in every 4 of the whole file (2 records" in w for w in qc.warnings)


def test_qc_skipped_says_so_and_warns_of_nothing() -> None:
    qc = read_patient(DATA / "qc_counts.vcf", qc_records=0).qc
    assert (qc.records, qc.sampling, qc.warnings) == (0, "none", ())


def test_panel_warnings_name_low_coverage_and_bad_sites() -> None:
    p = read_patient(DATA / "absent_vs_nocall_vs_filtered_vs_refblock.vcf")
    pgx = next(r for r in p.panels if r.panel == "pharmacogenomics")
    text = " ".join(panel_warnings(pgx))
    assert "only 8% of 37 sites" in text
    assert "1 site(s) failed the caller's FILTER" in text and "1 site(s) have no genotype" in text


def test_dp_and_gq_the_header_does_not_declare_are_read_as_numbers_where_they_are_numbers() -> None:
    qc = read_patient(DATA / "qc_undeclared_dp_gq.vcf").qc  # cyvcf2 gives such fields as text
    assert (qc.dp_median, qc.gq_median) == (36.0, 94.5)  # 32, 40 and 90, 99; "." left out
    assert qc.ti_tv == pytest.approx(2 / 1) and qc.het_hom_alt == pytest.approx(2 / 1)  # A>G, C>T vs A>C
