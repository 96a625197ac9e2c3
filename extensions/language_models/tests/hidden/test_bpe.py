"""Hidden tests: bpe.py (pair counting with deterministic ties, merging, training, encode/decode)."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture, reference_fixture

bpe = module_fixture("language_models.bpe")
ref = reference_fixture("language_models.bpe")
corpus = reference_fixture("language_models.corpus")

pytestmark = pytest.mark.exercise("bpe")

# the classic example: a=0, b=1, c=2, d=3
TEXT = "aaabdaaabac"
VOCAB = ["a", "b", "c", "d", "aa", "ab", "aaab", "ac", "daaab"]
MERGES = [(0, 0), (0, 1), (4, 5), (0, 2), (3, 6)]


def _ids(value, name, expected):
    got = expect_array(value, name, shape=(len(expected),), kind="i")
    assert_close(got.astype(np.float64), np.array(expected, dtype=np.float64), name)


def test_most_frequent_pair_counts_overlapping_positions(bpe):
    # aaab d aaab a c: (a, a) occurs at 0, 1, 5, 6 -> 4 times
    left, right, count = bpe.most_frequent_pair(np.array([0, 0, 0, 1, 3, 0, 0, 0, 1, 0, 2]))
    if (left, right, count) != (0, 0, 4):
        raise AssertionError(f"most_frequent_pair of 'aaabdaaabac': got {(left, right, count)}, expected (0, 0, 4)")


def test_ties_go_to_the_smallest_pair(bpe):
    # (4, 0) and (0, 1) both occur twice: the smaller pair (0, 1) wins, whatever comes first
    got = tuple(bpe.most_frequent_pair(np.array([4, 0, 1, 3, 4, 0, 1, 0, 2])))
    if got != (0, 1, 2):
        raise AssertionError(f"most_frequent_pair with a tie between (4, 0) and (0, 1): got {got}, expected (0, 1, 2)")
    got = tuple(bpe.most_frequent_pair(np.array([5, 3, 2, 1])))
    if got != (2, 1, 1):
        raise AssertionError(f"most_frequent_pair of 5 3 2 1 (three pairs once each): got {got}, expected (2, 1, 1)")


def test_merge_pair_replaces_non_overlapping_occurrences_left_to_right(bpe):
    _ids(bpe.merge_pair(np.array([7, 7, 7, 1, 7, 7]), (7, 7), 9), "merge_pair(7 7 7 1 7 7, (7, 7), 9)", [9, 7, 1, 9])
    _ids(bpe.merge_pair(np.array([0, 1, 2, 0, 1]), (0, 1), 5), "merge_pair(0 1 2 0 1, (0, 1), 5)", [5, 2, 5])


def test_merge_pair_leaves_its_input_unchanged(bpe):
    ids = np.array([1, 2, 1, 2, 3])
    bpe.merge_pair(ids, (1, 2), 4)
    _ids(ids, "ids after merge_pair", [1, 2, 1, 2, 3])


def test_train_bpe_on_the_hand_worked_example(bpe):
    vocab, merges = bpe.train_bpe(TEXT, 5)
    if list(vocab) != VOCAB:
        raise AssertionError(f"train_bpe('{TEXT}', 5) vocab: got {list(vocab)}, expected {VOCAB}")
    if [tuple(m) for m in merges] != MERGES:
        raise AssertionError(f"train_bpe('{TEXT}', 5) merges: got {[tuple(m) for m in merges]}, expected {MERGES}")


def test_encode_applies_every_merge_in_order(bpe):
    _ids(bpe.bpe_encode(TEXT, VOCAB, MERGES), f"bpe_encode('{TEXT}')", [6, 8, 7])
    _ids(bpe.bpe_encode("dab", VOCAB, MERGES), "bpe_encode('dab')", [3, 5])
    _ids(bpe.bpe_encode("", VOCAB, MERGES), "bpe_encode('')", [])


def test_decode_of_encode_is_the_identity(bpe, corpus, rng):
    train = corpus.sample_markov(corpus.markov_chain(6, int(rng.integers(1000))), 600, 1)
    text = corpus.sample_markov(corpus.markov_chain(6, int(rng.integers(1000))), 200, 2)
    vocab, merges = bpe.train_bpe(train, 30)
    back = bpe.bpe_decode(bpe.bpe_encode(text, vocab, merges), vocab)
    if back != text:
        raise AssertionError(f"bpe_decode(bpe_encode(text)) != text: got {back[:40]!r}..., expected {text[:40]!r}...")


def _pydoc_start(corpus, train_chars, held_out_chars):
    """The first characters of corpus.pydoc_corpus()'s two texts, built from only the topics they
    need (the whole corpus takes a while to normalise)."""
    from pydoc_data import topics

    train, held_out = [], []
    for i, name in enumerate(sorted(topics.topics)):
        if len(" ".join(train)) >= train_chars and len(" ".join(held_out)) >= held_out_chars:
            break
        text = corpus.normalize(" ".join(corpus.prose_paragraphs(topics.topics[name])))
        if text:
            (held_out if i % 5 == 4 else train).append(text)
    return " ".join(train)[:train_chars], " ".join(held_out)[:held_out_chars]


def test_training_matches_the_reference_on_natural_text(bpe, ref, corpus):
    train, held_out = _pydoc_start(corpus, 3000, 600)
    known = set(train)
    held_out = "".join(c for c in held_out[:600] if c in known)[:500]  # BPE has no unknown token
    vocab, merges = bpe.train_bpe(train, 40)
    vocab_ref, merges_ref = ref.train_bpe(train, 40)
    if [tuple(m) for m in merges] != merges_ref:
        first = next(i for i, (a, b) in enumerate(zip([tuple(m) for m in merges], merges_ref)) if a != b) \
            if len(merges) == len(merges_ref) else min(len(merges), len(merges_ref))
        raise AssertionError(f"train_bpe on 3000 characters of prose: merge {first} differs from the reference")
    ids = bpe.bpe_encode(held_out, vocab, merges)
    _ids(ids, "bpe_encode of held-out prose", ref.bpe_encode(held_out, vocab_ref, merges_ref).tolist())
    if bpe.bpe_decode(ids, vocab) != held_out:
        raise AssertionError("bpe_decode(bpe_encode(held-out prose)) is not the held-out prose")


def test_training_twice_gives_the_same_merges(bpe, rng):
    text = "".join(rng.choice(list("abcd"), size=200))
    first, second = bpe.train_bpe(text, 25), bpe.train_bpe(text, 25)
    if [list(x) for x in first[1]] != [list(x) for x in second[1]] or list(first[0]) != list(second[0]):
        raise AssertionError("train_bpe on the same text twice gave different merges (ties must be deterministic)")


def test_encode_refuses_a_character_outside_the_base_vocabulary(bpe):
    bpe.bpe_encode("abc", VOCAB, MERGES)
    assert_raises(ValueError, lambda: bpe.bpe_encode("abz", VOCAB, MERGES), "bpe_encode('abz')", mentions=("z",))


def test_train_refuses_an_empty_text_and_too_many_merges(bpe):
    bpe.train_bpe("abab", 2)
    assert_raises(ValueError, lambda: bpe.train_bpe("", 3), "train_bpe('', 3)")
    assert_raises(ValueError, lambda: bpe.train_bpe("abab", 4), "train_bpe('abab', 4): only 3 merges are possible")
    assert_raises(ValueError, lambda: bpe.train_bpe("abab", -1), "train_bpe('abab', -1)")


# -- the whole contract, against the reference ---------------------------------------------------
# Cases are built by numpy from one drawn seed each: sizes, dtypes, values and arguments.

from hypothesis import strategies as st  # noqa: E402

from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


def _cases(build):
    """Cases built by ``build(rng)`` from one drawn seed (one hypothesis draw per case: cheap)."""
    return st.integers(0, 2**32 - 1).map(lambda seed: build(np.random.default_rng(seed)))


from grader.engine.domains import pick as _pick  # noqa: E402


def _trained(j):
    """train_bpe(TEXT, j): the hand-worked vocabulary and merges after the first j of its 5 merges."""
    return VOCAB[: 4 + j], MERGES[:j]


def _id_arrays(rng, min_size=0):
    """Ids over a small alphabet (ties and overlapping runs are common), of a signed or unsigned dtype,
    sometimes offset to large ids."""
    alphabet, n, offset = int(rng.integers(1, 5)), int(rng.integers(min_size, 13)), _pick(rng, [0, 0, 5, 200])
    dtype = _pick(rng, [np.int64, np.int32, np.uint8])
    return rng.integers(0, alphabet, size=n).astype(dtype) + dtype(offset)


def _pair_cases(rng):
    return case(_id_arrays(rng, min_size=2))


def _merge_cases(rng):
    ids = _id_arrays(rng)
    if ids.size >= 2 and rng.random() < 0.5:  # a pair that occurs
        i = int(rng.integers(ids.size - 1))
        pair = (int(ids[i]), int(ids[i + 1]))
    else:  # any pair, often (a, a), maybe absent
        a = int(rng.integers(0, 4)) + (int(ids.min()) if ids.size else 0)
        pair = (a, a if rng.random() < 0.5 else a + 1)
    return case(ids, pair, int(ids.max()) + 1 if ids.size else 7)


_LETTERS = "abcd "


def _train_cases(rng):
    """Short texts over few characters; n_merges from 0 up to one more than the text allows."""
    text = "".join(rng.choice(list(_LETTERS[: rng.integers(1, 6)]), size=rng.integers(1, 17)))
    return case(text, int(rng.integers(0, min(len(text), 8) + 1)))


def _encode_cases(rng):
    vocab, merges = _trained(int(rng.integers(0, 6)))
    return case("".join(rng.choice(list("abcd"), size=rng.integers(0, 15))), vocab, merges)


def _decode_cases(rng):
    vocab, _ = _trained(int(rng.integers(0, 6)))
    dtype = _pick(rng, [np.int64, np.int32, np.uint8])
    return case(rng.integers(0, len(vocab), size=rng.integers(0, 9)).astype(dtype), vocab)


_PAIR_REFUSED = [
    case(np.array([-1, 0, 1]), note="refused: a negative id"),
    case(np.array([0.0, 1.0, 1.0]), note="refused: float ids"),
    case(np.array([[0, 1], [1, 0]]), note="refused: 2-d ids"),
]
CONTRACTS = [
    Contract("language_models.bpe", "most_frequent_pair", _cases(_pair_cases), exercise="bpe", examples=7,
             fixed=[case(np.array([3])), case(np.zeros(0, dtype=np.int64)), *_PAIR_REFUSED]),
    Contract("language_models.bpe", "merge_pair", _cases(_merge_cases), exercise="bpe", examples=7, fixed=[
        case(np.array([7, 7, 7, 7, 7]), (7, 7), 9, note="overlapping: [9, 9, 7]"),
        case(np.array([5]), (5, 5), 6, note="one id"),
        *[case(*c.args, (0, 1), 5, note=c.note) for c in _PAIR_REFUSED],
    ]),
    Contract("language_models.bpe", "train_bpe", _cases(_train_cases), exercise="bpe", examples=6, fixed=[
        case(TEXT, 5), case("", 1, note="refused: empty text"), case("abab", -1, note="refused: n_merges -1"),
        case("abab", 4, note="refused: only 3 merges are possible"),
        case("abab", 2.0, note="refused: n_merges 2.0, not an integer"),
    ]),
    Contract("language_models.bpe", "bpe_encode", _cases(_encode_cases), exercise="bpe", examples=6, fixed=[
        case("abz", VOCAB, MERGES, note="refused: z is not a base character"),
        case("a", ["a"], [(0, 0), (0, 0)], note="refused: a vocab too short for its merges"),
        case("", [], [], note="refused: an empty vocab (no base token)"),
        case("aa", ["a"], [], note="one base token, no merges"),
    ]),
    Contract("language_models.bpe", "bpe_decode", _cases(_decode_cases), exercise="bpe", examples=5, fixed=[
        case(np.array([0, 9]), VOCAB, note="refused: id 9 with 9 tokens"),
        case(np.array([0, -1]), VOCAB, note="refused: id -1"),
        case(np.array([0.0, 1.0]), VOCAB, note="refused: float ids"),
        case(np.array([[0, 1]]), VOCAB, note="refused: 2-d ids"),
    ]),
]
globals().update(contract_tests(CONTRACTS))
