"""What every output of GenoLens says about itself: the research-use wording and the package versions.

One place for both, so that a report, a bundle card, a JSON record and a command-line line use the
same words and the same version lookup.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from importlib import metadata

RESEARCH_USE = "Research use only. Not a medical device; not for diagnosis or treatment decisions."
"""The notice written into every model card."""
RESEARCH_USE_REPORT = (f"{RESEARCH_USE} Models were trained on simulated cohorts, except the warfarin dose model "
                       "(real IWPC patients).")
"""The notice at the head of every patient report."""
RESEARCH_USE_LINE = "Research use only: models trained on simulated cohorts."
"""The one-line notice under every command-line result and in every JSON record of the simulated-cohort models."""
RESEARCH_USE_REPORT_LINE = ("Research use only: models trained on simulated cohorts, except the warfarin dose model "
                            "(real IWPC patients).")
"""The one-line notice under a command-line report that carries the warfarin dose line."""

REPORT_PACKAGES = ("genolens", "numpy", "torch", "captum", "cyvcf2")
"""Packages whose versions a patient report records."""
BUNDLE_PACKAGES = ("genolens", "torch", "numpy")
"""Packages whose versions a model bundle records."""
SOURCE_VERSION = "0.1.0 (source)"
"""GenoLens's version when it runs from a source checkout (not installed as a package)."""


def package_versions(packages: Sequence[str]) -> dict[str, str]:
    """Versions of Python and ``packages``, sorted by name (``"not installed"`` for one that is absent)."""
    out = {"python": platform.python_version()}
    for pkg in packages:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = SOURCE_VERSION if pkg == "genolens" else "not installed"
    return dict(sorted(out.items()))
