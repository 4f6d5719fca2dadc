"""Baselines: the clinical comparison point of an explanation, each with a caption a clinician can read.

An attribution says how the inputs move the prediction *away from a baseline*, so the baseline is a
clinical choice, not a technicality (deeplift#103). Every constructor returns a
:class:`~genolens.datamodel.Baseline` whose ``caption`` is one sentence that can be shown verbatim.
"""

from __future__ import annotations

import numpy as np

from genolens.datamodel import Baseline, Build, ExplainContext
from genolens.errors import ExplainError


def _checked(context: ExplainContext, values: np.ndarray, what: str) -> np.ndarray:
    """Return ``values`` as float64 (n_features,), or raise saying what is wrong."""
    out = np.asarray(values, dtype=np.float64)
    n = len(context.feature_names)
    if out.shape != (n,):
        raise ExplainError(f"The {what} has shape {out.shape}; the model has {n} inputs. "
                            "Give one value per model input, in feature order.")
    if not np.all(np.isfinite(out)):
        bad = [context.feature_names[i] for i in np.flatnonzero(~np.isfinite(out))[:5]]
        raise ExplainError(f"The {what} has missing or infinite values at {', '.join(bad)}; "
                            "fill them (e.g. with the population mean) first.")
    return out


def population_average(context: ExplainContext) -> Baseline:
    """Return the reference-population average: mean dosage of every variant, mean of every covariate.

    Parameters
    ----------
    context : ExplainContext
        Supplies ``population_mean``, shape (n_features,).

    Returns
    -------
    Baseline
        ``kind="population_average"``.
    """
    values = _checked(context, context.population_mean, "population mean")
    caption = ("Compared with an average person of the reference population "
               "(average genotype at every variant and average clinical factors).")
    return Baseline("population_average", values, None, caption)


def all_reference(context: ExplainContext, *, build: Build) -> Baseline:
    """Return the all-reference genotype: every allele the reference base of ``build``.

    The dosage of the effect allele is 2 where the panel's REF on ``build`` is the effect allele
    (e.g. CYP3A5 rs776746 on GRCh37, whose REF is the *3 allele) and 0 otherwise. Covariates take
    the population mean.

    Parameters
    ----------
    context : ExplainContext
        Supplies the panel (REF and effect allele per build) and the covariate means.
    build : {"GRCh37", "GRCh38"}
        The reference genome whose bases define "reference"; REF differs between builds at some sites.

    Returns
    -------
    Baseline
        ``kind="all_reference"``; ``notes`` names the variants whose REF the panel does not give
        (taken as the non-effect allele, dosage 0).
    """
    values = _checked(context, context.population_mean, "population mean").copy()
    unknown: list[str] = []
    for i, variant in enumerate(context.panel.variants[: context.n_genetic]):
        locus = variant.locus(build)
        if not locus.ref:
            unknown.append(variant.id)
        values[i] = 2.0 if locus.ref and locus.ref == locus.effect_allele else 0.0
    notes: tuple[str, ...] = ()
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        notes = (f"The panel does not give the {build} reference base of {len(unknown)} variant(s) "
                 f"({shown}); they were taken as carrying no effect allele.",)
    caption = (f"Compared with a person who carries the {build} reference base at every tested "
               "position, with average clinical factors.")
    return Baseline("all_reference", values, None, caption, notes)


def ancestry_average(context: ExplainContext, ancestry: str) -> Baseline:
    """Return the average person of one ancestry group of the reference data.

    Parameters
    ----------
    context : ExplainContext
        ``ancestry_means[ancestry]`` has shape (n_genetic,) (covariates then take the population
        mean) or (n_features,).
    ancestry : str
        A label of ``context.ancestry_means``.

    Returns
    -------
    Baseline
        ``kind="ancestry_average"``.

    Raises
    ------
    ExplainError
        When the ancestry is unknown or its means have the wrong length.
    """
    if ancestry not in context.ancestry_means:
        known = ", ".join(sorted(context.ancestry_means)) or "none (the model has no ancestry data)"
        raise ExplainError(f"Ancestry {ancestry!r} has no reference average; available: {known}.")
    means = np.asarray(context.ancestry_means[ancestry], dtype=np.float64)
    values = np.asarray(context.population_mean, dtype=np.float64).copy()
    if means.shape == (context.n_genetic,):
        values[: context.n_genetic] = means
    else:
        values = means
    values = _checked(context, values, f"{ancestry} average")
    caption = (f"Compared with an average person of {ancestry} ancestry in the reference data "
               "(average genotype in that group, average clinical factors).")
    return Baseline("ancestry_average", values, None, caption)


def reference_distribution(context: ExplainContext, *, n: int = 64, seed: int = 0) -> Baseline:
    """Return a random draw of reference-cohort people, for GradientShap and DeepLiftShap.

    Parameters
    ----------
    context : ExplainContext
        ``reference_sample``, shape (n_ref, n_features).
    n : int
        How many people to draw without replacement (all of them when fewer).
    seed : int
        Seed of the draw.

    Returns
    -------
    Baseline
        ``kind="reference_distribution"``; ``samples`` shape (min(n, n_ref), n_features), ``values``
        their mean.

    Raises
    ------
    ExplainError
        When the reference sample is empty, has the wrong width or contains NaN.
    """
    ref = np.asarray(context.reference_sample, dtype=np.float64)
    if ref.ndim != 2 or ref.shape[0] == 0 or ref.shape[1] != len(context.feature_names):
        raise ExplainError(f"The reference sample has shape {ref.shape}; need (n_ref >= 1, "
                            f"{len(context.feature_names)}).")
    if not np.all(np.isfinite(ref)):
        raise ExplainError("The reference sample contains missing values; impute it before use.")
    if n < 1:
        raise ExplainError(f"Draw size n={n} must be at least 1.")
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(ref.shape[0], size=min(n, ref.shape[0]), replace=False))
    samples = ref[idx]
    caption = (f"Compared with {len(idx)} people drawn from the reference cohort "
               "(the contributions add up to the difference from their average prediction).")
    return Baseline("reference_distribution", samples.mean(axis=0), samples, caption)


def relative(context: ExplainContext, values: np.ndarray, *, who: str) -> Baseline:
    """Return another person's feature vector (a relative in the same VCF) as the baseline.

    Parameters
    ----------
    context : ExplainContext
        Gives the number and order of inputs.
    values : numpy.ndarray
        float, shape (n_features,): the relative's inputs, already imputed (no NaN).
    who : str
        How to name the relative in the caption (``"the mother (sample NA12892)"``).

    Returns
    -------
    Baseline
        ``kind="relative"``.
    """
    vec = _checked(context, values, f"feature vector of {who}")
    caption = f"Compared with {who}: the contributions show what differs between the two."
    return Baseline("relative", vec, None, caption)
