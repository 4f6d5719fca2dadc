"""Bundles: the TOML writer, write -> load round trip, hash checks that refuse a changed panel or weights."""

from __future__ import annotations

import hashlib
import math
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest
import torch

from genolens.errors import BundleError
from genolens.modeling.bundle import dumps_toml, load_bundle
from genolens.modeling.train import TrainResult
from genolens.modeling.train_config import TrainConfig
from tests.factories import N_SNP, SMALL, small_bundle


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TrainResult]:
    return small_bundle(tmp_path_factory.mktemp("bundle"))


def test_toml_writer_round_trips_through_tomllib() -> None:
    data = {"a": {"text": 'quote " and \\ and é\nnew line', "n": 3, "x": 0.1, "nan": math.nan, "flag": True,
                  "list": [1.5, -2.0], "names": ["rs1", "rs 2"], "empty": []},
            "b": {"c.d": {"deep": -math.inf}}, "top": 1}
    back = tomllib.loads(dumps_toml(data))
    assert back["a"]["text"] == data["a"]["text"] and back["a"]["list"] == [1.5, -2.0] and back["top"] == 1
    assert math.isnan(back["a"]["nan"]) and back["b"]["c.d"]["deep"] == -math.inf and back["a"]["empty"] == []


@pytest.mark.slow  # trains a model
def test_round_trip_gives_identical_predictions(trained: tuple[Path, TrainResult]) -> None:
    path, result = trained
    loaded = load_bundle(path, panel_dir=path.parents[2] / "panels")
    x = torch.from_numpy(np.random.default_rng(0).uniform(0, 2, (9, N_SNP + 2)).astype(np.float32))
    x[:, N_SNP:] = torch.tensor([55.0, 27.0])
    with torch.inference_mode():
        assert torch.equal(loaded.model(x), result.ensemble(x))
        assert torch.equal(loaded.model.member_logits(x), result.ensemble.member_logits(x))
    assert not loaded.model.training and not any(p.requires_grad for p in loaded.model.parameters())


@pytest.mark.slow  # trains a model
def test_card_states_what_a_reader_needs(trained: tuple[Path, TrainResult]) -> None:
    path, result = trained
    card = tomllib.loads((path / "card.toml").read_text())
    assert "Research use only" in card["bundle"]["research_use_only"] and card["bundle"]["seed"] == 0
    assert card["panel"]["name"] == "tiny" and len(card["panel"]["sha256"]) == 64
    assert card["covariates"]["age"]["units"] == "years"
    assert card["covariates"]["age"]["mean"] == pytest.approx(55.0, abs=0.5)
    assert card["provenance"]["weights_sha256"] == hashlib.sha256((path / "weights.pt").read_bytes()).hexdigest()
    assert {"torch", "numpy", "python"} <= set(card["provenance"])
    assert card["metrics"]["y_disease"]["network_auroc"] == result.metrics["y_disease"]["network"]["all"]["auroc"]
    assert card["architecture"]["members"] == 3 and card["training"]["n_test"] == 1800
    ref = np.load(path / "reference.npz")
    assert ref["logits"].shape == (1, 1800) and np.all(np.diff(ref["logits"][0]) >= 0)
    assert sorted(ref["ancestries"].tolist()) == ["AFR", "EUR"]


def _edited_panel(path: Path, folder: Path, old: str, new: str) -> Path:
    original = (path.parents[2] / "panels" / "tiny.tsv").read_text()
    assert old in original
    folder.mkdir()
    (folder / "tiny.tsv").write_text(original.replace(old, new, 1))
    return folder


