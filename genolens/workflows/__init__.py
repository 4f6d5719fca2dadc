"""Use cases: one function per thing a user asks for, called by the CLI and the dashboard alike.

- :func:`patient_report`: a patient's report (every bundle predicted and explained once).
- :func:`explain_bundle`: one bundle explained for one patient; with ``overrides``/``clinical``, a what-if.
- :func:`compare_methods` and :func:`bundle_randomisation`: method comparison (the explorer).
- :func:`score_cohort` and :func:`gene_summary`: every sample of a multi-sample file.
- :func:`warfarin_dose`: the weekly warfarin dose from the model trained on the real IWPC patients.

Layers: ``workflows -> present -> explain -> modeling -> genome -> datamodel/errors``; nothing here
imports Streamlit.
"""

from genolens.workflows.cohort import CohortResult, gene_summary, score_cohort
from genolens.workflows.compare import MethodComparison, bundle_randomisation, compare_methods
from genolens.workflows.drugs import drug_row, drug_rows
from genolens.workflows.explain import explain_bundle
from genolens.workflows.findings import MONOGENIC_GENES, monogenic_findings
from genolens.workflows.report import BundleResult, PatientReport, model_card_summary, patient_report
from genolens.workflows.warfarin import (
    CYP2C9_DIPLOTYPES,
    VKORC1_GENOTYPES,
    WarfarinDose,
    installed_dose_bundle,
    warfarin_dose,
)
from genolens.workflows.what_if import with_dosages

__all__ = [
    "CYP2C9_DIPLOTYPES",
    "MONOGENIC_GENES",
    "VKORC1_GENOTYPES",
    "BundleResult",
    "CohortResult",
    "MethodComparison",
    "PatientReport",
    "WarfarinDose",
    "bundle_randomisation",
    "compare_methods",
    "drug_row",
    "drug_rows",
    "explain_bundle",
    "gene_summary",
    "installed_dose_bundle",
    "model_card_summary",
    "monogenic_findings",
    "patient_report",
    "score_cohort",
    "warfarin_dose",
    "with_dosages",
]
