"""Modeling layer: networks, bundles and prediction; simulated cohorts and training.

This package exports the inference API (bundles, prediction, the typed card). The training side
(``simulate``, ``train``, ``export``, ``pgs_import``, ``outcomes``) loads msprime and the fitting code:
import those modules by name where they are needed (the CLI does so per command).

Importing this package does not import torch: bundles load and predict in numpy. :class:`Ensemble` (the torch
modules) is imported on first use of the name.
"""

from typing import TYPE_CHECKING, Any

from genolens.modeling.architecture import (
    NetworkConfig,
)
from genolens.modeling.bundle import (
    MODELS_DIR,
    Bundle,
    Reference,
    bundle_paths,
    dumps_toml,
    json_safe,
    load_bundle,
    load_bundles,
)
from genolens.modeling.card import (
    BUNDLE_KINDS,
    COVARIATE_KINDS,
    BundleKind,
    CovariateKind,
    CovariateSpec,
    ModelCard,
    covariate_kind,
    read_card,
)
from genolens.modeling.logistic import (
    sigmoid,
)

if TYPE_CHECKING:
    from genolens.modeling.networks import Ensemble
from genolens.modeling.predict import (
    PredictOptions,
    band,
    features_for,
    predict,
    predict_json,
    prediction_json,
)

__all__ = [
    "BUNDLE_KINDS",
    "COVARIATE_KINDS",
    "MODELS_DIR",
    "Bundle",
    "BundleKind",
    "CovariateKind",
    "CovariateSpec",
    "Ensemble",
    "ModelCard",
    "NetworkConfig",
    "PredictOptions",
    "Reference",
    "band",
    "bundle_paths",
    "covariate_kind",
    "dumps_toml",
    "features_for",
    "json_safe",
    "load_bundle",
    "load_bundles",
    "predict",
    "predict_json",
    "prediction_json",
    "read_card",
    "sigmoid",
]


def __getattr__(name: str) -> Any:
    """:class:`Ensemble` on first use (it imports torch)."""
    if name == "Ensemble":
        from genolens.modeling.networks import Ensemble

        return Ensemble
    raise AttributeError(f"module 'genolens.modeling' has no attribute {name!r}")
