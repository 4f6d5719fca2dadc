"""PharmCAT's DPYD test cases as tiny VCF fixtures, ``DPYD_<case>.vcf`` in this folder, with PharmCAT's answers.

PharmCAT (PharmGKB/PharmCAT@5431bf1) builds these VCFs in code with ``TestVcfBuilder``: every DPYD position of its
definition written reference (``0/0``, or ``0|0`` in a phased test) except the genotypes the test gives (with
FORMAT/PS where it names a phase set) and the ``missing`` positions, which are left out; an allele the definition
does not have (``allowUnknownAllele``) is added to ALT. The cases come from ``src/test/java/org/pharmgkb/pharmcat/
DpydTest.java``, ``PipelineTest.phaseSetDpyd`` and the DPYD tests of ``haplotype/NamedAlleleMatcherTest.java``;
``DpydTest.hapB3``'s table (109 genotype rows, each run phased and unphased) is transcribed in ``DPYD_hapb3.tsv``
and its VCFs are written by the test itself with :func:`dpyd_vcf`. Run from the project root::

    .venv/bin/python tests/data/pharmcat/write_dpyd_cases.py

Expected answers: ``calls`` are PharmCAT's source diplotypes (``"Reference/c.2846A>T"``; several when phase sets
leave the arrangement open) or, for a sample of unknown phase, the alleles found as its report prints them
(``"c.2933A>G (homozygous)"``); ``lookup`` are the two alleles its recommendation lookup uses
(``testRecommendedDiplotypes``; ``()`` where the test does not say). The DPYD allele definitions are the current
ones; ``NamedAlleleMatcherTest`` runs on an older DPYD file (``NamedAlleleMatcher-dpyd.json``) whose alleles at these
positions are the same.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from genolens.genome.pharmcat_definitions import Definition

HERE = Path(__file__).resolve().parent
HAPB3 = "c.1129-5923C>G, c.1236G>A (HapB3)"
INTRON = "c.1129-5923C>G"


@dataclass(frozen=True)
class DpydCase:
    """One PharmCAT DPYD test VCF and PharmCAT's answer."""

    name: str
    """Fixture name (``DPYD_<name>.vcf``)."""
    test: str
    """PharmCAT test (``DpydTest.testDpydPhased``)."""
    genotypes: dict[str, str]
    """rsID -> genotype in VCF bases, ``|`` when phased (``"C|T"``); ``.`` for a missing allele."""
    calls: tuple[str, ...]
    """PharmCAT's calls (see the module docstring)."""
    lookup: tuple[str, ...] = ()
    """The two alleles PharmCAT's recommendation lookup uses; ``()`` where its test does not say."""
    phased: bool = False
    """``TestVcfBuilder.phased()``: every other position written ``0|0``."""
    phase_sets: dict[str, int] = field(default_factory=dict)
    """rsID -> FORMAT/PS (``variationInPhaseSet``)."""
    missing: tuple[str, ...] = ()
    """rsIDs left out of the file."""
    warnings: tuple[str, ...] = ()
    """PharmCAT's HapB3 messages for this case (``DPYD_hapb3.tsv`` only)."""


def _p(*names: str) -> tuple[str, ...]:
    return names


