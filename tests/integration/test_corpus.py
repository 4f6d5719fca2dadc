"""Real files written by other projects (../shared/corpus): read, or refused with a clear message."""

from __future__ import annotations

import csv
import gzip
import os
import time
from pathlib import Path

import pytest

from genolens.datamodel import Locus, Panel, PanelVariant
from genolens.errors import GenoLensError
from genolens.genome.panel import load_panel
from genolens.genome.patient import list_samples, read_patient
from genolens.genome.vcf import open_vcf
from tests.factories import SHARED, need_shared

pytestmark = pytest.mark.corpus


def _corpus_files() -> list[str]:
    found: list[str] = []
    for sub in ("vcf", "patients"):
        top = SHARED / "corpus" / sub
        for folder, _dirs, files in os.walk(top):
            found += [str(Path(folder, f).relative_to(SHARED / "corpus")) for f in files]
    return sorted(found)


@pytest.mark.parametrize("rel", _corpus_files() or ["<../shared/corpus absent>"])
def test_every_corpus_file_reads_or_is_refused_clearly(rel: str) -> None:
    path = need_shared("corpus", rel)
    start = time.perf_counter()
    try:
        samples = list_samples(path)
        p = read_patient(path, sample=samples[0] if samples else None)
    except GenoLensError as exc:
        message = str(exc)
        assert len(message) > 40 and ("." in message), f"vague message for {rel}: {message!r}"
    else:
        assert p.sample in samples and p.build.build in ("GRCh37", "GRCh38") and p.build.evidence
        assert all(0.0 <= r.coverage <= 1.0 for r in p.panels)
    assert time.perf_counter() - start < 10.0, f"{rel} took over 10 s"


def _block_panel(path: Path, n_blocks: int = 6) -> tuple[Panel, dict[int, str]]:
    """A panel whose sites are the starts of reference blocks, found by parsing the text (the oracle)."""
    variants: list[PanelVariant] = []
    truth: dict[int, str] = {}
    with gzip.open(path, "rt") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            f = line.split("\t", 10)
            if f[4] == "<NON_REF>" and "END=" in f[7] and f[9].startswith("0/0") and int(f[1]) % 7 == 0:
                pos, ref = int(f[1]), f[3]
                effect = "A" if ref != "A" else "C"
                locus = Locus(f[0].removeprefix("chr"), pos, ref, effect, ref)
                variants.append(PanelVariant(f"site{pos}", "", "test", locus, locus, "", None, "", None, "",
                                             None, "test"))
                truth[pos] = ref
                if len(variants) == n_blocks:
                    break
    return Panel("blocks", "Reference blocks", tuple(variants), "0"), truth


def test_hail_gvcf_is_grch38_and_its_reference_blocks_are_used() -> None:
    path = need_shared("corpus", "patients", "hail-gvcfs", "HG00268.g.vcf.gz")
    panel, truth = _block_panel(path)
    p = read_patient(path, panels=[panel])
    assert p.build.build == "GRCh38" and p.build.source == "contigs"
    assert p.qc.reference_blocks > 100_000
    sites = p.panels[0].sites
    assert len(sites) == len(truth) == 6
    assert all(s.status == "reference_block" and s.dosage == 0.0 and s.gq is not None for s in sites)
    assert p.panels[0].coverage == 1.0


def test_gatk_na12878_chr20_gvcf_is_grch37() -> None:
    path = need_shared("corpus", "vcf", "bio2zarr", "vcf", "NA12878.prod.chr20snippet.g.vcf.gz")
    p = read_patient(path, qc_records=0)
    assert p.build.build == "GRCh37"
    assert "GRCh37" in p.build.evidence[0]


def _genotypes(path: Path) -> dict[tuple[str, int, str, tuple[str, ...]], tuple[int, ...]]:
    out = {}
    with open_vcf(path) as vf:
        for r in vf.iter_records(0):
            if r.gt and all(a >= 0 for a in r.gt):
                out[(r.chrom, r.pos, r.ref, r.alts)] = tuple(sorted(r.gt))
    return out


def test_platinum_vcf_and_bcf_agree_on_shared_records() -> None:
    vcf = _genotypes(need_shared("corpus", "patients", "platinum", "PG_NA12878_hg38-chr21.vcf.gz"))
    bcf = _genotypes(need_shared("corpus", "patients", "platinum", "pg-hg38.bcf"))
    shared = vcf.keys() & bcf.keys()
    assert len(shared) > 40_000
    agree = sum(vcf[k] == bcf[k] for k in shared)
    assert agree / len(shared) >= 0.999, f"{agree}/{len(shared)}"


def _pharmcat_diplotypes(report: Path) -> dict[str, str]:
    with open(report) as fh:
        rows = list(csv.reader(fh, delimiter="\t"))[1:]
    return {r[0]: r[1] for r in rows[1:] if len(r) > 1 and not r[0].startswith("---")}


@pytest.mark.parametrize("example", ["pharmcat.example", "pharmcat.example2"])
def test_pgx_dosages_agree_with_pharmcat_published_calls(example: str) -> None:
    folder = need_shared("corpus", "pgx", "pharmcat-examples")
    calls = _pharmcat_diplotypes(folder / f"{example}.report.tsv")
    p = read_patient(folder / f"{example}.vcf", panels=[load_panel("pharmacogenomics")])
    assert p.build.build == "GRCh38"
    sites = p.panels[0].sites
    reference_genes = {g for g, d in calls.items()
                       if d in ("*1/*1", "Reference/Reference") or d.count("reference") == 2}
    checked = 0
    for s in sites:
        gene = s.gene.split()[0]
        if gene == "CYP2C19" and calls.get("CYP2C19") == "*2/*2":
            if s.rsid == "rs4244285":
                assert (s.status, s.dosage) == ("called", 2.0)
                checked += 1
            continue
        if gene in reference_genes and s.status == "called":
            assert s.dosage == 0.0, f"{s.rsid} ({gene}, PharmCAT {calls[gene]}): dosage {s.dosage}"
            checked += 1
    assert checked >= 20
