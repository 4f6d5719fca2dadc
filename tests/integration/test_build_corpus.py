"""The genome build of every real file in ../shared/corpus: decided right, or refused for want of evidence.

The truth is not GenoLens's: corpus/MANIFEST.tsv records each file's build as its authors' header gives it
(``GRCh38`` from ##contig lengths, ``GRCh38?`` from an ``assembly=``/``##reference`` name or the source's
documentation, ``NCBI36?`` for the 1000 Genomes pilot examples). Every build GenoLens decides must equal it,
and so must every build the REF bases at panel sites decide on their own (the header set aside).

Run as a script for the counts: ``.venv/bin/python -m tests.integration.test_build_corpus``.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from genolens.datamodel import BUILDS
from genolens.errors import BuildError, GenoLensError
from genolens.genome.build import build_from_ref_bases, ref_tallies
from genolens.genome.panel import load_panels
from genolens.genome.patient import list_samples, read_patient
from genolens.genome.vcf import open_vcf
from tests.factories import CORPUS

pytestmark = [pytest.mark.corpus, pytest.mark.skipif(not (CORPUS / "MANIFEST.tsv").is_file(),
                                                     reason="../shared/corpus/MANIFEST.tsv is absent")]

REFUSED_BEFORE = 357
"""Files refused as 'cannot tell the build' before assembly= and the REF policy (measured at 9d6f809 with the
same walk); the walk must refuse fewer now."""


@dataclass(frozen=True)
class Outcome:
    rel: str
    truth: str | None  # GRCh37/GRCh38 from MANIFEST.tsv; None when it names no GRCh build
    has_lengths: bool  # the header gives ##contig lengths
    read_as: str | None  # the build read_patient decided; None when refused or unreadable
    source: str | None
    refused_for_build: bool
    ref_alone: str | None  # the build the REF bases alone decide; None when they do not
    ref_compared: int  # REF bases compared at panel sites (both builds)


def _truth(row: dict[str, str]) -> str | None:
    build = row["build"].rstrip("?")
    return build if build in BUILDS else None


def _ref_alone(path: Path) -> tuple[str | None, int]:
    """The build the REF bases at panel sites decide with the header set aside, and how many were compared."""
    panels = load_panels()
    sites = sorted({(v.locus(b).chrom, v.locus(b).pos) for p in panels for v in p.variants for b in BUILDS})
    with open_vcf(path) as vf:
        records, _mode = vf.read_matrix(sites)
    tallies = ref_tallies((v for p in panels for v in p.variants),
                          lambda chrom, pos: [r.ref for r in records.get((chrom, pos), ()) if r.pos == pos])
    decided, _lines = build_from_ref_bases(tallies)
    return decided, sum(t.agree + t.disagree for t in tallies)


def walk() -> list[Outcome]:
    """Read every file MANIFEST.tsv lists (first sample) and tally its REF bases at panel sites."""
    with (CORPUS / "MANIFEST.tsv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    out = []
    for row in rows:
        rel, path = row["path"], CORPUS / row["path"]
        read_as = source = None
        refused = False
        try:
            samples = list_samples(path)
            with open_vcf(path) as vf:
                has_lengths = any(c.length is not None for c in vf.info.contigs)
            ref_alone, compared = _ref_alone(path)
        except GenoLensError:
            continue  # not readable at all (a spec failure, an index, an empty file): no build to decide
        try:
            p = read_patient(path, sample=samples[0] if samples else None, qc_records=0)
            read_as, source = p.build.build, p.build.source
        except BuildError:
            refused = True
        except GenoLensError:
            pass  # e.g. a sites-only file: refused before any build is needed
        out.append(Outcome(rel, _truth(row), has_lengths, read_as, source, refused, ref_alone, compared))
    return out


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return walk()


@pytest.mark.slow
def test_every_decided_build_is_the_files_own(outcomes: list[Outcome]) -> None:
    wrong = [(o.rel, o.read_as, o.truth) for o in outcomes if o.read_as and o.truth and o.read_as != o.truth]
    assert not wrong
    unchecked = [o.rel for o in outcomes if o.read_as and not o.truth]
    assert len(unchecked) <= 3, unchecked  # hts-specs files whose ##reference names GRCh37, listed 'unknown'
    refused = sum(o.refused_for_build for o in outcomes)
    assert refused < REFUSED_BEFORE
    # assembly= decides the PharmCAT files and the cyvcf2 files that name b37/hg19 without lengths
    by_assembly = {o.rel for o in outcomes if o.source == "assembly"}
    assert {"pgx/pharmcat-examples/pharmcat.example.vcf", "vcf/cyvcf2/no-seq-len.vcf"} <= by_assembly


@pytest.mark.slow
def test_ref_bases_alone_decide_right_where_they_decide(outcomes: list[Outcome]) -> None:
    decided = [o for o in outcomes if o.ref_alone]
    wrong = [(o.rel, o.ref_alone, o.truth) for o in decided if o.ref_alone != o.truth]
    assert not wrong
    # Files without ##contig lengths whose build the REF bases at panel sites decide, all of PharmCAT's included.
    no_lengths = {o.rel for o in decided if not o.has_lengths}
    assert {"pgx/pharmcat-examples/pharmcat.example.vcf", "pgx/pharmcat-examples/pharmcat.example2.vcf",
            "pgx/pharmcat-examples/multisample.vcf", "pgx/pharmcat_positions.vcf"} <= no_lengths


def main() -> None:
    found = walk()
    refused = [o for o in found if o.refused_for_build]
    decided = [o for o in found if o.read_as]
    print(f"files read far enough to need a build: {len(found)}")
    print(f"refused for want of build evidence: before {REFUSED_BEFORE}, now {len(refused)}")
    print(f"decided: {len(decided)} ({dict(Counter(o.source for o in decided))}); "
          f"with a known build {sum(bool(o.truth) for o in decided)}, "
          f"wrong {sum(bool(o.truth) and o.read_as != o.truth for o in decided)}")
    ref = [o for o in found if o.ref_alone]
    print(f"REF bases alone decide {len(ref)} files (wrong {sum(o.ref_alone != o.truth for o in ref)}); "
          f"{sum(not o.has_lengths for o in ref)} of them without ##contig lengths; "
          f"REF bases compared in {sum(o.ref_compared > 0 for o in found)} files")
    for o in ref:
        print(f"  {o.rel}: REF bases say {o.ref_alone} ({o.ref_compared} compared), MANIFEST {o.truth}, "
              f"read as {o.read_as} ({o.source})")
    undecided = [o for o in found if o.ref_compared and not o.ref_alone]
    for o in undecided:
        print(f"  undecided: {o.rel}: {o.ref_compared} compared, MANIFEST {o.truth}")


if __name__ == "__main__":
    main()
