"""The corpora of this extension (given to you, except the entropy rate at the end).

Two kinds of text, neither downloaded at run time:

- **Python's own documentation.** The standard library ships the text of the language
  reference's topics (``pydoc_data.topics``, what ``help("if")`` prints) under the PSF licence.
  :func:`pydoc_corpus` keeps its prose paragraphs, normalises them to a small alphabet and splits
  them by topic into a training text and a held-out text. The text differs a little between
  Python versions; within one interpreter it is always the same.
- **A synthetic corpus** sampled from a first-order Markov chain over a few symbols, whose
  transition matrix comes from a seed. Its entropy rate is known exactly
  (:func:`entropy_rate`), so it tells you the best held-out loss any model could reach.
"""

from __future__ import annotations

import re

import numpy as np

from phase0_math.arrays import as_float_array, shape_str

# what normalize keeps: everything else becomes a space
ALPHABET = " abcdefghijklmnopqrstuvwxyz0123456789.,;:'\"()-_"
# the symbols of the synthetic corpus, in id order
SYMBOLS = "abcdefghijklmnop"

_TRANSLATE = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}


def normalize(text: str) -> str:
    """Lower-case ``text``, keep only the characters of ALPHABET (curly quotes and dashes become
    their plain forms, anything else a space) and collapse every run of spaces into one.

    normalize('The "if"  Statement\\n') == 'the "if" statement'
    """
    text = text.lower()
    kept = [_TRANSLATE.get(c, c) for c in text]
    kept = [c if c in ALPHABET else " " for c in kept]
    return re.sub(" +", " ", "".join(kept)).strip()


def prose_paragraphs(page: str) -> list[str]:
    """The prose paragraphs of one pydoc topic page, each joined into one line.

    A paragraph is a block between blank lines. Kept: blocks whose first line is not indented
    (indented blocks are code, grammar rules or nested lists) and that are mostly letters (not a
    table or a heading's underline).
    """
    paragraphs = []
    for block in re.split(r"\n\s*\n", page):
        lines = [line for line in block.split("\n") if line.strip()]
        lines = [line for line in lines if not set(line.strip()) <= set("*=-~^+|")]
        if not lines or lines[0][:1].isspace():
            continue
        joined = " ".join(line.strip() for line in lines)
        letters = sum(c.isalpha() or c == " " for c in joined)
        if letters >= 0.8 * len(joined):
            paragraphs.append(joined)
    return paragraphs


def pydoc_corpus(held_out_every: int = 5) -> tuple[str, str]:
    """(train, held_out): the normalised prose of Python's pydoc topics, split by topic.

    Topics are taken in sorted order of their names; topic number i (from 0) goes to held_out when
    i % held_out_every == held_out_every - 1, else to train (so 1 topic in 5 is held out by
    default). Each text is the normalised paragraphs joined by single spaces. Deterministic for a
    given Python version.
    """
    if not isinstance(held_out_every, int) or held_out_every < 2:
        raise ValueError(f"held_out_every must be an integer >= 2, got {held_out_every!r}")
    from pydoc_data import topics

    train, held_out = [], []
    for i, name in enumerate(sorted(topics.topics)):
        text = normalize(" ".join(prose_paragraphs(topics.topics[name])))
        if text:
            (held_out if i % held_out_every == held_out_every - 1 else train).append(text)
    return " ".join(train), " ".join(held_out)


# -- the synthetic corpus -------------------------------------------------------------------------


def markov_chain(n_symbols: int, seed: int, concentration: float = 0.5) -> np.ndarray:
    """A random transition matrix: row i is the distribution of the symbol after symbol i.

    -> (n_symbols, n_symbols) float64, every row positive and summing to 1, drawn from a symmetric
    Dirichlet distribution (``concentration`` below 1 gives peaked rows, that is a predictable
    process; large values give nearly uniform rows).
    """
    if not isinstance(n_symbols, int) or not 2 <= n_symbols <= len(SYMBOLS):
        raise ValueError(f"n_symbols must be an integer from 2 to {len(SYMBOLS)}, got {n_symbols!r}")
    if not concentration > 0:
        raise ValueError(f"concentration must be > 0, got {concentration}")
    rng = np.random.default_rng(seed)
    transition = rng.dirichlet(np.full(n_symbols, float(concentration)), size=n_symbols)
    transition = np.maximum(transition, 1e-12)  # no exact zeros: every symbol can follow every other
    return transition / transition.sum(axis=1, keepdims=True)


