"""Exercise 3.2: the sinusoidal positional encoding of Vaswani et al. (2017), section 3.5.

Attention alone cannot tell positions apart: permute the tokens and the outputs are permuted the
same way. Adding a fixed, position-dependent vector to each token breaks that symmetry:

    PE[pos, 2i]     = sin(pos / 10000^(2i / D))
    PE[pos, 2i + 1] = cos(pos / 10000^(2i / D))

Even dimensions hold sines, odd ones cosines, and each sine/cosine pair shares one frequency.
The wavelengths grow geometrically from 2 pi (i = 0) to 2 pi * 10000^((D - 2) / D) for the last
pair (i = D/2 - 1): 10000^(-2/D) times 2 pi * 10000, about 0.96 of it at D = 512 but only 0.32
at D = 16.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, shape_str


def sinusoidal_encoding(t: int, d_model: int) -> np.ndarray:
    """The encoding of positions 0 .. t-1: (t, d_model), float64, every entry in [-1, 1].

    Row pos, column 2i: sin(pos / 10000^(2i / d_model)); column 2i + 1: cos(same angle).
    Any length t >= 0 works (nothing is learned). Raises ValueError when t is negative or
    not an integer, or when d_model is not a positive even integer.
    """
    ### BEGIN SOLUTION
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
        raise ValueError(f"t: expected a number of positions >= 0, got {t!r}")
    if isinstance(d_model, bool) or not isinstance(d_model, (int, np.integer)) or d_model < 2 or d_model % 2:
        raise ValueError(f"d_model: expected a positive even width (sine and cosine pairs), got {d_model!r}")
    positions = np.arange(t, dtype=np.float64)[:, None]  # (T, 1)
    two_i = np.arange(0, d_model, 2, dtype=np.float64)  # (D/2,): 0, 2, 4, ...
    angles = positions / 10000.0 ** (two_i / d_model)  # (T, D/2)
    pe = np.empty((int(t), int(d_model)))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe
    ### END SOLUTION


def add_positional_encoding(x: np.ndarray) -> np.ndarray:
    """x + the encoding of its positions, the same for every sequence of the batch.

    x: (B, T, D) with D even -> (B, T, D), a new array (x is not modified).
    Raises ValueError unless x is 3-d with an even last axis.
    """
    x = as_float_array(x, "x")
    ### BEGIN SOLUTION
    if x.ndim != 3:
        raise ValueError(f"x: expected shape (B, T, D), got {shape_str(x.shape)}")
    return x + sinusoidal_encoding(x.shape[1], x.shape[2])[None, :, :]
    ### END SOLUTION
