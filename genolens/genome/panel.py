"""Variant panels: the ``data/panels/<name>.tsv`` tables, read and checked.

A panel table starts with ``# title: <Human title>``, then a header naming exactly ``COLUMNS``,
then one variant per line (tab-separated; an empty field means unknown). The tables are written by
``data/panels/build_panels.py`` from the verified facts; this module refuses anything malformed,
naming the file, line, column and value, because a silently wrong allele changes a clinical answer.
"""

from __future__ import annotations

import hashlib
import math
import re
from functools import lru_cache
from pathlib import Path

from genolens.datamodel import Locus, Panel, PanelVariant
from genolens.errors import PanelError
from genolens.genome.build import normalise_chrom

PANEL_DIR: Path = Path(__file__).resolve().parents[2] / "data" / "panels"
"""Where the shipped panel tables live (``<project root>/data/panels``)."""

COLUMNS: tuple[str, ...] = (
    "id", "rsid", "gene", "allele_name",
    "chrom_grch38", "pos_grch38", "ref_grch38", "effect_grch38", "other_grch38",
    "chrom_grch37", "pos_grch37", "ref_grch37", "effect_grch37", "other_grch37",
    "evidence", "log_or", "function", "activity_value", "eaf", "source",
)
"""Columns every panel table carries, in file order."""

_TITLE_PREFIX = "# title:"
_CHROMS = frozenset({*(str(i) for i in range(1, 23)), "X", "Y", "MT"})
_ALLELE = re.compile(r"[ACGT]+")
_POSITION = re.compile(r"[0-9]+")
_RSID = re.compile(r"rs[0-9]+")
_FIX = "Fix the table or rebuild it with data/panels/build_panels.py."


class _Row:
    """One data line of a table, with error messages that point at it."""

    def __init__(self, path: Path, lineno: int, fields: dict[str, str]) -> None:
        self.path, self.lineno, self.fields = path, lineno, fields

    def fail(self, column: str, problem: str) -> PanelError:
        value = self.fields.get(column, "")
        return PanelError(f"{self.path}, line {self.lineno}, column '{column}': {problem}, "
                          f"got {value!r}. {_FIX}")

    def text(self, column: str, *, required: bool = False) -> str:
        value = self.fields[column]
        if required and not value:
            raise self.fail(column, "a value is required")
        return value

    def number(self, column: str, *, lo: float = -math.inf, hi: float = math.inf) -> float | None:
        value = self.fields[column]
        if not value:
            return None
        try:
            x = float(value)
        except ValueError:
            raise self.fail(column, "expected a number or an empty field") from None
        if not math.isfinite(x):
            raise self.fail(column, "expected a finite number")
        if not lo <= x <= hi:
            raise self.fail(column, f"expected a number between {lo:g} and {hi:g}")
        return x

    def locus(self, build: str) -> Locus:
        chrom = self.fields[f"chrom_{build}"]
        if chrom not in _CHROMS or normalise_chrom(chrom) != chrom:
            raise self.fail(f"chrom_{build}", "expected a normalised chromosome (1..22, X, Y, MT; no 'chr')")
        pos = self.fields[f"pos_{build}"]
        if not _POSITION.fullmatch(pos) or int(pos) <= 0:
            raise self.fail(f"pos_{build}", "expected a positive whole-number position (1-based)")
        alleles = {}
        for role in ("ref", "effect", "other"):
            col = f"{role}_{build}"
            value = self.fields[col]
            if (value or role != "ref") and not _ALLELE.fullmatch(value):
                raise self.fail(col, "expected bases A/C/G/T only" + (" (or empty if unknown)"
                                                                       if role == "ref" else ""))
            alleles[role] = value
        if alleles["effect"] == alleles["other"]:
            raise self.fail(f"other_{build}", "the other allele must differ from the effect allele")
        if alleles["ref"] and alleles["ref"] not in (alleles["effect"], alleles["other"]):
            raise self.fail(f"ref_{build}", f"REF must be the effect ({alleles['effect']}) or the "
                                            f"other ({alleles['other']}) allele, or empty if unknown")
        return Locus(chrom, int(pos), alleles["ref"], alleles["effect"], alleles["other"])

    def variant(self) -> PanelVariant:
        rsid = self.text("rsid")
        if rsid and not _RSID.fullmatch(rsid):
            raise self.fail("rsid", "expected a dbSNP id like 'rs123' or an empty field")
        return PanelVariant(
            id=self.text("id", required=True),
            rsid=rsid,
            gene=self.text("gene", required=True),
            grch38=self.locus("grch38"),
            grch37=self.locus("grch37"),
            evidence=self.text("evidence", required=True),
            log_or=self.number("log_or"),
            function=self.text("function"),
            activity_value=self.number("activity_value"),
            allele_name=self.text("allele_name"),
            eaf=self.number("eaf", lo=0.0, hi=1.0),
            source=self.text("source", required=True),
        )


