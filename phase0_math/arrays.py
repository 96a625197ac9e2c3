"""Input checks shared by every phase (given to you: nothing to write here).

Course functions call these first, so a wrong shape or dtype stops with a ValueError that names
what was expected and what came, instead of a numpy broadcasting surprise three lines later.
"""

from __future__ import annotations

import numpy as np


def shape_str(shape: tuple) -> str:
    """(2, 3) -> "(2, 3)"; (4,) -> "(4,)"."""
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def as_float_array(x, name: str = "x", ndim: int | None = None) -> np.ndarray:
    """``x`` as a float64 array; integers and bools are converted exactly, anything else refused.

    A float32 array stays float32 (single precision is asked for by handing it in: Extension A's
    opt-in float32 training); every other input, lists and Python numbers included, becomes float64.
    Raises ValueError for complex, string or object input, and when ``ndim`` is given and differs.
    """
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name}: expected real numbers, got an array of dtype {arr.dtype}")
    if arr.dtype != np.float32:
        arr = arr.astype(np.float64, copy=False)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-d array, got shape {shape_str(arr.shape)}")
    return arr


def same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise ValueError unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape, got {shape_str(a.shape)} and {shape_str(b.shape)}"
        )


def as_labels(labels, n: int, n_classes: int, name: str = "labels") -> np.ndarray:
    """Integer class labels of shape (n,), each in [0, n_classes), as int64.

    Floats are refused even when whole (a float label is usually a bug upstream).
    """
    arr = np.asarray(labels)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"{name}: expected integer class labels, got dtype {arr.dtype}")
    if arr.shape != (n,):
        raise ValueError(f"{name}: expected shape {shape_str((n,))}, got {shape_str(arr.shape)}")
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        bad = int(arr[(arr < 0) | (arr >= n_classes)][0])
        raise ValueError(f"{name}: label {bad} is out of range for {n_classes} classes (0 to {n_classes - 1})")
    return arr.astype(np.int64)