def _check_transition(transition) -> np.ndarray:
    transition = as_float_array(transition, "transition", ndim=2)
    v = transition.shape[0]
    if transition.shape != (v, v) or v == 0:
        raise ValueError(f"transition: expected a square (V, V) matrix, got shape {shape_str(transition.shape)}")
    if np.any(transition < 0) or not np.allclose(transition.sum(axis=1), 1.0, atol=1e-9):
        raise ValueError("transition: every row must be a probability distribution (>= 0, summing to 1)")
    return transition


def stationary_distribution(transition: np.ndarray) -> np.ndarray:
    """The distribution pi with pi @ transition = pi. transition: (V, V) -> pi: (V,), sums to 1.

    pi is the left eigenvector of the transition matrix for the eigenvalue 1: in the long run the
    chain spends a fraction pi[i] of its steps in symbol i, whatever symbol it started from.
    """
    transition = _check_transition(transition)
    values, vectors = np.linalg.eig(transition.T)
    pi = np.real(vectors[:, int(np.argmin(np.abs(values - 1.0)))])
    pi = np.abs(pi)
    return pi / pi.sum()


def sample_markov(transition: np.ndarray, length: int, seed: int) -> str:
    """A text of ``length`` symbols (``SYMBOLS[i]`` for state i) sampled from the chain.

    transition: (V, V) -> str. The first symbol is drawn from the stationary distribution, so every
    position of the text has the same distribution (a stationary process). Same seed, same text.
    """
    transition = _check_transition(transition)
    if transition.shape[0] > len(SYMBOLS):
        raise ValueError(f"transition: at most {len(SYMBOLS)} symbols, got {transition.shape[0]}")
    if not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be a positive integer, got {length!r}")
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(transition, axis=1)
    cumulative[:, -1] = 1.0
    uniforms = rng.random(length)
    state = int(np.searchsorted(np.cumsum(stationary_distribution(transition)), uniforms[0], side="right"))
    state = min(state, transition.shape[0] - 1)
    states = [state]
    for u in uniforms[1:]:
        state = int(np.searchsorted(cumulative[state], u, side="right"))
        states.append(state)
    return "".join(SYMBOLS[s] for s in states)


def synthetic_corpus(
    n_symbols: int = 8, train_length: int = 50_000, held_out_length: int = 20_000, seed: int = 0,
    concentration: float = 0.5,
) -> tuple[str, str, np.ndarray]:
    """(train, held_out, transition): two independent samples of one Markov chain.

    The chain is ``markov_chain(n_symbols, seed, concentration)``; the training text is sampled
    with seed ``seed + 1``, the held-out text with seed ``seed + 2``.
    """
    transition = markov_chain(n_symbols, seed, concentration)
    train = sample_markov(transition, train_length, seed + 1)
    held_out = sample_markov(transition, held_out_length, seed + 2)
    return train, held_out, transition


# -- Exercise LM.5: the best loss possible ----------------------------------------------------


def entropy_rate(transition: np.ndarray, base: float = np.e) -> float:
    """The entropy rate of the stationary Markov chain with this transition matrix.

    transition: (V, V), rows summing to 1 -> float, in nats (base e, the default) or bits (base 2):

        H = - sum_i pi_i sum_j P_ij log P_ij,     pi = stationary_distribution(P)

    the average uncertainty of the next symbol given the current one, which for a first-order
    chain is the uncertainty given the whole past. No model's expected held-out cross-entropy per
    symbol can be lower. Treat 0 log 0 as 0. Raises ValueError for a base <= 0 or equal to 1 (and,
    through the given check, for a transition that is not square with rows that are probability
    distributions).
    """
    transition = _check_transition(transition)
    ### BEGIN SOLUTION
    if not base > 0 or base == 1:
        raise ValueError(f"base must be > 0 and != 1, got {base}")
    pi = stationary_distribution(transition)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(transition > 0, transition * np.log(transition), 0.0)
    return float(-np.sum(pi[:, None] * plogp) / np.log(base))
    ### END SOLUTION
