"""Simulated training cohorts with known truth: msprime haplotypes, real panel variants, phenotypes.

Every model input is a real panel variant (real positions on both builds, real alleles). Around each
locus (panel variants closer than ``LOCUS_GAP`` bp on GRCh38) msprime simulates a pool of haplotypes
under a three-population out-of-Africa demography (:func:`ooa_demography`), so allele frequencies
and linkage disequilibrium differ by ancestry. Each real variant takes a simulated site whose
European frequency fits the variant's effect-allele frequency (the panel's ``eaf``, else
``DEFAULT_EAF``, else a stated hash rule), searching outward from the variant's own offset and keeping
the real order, so LD between real neighbours decays with their real distance (:func:`_pick_site`).
Where African and East Asian frequencies are stated (``POP_EAF``: pharmacogenomic and founder
alleles) each population takes its own fitting site, so NUDT15 *3 is common in East Asians and
CYP3A5 *3 rare in Africans, as observed. TPMT *3A is built in cis (``CIS``). An individual is two
haplotypes drawn at random from its ancestry's pool, independently per window: LD is kept within a
window, windows are independent, and a cohort of 300k costs little more than the pools.

Run ``python -m genolens simulate --n N --seed S --out DIR`` (see :func:`simulate_main`).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import struct
import sys
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msprime
import numpy as np
import tskit

from genolens.datamodel import BUILDS, Build, Panel, PanelVariant
from genolens.errors import GenoLensError
from genolens.genome.build import CONTIG_LENGTHS
from genolens.genome.panel import load_panel
from genolens.genome.vcf import index_vcf
from genolens.modeling.outcomes import (
    ANCESTRY_SHARES,
    COVARIATES,
    HIGH_PENETRANCE_LOG_OR,
    draw_covariates,
    draw_outcomes,
    oracle_logit,
    outcome_models,
)

__all__ = ["SimulatedCohort", "oracle_logit", "simulate_cohort", "simulate_main", "simulate_windows"]

PANELS: tuple[str, ...] = ("breast_cancer", "coronary_artery_disease", "type_2_diabetes", "pharmacogenomics")
"""Panels a cohort carries, all of them."""
POPULATIONS: tuple[str, ...] = ("AFR", "EUR", "EAS")
LOCUS_GAP = 150_000
"""Panel variants closer than this (bp, GRCh38) share one simulated window."""
FLANK = 20_000
"""Simulated sequence on each side of a window's outermost panel variants (bp)."""
RECOMBINATION_RATE = 1e-8
"""Per bp per generation (genome-wide average)."""
MUTATION_RATE = 2.35e-8
"""Per bp per generation (Gutenkunst et al. 2009)."""
POOL_SIZE = 1000
"""Diploid individuals simulated per population per window (2,000 haplotypes each)."""

DEFAULT_EAF: Mapping[str, float] = {
    # Pharmacogenomic alleles, European frequency (PharmGKB/gnomAD, rounded).
    "rs3918290": 0.01, "rs55886062": 0.002, "rs67376798": 0.006, "rs75017182": 0.02, "rs56038477": 0.02,
    "rs1800462": 0.003, "rs1800460": 0.035, "rs1142345": 0.045, "rs116855232": 0.005,
    "rs4244285": 0.15, "rs4986893": 0.002, "rs12248560": 0.21, "rs1799853": 0.12, "rs1057910": 0.07,
    "rs9923231": 0.39, "rs2108622": 0.29, "rs12777823": 0.15, "rs4149056": 0.16, "rs2306283": 0.40,
    "rs3064744": 0.31, "rs4148323": 0.005, "rs887829": 0.31, "rs776746": 0.93, "rs10264272": 0.003,
    "rs41303343": 0.001, "rs3892097": 0.19, "rs1065852": 0.20, "rs35742686": 0.02, "rs5030655": 0.01,
    "rs28371725": 0.09, "rs28371706": 0.01, "rs16947": 0.34, "rs1135840": 0.55, "rs1050828": 0.005,
    "rs1050829": 0.01, "rs5030868": 0.005, "rs2395029": 0.03,
    # High/moderate-penetrance breast-cancer alleles (population carrier rates, rounded up to be learnable).
    "rs80357914": 0.002, "rs80357906": 0.0015, "rs80359550": 0.002, "rs555607708": 0.004, "rs180177102": 0.001,
}
"""Effect-allele frequency used when the panel gives none; other variants: :func:`target_eaf`."""

