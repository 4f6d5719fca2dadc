"""Outside calls: gene results made by another test (CYP2D6 genotyping, HLA typing, a G6PD enzyme assay), read
from PharmCAT's outside-call TSV format.

PharmCAT cannot call CYP2D6 (copy number, hybrid alleles) or HLA types from an SNV VCF and takes them from
an *outside call* file instead; a call given there replaces the VCF-based call for that gene. The format
(PharmCAT "Outside Call Format", pharmcat.org/using/Outside-Call-Format, PharmCAT 2.x-3.x): tab-separated,
one line per gene, lines starting with ``#`` ignored; up to four fields: HGNC gene symbol, diplotype or
single allele, phenotype, activity score (the gene and at least one of the others).

When only a diplotype is given, the phenotype is derived here for the genes whose rule this module knows:
CYP2D6 (allele activity values summed, CPIC's 2019 consensus translation: AS 0 Poor, 0.25-1 Intermediate,
1.25-2.25 Normal, above 2.25 Ultrarapid Metabolizer; values from PyPGx ``allele-table.csv``), HLA-A/HLA-B
(positivity for the alleles the guidelines read) and MT-RNR1 (the CPIC 2021 increased-risk variants). The
genes GenoLens calls from the panel get their phenotype from the panel's allele table at
:func:`genolens.genome.pgx.call_pgx`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from genolens.errors import OutsideCallError

PANEL_GENES = ("CYP2C19", "CYP2C9", "VKORC1", "SLCO1B1", "TPMT", "NUDT15", "DPYD", "CYP3A5", "UGT1A1", "G6PD")
"""Genes GenoLens also calls from the VCF; an outside call replaces that call."""
OUTSIDE_GENES = ("CYP2D6", "HLA-A", "HLA-B", "MT-RNR1")
"""Genes GenoLens does not call from a VCF (as PharmCAT): only an outside call gives a result."""
KNOWN_GENES = (*PANEL_GENES, *OUTSIDE_GENES)

HLA_ALLELES: Mapping[str, tuple[str, ...]] = {"HLA-A": ("*31:01",), "HLA-B": ("*15:02", "*57:01", "*58:01")}
"""The HLA alleles CPIC guidelines read (abacavir *57:01, allopurinol *58:01, carbamazepine *15:02/A*31:01)."""

CYP2D6_ACTIVITY: Mapping[str, float] = {
    "*1": 1, "*2": 1, "*3": 0, "*4": 0, "*5": 0, "*6": 0, "*7": 0, "*8": 0, "*9": 0.5, "*10": 0.25, "*11": 0,
    "*12": 0, "*13": 0, "*14": 0.5, "*15": 0, "*17": 0.5, "*18": 0, "*19": 0, "*20": 0, "*21": 0, "*29": 0.5,
    "*31": 0, "*33": 1, "*34": 1, "*35": 1, "*36": 0, "*38": 0, "*39": 1, "*40": 0, "*41": 0.5, "*42": 0,
    "*44": 0, "*45": 1, "*46": 1, "*47": 0, "*48": 1, "*49": 0.5, "*50": 0.5, "*51": 0, "*53": 1, "*54": 0.5,
    "*55": 0.5, "*56": 0, "*57": 0, "*59": 0.5, "*60": 0, "*62": 0, "*68": 0, "*69": 0, "*81": 0, "*92": 0,
    "*96": 0, "*99": 0, "*100": 0, "*101": 0, "*114": 0, "*120": 0, "*124": 0, "*129": 0, "*143": 0,
}
"""CYP2D6 allele activity values (CPIC), from PyPGx ``allele-table.csv`` (the alleles with a value; the others
are of uncertain/unknown function and need the phenotype written in the file)."""

MT_RNR1_INCREASED_RISK = ("1555A>G", "1494C>T", "1095T>C")
"""MT-RNR1 variants CPIC 2021 (McDermott et al.) lists as increased risk of aminoglycoside-induced hearing loss."""

_MET = {"Poor Metabolizer", "Intermediate Metabolizer", "Normal Metabolizer", "Ultrarapid Metabolizer"}
_DUP = re.compile(r"^(\*\d+)(?:x(\d+|N))?$")


@dataclass(frozen=True)
class OutsideCall:
    """One gene's result from another test, as PharmCAT's outside-call file gives it."""

    gene: str
    """HGNC symbol (``"CYP2D6"``, ``"HLA-B"``)."""
    diplotype: str
    """As written (``"*1/*3"``, ``"*15:02/*57:01"``, ``"1555A>G"``); ``""`` when only a phenotype was given."""
    phenotype: str
    """As written, or derived from the diplotype (``"Intermediate Metabolizer"``, ``"*57:01 positive"``)."""
    activity_score: float | None
    """As written, or the sum of the allele values (CYP2D6); ``None`` for genes without a score."""


def cyp2d6_phenotype(score: float) -> str:
    """The CYP2D6 phenotype of an activity score (CPIC 2019 consensus, used by CPIC codeine 2021)."""
    if score == 0:
        return "Poor Metabolizer"
    if score <= 1:
        return "Intermediate Metabolizer"
    return "Normal Metabolizer" if score <= 2.25 else "Ultrarapid Metabolizer"


def _cyp2d6_score(diplotype: str, where: str) -> float:
    total = 0.0
    for allele in diplotype.split("/"):
        m = _DUP.match(allele.strip())
        if m is None or m.group(1) not in CYP2D6_ACTIVITY:
            raise OutsideCallError(f"{where}: CYP2D6 allele {allele.strip()!r} has no activity value here (known: "
                                   "*1, *2, *3, *4, *5, *6, *9, *10, *17, *41, ... with xN for copies); write the "
                                   "phenotype and activity score in columns 3 and 4.")
        copies = m.group(2)
        if copies == "N":
            raise OutsideCallError(f"{where}: CYP2D6 {allele.strip()!r} does not say how many copies; write the "
                                   "number (e.g. *1x2) or give the phenotype and activity score in columns 3 and 4.")
        total += CYP2D6_ACTIVITY[m.group(1)] * (int(copies) if copies else 1)
    return total


def hla_phenotype(gene: str, diplotype: str) -> str:
    """Positivity for each allele the guidelines read (``"*57:01 positive; *58:01 negative"``)."""
    alleles = {a.strip().removeprefix(gene) for a in diplotype.split("/")}
    return "; ".join(f"{a} {'positive' if a in alleles else 'negative'}" for a in HLA_ALLELES[gene])


def _derive(gene: str, diplotype: str, where: str) -> tuple[str, float | None]:
    """(phenotype, activity score) of a diplotype for the genes this module knows; ``("", None)`` otherwise."""
    if gene == "CYP2D6":
        if diplotype.count("/") != 1:
            raise OutsideCallError(f"{where}: CYP2D6 diplotype {diplotype!r} must be two alleles as A/B (e.g. "
                                   "*1/*4, *1x2/*4).")
        score = _cyp2d6_score(diplotype, where)
        return cyp2d6_phenotype(score), score
    if gene in HLA_ALLELES:
        if not re.fullmatch(r"(\*\d{2}:\d{2}(:\d{2})*)(/\*\d{2}:\d{2}(:\d{2})*)?", diplotype.replace(gene, "")):
            raise OutsideCallError(f"{where}: {gene} result {diplotype!r} is not written as alleles like "
                                   "*57:01/*15:02 (two-field HLA names, one or two).")
        return hla_phenotype(gene, diplotype.replace(gene, "")), None
    if gene == "MT-RNR1":
        variant = diplotype.removeprefix("m.")
        if variant in MT_RNR1_INCREASED_RISK:
            return "increased risk of aminoglycoside-induced hearing loss", None
        raise OutsideCallError(f"{where}: MT-RNR1 variant {diplotype!r} is not one this tool can classify "
                               f"({', '.join(MT_RNR1_INCREASED_RISK)}); write the phenotype in column 3.")
    return "", None


def _score(text: str, where: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise OutsideCallError(f"{where}: activity score {text!r} is not a number; write it as 1.0 or leave the "
                               "fourth column empty.") from None
    if not 0 <= value <= 10:
        raise OutsideCallError(f"{where}: activity score {value:g} is out of range (0 to 10).")
    return value


def _line(fields: list[str], where: str) -> OutsideCall:
    if len(fields) > 4:
        raise OutsideCallError(f"{where}: {len(fields)} tab-separated fields; the format has at most 4 (gene, "
                               "diplotype, phenotype, activity score). Check for extra tabs.")
    gene, diplotype, phenotype, score_text = (*fields, "", "", "")[:4]
    if gene not in KNOWN_GENES:
        raise OutsideCallError(f"{where}: gene {gene!r} is not one GenoLens reads; genes: {', '.join(KNOWN_GENES)}. "
                               "Remove the line or correct the gene symbol (HGNC, e.g. CYP2D6).")
    if not (diplotype or phenotype or score_text):
        raise OutsideCallError(f"{where}: {gene} has no result; give a diplotype (column 2), a phenotype "
                               "(column 3) or an activity score (column 4), separated by tabs.")
    score = _score(score_text, where)
    if gene == "CYP2D6" and score is not None:  # PharmCAT: a given activity score trumps the other values
        return OutsideCall(gene, diplotype, cyp2d6_phenotype(score), score)
    if gene == "CYP2D6" and phenotype and phenotype not in _MET:
        raise OutsideCallError(f"{where}: CYP2D6 phenotype {phenotype!r} is not one of {', '.join(sorted(_MET))}.")
    derived, derived_score = _derive(gene, diplotype, where) if diplotype and not phenotype else ("", None)
    return OutsideCall(gene, diplotype, phenotype or derived, score if score is not None else derived_score)


def read_outside_calls(text: str) -> dict[str, OutsideCall]:
    """Read a PharmCAT outside-call file.

    Parameters
    ----------
    text
        The file's text: one gene per line, fields separated by tabs (gene, diplotype, phenotype, activity
        score; the last three may be empty but not all of them); ``#`` lines and blank lines are skipped.

    Returns
    -------
    dict[str, OutsideCall]
        One call per gene, in file order.

    Raises
    ------
    OutsideCallError
        For an unknown gene, a gene given twice, too many fields, a result that cannot be read, or a
        diplotype whose phenotype cannot be derived when no phenotype is written; the message names the line.
    """
    calls: dict[str, OutsideCall] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"Outside calls, line {number}"
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) == 1 and " " in line.strip():
            raise OutsideCallError(f"{where}: {line.strip()!r} has no tab; separate the gene and the diplotype "
                                   "with a tab (PharmCAT outside-call format).")
        call = _line(fields, where)
        if call.gene in calls:
            raise OutsideCallError(f"{where}: {call.gene} is given a second time; keep one line per gene.")
        calls[call.gene] = call
    return calls
