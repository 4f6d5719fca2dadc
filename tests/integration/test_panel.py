"""Tests for genolens.genome.panel and the shipped panel tables in data/panels."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from genolens.datamodel import Panel, PanelVariant
from genolens.errors import PanelError
from genolens.genome.panel import COLUMNS, PANEL_DIR, load_panel, load_panels, panel_names
from tests.factories import ROOT, SHARED

FACTS = SHARED / "facts"
REF_FACTS_FILE = ROOT / "data" / "refs" / "ref_alleles.tsv"
REF_FACTS = {(r["build"], r["id"]): r["ref"] for r in csv.DictReader(
    (ln for ln in REF_FACTS_FILE.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")),
    delimiter="\t")}

EXPECTED_COUNTS = {
    "breast_cancer": 380,  # PRS313 + 62 PRS77-only + 5 high-penetrance
    "coronary_artery_disease": 18,
    "pharmacogenomics": 37,
    "pharmcat_positions": 315,  # one row per (position, ALT) of PharmCAT's definitions, data/pgx
    "type_2_diabetes": 22,
}


def _variant(panel: str, rsid: str) -> PanelVariant:
    found = [v for v in load_panel(panel).variants if v.rsid == rsid]
    assert len(found) == 1, f"{rsid} appears {len(found)} times in {panel}"
    return found[0]


def _facts(name: str) -> list[dict[str, str]]:
    if not FACTS.is_dir():
        pytest.skip("../shared/facts not present")
    with (FACTS / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


# --- the shipped tables ------------------------------------------------------------------------


def test_panel_names_are_the_shipped_tables() -> None:
    assert panel_names() == tuple(sorted(EXPECTED_COUNTS))
    assert PANEL_DIR == ROOT / "data" / "panels"


@pytest.mark.parametrize(("name", "count"), sorted(EXPECTED_COUNTS.items()))
def test_row_counts(name: str, count: int) -> None:
    panel = load_panel(name)
    assert panel.name == name
    assert panel.title
    assert len(panel.variants) == count
    assert len({v.id for v in panel.variants}) == count


def test_load_panels_sorted_and_hashed() -> None:
    panels = load_panels()
    assert [p.name for p in panels] == sorted(EXPECTED_COUNTS)
    for p in panels:
        assert p.sha256 == hashlib.sha256((PANEL_DIR / f"{p.name}.tsv").read_bytes()).hexdigest()


def test_cyp3a5_rs776746_reference_trap() -> None:
    v = _variant("pharmacogenomics", "rs776746")
    assert (v.grch38.ref, v.grch38.effect_allele, v.grch38.other_allele) == ("T", "C", "T")
    assert (v.grch37.ref, v.grch37.effect_allele, v.grch37.other_allele) == ("C", "C", "T")
    assert (v.grch38.chrom, v.grch38.pos, v.grch37.pos) == ("7", 99672916, 99270539)
    assert v.allele_name == "*3"


@pytest.mark.parametrize(("rsid", "effect", "other", "ref37"), [("rs16947", "A", "G", "A"),
                                                                 ("rs1135840", "G", "C", "G")])
def test_cyp2d6_reference_traps(rsid: str, effect: str, other: str, ref37: str) -> None:
    v = _variant("pharmacogenomics", rsid)
    assert v.grch38.ref == other  # GRCh38 REF is the wild-type base ...
    assert v.grch37.ref == ref37 == effect  # ... GRCh37 REF is the variant base
    for locus in (v.grch38, v.grch37):
        assert (locus.effect_allele, locus.other_allele) == (effect, other)


@pytest.mark.parametrize(("rsid", "effect", "other"), [("rs1142345", "C", "T"), ("rs28371706", "A", "G")])
def test_multiallelic_sites_pick_the_named_alt(rsid: str, effect: str, other: str) -> None:
    v = _variant("pharmacogenomics", rsid)
    assert (v.grch38.effect_allele, v.grch38.other_allele) == (effect, other)
    assert (v.grch37.effect_allele, v.grch37.other_allele) == (effect, other)


def test_ugt1a1_star28_is_the_vcf_insertion() -> None:
    v = _variant("pharmacogenomics", "rs3064744")
    for locus in (v.grch38, v.grch37):
        assert (locus.ref, locus.effect_allele, locus.other_allele) == ("CAT", "CATAT", "CAT")
    assert v.allele_name == "*28"


def test_prs_snps_take_ref_from_the_ref_facts_and_pathogenic_indels_carry_it() -> None:
    snp = _variant("breast_cancer", "rs78540526")
    # imgag/megSAP PGS000004_GRCh37.vcf and _GRCh38.vcf: chr11 69331418 / 69516650 C>T
    assert snp.grch38.ref == snp.grch37.ref == "C"
    # GRCh38's reference base is the effect allele here, GRCh37's the other allele
    flip = next(v for v in load_panel("breast_cancer").variants if v.id == "9:133271182:C:T")
    assert (flip.grch38.ref, flip.grch37.ref) == ("T", "C")
    assert _variant("coronary_artery_disease", "rs4977574").grch38.ref == ""  # no public REF fact yet
    assert snp.log_or == pytest.approx(0.1782)  # PGS000004; the PGS000001 value is in the evidence
    assert snp.evidence == ("PRS313 log-OR 0.1782 per T allele (PGS000004, Mavaddat 2019); "
                            "PRS77 log-OR 0.1622 per T allele (OR 1.1761; PGS000001, Mavaddat 2015)")
    brca1 = _variant("breast_cancer", "rs80357914")
    assert (brca1.grch38.ref, brca1.grch38.effect_allele, brca1.grch38.other_allele) == ("ACT", "A", "ACT")
    assert brca1.grch37 == brca1.grch37.__class__("17", 41276044, "ACT", "A", "ACT")
    assert brca1.log_or is None
    assert brca1.evidence == "Pathogenic: BRCA1 c.68_69delAG (185delAG); high penetrance"


def test_breast_cancer_holds_prs313_and_all_prs77_variants() -> None:
    panel = load_panel("breast_cancer")
    prs313 = _facts("prs313_breast_cancer.tsv")
    prs77 = {r["rsid"] for r in _facts("risk_loci.tsv") if r["trait"] == "breast cancer"}
    assert len(prs77) == 77
    assert prs77 <= {v.rsid for v in panel.variants}
    with_prs313 = [v for v in panel.variants if "PGS000004" in v.evidence]
    assert len(with_prs313) == len(prs313) == 313
    for r, v in zip(prs313, with_prs313, strict=True):
        assert (v.grch38.chrom, v.grch38.pos, v.grch37.pos) == (r["grch38_chrom"], int(r["grch38_pos"]),
                                                               int(r["grch37_pos"]))
        assert (v.grch38.effect_allele, v.grch38.other_allele) == (r["effect_allele"], r["other_allele"])
        assert v.log_or == pytest.approx(float(r["log_or"])) and v.eaf == pytest.approx(float(r["eaf_eur"]))
        # GRCh37: PGS000004's reference_allele column is the genome's REF for all 313 (megSAP VcfCheck)
        assert v.grch37.ref == r["other_allele"], v.id
        assert v.grch38.ref == REF_FACTS.get(("GRCh38", v.id), ""), v.id
        assert v.id == (r["rsid"] or f"{r['grch38_chrom']}:{r['grch38_pos']}:{r['other_allele']}:{r['effect_allele']}")
    assert sum("PGS000001" in v.evidence for v in panel.variants) == 77
    # GRCh38 differs from PGS000004's reference allele at one site, and one insertion has no source
    flipped = [v.id for v in with_prs313 if v.grch38.ref and v.grch38.ref != v.grch38.other_allele]
    assert flipped == ["9:133271182:C:T"]
    assert [v.id for v in with_prs313 if not v.grch38.ref] == ["1:145830809:C:CT"]


def test_pgx_rows_agree_with_facts() -> None:
    rows = _facts("pgx_variants.tsv")
    panel = load_panel("pharmacogenomics")
    assert [v.rsid for v in panel.variants] == [r["rsid"] for r in rows]
    for r, v in zip(rows, panel.variants, strict=True):
        assert v.gene == r["gene"] and v.allele_name == r["allele_name"]
        assert (v.grch38.chrom, v.grch38.pos) == (r["grch38_chrom"].removeprefix("chr"), int(r["grch38_pos"]))
        assert (v.grch37.chrom, v.grch37.pos) == (r["grch37_chrom"].removeprefix("chr"), int(r["grch37_pos"]))
        assert v.grch38.ref == r["ref"]
        assert v.grch37.ref == r["ref_grch37"]
        for locus in (v.grch38, v.grch37):
            assert (locus.effect_allele, locus.other_allele) == (r["alt"], r["ref"]), r["rsid"]
        if r["ref_grch37"]:  # the GRCh37 pair is the same two alleles, in whichever REF order
            assert {r["ref_grch37"], r["alt_grch37"]} == {r["alt"], r["ref"]}
        assert v.function == r["allele_function"]
        expected_av = float(r["activity_value"]) if r["activity_value"] else None
        assert v.activity_value == expected_av
        assert v.log_or is None and v.eaf is None
        assert v.source == r["source"]


@pytest.mark.parametrize(("panel", "traits"), [
    ("breast_cancer", ("breast cancer", "breast/ovarian cancer (high/moderate penetrance)")),
    ("coronary_artery_disease", ("coronary artery disease",)),
    ("type_2_diabetes", ("type 2 diabetes",)),
])
def test_risk_rows_agree_with_facts(panel: str, traits: tuple[str, ...]) -> None:
    rows = [r for r in _facts("risk_loci.tsv") if r["trait"] in traits]
    kept = [r for r in rows if r["grch38_pos"] and r["grch37_pos"]]
    variants = {v.rsid: v for v in load_panel(panel).variants if v.rsid}
    assert set(variants) == {r["rsid"] for r in kept}
    for r in kept:
        v = variants[r["rsid"]]
        assert v.gene == r["nearest_gene_or_locus"] and r["source"] in v.source
        assert (v.grch38.chrom, v.grch38.pos) == (r["grch38_chrom"], int(r["grch38_pos"]))
        assert (v.grch37.chrom, v.grch37.pos) == (r["grch37_chrom"], int(r["grch37_pos"]))
        if "PRS313" in v.evidence:  # a PRS313 variant: the pair as PGS000004 writes it (maybe swapped)
            pairs = {(locus.effect_allele, locus.other_allele) for locus in (v.grch38, v.grch37)}
            assert pairs in ({(r["effect_allele"], r["other_allele"])}, {(r["other_allele"], r["effect_allele"])})
            assert f"PRS77 log-OR {r['log_or_beta']} per {r['effect_allele']} allele" in v.evidence
            continue
        for locus in (v.grch38, v.grch37):
            assert (locus.effect_allele, locus.other_allele) == (r["effect_allele"], r["other_allele"])
        if r["variant_class"].startswith("GWAS"):
            for build, locus in (("GRCh38", v.grch38), ("GRCh37", v.grch37)):
                assert locus.ref == REF_FACTS.get((build, v.id), ""), (v.id, build)
            assert v.log_or == pytest.approx(float(r["log_or_beta"]))
            assert v.eaf == (pytest.approx(float(r["eaf_eur"])) if r["eaf_eur"] else None)
            assert v.evidence.startswith(f"OR {r['odds_ratio_per_effect_allele']} per {r['effect_allele']}")
        else:
            vcf = re.search(r"VCF \(GRCh38\): REF (\w+) ALT (\w+)", r["notes"])
            assert vcf is not None
            assert v.grch38.ref == v.grch37.ref == vcf.group(1)
            assert v.grch38.effect_allele == vcf.group(2)
            assert v.log_or is None and v.function == r["variant_class"]


def test_build_script_reproduces_the_shipped_tables(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    if not FACTS.is_dir():
        pytest.skip("../shared/facts not present")
    spec = importlib.util.spec_from_file_location("build_panels", PANEL_DIR / "build_panels.py")
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--facts", str(FACTS), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "skipped rs5219" in out and "skipped rs28904921" in out
    for name in EXPECTED_COUNTS:
        if name != "pharmcat_positions":  # written by data/pgx/build_pharmcat_alleles.py (next test)
            assert (tmp_path / f"{name}.tsv").read_bytes() == (PANEL_DIR / f"{name}.tsv").read_bytes(), name


def test_pharmcat_build_script_reproduces_the_shipped_definitions(tmp_path: Path) -> None:
    if not (FACTS / "sources" / "pharmcat").is_dir():
        pytest.skip("../shared/facts/sources/pharmcat not present")
    spec = importlib.util.spec_from_file_location("build_pharmcat", ROOT / "data" / "pgx" / "build_pharmcat_alleles.py")
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path)]) == 0
    assert (tmp_path / "pharmcat_positions.tsv").read_bytes() == (PANEL_DIR / "pharmcat_positions.tsv").read_bytes()
    shipped = ROOT / "data" / "pgx" / "pharmcat_alleles.tsv"
    assert (tmp_path / "pharmcat_alleles.tsv").read_bytes() == shipped.read_bytes()


# --- validation on tiny broken tables ---------------------------------------------------------

GOOD = {
    "id": "rs1", "rsid": "rs1", "gene": "GENE1", "allele_name": "",
    "chrom_grch38": "1", "pos_grch38": "100", "ref_grch38": "A", "effect_grch38": "G", "other_grch38": "A",
    "chrom_grch37": "1", "pos_grch37": "90", "ref_grch37": "G", "effect_grch37": "G", "other_grch37": "A",
    "evidence": "OR 1.1 per G allele (test)", "log_or": "0.0953", "function": "",
    "activity_value": "", "eaf": "0.3", "source": "test fixture",
}


def _write(folder: Path, rows: list[dict[str, str]], *, name: str = "tiny",
           columns: tuple[str, ...] = COLUMNS, title: str = "# title: Tiny panel") -> Path:
    lines = [title, "\t".join(columns)] + ["\t".join(r.get(c, "") for c in columns) for r in rows]
    path = folder / f"{name}.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_tiny_good_table_loads(tmp_path: Path) -> None:
    _write(tmp_path, [GOOD, {**GOOD, "id": "rs2", "rsid": "rs2", "ref_grch38": "", "log_or": ""}])
    panel = load_panel("tiny", directory=tmp_path)
    assert isinstance(panel, Panel) and panel.title == "Tiny panel"
    assert [v.id for v in panel.variants] == ["rs1", "rs2"]
    assert panel.variants[1].grch38.ref == "" and panel.variants[1].log_or is None
    assert panel.variants[0].eaf == pytest.approx(0.3)
    assert load_panels(directory=tmp_path) == (panel,)


@pytest.mark.parametrize(("column", "value", "message"), [
    ("chrom_grch38", "chr1", "normalised chromosome"),
    ("chrom_grch37", "23", "normalised chromosome"),
    ("pos_grch38", "0", "positive whole-number position"),
    ("pos_grch37", "-5", "positive whole-number position"),
    ("pos_grch38", "12.5", "positive whole-number position"),
    ("effect_grch38", "N", "A/C/G/T only"),
    ("other_grch37", "a", "A/C/G/T only"),
    ("ref_grch38", "T", "REF must be the effect"),
    ("log_or", "big", "expected a number"),
    ("activity_value", "high", "expected a number"),
    ("eaf", "x", "expected a number"),
    ("eaf", "1.5", "between 0 and 1"),
    ("eaf", "-0.1", "between 0 and 1"),
    ("log_or", "nan", "finite number"),
    ("rsid", "1234", "dbSNP id"),
    ("id", "", "a value is required"),
])
def test_bad_value_names_file_line_column_and_value(tmp_path: Path, column: str, value: str,
                                                    message: str) -> None:
    path = _write(tmp_path, [GOOD, {**GOOD, "id": "rs2", "rsid": "rs2", column: value}])
    pattern = rf"{re.escape(str(path))}, line 4, column '{column}': .*{message}.*got {re.escape(repr(value))}"
    with pytest.raises(PanelError, match=pattern):
        load_panel("tiny", directory=tmp_path)


def test_effect_equal_to_other_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, [{**GOOD, "other_grch37": "G", "ref_grch37": ""}])
    with pytest.raises(PanelError, match=r"line 3, column 'other_grch37': the other allele must differ.*'G'"):
        load_panel("tiny", directory=tmp_path)


def test_duplicate_id_points_at_both_lines(tmp_path: Path) -> None:
    _write(tmp_path, [GOOD, {**GOOD, "rsid": ""}])
    with pytest.raises(PanelError, match=r"line 4, column 'id': duplicate id \(first on line 3\).*'rs1'"):
        load_panel("tiny", directory=tmp_path)


def test_missing_and_extra_columns(tmp_path: Path) -> None:
    columns = (*(c for c in COLUMNS if c != "eaf"), "odds_ratio")
    _write(tmp_path, [GOOD], columns=columns)
    expected = r"line 2 \(header\): missing columns: eaf; unexpected columns: odds_ratio"
    with pytest.raises(PanelError, match=expected):
        load_panel("tiny", directory=tmp_path)


def test_wrong_field_count(tmp_path: Path) -> None:
    path = _write(tmp_path, [GOOD])
    path.write_text(path.read_text(encoding="utf-8") + "rs9\trs9\n", encoding="utf-8")
    with pytest.raises(PanelError, match=r"line 4: 2 tab-separated fields, the header has 20"):
        load_panel("tiny", directory=tmp_path)


def test_missing_title_line(tmp_path: Path) -> None:
    _write(tmp_path, [GOOD], title="# Tiny panel")
    with pytest.raises(PanelError, match=r"line 1: expected '# title: <Human title>', got '# Tiny panel'"):
        load_panel("tiny", directory=tmp_path)


def test_empty_panel(tmp_path: Path) -> None:
    _write(tmp_path, [])
    with pytest.raises(PanelError, match=r"tiny\.tsv: the panel has no variants"):
        load_panel("tiny", directory=tmp_path)


def test_unknown_panel_lists_the_choices(tmp_path: Path) -> None:
    _write(tmp_path, [GOOD], name="alpha")
    _write(tmp_path, [GOOD], name="beta")
    with pytest.raises(PanelError, match=r"Panel 'gamma' unknown\. Choose from: alpha, beta"):
        load_panel("gamma", directory=tmp_path)
    with pytest.raises(PanelError, match=r"Panel '\.\./alpha' unknown"):
        load_panel("../alpha", directory=tmp_path)


def test_no_tables_at_all(tmp_path: Path) -> None:
    with pytest.raises(PanelError, match=r"No panel tables \(\*\.tsv\) in"):
        load_panels(directory=tmp_path)


def test_sha256_follows_the_bytes(tmp_path: Path) -> None:
    path = _write(tmp_path, [GOOD])
    first = load_panel("tiny", directory=tmp_path)
    assert first.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert load_panel("tiny", directory=tmp_path) is first  # cached: immutable, parsed once
    data = path.read_bytes()
    path.write_bytes(data.replace(b"OR 1.1 per", b"OR 1.2 per"))  # one byte, same size
    second = load_panel("tiny", directory=tmp_path)
    assert second.sha256 != first.sha256
    assert second.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert second.variants[0].evidence == "OR 1.2 per G allele (test)"
