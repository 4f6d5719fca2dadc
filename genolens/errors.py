"""The one error root of GenoLens and its few leaves.

The domain raises these deep and the front ends (CLI, dashboard) catch them once.
Every message says what is wrong, shows the offending value and says what to do.
Anything else that escapes is a bug.
"""

from __future__ import annotations


class GenoLensError(Exception):
    """Root of every error a user can cause and be told about."""


class VcfReadError(GenoLensError):
    """The VCF/BCF file cannot be read: damaged, truncated, not a VCF, or unreadable here."""


class SampleError(GenoLensError):
    """The requested sample is not in the file, or a choice among several is needed."""


class BuildError(GenoLensError):
    """The genome build cannot be decided, or the declared build contradicts the evidence."""


class ReferenceFastaError(GenoLensError):
    """The reference FASTA the user gave cannot be read, has no index, or is on no build GenoLens reads."""


class PanelError(GenoLensError):
    """A variant panel table is malformed or inconsistent, or a patient was not read against the panel asked for."""


class BundleError(GenoLensError):
    """A model bundle is missing, damaged, or does not fit the current panel or patient."""


class ScoringFileError(GenoLensError):
    """A PGS Catalog scoring file cannot be read or imported."""


class ExplainError(GenoLensError):
    """An explanation cannot be made as asked (unknown output, baseline needs a relative, wrong shape, NaN)."""


class GroundTruthError(GenoLensError):
    """A ground-truth check cannot run: the truth file, the cohort or the bundle do not fit together."""


class ReportError(GenoLensError):
    """A report cannot be written (PDF engine missing, unreadable JSON record)."""


class OptionError(GenoLensError):
    """An option has a value GenoLens cannot use (unknown build, policy or model; malformed NAME=VALUE)."""


class CohortError(GenoLensError):
    """A training cohort does not fit together: the VCF, the phenotype table, the truth file or the panel."""


class PatientDetailsError(GenoLensError):
    """A patient detail (sex, age, family history, a clinical value) is unknown, malformed or out of range."""


class OutsideCallError(GenoLensError):
    """An outside call (PharmCAT outside-call TSV or the dashboard form) cannot be read: unknown gene, malformed
    line, or a diplotype whose phenotype cannot be derived."""


class AuditError(GenoLensError):
    """The audit log cannot be written or read as asked (unwritable file, partial last entry, bad entry fields)."""


class CohortJobError(GenoLensError):
    """A cohort job cannot run as asked: the results folder holds another input's or settings' results, the file
    cannot be converted to VCF Zarr, no panel site is in it, or the Dask scheduler cannot be reached."""


class AbsoluteRiskError(GenoLensError):
    """An absolute risk cannot be computed as asked: a rate table is malformed or does not cover the ages,
    the age or horizon is unusable, or the relative risks are not finite."""
