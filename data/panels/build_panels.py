"""Build the panel tables in this folder from the verified facts tables.

Reads ``pgx_variants.tsv``, ``risk_loci.tsv`` and ``prs313_breast_cancer.tsv`` from ``--facts``
(default ``../shared/facts`` beside the project root) and writes ``pharmacogenomics.tsv``, ``breast_cancer.tsv``,
``coronary_artery_disease.tsv`` and ``type_2_diabetes.tsv``. The breast-cancer table holds the 313
variants of PGS000004 (Mavaddat 2019; ``log_or`` from that score), then the PRS77 (PGS000001) variants
that PRS313 does not contain (only 15 of the 77 are at a PRS313 position; ``log_or`` from PGS000001),
then the high/moderate-penetrance variants. Every PRS77 row's evidence carries its PGS000001 log-OR
per allele, which the cohort simulator uses as the causal effect. Standard library only, deterministic:
the same facts give byte-identical tables (and so the same panel hashes). Rows without a position
are left out and listed on stdout with the reason.

REF bases the facts do not give (the GWAS and PRS rows) come from ``--refs`` (default
``data/refs/ref_alleles.tsv``): one row per build and variant with its public source. A REF fact that
names no panel row, disagrees with another REF fact or with a REF the facts give, or sits at a panel
position where neither of the row's alleles can be the genome's sequence, stops the build. Rows without
a REF fact keep an empty REF and are counted on stdout.

Run from the project root::

    python data/panels/build_panels.py [--facts DIR] [--out DIR] [--refs FILE]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent.parent

COLUMNS = (
    "id", "rsid", "gene", "allele_name",
    "chrom_grch38", "pos_grch38", "ref_grch38", "effect_grch38", "other_grch38",
    "chrom_grch37", "pos_grch37", "ref_grch37", "effect_grch37", "other_grch37",
    "evidence", "log_or", "function", "activity_value", "eaf", "source",
)

TITLES = {
    "pharmacogenomics": "Pharmacogenomics (CPIC genes)",
    "breast_cancer": "Breast cancer (PRS313, PRS77 and high/moderate-penetrance variants)",
    "coronary_artery_disease": "Coronary artery disease (GWAS lead SNPs)",
    "type_2_diabetes": "Type 2 diabetes (GWAS lead SNPs)",
}

# Panel name -> the risk_loci.tsv traits it takes, in file order.
RISK_TRAITS = {
    "breast_cancer": ("breast cancer", "breast/ovarian cancer (high/moderate penetrance)"),
    "coronary_artery_disease": ("coronary artery disease",),
    "type_2_diabetes": ("type 2 diabetes",),
}

_CHROMS = {str(i) for i in range(1, 23)} | {"X", "Y", "MT"}
_ALLELE = re.compile(r"^[ACGT]+$")
_VCF_NOTE = re.compile(r"VCF \(GRCh38\): REF ([ACGT]+) ALT ([ACGT]+)")
_PATHOGENIC = re.compile(r"^(\w+) \((c\.\S+) \(p\.[^)]*\); legacy ([^)]+)\)$")
_PENETRANCE = re.compile(r"^(high/moderate|high|moderate)\b")

Row = dict[str, str]


class FactsError(Exception):
    """A facts row does not fit the rules; the message names the row."""


def chrom(name: str, where: str) -> str:
    """Normalise ``chr1``/``1``/``chrM`` to ``1``/``MT`` (mirrors genolens.genome.build)."""
    core = name.strip()
    core = core[3:] if core.lower().startswith("chr") else core
    core = "MT" if core.upper() in ("M", "MT") else core.upper()
    core = str(int(core)) if core.isdigit() else core
    if core not in _CHROMS:
        raise FactsError(f"{where}: chromosome {name!r} is not 1..22, X, Y or MT")
    return core


def allele(value: str, where: str) -> str:
    if not _ALLELE.match(value):
        raise FactsError(f"{where}: allele {value!r} is not A/C/G/T")
    return value


def number(value: str) -> str:
    """``0.0`` -> ``0``, ``0.25`` -> ``0.25``; empty stays empty."""
    return f"{float(value):g}" if value.strip() else ""


def out_row(
    r: Row, *, gene: str, allele_name: str, refs: tuple[str, str], effect: str, other: str,
    evidence: str, log_or: str, function: str, activity_value: str, eaf: str, where: str,
) -> Row:
    c38 = chrom(r["grch38_chrom"], where)
    c37 = chrom(r["grch37_chrom"], where)
    effect, other = allele(effect, where), allele(other, where)
    if effect == other:
        raise FactsError(f"{where}: effect allele equals other allele ({effect})")
    for ref in refs:
        if ref and ref not in (effect, other):
            raise FactsError(f"{where}: REF {ref!r} is neither effect {effect!r} nor other {other!r}")
    rsid = r["rsid"].strip()
    row = {
        "id": rsid or f"{c38}:{r['grch38_pos']}:{other}:{effect}",
        "rsid": rsid, "gene": gene, "allele_name": allele_name,
        "chrom_grch38": c38, "pos_grch38": str(int(r["grch38_pos"])), "ref_grch38": refs[0],
        "effect_grch38": effect, "other_grch38": other,
        "chrom_grch37": c37, "pos_grch37": str(int(r["grch37_pos"])), "ref_grch37": refs[1],
        "effect_grch37": effect, "other_grch37": other,
        "evidence": evidence, "log_or": log_or, "function": function,
        "activity_value": activity_value, "eaf": eaf, "source": r["source"].strip(),
    }
    for k, v in row.items():
        if "\t" in v or "\n" in v or "\r" in v:
            raise FactsError(f"{where}: column {k} holds a tab or newline")
    return row


def pgx_row(r: Row) -> Row:
    """Effect = the variant allele the row describes (GRCh38 ALT), the same base on both builds."""
    where = f"pgx_variants.tsv {r['rsid']}"
    effect, other = r["alt"], r["ref"]
    ref37 = r["ref_grch37"]
    if ref37 and {ref37, r["alt_grch37"]} != {effect, other}:
        raise FactsError(f"{where}: GRCh37 REF/ALT {ref37}/{r['alt_grch37']} are not the GRCh38 pair")
    av = number(r["activity_value"])
    function = r["allele_function"].strip()
    return out_row(
        r, gene=r["gene"], allele_name=r["allele_name"], refs=(r["ref"], ref37),
        effect=effect, other=other,
        evidence=f"{function} (activity value {av})" if av else function,
        log_or="", function=function, activity_value=av, eaf="", where=where,
    )


def gwas_row(r: Row) -> Row:
    """A GWAS SNP: REF is not known from the facts, so it stays empty on both builds."""
    where = f"risk_loci.tsv {r['rsid']}"
    src = r["effect_size_source"]
    pgs = re.search(r"PGS\d{6}", src)
    if pgs:  # "Mavaddat N et al. JNCI 2015 ... PGS000001" -> "PGS000001, Mavaddat 2015"
        year = re.search(r"\b(19|20)\d\d\b", src)
        cite = f"{pgs.group(0)}, {src.split()[0]} {year.group(0) if year else ''}".strip()
    else:
        cite = src.strip()
    evidence = f"OR {r['odds_ratio_per_effect_allele']} per {r['effect_allele']} allele ({cite})"
    return out_row(
        r, gene=r["nearest_gene_or_locus"], allele_name="", refs=("", ""),
        effect=r["effect_allele"], other=r["other_allele"], evidence=evidence,
        log_or=r["log_or_beta"].strip(), function="", activity_value="", eaf=r["eaf_eur"].strip(),
        where=where,
    )


def prs77_evidence(r: Row) -> str:
    """The PGS000001 effect in words the simulator parses: ``PRS77 log-OR <x> per <allele> allele``."""
    return (f"PRS77 log-OR {r['log_or_beta'].strip()} per {r['effect_allele']} allele "
            f"(OR {r['odds_ratio_per_effect_allele']}; PGS000001, Mavaddat 2015)")


def prs313_row(r: Row, prs77: Row | None, gene: str) -> Row:
    """A PRS313 variant; REF is unknown (``other_allele`` is the score's, not the genome's)."""
    where = f"prs313_breast_cancer.tsv {r['rsid'] or r['grch38_chrom'] + ':' + r['grch38_pos']}"
    r = {**r, "grch37_chrom": r["chrom"]}
    evidence = f"PRS313 log-OR {r['log_or'].strip()} per {r['effect_allele']} allele (PGS000004, Mavaddat 2019)"
    source = r["source"].strip()
    if prs77 is not None:
        evidence += "; " + prs77_evidence(prs77)
        source += "; PRS77: " + prs77["source"].strip()
    return {**out_row(
        r, gene=gene, allele_name="", refs=("", ""), effect=r["effect_allele"],
        other=r["other_allele"], evidence=evidence, log_or=r["log_or"].strip(), function="",
        activity_value="", eaf=r["eaf_eur"].strip(), where=where,
    ), "source": source}


def prs77_only_row(r: Row) -> Row:
    """A PRS77 variant that PRS313 lacks: its log-OR is the PGS000001 one."""
    row = gwas_row(r)
    return {**row, "evidence": prs77_evidence(r) + "; not in PRS313"}


def breast_cancer_rows(prs313: list[Row], risk: list[Row]) -> list[Row]:
    """PRS313 rows (file order), then PRS77-only rows, then high/moderate-penetrance rows."""
    prs77 = [r for r in risk if r["trait"] == "breast cancer"]
    by_pos = {(r["grch38_chrom"], r["grch38_pos"].strip()): r for r in prs77}
    loci = sorted((r["grch38_chrom"], int(r["grch38_pos"]), r["nearest_gene_or_locus"]) for r in prs77
                  if r["grch38_pos"].strip())
    rows, used = [], set()
    for r in prs313:
        key = (r["grch38_chrom"], r["grch38_pos"].strip())
        match = by_pos.get(key)
        if match is not None:
            used.add(match["rsid"])
        rows.append(prs313_row(r, match, _near_gene(loci, key[0], int(key[1]))))
    rest = [r for r in prs77 if r["rsid"] not in used]
    rows += positioned(rest, prs77_only_row, "breast_cancer")
    hp = [r for r in risk if r["trait"] == "breast/ovarian cancer (high/moderate penetrance)"]
    return rows + positioned(hp, pathogenic_row, "breast_cancer")


def _near_gene(loci: list[tuple[str, int, str]], c: str, pos: int) -> str:
    """The PRS77 locus name within 1 Mb (nearest), else ``<chrom>:<Mb> Mb``."""
    near = [(abs(p - pos), g) for lc, p, g in loci if lc == c and abs(p - pos) <= 1_000_000]
    return min(near)[1] if near else f"{c}:{pos / 1e6:.1f} Mb"


def pathogenic_row(r: Row) -> Row:
    """A high/moderate-penetrance variant: REF from the VCF form in ``notes``, same bases on GRCh37."""
    where = f"risk_loci.tsv {r['rsid']}"
    vcf = _VCF_NOTE.search(r["notes"])
    cls = _PATHOGENIC.match(r["variant_class"].strip())
    pen = _PENETRANCE.match(r["odds_ratio_per_effect_allele"].strip())
    if not (vcf and cls and pen):
        raise FactsError(f"{where}: cannot read the VCF form, variant class or penetrance")
    ref, alt = vcf.groups()
    if alt != r["effect_allele"] or ref != r["other_allele"]:
        raise FactsError(f"{where}: VCF REF/ALT {ref}/{alt} disagree with the effect/other alleles")
    kind, hgvs, legacy = cls.groups()
    gene = r["nearest_gene_or_locus"]
    return out_row(
        r, gene=gene, allele_name=legacy, refs=(ref, ref), effect=alt, other=ref,
        evidence=f"{kind.capitalize()}: {gene} {hgvs} ({legacy}); {pen.group(1)} penetrance",
        log_or="", function=r["variant_class"].strip(), activity_value="", eaf="", where=where,
    )


BUILDS = {"GRCh37": "grch37", "GRCh38": "grch38"}
REF_COLUMNS = ("build", "chrom", "pos", "ref", "alt", "id", "source")
RefKey = tuple[str, str, int]


def read_refs(path: Path) -> list[Row]:
    """The REF facts table: ``#`` comment lines, then a header naming ``REF_COLUMNS``."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    if not lines or tuple(lines[0].split("\t")) != REF_COLUMNS:
        raise FactsError(f"{path}: header must be {' '.join(REF_COLUMNS)}")
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        r = dict(zip(REF_COLUMNS, line.split("\t"), strict=False))
        where = f"{path.name} row {n} ({r.get('id', '')})"
        if len(line.split("\t")) != len(REF_COLUMNS) or r["build"] not in BUILDS or not r["source"].strip():
            raise FactsError(f"{where}: needs {len(REF_COLUMNS)} columns, build GRCh37/GRCh38 and a source")
        r["chrom"], r["pos"] = chrom(r["chrom"], where), str(int(r["pos"]))
        if allele(r["ref"], where) == allele(r["alt"], where):
            raise FactsError(f"{where}: ref equals alt ({r['ref']})")
        rows.append(r)
    return rows