CIS: Mapping[str, tuple[str, float, float, float]] = {"rs1142345": ("rs1800460", 0.01, 0.04, 0.015)}
"""TPMT *3A: rs1142345 (*3C) is also carried on every rs1800460 (*3B) haplotype; its own site (*3C alone)
has frequency 0.01 EUR, 0.04 AFR, 0.015 EAS."""


POP_EAF: Mapping[str, tuple[float, float]] = {
    # (AFR, EAS) effect-allele frequencies of the pharmacogenomic alleles (gnomAD/PharmGKB, rounded).
    "rs3918290": (0.001, 0.0), "rs55886062": (0.0, 0.0), "rs67376798": (0.001, 0.0), "rs75017182": (0.003, 0.0),
    "rs56038477": (0.003, 0.0), "rs1800462": (0.001, 0.0), "rs1800460": (0.005, 0.0), "rs1142345": (0.045, 0.015),
    "rs116855232": (0.001, 0.10), "rs4244285": (0.17, 0.30), "rs4986893": (0.002, 0.06), "rs12248560": (0.20, 0.02),
    "rs1799853": (0.02, 0.0), "rs1057910": (0.01, 0.04), "rs9923231": (0.05, 0.90), "rs2108622": (0.08, 0.22),
    "rs12777823": (0.25, 0.30), "rs4149056": (0.02, 0.12), "rs2306283": (0.78, 0.75), "rs3064744": (0.40, 0.13),
    "rs4148323": (0.0, 0.15), "rs887829": (0.40, 0.13), "rs776746": (0.32, 0.71), "rs10264272": (0.15, 0.0),
    "rs41303343": (0.10, 0.0), "rs3892097": (0.06, 0.005), "rs1065852": (0.08, 0.55), "rs35742686": (0.003, 0.0),
    "rs5030655": (0.003, 0.0), "rs28371725": (0.03, 0.03), "rs28371706": (0.20, 0.0), "rs16947": (0.55, 0.15),
    "rs1135840": (0.65, 0.60), "rs1050828": (0.12, 0.0), "rs1050829": (0.20, 0.0), "rs5030868": (0.0, 0.005),
    "rs2395029": (0.01, 0.005),
    # High/moderate-penetrance founder alleles: European only here.
    "rs80357914": (0.0, 0.0), "rs80357906": (0.0, 0.0), "rs80359550": (0.0, 0.0), "rs555607708": (0.0, 0.0),
    "rs180177102": (0.0, 0.0),
}
"""African and East Asian frequencies to match where known; other variants only match the European one."""


def target_frequencies(v: PanelVariant) -> dict[str, float]:
    """Frequencies the variant's simulated site should have: ``EUR`` always, ``AFR``/``EAS`` where stated.

    For ``CIS`` variants these are the frequencies of their own site (before the cis allele is added).
    """
    if v.id in CIS:
        return {"EUR": CIS[v.id][1], "AFR": CIS[v.id][2], "EAS": CIS[v.id][3]}
    out = {"EUR": target_eaf(v)}
    if v.id in POP_EAF:
        out["AFR"], out["EAS"] = POP_EAF[v.id]
    return out


def target_eaf(v: PanelVariant) -> float:
    """European effect-allele frequency to match: panel ``eaf``, ``DEFAULT_EAF``, else 0.10-0.50 by id hash."""
    if v.eaf is not None:
        return min(max(v.eaf, 0.001), 0.999)
    if v.id in DEFAULT_EAF:
        return DEFAULT_EAF[v.id]
    h = int.from_bytes(hashlib.sha256(v.id.encode()).digest()[:4], "big") / 2**32
    return round(0.10 + 0.40 * h, 3)


