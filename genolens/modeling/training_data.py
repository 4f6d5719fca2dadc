"""Training data: a cohort VCF's dosages at the panel sites, aligned with its phenotype table, and the split.

:func:`load_cohort` reads every sample's effect-allele dosages at the panel sites and keeps the
people the phenotype table describes (with every covariate known); :func:`split_indices` cuts the
cohort once, seeded, into training, early-stopping, calibration and test parts.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from genolens.datamodel import BUILDS, Build, BuildChoice, Panel
from genolens.errors import CohortError
from genolens.genome.build import decide_build, ref_tallies
from genolens.genome.encode import dosage_matrix
from genolens.genome.patient import decide_build_or_none
from genolens.genome.vcf import open_vcf
from genolens.modeling.train_config import TrainConfig

_SAMPLE_COLUMNS = ("sample", "sample_id", "iid", "IID", "id")
_ANCESTRY_COLUMNS = ("ancestry", "population", "superpopulation")


@dataclass(frozen=True)
class Cohort:
    """Model inputs and outcomes of a training cohort, aligned by sample."""

    samples: tuple[str, ...]
    """Sample ids, VCF order restricted to those in the phenotype table."""
    genetic: np.ndarray
    """float64, shape (n, n_genetic): effect-allele dosages in panel order; NaN where missing."""
    covariates: np.ndarray
    """float64, shape (n, n_covariates); rows with a missing covariate are dropped on loading."""
    outcomes: np.ndarray
    """float64, shape (n, n_outputs): 0/1; NaN where unknown (e.g. a drug the person never took)."""
    ancestry: np.ndarray | None
    """str, shape (n,): ancestry group labels; ``None`` when the table has no ancestry column."""
    genetic_names: tuple[str, ...]
    """Panel variant ids."""
    covariate_names: tuple[str, ...]
    """Covariate column names."""
    outcome_names: tuple[str, ...]
    """Outcome column names."""
    build: Build
    """Build of the cohort VCF."""


def load_cohort(vcf: str | os.PathLike[str], phenotypes: str | os.PathLike[str], panel: Panel, *,
                outcomes: Sequence[str] | None = None, covariates: Sequence[str] | None = None,
                build: BuildChoice = "auto") -> Cohort:
    """Read every sample's dosages at the panel sites and align them with the phenotype table.

    Parameters
    ----------
    vcf
        Multi-sample cohort VCF/BCF.
    phenotypes
        CSV with a sample column (``sample``, ``sample_id`` or ``iid``), optionally ``ancestry``, and
        numeric columns.
    panel
        The panel whose variants are the genetic inputs.
    outcomes
        Outcome columns (0/1, empty when unknown); ``None``: every 0/1 column not named in ``covariates``.
    covariates
        Covariate columns; ``None``: every other numeric column.
    build
        Build of the VCF, or ``"auto"``.

    Raises
    ------
    GenoLensError
        When columns are missing or not numeric, no sample is shared, or no outcome is found.
    """
    with open_vcf(vcf) as vf:
        samples = vf.info.samples
        decided = decide_build_or_none(vf, build)
        builds: tuple[Build, ...] = (decided,) if decided else BUILDS
        sites = sorted({(v.locus(b).chrom, v.locus(b).pos) for v in panel.variants for b in builds})
        records, _mode = vf.read_matrix(sites)
        if decided is None:
            refs = {site: [r.ref for r in recs if r.pos == site[1]] for site, recs in records.items()}
            tallies = ref_tallies(panel.variants, lambda chrom, pos: refs.get((chrom, pos), []))
            decided = decide_build(vf.info, declared=build, ref_tallies=tallies).build
    dosages = dosage_matrix(panel, decided, records, len(samples))  # (n_vcf, n_genetic)
    del records  # every sample's genotypes at every site: GBs for a large cohort, no longer needed
    table = pd.read_csv(phenotypes)
    id_col = next((c for c in _SAMPLE_COLUMNS if c in table.columns), None)
    if id_col is None:
        raise CohortError(f"Phenotype table {phenotypes} has no sample column; expected one of "
                            f"{', '.join(_SAMPLE_COLUMNS)}, found {', '.join(map(str, table.columns))}.")
    anc_col = next((c for c in _ANCESTRY_COLUMNS if c in table.columns), None)
    outs, covs = _columns(table, id_col, anc_col, outcomes, covariates, str(phenotypes))
    row_of = {str(s): i for i, s in enumerate(table[id_col].astype(str))}
    keep = [(i, row_of[s]) for i, s in enumerate(samples) if s in row_of]
    if not keep:
        raise CohortError(f"No sample of {vcf} is in {phenotypes}; VCF samples start "
                            f"{', '.join(samples[:3])}, table ids start {', '.join(list(row_of)[:3])}.")
    vcf_idx, tab_idx = (np.array(v, dtype=np.int64) for v in zip(*keep, strict=True))
    cov = table[list(covs)].to_numpy(dtype=np.float64)[tab_idx]  # (n, n_covariates)
    complete = ~np.isnan(cov).any(axis=1)
    rows = vcf_idx[complete]
    identity = len(rows) == len(dosages) and bool(np.all(rows == np.arange(len(dosages))))
    genetic = dosages if identity else dosages[rows]  # no copy when every VCF sample is kept, in order
    _refuse_unseen(panel, genetic, str(vcf), decided)
    return Cohort(
        samples=tuple(samples[i] for i in rows),
        genetic=genetic,
        covariates=cov[complete],
        outcomes=table[list(outs)].to_numpy(dtype=np.float64)[tab_idx][complete],
        ancestry=table[anc_col].astype(str).to_numpy()[tab_idx][complete] if anc_col else None,
        genetic_names=tuple(v.id for v in panel.variants),
        covariate_names=covs,
        outcome_names=outs,
        build=decided,
    )


def _refuse_unseen(panel: Panel, genetic: np.ndarray, vcf: str, build: Build) -> None:
    """Refuse a cohort in which some panel variant has no genotype at all: a model cannot learn (nor be checked
    on) an input it never sees, and filling the column with a mean would hide that."""
    unseen = [v for v, seen in zip(panel.variants, (~np.isnan(genetic)).any(axis=0), strict=True) if not seen]
    if unseen and len(genetic):
        names = ", ".join(f"{v.id} ({v.locus(build).chrom}:{v.locus(build).pos})" for v in unseen[:5])
        more = f" and {len(unseen) - 5} more" if len(unseen) > 5 else ""
        raise CohortError(
            f"{len(unseen)} of the {len(panel.variants)} variants of panel {panel.name} have no genotype in any "
            f"sample of {vcf} ({build}): {names}{more}. Each is absent from the file, or recorded there with "
            "other alleles than the panel's (REF/ALT), filtered or uncalled. A simulated cohort written before "
            "the panel's facts changed must be simulated again (make models); otherwise use a panel without "
            "these variants or a cohort that has them.")


def _columns(table: pd.DataFrame, id_col: str, anc_col: str | None, outcomes: Sequence[str] | None,
             covariates: Sequence[str] | None, name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    numeric = [str(c) for c in table.columns if c not in (id_col, anc_col)
               and pd.api.types.is_numeric_dtype(table[c])]
    asked = [*(outcomes or ()), *(covariates or ())]
    absent = [c for c in asked if c not in numeric]
    if absent:
        raise CohortError(f"Column(s) {', '.join(absent)} are not numeric columns of {name}; "
                            f"numeric columns: {', '.join(numeric)}.")
    binary = [c for c in numeric if set(np.unique(table[c].dropna())) <= {0, 1}]
    outs = tuple(outcomes) if outcomes else tuple(c for c in binary if c not in (covariates or ()))
    covs = tuple(covariates) if covariates is not None else tuple(c for c in numeric if c not in outs)
    if not outs:
        raise CohortError(f"No outcome column (0/1) found in {name}; name them with outcomes=[...].")
    return outs, covs


def known_outcomes_only(cohort: Cohort) -> Cohort:
    """The cohort without the people none of whose outcomes is known (a man in a breast-cancer cohort of women).

    They would train nothing, and would enter the reference distribution and the card's means as if they belonged
    to the population the model describes.
    """
    known = ~np.isnan(cohort.outcomes).all(axis=1)
    if known.all():
        return cohort
    return replace(cohort, samples=tuple(s for s, k in zip(cohort.samples, known, strict=True) if k),
                   genetic=cohort.genetic[known], covariates=cohort.covariates[known],
                   outcomes=cohort.outcomes[known],
                   ancestry=cohort.ancestry[known] if cohort.ancestry is not None else None)


def split_indices(n: int, cfg: TrainConfig) -> dict[str, np.ndarray]:
    """Seeded disjoint index sets ``train``, ``val`` (early stopping), ``calibration``, ``test``."""
    order = np.random.default_rng(cfg.seed).permutation(n)
    n_test, n_cal = int(n * cfg.test_fraction), int(n * cfg.calib_fraction)
    rest = order[n_test + n_cal:]
    n_val = int(len(rest) * cfg.val_fraction)
    return {"train": rest[n_val:], "val": rest[:n_val], "calibration": order[n_test:n_test + n_cal],
            "test": order[:n_test]}


def impute(genetic: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Return ``genetic`` (shape (n, p)) with NaN replaced by the column's ``mean`` (shape (p,))."""
    return np.where(np.isnan(genetic), mean[None, :], genetic)  # mean as (1, p), broadcast over rows

