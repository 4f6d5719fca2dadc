"""A file split by ``bcftools norm -m-`` reads exactly as the original.

The oracle is bcftools itself: every test VCF with a multi-allelic record at a panel or ancestry-marker
position (PharmCAT's test VCFs collected under tests/data/pharmcat, our fixtures, and the corpus' PharmCAT
examples) is split by ``bcftools norm -m-``, and every sample's site calls, star-allele calls and ancestry
estimate must equal those of the unsplit file.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from genolens.datamodel import CohortRecord, PatientGenome, Record
from genolens.genome.ancestry import marker_sites
from genolens.genome.encode import call_site, dosage_matrix
from genolens.genome.join_records import join_at_position
from genolens.genome.panel import load_panel, load_panels
from genolens.genome.patient import read_patient
from genolens.genome.pgx import call_pgx
from tests.factories import ROOT, SHARED

pytestmark = pytest.mark.skipif(subprocess.run(["which", "bcftools"], capture_output=True).returncode != 0,
                                reason="bcftools not installed (make system-test-deps)")


def _sites() -> set[tuple[str, int]]:
    out = {(loc.chrom, loc.pos) for p in load_panels() for v in p.variants
           for loc in (v.grch37, v.grch38) if loc is not None}
    return out | {(c.removeprefix("chr"), pos) for b in ("GRCh37", "GRCh38") for c, pos in marker_sites(b)}


def _multiallelic_at_sites(path: Path, sites: set[tuple[str, int]]) -> bool:
    r = subprocess.run(["bcftools", "view", "-H", "-m3", str(path)], capture_output=True, text=True, errors="replace")
    if r.returncode:
        return False
    for line in r.stdout.splitlines():
        chrom, pos = line.split("\t")[:2]
        if (chrom.removeprefix("chr"), int(pos)) in sites:
            return True
    return False


def _cases() -> list[Path]:
    files = sorted((ROOT / "tests" / "data").rglob("*.vcf"))
    corpus = SHARED / "corpus" / "pgx" / "pharmcat-examples"  # read at collection: a missing ../shared adds none
    files += sorted(corpus.glob("*.vcf"))
    sites = _sites()
    return [f for f in files if _multiallelic_at_sites(f, sites)]


CASES = _cases()


def _split(path: Path, tmp: Path) -> Path:
    """``bcftools norm -m-``. A file bcftools cannot write back as it is (no ``##contig`` lines; PharmCAT's
    ``assume-default`` INFO flag, not a valid tag name) is split from a copy with contig lines added and INFO
    emptied (INFO plays no part in reading a genotype)."""
    out = tmp / f"split_{path.name}"
    if subprocess.run(["bcftools", "norm", "-m-", "-o", str(out), str(path)], capture_output=True).returncode:
        lines = path.read_text(encoding="utf-8").splitlines()
        body = [line.split("\t") for line in lines if line and line[0] != "#"]
        head = [line for line in lines if line.startswith("##") and not line.startswith("##contig")]
        contigs = [f"##contig=<ID={c}>" for c in dict.fromkeys(f[0] for f in body)]
        records = ["\t".join([*f[:7], ".", *f[8:]]) for f in body]
        column = next(line for line in lines if line.startswith("#CHROM"))
        copy = tmp / f"rewritten_{path.name}"
        copy.write_text("\n".join([*head, *contigs, column, *records]) + "\n", encoding="utf-8")
        subprocess.run(["bcftools", "norm", "-m-", "-o", str(out), str(copy)], check=True, capture_output=True)
    return out


def _samples(path: Path) -> list[str]:
    r = subprocess.run(["bcftools", "query", "-l", str(path)], capture_output=True, text=True, check=True)
    return r.stdout.split()


def _summary(p: PatientGenome) -> tuple[object, ...]:
    sites = tuple((s.variant_id, s.status, s.dosage) for r in p.panels for s in r.sites)
    genes = tuple((g.gene, g.diplotypes, g.phenotype, g.missing_positions) for g in call_pgx(p).genes)
    a = p.ancestry
    return sites, genes, (a.status, a.group) if a is not None else None


def test_the_cases_include_the_undocumented_alleles_a_split_would_hide() -> None:
    names = {f.name for f in CASES}
    assert len(CASES) >= 40
    assert {"CYP2C19_testUndocumentedVariation.vcf", "TPMT_undocumented_rs1800462.vcf",
            "multiallelic_tpmt.vcf"} <= names


@pytest.mark.parametrize("path", CASES, ids=[f.name for f in CASES])
def test_a_file_split_by_bcftools_norm_reads_as_the_original(path: Path, tmp_path: Path) -> None:
    split = _split(path, tmp_path)
    for sample in _samples(path)[:20]:
        want = _summary(read_patient(path, sample=sample, qc_records=0))
        got = _summary(read_patient(split, sample=sample, qc_records=0))
        assert got == want, sample


def _record(ref: str, alts: tuple[str, ...], gt: tuple[int, ...], *, phased: bool = False,
            ps: int | None = None) -> Record:
    sep = "|" if phased else "/"
    return Record(chrom="6", pos=100, end=100 + len(ref) - 1, ref=ref, alts=alts, filters=(), gt=gt, phased=phased,
                  gt_text=sep.join("." if a < 0 else str(a) for a in gt), ds=None, gq=40, dp=30, ps=ps)


def test_split_records_join_into_the_original_genotype() -> None:
    """1/2 split into 1/0 (ALT C) and 0/1 (ALT G); a deletion's longer REF extends the SNV's alleles."""
    joined, problems = join_at_position([_record("T", ("C",), (1, 0)), _record("T", ("G",), (0, 1))])
    assert problems == {} and len(joined) == 1
    assert (joined[0].ref, joined[0].alts, joined[0].gt, joined[0].gt_text) == ("T", ("C", "G"), (1, 2), "1/2")
    joined, _ = join_at_position([_record("T", ("C",), (0, 1)), _record("TAC", ("T",), (0, 1))])
    assert (joined[0].ref, joined[0].alts, joined[0].gt) == ("TAC", ("T", "CAC"), (1, 2))
    phased, _ = join_at_position([_record("T", ("C",), (0, 1), phased=True, ps=5),
                                  _record("T", ("G",), (1, 0), phased=True, ps=5)])
    assert (phased[0].gt, phased[0].phased, phased[0].gt_text) == ((2, 1), True, "2|1")


def test_split_records_that_contradict_each_other_are_a_no_call_with_the_reason() -> None:
    """1/1 on one ALT's record and 0/1 on the other's: three ALT alleles in a diploid."""
    locus_variant = next(v for v in load_panel("pharmacogenomics").variants if v.rsid == "rs1142345")
    loc = locus_variant.grch38
    recs = [Record(chrom=loc.chrom, pos=loc.pos, end=loc.pos, ref=loc.ref, alts=(alt,), filters=(), gt=gt,
                   phased=False, gt_text=text, ds=None, gq=40, dp=30, ps=None)
            for alt, gt, text in ((loc.effect_allele, (1, 1), "1/1"), ("G", (0, 1), "0/1"))]
    call = call_site(locus_variant, "GRCh38", recs)
    assert call.status == "no_call" and call.dosage is None
    assert "more ALT alleles than the ploidy" in call.note and "1/1 + 0/1" in call.note


def test_the_cohort_path_joins_split_records_as_one_patient_does() -> None:
    """A breast-cancer SNV whose effect allele is REF, split into the panel's ALT and another base: a 1/2 sample
    carries no effect allele (not two, as the ALT record's 1/0 alone would say); 2/2 none; 0/1 one."""
    panel = load_panel("breast_cancer")
    j, v = next((i, x) for i, x in enumerate(panel.variants)
                if x.grch38.ref and x.grch38.ref == x.grch38.effect_allele and len(x.grch38.ref) == 1
                and len(x.grch38.other_allele) == 1)
    loc = v.grch38
    third = next(b for b in "ACGT" if b not in (loc.ref, loc.other_allele))

    def rec(alts: tuple[str, ...], gt: list[list[int]]) -> CohortRecord:
        return CohortRecord(chrom=loc.chrom, pos=loc.pos, end=loc.pos, ref=loc.ref, alts=alts, filters=(),
                            gt=np.array(gt, dtype=np.int16))

    split = [rec((loc.other_allele,), [[1, 0], [0, 0], [0, 1]]), rec((third,), [[0, 1], [1, 1], [0, 0]])]
    unsplit = [rec((loc.other_allele, third), [[1, 2], [2, 2], [0, 1]])]
    got = dosage_matrix(panel, "GRCh38", {(loc.chrom, loc.pos): split}, 3)[:, j]
    want = dosage_matrix(panel, "GRCh38", {(loc.chrom, loc.pos): unsplit}, 3)[:, j]
    np.testing.assert_array_equal(want, [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(got, want)


def test_records_whose_filters_differ_are_not_joined() -> None:
    """A PASS SNV and a LowQual SNV a caller wrote apart at one position: each is read as written."""
    low = replace(_record("T", ("G",), (0, 1)), filters=("LowQual",))
    joined, problems = join_at_position([_record("T", ("C",), (0, 1)), low])
    assert problems == {} and sorted(r.alts for r in joined) == [("C",), ("G",)]