def ooa_demography() -> msprime.Demography:
    """Out-of-Africa model of Gutenkunst et al. 2009 (PLoS Genet 5:e1000695), as in stdpopsim OutOfAfrica_3G09.

    Generation time 25 years. Ancestral size 7,300, growing to 12,300 in Africa 220 ka (8,800
    generations); Eurasians split from Africans 140 ka (5,600 g) with size 2,100 and migration 25e-5;
    Europeans and East Asians split 21.2 ka (848 g) from 1,000 and 510, growing 0.4% and 0.55% per
    generation to about 29,700 and 54,100; migration AFR-EUR 3e-5, AFR-EAS 1.9e-5, EUR-EAS 9.6e-5.
    """
    t_af, t_b, t_eu_as = 8800, 5600, 848
    d = msprime.Demography()
    d.add_population(name="AFR", initial_size=12300, initially_active=True)
    d.add_population(name="EUR", initial_size=1000 * math.exp(0.004 * t_eu_as), growth_rate=0.004)
    d.add_population(name="EAS", initial_size=510 * math.exp(0.0055 * t_eu_as), growth_rate=0.0055)
    d.add_population(name="OOA", initial_size=2100)
    d.set_symmetric_migration_rate(["AFR", "EUR"], 3e-5)
    d.set_symmetric_migration_rate(["AFR", "EAS"], 1.9e-5)
    d.set_symmetric_migration_rate(["EUR", "EAS"], 9.6e-5)
    d.add_population_split(time=t_eu_as, derived=["EUR", "EAS"], ancestral="OOA")
    d.add_migration_rate_change(time=t_eu_as, rate=0)
    d.add_symmetric_migration_rate_change(time=t_eu_as, populations=["AFR", "OOA"], rate=25e-5)
    d.add_population_split(time=t_b, derived=["OOA"], ancestral="AFR")
    d.add_migration_rate_change(time=t_b, rate=0)
    d.add_population_parameters_change(time=t_af, population="AFR", initial_size=7300)
    d.sort_events()
    return d


_DEMOGRAPHY = ooa_demography()


@dataclass(frozen=True)
class Window:
    """One simulated window: a haplotype pool at the real variants of one locus, and background sites."""

    chrom: str
    """Normalised chromosome."""
    start38: int
    """GRCh38 position of simulated offset 0."""
    shift37: int
    """GRCh37 position minus GRCh38 position at this locus (for background sites)."""
    variants: tuple[PanelVariant, ...]
    """Real variants, by GRCh38 position."""
    pop: np.ndarray
    """int8, shape (n_hap,): population index (``POPULATIONS``) of each pool haplotype."""
    haps: np.ndarray
    """uint8, shape (n_hap, n_variants): 1 where the haplotype carries the effect allele."""
    sim_pos: np.ndarray
    """int64, shape (n_variants,): simulated site taken by each real variant (GRCh38 = start38 + this)."""
    background_pos: np.ndarray
    """int64, shape (n_bg,): GRCh38 positions of the other simulated sites."""
    background: np.ndarray
    """uint8, shape (n_hap, n_bg): derived allele at the background sites."""


def group_loci(variants: Sequence[PanelVariant], *, gap: int = LOCUS_GAP) -> list[list[PanelVariant]]:
    """Split variants into loci: by chromosome, then wherever two GRCh38 neighbours are ``gap`` or more apart."""
    order = sorted(variants, key=lambda v: (chrom_rank(v.grch38.chrom), v.grch38.pos))
    loci: list[list[PanelVariant]] = []
    for v in order:
        last = loci[-1][-1] if loci else None
        if last is not None and last.grch38.chrom == v.grch38.chrom and v.grch38.pos - last.grch38.pos < gap:
            loci[-1].append(v)
        else:
            loci.append([v])
    return loci


def chrom_rank(c: str) -> int:
    """Sort key of a normalised chromosome: 1..22, then X, Y, MT."""
    return int(c) if c.isdigit() else {"X": 23, "Y": 24, "MT": 25}[c]


