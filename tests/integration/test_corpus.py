"""Real files written by other projects (../shared/corpus): each is read, or refused for a named reason.

What a file should give is decided outside GenoLens: the hts-specs conformance files sit in `passed/` or
`failed/` folders, and corpus/MANIFEST.tsv records every other file's genome build (from its ##contig
lengths), its sample count and whether htslib (through cyvcf2 0.35) could read it. A file that is valid
may be refused only for one of the named reasons below (no sample column, no build evidence); a valid file
refused for anything else fails. An invalid file must be refused with a GenoLensError leaf whose message
names the problem. Any other exception fails the test as it escapes.
"""

from __future__ import annotations

import csv
import gzip
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from genolens.datamodel import Locus, Panel, PanelVariant
from genolens.errors import BuildError, GenoLensError, SampleError, VcfReadError
from genolens.genome.patient import list_samples, read_patient
from genolens.genome.pgx import pgx_panels
from genolens.genome.vcf import open_vcf
from tests.factories import CORPUS, need_shared, pharmcat_report

pytestmark = pytest.mark.corpus


@dataclass(frozen=True)
class Refusal:
    """One way GenoLens may refuse a file: the error leaf and what its message must say."""

    name: str
    error: type[GenoLensError]
    message: str  # a regular expression searched in str(exc)

    def matches(self, exc: GenoLensError) -> bool:
        return type(exc) is self.error and re.search(self.message, str(exc)) is not None


# Refusals that are legitimate even for a spec-valid file: GenoLens needs a genotype and a build.
SITES_ONLY = Refusal("sites-only file, no sample column", SampleError, r"has no sample columns .* sites only")
NO_BUILD = Refusal("no GRCh37/GRCh38 build evidence", BuildError,
                   r"Cannot tell whether this file is on GRCh37 or GRCh38: .*Choose the build explicitly")
# Refusals of files that are not valid VCFs (each message names the defect).
INDEX = Refusal("tabix/CSI index instead of the VCF", VcfReadError, r"is a tabix/CSI index, not a VCF\. Choose")
EMPTY = Refusal("zero-byte file", VcfReadError, r"is empty \(0 bytes\)")
NOT_VCF = Refusal("not a VCF at all", VcfReadError, r"does not look like a VCF: a VCF starts with")
BAD_HEADER = Refusal("malformed header", VcfReadError, r"cannot be opened as a VCF: its header is malformed")
BAD_RECORD = Refusal("malformed record", VcfReadError, r"has a malformed record \d+ that htslib cannot parse")
DUPLICATE_SAMPLES = Refusal("duplicated sample names", VcfReadError, r"names the same sample column twice")
BAD_LINE = Refusal("malformed line, found by the text check before htslib", VcfReadError,
                   r"line [\d,]+ (is|has|contains|starts) ")
NO_CHROM_LINE = Refusal("no #CHROM line", VcfReadError, r"has no '#CHROM' header line, so its columns are unknown")
BAD_ALLELE = Refusal("genotype allele beyond ALT", VcfReadError, r"has a genotype allele .* but only \d+ ALT")
DEFECTS = (INDEX, EMPTY, NOT_VCF, BAD_HEADER, BAD_RECORD, DUPLICATE_SAMPLES, BAD_LINE, NO_CHROM_LINE, BAD_ALLELE,
           SITES_ONLY, NO_BUILD)

# Valid by the VCF 4.4 specification although htslib (cyvcf2 0.35) refuses them (corpus/README.md).
VALID_THOUGH_HTSLIB_REFUSES = {
    "vcf/htslib/vcf44_1.vcf": "VCF 4.4 explicit phasing prefix on GT ('/0|1') and local alleles",
    "vcf/htslib/vcf44_1.expected": "htslib's own VCF 4.4 output for vcf44_1.vcf",
}
DEFINITE_BUILDS = ("GRCh37", "GRCh38")
NOT_HUMAN_OR_OLD = ("NCBI36?", "non-human/synthetic")  # GenoLens must not read these as GRCh37/GRCh38


@dataclass(frozen=True)
class Expected:
    valid: bool
    why: str  # where the expectation comes from
    build: str  # MANIFEST.tsv build column ('' when the file is not listed)
    samples: str  # MANIFEST.tsv samples column ('' when the file is not listed)

    def legitimate_refusals(self) -> tuple[Refusal, ...]:
        """The named reasons a file may be refused for: any named defect for an invalid file; for a valid one
        only a sites-only file (no sample column) or a file without build evidence."""
        if not self.valid:
            return DEFECTS
        allowed: list[Refusal] = []
        if self.samples == "0":
            allowed.append(SITES_ONLY)
        if self.build not in DEFINITE_BUILDS:
            allowed.append(NO_BUILD)
        return tuple(allowed)

    def may_be_read(self) -> bool:
        return self.valid and self.samples != "0" and self.build not in NOT_HUMAN_OR_OLD


