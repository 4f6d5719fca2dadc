"""The REF facts (data/refs/ref_alleles.tsv) behind the panels' REF columns.

Two kinds of check: every panel REF agrees with the reference bases of every real corpus file that covers its
position (../shared/corpus, build from MANIFEST.tsv), and build_panels.py stops on a planted disagreement.
"""

from __future__ import annotations

import csv
import importlib.util
import shutil
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

from genolens.genome.panel import PANEL_DIR, load_panels
from tests.factories import CORPUS, ROOT, SHARED

REFS = ROOT / "data" / "refs" / "ref_alleles.tsv"
FACTS = SHARED / "facts"
BUILDS = ("GRCh37", "GRCh38")
# PharmCAT's example files carry no ##contig lengths (MANIFEST: "GRCh38?"), but PharmCAT is GRCh38 throughout.
PHARMCAT_GRCH38 = "pgx/"


def _build_panels() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_panels", PANEL_DIR / "build_panels.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _chrom(name: str) -> str:
    core = name[3:] if name.lower().startswith("chr") else name
    return "MT" if core.upper() in ("M", "MT") else core.upper()


def _corpus_files() -> list[tuple[Path, str]]:
    """(path, build) of every corpus file whose build MANIFEST.tsv names (PharmCAT's files: GRCh38)."""
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        pytest.skip("../shared/corpus not present")
    with manifest.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    out = []
    for r in rows:
        build = r["build"]
        if build not in BUILDS and not (r["path"].startswith(PHARMCAT_GRCH38) and build == "GRCh38?"):
            continue
        out.append((CORPUS / r["path"], build.rstrip("?")))
    return out


def _panel_refs() -> dict[tuple[str, str, int], set[tuple[str, str]]]:
    """(build, chrom, pos) -> {(REF, 'panel:id')} for every panel row with a REF on that build."""
    sites: dict[tuple[str, str, int], set[tuple[str, str]]] = defaultdict(set)
    for panel in load_panels():
        for v in panel.variants:
            for build, locus in (("GRCh37", v.grch37), ("GRCh38", v.grch38)):
                if locus.ref:
                    sites[(build, locus.chrom, locus.pos)].add((locus.ref, f"{panel.name}:{v.id}"))
    return sites


def test_every_panel_ref_agrees_with_every_corpus_file_that_covers_it() -> None:
    """A record covers a panel site when its REF spans the site's first base; the bases they share must agree."""
    from cyvcf2 import VCF

    sites = _panel_refs()
    by_chrom: dict[tuple[str, str], list[int]] = defaultdict(list)
    for build, c, pos in sites:
        by_chrom[(build, c)].append(pos)
    checked: dict[tuple[str, str, int], set[str]] = defaultdict(set)
    disagree: list[str] = []
    files_covering = 0
    for path, build in _corpus_files():
        try:
            vcf = VCF(str(path))
        except (OSError, ValueError):
            continue  # a spec-failure file; nothing to compare
        hits = 0
        try:
            for rec in vcf:
                c = _chrom(rec.CHROM)
                positions = by_chrom.get((build, c))
                if not positions:
                    continue
                ref = rec.REF.upper()
                for pos in positions:
                    offset = pos - rec.POS
                    if not 0 <= offset < len(ref):
                        continue
                    genome = ref[offset:]
                    for fact, who in sites[(build, c, pos)]:
                        k = min(len(fact), len(genome))
                        if "N" in genome[:k]:
                            continue
                        hits += 1
                        checked[(build, c, pos)].add(path.name)
                        if fact[:k] != genome[:k]:
                            disagree.append(f"{who} {build} {c}:{pos} REF {fact}: {path.name} has {rec.REF} at "
                                            f"{rec.CHROM}:{rec.POS}")
        except (OSError, ValueError):
            pass  # a file that fails at record N; what was read before still counts
        finally:
            vcf.close()
        files_covering += hits > 0
    by_panel: dict[str, int] = defaultdict(int)
    for key in checked:
        for _, who in sites[key]:
            by_panel[f"{key[0]} {who.split(':')[0]}"] += 1
    print(f"by build and panel: {dict(sorted(by_panel.items()))}")
    print(f"panel REF sites covered by a corpus file: {len(checked)} "
          f"({sum(len(f) for f in checked.values())} site-file pairs, {files_covering} files); "
          f"disagreements: {len(disagree)}")
    assert not disagree, "\n".join(disagree)
    # the GRCh37 gVCFs (chr20/21) and the GRCh38 ones (chr20-22) and PharmCAT's files cover panel sites
    assert {b for b, _, _ in checked} == set(BUILDS)
    assert len(checked) >= 20 and files_covering >= 5