def simulate_window(variants: Sequence[PanelVariant], *, seed: int, pool: int = POOL_SIZE,
                    background: bool = True) -> Window:
    """Simulate one locus with msprime and place its real variants on sites of matching frequency.

    When some variant finds no site of its frequencies, the locus is simulated again with a
    wider flank (``FLANK`` x 4, then x 10); the attempt with the fewest misfits is kept.
    """
    best: tuple[Window, int] | None = None
    for attempt, flank in enumerate((FLANK, 4 * FLANK, 10 * FLANK)):
        window, misfits = _simulate_once(variants, seed=seed + 2 * attempt, pool=pool, flank=flank,
                                         background=background)
        if best is None or misfits < best[1]:
            best = (window, misfits)
        if misfits == 0:
            break
    assert best is not None  # the loop runs at least once
    return best[0]


def _simulate_once(variants: Sequence[PanelVariant], *, seed: int, pool: int, flank: int,
                   background: bool) -> tuple[Window, int]:
    first, last = variants[0].grch38.pos, variants[-1].grch38.pos
    start = first - flank
    ts = msprime.sim_ancestry(samples={p: pool for p in POPULATIONS}, demography=_DEMOGRAPHY,
                              sequence_length=last - first + 2 * flank + 1, recombination_rate=RECOMBINATION_RATE,
                              random_seed=seed)
    ts = msprime.sim_mutations(ts, rate=MUTATION_RATE, random_seed=seed + 1, discrete_genome=True,
                               model=msprime.BinaryMutationModel())
    geno = ts.genotype_matrix()  # int8, (n_sites, n_hap); kept site-major, transposing costs seconds
    positions = ts.tables.sites.position.astype(np.int64)
    names = [ts.population(i).metadata["name"] for i in range(ts.num_populations)]
    to_ours = np.array([POPULATIONS.index(x) if x in POPULATIONS else -1 for x in names], dtype=np.int8)
    pop = to_ours[ts.tables.nodes.population[ts.samples()]]
    starts = np.flatnonzero(np.r_[True, pop[1:] != pop[:-1]])
    if not np.array_equal(pop[starts], np.arange(len(POPULATIONS))):
        raise AssertionError(f"msprime samples are not in population blocks: {pop[starts]}")
    counts = np.add.reduceat(geno, starts, axis=1, dtype=np.int32)  # (n_sites, 3): one block per population
    freqs = (counts / np.bincount(pop, minlength=len(POPULATIONS))).T
    used = np.zeros(positions.shape[0], dtype=bool)
    haps = np.empty((geno.shape[1], len(variants)), dtype=np.uint8)
    sim_pos = np.empty(len(variants), dtype=np.int64)
    prev, misfits, eur = -1, 0, POPULATIONS.index("EUR")
    for i, v in enumerate(variants):
        targets = target_frequencies(v)
        # One site for every population, or (where each population's frequency is stated) one per population.
        groups = [(eur, np.ones(geno.shape[1], dtype=bool))] if len(targets) == 1 else \
            [(a, pop == a) for a in range(len(POPULATIONS))]
        fits_all = True
        for a, rows in groups:
            j, flip, fits = _pick_site(positions, freqs, used, v.grch38.pos - start, prev, targets[POPULATIONS[a]],
                                       a, 2 * pool, band=len(targets) == 1)
            used[j], fits_all = True, fits_all and fits
            haps[rows, i] = geno[j, rows].astype(np.uint8) ^ np.uint8(flip)
            if a == eur:
                sim_pos[i] = positions[j]
        prev, misfits = int(sim_pos[i]), misfits + (not fits_all)
    ids = [v.id for v in variants]
    for i, v in enumerate(variants):
        if v.id in CIS and CIS[v.id][0] in ids:
            haps[:, i] |= haps[:, ids.index(CIS[v.id][0])]
    real = {v.grch38.pos - start for v in variants}
    keep = ~used & ~np.isin(positions, np.fromiter(real, dtype=np.int64)) & background
    return Window(variants[0].grch38.chrom, start, variants[0].grch37.pos - first, tuple(variants), pop, haps,
                  sim_pos, positions[keep] + start, geno[keep].T.astype(np.uint8)), misfits


