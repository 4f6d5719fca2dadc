"""Training settings: one frozen dataclass, written whole to every bundle's card."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrainConfig:
    """Training settings; every field is written to the bundle's card."""

    members: int = 5
    """Ensemble members (each on its own bootstrap resample, initialisation and shuffling)."""
    hidden: int = 16
    """Width of the interaction path (risk) or shared trunk (response)."""
    covariate_hidden: int = 8
    """Width of a risk network's covariate-shape path (a small MLP over the covariates alone, so that
    age can act non-linearly, as incidence does); 0: covariates act linearly."""
    epochs: int = 200
    """Upper bound on passes over the training part; early stopping usually ends far sooner (small
    cohorts need many passes, large ones few)."""
    batch_size: int = 1024
    """People per optimisation step."""
    lr: float = 3e-3
    """Adam learning rate."""
    weight_decay: float = 1e-4
    """AdamW decoupled weight decay."""
    patience: int = 6
    """Epochs without validation improvement before stopping (the best epoch is kept)."""
    bootstrap: bool = True
    """Train each member (and its linear warm start) on a bootstrap resample of the training part."""
    interaction_warmup: int = 4
    """Epochs at the start in which the linear paths (warm start) stay frozen and only the
    interaction path / trunk learns; early stopping cannot end training before they are over."""
    linear_lr_scale: float = 0.1
    """Learning rate of the linear paths after the warm-up, as a share of ``lr``."""
    interaction_inputs: int = 24
    """The most genetic inputs the interaction path of a risk network reads (the others' first-layer
    weights stay zero); 0: no cap. Which ones: :attr:`interaction_alpha`."""
    interaction_alpha: float = 0.05
    """Family-wise level of the pairwise interaction screen: the interaction path reads the inputs of
    the pairs whose product's score test passes, Bonferroni over the pairs of selected inputs
    (:func:`~genolens.modeling.selection.interacting_inputs`). With hundreds of panel variants an
    unrestricted path overfits noise before it learns the few true interactions, and choosing the
    inputs by main-effect size misses partners with small main effects."""
    select: bool = True
    """Let each output read only the genetic inputs kept by the adaptive lasso, its penalty chosen by :attr:`selection`
    (:mod:`genolens.modeling.selection`); every other genetic input has weight zero in every path.
    ``False``: every panel variant is read."""
    selection: str = "aic"
    """The criterion that chooses the selection's penalty: ``aic`` (2 per input kept) or ``bic`` (log n)."""
    val_fraction: float = 0.1
    """Share of the training part held out for early stopping."""
    calib_fraction: float = 0.2
    """Share of the cohort for Platt calibration."""
    test_fraction: float = 0.2
    """Share of the cohort for metrics and the reference distribution."""
    seed: int = 0
    """Seed of the split, the initialisations and the shuffling."""