def _compatible(a: str, b: str) -> bool:
    """Two reference sequences read from one position can differ only in length."""
    return a.startswith(b) or b.startswith(a)


def apply_refs(panels: dict[str, list[Row]], refs: list[Row]) -> dict[str, tuple[int, int]]:
    """Fill ``ref_<build>`` from the REF facts, in place; return panel -> (rows with REF 37, 38).

    Raises FactsError on any disagreement: two facts for one variant with different REF, facts at one
    position whose sequences differ, a fact that names no panel row or whose alleles are not the row's,
    a fact that contradicts a REF the facts tables give, or a panel row at a fact's position where
    neither allele can be the reference sequence there.
    """
    by_variant: dict[tuple[str, str, int, frozenset[str]], Row] = {}
    by_pos: dict[RefKey, list[Row]] = {}
    for f in refs:
        where = f"ref fact {f['build']} {f['chrom']}:{f['pos']} ({f['id']})"
        key = (f["build"], f["chrom"], int(f["pos"]))
        for other in by_pos.get(key, []):
            if not _compatible(other["ref"], f["ref"]):
                raise FactsError(f"{where}: REF {f['ref']} disagrees with REF {other['ref']} "
                                 f"of {other['id']} at the same position ({other['source']})")
        vkey = (*key, frozenset((f["ref"], f["alt"])))
        if vkey in by_variant:
            raise FactsError(f"{where}: listed twice (also from {by_variant[vkey]['source']})")
        by_variant[vkey] = f
        by_pos.setdefault(key, []).append(f)
    used: set[int] = set()
    counts: dict[str, tuple[int, int]] = {}
    for name, rows in panels.items():
        for row in rows:
            for build, b in BUILDS.items():
                c, pos = row[f"chrom_{b}"], int(row[f"pos_{b}"])
                pair = (row[f"effect_{b}"], row[f"other_{b}"])
                where = f"{name} {row['id']} ({build} {c}:{pos})"
                fact = by_variant.get((build, c, pos, frozenset(pair)))
                if fact is None:
                    at = by_pos.get((build, c, pos), [])
                    if at and not any(_compatible(a, f["ref"]) for a in pair for f in at):
                        raise FactsError(f"{where}: neither allele {pair[0]}/{pair[1]} can be the REF "
                                         f"{at[0]['ref']} that {at[0]['source']} gives at this position")
                    continue
                if fact["id"] != row["id"]:
                    raise FactsError(f"{where}: the REF fact names {fact['id']!r}, not this row")
                if row[f"ref_{b}"] and row[f"ref_{b}"] != fact["ref"]:
                    raise FactsError(f"{where}: REF {fact['ref']} ({fact['source']}) disagrees with "
                                     f"REF {row[f'ref_{b}']} from the facts tables")
                row[f"ref_{b}"] = fact["ref"]
                used.add(id(fact))
        counts[name] = (sum(1 for r in rows if r["ref_grch37"]), sum(1 for r in rows if r["ref_grch38"]))
    unused = [f"{f['build']} {f['chrom']}:{f['pos']} {f['ref']}/{f['alt']} ({f['id']})"
              for f in refs if id(f) not in used]
    if unused:
        raise FactsError(f"REF facts that match no panel row's position and alleles: {'; '.join(unused)}")
    return counts