def panel_names(*, directory: Path | None = None) -> tuple[str, ...]:
    """Return the names of the panel tables in ``directory`` (default ``PANEL_DIR``), sorted."""
    folder = PANEL_DIR if directory is None else directory
    return tuple(sorted(p.stem for p in folder.glob("*.tsv") if p.is_file()))


def load_panel(name: str, *, directory: Path | None = None) -> Panel:
    """Read and check one panel table.

    Parameters
    ----------
    name
        File stem of the table, e.g. ``"pharmacogenomics"`` for ``pharmacogenomics.tsv``.
    directory
        Folder holding the tables; ``None`` means ``PANEL_DIR``.

    Returns
    -------
    Panel
        The variants in file order; ``sha256`` is the hash of the file's bytes.

    Raises
    ------
    PanelError
        When no table has that name, or the table is malformed: missing or extra columns, a
        duplicate id, a bad chromosome, position, allele or number, or no variants at all.
    """
    folder = PANEL_DIR if directory is None else directory
    names = panel_names(directory=folder)
    if name not in names:
        raise PanelError(f"Panel {name!r} unknown. Choose from: {', '.join(names) or '(none)'} "
                         f"(tables in {folder}).")
    path = folder / f"{name}.tsv"
    # Keyed on the bytes themselves rather than mtime, so an edit within one clock tick is never
    # served stale; reading a few kilobytes is far cheaper than parsing them.
    return _parse(path, path.read_bytes())


def load_panels(*, directory: Path | None = None) -> tuple[Panel, ...]:
    """Read and check every panel table in ``directory`` (default ``PANEL_DIR``), sorted by name.

    Raises
    ------
    PanelError
        When the folder holds no ``*.tsv`` table, or any table is malformed.
    """
    folder = PANEL_DIR if directory is None else directory
    names = panel_names(directory=folder)
    if not names:
        raise PanelError(f"No panel tables (*.tsv) in {folder}. Run data/panels/build_panels.py.")
    return tuple(load_panel(n, directory=folder) for n in names)


@lru_cache(maxsize=32)
def _parse(path: Path, data: bytes) -> Panel:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PanelError(f"{path}: not UTF-8 text (byte {exc.start}). {_FIX}") from None
    # Split on "\n" only (not str.splitlines) so line numbers match what an editor shows.
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if not lines or not lines[0].startswith(_TITLE_PREFIX) or not lines[0][len(_TITLE_PREFIX):].strip():
        first = lines[0] if lines else ""
        raise PanelError(f"{path}, line 1: expected '# title: <Human title>', got {first!r}. {_FIX}")
    title = lines[0][len(_TITLE_PREFIX):].strip()
    header = lines[1].split("\t") if len(lines) > 1 else []
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    repeated = sorted({c for c in header if header.count(c) > 1})
    if missing or extra or repeated:
        parts = [f"{label}: {', '.join(cols)}" for label, cols in
                 (("missing columns", missing), ("unexpected columns", extra),
                  ("repeated columns", repeated)) if cols]
        raise PanelError(f"{path}, line 2 (header): {'; '.join(parts)}. "
                         f"Expected exactly: {', '.join(COLUMNS)}. {_FIX}")
    variants: list[PanelVariant] = []
    first_seen: dict[str, int] = {}
    for lineno, line in enumerate(lines[2:], start=3):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != len(header):
            raise PanelError(f"{path}, line {lineno}: {len(fields)} tab-separated fields, "
                             f"the header has {len(header)}. {_FIX}")
        row = _Row(path, lineno, dict(zip(header, fields, strict=True)))
        variant = row.variant()
        if variant.id in first_seen:
            raise row.fail("id", f"duplicate id (first on line {first_seen[variant.id]})")
        first_seen[variant.id] = lineno
        variants.append(variant)
    if not variants:
        raise PanelError(f"{path}: the panel has no variants. Add rows or remove the file. {_FIX}")
    return Panel(path.stem, title, tuple(variants), hashlib.sha256(data).hexdigest())
