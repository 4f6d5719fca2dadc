"""Simulated haplotypes: msprime pools per locus window, real panel variants placed on fitting sites.

Around each locus (panel variants closer than ``LOCUS_GAP`` bp on GRCh38) msprime simulates a pool of
haplotypes under a three-population out-of-Africa demography (:func:`ooa_demography`), so allele
frequencies and linkage disequilibrium differ by ancestry. Each real variant takes a simulated site
whose frequencies fit :func:`~genolens.modeling.allele_frequencies.target_frequencies`, searching
outward from the variant's own offset and keeping the real order, so LD between real neighbours decays
with their real distance (:func:`_pick_site`). An individual is two haplotypes drawn at random from its
ancestry's pool, independently per window (:func:`draw_haplotypes`): LD is kept within a window,
windows are independent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import msprime
import numpy as np

from genolens.datamodel import PanelVariant
from genolens.errors import CohortError
from genolens.modeling.allele_frequencies import CIS, target_frequencies

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


def group_loci(variants: Sequence[PanelVariant], *, gap: int = LOCUS_GAP,
               apart: frozenset[str] = frozenset()) -> list[list[PanelVariant]]:
    """Split variants into loci: by chromosome, then wherever two GRCh38 neighbours are ``gap`` or more apart.

    A locus holding two or more variants of ``apart`` is split further, one locus per such variant, each
    other variant joining the one nearest to it: variants in different loci are drawn independently.
    """
    order = sorted(variants, key=lambda v: (chrom_rank(v.grch38.chrom), v.grch38.pos))
    loci: list[list[PanelVariant]] = []
    for v in order:
        last = loci[-1][-1] if loci else None
        if last is not None and last.grch38.chrom == v.grch38.chrom and v.grch38.pos - last.grch38.pos < gap:
            loci[-1].append(v)
        else:
            loci.append([v])
    split: list[list[PanelVariant]] = []
    for locus in loci:
        anchors = [v.grch38.pos for v in locus if v.id in apart]
        if len(anchors) < 2:
            split.append(locus)
            continue
        parts: list[list[PanelVariant]] = [[] for _ in anchors]
        for v in locus:
            parts[int(np.argmin([abs(v.grch38.pos - a) for a in anchors]))].append(v)
        split.extend(parts)
    return split


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

    ``freqs`` is (3, n_sites) in ``POPULATIONS`` order. The frequency fits within :func:`_tolerance`;
    either allele of the site may play the effect allele. With ``band``, a site is
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
        raise CohortError("A simulated window has no free polymorphic site; raise FLANK or the pool size.")
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


FREQUENCY_TOLERANCE = 0.015
"""A site fits a target frequency within this (absolute), or 15% of the minor frequency if smaller, or one
haplotype if larger (simulation v2; v1 allowed 15% of the minor frequency, up to 0.075)."""


def _tolerance(p: float, n_hap: int) -> float:
    return max(min(FREQUENCY_TOLERANCE, 0.15 * min(p, 1 - p)), 1.0 / n_hap)


def simulate_windows(variants: Sequence[PanelVariant], *, seed: int, pool: int = POOL_SIZE,
                     background: bool = True, apart: frozenset[str] = frozenset()) -> list[Window]:
    """Simulate every locus of ``variants``; window ``i`` gets msprime seed derived from ``seed`` and ``i``.

    Variants of ``apart`` each get a window of their own (:func:`group_loci`): the true disease models give each
    causal variant its published odds ratio as its own effect, and the published ones are marginal, so two causal
    variants must not be in linkage disequilibrium (one would add its effect to the other's marginal odds
    ratio: ESR1 rs2046210 with rs12662670, 29.5 kb apart, read 1.17 for a published 1.05 in one seed's pools).

    ``background=False`` drops the other simulated sites (cohorts need only the panel sites; the
    background of 300+ windows at full pool size takes gigabytes).
    """
    loci = group_loci(variants, apart=apart)
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

