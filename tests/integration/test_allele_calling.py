"""Patients and cohorts count alleles the same way: a cohort's dosage matrix equals each sample read alone.

Training reads cohorts through ``dosage_matrix``; prediction reads a patient through ``call_site``
and ``encode``. If the two drifted apart a model would be fed differently from how it was trained.
The oracle here is the patient path, run sample by sample on real demo files (a joint-called trio,
a gVCF with reference blocks, an array export with hom-ref calls, a GRCh37 file).
"""

from __future__ import annotations

import numpy as np
import pytest

from genolens.genome.encode import dosage_matrix
from genolens.genome.panel import load_panels
from genolens.genome.patient import read_patient
from genolens.genome.vcf import open_vcf
from tests.factories import DEMO

FILES = ("trio_cyp2c19_brca2.vcf.gz", "gvcf_reference_blocks.g.vcf.gz", "array_like_partial_coverage.vcf.gz",
         "grch37_cyp3a5_expresser.vcf.gz")


@pytest.mark.parametrize("name", FILES)
def test_cohort_dosages_equal_each_sample_read_alone(name: str) -> None:
    path = DEMO / name
    panels = load_panels()
    with open_vcf(path) as vf:
        samples = vf.info.samples
    patients = [read_patient(path, sample=s, absent="missing", qc_records=0) for s in samples]
    build = patients[0].build.build
    sites = sorted({(v.locus(build).chrom, v.locus(build).pos) for p in panels for v in p.variants})
    with open_vcf(path) as vf:
        records, _ = vf.read_matrix(sites)
    compared = 0
    for panel in panels:
        matrix = dosage_matrix(panel, build, records, len(samples))  # (n_samples, n_variants)
        for i, patient in enumerate(patients):
            result = next(r for r in patient.panels if r.panel == panel.name)
            alone = result.features.values  # (n_variants,), NaN where missing
            from_ds = np.array([s.from_ds for s in result.sites])
            np.testing.assert_array_equal(matrix[i, ~from_ds], alone[~from_ds],
                                          err_msg=f"{name} {patient.sample} {panel.name}")
            compared += int((~np.isnan(alone)).sum())
    assert compared > 100  # the files do carry calls at panel sites: the comparison is not vacuous
