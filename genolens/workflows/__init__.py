"""Use cases: one function per thing a user asks for, called by the CLI and the dashboard alike.

- :func:`patient_report`: a patient's report (every bundle predicted and explained once).
- :func:`absolute_risks`: a breast-cancer card's risk of diagnosis by age (the report and the Risk page).
- :func:`explain_bundle`: one bundle explained for one patient; with ``overrides``/``clinical``, a what-if.
- :func:`compare_methods` and :func:`bundle_randomisation`: method comparison (the explorer).
- :func:`warfarin_dose`: the weekly warfarin dose from the model trained on the real IWPC patients.

Layers: ``workflows -> present -> explain -> modeling -> genome -> datamodel/errors``; nothing here
imports Streamlit.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genolens.workflows.compare import MethodComparison, bundle_randomisation, compare_methods
    from genolens.workflows.drugs import drug_row, drug_rows
    from genolens.workflows.explain import explain_bundle
    from genolens.workflows.findings import MONOGENIC_GENES, monogenic_findings
    from genolens.workflows.report import (
        BundleResult,
        PatientReport,
        absolute_risks,
        model_card_summary,
        patient_report,
    )
    from genolens.workflows.warfarin import (
        CYP2C9_DIPLOTYPES,
        VKORC1_GENOTYPES,
        WarfarinDose,
        installed_dose_bundle,
        warfarin_dose,
    )
    from genolens.workflows.what_if import with_dosages

_HOMES = {
    "MethodComparison": "compare", "bundle_randomisation": "compare", "compare_methods": "compare",
    "drug_row": "drugs", "drug_rows": "drugs", "explain_bundle": "explain",
    "MONOGENIC_GENES": "findings", "monogenic_findings": "findings",
    "BundleResult": "report", "PatientReport": "report", "model_card_summary": "report", "patient_report": "report",
    "absolute_risks": "report",
    "CYP2C9_DIPLOTYPES": "warfarin", "VKORC1_GENOTYPES": "warfarin", "WarfarinDose": "warfarin",
    "installed_dose_bundle": "warfarin", "warfarin_dose": "warfarin", "with_dosages": "what_if",
}
"""Each exported name -> its module: imported on first use, so that ``predict --model warfarin_dose`` (the
warfarin module alone) does not load Captum through the report and explorer use cases."""


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'genolens.workflows' has no attribute {name!r}")
    return getattr(import_module(f"genolens.workflows.{_HOMES[name]}"), name)


__all__ = [
    "CYP2C9_DIPLOTYPES",
    "MONOGENIC_GENES",
    "VKORC1_GENOTYPES",
    "BundleResult",
    "MethodComparison",
    "PatientReport",
    "WarfarinDose",
    "absolute_risks",
    "bundle_randomisation",
    "compare_methods",
    "drug_row",
    "drug_rows",
    "explain_bundle",
    "installed_dose_bundle",
    "model_card_summary",
    "monogenic_findings",
    "patient_report",
    "warfarin_dose",
    "with_dosages",
]
