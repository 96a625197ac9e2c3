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
    # YOUR CODE HERE
    raise NotImplementedError("not started: sinusoidal_encoding")


def add_positional_encoding(x: np.ndarray) -> np.ndarray:
    """x + the encoding of its positions, the same for every sequence of the batch.

    x: (B, T, D) with D even -> (B, T, D), a new array (x is not modified).
    Raises ValueError unless x is 3-d with an even last axis.
    """
    x = as_float_array(x, "x")
    # YOUR CODE HERE
    raise NotImplementedError("not started: add_positional_encoding")