def _pick_site(positions: np.ndarray, freqs: np.ndarray, used: np.ndarray, target_pos: int, prev: int, p: float,
               primary: int, n_hap: int, *, band: bool) -> tuple[int, bool, bool]:
    """The free site whose frequency in population ``primary`` fits ``p``, near ``target_pos``, right of ``prev``.

    ``freqs`` is (3, n_sites) in ``POPULATIONS`` order. The frequency fits within 15% (or one
    haplotype); either allele of the site may play the effect allele. With ``band``, a site is
    preferred whose other-population frequencies stay within a band around ``p`` (0.10, or half the
    frequency if larger, plus 0.05), so a rare European allele does not land on a site that is common
    elsewhere. The nearest fitting site is taken within 2, 5, 10, 25, then 50 kb of the real offset
    (the band is waived beyond 10 kb), else the fitting site of least band excess anywhere; only then
    is the order given up, and only when nothing fits at all is the frequency.

    Returns the site index, whether the site's derived allele is the non-effect allele, and whether it fits.
    """
    flip = np.abs(1 - freqs[primary] - p) < np.abs(freqs[primary] - p)
    eff = np.where(flip, 1 - freqs, freqs)
    err = np.abs(eff[primary] - p)
    excess = np.maximum(np.abs(eff - p).max(axis=0) - max(0.10, 0.5 * min(p, 1 - p)), 0) if band else \
        np.zeros(positions.shape[0])
    good = excess <= 0.05
    poly = (freqs.sum(axis=0) > 0) & (freqs.sum(axis=0) < len(POPULATIONS))
    if not (~used & poly).any():
        raise GenoLensError("A simulated window has no free polymorphic site; raise FLANK or the pool size.")
    distance = np.abs(positions - target_pos)
    fits_any = ~used & poly & (err <= _tolerance(p, n_hap))
    for fits in (fits_any & (positions > prev), fits_any):  # keep the real order if the frequencies allow
        for radius in (2_000, 5_000, 10_000, 25_000, 50_000):
            near = fits & (distance <= radius)
            pick = near & good if radius < 10_000 else near
            if pick.any():
                best = _nearest(pick, distance)
                return best, bool(flip[best]), True
        if fits.any():
            cand = np.flatnonzero(fits)
            best = int(cand[np.lexsort((distance[cand], excess[cand]))[0]])
            return best, bool(flip[best]), True
    cand = np.flatnonzero(~used & poly)  # nothing fits the frequency: the closest one
    best = int(cand[np.lexsort((distance[cand], err[cand]))[0]])
    return best, bool(flip[best]), False


def _nearest(mask: np.ndarray, distance: np.ndarray) -> int:
    cand = np.flatnonzero(mask)
    return int(cand[np.argmin(distance[cand])])


def _tolerance(p: float, n_hap: int) -> float:
    return max(0.15 * min(p, 1 - p), 1.0 / n_hap)


def simulate_windows(variants: Sequence[PanelVariant], *, seed: int, pool: int = POOL_SIZE,
                     background: bool = True) -> list[Window]:
    """Simulate every locus of ``variants``; window ``i`` gets msprime seed derived from ``seed`` and ``i``.

    ``background=False`` drops the other simulated sites (cohorts need only the panel sites; the
    background of 300+ windows at full pool size takes gigabytes).
    """
    loci = group_loci(variants)
    seeds = np.random.SeedSequence(seed).generate_state(len(loci), dtype=np.uint32)
    return [simulate_window(locus, seed=int(s) % (2**31 - 2) + 1, pool=pool, background=background)
            for locus, s in zip(loci, seeds, strict=True)]


