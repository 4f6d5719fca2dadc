"""Simulated training cohorts with known truth: msprime haplotypes, real panel variants, phenotypes.

Every model input is a real panel variant (real positions on both builds, real alleles). Around each
locus (panel variants closer than ``LOCUS_GAP`` bp on GRCh38) msprime simulates a pool of haplotypes
under a three-population out-of-Africa demography
(:func:`~genolens.modeling.haplotypes.ooa_demography`), so allele frequencies and linkage
disequilibrium differ by ancestry. Each real variant takes a simulated site whose European frequency
fits the variant's effect-allele frequency (the panel's ``eaf``, else ``DEFAULT_EAF``, else a stated
hash rule), searching outward from the variant's own offset and keeping the real order, so LD between
real neighbours decays with their real distance (:func:`~genolens.modeling.haplotypes._pick_site`).
Where African and East Asian frequencies are stated (``POP_EAF``: pharmacogenomic and founder
alleles) each population takes its own fitting site, so NUDT15 *3 is common in East Asians and
CYP3A5 *3 rare in Africans, as observed. TPMT *3A is built in cis (``CIS``). An individual is two
haplotypes drawn at random from its ancestry's pool, independently per window: LD is kept within a
window, windows are independent, and a cohort of 300k costs little more than the pools.

The pieces: :mod:`~genolens.modeling.allele_frequencies` (the frequencies matched),
:mod:`~genolens.modeling.haplotypes` (msprime windows, site placement, drawing individuals),
:mod:`~genolens.modeling.cohort_vcf` (the VCF files); this module draws the cohort and writes its
phenotypes and truth. Run ``python -m genolens simulate --n N --seed S --out DIR`` (see :func:`simulate_cohort`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msprime
import numpy as np
import tskit

from genolens.datamodel import BUILDS, Build, Panel
from genolens.errors import OptionError
from genolens.genome.panel import load_panel
from genolens.modeling.allele_frequencies import eaf_source, target_frequencies
from genolens.modeling.cohort_vcf import write_cohort_vcf
from genolens.modeling.fixed_truth import NOT_APPLICABLE, disease_variants, draw_outcomes, truth_models
from genolens.modeling.haplotypes import (
    FLANK,
    LOCUS_GAP,
    MUTATION_RATE,
    POOL_SIZE,
    POPULATIONS,
    RECOMBINATION_RATE,
    Window,
    draw_haplotypes,
    ooa_demography,
    simulate_windows,
)
from genolens.modeling.outcomes import (
    ANCESTRY_SHARES,
    COVARIATES,
    HIGH_PENETRANCE_LOG_OR,
    draw_covariates,
)

PANELS: tuple[str, ...] = ("breast_cancer", "coronary_artery_disease", "type_2_diabetes", "pharmacogenomics")
"""Panels a cohort carries, all of them."""


def _write_onsets(path: Path, samples: Sequence[str], onsets: Mapping[str, np.ndarray]) -> None:
    """One row per diagnosis within follow-up: sample, outcome, age at onset (years, 2 decimals)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["sample", "outcome", "age_at_onset"])
        for name, ages in onsets.items():
            for i in np.flatnonzero(~np.isnan(ages)).tolist():
                w.writerow([samples[i], name, f"{ages[i]:.2f}"])


