"""A cohort job estimates each sample's ancestry from the 1000 Genomes markers exactly as the single-patient path
does, and the results group risk distributions by it.

The cohort: four people per superpopulation (AFR, EAS, EUR) with genotypes drawn from the marker table's own
frequencies at every chromosome-22 marker (GRCh38), each listed explicitly (0/0 included), so every marker has a
call. The oracle is the group each person was drawn from.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from genolens.cohort import run_cohort_job
from genolens.cohort.results import NOT_ASSIGNED, distribution, open_results
from genolens.genome.ancestry import GROUPS, load_markers
from genolens.genome.patient import read_patient
from genolens.modeling.bundle import bundle_paths
from tests.factories import cohort_details, cohort_job_rows

DRAWN = ("AFR", "EAS", "EUR")
PER_GROUP = 4


def _cohort(path: Path) -> list[str]:
    m = load_markers()
    rng = np.random.default_rng(20261204)
    samples = [f"{g}{i}" for g in DRAWN for i in range(PER_GROUP)]
    on22 = [(i, m.variant(i)) for i in np.flatnonzero(m.chrom == "22")]
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr22,length=50818468>",
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(samples)]
    for i, v in on22:
        gts = []
        for g in DRAWN:
            f = m.alt_freq[i, GROUPS.index(g)]
            gts += ["/".join(str(int(a)) for a in rng.random(2) < f) for _ in range(PER_GROUP)]
        lines.append(f"chr22\t{v.grch38.pos}\t{v.rsid}\t{v.grch38.ref}\t{v.grch38.effect_allele}\t.\tPASS\t.\tGT\t"
                     + "\t".join(gts))
    text = path.with_suffix("")
    text.write_text("\n".join(lines) + "\n")
    subprocess.run(["bgzip", "-f", str(text)], check=True)
    return samples


def test_each_sample_gets_the_single_patient_ancestry_and_distributions_are_grouped_by_it(tmp_path: Path) -> None:
    vcf = tmp_path / "three_ancestries_chr22.vcf.gz"
    samples = _cohort(vcf)
    cad = next(p for p in bundle_paths() if p.parent.name == "coronary_artery_disease")
    # Whole-genome policy: the model's variants (none on chr22) count as reference; every marker has a call.
    run_cohort_job(vcf, tmp_path / "out", bundles=[cad], chunk_size=5, build="GRCh38", absent="reference",
                   details=cohort_details(samples, seed=1))  # type: ignore[arg-type]
    rows = cohort_job_rows(tmp_path / "out")
    for s in samples:
        alone = read_patient(vcf, sample=s, build="GRCh38", absent="reference", qc_records=0).ancestry
        assert alone is not None and alone.status == "assigned" and alone.group == s[:3], alone
        assert alone.markers_assumed_reference == 0 and alone.markers_used == alone.markers_considered
        mine = [r for (name, _, _), r in rows.items() if name == s]
        assert mine and all(r["ancestry"] == s[:3] and r["ancestry_status"] == "assigned" for r in mine)
        assert all(np.isfinite(r["ancestry_percentile"]) for r in mine)
    results = open_results(tmp_path / "out")
    assert sorted(results.ancestry.tolist()) == sorted(s[:3] for s in samples)
    d = distribution(results, results.outputs[0][0], results.outputs[0][1])
    assert set(d.group_counts) == set(DRAWN) and NOT_ASSIGNED not in d.group_counts
    assert int(sum(c.sum() for c in d.group_counts.values())) == d.scored == len(samples)
    np.testing.assert_array_equal(sum(d.group_counts.values()), d.counts)
