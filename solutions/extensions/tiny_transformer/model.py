"""Exercises A.2-A.4: a tiny decoder-only Transformer language model, forward and backward.

    ids (B, T) -> embed (x sqrt(D)) -> + positional encoding -> N causal blocks
               -> [final layer norm, pre-norm only] -> h (B, T, D) -> logits = h W + b (B, T, V)

Every piece comes from earlier phases: phase 3's ``embed`` and ``embed_backward``,
``add_positional_encoding`` (fixed: nothing to learn, its gradient passes straight through),
``transformer_stack`` with ``causal=True`` (position t sees positions <= t only) and
``layer_norm``; this extension's :func:`stack_backward`. The output projection W is ``w_out``
(D, V), or with ``tied`` weights the embedding table itself, transposed: W = embed^T. A tied
table then gets gradient from two places, the lookup at the bottom and the projection at the top,
and the two add.

The parameters are a tree (see trees.py):

    {"embed": (V, D), "blocks": [block dict, ...] (phase 3's layout), "b_out": (V,),
     "w_out": (D, V)                      untied only,
     "ln_f_gamma": (D,), "ln_f_beta": (D,) pre-norm only}

A *config* (:func:`make_config`) is a plain dict of sizes and switches; it travels with the
parameters (checkpoints store it) and every function here takes it.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, shape_str
from phase0_math.softmax import log_softmax
from phase3_transformer.embeddings import embed, embed_backward, init_embeddings
from phase3_transformer.positional_encoding import add_positional_encoding
from phase3_transformer.transformer_block import init_stack, layer_norm, layer_norm_backward, transformer_stack
from tiny_transformer.block_backward import stack_backward
from tiny_transformer.trees import tree_map

CONFIG_KEYS = ("vocab_size", "d_model", "n_heads", "n_layers", "d_ff", "context", "pre_norm", "tied", "activation")
OUT_INIT_STD = 0.02  # the output projection starts small: initial logits near 0, initial loss near log V
DTYPES = ("float64", "float32")  # float64 by default; float32 is the opt-in single-precision mode


def check_dtype(dtype) -> np.dtype:
    """Given: ``dtype`` ("float64", "float32" or the numpy types) as a numpy dtype, or a ValueError."""
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = repr(dtype)
    if name not in DTYPES:
        raise ValueError(f"dtype: expected one of {', '.join(DTYPES)}, got {dtype!r}")
    return np.dtype(name)


def make_config(
    vocab_size: int, d_model: int = 16, n_heads: int = 2, n_layers: int = 1, d_ff: int | None = None,
    context: int = 32, pre_norm: bool = True, tied: bool = False, activation: str = "relu",
) -> dict:
    """Given: the model's sizes and switches as a checked, plain dict (it crosses to the grader and
    into checkpoints as it is).

    vocab_size V, d_model D (even: sine/cosine pairs), n_heads dividing D, n_layers >= 1,
    d_ff (default 4 D), context: the longest sequence the model is trained on (sampling and
    evaluation feed it windows of at most this many tokens), pre_norm (default True: trains more
    easily than the paper's post-norm), tied (output projection = embedding table transposed),
    activation "relu" or "gelu". Raises ValueError for a size that does not fit.
    """
    d_ff = 4 * d_model if d_ff is None else d_ff
    for name, value in (("vocab_size", vocab_size), ("d_model", d_model), ("n_heads", n_heads),
                        ("n_layers", n_layers), ("d_ff", d_ff), ("context", context)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    if vocab_size < 2:
        raise ValueError(f"vocab_size: expected at least 2 tokens, got {vocab_size}")
    if d_model % 2:
        raise ValueError(f"d_model: expected an even width (the positional encoding pairs sines and cosines), "
                         f"got {d_model}")
    if d_model % n_heads:
        raise ValueError(f"n_heads {n_heads} does not divide d_model {d_model}")
    if activation not in ("relu", "gelu"):
        raise ValueError(f"activation: expected 'relu' or 'gelu', got {activation!r}")
    return {"vocab_size": int(vocab_size), "d_model": int(d_model), "n_heads": int(n_heads),
            "n_layers": int(n_layers), "d_ff": int(d_ff), "context": int(context), "pre_norm": bool(pre_norm),
            "tied": bool(tied), "activation": str(activation)}


def check_config(config: dict) -> dict:
    """Given: ``config`` checked again through :func:`make_config` (a ValueError names a missing key)."""
    if not isinstance(config, dict):
        raise ValueError(f"config: expected a dict from make_config, got {type(config).__name__}")
    missing = [k for k in CONFIG_KEYS if k not in config]
    if missing:
        raise ValueError(f"config: missing {', '.join(missing)} (build it with make_config)")
    return make_config(**{k: config[k] for k in CONFIG_KEYS})


def check_ids(ids, vocab_size: int, name: str = "ids") -> np.ndarray:
    """Given: ``ids`` as a (B, T) int64 array of token ids in [0, vocab_size), or a ValueError."""
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise ValueError(f"{name}: expected integer token ids, got dtype {ids.dtype}")
    if ids.ndim != 2:
        raise ValueError(f"{name}: expected shape (B, T), got {shape_str(ids.shape)}")
    bad = (ids < 0) | (ids >= vocab_size)
    if bad.any():
        raise ValueError(f"{name}: token id {int(ids[bad][0])} is outside the vocabulary of {vocab_size}")
    return ids.astype(np.int64)


# -- A.2 parameters and the forward pass ------------------------------------------------------


def init_model(config: dict, seed: int, dtype="float64") -> dict:
    """Seeded parameters of the model described by ``config``, laid out as in the module docstring.

    Draw three seeds with ``np.random.default_rng(seed).integers(0, 2**31, size=3)``, for, in
    this order: the embedding table (phase 3's ``init_embeddings``: N(0, 1 / D)), the blocks (phase 3's ``init_stack``:
    n_layers blocks of width D, n_heads heads, d_ff), the output projection. ``w_out`` (untied
    only): N(0, OUT_INIT_STD^2), so the first logits are close to 0 and the first loss close to
    log V; ``b_out`` zeros; pre-norm adds a final layer norm, ``ln_f_gamma`` ones and
    ``ln_f_beta`` zeros. Same seed, same parameters. dtype: "float64" (the default) or "float32":
    every parameter is drawn as above and then stored in that dtype, so a float32 model holds the
    float64 model's numbers rounded to single precision. Raises ValueError for a config that
    make_config refuses (``check_config``) and for another dtype (``check_dtype``).
    """
    config = check_config(config)
    dtype = check_dtype(dtype)
    ### BEGIN SOLUTION
    v, d = config["vocab_size"], config["d_model"]
    embed_seed, blocks_seed, out_seed = (int(s) for s in np.random.default_rng(seed).integers(0, 2**31, size=3))
    params = {
        "embed": init_embeddings(v, d, embed_seed),
        "blocks": init_stack(config["n_layers"], d, config["n_heads"], config["d_ff"], blocks_seed),
        "b_out": np.zeros(v),
    }
    if not config["tied"]:
        params["w_out"] = np.random.default_rng(out_seed).normal(0.0, OUT_INIT_STD, size=(d, v))
    if config["pre_norm"]:
        params["ln_f_gamma"] = np.ones(d)
        params["ln_f_beta"] = np.zeros(d)
    return tree_map(lambda a: a.astype(dtype), params)
    ### END SOLUTION


def model_forward(ids: np.ndarray, params: dict, config: dict) -> tuple[np.ndarray, dict]:
    """The logits of the next token at every position.

    ids: (B, T) integers in [0, V); params from :func:`init_model`; config -> (logits: (B, T, V),
    cache). logits[b, t] scores the token that follows ids[b, :t + 1] and depends on nothing
    later: the blocks run with ``causal=True``. The embedding is scaled by sqrt(D)
    (``embed(..., scale=True)``) before the positional encoding is added. The logits are in the
    parameters' dtype (float32 parameters: float32 all the way).
    cache: a dict holding what :func:`model_backward` needs, for instance the embedding's cache,
    the list of block caches, the final norm's cache (pre-norm), h (B, T, D) the input of the
    output projection, W (D, V), and the config. Raises ValueError for a config make_config
    refuses and for ids that are not a (B, T) integer array of ids in [0, V) (``check_ids``).
    """
    config = check_config(config)
    ids = check_ids(ids, config["vocab_size"])
    ### BEGIN SOLUTION
    x, embed_cache = embed(ids, params["embed"], scale=True)  # (B, T, D)
    x = add_positional_encoding(x).astype(x.dtype, copy=False)  # the encoding is float64: keep x's dtype
    h, block_caches = transformer_stack(x, params["blocks"], config["n_heads"], causal=True,
                                        pre_norm=config["pre_norm"], activation=config["activation"])
    ln_f_cache = None
    if config["pre_norm"]:
        h, ln_f_cache = layer_norm(h, params["ln_f_gamma"], params["ln_f_beta"])
    w = params["embed"].T if config["tied"] else as_float_array(params["w_out"], "w_out")  # (D, V)
    logits = h @ w + params["b_out"]  # (B, T, V)
    cache = {"embed": embed_cache, "blocks": block_caches, "ln_f": ln_f_cache, "h": h, "w": w, "config": config}
    return logits, cache
    ### END SOLUTION


def model_backward(dlogits: np.ndarray, cache: dict) -> dict:
    """Gradients of every parameter, given dlogits = dL/dlogits: (B, T, V) and the forward's cache.

    -> grads, a tree laid out exactly like the parameters (same keys, a list of block dicts in the
    blocks' order), each gradient shaped like its parameter and in its dtype. Walk the forward
    pass backwards: the output projection logits = h W + b, the final layer norm (pre-norm), the
    stack (:func:`stack_backward` with the config's pre_norm), the positional encoding (nothing to
    learn), the embedding (phase 3's ``embed_backward``). Tied weights: the table's gradient counts
    both of its uses (the reading guide derives it). Raises ValueError when dlogits's shape is not
    the logits' shape.
    """
    dlogits = as_float_array(dlogits, "dlogits")
    ### BEGIN SOLUTION
    config, h, w = cache["config"], cache["h"], cache["w"]
    expected = h.shape[:-1] + (w.shape[1],)
    if dlogits.shape != expected:
        raise ValueError(f"dlogits: expected the logits' shape {shape_str(expected)}, got {shape_str(dlogits.shape)}")
    d, v = w.shape
    grads: dict = {"b_out": dlogits.reshape(-1, v).sum(axis=0)}
    dw = h.reshape(-1, d).T @ dlogits.reshape(-1, v)  # (D, V)
    dh = dlogits @ w.T  # (B, T, D)
    if config["pre_norm"]:
        dh, grads["ln_f_gamma"], grads["ln_f_beta"] = layer_norm_backward(dh, cache["ln_f"])
    dx, grads["blocks"] = stack_backward(dh, cache["blocks"], config["pre_norm"])
    # the positional encoding passed dx through unchanged; embed_backward's table is float64
    dtable = embed_backward(dx, cache["embed"]).astype(dx.dtype, copy=False)
    if config["tied"]:
        grads["embed"] = dtable + dw.T
    else:
        grads["embed"] = dtable
        grads["w_out"] = dw
    return grads
    ### END SOLUTION


# -- A.3 the loss ---------------------------------------------------------------------------------


def cross_entropy(logits: np.ndarray, targets: np.ndarray, mask: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of the targets under softmax(logits), and its gradient.

    logits: (B, T, V); targets: (B, T) integers in [0, V); mask: (B, T) bool or None (every
    position counts) -> (loss: float, dlogits: (B, T, V) in the logits' dtype). With n the number
    of positions where mask is True: loss = -(1/n) sum over those positions of
    log softmax(logits[b, t])[targets[b, t]], and dlogits = dloss/dlogits (the reading guide
    derives it), 0 at the positions the mask leaves out. Compute log-softmax stably. Raises
    ValueError for logits that are not of rank 3, targets that are not integers in [0, V) of shape
    (B, T), a mask that is not a bool array of shape (B, T), and a mask that selects no position.
    """
    logits = as_float_array(logits, "logits")
    ### BEGIN SOLUTION
    if logits.ndim != 3:
        raise ValueError(f"logits: expected shape (B, T, V), got {shape_str(logits.shape)}")
    b, t, v = logits.shape
    targets = check_ids(targets, v, "targets")
    if targets.shape != (b, t):
        raise ValueError(f"targets: expected shape {shape_str((b, t))} to match logits {shape_str(logits.shape)}, "
                         f"got {shape_str(targets.shape)}")
    if mask is None:
        mask = np.ones((b, t), dtype=bool)
    mask = np.asarray(mask)
    if mask.dtype != np.bool_ or mask.shape != (b, t):
        raise ValueError(f"mask: expected a bool array of shape {shape_str((b, t))}, got dtype {mask.dtype} "
                         f"and shape {shape_str(mask.shape)}")
    n = int(mask.sum())
    if n == 0:
        raise ValueError("mask: selects no position, so there is no loss to average")
    logp = log_softmax(logits, axis=-1)  # (B, T, V)
    picked = np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]  # (B, T)
    loss = float(-np.sum(picked * mask) / n)
    dlogits = np.exp(logp)
    dlogits[np.arange(b)[:, None], np.arange(t)[None, :], targets] -= 1.0
    dlogits *= mask[..., None] / n
    return loss, dlogits
    ### END SOLUTION


# -- A.4 next-token loss and gradients --------------------------------------------------------


def next_token_loss(ids: np.ndarray, params: dict, config: dict, mask: np.ndarray | None = None) -> tuple[float, dict]:
    """The language-modelling loss of a batch of sequences and the gradient of every parameter.

    ids: (B, T + 1) token ids; mask: (B, T) bool or None -> (loss: float, grads: tree like params).
    The model reads ids[:, :-1] and is scored on predicting ids[:, 1:]: position t's logits
    against the token at t + 1 (``mask[b, t]`` says whether that prediction counts). A model
    scored on ids[:, :-1] itself would only learn to copy its input. Raises ValueError for ids
    that are not a (B, T + 1) integer array of ids in [0, V) with T + 1 >= 2, and for a mask
    that cross_entropy refuses.
    """
    ### BEGIN SOLUTION
    ids = check_ids(ids, check_config(config)["vocab_size"])
    if ids.shape[1] < 2:
        raise ValueError(f"ids: expected at least 2 tokens per sequence (an input and a target), "
                         f"got {shape_str(ids.shape)}")
    logits, cache = model_forward(ids[:, :-1], params, config)
    loss, dlogits = cross_entropy(logits, ids[:, 1:], mask)
    return loss, model_backward(dlogits, cache)
    ### END SOLUTION
