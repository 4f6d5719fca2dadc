"""PGS Catalog import: the bundle's score equals an independent weight x dosage sum from the file text."""

from __future__ import annotations

import math
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest

from genolens.datamodel.clinical import NO_DETAILS
from genolens.errors import ScoringFileError
from genolens.genome.patient import read_patient
from genolens.modeling.bundle import load_bundle
from genolens.modeling.pgs_import import import_pgs
from genolens.modeling.predict import predict_json
from tests.factories import need_shared

PGS = ("facts", "sources", "pgs")


def table(path: Path) -> list[dict[str, str]]:
    """Rows of a scoring file, read independently of the importer."""
    lines = [x for x in path.read_text().splitlines() if x and not x.startswith("#")]
    cols = lines[0].split("\t")
    return [dict(zip(cols, x.split("\t"), strict=False)) for x in lines[1:]]


def test_pgs000001_score_equals_the_sum_of_weight_times_dosage(tmp_path: Path) -> None:
    scoring = need_shared(*PGS, "PGS000001.txt")
    hm38 = need_shared(*PGS, "PGS000001_hmPOS_GRCh38.txt")
    bundle = load_bundle(import_pgs(scoring, tmp_path / "models"))
    weights = {r["rsID"]: (r["effect_allele"], r["other_allele"], float(r["effect_weight"])) for r in table(scoring)}
    pos = {r["rsID"]: (r["hm_chr"], int(r["hm_pos"])) for r in table(hm38)}
    rng = np.random.default_rng(7)
    expected, records = 0.0, []
    for i, (rsid, (effect, other, w)) in enumerate(sorted(weights.items(), key=lambda kv: pos[kv[0]])):
        a1, a2 = int(rng.integers(0, 2)), int(rng.integers(0, 2))
        ref, alt = (other, effect) if i % 2 else (effect, other)  # the effect allele is REF at every other site
        alleles = (ref, alt)
        expected += w * sum(alleles[a] == effect for a in (a1, a2))
        records.append((pos[rsid], f"{pos[rsid][0]}\t{pos[rsid][1]}\t{rsid}\t{ref}\t{alt}\t.\tPASS\t.\tGT\t{a1}/{a2}"))
    records.sort(key=lambda r: (int(r[0][0]) if r[0][0].isdigit() else 99, r[0][1]))
    header = ["##fileformat=VCFv4.2", "##reference=GRCh38",
              '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">',
              "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP1"]
    (tmp_path / "p.vcf").write_text("\n".join(header + [r[1] for r in records]) + "\n")
    patient = read_patient(tmp_path / "p.vcf", panels=[bundle.panel], qc_records=0)
    out = predict_json(patient, [bundle], NO_DETAILS)["predictions"]["PGS000001"]["breast_cancer"]
    intercept = bundle.card["assumptions"]["intercept"]
    assert len(weights) == 77 and len(bundle.panel.variants) == 77
    assert math.log(out["probability"] / (1 - out["probability"])) - intercept == pytest.approx(expected, abs=1e-5)
    assert out["interval"] == [out["probability"], out["probability"]]
    assert {f["code"] for f in out["flags"]} == {"no_ensemble", "ancestry_not_checked"}


def test_pgs000001_positions_come_from_the_harmonised_files(tmp_path: Path) -> None:
    scoring = need_shared(*PGS, "PGS000001.txt")
    hm37 = need_shared(*PGS, "PGS000001_hmPOS_GRCh37.txt")
    bundle = load_bundle(import_pgs(scoring, tmp_path))
    first = table(hm37)[0]
    v = bundle.panel.variants[0]
    assert (v.rsid, v.grch37.chrom, v.grch37.pos) == (first["rsID"], first["hm_chr"], int(first["hm_pos"]))
    assert (v.grch38.effect_allele, v.grch38.other_allele, v.grch37.ref) == ("T", "C", "")


def test_pgs000004_format_1_imports_313_variants_with_its_frequencies(tmp_path: Path) -> None:
    scoring = need_shared(*PGS, "PGS000004.txt")
    rows = table(scoring)
    path = import_pgs(scoring, tmp_path, n_reference=40_000, seed=1)
    bundle = load_bundle(path)
    assert bundle.name == "PGS000004" and len(bundle.panel.variants) == len(rows) == 313
    v = bundle.panel.variants[0]
    assert (v.grch37.pos, v.grch37.effect_allele, v.grch37.other_allele) == (
        int(rows[0]["chr_position"]), rows[0]["effect_allele"], rows[0]["reference_allele"])
    # The reference distribution is the HWE score distribution: closed-form mean and sd.
    w = np.array([float(r["effect_weight"]) for r in rows])
    f = np.array([float(r["allelefrequency_effect"]) for r in rows])
    mean, sd = float(np.sum(2 * f * w)), float(np.sqrt(np.sum(2 * f * (1 - f) * w**2)))
    logits = bundle.reference.logits[0] - tomllib.loads((path / "card.toml").read_text())["assumptions"]["intercept"]
    assert logits.mean() == pytest.approx(mean, abs=4 * sd / math.sqrt(len(logits)))
    assert logits.std() == pytest.approx(sd, rel=0.03)
    p = 1 / (1 + np.exp(-bundle.reference.logits[0]))
    assert p.mean() == pytest.approx(0.1, abs=1e-6)  # the stated prevalence assumption


def test_a_file_with_positions_on_one_build_only_is_refused(tmp_path: Path) -> None:
    src = need_shared(*PGS, "PGS000065.txt")
    shutil.copy(src, tmp_path / "PGS000065.txt")
    with pytest.raises(ScoringFileError, match="no variant has positions on both builds"):
        import_pgs(tmp_path / "PGS000065.txt", tmp_path / "models")