def _write_phenotypes(path: Path, samples: Sequence[str], ancestry: np.ndarray, cov: Mapping[str, np.ndarray],
                      outcomes: Mapping[str, np.ndarray], *, chunk: int = 50_000) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["sample", "ancestry", *COVARIATES, *outcomes])
        for lo in range(0, len(samples), chunk):  # in chunks: 300k rows of Python strings would need GBs
            part = slice(lo, lo + chunk)
            cols = [[f"{x:g}" for x in cov[c][part]] for c in COVARIATES]
            cols += [["" if x == NOT_APPLICABLE else str(x) for x in o[part].tolist()] for o in outcomes.values()]
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
    """``y_<name>`` -> int8, shape (n,): 0/1, or -1 where it does not apply (a man's breast cancer)."""
    onsets: dict[str, np.ndarray]
    """Hazard outcomes (breast cancer) -> float64, shape (n,): age at diagnosis within follow-up, else NaN."""
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
    drawn = draw_population(n=n, seed=seed, pool=pool, panels=panels, builds=builds)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    models, windows, ordered, h1, h2 = drawn.truth, drawn.windows, drawn.ordered, drawn.h1, drawn.h2
    ancestry, cov, dosages, outcomes, onsets = drawn.ancestry, drawn.covariates, drawn.dosages, drawn.outcomes, \
        drawn.onsets
    samples = [f"S{i + 1:06d}" for i in range(n)]
    source = f"genolens.modeling.simulate n={n} seed={seed} pool={pool}"
    for b in builds:
        write_cohort_vcf(out / f"cohort.{b}.vcf.gz", b, ordered, h1, h2, samples, source=source)
    _write_phenotypes(out / "phenotypes.csv", samples, ancestry, cov, outcomes)
    _write_onsets(out / "onsets.csv", samples, onsets)
    truth = {**models, "_simulation": _provenance(n, seed, pool, windows),
             "_variants": _variant_table(windows)}
    (out / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    files = (*(out / f"cohort.{b}.vcf.gz" for b in builds), out / "phenotypes.csv", out / "onsets.csv",
             out / "truth.json")
    return SimulatedCohort(truth, tuple(samples), np.array(POPULATIONS)[ancestry], dosages, cov, outcomes, onsets,
                           files)


@dataclass(frozen=True)
class Population:
    """One simulated population in memory (:func:`draw_population`): what a cohort's files are written from."""

    truth: dict[str, Any]
    """Outcome -> true model (no ``_simulation``/``_variants`` entries)."""
    windows: list[Window]
    ordered: list[Any]
    """Panel variants in window order (the VCF's record order)."""
    h1: np.ndarray
    h2: np.ndarray
    """uint8, shape (n, n_variants): the two haplotypes' effect alleles, ``ordered`` columns."""
    ancestry: np.ndarray
    """int8, shape (n,): index into POPULATIONS."""
    covariates: dict[str, np.ndarray]
    dosages: dict[str, np.ndarray]
    """Panel name -> uint8 (n, n_variants), panel order."""
    outcomes: dict[str, np.ndarray]
    onsets: dict[str, np.ndarray]


def draw_population(*, n: int, seed: int, pool: int = POOL_SIZE, panels: Mapping[str, Panel] | None = None,
                    builds: Sequence[Build] = ("GRCh38",)) -> Population:
    """Draw ``n`` people (haplotypes, ancestry, covariates, outcomes) in memory; see :func:`simulate_cohort`.

    Raises
    ------
    GenoLensError
        When ``n`` is not positive or a build is unknown.
    """
    if n < 1:
        raise OptionError(f"Cohort size must be positive, got {n}.")
    bad = [b for b in builds if b not in BUILDS]
    if bad:
        raise OptionError(f"Build {bad[0]!r} unknown. Choose from: {', '.join(BUILDS)}.")
    panels = dict(panels) if panels is not None else {p: load_panel(p) for p in PANELS}
    variants = list({v.id: v for p in PANELS for v in panels[p].variants}.values())
    models = truth_models(panels)
    windows = simulate_windows(variants, seed=seed, pool=pool, background=False, apart=disease_variants(models))
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
    outcomes, onsets = draw_outcomes(rng, models, dosages, cov)
    return Population(models, windows, ordered, h1, h2, ancestry, cov, dosages, outcomes, onsets)


def _variant_table(windows: Sequence[Window]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for wi, w in enumerate(windows):
        for i, v in enumerate(w.variants):
            pool_freq = {p: round(float(w.haps[w.pop == a, i].mean()), 5) for a, p in enumerate(POPULATIONS)}
            table[v.id] = {"chrom": v.grch38.chrom, "pos_grch38": v.grch38.pos, "pos_grch37": v.grch37.pos,
                           "effect_allele": v.grch38.effect_allele, "target_eaf": target_frequencies(v),
                           "eaf_source": eaf_source(v),
                           "pool_eaf": pool_freq, "window": wi, "simulated_offset": int(w.sim_pos[i])}
    return table


def _provenance(n: int, seed: int, pool: int, windows: Sequence[Window]) -> dict[str, Any]:
    return {
        "version": 2, "n": n, "seed": seed, "pool_per_population": pool, "windows": len(windows),
        "ancestry_shares": dict(ANCESTRY_SHARES),
        "demography": ooa_demography.__doc__.strip() if ooa_demography.__doc__ else "",
        "recombination_rate": RECOMBINATION_RATE, "mutation_rate": MUTATION_RATE,
        "locus_gap_bp": LOCUS_GAP, "flank_bp": [FLANK, 4 * FLANK, 10 * FLANK],
        "versions": {"msprime": msprime.__version__, "tskit": tskit.__version__, "numpy": np.__version__},
        "default_eaf_rule": "EUR: panel eaf; else DEFAULT_EAF (PGx, high-penetrance); else 0.10-0.50 from the id "
                            "hash. AFR/EAS: POP_EAF where stated, else free within a band around EUR",
    }
