"""Model bundles: ``models/<name>/<version>/`` with weights, card, metrics and reference scores.

A bundle folder holds ``weights.pt`` (the ensemble's state dict, tensors only), ``card.toml``
(intended use, inputs and panel hash, covariates, outputs, training data, metrics, limitations,
weights hash, package versions, seed), ``metrics.json`` (every held-out metric, per ancestry) and
``reference.npz`` (sorted calibrated logits of a reference sample per output and per ancestry,
and the population mean dosages used for imputation). A bundle that brings its own panel (a PGS
Catalog import) also holds ``<panel>.tsv``. Loading refuses a panel whose hash changed.

Loading reads each file once and does not import torch: the weights are read into numpy arrays
(:mod:`genolens.modeling.architecture`), which is all a prediction needs; :attr:`Bundle.model`, the torch
ensemble that explanations differentiate, is built from them on first use.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
import threading
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from genolens.datamodel import Panel
from genolens.errors import BundleError
from genolens.genome.panel import load_panel
from genolens.modeling.architecture import NetworkConfig, check_weights, inputs_read, read_weights
from genolens.modeling.card import BUNDLE_KINDS, ModelCard, read_card
from genolens.provenance import BUNDLE_PACKAGES, package_versions

if TYPE_CHECKING:
    from genolens.modeling.networks import Ensemble


@dataclass(frozen=True)
class Reference:
    """The reference population a patient's score is placed in."""

    logits: np.ndarray
    """float64, shape (n_outputs, n_ref): calibrated logits of the reference sample, sorted per row."""
    ancestries: tuple[str, ...]
    """Ancestry group labels with per-group data; ``()`` when the training data had none."""
    logits_by_ancestry: Mapping[str, np.ndarray]
    """Per group: float64, shape (n_outputs, n_group), sorted per row."""
    feature_mean: np.ndarray
    """float64, shape (n_genetic,): population mean dosage (imputation value)."""
    feature_mean_by_ancestry: np.ndarray
    """float64, shape (n_groups, n_genetic); (0, n_genetic) without ancestry data."""
    ancestry_floor: float
    """1st percentile of the reference sample's best per-site HWE log-likelihood; NaN when unknown."""


_BUILD_LOCK = threading.Lock()
"""Held while a bundle's torch ensemble is built (a module-level lock keeps a bundle picklable)."""


@dataclass(frozen=True)
class Bundle:
    """A loaded bundle, for inference only (eval mode, no gradients on parameters)."""

    name: str
    """Bundle name (folder under ``models/``)."""
    version: str
    """Bundle version (sub-folder)."""
    path: Path
    """The bundle folder."""
    card: Mapping[str, Any]
    """The parsed ``card.toml`` (read it through :attr:`info`; only the Models page shows the raw tables)."""
    info: ModelCard
    """The card, typed."""
    panel: Panel
    """The panel whose variants are the genetic inputs (hash checked)."""
    network: NetworkConfig
    """Architecture."""
    weights: Mapping[str, np.ndarray]
    """The calibrated ensemble's state dict (``weights.pt``) as read-only numpy arrays by name (float32); what
    :func:`~genolens.modeling.predict.predict` evaluates, and what :attr:`model` is built from."""
    reference: Reference
    """Reference distribution and imputation means."""
    outputs: tuple[str, ...]
    """Output names in model order."""
    covariates: tuple[str, ...]
    """Covariate names in model order (after the genetic inputs)."""
    covariate_mean: np.ndarray
    """float64, shape (n_covariates,): population means (default values)."""
    mean_probability: np.ndarray
    """float64, shape (n_outputs,): mean probability of the reference population."""
    coverage_threshold: float
    """Share of genetic inputs that must be observed before no ``low_coverage`` flag is raised."""
    bands: Mapping[str, float]
    """Relative-risk thresholds ``below_average``, ``above_average``, ``high``."""
    reads: np.ndarray
    """bool, shape (n_genetic,): genetic inputs the network reads (non-zero weight in some path)."""
    _built: dict[str, Ensemble] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def model(self) -> Ensemble:
        """The calibrated ensemble as torch modules (eval mode, no gradients on parameters), built from
        :attr:`weights` on first use (torch is imported then) and shared after; never mutated."""
        with _BUILD_LOCK:  # the dashboard's sessions share one bundle: build it once
            if "model" not in self._built:
                import torch

                from genolens.modeling.networks import Ensemble

                model = Ensemble(self.network)
                model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in self.weights.items()})
                self._built["model"] = model.freeze()
            return self._built["model"]


