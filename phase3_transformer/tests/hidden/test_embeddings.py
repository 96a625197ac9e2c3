"""Hidden tests: embeddings.py (seeded table, lookup with optional sqrt(d_model) scaling, backward)."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture, reference_fixture

emb = module_fixture("phase3_transformer.embeddings")
ref = reference_fixture("phase3_transformer.embeddings")

pytestmark = pytest.mark.exercise("embeddings")


def test_embed_returns_the_table_row_of_every_id(emb, rng):
    # vocabulary 7, width 4, batch 2, length 3: a swapped axis cannot pass
    table = rng.normal(size=(7, 4))
    ids = np.array([[0, 6, 2], [3, 3, 1]])
    out, _ = emb.embed(ids, table)
    expect_array(out, "embed(ids (2, 3), table (7, 4))", shape=(2, 3, 4))
    assert_close(out, table[ids], "embed(ids, table)", rtol=0, atol=0)


def test_embed_scales_by_sqrt_d_model_only_when_asked(emb, rng):
    table = rng.normal(size=(5, 9))  # sqrt(9) = 3
    ids = np.array([[4, 0], [2, 2], [1, 3]])
    assert_close(emb.embed(ids, table, scale=True)[0], 3.0 * table[ids], "embed(..., scale=True) with d_model 9")
    assert_close(emb.embed(ids, table, scale=False)[0], table[ids], "embed(..., scale=False)")


def test_embed_refuses_the_id_equal_to_the_vocabulary_size(emb):
    # the classic off-by-one: valid ids are 0 .. V-1
    table = np.arange(10.0).reshape(5, 2)
    assert_close(emb.embed(np.array([[4, 0]]), table)[0], table[np.array([[4, 0]])], "embed of ids [[4, 0]]")
    assert_raises(ValueError, lambda: emb.embed(np.array([[1, 5]]), table), "embed of id 5 with a vocabulary of 5",
                  mentions=("5",))


def test_embed_refuses_negative_ids_instead_of_reading_the_last_row(emb):
    # numpy would read table[-1] silently
    table = np.arange(12.0).reshape(4, 3)
    assert_close(emb.embed(np.array([[3]]), table)[0], table[np.array([[3]])], "embed of id 3")
    assert_raises(ValueError, lambda: emb.embed(np.array([[0, -1]]), table), "embed of id -1", mentions=("-1",))


def test_embed_refuses_float_and_bool_ids(emb):
    table = np.ones((4, 2))
    assert_close(emb.embed(np.array([[0, 1]]), table)[0], np.ones((1, 2, 2)), "embed of ids [[0, 1]]")
    assert_raises(ValueError, lambda: emb.embed(np.array([[0.0, 1.0]]), table), "embed of float ids")
    assert_raises(ValueError, lambda: emb.embed(np.array([[True, False]]), table), "embed of bool ids")


def test_embed_refuses_ids_that_are_not_batch_by_time(emb):
    table = np.ones((4, 2))
    expect_array(emb.embed(np.array([[0, 1, 2]]), table)[0], "embed of ids (1, 3)", shape=(1, 3, 2))
    assert_raises(ValueError, lambda: emb.embed(np.array([0, 1, 2]), table), "embed of 1-d ids (3,)")


def test_embed_backward_accumulates_repeated_ids(emb):
    # token 1 occurs twice: its row gets both upstream rows; unused rows stay 0
    table = np.zeros((4, 2))
    ids = np.array([[1, 1, 3]])
    dout = np.array([[[1.0, 2.0], [10.0, 20.0], [100.0, 200.0]]])
    _, cache = emb.embed(ids, table)
    dtable = expect_array(emb.embed_backward(dout, cache), "embed_backward", shape=(4, 2))
    assert_close(dtable, np.array([[0.0, 0.0], [11.0, 22.0], [0.0, 0.0], [100.0, 200.0]]),
                 "embed_backward with id 1 repeated")


def test_embed_backward_of_a_scaled_lookup_carries_the_factor(emb, ref, rng):
    table = rng.normal(size=(6, 4))
    ids = rng.integers(0, 6, size=(3, 5))
    dout = rng.normal(size=(3, 5, 4))
    _, cache = emb.embed(ids, table, scale=True)
    _, ref_cache = ref.embed(ids, table, scale=True)
    assert_close(emb.embed_backward(dout, cache), ref.embed_backward(dout, ref_cache), "embed_backward (scale=True)")


def test_init_embeddings_is_seeded_and_scaled_by_one_over_sqrt_d_model(emb):
    table = expect_array(emb.init_embeddings(100, 16, 3), "init_embeddings(100, 16, 3)", shape=(100, 16))
    assert_close(emb.init_embeddings(100, 16, 3), table, "init_embeddings with the same seed", rtol=0, atol=0)
    if np.array_equal(emb.init_embeddings(100, 16, 4), table):
        raise AssertionError("init_embeddings: seeds 3 and 4 gave the same table; use np.random.default_rng(seed)")
    std = float(table.std())
    if not 0.22 < std < 0.28:
        raise AssertionError(f"init_embeddings(100, 16, 3): entries should have std 1/sqrt(16) = 0.25, got {std:.3f}")


def test_init_embeddings_refuses_an_empty_vocabulary(emb):
    expect_array(emb.init_embeddings(3, 2, 0), "init_embeddings(3, 2, 0)", shape=(3, 2))
    assert_raises(ValueError, lambda: emb.init_embeddings(0, 2, 0), "init_embeddings with vocab_size 0")


# -- the whole contract, against the reference ---------------------------------------------------
# Ids of every integer dtype (unsigned ones too), batch 1, one position, a vocabulary of one,
# width 1, scale on and off, every value regime of the table, and every refusal (an id equal to
# the vocabulary size or negative, float and bool ids, ids that are not 2-d). init_embeddings is
# compared on what its docstring fixes (shape, float64, standard deviation 1/sqrt(d_model), mean
# 0), not on the order of its draws. Each case is built from one drawn seed.

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import Contract, case, contract_tests  # noqa: E402

_ID_TYPES = (np.int64, np.int32, np.uint8, np.uint16, np.int8)


from grader.engine.domains import seeded as _seeded  # noqa: E402


def _embed_case(rng):
    vocab, d = int(rng.integers(1, 9)), int(rng.integers(1, 6))
    dtype = _ID_TYPES[int(rng.integers(len(_ID_TYPES)))]
    ids = rng.integers(0, vocab, size=(int(rng.integers(1, 4)), int(rng.integers(1, 5)))).astype(dtype)
    regime = str(rng.choice(dom.FLOAT_REGIMES))
    table = dom.fill(rng, (vocab, d), regime)
    choice = int(rng.integers(3))
    note = f"{np.dtype(dtype).name} ids, {regime} table"
    if choice == 2:
        return case(ids, table, note=note)  # the default: no scaling
    return case(ids, table, scale=bool(choice), note=note)


def _init_case(rng):
    vocab, d = [(64, 32), (200, 16), (50, 64), (1000, 2)][int(rng.integers(4))]
    return case(vocab, d, int(rng.integers(2**31)))


def _table_summary(table):
    table = np.asarray(table)
    d = table.shape[1]
    return {"shape": np.array(table.shape), "dtype": str(table.dtype),
            "std is 1/sqrt(d_model)": bool(abs(table.std() * np.sqrt(d) - 1.0) < 0.1),
            "mean is 0": bool(abs(table.mean()) * np.sqrt(d) < 0.15)}


_TABLE = np.arange(10.0).reshape(5, 2)

CONTRACTS = [
    Contract("phase3_transformer.embeddings", "init_embeddings", _seeded(_init_case), examples=3,
             project=_table_summary,
             fixed=[case(0, 4, 0, note="an empty vocabulary"), case(3, 0, 0, note="width 0"),
                    case(-2, 4, 0, note="a negative vocabulary size"),
                    case(2.0, 4, 0, note="a vocabulary size that is not an integer")]),
    Contract("phase3_transformer.embeddings", "embed", _seeded(_embed_case), examples=12,
             project=lambda result: result[0],
             fixed=[case(np.array([[1, 5]]), _TABLE, note="the id 5 with a vocabulary of 5"),
                    case(np.array([[9]], dtype=np.uint8), _TABLE, note="an unsigned id past the vocabulary"),
                    case(np.array([[0, -1]], dtype=np.int8), _TABLE, note="a negative id"),
                    case(np.array([[0.0, 1.0]]), _TABLE, note="float ids"),
                    case(np.array([[True, False]]), _TABLE, note="bool ids"),
                    case(np.array([0, 1, 2]), _TABLE, note="1-d ids"),
                    case(np.zeros((1, 2, 2), dtype=np.int64), _TABLE, note="3-d ids")]),
]
globals().update(contract_tests(CONTRACTS))
