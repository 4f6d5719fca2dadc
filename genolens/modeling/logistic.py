"""The logistic function, once: every probability GenoLens shows is ``sigmoid`` of a log-odds."""

from __future__ import annotations

from typing import overload

import numpy as np


@overload
def sigmoid(z: float) -> float: ...
@overload
def sigmoid(z: np.ndarray) -> np.ndarray: ...
def sigmoid(z: float | np.ndarray) -> float | np.ndarray:
    """Return ``1 / (1 + exp(-z))`` without overflow (a float for a float, float64 of ``z``'s shape for an array).

    Both branches use NumPy's ``exp``, so a scalar and the same value inside an array give the same bits.
    """
    arr = np.asarray(z, dtype=np.float64)
    out = np.empty_like(arr)
    pos = arr >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-arr[pos]))
    ez = np.exp(arr[~pos])
    out[~pos] = ez / (1.0 + ez)
    return float(out) if np.ndim(z) == 0 else out
