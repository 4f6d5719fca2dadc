"""One sample's genotype read from cyvcf2's C array (``sample_alleles``) equals cyvcf2's own per-sample lists."""

from __future__ import annotations

from pathlib import Path

import cyvcf2
import pytest

from genolens.genome.vcf_records import sample_alleles
from tests.factories import DATA


def test_every_sample_of_mixed_ploidy_missing_and_phased_calls_reads_as_cyvcf2_lists_it() -> None:
    # haploid, triploid and diploid calls in one record; missing alleles; phased and unphased; a multi-allelic site
    compared = 0
    for v in cyvcf2.VCF(str(DATA / "mixed_ploidy_missing_phase_eight_samples.vcf")):
        for i, listed in enumerate(v.genotypes):  # the oracle: [allele, ..., phased] per sample, own ploidy
            assert sample_alleles(v, i) == (tuple(listed[:-1]), bool(listed[-1])), (v.POS, i)
            compared += 1
    assert compared == 16


def test_a_record_without_gt_raises_as_cyvcf2_does(tmp_path: Path) -> None:
    text = (DATA / "mixed_ploidy_missing_phase_eight_samples.vcf").read_text().splitlines()
    head = [ln for ln in text if ln.startswith("#")]
    path = tmp_path / "no_gt.vcf"
    path.write_text("\n".join([*head, "1\t30\t.\tA\tC\t.\tPASS\t.\tGQ" + "\t9" * 8, ""]).replace(
        "##contig", '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="GQ">\n##contig'))
    (v,) = list(cyvcf2.VCF(str(path)))
    with pytest.raises(Exception, match="genotypes"):
        v.genotypes  # noqa: B018 - the oracle raises too
    with pytest.raises(Exception, match="genotypes"):
        sample_alleles(v, 0)