def draw_haplotypes(windows: Sequence[Window], ancestry: np.ndarray,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pair pool haplotypes into individuals, independently per window.

    Returns two uint8 arrays of shape (n, n_variants) (variants in window order): the effect allele on
    the first and on the second haplotype.
    """
    n = ancestry.shape[0]
    total = sum(len(w.variants) for w in windows)
    h1 = np.empty((n, total), dtype=np.uint8)
    h2 = np.empty((n, total), dtype=np.uint8)
    col = 0
    for w in windows:
        k = len(w.variants)
        for a in range(len(POPULATIONS)):
            members = np.flatnonzero(ancestry == a)
            pool = np.flatnonzero(w.pop == a)
            pick = pool[rng.integers(0, pool.shape[0], size=(members.shape[0], 2))]
            h1[members, col:col + k] = w.haps[pick[:, 0]]
            h2[members, col:col + k] = w.haps[pick[:, 1]]
        col += k
    return h1, h2


# -- VCF writing ---------------------------------------------------------------------------------

_GT_LUT = np.frombuffer(b"0|0\t0|1\t1|0\t1|1\t", dtype=np.uint8).reshape(4, 4)


class BgzfWriter:
    """Write BGZF (bgzip) by hand: gzip members of at most 64 KiB with the ``BC`` extra field."""

    _EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")

    def __init__(self, path: Path, *, level: int = 6) -> None:
        self._fh = path.open("wb")
        self._buf = bytearray()
        self._level = level

    def write(self, data: bytes) -> None:
        self._buf += data
        while len(self._buf) >= 65280:
            self._block(bytes(self._buf[:65280]))
            del self._buf[:65280]

    def _block(self, chunk: bytes) -> None:
        comp = zlib.compressobj(self._level, zlib.DEFLATED, -15)
        data = comp.compress(chunk) + comp.flush()
        self._fh.write(b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00BC\x02\x00"
                       + struct.pack("<H", len(data) + 25) + data
                       + struct.pack("<II", zlib.crc32(chunk) & 0xFFFFFFFF, len(chunk)))

    def close(self) -> None:
        if self._buf:
            self._block(bytes(self._buf))
        self._fh.write(self._EOF)
        self._fh.close()


def vcf_alleles(v: PanelVariant, build: Build) -> tuple[str, str, bool]:
    """REF, ALT and whether ALT is the effect allele: REF = panel REF if known, else the other allele."""
    locus = v.locus(build)
    ref = locus.ref or locus.other_allele
    if ref == locus.effect_allele:
        return ref, locus.other_allele, False
    return ref, locus.effect_allele, True


def contig_name(chrom: str, build: Build) -> str:
    """``chr``-prefixed names on GRCh38 (``chrM`` for MT), bare names on GRCh37, as the builds' FASTAs."""
    if build == "GRCh37":
        return chrom
    return "chrM" if chrom == "MT" else f"chr{chrom}"


def vcf_header(build: Build, samples: Sequence[str], *, extra: Sequence[str] = (),
               fmt: Sequence[str] = ("GT",)) -> bytes:
    """A VCF 4.2 header with every ``##contig`` of ``build`` (names and lengths) and ``FORMAT`` lines."""
    lines = ["##fileformat=VCFv4.2", '##FILTER=<ID=PASS,Description="All filters passed">', *extra]
    described = {"GT": '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
                 "AD": '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
                 "DP": '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
                 "GQ": '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">'}
    lines += [described[f] for f in fmt]
    lines += [f"##contig=<ID={contig_name(c, build)},length={n}>" for c, n in CONTIG_LENGTHS[build].items()]
    lines.append(f"##reference={build}")
    lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]))
    return ("\n".join(lines) + "\n").encode()