def read(path: Path) -> list[Row]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def positioned(rows: Iterable[Row], convert: Callable[[Row], Row], label: str) -> list[Row]:
    out = []
    for r in rows:
        if not (r["grch38_pos"].strip() and r["grch37_pos"].strip()):
            print(f"skipped {r['rsid']} ({label}): no position in the facts; notes: {r['notes']}")
            continue
        out.append(convert(r))
    return out


def build(facts: Path) -> dict[str, list[Row]]:
    """Return panel name -> rows, in facts-file order."""
    panels = {"pharmacogenomics": positioned(read(facts / "pgx_variants.tsv"), pgx_row, "pgx")}
    risk = read(facts / "risk_loci.tsv")
    panels["breast_cancer"] = breast_cancer_rows(read(facts / "prs313_breast_cancer.tsv"), risk)
    for name, traits in RISK_TRAITS.items():
        if name == "breast_cancer":
            continue
        rows = [r for r in risk if r["trait"] in traits]
        gwas = positioned((r for r in rows if r["variant_class"].startswith("GWAS")), gwas_row, name)
        hp = positioned((r for r in rows if not r["variant_class"].startswith("GWAS")),
                        pathogenic_row, name)
        panels[name] = gwas + hp
    for name, rows in panels.items():
        ids = [r["id"] for r in rows]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise FactsError(f"{name}: duplicate ids {', '.join(dupes)}")
    return panels


def write(path: Path, title: str, rows: list[Row]) -> None:
    lines = [f"# title: {title}", "\t".join(COLUMNS)]
    lines += ["\t".join(r[c] for c in COLUMNS) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=Path, default=PROJECT_ROOT.parent / "shared" / "facts",
                        help="folder holding pgx_variants.tsv and risk_loci.tsv")
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write the panel tables to")
    parser.add_argument("--refs", type=Path, default=PROJECT_ROOT / "data" / "refs" / "ref_alleles.tsv",
                        help="REF facts table (build, chrom, pos, ref, alt, id, source)")
    args = parser.parse_args(argv)
    try:
        panels = build(args.facts)
        with_ref = apply_refs(panels, read_refs(args.refs))
    except (FactsError, OSError, KeyError, ValueError) as exc:
        print(f"error: {exc!r}" if isinstance(exc, KeyError) else f"error: {exc}", file=sys.stderr)
        return 1
    for name, rows in panels.items():
        write(args.out / f"{name}.tsv", TITLES[name], rows)
        r37, r38 = with_ref[name]
        print(f"wrote {name}.tsv: {len(rows)} variants; REF known for {r37} on GRCh37, {r38} on GRCh38")
    return 0


if __name__ == "__main__":
    sys.exit(main())