def test_ref_facts_table_is_well_formed_and_every_row_sourced() -> None:
    rows = _build_panels().read_refs(REFS)
    assert rows and all(r["source"].strip() for r in rows)
    assert {r["build"] for r in rows} == set(BUILDS)
    keys = [(r["build"], r["chrom"], r["pos"], frozenset((r["ref"], r["alt"]))) for r in rows]
    assert len(keys) == len(set(keys))


# --- build_panels.py stops on a planted disagreement -------------------------------------------------------------

def _plant(tmp_path: Path, edit: str) -> tuple[int, str]:
    """Run build_panels with a copy of the REF facts plus ``edit``; return (exit status, output folder)."""
    if not FACTS.is_dir():
        pytest.skip("../shared/facts not present")
    refs = tmp_path / "ref_alleles.tsv"
    shutil.copy(REFS, refs)
    refs.write_text(refs.read_text(encoding="utf-8") + edit, encoding="utf-8")
    module = _build_panels()
    out = tmp_path / "out"
    out.mkdir()
    return module.main(["--facts", str(FACTS), "--out", str(out), "--refs", str(refs)]), str(out)


def test_build_accepts_the_shipped_facts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _ = _plant(tmp_path, "")
    assert rc == 0
    out = capsys.readouterr().out
    assert "breast_cancer.tsv: 380 variants; REF known for 379 on GRCh37, 327 on GRCh38" in out
    assert "coronary_artery_disease.tsv: 18 variants; REF known for 6 on GRCh37, 4 on GRCh38" in out
    assert "type_2_diabetes.tsv: 22 variants; REF known for 4 on GRCh37, 2 on GRCh38" in out


def test_build_fails_on_a_ref_that_is_neither_allele_of_the_row(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # CAD rs4977574 is G/A at GRCh38 chr9:22098575; a fact saying the genome has C there must stop the build
    rc, out = _plant(tmp_path, "GRCh38\t9\t22098575\tC\tT\trs4977574\tplanted\n")
    err = capsys.readouterr().err
    assert rc == 1 and "neither allele G/A" in err and "rs4977574" in err
    assert not list(Path(out).iterdir())  # nothing written


def test_build_fails_when_two_facts_disagree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the shipped fact says REF A for rs616488 on GRCh38; a second one naming G (its other allele) clashes
    rc, _ = _plant(tmp_path, "GRCh38\t1\t10506158\tG\tA\trs616488\tplanted\n")
    err = capsys.readouterr().err
    assert rc == 1 and "disagrees with REF A" in err


def test_build_fails_when_a_fact_contradicts_the_facts_tables(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    # UGT1A1 *28: pgx_variants.tsv gives REF CAT on GRCh38; a fact naming the insertion allele as REF clashes
    rc, _ = _plant(tmp_path, "GRCh38\t2\t233760233\tCATAT\tCAT\trs3064744\tplanted\n")
    err = capsys.readouterr().err
    assert rc == 1 and "rs3064744" in err and "from the facts tables" in err


def test_build_fails_on_a_fact_that_names_no_panel_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _ = _plant(tmp_path, "GRCh37\t1\t12345\tA\tG\trs0\tplanted\n")
    assert rc == 1 and "match no panel row" in capsys.readouterr().err
