"""Given: parameter trees, the nested dicts and lists of arrays that hold a model (nothing to write here).

A model's parameters are a *tree*: dicts (str keys) and lists whose leaves are float64 arrays,
for instance ``{"embed": (V, D), "blocks": [block_0, block_1], "w_out": (D, V), "b_out": (V,)}``.
Its gradients and Adam's two moment estimates are trees of the same shape. These helpers walk two
or more such trees side by side, so the optimiser and the checkpoints never need to know the
model's layout.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np


def tree_map(fn: Callable[..., Any], tree: Any, *others: Any) -> Any:
    """``fn`` applied leaf by leaf to ``tree`` and ``others`` (trees of the same structure).

    tree_map(lambda p, g: p - 0.1 * g, params, grads) is one step of gradient descent.
    A new tree is returned; nothing is modified. Raises ValueError naming the path where the
    structures differ (a missing key, a list of another length).
    """
    return _map(fn, tree, others, "")


def _map(fn, tree, others, path):
    if isinstance(tree, dict):
        for other in others:
            if not isinstance(other, dict) or set(other) != set(tree):
                keys = sorted(other) if isinstance(other, dict) else type(other).__name__
                raise ValueError(f"trees differ at {path or 'the root'}: keys {sorted(tree)} and {keys}")
        return {k: _map(fn, tree[k], [o[k] for o in others], f"{path}.{k}" if path else k) for k in tree}
    if isinstance(tree, (list, tuple)):
        for other in others:
            if not isinstance(other, (list, tuple)) or len(other) != len(tree):
                size = len(other) if isinstance(other, (list, tuple)) else type(other).__name__
                raise ValueError(f"trees differ at {path or 'the root'}: a list of {len(tree)} and {size}")
        return [_map(fn, t, [o[i] for o in others], f"{path}.{i}" if path else str(i)) for i, t in enumerate(tree)]
    return fn(tree, *others)


def leaves(tree: Any) -> list[np.ndarray]:
    """Every leaf of the tree, in a fixed order (dict keys sorted, lists in order)."""
    return list(flatten(tree).values())


def flatten(tree: Any, prefix: str = "") -> dict[str, np.ndarray]:
    """The tree as a flat dict from dotted paths to arrays, sorted by path.

    {"blocks": [{"attn": {"wq": a}}], "w_out": b} -> {"blocks.0.attn.wq": a, "w_out": b}.
    The form ``np.savez`` needs (one named array per leaf); :func:`unflatten` inverts it.
    """
    out: dict[str, np.ndarray] = {}
    if isinstance(tree, dict):
        for key in sorted(tree):
            if "." in key:
                raise ValueError(f"a parameter name may not contain '.', got {key!r}")
            out.update(flatten(tree[key], f"{prefix}{key}."))
    elif isinstance(tree, (list, tuple)):
        for i, item in enumerate(tree):
            out.update(flatten(item, f"{prefix}{i}."))
    else:
        out[prefix[:-1]] = np.asarray(tree)
    return out


def unflatten(flat: dict[str, np.ndarray]) -> Any:
    """The inverse of :func:`flatten`: path components made only of digits become list indices."""
    root: dict = {}
    for path, value in flat.items():
        node = root
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node):
    if not isinstance(node, dict):
        return node
    if node and all(k.isdigit() for k in node):
        return [_lists(node[str(i)]) for i in range(len(node))]
    return {k: _lists(v) for k, v in node.items()}


def zeros_like(tree: Any) -> Any:
    """A tree of the same structure with zeros at every leaf, in the leaf's own float dtype
    (float32 stays float32; anything else gets float64 zeros)."""
    return tree_map(lambda a: np.zeros(np.shape(a), dtype=np.float32 if np.asarray(a).dtype == np.float32
                                       else np.float64), tree)


def tree_size(tree: Any) -> int:
    """The number of numbers in the tree."""
    return int(sum(np.size(a) for a in leaves(tree)))