def dumps_toml(data: Mapping[str, Any]) -> str:
    """Write nested mappings of scalars and flat lists as TOML (read back by ``tomllib``)."""
    lines: list[str] = []

    def emit(table: Mapping[str, Any], prefix: tuple[str, ...]) -> None:
        scalars = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
        if prefix and (scalars or not table):
            lines.append(f"\n[{'.'.join(_key(p) for p in prefix)}]")
        lines.extend(f"{_key(k)} = {_value(v)}" for k, v in scalars.items())
        for k, v in table.items():
            if isinstance(v, Mapping):
                emit(v, (*prefix, k))

    emit(data, ())
    return "\n".join(lines).lstrip("\n") + "\n"


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        x = float(v)
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf") if math.isinf(x) else repr(x)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # JSON string escapes are valid TOML basic strings
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"Cannot write {type(v).__name__} {v!r} to TOML")



def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_bundle(path: Path, ensemble: Ensemble, card: dict[str, Any], reference: Reference,
                 metrics: Mapping[str, Any], *, panel_tsv: tuple[str, bytes] | None = None) -> Path:
    """Write a bundle folder; ``card`` gains ``[provenance]`` (weights hash, versions). Returns ``path``."""
    import torch

    path.mkdir(parents=True, exist_ok=True)
    torch.save(ensemble.state_dict(), path / "weights.pt")
    card = {**card, "provenance": {**card.get("provenance", {}), "weights_sha256": _sha256(path / "weights.pt"),
                                   **package_versions(BUNDLE_PACKAGES)}}
    (path / "card.toml").write_text(dumps_toml(card), encoding="utf-8")
    (path / "metrics.json").write_text(json.dumps(json_safe(metrics), indent=1, allow_nan=False), encoding="utf-8")
    arrays = {"logits": reference.logits, "ancestries": np.array(reference.ancestries, dtype=str),
              "feature_mean": reference.feature_mean, "feature_mean_by_ancestry": reference.feature_mean_by_ancestry,
              "ancestry_floor": np.array(reference.ancestry_floor),
              **{f"logits__{g}": reference.logits_by_ancestry[g] for g in reference.ancestries}}
    np.savez(path / "reference.npz", **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds as bool
    if panel_tsv is not None:
        (path / panel_tsv[0]).write_bytes(panel_tsv[1])
    return path


def json_safe(x: Any) -> Any:
    """``x`` with every non-finite float replaced by ``None`` (strict JSON has no NaN)."""
    if isinstance(x, Mapping):
        return {str(k): json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [json_safe(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


ANCESTRY_MIN_COMMON = 20
"""Observed common variants needed before the ancestry check says anything."""
ANCESTRY_MIN_SHARE = 0.8
"""Share of the common variants that must be observed: a variant-only VCF hides hom-ref calls, and
judging ancestry from the non-reference calls alone would flag almost everyone."""


def ancestry_sites(freq_by_group: np.ndarray) -> np.ndarray:
    """Variants common (5-95% effect-allele frequency) in every group: the ones the ancestry check reads.

    Rare variants say more about carrier status than about ancestry (a DPYD *2A carrier is no less
    European for it), so they are left out. ``freq_by_group`` has shape (g, p); returns bool, shape (p,).
    """
    if freq_by_group.size == 0:
        return np.zeros(freq_by_group.shape[1], dtype=bool)
    return np.asarray(((freq_by_group >= 0.05) & (freq_by_group <= 0.95)).all(axis=0))


def ancestry_loglik(genetic: np.ndarray, freq: np.ndarray) -> np.ndarray:
    """Mean per-site HWE log-likelihood of genotypes under each group's allele frequencies.

    Parameters
    ----------
    genetic
        shape (n, p): dosages 0..2, NaN where missing (skipped).
    freq
        shape (g, p): effect-allele frequency per group.

    Returns
    -------
    numpy.ndarray
        shape (n, g); NaN for a person with no observed site.
    """
    f = np.clip(freq, 1e-3, 1 - 1e-3)[None, :, :]  # (1, g, p)
    out = np.empty((len(genetic), freq.shape[0]), dtype=np.float64)
    for lo in range(0, len(genetic), _LOGLIK_ROWS):  # (rows, g, p) temporaries: a cohort at once would need GBs
        part = genetic[lo:lo + _LOGLIK_ROWS]
        d = np.round(np.nan_to_num(part, nan=0.0))[:, None, :]  # (rows, 1, p)
        ll = np.where(d == 2, 2 * np.log(f), np.where(d == 1, np.log(2 * f * (1 - f)), 2 * np.log1p(-f)))
        seen = ~np.isnan(part)[:, None, :]  # (rows, 1, p)
        with np.errstate(invalid="ignore"):
            out[lo:lo + _LOGLIK_ROWS] = (ll * seen).sum(axis=2) / seen.sum(axis=2)
    return out


_LOGLIK_ROWS = 20_000


def load_bundle(path: str | Path, *, panel_dir: Path | None = None) -> Bundle:
    """Load a bundle for inference, checking its weights hash and its panel hash; each file is read once.

    Parameters
    ----------
    path
        The bundle folder ``models/<name>/<version>/``.
    panel_dir
        Where shipped panels live (default ``data/panels``); a bundle with its own panel uses that.

    Raises
    ------
    BundleError
        When a file is missing or damaged, the weights hash differs from the card, the weights do not fit the
        card's architecture, or the panel's current hash differs from the one the bundle was trained on.
    """
    folder = Path(path)
    card_path = folder / "card.toml"
    if not card_path.is_file():
        raise BundleError(f"No card.toml in {folder}; is this a bundle folder (models/<name>/<version>/)?")
    return _load(folder, card_path.read_bytes(), panel_dir)


def _load(folder: Path, card_bytes: bytes, panel_dir: Path | None) -> Bundle:
    """:func:`load_bundle` once the card's bytes are read."""
    try:
        card = tomllib.loads(card_bytes.decode("utf-8"))
        meta, arch, pan, inputs = card["bundle"], card["architecture"], card["panel"], card["inputs"]
        name = f"{meta['name']}/{meta['version']}"
        panel = _checked_panel(name, pan, folder if pan["file"] else panel_dir)
        data = (folder / "weights.pt").read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != card["provenance"]["weights_sha256"]:
            raise BundleError(f"Bundle {name}: weights.pt has sha256 {digest[:12]}..., the card says "
                              f"{card['provenance']['weights_sha256'][:12]}...; the file was changed. Retrain "
                              "with make models.")
        net = NetworkConfig(**arch)
        weights = read_weights(data)
        check_weights(weights, net)
        with np.load(folder / "reference.npz", allow_pickle=False) as ref:
            groups = tuple(str(g) for g in ref["ancestries"])
            reference = Reference(ref["logits"], groups, {g: ref[f"logits__{g}"] for g in groups},
                                  ref["feature_mean"], ref["feature_mean_by_ancestry"], float(ref["ancestry_floor"]))
        outputs = tuple(card["outputs"]["names"])
        covs = tuple(inputs["covariates"])
        return Bundle(
            name=str(meta["name"]), version=str(meta["version"]), path=folder, card=card, info=read_card(card),
            panel=panel, network=net, weights=weights, reference=reference, outputs=outputs, covariates=covs,
            covariate_mean=np.array([card["covariates"][c]["mean"] for c in covs], dtype=np.float64),
            mean_probability=np.array([card["outputs"][o]["mean_probability"] for o in outputs]),
            coverage_threshold=float(inputs["coverage_threshold"]), bands=dict(card["bands"]),
            reads=inputs_read(weights, net))
    except (KeyError, TypeError, FileNotFoundError, ValueError, RuntimeError) as exc:
        raise BundleError(f"Bundle {folder} is incomplete or damaged ({type(exc).__name__}: {exc}). "
                          "Rebuild it with make models.") from None


def _checked_panel(name: str, pan: Mapping[str, str], directory: Path | None) -> Panel:
    """The bundle's panel, checked: its inputs (``Panel.inputs_sha256``) when the card records them, so that REF
    facts added since training are used; else the whole file's bytes (cards written before the inputs hash)."""
    panel = load_panel(str(pan["name"]), directory=directory)
    if panel.pinned_by(pan.get("inputs_sha256"), pan["sha256"]):
        return panel
    if "inputs_sha256" in pan:
        raise BundleError(f"Bundle {name} was trained on panel {pan['name']} whose inputs (variants, positions, "
                          f"alleles) had hash {pan['inputs_sha256']}; they now have hash {panel.inputs_sha256}: "
                          "a variant, position or allele changed. Retrain with make models.")
    raise BundleError(f"Bundle {name} was trained on panel {pan['name']} with hash {pan['sha256']}; the panel "
                      f"now has hash {panel.sha256}; retrain with make models.")


MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
"""Shipped bundles: ``models/<name>/<version>/``."""


def bundle_paths(models_dir: Path = MODELS_DIR) -> list[Path]:
    """The newest version folder of every risk, response or linear bundle under ``models_dir``, sorted by name.

    A dose bundle (``kind = "dose"``: the warfarin dose model, :mod:`genolens.modeling.warfarin_model`) is not
    one of these and is left out.
    """
    found: list[Path] = []
    for versions in _version_dirs(models_dir).values():
        kinds = [v for v in versions if _kind(v) in BUNDLE_KINDS]
        if kinds:
            found.append(_newest(kinds))
    return found


def _version_dirs(models_dir: Path) -> dict[str, list[Path]]:
    """Bundle name -> its version folders (those with a ``card.toml``), names sorted."""
    if not models_dir.is_dir():
        return {}
    return {d.name: [v for v in d.iterdir() if (v / "card.toml").is_file()]
            for d in sorted(p for p in models_dir.iterdir() if p.is_dir())}


def _newest(versions: list[Path]) -> Path:
    return max(versions, key=lambda v: tuple(int(x) if x.isdigit() else 0 for x in v.name.split(".")))


def _kind(folder: Path) -> str:
    """The ``[bundle] kind`` of a bundle folder's card: ``"risk"`` when it says none, or when the card cannot be
    read (so that loading it reports what is wrong). Parsed once per card version (the dashboard lists the
    bundles on every run)."""
    card = folder / "card.toml"
    try:
        return _card_kind(str(card), card.stat().st_mtime_ns)
    except OSError:
        return "risk"


@functools.lru_cache(maxsize=64)
def _card_kind(path: str, mtime_ns: int) -> str:
    try:
        return _kind_of(Path(path).read_bytes())
    except OSError:
        return "risk"


def _kind_of(card_bytes: bytes) -> str:
    try:
        card = tomllib.loads(card_bytes.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return "risk"
    return str(card.get("bundle", {}).get("kind", "risk"))


def load_bundles(models_dir: Path = MODELS_DIR, *, names: Collection[str] | None = None) -> tuple[Bundle, ...]:
    """Load the newest version of every shipped bundle (those :func:`bundle_paths` lists), or of those in ``names``.

    Every file of a bundle is read once (its card's kind is read from the same bytes that are loaded).

    Parameters
    ----------
    models_dir
        The models folder.
    names
        Bundle names (folders under ``models_dir``) to load; ``None``: every one. A name with no risk, response
        or linear bundle is left out (the caller says so, listing :func:`bundle_paths`).

    Raises
    ------
    BundleError
        As :func:`load_bundle`, for the first bundle that cannot be loaded.
    """
    loaded: list[Bundle] = []
    for name, versions in _version_dirs(models_dir).items():
        if names is not None and name not in names:
            continue
        cards = {v: (v / "card.toml").read_bytes() for v in versions}
        kept = [v for v in versions if _kind_of(cards[v]) in BUNDLE_KINDS]
        if kept:
            newest = _newest(kept)
            loaded.append(_load(newest, cards[newest], None))
    return tuple(loaded)
