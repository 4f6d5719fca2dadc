"""The networks without torch: their configuration, their weights read as numpy arrays, their forward pass in numpy.

A prediction is one small forward pass (a few matrix products per member), so :func:`~genolens.modeling.predict.predict`
runs it here and a command that only predicts never imports torch (whose import alone costs about 1.6 s of CPU).
The torch modules of :mod:`genolens.modeling.networks` are built from the same arrays when a gradient is needed
(explanations, training); tests hold the two forward passes within 1e-6 on every shipped bundle.

``weights.pt`` is what ``torch.save(ensemble.state_dict())`` writes: a zip archive holding a pickle of the state
dict (``<name>/data.pkl``) and one raw little-endian file per tensor storage (``<name>/data/<key>``).
:func:`read_weights` unpickles it with an allow-list (an ``OrderedDict`` of tensors and nothing else), as
``torch.load(..., weights_only=True)`` does.
"""

from __future__ import annotations

import collections
import io
import pickle
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

NetworkKind = Literal["risk", "response", "linear"]
NETWORK_KINDS: tuple[NetworkKind, ...] = get_args(NetworkKind)


@dataclass(frozen=True)
class NetworkConfig:
    """The architecture of a bundle's networks; written to the card and read back to rebuild them."""

    kind: NetworkKind
    """``risk`` (additive + interaction + covariate paths), ``response`` (shared trunk, one head per
    drug) or ``linear`` (one layer: a polygenic score)."""
    n_genetic: int
    """Genetic inputs (panel variants)."""
    n_covariates: int
    """Clinical covariates after the genetic inputs."""
    n_outputs: int
    """Outputs: diseases for ``risk``/``linear``, drugs for ``response``."""
    hidden: int = 16
    """Width of the interaction path / shared trunk."""
    members: int = 5
    """Ensemble members (1 for ``linear``)."""
    covariate_hidden: int = 0
    """Width of a risk network's covariate-shape path: a small MLP over the covariates alone, added to the
    logit, so that a clinical input such as age can act non-linearly (incidence is not log-linear in age);
    0: none (the covariates act linearly)."""


_STORAGES = {"FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2", "LongStorage": "<i8",
             "IntStorage": "<i4", "BoolStorage": "|b1"}
"""torch storage classes a state dict may hold -> numpy dtype (little-endian, as ``byteorder`` must say)."""


class _StateDictUnpickler(pickle.Unpickler):
    """Unpickles ``data.pkl`` of a torch zip archive into numpy arrays; refuses every other global."""

    def __init__(self, archive: zipfile.ZipFile, prefix: str) -> None:
        super().__init__(io.BytesIO(archive.read(f"{prefix}/data.pkl")))
        self._archive, self._prefix = archive, prefix

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _STORAGES:
            return np.dtype(_STORAGES[name])
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a tensor state dict")

    def persistent_load(self, pid: Any) -> np.ndarray:
        kind, dtype, key, _location, numel = pid  # ("storage", storage class, key, device, element count)
        if kind != "storage" or not isinstance(dtype, np.dtype):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        return np.frombuffer(self._archive.read(f"{self._prefix}/data/{key}"), dtype=dtype, count=int(numel))


def _rebuild_tensor(storage: np.ndarray, offset: int, size: tuple[int, ...], stride: tuple[int, ...],
                    *_: Any) -> np.ndarray:
    """A tensor's values from its storage, offset, shape and strides (in elements); a read-only copy."""
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape=tuple(size),
                                           strides=tuple(s * storage.itemsize for s in stride))
    out = np.array(view)  # own memory, C order
    out.setflags(write=False)
    return out


def read_weights(data: bytes) -> dict[str, np.ndarray]:
    """The state dict in ``data`` (the bytes of a ``torch.save`` file), as read-only numpy arrays by name.

    Raises
    ------
    ValueError
        When ``data`` is not a little-endian torch zip archive of tensors only (``pickle.UnpicklingError``,
        ``zipfile.BadZipFile`` and ``KeyError`` are re-raised as this).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            pkl = next((n for n in archive.namelist() if n.endswith("/data.pkl")), None)
            if pkl is None:
                raise ValueError("no data.pkl in the archive")
            prefix = pkl.removesuffix("/data.pkl")
            if f"{prefix}/byteorder" in archive.namelist() and archive.read(f"{prefix}/byteorder") != b"little":
                raise ValueError("the tensors are big-endian")
            state = _StateDictUnpickler(archive, prefix).load()
    except (pickle.UnpicklingError, zipfile.BadZipFile, KeyError, EOFError) as exc:
        raise ValueError(f"not a state dict of tensors ({exc})") from None
    if not isinstance(state, Mapping) or not all(isinstance(v, np.ndarray) for v in state.values()):
        raise ValueError("not a state dict of tensors")
    return {str(k): v for k, v in state.items()}


def weight_shapes(cfg: NetworkConfig) -> dict[str, tuple[int, ...]]:
    """Every array of an ensemble's state dict under ``cfg``, by name, with its shape."""
    n_in, g, h, k = cfg.n_genetic + cfg.n_covariates, cfg.n_genetic, cfg.hidden, cfg.n_outputs
    shapes: dict[str, tuple[int, ...]] = {"cal_slope": (k,), "cal_bias": (k,)}
    for m in range(cfg.members):
        p = f"members.{m}."
        shapes |= {p + "scale.mean": (n_in,), p + "scale.scale": (n_in,)}
        if cfg.kind == "risk":
            shapes |= {p + "additive.weight": (k, g), p + "additive.bias": (k,), p + "interaction.0.weight": (h, g),
                       p + "interaction.0.bias": (h,), p + "interaction_out.weight": (k, h)}
            if cfg.n_covariates:
                shapes[p + "covariate.weight"] = (k, cfg.n_covariates)
            if cfg.n_covariates and cfg.covariate_hidden:
                c = cfg.covariate_hidden
                shapes |= {p + "covariate_shape.0.weight": (c, cfg.n_covariates), p + "covariate_shape.0.bias": (c,),
                           p + "covariate_shape_out.weight": (k, c)}
        elif cfg.kind == "response":
            shapes |= {p + "trunk.0.weight": (h, n_in), p + "trunk.0.bias": (h,)}
            for j in range(k):
                shapes |= {f"{p}additive.{j}.weight": (1, n_in), f"{p}additive.{j}.bias": (1,),
                           f"{p}heads.{j}.weight": (1, h)}
        else:
            shapes |= {p + "linear.weight": (k, n_in), p + "linear.bias": (k,)}
    return shapes