DPYD_CASES: tuple[DpydCase, ...] = (
    DpydCase("testDpydPhased", "DpydTest.testDpydPhased", {"rs3918290": "C|T", "rs1801159": "C|T"},
             _p("c.1627A>G (*5)/c.1905+1G>A (*2A)"), _p("c.1627A>G (*5)", "c.1905+1G>A (*2A)"), phased=True),
    DpydCase("testDpydUnphased", "DpydTest.testDpydUnphased", {"rs3918290": "C/T", "rs1801159": "C/T"},
             _p("c.1627A>G (*5)", "c.1905+1G>A (*2A)"), _p("c.1627A>G (*5)", "c.1905+1G>A (*2A)")),
    DpydCase("testDpydUndocumentedVariation", "DpydTest.testDpydUndocumentedVariation", {"rs3918290": "C/G"},
             _p("Reference/Reference"), _p("Reference", "Reference")),
    DpydCase("testDpydUnphasedMultiple1", "DpydTest.testDpydUnphasedMultiple1",
             {"rs183385770": "C/T", "rs186169810": "A/C", "rs112766203": "G/A", "rs144395748": "G/C"},
             _p("c.1024G>A", "c.1314T>G", "c.1358C>G", "c.2279C>T"), _p("c.1024G>A", "c.1314T>G")),
    DpydCase("testDpydUnphasedMultiple2", "DpydTest.testDpydUnphasedMultiple2",
             {"rs183385770": "C/T", "rs186169810": "A/C", "rs67376798": "T/A", "rs144395748": "G/C"},
             _p("c.1024G>A", "c.1314T>G", "c.1358C>G", "c.2846A>T"), _p("c.1024G>A", "c.1314T>G")),
    DpydCase("testDpydC2846het", "DpydTest.testDpydC2846het", {"rs67376798": "T|A"},
             _p("Reference/c.2846A>T"), _p("Reference", "c.2846A>T"), phased=True),
    DpydCase("testDpydDifferenceOnScore_low", "DpydTest.testDpydDifferenceOnScore", {"rs67376798": "A|A"},
             _p("c.2846A>T/c.2846A>T"), _p("c.2846A>T", "c.2846A>T"), phased=True),
    DpydCase("testDpydPhasedMultiTrans", "DpydTest.testDpydPhasedMultiTrans",
             {"rs67376798": "A|T", "rs72547601": "C|T", "rs60139309": "T|C", "rs139834141": "C|T"},
             _p("[c.498G>A + c.2582A>G]/[c.2846A>T + c.2933A>G]"), _p("c.498G>A", "c.2933A>G"), phased=True),
    DpydCase("testDpydUnphasedMultiTrans", "DpydTest.testDpydUnphasedMultiTrans",
             {"rs67376798": "A/T", "rs72547601": "C/T", "rs60139309": "T/C", "rs139834141": "C/T"},
             _p("c.498G>A", "c.2582A>G", "c.2846A>T", "c.2933A>G"), _p("c.2933A>G", "c.2846A>T")),
    DpydCase("testDpydUnphasedMultiTrans_infer_homo", "DpydTest.testDpydUnphasedMultiTrans_infer_homo",
             {"rs67376798": "A/T", "rs72547601": "C/C", "rs60139309": "T/C", "rs139834141": "C/T"},
             _p("c.498G>A", "c.2582A>G", "c.2846A>T", "c.2933A>G (homozygous)"), _p("c.2933A>G", "c.2933A>G")),
    DpydCase("testDpydS12het", "DpydTest.testDpydS12het", {"rs78060119": "C|A"},
             _p("Reference/c.1156G>T (*12)"), _p("Reference", "c.1156G>T (*12)"), phased=True),
    DpydCase("testDpydHomNoFunctionEffectivelyPhased", "DpydTest.testDpydHomNoFunctionEffectivelyPhased",
             {"rs72549310": "A/A", "rs150385342": "C/T"},
             _p("c.61C>T/[c.61C>T + c.313G>A]"), _p("c.61C>T", "c.61C>T")),
    DpydCase("testDpydHomNoFunctionPhased", "DpydTest.testDpydHomNoFunctionPhased",
             {"rs72549310": "A|A", "rs150385342": "C|T"},
             _p("c.61C>T/[c.61C>T + c.313G>A]"), _p("c.61C>T", "c.61C>T"), phased=True),
    DpydCase("testDpydHomNoFunctionUnphased", "DpydTest.testDpydHomNoFunctionUnphased",
             {"rs72547601": "C/C", "rs67376798": "A/T", "rs60139309": "T/C"},
             _p("c.2582A>G", "c.2846A>T", "c.2933A>G (homozygous)"), _p("c.2933A>G", "c.2933A>G")),
    DpydCase("issue155_strandMismatch", "DpydTest.issue155_strandMismatch",
             {"rs1801158": "T|C", "rs56038477": "C|T", "rs75017182": "G|C", "rs2297595": "C|T", "rs1801265": "G|G"},
             _p(f"[c.85T>C (*9A) + {HAPB3}]/[c.85T>C (*9A) + c.496A>G + c.1601G>A (*4)]"),
             _p("c.85T>C (*9A)", HAPB3), phased=True),
    DpydCase("issue209_strandMismatch", "DpydTest.issue209_strandMismatch",
             {"rs1801159": "C|T", "rs56038477": "C|T", "rs75017182": "G|C", "rs1801265": "G|A"},
             _p(f"Reference/[c.85T>C (*9A) + {HAPB3} + c.1627A>G (*5)]",
                f"c.85T>C (*9A)/[{HAPB3} + c.1627A>G (*5)]",
                f"{HAPB3}/[c.85T>C (*9A) + c.1627A>G (*5)]",
                f"c.1627A>G (*5)/[c.85T>C (*9A) + {HAPB3}]"),
             _p("Reference", HAPB3), phased=True,
             phase_sets={"rs1801159": 97513581, "rs56038477": 97571276, "rs75017182": 97571276,
                         "rs1801265": 97879893}),
    DpydCase("issue156", "DpydTest.issue156",
             {"rs1801160": "T|C", "rs1801159": "C|T", "rs56038477": "T|C", "rs75017182": "C|G"},
             _p(f"Reference/[{HAPB3} + c.1627A>G (*5) + c.2194G>A (*6)]"), _p("Reference", HAPB3), phased=True),
    DpydCase("phaseSet_lowFunctionsOnSameStrand", "DpydTest.phaseSet_lowFunctionsOnSameStrand",
             {"rs1801159": "C|T", "rs56038477": "C|T", "rs75017182": "G|C", "rs72549310": "G|A"},
             _p(f"Reference/[c.61C>T + {HAPB3} + c.1627A>G (*5)]", f"c.1627A>G (*5)/[c.61C>T + {HAPB3}]"),
             _p("c.61C>T", "Reference"), phased=True,
             phase_sets={"rs1801159": 97513581, "rs56038477": 97571276, "rs75017182": 97571276,
                         "rs72549310": 97571276}),
    DpydCase("testFindCombinations", "DpydTest.testFindCombinations", {"rs114096998": "G|A"},
             _p("Reference/Reference"), _p("Reference", "Reference"), phased=True),
    DpydCase("hapB3AndIntronicA", "DpydTest.hapB3AndIntronicA",
             {"rs56038477": "T|C", "rs75017182": "C|C", "rs3918290": "T|C"},
             _p(f"{INTRON}/[{HAPB3} + c.1905+1G>A (*2A)]"), _p("c.1905+1G>A (*2A)", INTRON), phased=True),
    DpydCase("hapB3AndIntronicB", "DpydTest.hapB3AndIntronicB",
             {"rs56038477": "C|T", "rs75017182": "C|C", "rs3918290": "C|T"},
             _p(f"{INTRON}/[{HAPB3} + c.1905+1G>A (*2A)]"), _p("c.1905+1G>A (*2A)", INTRON), phased=True),
    DpydCase("psMissToRef", "DpydTest.psMissToRef",
             {"rs140114515": "C|T", "rs1801268": "C|A", "rs67376798": "T|A", "rs1801265": "A|G"},
             _p("Reference/[c.85T>C (*9A) + c.2846A>T + c.2983G>T (*10) + c.3049G>A]",
                "c.85T>C (*9A)/[c.2846A>T + c.2983G>T (*10) + c.3049G>A]"),
             _p("Reference", "c.2983G>T (*10)"), phased=True,
             phase_sets={"rs140114515": 1, "rs1801268": 1, "rs67376798": 1, "rs1801265": 2}),
    DpydCase("psHapB", "DpydTest.psHapB",
             {"rs1801267": "C|T", "rs55886062": "A|C", "rs56038477": "C|T", "rs75017182": "G|C"},
             _p(f"Reference/[{HAPB3} + c.1679T>G (*13) + c.2657G>A (*9B)]",
                f"{INTRON}/[c.1679T>G (*13) + c.2657G>A (*9B)]"),
             _p("c.1679T>G (*13)", INTRON), phased=True,
             phase_sets={"rs1801267": 1, "rs55886062": 1, "rs56038477": 1, "rs75017182": 2}),
    DpydCase("psDpwg", "DpydTest.psDpwg", {"rs1801267": "C|T", "rs59086055": "G|A", "rs55886062": "A|C"},
             _p("Reference/[c.1679T>G (*13) + c.1774C>T + c.2657G>A (*9B)]",
                "c.2657G>A (*9B)/[c.1679T>G (*13) + c.1774C>T]"),
             _p("c.1679T>G (*13)", "Reference"), phased=True,
             phase_sets={"rs1801267": 1, "rs59086055": 2, "rs55886062": 2}),
    DpydCase("psDpwgFlip", "DpydTest.psDpwgFlip", {"rs1801267": "C|T", "rs59086055": "G|A", "rs55886062": "C|A"},
             _p("c.1679T>G (*13)/[c.1774C>T + c.2657G>A (*9B)]", "c.1774C>T/[c.1679T>G (*13) + c.2657G>A (*9B)]"),
             _p("c.1679T>G (*13)", "c.1774C>T"), phased=True,
             phase_sets={"rs1801267": 1, "rs59086055": 2, "rs55886062": 2}),
    DpydCase("psDpwgNoRec", "DpydTest.psDpwgNoRec", {"rs1801267": "C|T", "rs59086055": "G|A"},
             _p("Reference/[c.1774C>T + c.2657G>A (*9B)]", "c.1774C>T/c.2657G>A (*9B)"),
             _p("c.1774C>T", "Reference"), phased=True, phase_sets={"rs1801267": 1, "rs59086055": 2}),
    DpydCase("psTest3Sets", "DpydTest.psTest3Sets",
             {"rs67376798": "T|A", "rs55886062": "A|C", "rs72549307": "T|C", "rs1801265": "A|G"},
             _p("Reference/[c.85T>C (*9A) + c.632A>G + c.1679T>G (*13) + c.2846A>T]",
                "c.1679T>G (*13)/[c.85T>C (*9A) + c.632A>G + c.2846A>T]",
                "c.2846A>T/[c.85T>C (*9A) + c.632A>G + c.1679T>G (*13)]",
                "[c.85T>C (*9A) + c.632A>G]/[c.1679T>G (*13) + c.2846A>T]"),
             _p("c.632A>G", "c.1679T>G (*13)"), phased=True,
             phase_sets={"rs67376798": 1, "rs55886062": 2, "rs72549307": 3, "rs1801265": 3}),
    DpydCase("hapB3AndIntronicC", "DpydTest.hapB3AndIntronicC", {"rs56038477": "C|T", "rs75017182": "C|C"},
             _p(f"{INTRON}/{HAPB3}"), _p(INTRON, HAPB3), phased=True),
    DpydCase("hapB3AndIntronicC_missingFirstAllele", "DpydTest.hapB3AndIntronicC_missingFirstAllele",
             {"rs56038477": ".|T", "rs75017182": ".|C"}, _p(f"Reference/{HAPB3}"), _p("Reference", HAPB3),
             phased=True),
    DpydCase("hapB3AndIntronicC_missingSecondAllele", "DpydTest.hapB3AndIntronicC_missingSecondAllele",
             {"rs56038477": "T|.", "rs75017182": "C|."}, _p(f"Reference/{HAPB3}"), _p("Reference", HAPB3),
             phased=True),
    DpydCase("hapB3AndIntronicC_missingAlternateStrands1", "DpydTest.hapB3AndIntronicC_missingAlternateStrands1",
             {"rs56038477": "T|.", "rs75017182": ".|C"}, _p(f"{INTRON}/{HAPB3}"), _p(INTRON, HAPB3), phased=True),
    DpydCase("hapB3AndIntronicC_missingAlternateStrands2", "DpydTest.hapB3AndIntronicC_missingAlternateStrands2",
             {"rs56038477": ".|T", "rs75017182": "C|."}, _p(f"{INTRON}/{HAPB3}"), _p(INTRON, HAPB3), phased=True),
    DpydCase("hapB3AndIntronicD", "DpydTest.hapB3AndIntronicD", {"rs56038477": "T|C", "rs75017182": "C|C"},
             _p(f"{INTRON}/{HAPB3}"), _p(HAPB3, INTRON), phased=True),
    DpydCase("phaseSetDpyd_unphased", "PipelineTest.phaseSetDpyd", {"rs114096998": "G/T", "rs1801265": "A/G"},
             _p("c.85T>C (*9A)", "c.3067C>A"), _p("c.85T>C (*9A)", "c.3067C>A")),
    DpydCase("phaseSetDpyd_phased", "PipelineTest.phaseSetDpyd", {"rs114096998": "G|T", "rs1801265": "A|G"},
             _p("Reference/[c.85T>C (*9A) + c.3067C>A]"), _p("Reference", "c.85T>C (*9A)"), phased=True),
    DpydCase("phaseSetDpyd_phaseSet", "PipelineTest.phaseSetDpyd", {"rs114096998": "G|T", "rs1801265": "A|G"},
             _p("Reference/[c.85T>C (*9A) + c.3067C>A]", "c.85T>C (*9A)/c.3067C>A"),
             _p("c.85T>C (*9A)", "Reference"), phased=True,
             phase_sets={"rs114096998": 96997594, "rs1801265": 97710720}),
    DpydCase("testDpydEffectivelyPhased", "NamedAlleleMatcherTest.testDpydEffectivelyPhased",
             {"rs80081766": "C/T"}, _p("Reference/c.62G>A")),
    DpydCase("testDpydEffectivelyPhased2", "NamedAlleleMatcherTest.testDpydEffectivelyPhased2",
             {"rs61622928": "T/T", "rs1801159": "C/C", "rs1801265": "A/G"},
             _p("[c.1218G>A + c.1627A>G (*5)]/[c.85T>C (*9A) + c.1218G>A + c.1627A>G (*5)]")),
    DpydCase("testDpydPhased_matcher", "NamedAlleleMatcherTest.testDpydPhased",
             {"rs80081766": "C|T", "rs114096998": "G|T"}, _p("Reference/[c.62G>A + c.3067C>A]"), phased=True),
    DpydCase("testDpydUnPhased_matcher", "NamedAlleleMatcherTest.testDpydUnPhased",
             {"rs80081766": "C/T", "rs114096998": "G/T"}, _p("c.62G>A", "c.3067C>A")),
    DpydCase("testDpydPhasedDouble", "NamedAlleleMatcherTest.testDpydPhasedDouble",
             {"rs75017182": "G|C", "rs56038477": "C|T", "rs80081766": "T|T", "rs114096998": "T|T"},
             _p(f"[c.62G>A + c.3067C>A]/[c.62G>A + {HAPB3} + c.3067C>A]"), phased=True),
    DpydCase("testDpydHomozygous", "NamedAlleleMatcherTest.testDpydHomozygous",
             {"rs80081766": "T|T", "rs114096998": "T|T"}, _p("[c.62G>A + c.3067C>A]/[c.62G>A + c.3067C>A]"),
             phased=True),
    DpydCase("testDpydEffectivelyPhasedCombination", "NamedAlleleMatcherTest.testDpydEffectivelyPhasedCombination",
             {"rs1801159": "C/C", "rs1801265": "A/G"}, _p("c.1627A>G (*5)/[c.85T>C (*9A) + c.1627A>G (*5)]"),
             missing=("rs148799944", "rs140114515", "rs1801268", "rs72547601", "rs72547602", "rs141044036",
                      "rs147545709", "rs55674432", "rs146529561", "rs137999090", "rs138545885", "rs55971861",
                      "rs72549303", "rs147601618", "rs145773863", "rs138616379", "rs148994843", "rs138391898",
                      "rs111858276", "rs72549304", "rs142512579", "rs764666241", "rs140602333", "rs78060119",
                      "rs143154602", "rs72549306", "rs145112791", "rs150437414", "rs1801266", "rs72549307",
                      "rs72549308", "rs139834141", "rs141462178", "rs150385342", "rs72549309", "rs80081766",
                      "rs150036960")),
    DpydCase("testDpydUnphasedHomozygousNoFunction", "NamedAlleleMatcherTest.testDpydUnphasedHomozygousNoFunction",
             {"rs72547601": "C/C", "rs67376798": "A/T", "rs60139309": "T/C"},
             _p("c.2582A>G", "c.2846A>T", "c.2933A>G (homozygous)")),
)
"""PharmCAT's DPYD ``TestVcfBuilder`` cases (``DpydTest``, ``PipelineTest.phaseSetDpyd``, ``NamedAlleleMatcherTest``),
written as ``DPYD_<name>.vcf``. ``testDpydDifferenceOnScore``'s first half is ``testDpydC2846het``'s VCF."""

