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
    assert_raises(ValueError, lambda: bg.decode(np.array([1, 3]), ["<unk>", "a", "b"]), "decode of id 3 with 3 tokens",
                  mentions=("3",))