@pytest.mark.slow  # trains a model
def test_a_changed_variant_is_refused_and_a_ref_fact_added_is_used(trained: tuple[Path, TrainResult],
                                                                  tmp_path: Path) -> None:
    path, _ = trained
    rs1 = "rs1\tG1\t\t1\t10000\t\tA\tG"  # id, rsid, gene, allele name, GRCh38 chrom, pos, REF (none), effect, other
    moved = _edited_panel(path, tmp_path / "effect", rs1, rs1.replace("\tA\tG", "\tC\tG"))
    with pytest.raises(BundleError, match=r"Bundle tiny_risk/0.1.0 was trained on panel tiny whose inputs \(variants, "
                                          r"positions, alleles\) had hash [0-9a-f]{64}; they now have hash "
                                          r"[0-9a-f]{64}: a variant, position or allele changed"):
        load_bundle(path, panel_dir=moved)
    with_ref = _edited_panel(path, tmp_path / "ref", rs1, rs1.replace("\t\tA\tG", "\tG\tA\tG"))
    b = load_bundle(path, panel_dir=with_ref)
    trained_on = load_bundle(path, panel_dir=path.parents[2] / "panels").panel
    assert b.panel.variants[0].grch38.ref == "G" and trained_on.variants[0].grch38.ref == ""
    assert b.panel.sha256 != trained_on.sha256 and b.panel.inputs_sha256 == trained_on.inputs_sha256


@pytest.mark.slow  # trains a model
def test_a_card_without_the_inputs_hash_checks_the_panel_file(trained: tuple[Path, TrainResult],
                                                              tmp_path: Path) -> None:
    path, _ = trained
    old = tmp_path / "tiny_risk" / "0.1.0"
    shutil.copytree(path, old)
    card = (old / "card.toml").read_text()
    assert "inputs_sha256 = " in card
    (old / "card.toml").write_text("\n".join(line for line in card.split("\n") if not line.startswith("inputs_sha256")))
    (tmp_path / "panels").mkdir()
    shutil.copy(path.parents[2] / "panels" / "tiny.tsv", tmp_path / "panels" / "tiny.tsv")
    assert load_bundle(old, panel_dir=tmp_path / "panels").name == "tiny_risk"
    edited = _edited_panel(path, tmp_path / "edited", "Tiny test panel", "Tiny test panel, edited")
    with pytest.raises(BundleError, match=r"Bundle tiny_risk/0.1.0 was trained on panel tiny with hash [0-9a-f]{64}; "
                                          r"the panel now has hash [0-9a-f]{64}; retrain with make models"):
        load_bundle(old, panel_dir=edited)


@pytest.mark.slow  # trains a model
def test_changed_weights_are_refused(trained: tuple[Path, TrainResult], tmp_path: Path) -> None:
    path, _ = trained
    copy = tmp_path / "tiny_risk" / "0.1.0"
    copy.mkdir(parents=True)
    for f in path.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    (copy / "weights.pt").write_bytes((path / "weights.pt").read_bytes() + b"\0")
    with pytest.raises(BundleError, match=r"weights\.pt has sha256 .* the card says"):
        load_bundle(copy, panel_dir=path.parents[2] / "panels")


def test_a_folder_without_card_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"No card\.toml"):
        load_bundle(tmp_path)


@pytest.mark.slow  # trains a model
def test_unused_config_is_recorded(trained: tuple[Path, TrainResult]) -> None:
    path, _ = trained
    card = tomllib.loads((path / "card.toml").read_text())
    assert card["training"]["batch_size"] == SMALL.batch_size and isinstance(SMALL, TrainConfig)


def test_ancestry_loglik_of_a_cohort_larger_than_one_chunk_equals_the_closed_form_per_person() -> None:
    from genolens.modeling.bundle import _LOGLIK_ROWS, ancestry_loglik

    rng = np.random.default_rng(0)
    g = rng.integers(0, 3, (_LOGLIK_ROWS + 7, 6)).astype(np.float64)
    g[rng.random(g.shape) < 0.1] = np.nan
    freq = rng.uniform(0.05, 0.95, (2, 6))
    got = ancestry_loglik(g, freq)
    for i in (0, _LOGLIK_ROWS - 1, _LOGLIK_ROWS, _LOGLIK_ROWS + 6):  # both sides of the chunk boundary
        seen = ~np.isnan(g[i])
        for k in range(2):
            f, d = freq[k, seen], g[i, seen]
            hwe = np.where(d == 2, f**2, np.where(d == 1, 2 * f * (1 - f), (1 - f) ** 2))  # Hardy-Weinberg
            assert got[i, k] == pytest.approx(np.log(hwe).mean(), rel=1e-12)
