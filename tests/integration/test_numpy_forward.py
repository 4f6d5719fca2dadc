"""Predictions without torch equal torch's: the weights read by ``read_weights`` are torch's to the bit, and the
numpy forward pass of every shipped bundle is within 1e-6 of the torch ensemble's (issue 13)."""

from __future__ import annotations

import io
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from genolens.datamodel import Features
from genolens.errors import BundleError
from genolens.modeling.architecture import member_logits, read_weights
from genolens.modeling.bundle import bundle_paths, load_bundle
from genolens.modeling.logistic import sigmoid
from genolens.modeling.networks import genetic_inputs_read
from genolens.modeling.predict import predict

SHIPPED = bundle_paths()


def _inputs(bundle_dir: Path, n: int = 500) -> np.ndarray:
    """``n`` people drawn around the bundle's reference: dosages 0..2 at its allele frequencies, covariates
    around their means (float32, shape (n, n_genetic + n_covariates)), seeded."""
    b = load_bundle(bundle_dir)
    rng = np.random.default_rng(13)
    freq = np.clip(b.reference.feature_mean / 2, 0.0, 1.0)
    genetic = rng.binomial(2, freq, size=(n, len(freq)))
    sd = np.array([b.info.covariate(c).sd for c in b.covariates])
    covariates = b.covariate_mean + sd * rng.standard_normal((n, len(b.covariates)))
    return np.concatenate([genetic, covariates], axis=1).astype(np.float32)


@pytest.mark.parametrize("bundle_dir", SHIPPED, ids=lambda p: p.parent.name)
def test_weights_read_without_torch_are_torchs_bit_for_bit(bundle_dir: Path) -> None:
    ours = read_weights((bundle_dir / "weights.pt").read_bytes())
    theirs = torch.load(bundle_dir / "weights.pt", map_location="cpu", weights_only=True)
    assert list(ours) == list(theirs)
    for name, tensor in theirs.items():
        assert ours[name].dtype == np.float32 and np.array_equal(ours[name], tensor.numpy()), name


@pytest.mark.parametrize("bundle_dir", SHIPPED, ids=lambda p: p.parent.name)
def test_numpy_forward_pass_matches_torch_within_1e_6(bundle_dir: Path) -> None:
    bundle = load_bundle(bundle_dir)
    x = _inputs(bundle_dir)
    with torch.inference_mode():
        expected = bundle.model.member_logits(torch.from_numpy(x)).double().numpy()  # (members, n, outputs)
    got = member_logits(bundle.weights, bundle.network, x).astype(np.float64)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)  # float32 rounding on logits up to ~10
    np.testing.assert_allclose(sigmoid(got.mean(axis=0)), sigmoid(expected.mean(axis=0)), rtol=0, atol=1e-6)
    assert np.array_equal(bundle.reads, genetic_inputs_read(bundle.model, bundle.network.n_genetic))


@pytest.mark.parametrize("bundle_dir", SHIPPED, ids=lambda p: p.parent.name)
def test_predict_gives_torchs_probabilities(bundle_dir: Path) -> None:
    bundle = load_bundle(bundle_dir)
    x = _inputs(bundle_dir, n=3)
    n_genetic = bundle.network.n_genetic
    for row in x:
        clinical = dict(zip(bundle.covariates, map(float, row[n_genetic:]), strict=True))
        names = tuple(v.id for v in bundle.panel.variants)
        features = Features(names=names, values=row[:n_genetic].astype(np.float64),
                            missing=np.zeros(n_genetic, dtype=bool), origin=("observed",) * n_genetic,
                            policy="missing")
        pred = predict(bundle, features, clinical)
        with torch.inference_mode():
            z = bundle.model(torch.from_numpy(row)[None, :]).double().numpy()[0]  # (n_outputs,)
        np.testing.assert_allclose([o.probability for o in pred.outputs], sigmoid(z), rtol=0, atol=1e-6)


def _archive_with(payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("weights/data.pkl", payload)
        z.writestr("weights/byteorder", "little")
    return buf.getvalue()


class _Shell:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("this must never run",))


def test_a_weights_file_with_any_other_object_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match=r"builtin__\.print is not part of a tensor state dict"):
        read_weights(_archive_with(pickle.dumps({"w": _Shell()}, protocol=2)))  # torch.save's protocol
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="not a state dict of tensors"):
        read_weights(b"not a zip file")


def test_weights_that_do_not_fit_the_card_are_refused_at_load(tmp_path: Path) -> None:
    src = next(p for p in SHIPPED if p.parent.name == "coronary_artery_disease")
    folder = tmp_path / "coronary_artery_disease" / src.name
    shutil.copytree(src, folder)
    card = (folder / "card.toml").read_text(encoding="utf-8")
    assert "\nhidden = 16\n" in card
    (folder / "card.toml").write_text(card.replace("\nhidden = 16\n", "\nhidden = 8\n"), encoding="utf-8")
    with pytest.raises(BundleError, match=r"weight members\.0\.interaction\.0\.weight has shape \(16, 18\), the "
                                          r"architecture \(8, 18\)"):
        load_bundle(folder, panel_dir=None)
