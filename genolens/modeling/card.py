"""The typed model card: what the rest of GenoLens may read of a bundle's ``card.toml``.

Only this module and :mod:`genolens.modeling.bundle` read the raw TOML mapping; everyone else reads
a :class:`ModelCard`. A covariate's kind is written by training from the values of its column (all 0/1:
``binary``); it is never guessed from a mean and an SD.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

from genolens.errors import BundleError

BundleKind = Literal["risk", "response", "linear"]
BUNDLE_KINDS: tuple[BundleKind, ...] = get_args(BundleKind)
CovariateKind = Literal["binary", "continuous"]
COVARIATE_KINDS: tuple[CovariateKind, ...] = get_args(CovariateKind)


@dataclass(frozen=True)
class CovariateSpec:
    """One clinical input of a bundle."""

    name: str
    """Column name in the training table (``cov_age``)."""
    label: str
    """The name in words (``"age"``)."""
    kind: CovariateKind
    """``binary`` (0/1 in every training row) or ``continuous``."""
    mean: float
    """Training mean: the value used when the input is not given (and flagged as defaulted)."""
    sd: float
    """Training standard deviation (same units); 0.0 for a constant column."""
    units: str
    """Units as the card states them."""


@dataclass(frozen=True)
class OutputSpec:
    """What one output of a bundle predicts, in words (from the card's ``[outputs.<name>]`` table)."""

    name: str
    """Output name (``y_breast_cancer``)."""
    outcome: str
    """The outcome in words (``"breast cancer"``); the output name in words when the card does not say."""
    horizon: str
    """Over what time the probability holds, in words; ``"not stated"`` when the card does not say."""


@dataclass(frozen=True)
class ModelCard:
    """A bundle's card, typed."""

    kind: BundleKind
    """``risk`` (disease risk), ``response`` (treatment response, one output per drug) or ``linear`` (PGS import)."""
    intended_use: str
    research_use: str
    """The research-use notice the card carries."""
    training: str
    """The training data in one sentence (``"not stated"`` when the card has none)."""
    outputs: tuple[str, ...]
    """Output names in model order."""
    output_specs: tuple[OutputSpec, ...]
    """What each output predicts, in model order."""
    sexes: tuple[str, ...]
    """The sexes the model is meant for (``("female",)``); empty: any."""
    covariates: tuple[CovariateSpec, ...]
    """Clinical inputs in model order."""
    network_auroc: Mapping[str, float | None]
    """Held-out AUROC of the network per output (``None`` when not measured)."""
    limitations: tuple[str, ...]
    weights_sha256: str
    own_panel: bool
    """The bundle brings its own panel file (an imported polygenic score)."""
    selected_genetic_inputs: Mapping[str, int]
    """Per output, how many panel variants training kept (empty when every variant is read)."""
    calibration: str
    """How the probabilities were calibrated, in words (``"none"``)."""
    provenance: Mapping[str, Any]
    """The card's ``[provenance]`` table as written (weights hash, package versions), for display."""
    validation: Mapping[str, Any]
    """The card's ``[validation]`` table (explanations against a simulated truth); empty when not run."""
    fresh_validation: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """The card's ``[fresh_validation]`` table (discrimination, calibration and 10-year E/O on a cohort
    simulated with a seed never used in training); empty when not run."""

    @property
    def people(self) -> str:
        """Whom the model was trained on and is meant for, in words (``"women"``, or ``"men and women"``)."""
        return " and ".join({"female": "women", "male": "men"}.get(x, x) for x in self.sexes) or "men and women"

    def output(self, name: str) -> OutputSpec:
        """The spec of output ``name`` (with or without ``y_``).

        Raises
        ------
        BundleError
            When the bundle has no such output.
        """
        for o in self.output_specs:
            if o.name in (name, f"y_{name}"):
                return o
        raise BundleError(f"Output '{name}' unknown to this model. Choose from: {', '.join(self.outputs)}.")

    def covariate(self, name: str) -> CovariateSpec:
        """The spec of covariate ``name``.

        Raises
        ------
        BundleError
            When the bundle has no such covariate.
        """
        for c in self.covariates:
            if c.name == name:
                return c
        raise BundleError(f"Clinical input '{name}' unknown to this model. Choose from: "
                          f"{', '.join(c.name for c in self.covariates) or 'none'}.")


def read_card(card: Mapping[str, Any]) -> ModelCard:
    """Type a parsed ``card.toml``.

    Raises
    ------
    KeyError, TypeError, ValueError
        When a required entry is missing or of the wrong kind (the loader turns these into BundleError).
    """
    meta = card["bundle"]
    kind = str(meta.get("kind", "risk"))
    if kind not in BUNDLE_KINDS:
        raise ValueError(f"bundle kind '{kind}' unknown (choose from {', '.join(BUNDLE_KINDS)})")
    outputs = tuple(str(o) for o in card["outputs"]["names"])
    metrics = card.get("metrics", {})
    training = card.get("training", {})
    return ModelCard(
        kind=kind,
        intended_use=str(meta.get("intended_use", "")),
        research_use=str(meta.get("research_use_only", "")),
        training=str(training.get("description", "not stated")),
        outputs=outputs,
        output_specs=tuple(_output(o, card["outputs"].get(o, {})) for o in outputs),
        sexes=tuple(str(x) for x in meta.get("sexes", ())),
        covariates=tuple(_covariate(c, card["covariates"][c]) for c in card["inputs"]["covariates"]),
        network_auroc={o: metrics.get(o, {}).get("network_auroc") for o in sorted(outputs)},
        limitations=tuple(str(x) for x in card.get("limitations", {}).get("text", ())),
        weights_sha256=str(card["provenance"]["weights_sha256"]),
        own_panel=bool(card["panel"].get("file")),
        selected_genetic_inputs={str(k): int(v) for k, v in training.get("selected_genetic_inputs", {}).items()},
        calibration=str(card.get("calibration", {}).get("method", "none")),
        provenance=dict(card["provenance"]),
        validation=dict(card.get("validation", {})),
        fresh_validation=dict(card.get("fresh_validation", {})),
    )


def _output(name: str, info: Mapping[str, Any]) -> OutputSpec:
    words = name.removeprefix("y_").replace("_", " ")
    return OutputSpec(name=name, outcome=str(info.get("outcome", words)),
                      horizon=str(info.get("horizon", "not stated")))


def _covariate(name: str, info: Mapping[str, Any]) -> CovariateSpec:
    kind = str(info["kind"])
    if kind not in COVARIATE_KINDS:
        raise ValueError(f"covariate {name}: kind '{kind}' unknown (choose from {', '.join(COVARIATE_KINDS)})")
    return CovariateSpec(name=name, label=name.removeprefix("cov_").replace("_", " "),
                         kind=kind,
                         mean=float(info["mean"]), sd=float(info["sd"]), units=str(info.get("units", "")))


def covariate_kind(values: Any) -> CovariateKind:
    """``binary`` when every value of a training column is 0 or 1, else ``continuous``."""
    v = np.asarray(values, dtype=np.float64)
    return "binary" if v.size and bool(np.isin(v, (0.0, 1.0)).all()) else "continuous"
