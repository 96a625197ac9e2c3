"""Hidden tests: bigram.py tokenisation, vocabulary and ids (<unk> at id 0)."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture

bg = module_fixture("language_models.bigram")

pytestmark = pytest.mark.exercise("tokens")


def _same(got, expected, name):
    if list(got) != list(expected):
        raise AssertionError(f"{name}: got {list(got)!r}, expected {list(expected)!r}")


def test_char_tokens_keep_every_character_including_spaces(bg):
    _same(bg.char_tokens("ab, c"), ["a", "b", ",", " ", "c"], 'char_tokens("ab, c")')


def test_word_tokens_split_punctuation_and_keep_apostrophes(bg):
    text = 'the "if" statement, isn\'t it. x_1 (y)'
    expected = ["the", '"', "if", '"', "statement", ",", "isn't", "it", ".", "x_1", "(", "y", ")"]
    _same(bg.word_tokens(text), expected, "word_tokens of a normalised sentence")


def test_vocab_puts_unk_first_then_sorted_tokens(bg):
    _same(bg.build_vocab(["c", "a", "b", "a", "c", "c"]), ["<unk>", "a", "b", "c"], "build_vocab")


def test_vocab_min_count_drops_rare_tokens(bg):
    tokens = ["the", "cat", "the", "dog", "the", "cat", "a"]
    _same(bg.build_vocab(tokens, min_count=2), ["<unk>", "cat", "the"], "build_vocab(min_count=2)")


def test_vocab_refuses_an_empty_corpus_and_min_count_zero(bg):
    bg.build_vocab(["a"])
    assert_raises(ValueError, lambda: bg.build_vocab([]), "build_vocab([])")
    assert_raises(ValueError, lambda: bg.build_vocab(["a"], min_count=0), "build_vocab(min_count=0)")


def test_encode_maps_unknown_tokens_to_id_zero(bg):
    vocab = ["<unk>", "a", "b", "c"]
    ids = expect_array(bg.encode(["b", "z", "a", "c", "?"], vocab), "encode", shape=(5,), kind="i")
    assert_close(ids.astype(np.float64), np.array([2, 0, 1, 3, 0]), "encode(['b', 'z', 'a', 'c', '?'])")


def test_decode_inverts_encode_on_known_tokens(bg, rng):
    vocab = ["<unk>", "a", "b", "c", "d"]
    tokens = [vocab[i] for i in rng.integers(1, 5, size=12)]
    _same(bg.decode(bg.encode(tokens, vocab), vocab), tokens, "decode(encode(tokens))")


def test_decode_refuses_an_id_outside_the_vocabulary(bg):
    bg.decode(np.array([1, 2]), ["<unk>", "a", "b"])
    assert_raises(ValueError, lambda: bg.decode(np.array([1, 3]), ["<unk>", "a", "b"]), "decode of id 3 with 3 tokens")


# -- the whole contract, against the reference ---------------------------------------------------
# Cases are built by numpy from one drawn seed each: sizes, dtypes, values and arguments.

from hypothesis import strategies as st  # noqa: E402

from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


def _cases(build):
    """Cases built by ``build(rng)`` from one drawn seed (one hypothesis draw per case: cheap)."""
    return st.integers(0, 2**32 - 1).map(lambda seed: build(np.random.default_rng(seed)))


from grader.engine.domains import pick as _pick  # noqa: E402


_CHARS = list("abc xyz_019.,;:'\"()-\n\tAZé€")
_WORDS = ["the", "a", "if", "x_1", "42", "python", "don't", "isn't", "python's", "_", "b2b"]
_PUNCT = list('.,;:"()-')  # every punctuation mark of the normalised alphabet but the apostrophe


def _texts(rng):
    """Any characters (spaces, newlines, tabs, non-ASCII too)."""
    return case("".join(rng.choice(_CHARS, size=rng.integers(0, 13))))


def _normalised_texts(rng):
    """Normalised text: words (with an apostrophe part or not) and punctuation, joined by single
    spaces or glued; an apostrophe alone only between spaces, so every case has one reading."""
    pieces = []
    for _ in range(rng.integers(0, 9)):
        kind = rng.integers(4)
        piece = (rng.choice(_WORDS) if kind < 2 else rng.choice(_PUNCT) if kind == 2 else "'")
        glue = pieces and kind == 2 and pieces[-1] != "'" and rng.random() < 0.5
        pieces.append(("" if glue or not pieces else " ") + piece)
        if piece == "'":
            pieces.append(" ")
    return case("".join(pieces).strip(" "))


_POOL = ["a", "b", "c", "the", "The", "cat", ",", ".", "1", "_", "é", "z"]


def _token_lists(rng):
    tokens = [str(t) for t in rng.choice(_POOL[: rng.integers(1, len(_POOL) + 1)], size=rng.integers(1, 15))]
    min_count = _pick(rng, [None, 1, 2, 3, 5])
    return case(tokens) if min_count is None else case(tokens, min_count=min_count)


def _vocab(rng):
    return ["<unk>"] + sorted(set(str(t) for t in rng.choice(_POOL, size=rng.integers(0, 8))))


def _encode_cases(rng):
    return case([str(t) for t in rng.choice(_POOL + ["<unk>", "dog"], size=rng.integers(0, 11))], _vocab(rng))


def _decode_cases(rng):
    vocab, dtype = _vocab(rng), _pick(rng, [np.int64, np.int32, np.uint8])
    return case(rng.integers(0, len(vocab), size=rng.integers(0, 11)).astype(dtype), vocab)


_NOT_TEXT = [case(["a", "b"], note="refused: a list, not a str"), case(7, note="refused: an int"),
             case(None, note="refused: None")]
_V3 = ["<unk>", "a", "b"]
CONTRACTS = [
    Contract("language_models.bigram", "char_tokens", _cases(_texts), exercise="tokens", examples=5,
             fixed=[case("two\nlines,\ttabbed \n"), *_NOT_TEXT]),
    Contract("language_models.bigram", "word_tokens", _cases(_normalised_texts), exercise="tokens", examples=7,
             fixed=[case("rock 'n' roll, isn't it (x_1)."), case(""), *_NOT_TEXT]),
    Contract("language_models.bigram", "build_vocab", _cases(_token_lists), exercise="tokens", examples=6, fixed=[
        case(["b", "a", "b"], min_count=3, note="no token is frequent enough: only <unk>"),
        case(["<unk>", "a", "<unk>"], note="the text holds the string <unk> itself: listed once"),
        case(["the", "The", "b", "B", "_", "a", ","], note="Python's sorted order: upper case first"),
        case([], note="refused: no tokens"), case(["a"], min_count=0, note="refused: min_count 0"),
        case(["a"], min_count=-2, note="refused: min_count -2"),
        case(["a"], min_count=1.5, note="refused: min_count 1.5"),
    ]),
    Contract("language_models.bigram", "encode", _cases(_encode_cases), exercise="tokens", examples=5, fixed=[
        case([], _V3, note="no tokens: an empty int64 array"),
        case(["a"], ["a", "<unk>"], note="refused: id 0 is not <unk>"), case(["a"], [], note="refused: no vocab"),
    ]),
    Contract("language_models.bigram", "decode", _cases(_decode_cases), exercise="tokens", examples=5, fixed=[
        case(np.array([1, 3]), _V3, note="refused: id 3 with 3 tokens"),
        case(np.array([1, -1]), _V3, note="refused: id -1"),
        case(np.array([1.0, 2.0]), _V3, note="refused: float ids"),
        case(np.array([[1, 2]]), _V3, note="refused: 2-d ids"),
    ]),
]
globals().update(contract_tests(CONTRACTS))
