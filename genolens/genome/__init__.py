"""Genome layer: panels, VCF reading, build detection, calls and encoding, QC, guideline phenotypes and CPIC rules.

The public API is what this package exports; ``vcf.py`` is the only module that imports cyvcf2.
"""

from genolens.genome.build import (
    CONTIG_LENGTHS,
    decide_build,
    normalise_chrom,
)
from genolens.genome.cpic import (
    ACTION_BASIS,
    DRUGS,
    LEVEL_WORDS,
    DrugSpec,
    GuidelineCall,
    Level,
    cyp4f2_note,
    gene_words,
    guideline_action,
)
from genolens.genome.encode import (
    ABSENT_WORDS,
    ORIGIN_WORDS,
    STATUS_WORDS,
    block_dosages,
    call_panel,
    call_site,
    dosage_matrix,
    effect_dosages,
    encode,
)
from genolens.genome.gene_call import GeneCall, PgxReport
from genolens.genome.outside_calls import (
    KNOWN_GENES,
    OutsideCall,
    read_outside_calls,
)
from genolens.genome.panel import (
    COLUMNS,
    load_panel,
    load_panels,
)
from genolens.genome.patient import (
    decide_build_or_none,
    header_build_call,
    list_samples,
    patient_to_json,
    read_patient,
)
from genolens.genome.pgx import (
    MISSING_POLICIES,
    MISSING_WORDS,
    NO_RESULT,
    OUTSIDE_ONLY,
    call_pgx,
    pgx_to_json,
    strict_words,
)
from genolens.genome.qc import (
    file_qc,
    panel_warnings,
)
from genolens.genome.spool import (
    spooled_upload,
    sweep_stale_uploads,
)
from genolens.genome.star_alleles import MissingPolicy
from genolens.genome.vcf import (
    VcfFile,
    index_vcf,
    open_vcf,
)

__all__ = [
    "ABSENT_WORDS",
    "ACTION_BASIS",
    "COLUMNS",
    "CONTIG_LENGTHS",
    "DRUGS",
    "KNOWN_GENES",
    "LEVEL_WORDS",
    "MISSING_POLICIES",
    "MISSING_WORDS",
    "NO_RESULT",
    "ORIGIN_WORDS",
    "OUTSIDE_ONLY",
    "STATUS_WORDS",
    "DrugSpec",
    "GeneCall",
    "GuidelineCall",
    "Level",
    "MissingPolicy",
    "OutsideCall",
    "PgxReport",
    "VcfFile",
    "block_dosages",
    "call_panel",
    "call_pgx",
    "call_site",
    "cyp4f2_note",
    "decide_build",
    "decide_build_or_none",
    "dosage_matrix",
    "effect_dosages",
    "encode",
    "file_qc",
    "gene_words",
    "guideline_action",
    "header_build_call",
    "index_vcf",
    "list_samples",
    "load_panel",
    "load_panels",
    "normalise_chrom",
    "open_vcf",
    "panel_warnings",
    "patient_to_json",
    "pgx_to_json",
    "read_outside_calls",
    "read_patient",
    "spooled_upload",
    "strict_words",
    "sweep_stale_uploads",
]