def check_weights(weights: Mapping[str, np.ndarray], cfg: NetworkConfig) -> None:
    """Raise ``ValueError`` unless ``weights`` holds exactly the arrays of ``cfg``'s ensemble, each of its shape."""
    want = weight_shapes(cfg)
    if set(weights) != set(want):
        extra, lacking = sorted(set(weights) - set(want)), sorted(set(want) - set(weights))
        raise ValueError(f"weights do not fit a {cfg.kind} network (unexpected: {extra[:3]}, missing: {lacking[:3]})")
    bad = [n for n, s in want.items() if weights[n].shape != s]
    if bad:
        raise ValueError(f"weight {bad[0]} has shape {weights[bad[0]].shape}, the architecture {want[bad[0]]}")


def _silu(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(-x) overflows to inf for x < -88: x / inf = -0, as torch gives
        out: np.ndarray = x / (np.float32(1.0) + np.exp(-x))  # x * sigmoid(x), as torch.nn.SiLU
    return out


def _linear(weights: Mapping[str, np.ndarray], name: str, x: np.ndarray, *, bias: bool = True) -> np.ndarray:
    out: np.ndarray = x @ weights[f"{name}.weight"].T  # (batch, out)
    return out + weights[f"{name}.bias"] if bias else out


def member_logits(weights: Mapping[str, np.ndarray], cfg: NetworkConfig, x: np.ndarray) -> np.ndarray:
    """Calibrated logits of each member, float32, shape (members, batch, n_outputs), for inputs ``x`` of shape
    (batch, n_genetic + n_covariates) on their natural scale: the forward pass of
    :meth:`genolens.modeling.networks.Ensemble.member_logits`, in float32 like torch's."""
    x = np.asarray(x, dtype=np.float32)
    rows = []
    for m in range(cfg.members):
        p = f"members.{m}."
        z = (x - weights[p + "scale.mean"]) / weights[p + "scale.scale"]  # (batch, n_in)
        if cfg.kind == "risk":
            g = z[:, : cfg.n_genetic]  # (batch, n_genetic)
            out = _linear(weights, p + "additive", g) + _linear(
                weights, p + "interaction_out", _silu(_linear(weights, p + "interaction.0", g)), bias=False)
            if cfg.n_covariates:
                out = out + _linear(weights, p + "covariate", z[:, cfg.n_genetic:], bias=False)
            if cfg.n_covariates and cfg.covariate_hidden:
                out = out + _linear(weights, p + "covariate_shape_out",
                                    _silu(_linear(weights, p + "covariate_shape.0", z[:, cfg.n_genetic:])), bias=False)
        elif cfg.kind == "response":
            h = _silu(_linear(weights, p + "trunk.0", z))  # (batch, hidden)
            out = np.concatenate([_linear(weights, f"{p}additive.{j}", z) + _linear(weights, f"{p}heads.{j}", h,
                                                                                     bias=False)
                                  for j in range(cfg.n_outputs)], axis=1)  # (batch, n_outputs)
        else:
            out = _linear(weights, p + "linear", z)
        rows.append(out)
    logits: np.ndarray = np.stack(rows) * weights["cal_slope"] + weights["cal_bias"]  # (members, batch, n_outputs)
    return logits


def inputs_read(weights: Mapping[str, np.ndarray], cfg: NetworkConfig) -> np.ndarray:
    """bool, shape (n_genetic,): the genetic inputs some first-layer weight of some member reads (as
    :func:`genolens.modeling.networks.genetic_inputs_read`)."""
    first = {"risk": ("additive.weight", "interaction.0.weight"), "linear": ("linear.weight",),
             "response": ("trunk.0.weight", *(f"additive.{j}.weight" for j in range(cfg.n_outputs)))}[cfg.kind]
    read = np.zeros(cfg.n_genetic, dtype=bool)
    for m in range(cfg.members):
        for name in first:
            read |= (weights[f"members.{m}.{name}"][:, : cfg.n_genetic] != 0).any(axis=0)
    return read
