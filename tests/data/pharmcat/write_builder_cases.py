"""Write PharmCAT's ``TestVcfBuilder`` test cases as tiny VCF fixtures, ``<GENE>_<case>.vcf`` in this folder.

PharmCAT (PharmGKB/PharmCAT@5431bf1, ``src/test/java/org/pharmgkb/pharmcat/haplotype/NamedAlleleMatcher*Test.java``)
builds these VCFs in code: every position of the gene's definition is written reference (``0/0``) except the
``variation`` genotypes the test gives (unphased ``/`` unless the test phases them) and the ``missing`` positions,
which are left out. The cases below are transcribed from those tests (gene, case, test, genotypes by rsID,
missing rsIDs, the diplotypes PharmCAT's test expects, and whether it asks for the top candidate only);
``tests/integration/test_pharmcat_known_answers.py`` reads the same table. Run from the project root::

    .venv/bin/python tests/data/pharmcat/write_builder_cases.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

BUILDER_CASES: tuple[tuple[str, str, str, dict[str, str], tuple[str, ...], tuple[str, ...], bool], ...] = (
    ('CYP2C19', 's1s1', 'NamedAlleleMatcherCyp2c19Test.s1s1',
     {'rs3758581': 'G/G'}, (), ('*1/*1',), False),
    ('CYP2C19', 's1s2', 'NamedAlleleMatcherCyp2c19Test.s1s2',
     {'rs12769205': 'A/G', 'rs4244285': 'G/A', 'rs3758581': 'G/G'}, (), ('*1/*2',), False),
    ('CYP2C19', 's1s4', 'NamedAlleleMatcherCyp2c19Test.s1s4',
     {'rs12248560': 'C/T', 'rs28399504': 'A/G', 'rs3758581': 'G/G'}, (), ('*1/*4',), True),
    ('CYP2C19', 's1s17s1s4bMissingCalls', 'NamedAlleleMatcherCyp2c19Test.s1s17s1s4bMissingCalls',
     {'rs12248560': 'C/T', 'rs3758581': 'G/G'}, ('rs28399504',), ('*1/*4', '*1/*17'), True),
    ('CYP2C19', 's1s17s1s4bMissingMoreCalls', 'NamedAlleleMatcherCyp2c19Test.s1s17s1s4bMissingMoreCalls',
     {'rs12248560': 'C/T', 'rs3758581': 'G/G'}, ('rs28399504', 'rs17882687', 'rs1564656981', 'rs1564657013',
      'rs1564660997', 'rs1288601658', 'rs17885179',
      'rs375781227', 'rs72558186', 'rs113934938'), ('*1/*4', '*1/*17'), True),
    ('CYP2C19', 's1s28', 'NamedAlleleMatcherCyp2c19Test.s1s28',
     {'rs17882687': 'A/C', 'rs3758581': 'G/G', 'rs113934938': 'G/A'}, (), ('*1/*28',), False),
    ('CYP2C19', 's2s2', 'NamedAlleleMatcherCyp2c19Test.s2s2',
     {'rs12769205': 'G/G', 'rs4244285': 'A/A'}, ('rs3758581',), ('*2/*2',), False),
    ('CYP2C19', 's2s3', 'NamedAlleleMatcherCyp2c19Test.s2s3',
     {'rs12769205': 'A/G', 'rs4986893': 'G/A', 'rs4244285': 'G/A'}, ('rs3758581',), ('*2/*3',), False),
    ('CYP2C19', 's4as4b', 'NamedAlleleMatcherCyp2c19Test.s4as4b',
     {'rs12248560': 'C/T', 'rs28399504': 'G/G'}, ('rs3758581',), ('*4/*4',), False),
    ('CYP2C19', 's4bs17', 'NamedAlleleMatcherCyp2c19Test.s4bs17',
     {'rs12248560': 'T/T', 'rs28399504': 'A/G'}, ('rs3758581',), ('*4/*17',), False),
    ('CYP2C19', 's15s28', 'NamedAlleleMatcherCyp2c19Test.s15s28',
     {'rs17882687': 'C/C', 'rs113934938': 'G/A'}, ('rs3758581', 'rs17885179'), ('*15/*28', '*28/*39'), False),
    ('CYP2C19', 'sUnks17', 'NamedAlleleMatcherCyp2c19Test.sUnks17',
     {'rs12248560': 'T/T', 'rs28399504': 'A/G'}, (), (), False),
    ('CYP2C19', 'rs12769205missingrs4244285het', 'NamedAlleleMatcherCyp2c19Test.rs12769205missingrs4244285het',
     {'rs4244285': 'G/A', 'rs3758581': 'G/G'}, ('rs12769205',), ('*1/*2', '*2/*35'), False),
    ('CYP2C19', 'rs12769205call', 'NamedAlleleMatcherCyp2c19Test.rs12769205call',
     {'rs12769205': 'A/G', 'rs3758581': 'G/G'}, (), ('*1/*35',), False),
    ('CYP2C19', 's4bs17rs28399504missing_builder', 'NamedAlleleMatcherCyp2c19Test.s4bs17rs28399504missing',
     {'rs12248560': 'T/T'}, ('rs28399504',), (), False),
    ('CYP2C19', 's1s1rs12248560missing', 'NamedAlleleMatcherCyp2c19Test.s1s1rs12248560missing',
     {'rs3758581': 'G/G'}, ('rs12248560',), ('*1/*1', '*1/*17', '*17/*17'), False),
    ('CYP2C19', 's4s17het', 'NamedAlleleMatcherCyp2c19Test.s4s17het',
     {'rs12248560': 'T/T', 'rs28399504': 'A/G', 'rs3758581': 'G/G'}, (), ('*4/*17',), False),
    ('CYP2C19', 's2s35', 'NamedAlleleMatcherCyp2c19Test.s2s35',
     {'rs12769205': 'A/G', 'rs4244285': 'A/A'}, (), (), False),
    ('CYP2C9', 's1_s1', 'NamedAlleleMatcherCyp2c9Test.s1_s1',
     {}, (), ('*1/*1',), False),
    ('CYP2C9', 's2_s3', 'NamedAlleleMatcherCyp2c9Test.s2_s3',
     {'rs1799853': 'C/T', 'rs1057910': 'A/C'}, (), ('*2/*3',), False),
    ('CYP2C9', 's2_s24', 'NamedAlleleMatcherCyp2c9Test.s2_s24',
     {'rs1799853': 'C/T', 'rs749060448': 'A/G'}, (), ('*2/*24',), False),
    ('CYP2C9', 's2_s24Only', 'NamedAlleleMatcherCyp2c9Test.s2_s24Only',
     {'rs1799853': 'C/T', 'rs749060448': 'A/A'}, (), (), False),
    ('CYP2C9', 's2_s25', 'NamedAlleleMatcherCyp2c9Test.s2_s25',
     {'rs1799853': 'C/T', 'rs1304490498': 'AGAAATGGAA/delAGAAATGGAA'}, (), ('*2/*25',), False),
    ('CYP2C9', 's24_s24', 'NamedAlleleMatcherCyp2c9Test.s24_s24',
     {'rs749060448': 'A/A'}, (), ('*24/*24',), False),
    ('CYP2C9', 's24_s2s24', 'NamedAlleleMatcherCyp2c9Test.s24_s2s24',
     {'rs1799853': 'C/T', 'rs749060448': 'A/A'}, (), (), False),
    ('SLCO1B1', 'slco1b1s1s1', 'NamedAlleleMatcherSlco1b1Test.slco1b1s1s1',
     {}, (), ('*1/*1',), False),
    ('SLCO1B1', 'slco1b1s5s14', 'NamedAlleleMatcherSlco1b1Test.slco1b1s5s14',
     {'rs2306283': 'A/G', 'rs11045819': 'C/A', 'rs4149056': 'C/T'}, (), ('*4/*15', '*5/*14'), False),
    ('SLCO1B1', 'slco1b1s5s15', 'NamedAlleleMatcherSlco1b1Test.slco1b1s5s15',
     {'rs2306283': 'A/G', 'rs4149056': 'C/C'}, (), ('*5/*15',), False),
    ('SLCO1B1', 'slco1b1s1s15', 'NamedAlleleMatcherSlco1b1Test.slco1b1s1s15',
     {'rs2306283': 'A/G', 'rs4149056': 'T/C'}, (), ('*1/*15', '*5/*37'), False),
    ('SLCO1B1', 'slco1b1s1as15s1bs5Missing', 'NamedAlleleMatcherSlco1b1Test.slco1b1s1as15s1bs5Missing',
     {'rs2306283': 'A/G', 'rs4149056': 'T/C'}, ('rs140790673',), ('*1/*15', '*5/*29', '*5/*37'), False),
    ('SLCO1B1', 'slco1b1s1as15s1bs5TwoMissing', 'NamedAlleleMatcherSlco1b1Test.slco1b1s1as15s1bs5TwoMissing',
     {'rs2306283': 'A/G', 'rs4149056': 'T/C'}, ('rs200995543', 'rs140790673'), ('*1/*15', '*5/*29', '*5/*37'), False),
    ('CYP2C19', 'testPermutationGeneration_1', 'NamedAlleleMatcherTest.testPermutationGeneration',
     {'rs12248560': 'C|T', 'rs12769205': 'G|A', 'rs4244285': 'A|G', 'rs3758581': 'G|G'}, (), ('*2/*17',), False),
    ('CYP2C19', 'testPermutationGeneration_2', 'NamedAlleleMatcherTest.testPermutationGeneration',
     {'rs12248560': 'C/T', 'rs12769205': 'G/A', 'rs4244285': 'A/G', 'rs3758581': 'G/G'}, (), ('*2/*17',), False),
    ('CYP2C19', 'testPermutationGeneration_3', 'NamedAlleleMatcherTest.testPermutationGeneration',
     {'rs12248560': 'C/T', 'rs12769205': 'G|A', 'rs4244285': 'A|G', 'rs3758581': 'G/G'}, (), ('*2/*17',), False),
)
PIPELINE_CASES: tuple[tuple[str, str, str, dict[str, str], tuple[str, ...], tuple[str, ...], bool], ...] = (
    ('CYP2C19', 'testUndocumentedVariation', 'PipelineTest.testUndocumentedVariation',
     {'rs3758581': 'G/T'}, (), (), True),
    ('CYP2C19', 'testUndocumentedVariationsWithTreatAsReference',
     'PipelineTest.testUndocumentedVariationsWithTreatAsReference',
     {'rs3758581': 'G/T'}, (), (), True),
    ('CYP2C19', 'testUncallable', 'PipelineTest.testUncallable',
     {'rs3758581': 'G/T'}, (), (), True),
    ('TPMT', 'testUncallable', 'PipelineTest.testUncallable',
     {'rs1256618794': 'A/A', 'rs753545734': 'C/C'}, (), (), True),
    ('CYP2C19', 'testCyp2c19noCall', 'PipelineTest.testCyp2c19noCall',
     {'rs12769205': 'A/G', 'rs4244285': 'A/A'}, (), (), True),
    ('CYP2C19', 'testCyp2c19s4bs17rs28399504missing', 'PipelineTest.testCyp2c19s4bs17rs28399504missing',
     {'rs12248560': 'T/T', 'rs3758581': 'G/G'}, ('rs28399504',), ('*4/*4', '*4/*17', '*17/*17'), True),
    ('CYP2C19', 'testCyp2c19s1s4het', 'PipelineTest.testCyp2c19s1s4het',
     {'rs12248560': 'T/T', 'rs28399504': 'A/G', 'rs3758581': 'G/G'}, (), ('*4/*17',), True),
    ('CYP2C19', 'testCyp2c19s1s4missingS1', 'PipelineTest.testCyp2c19s1s4missingS1',
     {'rs12248560': 'C/T', 'rs28399504': 'A/G'}, ('rs3758581',), ('*1/*4', '*4/*38'), True),
    ('CYP2C19', 'testCyp2c19SingleGeneMatch', 'PipelineTest.testCyp2c19SingleGeneMatch',
     {'rs3758581': 'A/G'}, ('rs56337013',), ('*1/*38',), True),
    ('CYP2C19', 'multipleCalls', 'PipelineTest.multipleCalls',
     {'rs12248560': 'C/T', 'rs3758581': 'G/G'}, ('rs28399504',), ('*1/*4', '*1/*17'), True),
    ('SLCO1B1', 'testRosuvastatin', 'PipelineTest.testRosuvastatin',
     {'rs56101265': 'T/C'}, (), ('*1/*2',), True),
    ('SLCO1B1', 'testSlco1b1UncalledOverride', 'PipelineTest.testSlco1b1UncalledOverride',
     {'rs2306283': 'G/G', 'rs4149056': 'T/C', 'rs11045853': 'A/A', 'rs72559748': 'G/G'}, (), (), True),
    ('UGT1A1', 'testUgt1a1Phased', 'PipelineTest.testUgt1a1Phased',
     {'rs887829': 'C|T'}, (), ('*1/*80',), True),
    ('UGT1A1', 'testUgt1a1Unphased', 'PipelineTest.testUgt1a1Unphased',
     {'rs887829': 'C|T'}, (), ('*1/*80',), True),
    ('UGT1A1', 'testUgt1a1s1s1', 'PipelineTest.testUgt1a1s1s1',
     {}, (), ('*1/*1',), True),
    ('UGT1A1', 'testUgt1a1S1S80S28', 'PipelineTest.testUgt1a1S1S80S28',
     {'rs887829': 'C/T', 'rs3064744': 'TA(7)/TA(8)'}, (), ('*1/*80+*28',), True),
    ('UGT1A1', 'testUgt1a1S28S37', 'PipelineTest.testUgt1a1S28S37',
     {'rs3064744': 'TA(8)/TA(9)'}, (), ('*28/*37',), True),
    ('UGT1A1', 'testUgt1a1s28s80phased', 'PipelineTest.testUgt1a1s28s80phased',
     {'rs887829': 'C|T', 'rs3064744': 'TA(7)|TA(8)'}, (), ('*1/*80+*28',), True),
    ('UGT1A1', 'testUgt1a1s28s80s6s60phased', 'PipelineTest.testUgt1a1s28s80s6s60phased',
     {'rs887829': 'T|C', 'rs3064744': 'TA(8)|TA(7)', 'rs4148323': 'G|A'}, (), ('*6/*80+*28',), True),
    ('UGT1A1', 'testUgt1a1s28s80s6s60unphased', 'PipelineTest.testUgt1a1s28s80s6s60unphased',
     {'rs887829': 'T/C', 'rs3064744': 'TA(8)/TA(7)', 'rs4148323': 'G/A'}, (), ('*6/*80+*28',), True),
    ('UGT1A1', 'testUgt1a1s6s6', 'PipelineTest.testUgt1a1s6s6',
     {'rs4148323': 'A/A'}, (), ('*6/*6',), True),
    ('UGT1A1', 'testUgt1a1s6s60s80s28MissingPhased', 'PipelineTest.testUgt1a1s6s60s80s28MissingPhased',
     {'rs887829': 'C|T', 'rs4148323': 'A|G'}, ('rs3064744',), ('*6/*80', '*6/*80+*28', '*6/*80+*37'), True),
    ('UGT1A1', 'testUgt1a1s6s60s80s28MissingUnphased', 'PipelineTest.testUgt1a1s6s60s80s28MissingUnphased',
     {'rs887829': 'C/T', 'rs4148323': 'A/G'}, ('rs3064744',), ('*6/*80', '*6/*80+*28', '*6/*80+*37'), True),
    ('UGT1A1', 'testUgt1a1s80s28missing', 'PipelineTest.testUgt1a1s80s28missing',
     {'rs887829': 'C/T'}, ('rs3064744',), ('*1/*80', '*1/*80+*28', '*1/*80+*37'), True),
    ('UGT1A1', 'testUgt1a1na12717', 'PipelineTest.testUgt1a1na12717',
     {'rs887829': 'T/T', 'rs3064744': 'TA(8)/TA(7)'}, (), ('*80/*80+*28',), True),
    ('UGT1A1', 'testUgt1a1s28homMissing', 'PipelineTest.testUgt1a1s28homMissing',
     {'rs3064744': 'TA(8)/TA(8)'}, ('rs887829',), ('*28/*28', '*28/*80+*28', '*80+*28/*80+*28'), True),
    ('UGT1A1', 'testUgt1a1s28s60Hom', 'PipelineTest.testUgt1a1s28s60Hom',
     {'rs3064744': 'TA(8)/TA(7)'}, (), ('*1/*28',), True),
    ('UGT1A1', 'testUgt1a1s27s28unphaseds80s60missing', 'PipelineTest.testUgt1a1s27s28unphaseds80s60missing',
     {'rs3064744': 'TA(8)/TA(7)', 'rs35350960': 'C/A'}, ('rs887829',), ('*27/*28', '*27/*80+*28'), True),
    ('UGT1A1', 'testUgt1a1HG00436', 'PipelineTest.testUgt1a1HG00436',
     {'rs887829': 'T|C', 'rs3064744': 'TA(8)|TA(7)', 'rs35350960': 'A|C'}, (), (), True),
    ('UGT1A1', 'testUgt1a1s1s80s27s60s28MissingPhased', 'PipelineTest.testUgt1a1s1s80s27s60s28MissingPhased',
     {'rs887829': 'T|C', 'rs35350960': 'A|C'}, ('rs3064744',), (), True),
    ('UGT1A1', 'testUgt1a1s1s60s80s6phased', 'PipelineTest.testUgt1a1s1s60s80s6phased',
     {'rs887829': 'T|C', 'rs35350960': 'A|C'}, (), (), True),
    ('UGT1A1', 'testUgt1a1s1s60s80s28s6phased', 'PipelineTest.testUgt1a1s1s60s80s28s6phased',
     {'rs887829': 'T|C', 'rs3064744': 'TA(8)|TA(7)', 'rs35350960': 'A|C'}, (), (), True),
    ('UGT1A1', 'testUgt1a1s1s37s80s60phased', 'PipelineTest.testUgt1a1s1s37s80s60phased',
     {'rs887829': 'T|C', 'rs3064744': 'TA(9)|TA(7)'}, (), ('*1/*80+*37',), True),
    ('CYP3A5', 'testCyp3a5Missing3Message', 'PipelineTest.testCyp3a5Missing3Message',
     {}, ('rs776746',), ('*1/*1',), True),
    ('CYP3A5', 'testCyp3a5v1', 'PipelineTest.testCyp3a5v1',
     {'rs776746': 'T/C'}, (), ('*1/*3',), True),
    ('CYP3A5', 'testCyp3a5v2', 'PipelineTest.testCyp3a5v2',
     {'rs28383479': 'C/T', 'rs776746': 'C/T'}, (), ('*3/*9',), True),
    ('CYP3A5', 'testCyp3a5v3', 'PipelineTest.testCyp3a5v3',
     {'rs776746': 'C/C'}, (), ('*3/*3',), True),
    ('CYP3A5', 'testCyp3a5v4', 'PipelineTest.testCyp3a5v4',
     {'rs776746': 'T/C'}, (), ('*1/*3',), True),
    ('CYP3A5', 'testCyp3a5v5', 'PipelineTest.testCyp3a5v5',
     {'rs28383479': 'T/C', 'rs776746': 'T/C'}, (), ('*3/*9',), True),
    ('CYP2C19', 'testRecommendationExamples', 'PipelineTest.testRecommendationExamples',
     {'rs12769205': 'G/G', 'rs4244285': 'A/A', 'rs3758581': 'G/G'}, (), ('*2/*2',), True),
    ('TPMT', 'testTpmtStar1s', 'PipelineTest.testTpmtStar1s',
     {'rs1800460': 'C/T', 'rs1142345': 'T/C'}, (), ('*1/*3A',), True),
    ('CYP2C9', 'testCyp2c9star61', 'PipelineTest.testCyp2c9star61',
     {'rs1799853': 'C/T', 'rs202201137': 'A/G'}, (), ('*1/*61',), True),
    ('CYP2C9', 'testCyp2c9star1Hom', 'PipelineTest.testCyp2c9star1Hom',
     {}, (), ('*1/*1',), True),
    ('CYP2C9', 'phaseSetCyp2C9', 'PipelineTest.phaseSetCyp2C9',
     {'rs1799853': 'C/T', 'rs1057910': 'A/C'}, (), ('*2/*3',), True),
)
"""PharmCAT's ``PipelineTest`` / ``PharmCATTest`` cases for the covered genes (``testPrintCpicCalls``; ``()``
for ``testNotCalledByMatcher``), which print PharmCAT's top-scoring diplotypes only. Genotypes in PharmCAT's CPIC
form (``TA(7)``..``TA(9)`` for rs3064744); a phased test writes every genotype with ``|``; ``missing`` rsIDs that
are not defining positions (PharmCAT's extra positions of interest) are not written anyway. ``phaseSetCyp2C9``
is its first (unphased) half; outside-call-only cases are left out."""
CPIC_TO_VCF = {("rs3064744", "TA(6)"): "C", ("rs3064744", "TA(7)"): "CAT", ("rs3064744", "TA(8)"): "CATAT",
               ("rs3064744", "TA(9)"): "CATATAT", ("rs1304490498", "AGAAATGGAA"): "CAATGGAAAGA",
               ("rs1304490498", "delAGAAATGGAA"): "C"}
"""PharmCAT's ``cpicToVcfAlleleMap`` for the indels these cases write (UGT1A1 *28's TA repeat, CYP2C9 *25)."""


def main() -> int:
    sys.path.insert(0, str(HERE.parents[2]))
    from genolens.genome.pgx import load_definitions

    defs = load_definitions()
    for gene, name, test, genotypes, missing, _expected, _top in (*BUILDER_CASES, *PIPELINE_CASES):
        d = defs[gene]
        lines = ["##fileformat=VCFv4.2", f"##source=PharmCAT TestVcfBuilder, {test}",
                 f"##contig=<ID=chr{d.positions[0].chrom},assembly=hg38>",
                 '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
                 "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tSAMPLE"]
        used = set()
        for p in d.positions:
            if p.rsid in missing:
                continue
            alleles = [p.ref, *p.alts]
            gt = "0|0" if any("|" in g for g in genotypes.values()) else "0/0"
            if p.rsid in genotypes:
                used.add(p.rsid)
                sep = "|" if "|" in genotypes[p.rsid] else "/"
                bases = [CPIC_TO_VCF.get((p.rsid, b), b) for b in genotypes[p.rsid].split(sep)]
                alleles += [b for b in dict.fromkeys(bases) if b not in alleles]
                gt = sep.join(str(alleles.index(b)) for b in bases)
            alts = ",".join(alleles[1:])
            lines.append(f"chr{p.chrom}\t{p.pos38}\t{p.rsid or '.'}\t{p.ref}\t{alts}\t.\tPASS\t.\tGT\t{gt}")
        if used != set(genotypes):
            raise SystemExit(f"{name}: {sorted(set(genotypes) - used)} not in the {gene} definitions")
        (HERE / f"{gene}_{name}.vcf").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(BUILDER_CASES) + len(PIPELINE_CASES)} fixtures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
