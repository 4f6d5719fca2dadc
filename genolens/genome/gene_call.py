"""What the pharmacogenomic callers return: one gene's guideline call, and one sample's report."""

from __future__ import annotations

from dataclasses import dataclass

from genolens.datamodel import Build


@dataclass(frozen=True)
class GeneCall:
    """The guideline phenotype of one gene for one sample."""

    gene: str
    """Gene symbol (``"CYP2C19"``; ``"HLA-B"`` for the HLA-B*57:01 tag SNP)."""
    diplotypes: tuple[str, ...]
    """Every diplotype that fits the calls (``"*1/*3A"``), most often one; ``()`` when none can be named."""
    phenotype: str
    """PharmCAT wording (``"Poor Metabolizer"``, ``"-1639 AG"``); ``"Indeterminate"`` when a missing
    position could change it; ``"A or B"`` when only phasing is missing."""
    activity_score: float | None
    """Sum of the two allele activity values (CYP2C9, DPYD); ``None`` for other genes or when it is not unique."""
    missing_positions: tuple[str, ...]
    """rsIDs of defining positions whose status is not ``called``/``reference_block``, in gene order."""
    note: str
    """What was tested, what is missing and why the answer is what it is, in words."""
    possible_phenotypes: tuple[str, ...] = ()
    """When the gene cannot be called exactly: every phenotype it could have (``Indeterminate`` left out);
    ``()`` when the call is exact or nothing can be said."""
    uncertainty: str = ""
    """Why the call is not exact, in one sentence (``"Not called: rs3918290"``, ``"UGT1A1 *80 alone is of
    unknown function ..."``); ``""`` when it is exact."""
    outside_call: bool = False
    """True when the call comes from an outside result (another test, given as a PharmCAT outside call), which
    replaces the VCF-based call for this gene."""
    untested_alleles: tuple[str, ...] = ()
    """PharmCAT alleles that could not be tested: every position defining them is missing from the file."""
    policy: str = "pharmcat"
    """The missing-position policy ``phenotype`` follows: ``"pharmcat"`` (call from the positions present, as
    PharmCAT does) or ``"strict"`` (``Indeterminate`` whenever a defining position is missing)."""
    pharmcat_diplotypes: tuple[str, ...] = ()
    """PharmCAT's top-scoring diplotypes (what its report prints), a subset of ``diplotypes``; ``()`` when
    none, and for genes PharmCAT does not define here."""
    pharmcat_phenotype: str = ""
    """The phenotype under PharmCAT's policy, shown beside a strict result; ``""`` for genes PharmCAT does not
    define here (G6PD, the HLA-B tag) and for outside calls."""
    alleles_found: bool = False
    """True when ``diplotypes`` lists the alleles found, not diplotypes: DPYD of unknown phase, as PharmCAT reports
    it (``("c.1627A>G (*5)", "c.1905+1G>A (*2A)")``, ``"c.2933A>G (homozygous)"`` on both copies)."""
    lowest_function: tuple[str, ...] = ()
    """DPYD (PharmCAT's lowest-function rule): the two alleles ``activity_score`` sums: the lowest-function allele
    of each copy in diplotype order, or, when phase is unknown, the two lowest-function alleles found, lowest
    first; ``()`` for other genes and when none."""


@dataclass(frozen=True)
class PgxReport:
    """Guideline phenotypes of one sample, one entry per covered gene."""

    sample: str
    """The sample the calls belong to."""
    build: Build
    """The file's build (decides which allele is the reference at each position)."""
    genes: tuple[GeneCall, ...]
    """One call per gene: ``GENES`` order, then the genes only an outside call gives (``OUTSIDE_ONLY``, then
    any other outside call)."""

    def gene(self, name: str) -> GeneCall:
        """Return the call for gene ``name``; raises ``KeyError`` naming the genes covered."""
        for g in self.genes:
            if g.gene == name:
                return g
        raise KeyError(f"{name!r} is not covered; genes: {', '.join(g.gene for g in self.genes)}")
