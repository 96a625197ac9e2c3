"""Hidden tests: positional_encoding.py (the sinusoidal encoding of the paper, adding it to a batch)."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture

pe = module_fixture("phase3_transformer.positional_encoding")

pytestmark = pytest.mark.exercise("positional_encoding")


def test_encoding_of_position_0_is_0_on_even_and_1_on_odd_dimensions(pe):
    # sin(0) = 0 on even columns, cos(0) = 1 on odd ones: catches sine and cosine swapped
    got = expect_array(pe.sinusoidal_encoding(1, 6), "sinusoidal_encoding(1, 6)", shape=(1, 6))
    assert_close(got, np.array([[0.0, 1.0, 0.0, 1.0, 0.0, 1.0]]), "sinusoidal_encoding(1, 6)")


def test_encoding_values_at_known_positions_with_width_4(pe):
    # width 4: 10000^(2/4) = 100, so row p is [sin p, cos p, sin(p/100), cos(p/100)]
    p = np.arange(3.0)
    expected = np.stack([np.sin(p), np.cos(p), np.sin(p / 100), np.cos(p / 100)], axis=1)
    got = expect_array(pe.sinusoidal_encoding(3, 4), "sinusoidal_encoding(3, 4)", shape=(3, 4))
    assert_close(got, expected, "sinusoidal_encoding(3, 4)", rtol=1e-10, atol=1e-12)


def test_encoding_frequencies_are_10000_to_the_minus_2i_over_d(pe):
    # the pair (2i, 2i+1) shares the angle pos / 10000^(2i / D); catches i/D, 1000, or halves not interleaved
    t, d = 40, 8
    pos = np.arange(t, dtype=float)[:, None]
    angles = pos / 10000.0 ** (np.arange(0, d, 2) / d)
    got = expect_array(pe.sinusoidal_encoding(t, d), "sinusoidal_encoding(40, 8)", shape=(t, d))
    assert_close(got[:, 0::2], np.sin(angles), "even columns of sinusoidal_encoding(40, 8)", rtol=1e-10, atol=1e-12)
    assert_close(got[:, 1::2], np.cos(angles), "odd columns of sinusoidal_encoding(40, 8)", rtol=1e-10, atol=1e-12)


def test_every_sine_cosine_pair_lies_on_the_unit_circle(pe):
    got = pe.sinusoidal_encoding(25, 10)
    assert_close(got[:, 0::2] ** 2 + got[:, 1::2] ** 2, np.ones((25, 5)), "sin^2 + cos^2 of each column pair")


def test_encoding_works_for_long_sequences(pe):
    t, d = 3000, 16
    got = expect_array(pe.sinusoidal_encoding(t, d), "sinusoidal_encoding(3000, 16)", shape=(t, d))
    if np.abs(got).max() > 1.0 + 1e-12:
        raise AssertionError(f"sinusoidal_encoding(3000, 16): entries must lie in [-1, 1], found {np.abs(got).max()}")
    angles = (t - 1) / 10000.0 ** (np.arange(0, d, 2) / d)
    assert_close(got[-1, 0::2], np.sin(angles), "last row, even columns", rtol=1e-9, atol=1e-12)
    assert_close(got[-1, 1::2], np.cos(angles), "last row, odd columns", rtol=1e-9, atol=1e-12)


def test_encoding_of_an_odd_width_is_refused(pe):
    expect_array(pe.sinusoidal_encoding(3, 6), "sinusoidal_encoding(3, 6)", shape=(3, 6))
    assert_raises(ValueError, lambda: pe.sinusoidal_encoding(3, 5), "sinusoidal_encoding(3, 5)")


def test_encoding_of_a_negative_length_is_refused(pe):
    expect_array(pe.sinusoidal_encoding(2, 2), "sinusoidal_encoding(2, 2)", shape=(2, 2))
    assert_raises(ValueError, lambda: pe.sinusoidal_encoding(-1, 4), "sinusoidal_encoding(-1, 4)")


def test_add_positional_encoding_adds_the_same_rows_to_every_sequence(pe, rng):
    x = rng.normal(size=(2, 5, 6))
    got = expect_array(pe.add_positional_encoding(x), "add_positional_encoding(x (2, 5, 6))", shape=(2, 5, 6))
    pos = np.arange(5.0)[:, None]
    angles = pos / 10000.0 ** (np.arange(0, 6, 2) / 6)
    enc = np.empty((5, 6))
    enc[:, 0::2], enc[:, 1::2] = np.sin(angles), np.cos(angles)
    assert_close(got, x + enc[None], "add_positional_encoding(x)")


def test_add_positional_encoding_refuses_an_odd_width(pe, rng):
    expect_array(pe.add_positional_encoding(np.zeros((1, 2, 4))), "add_positional_encoding of (1, 2, 4)",
                 shape=(1, 2, 4))
    assert_raises(ValueError, lambda: pe.add_positional_encoding(rng.normal(size=(2, 3, 5))),
                  "add_positional_encoding of x (2, 3, 5)")


# -- the whole contract, against the reference ---------------------------------------------------
# Lengths from 0 (an empty encoding) to 2000, widths from 2 to 32, batch 1, one position, every
# value regime of x, and every refusal (a negative or non-integer length; a width that is odd,
# 0, negative or not an integer; x that is not 3-d). Each case is built from one drawn seed.

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


from grader.engine.domains import seeded as _seeded  # noqa: E402


def _encoding_case(rng):
    t = int(rng.choice([0, 1, 2, 3, 7, 20, 64, 500, 2000]))
    return case(t, 2 * int(rng.integers(1, 17)))


def _add_case(rng):
    shape = (int(rng.integers(1, 4)), int(rng.integers(1, 7)), 2 * int(rng.integers(1, 5)))
    regime = str(rng.choice(dom.FLOAT_REGIMES))
    return case(dom.fill(rng, shape, regime), note=regime)


CONTRACTS = [
    Contract("phase3_transformer.positional_encoding", "sinusoidal_encoding", _seeded(_encoding_case), examples=8,
             fixed=[case(-1, 4, note="a negative length"), case(2.0, 4, note="a length that is not an integer"),
                    case(3, 5, note="an odd width"), case(3, 0, note="width 0"), case(3, -2, note="a negative width"),
                    case(3, 4.0, note="a width that is not an integer"), case(0, 2, note="no positions")]),
    Contract("phase3_transformer.positional_encoding", "add_positional_encoding", _seeded(_add_case), examples=8,
             fixed=[case(np.ones((2, 3, 5)), note="an odd width"), case(np.ones((3, 4)), note="2-d x"),
                    case(np.ones((1, 2, 3, 4)), note="4-d x")]),
]
globals().update(contract_tests(CONTRACTS))