def write_cohort_vcf(path: Path, build: Build, variants: Sequence[PanelVariant], h1: np.ndarray, h2: np.ndarray,
                     samples: Sequence[str], *, source: str) -> None:
    """Write a phased, bgzipped cohort VCF of ``variants`` (columns of ``h1``/``h2``) and index it (TBI)."""
    order = sorted(range(len(variants)), key=lambda j: (chrom_rank(variants[j].locus(build).chrom),
                                                        variants[j].locus(build).pos))
    out = BgzfWriter(path, level=4)  # level 6 is 5x slower on genotype text for 15% less
    out.write(vcf_header(build, samples, extra=[f"##source={source}"]))
    for j in order:
        v = variants[j]
        ref, alt, alt_is_effect = vcf_alleles(v, build)
        a1, a2 = h1[:, j], h2[:, j]
        if not alt_is_effect:
            a1, a2 = 1 - a1, 1 - a2
        body = _GT_LUT[(a1.astype(np.intp) << 1) | a2]
        body[-1, 3] = ord("\n")
        locus = v.locus(build)
        out.write(f"{contig_name(locus.chrom, build)}\t{locus.pos}\t{v.id}\t{ref}\t{alt}\t.\tPASS\t.\tGT\t".encode())
        out.write(body.tobytes())
    out.close()
    index_vcf(path)


def _write_phenotypes(path: Path, samples: Sequence[str], ancestry: np.ndarray, cov: Mapping[str, np.ndarray],
                      outcomes: Mapping[str, np.ndarray], *, chunk: int = 50_000) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["sample", "ancestry", *COVARIATES, *outcomes])
        for lo in range(0, len(samples), chunk):  # in chunks: 300k rows of Python strings would need GBs
            part = slice(lo, lo + chunk)
            cols = [[f"{x:g}" for x in cov[c][part]] for c in COVARIATES]
            cols += [o[part].astype(str).tolist() for o in outcomes.values()]
            anc = [POPULATIONS[a] for a in ancestry[part]]
            w.writerows(zip(samples[part], anc, *cols, strict=True))


# -- the cohort ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulatedCohort:
    """What :func:`simulate_cohort` wrote, also in memory."""

    truth: dict[str, Any]
    """The content of ``truth.json``: one entry per outcome (``y_...``), ``_simulation`` and ``_variants``."""
    samples: tuple[str, ...]
    """Sample names ``S000001``... in VCF column order."""
    ancestry: np.ndarray
    """str, shape (n,): ``AFR``, ``EUR`` or ``EAS``."""
    dosages: dict[str, np.ndarray]
    """Panel name -> uint8, shape (n, n_variants): effect-allele dosages in panel order."""
    covariates: dict[str, np.ndarray]
    """``cov_<name>`` -> float64, shape (n,)."""
    outcomes: dict[str, np.ndarray]
    """``y_<name>`` -> int8, shape (n,): 0/1."""
    files: tuple[Path, ...]
    """Paths written."""


