"""PharmCAT's allele definitions for the genes GenoLens calls from them, read once.

``data/pgx/pharmcat_alleles.tsv`` (written by ``data/pgx/build_pharmcat_alleles.py`` from PharmGKB/PharmCAT@5431bf1,
data 2025-11-05) holds, per gene, PharmCAT's defining positions, its named alleles (the VCF allele each specifies at
each position, ``.`` where it leaves one unspecified) and its phenotype table (function pair or activity score ->
phenotype). :mod:`genolens.genome.pgx` matches diplotypes against them; :mod:`genolens.genome.dpyd` calls DPYD.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from genolens.errors import PanelError

DEFINITIONS_PATH: Path = Path(__file__).resolve().parents[2] / "data" / "pgx" / "pharmcat_alleles.tsv"
"""PharmCAT's allele definitions for the genes in ``PHARMCAT_GENES`` (written by
``data/pgx/build_pharmcat_alleles.py`` from PharmCAT@5431bf1, data 2025-11-05)."""
PHARMCAT_GENES = ("CYP2C19", "CYP2C9", "VKORC1", "SLCO1B1", "TPMT", "NUDT15", "DPYD", "CYP3A5", "UGT1A1")
"""Genes called from PharmCAT's allele definitions, in report order."""
_IUPAC = {"R": "AG", "Y": "CT", "S": "GC", "W": "AT", "K": "GT", "M": "AC", "B": "CGT", "D": "AGT", "H": "ACT",
          "V": "ACG", "N": "ACGT"}


@dataclass(frozen=True)
class Position:
    """One PharmCAT defining position of a gene."""

    chrom: str
    pos38: int
    pos37: int
    rsid: str
    ref: str
    alts: tuple[str, ...]

    def ids(self) -> tuple[str, ...]:
        return tuple(f"{self.chrom}:{self.pos38}:{self.ref}:{a}" for a in self.alts)

    def label(self) -> str:
        return self.rsid or f"chr{self.chrom}:{self.pos38}"


@dataclass(frozen=True)
class NamedAllele:
    """One PharmCAT named allele (``"*2"``, ``"c.1905+1G>A (*2A)"``, ``"Reference"``)."""

    name: str
    reference: bool
    key: str
    """Function (or activity value for scored genes) as PharmCAT's phenotype table names it."""
    cells: tuple[str | None, ...]
    """VCF allele at each position; ``None`` where PharmCAT leaves it unspecified (matches anything)."""


@dataclass(frozen=True)
class Definition:
    """A gene's PharmCAT definition: positions in gene order, alleles (the reference first) and phenotypes."""

    gene: str
    positions: tuple[Position, ...]
    alleles: tuple[NamedAllele, ...]
    phenotypes: Mapping[str, str]

    def phenotype(self, a: NamedAllele, b: NamedAllele) -> str:
        return self.phenotypes.get(self.key(a, b), "Indeterminate")

    def key(self, a: NamedAllele, b: NamedAllele) -> str:
        if self.gene in SCORED_GENES:
            if "n/a" in (a.key, b.key):
                return "n/a"
            return f"{float(a.key) + float(b.key):g}"
        return "|".join(sorted((a.key, b.key)))

    def read_as_known(self, a: NamedAllele, b: NamedAllele) -> list[str]:
        """Phenotypes of ``a/b`` with each allele of unknown function read as normal, then as decreased
        function; ``[]`` when that does not say anything (scored genes, or both alleles known)."""
        if self.gene in SCORED_GENES or (self.function_known(a) and self.function_known(b)):
            return []
        out = []
        for f in ("Normal function", "Decreased function"):
            x, y = (n if self.function_known(n) else replace(n, key=f) for n in (a, b))
            if self.key(x, y) in self.phenotypes and self.phenotype(x, y) != "Indeterminate":
                out.append(self.phenotype(x, y))
        return out

    @staticmethod
    def function_known(a: NamedAllele) -> bool:
        return a.key not in ("n/a", "Unknown function", "Uncertain function")

    def score(self, a: NamedAllele, b: NamedAllele) -> float | None:
        if self.gene not in SCORED_GENES or "n/a" in (a.key, b.key):
            return None
        return float(a.key) + float(b.key)


SCORED_GENES = ("CYP2C9", "DPYD")


@lru_cache(maxsize=4)
def load_definitions(path: Path = DEFINITIONS_PATH) -> dict[str, Definition]:
    """Read PharmCAT's allele definitions (``data/pgx/pharmcat_alleles.tsv``), by gene.

    Raises
    ------
    PanelError
        When the file is missing or a line is malformed (naming the line).
    """
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except OSError as exc:
        raise PanelError(f"{path}: cannot read the PharmCAT allele definitions ({exc.strerror}); "
                         "run data/pgx/build_pharmcat_alleles.py.") from None
    pos: dict[str, list[Position]] = {}
    alleles: dict[str, list[NamedAllele]] = {}
    phen: dict[str, dict[str, str]] = {}
    for n, line in enumerate(lines, start=1):
        if not line or line.startswith("#"):
            continue
        f = line.split("\t")
        try:
            if f[0] == "position" and len(f) == 10:
                pos.setdefault(f[1], []).append(Position(f[3], int(f[4]), int(f[5]), f[7], f[8],
                                                          tuple(f[9].split(","))))
            elif f[0] == "allele" and len(f) == 6:
                cells = tuple(None if c == "." else c for c in f[5].split(";"))
                alleles.setdefault(f[1], []).append(NamedAllele(f[2], f[3] == "1", f[4], cells))
            elif f[0] == "phenotype" and len(f) == 4:
                phen.setdefault(f[1], {})[f[2]] = f[3]
            else:
                raise ValueError(f[0])
        except (ValueError, IndexError):
            raise PanelError(f"{path}, line {n}: malformed {f[0]!r} line; rebuild it with "
                             "data/pgx/build_pharmcat_alleles.py.") from None
    out = {}
    for gene in PHARMCAT_GENES:
        ps, al = tuple(pos.get(gene, ())), tuple(alleles.get(gene, ()))
        if not ps or not al or any(len(a.cells) != len(ps) for a in al):
            raise PanelError(f"{path}: the definitions of {gene} are missing or do not fit its positions; "
                             "rebuild the file with data/pgx/build_pharmcat_alleles.py.")
        out[gene] = Definition(gene, ps, al, phen.get(gene, {}))
    return out


def natural_key(name: str) -> list[str | int]:
    """Sort key reading the numbers in an allele name as numbers (``*4`` before ``*17``)."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def fits_cell(cell: str | None, allele: str) -> bool:
    """True when a VCF allele fits an allele's cell (``None`` fits anything; IUPAC codes allowed)."""
    if cell is None:
        return True
    if len(cell) == 1 and cell in _IUPAC:
        return allele in _IUPAC[cell]
    return cell == allele
