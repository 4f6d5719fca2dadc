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
    assert qc.ti_tv == pytest.approx(3 / 2)  # A>G, C>T, A>G(6000) vs A>C, A>T(6000)
    assert qc.het_hom_alt == pytest.approx(4 / 1)  # 1000, 3000, 6000 (1/2), 8000 vs 2000
    assert qc.dp_median == 35.0  # 10, 20, 30, 40, 50, 60 (block and '.' excluded)
    assert qc.gq_median == 35.0  # 10, 20, 30, 40, 60, 80 (block and "." excluded)
    assert any("Low call rate: 86%" in w for w in qc.warnings)


def test_qc_cap_is_reported() -> None:
    qc = read_patient(DATA / "qc_counts.vcf", qc_records=3).qc
    assert (qc.records, qc.complete) == (3, False)
    assert any("first 3 records" in w for w in qc.warnings)


def test_panel_warnings_name_low_coverage_and_bad_sites() -> None:
    p = read_patient(DATA / "absent_vs_nocall_vs_filtered_vs_refblock.vcf")
    pgx = next(r for r in p.panels if r.panel == "pharmacogenomics")
    text = " ".join(panel_warnings(pgx))
    assert "only 8% of 37 sites" in text
    assert "1 site(s) failed the caller's FILTER" in text and "1 site(s) have no genotype" in text