def simulate_cohort(*, n: int, seed: int, out_dir: str | Path, builds: Sequence[Build] = ("GRCh38", "GRCh37"),
                    pool: int = POOL_SIZE, panels: Mapping[str, Panel] | None = None) -> SimulatedCohort:
    """Simulate ``n`` individuals and write cohort VCFs, ``phenotypes.csv`` and ``truth.json``.

    Parameters
    ----------
    n
        Individuals (samples ``S000001``...).
    seed
        Seed of every random draw (msprime windows, pairing, covariates, outcomes): same seed, same files.
    out_dir
        Folder to write into (created).
    builds
        Builds to write ``cohort.<build>.vcf.gz`` (+ ``.tbi``) for.
    pool
        Diploid individuals simulated per population per window.
    panels
        The four panels by name; the shipped tables when ``None``.

    Returns
    -------
    SimulatedCohort
        The truth written to ``truth.json`` and the simulated arrays.

    Raises
    ------
    GenoLensError
        When ``n`` is not positive or a build is unknown.
    """
    if n < 1:
        raise GenoLensError(f"Cohort size must be positive, got {n}.")
    bad = [b for b in builds if b not in BUILDS]
    if bad:
        raise GenoLensError(f"Build {bad[0]!r} unknown. Choose from: {', '.join(BUILDS)}.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    panels = dict(panels) if panels is not None else {p: load_panel(p) for p in PANELS}
    variants = list({v.id: v for p in PANELS for v in panels[p].variants}.values())
    windows = simulate_windows(variants, seed=seed, pool=pool, background=False)
    ordered = [v for w in windows for v in w.variants]
    col = {v.id: j for j, v in enumerate(ordered)}
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    shares = np.array([ANCESTRY_SHARES[p] for p in POPULATIONS])
    ancestry = rng.choice(len(POPULATIONS), size=n, p=shares / shares.sum()).astype(np.int8)
    h1, h2 = draw_haplotypes(windows, ancestry, rng)
    carrier = np.zeros(n, dtype=bool)
    for vid in HIGH_PENETRANCE_LOG_OR:
        if vid in col:
            carrier |= (h1[:, col[vid]] | h2[:, col[vid]]) > 0
    cov = draw_covariates(rng, ancestry, carrier)
    dosages = {p: (h1[:, [col[v.id] for v in panels[p].variants]] + h2[:, [col[v.id] for v in panels[p].variants]])
               for p in PANELS}
    models = outcome_models(panels)
    outcomes = draw_outcomes(rng, models, dosages, cov)
    samples = [f"S{i + 1:06d}" for i in range(n)]
    source = f"genolens.modeling.simulate n={n} seed={seed} pool={pool}"
    for b in builds:
        write_cohort_vcf(out / f"cohort.{b}.vcf.gz", b, ordered, h1, h2, samples, source=source)
    _write_phenotypes(out / "phenotypes.csv", samples, ancestry, cov, outcomes)
    truth = {**models, "_simulation": _provenance(n, seed, pool, windows),
             "_variants": _variant_table(windows)}
    (out / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    files = (*(out / f"cohort.{b}.vcf.gz" for b in builds), out / "phenotypes.csv", out / "truth.json")
    return SimulatedCohort(truth, tuple(samples), np.array(POPULATIONS)[ancestry], dosages, cov, outcomes, files)


def _variant_table(windows: Sequence[Window]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for wi, w in enumerate(windows):
        for i, v in enumerate(w.variants):
            pool_freq = {p: round(float(w.haps[w.pop == a, i].mean()), 5) for a, p in enumerate(POPULATIONS)}
            table[v.id] = {"chrom": v.grch38.chrom, "pos_grch38": v.grch38.pos, "pos_grch37": v.grch37.pos,
                           "effect_allele": v.grch38.effect_allele, "target_eaf": target_frequencies(v),
                           "pool_eaf": pool_freq, "window": wi, "simulated_offset": int(w.sim_pos[i])}
    return table


def _provenance(n: int, seed: int, pool: int, windows: Sequence[Window]) -> dict[str, Any]:
    return {
        "n": n, "seed": seed, "pool_per_population": pool, "windows": len(windows),
        "ancestry_shares": dict(ANCESTRY_SHARES),
        "demography": ooa_demography.__doc__.strip() if ooa_demography.__doc__ else "",
        "recombination_rate": RECOMBINATION_RATE, "mutation_rate": MUTATION_RATE,
        "locus_gap_bp": LOCUS_GAP, "flank_bp": [FLANK, 4 * FLANK, 10 * FLANK],
        "versions": {"msprime": msprime.__version__, "tskit": tskit.__version__, "numpy": np.__version__},
        "default_eaf_rule": "EUR: panel eaf; else DEFAULT_EAF (PGx, high-penetrance); else 0.10-0.50 from the id "
                            "hash. AFR/EAS: POP_EAF where stated, else free within a band around EUR",
    }


def simulate_main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``simulate --n N --seed S --out DIR [--build B ...] [--pool P]``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m genolens simulate", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, required=True, help="individuals to simulate")
    parser.add_argument("--seed", type=int, required=True, help="seed of every random draw")
    parser.add_argument("--out", required=True, help="folder to write the cohort into")
    parser.add_argument("--build", action="append", choices=BUILDS, help="build(s) to write (default: both)")
    parser.add_argument("--pool", type=int, default=POOL_SIZE, help="diploid individuals per population per window")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        simulate_cohort(n=args.n, seed=args.seed, out_dir=args.out, builds=tuple(args.build or BUILDS),
                        pool=args.pool)
    except GenoLensError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.n} individuals to {args.out} in {time.perf_counter() - started:.1f} s")
    return 0