WARNINGS = {"pcat-dpyd-hapB3-intronic-mismatch-exonic": "mismatch", "pcat-dpyd-hapB3-exonic-only": "exonic_only"}
"""PharmCAT's HapB3 message names in ``DPYD_hapb3.tsv`` -> the word the test looks for."""


def _names(text: str) -> tuple[str, ...]:
    """PharmCAT's ``DpydTest.parseDiplotypes``: comma-separated calls with its short names spelled out."""
    out = []
    for part in text.split(","):
        s = re.sub(r"(\S)\+(\S)", r"\1 + \2", part.strip())
        s = s.replace("ref", "Reference").replace("HapB3Intron", INTRON).replace("HapB3", HAPB3)
        out.append(s)
    return tuple(out)


def hapb3_cases() -> list[DpydCase]:
    """``DpydTest.hapB3``: each row of ``DPYD_hapb3.tsv`` phased and unphased, with PharmCAT's expected answer."""
    lines = [x for x in (HERE / "DPYD_hapb3.tsv").read_text(encoding="utf-8").split("\n") if x and x[0] != "#"]
    header = lines[0].split("\t")
    rsids = header[1:8]
    cases = []
    for line in lines[1:]:
        f = (line.split("\t") + [""] * 15)[:15]
        row, gts, (call, lookup, ucall, ulookup, _pgx, warn, uwarn) = f[0], f[1:8], f[8:15]
        for phased in (True, False):
            calls = _names(call if phased or not ucall else ucall)
            look = lookup if phased else ulookup or lookup
            lk = _names(look) if look else calls
            lk = tuple(lk[0].split("/")) if len(lk) == 1 else lk
            genotypes = {rs: ("|" if phased else "/").join(gt.replace("|", "/").split("/"))
                         for rs, gt in zip(rsids, gts, strict=True) if gt != "missing"}
            w = warn if phased else uwarn
            cases.append(DpydCase(f"hapB3_row_{row}_{'phased' if phased else 'unphased'}", "DpydTest.hapB3",
                                  genotypes, calls, lk, phased,
                                  missing=tuple(rs for rs, gt in zip(rsids, gts, strict=True) if gt == "missing"),
                                  warnings=(WARNINGS[w],) if w else ()))
    return cases


