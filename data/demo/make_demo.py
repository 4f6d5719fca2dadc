"""Write the demo patients in this folder: single-sample VCFs that look like caller output, and a trio.

Genotypes come from the same msprime windows as the training cohorts (``genolens.modeling.simulate``):
each person is two haplotypes per window drawn from one ancestry's pool, so the background variants
(every other simulated site in the windows) carry realistic LD; each story then sets a few panel
variants by hand (see README.md). Background REF/ALT bases are random (about two transitions per
transversion); panel variants carry their real positions and alleles. Deterministic from ``SEED``.

Run from the project root::

    python data/demo/make_demo.py [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from genolens.genome.panel import load_panel  # noqa: E402
from genolens.modeling.outcomes import prs77_log_or  # noqa: E402
from genolens.modeling.cohort_vcf import BgzfWriter, contig_name, vcf_alleles, vcf_header  # noqa: E402
from genolens.modeling.haplotypes import POPULATIONS, chrom_rank, simulate_windows  # noqa: E402
from genolens.modeling.simulate import PANELS  # noqa: E402
from genolens.datamodel import Build, PanelVariant  # noqa: E402

SEED = 20260101
POOL = 200
_TRANSITION = {"A": "G", "G": "A", "C": "T", "T": "C"}
Alleles = tuple[int, int]  # effect allele (panel sites) or derived allele (background) on each haplotype


@dataclass
class Person:
    """Two haplotypes per window: panel effect alleles and background derived alleles."""

    panel: dict[str, Alleles]
    background: list[np.ndarray]  # per window, uint8 (2, n_bg)


class Demo:
    """The shared windows, background bases and a seeded generator."""

    def __init__(self, seed: int) -> None:
        panels = [load_panel(p) for p in PANELS]
        self.variants = list({v.id: v for p in panels for v in p.variants}.values())
        self.by_id = {v.id: v for v in self.variants}
        self.windows = simulate_windows(self.variants, seed=seed, pool=POOL)
        self.rng = np.random.default_rng(seed)
        self.bases: list[tuple[np.ndarray, np.ndarray]] = []
        for w in self.windows:
            ref = self.rng.choice(list("ACGT"), size=w.background_pos.shape[0])
            transv = np.array([self.rng.choice([b for b in "ACGT" if b not in (r, _TRANSITION[r])]) for r in ref])
            alt = np.where(self.rng.random(ref.shape[0]) < 0.68, [_TRANSITION[r] for r in ref], transv)
            self.bases.append((ref, alt))
        self.prs77 = prs77_log_or(load_panel("breast_cancer"))

    def person(self, pop: str = "EUR", *, haps: Sequence[tuple[int, int]] | None = None) -> Person:
        """Draw a person of ancestry ``pop`` (or take the given pool haplotype pair per window)."""
        a = POPULATIONS.index(pop)
        panel: dict[str, Alleles] = {}
        background = []
        for wi, w in enumerate(self.windows):
            pool = np.flatnonzero(w.pop == a)
            h = haps[wi] if haps is not None else tuple(int(x) for x in self.rng.choice(pool, size=2))
            for i, v in enumerate(w.variants):
                panel[v.id] = (int(w.haps[h[0], i]), int(w.haps[h[1], i]))
            background.append(w.background[list(h)])
        return Person(panel, background)

    def child(self, mother: Person, father: Person, *, transmit: Mapping[str, Alleles]) -> Person:
        """One haplotype from each parent per window (no recombination inside a window).

        ``transmit`` names, for a variant, which maternal and paternal haplotype (0/1) the child
        receives in that variant's window; elsewhere the choice is random.
        """
        panel: dict[str, Alleles] = {}
        background = []
        for wi, w in enumerate(self.windows):
            m, f = (int(x) for x in self.rng.integers(0, 2, size=2))
            chosen = [transmit[v.id] for v in w.variants if v.id in transmit]
            m, f = chosen[0] if chosen else (m, f)
            for v in w.variants:
                panel[v.id] = (mother.panel[v.id][m], father.panel[v.id][f])
            background.append(np.stack([mother.background[wi][m], father.background[wi][f]]))
        return Person(panel, background)

    def prs(self, p: Person) -> float:
        return sum(beta * sum(p.panel[vid]) for vid, beta in self.prs77.items())

    # -- records -------------------------------------------------------------------------------

    def sites(self, build: Build) -> Iterable[tuple[int, int, str, str, str, str, PanelVariant | None, int, int]]:
        """Every panel and background site: (rank, pos, chrom name, id, REF, ALT, variant, window, column).

        For a panel site the column is -1 and the genotype is the effect-allele pair mapped to REF/ALT.
        """
        for wi, w in enumerate(self.windows):
            for v in w.variants:
                locus = v.locus(build)
                ref, alt, _ = vcf_alleles(v, build)
                yield chrom_rank(locus.chrom), locus.pos, contig_name(locus.chrom, build), v.id, ref, alt, v, wi, -1
            shift = 0 if build == "GRCh38" else w.shift37
            ref_b, alt_b = self.bases[wi]
            name = contig_name(w.chrom, build)
            for j, pos in enumerate(w.background_pos):
                yield chrom_rank(w.chrom), int(pos) + shift, name, ".", str(ref_b[j]), str(alt_b[j]), None, wi, j


def alt_alleles(person: Person, build: Build, v: PanelVariant | None, wi: int, j: int) -> Alleles:
    """ALT-allele indices (0/1) on each haplotype at one site."""
    if v is None:
        a, b = person.background[wi][:, j]
        return int(a), int(b)
    e = person.panel[v.id]
    _, _, alt_is_effect = vcf_alleles(v, build)
    return e if alt_is_effect else (1 - e[0], 1 - e[1])


def call_fields(rng: np.random.Generator, gt: Alleles, *, phased: bool) -> tuple[str, str]:
    """FORMAT values ``GT:AD:DP:GQ`` and INFO of a caller-like record."""
    dp = int(rng.poisson(32)) + 8
    n_alt = sum(gt)
    alt_reads = dp if n_alt == 2 else int(rng.binomial(dp, 0.5)) if n_alt == 1 else 0
    sep = "|" if phased else "/"
    a, b = (gt if phased else sorted(gt))
    gq = 99 if n_alt != 1 else int(min(99, 20 + 3 * min(alt_reads, dp - alt_reads)))
    info = f"AC={n_alt};AF={n_alt / 2:.3f};AN=2;DP={dp}"
    return f"{a}{sep}{b}:{dp - alt_reads},{alt_reads}:{dp}:{gq}", info


def write_vcf(path: Path, build: Build, header_extra: Sequence[str], fmt: Sequence[str], samples: Sequence[str],
              lines: list[tuple[int, int, str]]) -> None:
    out = BgzfWriter(path)
    out.write(vcf_header(build, samples, extra=header_extra, fmt=fmt).replace(
        b"##FORMAT=<ID=GT", b'##INFO=<ID=AC,Number=A,Type=Integer,Description="Allele count">\n'
        b'##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">\n'
        b'##INFO=<ID=AN,Number=1,Type=Integer,Description="Total alleles">\n'
        b'##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">\n'
        b'##INFO=<ID=END,Number=1,Type=Integer,Description="End of reference block">\n##FORMAT=<ID=GT', 1))
    for _, _, line in sorted(lines):
        out.write(line.encode() + b"\n")
    out.close()


def caller_vcf(demo: Demo, path: Path, person: Person, *, build: Build = "GRCh38", phased: bool = False,
               sample: str) -> None:
    """Variant-only VCF (hom-ref sites omitted), as a caller writes it."""
    lines = []
    for rank, pos, chrom, vid, ref, alt, v, wi, j in demo.sites(build):
        gt = alt_alleles(person, build, v, wi, j)
        if sum(gt) == 0:
            continue
        fields, info = call_fields(demo.rng, gt, phased=phased)
        qual = f"{demo.rng.uniform(50, 3000):.2f}"
        lines.append((rank, pos, f"{chrom}\t{pos}\t{vid}\t{ref}\t{alt}\t{qual}\tPASS\t{info}\tGT:AD:DP:GQ\t{fields}"))
    caller = ["##source=GenoLens demo (simulated; DeepVariant-like layout)",
              "##phasing=WhatsHap" if phased else "##phasing=none"]
    write_vcf(path, build, caller, ("GT", "AD", "DP", "GQ"), [sample], lines)


def array_vcf(demo: Demo, path: Path, person: Person, *, sample: str, absent: float = 0.4) -> None:
    """Array-like: every probe written with GT only (hom-ref included); ``absent`` of the panel sites lack a probe."""
    lines = []
    for rank, pos, chrom, vid, ref, alt, v, wi, j in demo.sites("GRCh38"):
        if (v is not None and demo.rng.random() < absent) or (v is None and demo.rng.random() < 0.85):
            continue
        a, b = sorted(alt_alleles(person, "GRCh38", v, wi, j))
        lines.append((rank, pos, f"{chrom}\t{pos}\t{vid}\t{ref}\t{alt}\t.\tPASS\t.\tGT\t{a}/{b}"))
    write_vcf(path, "GRCh38", ["##source=GenoLens demo (simulated genotyping array export)"], ("GT",), [sample],
              lines)


def gvcf(demo: Demo, path: Path, person: Person, *, sample: str) -> None:
    """gVCF: variants with ``<NON_REF>``, reference blocks (``END``) over the rest of every window.

    A block starts at every hom-ref panel SNV, so its REF base is the panel's REF; before a panel indel
    whose REF the panel does not record, the block starts one base earlier (a single REF base could not
    tell the two alleles apart).
    """
    lines = []
    events: dict[int, list[tuple[int, int, str | None, bool]]] = {}
    for rank, pos, chrom, vid, ref, alt, v, wi, j in demo.sites("GRCh38"):
        gt = alt_alleles(person, "GRCh38", v, wi, j)
        if sum(gt):
            fields, _ = call_fields(demo.rng, gt, phased=False)
            qual = f"{demo.rng.uniform(50, 3000):.2f}"
            lines.append((rank, pos, f"{chrom}\t{pos}\t{vid}\t{ref}\t{alt},<NON_REF>\t{qual}\tPASS\t"
                                     f"DP={fields.split(':')[2]}\tGT:AD:DP:GQ\t{fields},0"))
            events.setdefault(wi, []).append((pos, pos + len(ref) - 1, None, True))
        elif v is not None:
            unknown_indel = not v.grch38.ref and len(ref) + len(alt) > 2
            events.setdefault(wi, []).append((pos - 1, pos - 1, None, False) if unknown_indel
                                             else (pos, pos, ref[0], False))
    for wi, w in enumerate(demo.windows):
        name, rank = contig_name(w.chrom, "GRCh38"), chrom_rank(w.chrom)
        last_site = max([*(int(x) for x in w.background_pos), *(v.grch38.pos for v in w.variants)])
        cur, base, span_end = w.start38 + 1, None, last_site + 1
        for start, last, site_base, is_var in sorted(events.get(wi, []), key=lambda e: (e[0], e[3])):
            if start < cur:
                cur = max(cur, last + 1) if is_var else cur
                continue
            if start > cur:
                lines.append((rank, cur, _block(demo.rng, name, cur, start - 1, base)))
            cur, base = (last + 1, None) if is_var else (start, site_base)
        if cur <= span_end:
            lines.append((rank, cur, _block(demo.rng, name, cur, span_end, base)))
    write_vcf(path, "GRCh38", ["##source=GenoLens demo (simulated; GATK HaplotypeCaller -ERC GVCF layout)",
                               '##ALT=<ID=NON_REF,Description="Any non-reference allele">'],
              ("GT", "AD", "DP", "GQ"), [sample], lines)


def _block(rng: np.random.Generator, chrom: str, start: int, end: int, base: str | None) -> str:
    base = base or str(rng.choice(list("ACGT")))
    dp = int(rng.poisson(30)) + 5
    gq = int(min(99, 3 * dp))
    return f"{chrom}\t{start}\t.\t{base}\t<NON_REF>\t.\tPASS\tEND={end}\tGT:AD:DP:GQ\t0/0:{dp},0:{dp}:{gq}"


def trio_vcf(demo: Demo, path: Path, people: Mapping[str, Person]) -> None:
    """Joint-called trio: every site where any member carries an ALT allele."""
    lines = []
    for rank, pos, chrom, vid, ref, alt, v, wi, j in demo.sites("GRCh38"):
        gts = [alt_alleles(p, "GRCh38", v, wi, j) for p in people.values()]
        if not any(sum(g) for g in gts):
            continue
        fields = [call_fields(demo.rng, g, phased=False)[0] for g in gts]
        n_alt = sum(sum(g) for g in gts)
        lines.append((rank, pos, f"{chrom}\t{pos}\t{vid}\t{ref}\t{alt}\t{demo.rng.uniform(50, 3000):.2f}\tPASS\t"
                                 f"AC={n_alt};AN=6\tGT:AD:DP:GQ\t" + "\t".join(fields)))
    write_vcf(path, "GRCh38", ["##source=GenoLens demo (simulated joint-called trio)",
                               "##PEDIGREE=<Child=CHILD,Mother=MOTHER,Father=FATHER>"],
              ("GT", "AD", "DP", "GQ"), list(people), lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write the demo files to")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    demo = Demo(SEED)
    # Rare actionable variants are off unless a story sets them, so each file tells one story;
    # common pharmacogenomic variants (CYP2C19 *17, CYP2C9, VKORC1, SLCO1B1, CYP3A5, ...) vary naturally.
    rare = ["rs80357914", "rs80357906", "rs80359550", "rs555607708", "rs180177102",  # BRCA1/2, CHEK2, PALB2
            "rs3918290", "rs55886062", "rs67376798", "rs75017182", "rs56038477",  # DPYD
            "rs1800462", "rs1800460", "rs1142345", "rs116855232", "rs2395029"]  # TPMT, NUDT15, HLA-B*57:01 tag
    quiet = {vid: (0, 0) for vid in rare}

    def story(pop: str = "EUR", **alleles: Alleles) -> Person:
        p = demo.person(pop)
        p.panel.update(quiet)
        p.panel.update(alleles)
        return p

    caller_vcf(demo, out / "brca1_185delAG_carrier.vcf.gz", story(rs80357914=(0, 1)), sample="DEMO_BRCA1")
    crowd = [story() for _ in range(400)]
    scores = np.array([demo.prs(p) for p in crowd])
    top = crowd[int(np.argmax(scores))]
    print(f"high PRS77 person: score {scores.max():.3f}, crowd mean {scores.mean():.3f} sd {scores.std():.3f}")
    caller_vcf(demo, out / "high_polygenic_breast_risk.vcf.gz", top, sample="DEMO_PRS_HIGH")
    dpyd = {"rs55886062": (0, 0), "rs67376798": (0, 0), "rs75017182": (0, 0), "rs56038477": (0, 0)}
    caller_vcf(demo, out / "dpyd_2A_heterozygote.vcf.gz", story(rs3918290=(0, 1), **dpyd), sample="DEMO_DPYD")
    caller_vcf(demo, out / "cyp2c19_2_2.vcf.gz", story(rs4244285=(1, 1), rs4986893=(0, 0), rs12248560=(0, 0)),
               sample="DEMO_CYP2C19")
    caller_vcf(demo, out / "tpmt_3A_heterozygote_phased.vcf.gz",
               story(rs1800460=(0, 1), rs1142345=(0, 1), rs1800462=(0, 0)), phased=True, sample="DEMO_TPMT")
    array_vcf(demo, out / "array_like_partial_coverage.vcf.gz", story(), sample="DEMO_ARRAY")
    caller_vcf(demo, out / "grch37_cyp3a5_expresser.vcf.gz",
               story("EAS", rs776746=(1, 0), rs10264272=(0, 0), rs41303343=(0, 0), rs12248560=(0, 1),
                     rs4244285=(0, 0), rs4986893=(0, 0)),
               build="GRCh37", sample="DEMO_GRCH37")
    gvcf(demo, out / "gvcf_reference_blocks.g.vcf.gz", story(), sample="DEMO_GVCF")
    mother = story(rs4244285=(0, 1), rs4986893=(0, 0))
    father = story(rs4244285=(1, 0), rs4986893=(0, 0), rs80359550=(1, 0))
    # The child receives the mother's *2 haplotype (1) and the father's (0), and the father's BRCA2 haplotype (0).
    child = demo.child(mother, father, transmit={"rs4244285": (1, 0), "rs80359550": (0, 0)})
    trio_vcf(demo, out / "trio_cyp2c19_brca2.vcf.gz", {"CHILD": child, "MOTHER": mother, "FATHER": father})
    # Last, so the files above stay as they were: warfarin-sensitive genotypes (VKORC1 -1639 A/A, CYP2C9 *1/*3).
    caller_vcf(demo, out / "warfarin_sensitive_vkorc1_cyp2c9.vcf.gz",
               story(rs9923231=(1, 1), rs1799853=(0, 0), rs1057910=(0, 1)), sample="DEMO_WARFARIN")
    for f in sorted(out.glob("*.vcf.gz")):
        print(f"wrote {f.name}: {f.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
