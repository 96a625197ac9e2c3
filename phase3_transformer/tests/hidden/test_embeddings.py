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
    assert_raises(ValueError, lambda: emb.embed(np.array([[0.0, 1.0]]), table), "embed of float ids",
                  mentions=("float",))
    assert_raises(ValueError, lambda: emb.embed(np.array([[True, False]]), table), "embed of bool ids")


def test_embed_refuses_ids_that_are_not_batch_by_time(emb):
    table = np.ones((4, 2))
    expect_array(emb.embed(np.array([[0, 1, 2]]), table)[0], "embed of ids (1, 3)", shape=(1, 3, 2))
    assert_raises(ValueError, lambda: emb.embed(np.array([0, 1, 2]), table), "embed of 1-d ids (3,)",
                  mentions=("(3,)",))


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