HAPB3_UNDOCUMENTED = {"rs186169810": "G"}
"""``DpydTest.hapB3`` writes the non-PGx column's non-reference allele as G, which DPYD's definition lacks."""


def dpyd_vcf(case: DpydCase, d: Definition) -> str:
    """The VCF PharmCAT's ``TestVcfBuilder`` writes for ``case`` (genotypes of ``DPYD_hapb3.tsv`` rows are allele
    indices, ``1`` the definition's ALT or, at rs186169810, the undocumented G)."""
    lines = ["##fileformat=VCFv4.2", f"##source=PharmCAT TestVcfBuilder, {case.test}",
             f"##contig=<ID=chr{d.positions[0].chrom},assembly=hg38>",
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             '##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">',
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tSAMPLE"]
    used = set()
    for p in d.positions:
        if p.rsid in case.missing:
            continue
        alleles = [p.ref, *p.alts]
        gt, fmt = ("0|0" if case.phased else "0/0"), "GT"
        if p.rsid in case.genotypes:
            used.add(p.rsid)
            text = case.genotypes[p.rsid]
            sep = "|" if "|" in text else "/"
            bases = text.split(sep)
            if all(b in "01." for b in bases):  # DPYD_hapb3.tsv: allele indices
                bases = [p.ref if b == "0" else "." if b == "." else HAPB3_UNDOCUMENTED.get(p.rsid, p.alts[0])
                         for b in bases]
            alleles += [b for b in dict.fromkeys(bases) if b not in alleles and b != "."]
            gt = sep.join("." if b == "." else str(alleles.index(b)) for b in bases)
            if p.rsid in case.phase_sets:
                gt, fmt = f"{gt}:{case.phase_sets[p.rsid]}", "GT:PS"
        lines.append(f"chr{p.chrom}\t{p.pos38}\t{p.rsid or '.'}\t{p.ref}\t{','.join(alleles[1:])}\t.\tPASS\t.\t"
                     f"{fmt}\t{gt}")
    unknown = set(case.genotypes) - used
    if unknown:
        raise ValueError(f"{case.name}: {sorted(unknown)} not in the DPYD definitions")
    return "\n".join(lines) + "\n"


def main() -> int:
    sys.path.insert(0, str(HERE.parents[2]))
    from genolens.genome.pharmcat_definitions import load_definitions

    d = load_definitions()["DPYD"]
    for case in DPYD_CASES:
        (HERE / f"DPYD_{case.name}.vcf").write_text(dpyd_vcf(case, d), encoding="utf-8")
    print(f"wrote {len(DPYD_CASES)} fixtures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
