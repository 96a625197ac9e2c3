"""Input domains for differential tests: hypothesis strategies for shapes, arrays and arguments.

A hidden test file declares, per function, the inputs its contract allows (see
:mod:`grader.engine.differential`); it builds them from the strategies here, so every package
draws shapes and value regimes the same way. Arrays are float64 unless asked otherwise and are
built by numpy from a drawn seed (fast, and the drawn case stays small enough to name).

Value regimes (``regime=``):

- ``"normal"``: standard normal entries;
- ``"wide"``: each row (last axis) scaled by its own factor between 1e-3 and 1e3, so rows of very
  different magnitude meet in one array;
- ``"large"``: entries of magnitude between ``LARGE``/2 and ``LARGE`` (1000: ``exp`` overflows there
  unless shifted) with random signs, the regime a numerically stable function must survive;
- ``"small"``: entries of magnitude around 1e-8;
- ``"ties"``: small integers, so values repeat (ties in max/argmax, equal rows);
- ``"zeros"``: all zeros.

Each drawn array's regime is remembered (:func:`note_of`) so a failure message can name it.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
from hypothesis import strategies as st

LARGE = 1000.0
FLOAT_REGIMES = ("normal", "wide", "large", "small", "ties", "zeros")
MODERATE_REGIMES = ("normal", "wide", "ties")  # for functions whose contract has no overflow promise

_notes: dict[int, str] = {}


def remember(value: object, note: str) -> object:
    """Record what ``value`` is (its regime) so a failure message can name it; returns ``value``."""
    _notes[id(value)] = note
    return value


def note_of(value: object) -> str | None:
    """The regime an array drawn here was built in (None for other values)."""
    return _notes.get(id(value))


def fill(rng: np.random.Generator, shape: tuple[int, ...], regime: str) -> np.ndarray:
    """An array of ``shape`` in ``regime`` from ``rng`` (for strategies that draw one seed per case)."""
    if regime == "normal":
        return rng.normal(size=shape)
    if regime == "wide":
        rows = 10.0 ** rng.uniform(-3, 3, size=shape[:-1] + (1,)) if shape else 10.0 ** rng.uniform(-3, 3)
        return rng.normal(size=shape) * rows
    if regime == "large":
        return rng.uniform(0.5, 1.0, size=shape) * LARGE * rng.choice([-1.0, 1.0], size=shape)
    if regime == "small":
        return rng.normal(size=shape) * 1e-8
    if regime == "ties":
        return rng.integers(-2, 3, size=shape).astype(np.float64)
    if regime == "zeros":
        return np.zeros(shape)
    raise ValueError(f"unknown regime {regime!r}")


def shapes(ranks: Sequence[int] = (1, 2, 3), min_side: int = 1, max_side: int = 5) -> st.SearchStrategy:
    """Shapes of the given ranks, each side in [min_side, max_side] (sizes may coincide)."""
    return st.sampled_from(list(ranks)).flatmap(
        lambda r: st.tuples(*[st.integers(min_side, max_side) for _ in range(r)]))


@st.composite
def arrays(draw: st.DrawFn, shape: tuple[int, ...] | st.SearchStrategy | None = None,
           regimes: Iterable[str] = FLOAT_REGIMES, ranks: Sequence[int] = (1, 2, 3), min_side: int = 1,
           max_side: int = 5, dtype: type = np.float64) -> np.ndarray:
    """A float array of a drawn (or given) shape in a drawn regime."""
    if shape is None:
        shape = draw(shapes(ranks, min_side, max_side))
    elif isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    regime = draw(st.sampled_from(list(regimes)))
    seed = draw(st.integers(0, 2**32 - 1))
    value = fill(np.random.default_rng(seed), tuple(shape), regime).astype(dtype)
    return remember(value, regime)


@st.composite
def int_arrays(draw: st.DrawFn, shape: tuple[int, ...] | st.SearchStrategy, low: int, high: int,
               dtypes: Sequence[type] = (np.int64, np.int32, np.uint8)) -> np.ndarray:
    """Integers in [low, high) (class labels, token ids) of a drawn integer dtype, unsigned ones too."""
    if isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    dtype = draw(st.sampled_from([t for t in dtypes if np.iinfo(t).max >= high - 1 and np.iinfo(t).min <= low]))
    seed = draw(st.integers(0, 2**32 - 1))
    value = np.random.default_rng(seed).integers(low, high, size=shape).astype(dtype)
    _notes[id(value)] = f"{np.dtype(dtype).name} in [{low}, {high})"
    return value


@st.composite
def probabilities(draw: st.DrawFn, shape: tuple[int, ...] | st.SearchStrategy, zeros: bool = True) -> np.ndarray:
    """Rows (last axis) that sum to one; with ``zeros``, some entries exactly 0 (never a whole row)."""
    if isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]) if shape[-1] > 0 else np.zeros(shape)
    if zeros and shape[-1] > 1 and draw(st.booleans()):
        p = np.where(rng.random(shape) < 0.3, 0.0, p)
        p[..., 0] = np.where(p.sum(axis=-1) == 0, 1.0, p[..., 0])
        p = p / p.sum(axis=-1, keepdims=True)
    p = np.asarray(p, dtype=np.float64)
    _notes[id(p)] = "probabilities" + (" with zeros" if zeros else "")
    return p


def axes(ndim: int, negative: bool = True) -> st.SearchStrategy:
    """A valid axis of an ndim-array: 0..ndim-1 and, with ``negative``, -ndim..-1."""
    low = -ndim if negative else 0
    return st.integers(low, ndim - 1)


def seeds() -> st.SearchStrategy:
    return st.integers(0, 2**31 - 1)


# -- cheap cases: one hypothesis draw (a seed), numpy draws the rest ---------------------------------


def seeded(make) -> st.SearchStrategy:
    """Cases built by ``make(rng)`` from one drawn seed: one hypothesis draw per case keeps drawing
    cheap, and numpy draws the sizes, the value regimes and the arguments."""
    return seeds().map(lambda seed: make(np.random.default_rng(seed)))


def pick(rng: np.random.Generator, options: Sequence):
    """One of ``options``, drawn by ``rng``."""
    return options[int(rng.integers(len(options)))]


def values(rng: np.random.Generator, shape: tuple[int, ...], regimes: Sequence[str] = FLOAT_REGIMES,
           notes: list | None = None) -> np.ndarray:
    """An array in one of ``regimes`` (its name appended to ``notes``)."""
    regime = pick(rng, regimes)
    if notes is not None:
        notes.append(regime)
    return fill(rng, tuple(shape), regime)


def ints(rng: np.random.Generator, shape: tuple[int, ...], low: int, high: int) -> np.ndarray:
    """Integers in [low, high) of a drawn integer dtype, unsigned ones too."""
    dtypes = [t for t in (np.int64, np.int32, np.uint8) if np.iinfo(t).max >= high - 1 and np.iinfo(t).min <= low]
    return rng.integers(low, high, size=shape).astype(pick(rng, dtypes))