def _manifest() -> dict[str, dict[str, str]]:
    path = CORPUS / "MANIFEST.tsv"
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["path"]: row for row in csv.DictReader(fh, delimiter="\t")}


MANIFEST = _manifest()


def expected(rel: str) -> Expected:
    """The outcome a file should have, from the spec folders and MANIFEST.tsv (never from GenoLens)."""
    row = MANIFEST.get(rel, {})
    build, samples = row.get("build", ""), row.get("samples", "")
    if rel.endswith((".tbi", ".csi")):
        return Expected(False, "an index file, not a VCF", build, samples)
    if "/passed/" in rel:
        return Expected(True, "hts-specs passed/ folder", build, samples)
    if "/failed/" in rel:
        return Expected(False, "hts-specs failed/ folder", build, samples)
    if rel in VALID_THOUGH_HTSLIB_REFUSES:
        return Expected(True, f"VCF 4.4 spec: {VALID_THOUGH_HTSLIB_REFUSES[rel]}", build, samples)
    if not row:
        return Expected(False, "not listed in MANIFEST.tsv (documentation, not a VCF)", build, samples)
    if row["cyvcf2_0.35_result"].startswith("OK"):
        return Expected(True, "MANIFEST: written by a real tool and read by htslib", build, samples)
    return Expected(False, f"MANIFEST: htslib refuses it ({row['cyvcf2_0.35_result'][:60]})", build, samples)


def _corpus_files() -> list[str]:
    found: list[str] = []
    for sub in ("vcf", "patients"):
        for folder, _dirs, files in os.walk(CORPUS / sub):
            found += [str(Path(folder, f).relative_to(CORPUS)) for f in files]
    return sorted(found)


CORPUS_FILES = _corpus_files()


@pytest.mark.skipif(not MANIFEST, reason="../shared/corpus/MANIFEST.tsv is absent on this machine")
def test_every_listed_corpus_file_is_on_disk() -> None:
    """Guards the sweep: a renamed corpus would otherwise silently turn expectations into 'not listed'."""
    missing = sorted(set(MANIFEST) - {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file()})
    assert not missing, f"MANIFEST.tsv lists files that are absent: {missing[:10]}"
    assert len(CORPUS_FILES) > 800


@pytest.mark.parametrize("rel", CORPUS_FILES or ["<../shared/corpus absent>"])
def test_every_corpus_file_reads_or_is_refused_for_a_named_reason(rel: str) -> None:
    path = need_shared("corpus", rel)
    exp = expected(rel)
    try:
        samples = list_samples(path)
        p = read_patient(path, sample=samples[0] if samples else None)
    except GenoLensError as exc:
        kind = type(exc)
        assert kind is not GenoLensError and not kind.__subclasses__(), f"{rel}: {kind.__name__} is not a leaf"
        allowed = exp.legitimate_refusals()
        reason = next((r for r in allowed if r.matches(exc)), None)
        assert reason is not None, (
            f"{rel} ({exp.why}; build {exp.build or '?'}, samples {exp.samples or '?'}) was refused with "
            f"{kind.__name__}: {exc}\nallowed: {[f'{r.error.__name__} /{r.message}/' for r in allowed] or 'none'}")
    else:
        assert exp.may_be_read(), f"{rel} ({exp.why}; build {exp.build}, samples {exp.samples}) was read, " \
                                  f"as {p.build.build}, but should have been refused"
        assert p.sample in samples and p.build.build in DEFINITE_BUILDS and p.build.evidence
        if exp.build.rstrip("?") in DEFINITE_BUILDS:
            assert p.build.build == exp.build.rstrip("?"), f"{rel}: read as {p.build.build}, contigs say {exp.build}"
        assert all(0.0 <= r.coverage <= 1.0 for r in p.panels)


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
    p = read_patient(path, panels=[panel], qc_records=250_000)  # above its record count: QC examines them all
    assert p.build.build == "GRCh38" and p.build.source == "contigs"
    assert p.qc.sampling == "all" and p.qc.reference_blocks > 100_000
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


@pytest.mark.parametrize("example", ["pharmcat.example", "pharmcat.example2"])
def test_pgx_dosages_agree_with_pharmcat_published_calls(example: str) -> None:
    folder = need_shared("corpus", "pgx", "pharmcat-examples")
    calls = {gene: diplotype for gene, (diplotype, _) in pharmcat_report(folder / f"{example}.report.tsv").items()}
    p = read_patient(folder / f"{example}.vcf", panels=pgx_panels())
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
