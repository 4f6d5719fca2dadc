"""Build the PharmCAT allele definitions GenoLens calls star alleles from, and the panel of their positions.

Reads PharmCAT's ``<GENE>_translation.json`` (allele definitions, GRCh38 VCF positions and alleles) and
``<GENE>_phenotype.json`` (allele function / activity value, diplotype -> phenotype) from ``--pharmcat``
(default ``../shared/facts/sources/pharmcat``, PharmGKB/PharmCAT@5431bf1, data version 2025-11-05), and
PyPGx's ``variant-table.csv`` (``--pypgx``) for the GRCh37 positions and reference bases. Writes:

- ``data/pgx/pharmcat_alleles.tsv``: one ``position`` line per defining position, one ``allele`` line per
  named allele (its VCF allele at each position, ``.`` where PharmCAT leaves it unspecified), one
  ``phenotype`` line per function pair (or activity score) with PharmCAT's phenotype for it;
- ``data/panels/pharmcat_positions.tsv``: a panel table with one row per (position, ALT), so that the read
  path reads every defining position.

GRCh37: the position and REF come from PyPGx where it lists the GRCh38 position; elsewhere the gene's
GRCh38-GRCh37 offset is used, and only when every PyPGx row of the gene has that one offset (checked; the
build fails otherwise); REF is then left empty (unknown). Every function-pair -> phenotype mapping is checked
to be the same for every PharmCAT diplotype that has it (the build fails otherwise). Standard library only,
deterministic. Run from the project root::

    python data/pgx/build_pharmcat_alleles.py [--pharmcat DIR] [--pypgx FILE] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
GENES = ("CYP2C19", "CYP2C9", "CYP3A5", "TPMT", "NUDT15", "DPYD", "SLCO1B1", "UGT1A1", "VKORC1")
SCORED = ("CYP2C9", "DPYD")
SOURCE = "PharmGKB/PharmCAT@5431bf1 (data 2025-11-05-00-25)"
PANEL_COLUMNS = (
    "id", "rsid", "gene", "allele_name",
    "chrom_grch38", "pos_grch38", "ref_grch38", "effect_grch38", "other_grch38",
    "chrom_grch37", "pos_grch37", "ref_grch37", "effect_grch37", "other_grch37",
    "evidence", "log_or", "function", "activity_value", "eaf", "source",
)


class BuildError(Exception):
    """The sources disagree with what this table assumes; the message names the row."""


def _pypgx(path: Path) -> dict[str, list[dict[str, str]]]:
    rows: dict[str, list[dict[str, str]]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["GRCh37Position"].isdigit() and r["GRCh38Position"].isdigit():
                rows.setdefault(r["Gene"], []).append(r)
    return rows


def _key(gene: str, names: list[str], function: dict[str, str]) -> str:
    if gene in SCORED:
        values = [function[n] for n in names]
        return "n/a" if "n/a" in values else f"{sum(float(v) for v in values):g}"
    return "|".join(sorted(function[n] for n in names))


def build(pharmcat: Path, pypgx: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Return (lines of pharmcat_alleles.tsv, rows of the positions panel)."""
    ppx = _pypgx(pypgx)
    lines = [f"# PharmCAT allele definitions for GenoLens, derived from {SOURCE}",
             "# src/main/resources/org/pharmgkb/pharmcat/definition/alleles/<GENE>_translation.json and",
             "# phenotype/<GENE>.json; GRCh37 from PyPGx variant-table.csv (sbslee/pypgx@fa6b9f7) or the gene's",
             "# checked GRCh38-GRCh37 offset. Written by data/pgx/build_pharmcat_alleles.py; do not edit.",
             "# position: gene index chrom pos_grch38 pos_grch37 ref_grch37 rsid ref alts",
             "# allele: gene name reference(1/0) function-key alleles(';'-joined, '.' = unspecified)",
             "# phenotype: gene key phenotype (key: sorted function pair 'a|b', or the activity score)"]
    panel: list[dict[str, str]] = []
    for gene in GENES:
        t = json.loads((pharmcat / f"{gene}_translation.json").read_text(encoding="utf-8"))
        p = json.loads((pharmcat / f"{gene}_phenotype.json").read_text(encoding="utf-8"))
        chrom = t["chromosome"].removeprefix("chr")
        by38 = {int(r["GRCh38Position"]): r for r in ppx.get(gene, [])}
        offsets = {int(r["GRCh38Position"]) - int(r["GRCh37Position"]) for r in ppx.get(gene, [])}
        if len(offsets) != 1:
            raise BuildError(f"{gene}: PyPGx rows give {len(offsets)} GRCh38-GRCh37 offsets; cannot lift positions")
        offset = offsets.pop()
        for i, v in enumerate(t["variants"]):
            pos38, ref, alts = int(v["position"]), v["ref"], list(v["alts"])
            row = by38.get(pos38)
            pos37 = int(row["GRCh37Position"]) if row else pos38 - offset
            if row and pos38 - pos37 != offset:
                raise BuildError(f"{gene} {pos38}: PyPGx GRCh37 position {pos37} breaks the gene's offset")
            ref37 = row["GRCh37Allele"] if row and len(ref) == 1 and row["GRCh38Allele"] == ref else ""
            if ref37 and ref37 not in (ref, *alts):
                ref37 = ""
            rsid = v["rsid"] or ""
            lines.append("\t".join(("position", gene, str(i), chrom, str(pos38), str(pos37), ref37, rsid, ref,
                                    ",".join(alts))))
            for alt in alts:
                panel.append({
                    "id": f"{chrom}:{pos38}:{ref}:{alt}", "rsid": rsid, "gene": gene, "allele_name": "",
                    "chrom_grch38": chrom, "pos_grch38": str(pos38), "ref_grch38": ref,
                    "effect_grch38": alt, "other_grch38": ref,
                    "chrom_grch37": chrom, "pos_grch37": str(pos37),
                    "ref_grch37": ref37 if ref37 in (ref, alt) else "", "effect_grch37": alt, "other_grch37": ref,
                    "evidence": f"PharmCAT allele-defining position ({gene})", "log_or": "", "function": "",
                    "activity_value": "", "eaf": "", "source": f"{SOURCE} definition/alleles/{gene}_translation.json"
                                                            + ("; GRCh37: PyPGx variant-table.csv" if row else
                                                               f"; GRCh37: gene offset {offset}"),
                })
        function: dict[str, str] = dict(p["haplotypes"])
        for a in t["namedAlleles"]:
            if a["structuralVariant"]:
                continue
            function.setdefault(a["name"], "n/a")  # named, but PharmCAT gives it no function: Indeterminate
            cells = [x if x is not None else "." for x in a["alleles"]]
            lines.append("\t".join(("allele", gene, a["name"], "1" if a["reference"] else "0", function[a["name"]],
                                    ";".join(cells))))
        table: dict[str, str] = {}
        for d in p["diplotypes"]:
            names = [n for n, k in d["diplotypekey"].items() for _ in range(k)]
            if len(names) != 2 or any(n not in function for n in names):
                continue
            key = _key(gene, names, function)
            if table.setdefault(key, d["generesult"]) != d["generesult"]:
                raise BuildError(f"{gene}: key {key} gives {table[key]} and {d['generesult']}")
        lines += ["\t".join(("phenotype", gene, k, v)) for k, v in sorted(table.items())]
    return lines, panel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    facts = ROOT.parent / "shared" / "facts" / "sources"
    parser.add_argument("--pharmcat", type=Path, default=facts / "pharmcat")
    parser.add_argument("--pypgx", type=Path, default=facts / "pypgx" / "variant-table.csv")
    parser.add_argument("--out", type=Path, default=None, help="write both files to this folder instead")
    args = parser.parse_args(argv)
    try:
        lines, panel = build(args.pharmcat, args.pypgx)
    except (BuildError, OSError, KeyError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    alleles_dir = args.out or HERE
    panel_dir = args.out or ROOT / "data" / "panels"
    (alleles_dir / "pharmcat_alleles.tsv").write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    out = ["# title: PharmCAT allele-defining positions (PGx genes)", "\t".join(PANEL_COLUMNS)]
    out += ["\t".join(r[c] for c in PANEL_COLUMNS) for r in panel]
    (panel_dir / "pharmcat_positions.tsv").write_bytes(("\n".join(out) + "\n").encode("utf-8"))
    print(f"wrote pharmcat_alleles.tsv ({len(lines)} lines) and pharmcat_positions.tsv ({len(panel)} sites)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
