"""Captum's attribution classes, imported without running the ``__init__`` of ``captum`` and ``captum.attr``.

Those two files import every Captum module, among them the LLM attribution and its plotting helpers, which
import matplotlib: about 0.6 s of CPU at every start of the CLI's ``explain`` and ``report`` (issue 13),
for code GenoLens never calls. Here both packages are registered *unexecuted* (their module objects, with
their ``__path__``, so that their submodules import normally), and the classes GenoLens uses are imported
from the submodules that define them. The first time anyone asks either package for a name it does not hold
yet (``from captum.attr import visualization``, ``captum.__version__``), its real ``__init__`` runs, once,
and the name is returned: nothing of Captum is missing, it is only loaded when asked for. When Captum was
imported before this module, it is used as it is.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from importlib import metadata
from types import ModuleType
from typing import Any


def _register_unexecuted(name: str) -> ModuleType | None:
    """Put package ``name`` in ``sys.modules`` without running its ``__init__``, which runs on the first look-up
    of a name it does not hold; ``None`` when it is imported already."""
    if name in sys.modules:
        return None
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"{name} is not installed (pip install -r requirements.txt)")
    module = importlib.util.module_from_spec(spec)
    lock = threading.Lock()

    def __getattr__(attr: str) -> Any:  # runs only for a name the module does not hold yet
        with lock:  # the dashboard's threads: run the __init__ once
            if module.__dict__.pop("__getattr__", None) is not None:
                spec.loader.exec_module(module)  # type: ignore[union-attr]
        return getattr(module, attr)

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[name] = module
    return module


_captum, _attr = _register_unexecuted("captum"), _register_unexecuted("captum.attr")
if _captum is not None and _attr is not None:
    _captum.attr = _attr  # type: ignore[attr-defined]  # the binding its __init__ would have made

from captum.attr._core.deep_lift import SUPPORTED_NON_LINEAR, DeepLift, DeepLiftShap, nonlinear  # noqa: E402
from captum.attr._core.feature_ablation import FeatureAblation  # noqa: E402
from captum.attr._core.gradient_shap import GradientShap  # noqa: E402
from captum.attr._core.input_x_gradient import InputXGradient  # noqa: E402
from captum.attr._core.integrated_gradients import IntegratedGradients  # noqa: E402
from captum.attr._core.saliency import Saliency  # noqa: E402
from captum.attr._core.shapley_value import ShapleyValueSampling  # noqa: E402
from captum.attr._utils.approximation_methods import approximation_parameters  # noqa: E402

CAPTUM_VERSION = metadata.version("captum")
"""The installed Captum's version (read from its metadata: ``captum.__version__`` would run its ``__init__``)."""

__all__ = ["CAPTUM_VERSION", "SUPPORTED_NON_LINEAR", "DeepLift", "DeepLiftShap", "FeatureAblation", "GradientShap",
           "InputXGradient", "IntegratedGradients", "Saliency", "ShapleyValueSampling", "approximation_parameters",
           "nonlinear"]
