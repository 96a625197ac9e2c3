"""Given: pictures of your attention weights (nothing to write here).

    .venv/bin/python -m phase2_attention.plots [OUT_DIR]      # default build/plots/phase2_attention

draws, with *your* attention and multi-head attention, the weights of a small causal example:
a sentence of 6 tokens with random embeddings, each token attending to itself and the tokens
before it. Read the pictures: every row sums to 1, the upper triangle is 0 (the future is
hidden), the first row is all on the first token (it sees nothing else), and different heads
spread their weight differently.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from phase2_attention.attention import attention
from phase2_attention.mask import causal_mask
from phase2_attention.multi_head import init_multi_head, multi_head_attention

TOKENS = ["the", "cat", "sat", "on", "the", "mat"]
DEFAULT_OUT = Path("build/plots/phase2_attention")


def example(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token embeddings x: (1, 6, 8) and the weights of single-head and 2-head causal self-attention.

    Returns (x, weights: (1, 6, 6), head_weights: (1, 2, 6, 6)).
    """
    rng = np.random.default_rng(seed)
    t, d_model = len(TOKENS), 8
    table = {word: rng.normal(size=d_model) for word in dict.fromkeys(TOKENS)}
    x = np.stack([table[word] for word in TOKENS])[None]  # (1, T, d_model): "the" twice, same row
    mask = causal_mask(t)
    w_q, w_k = rng.normal(size=(2, d_model, d_model)) / np.sqrt(d_model)
    _, cache = attention(x @ w_q, x @ w_k, x, mask)
    params = init_multi_head(d_model, 2, seed)
    _, mh_cache = multi_head_attention(x, x, params, 2, mask)
    return x, np.asarray(cache["weights"]), np.asarray(mh_cache["weights"])


def _heatmap(ax, weights: np.ndarray, title: str, ylabel: bool = True):
    image = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(TOKENS)), TOKENS, rotation=45)
    ax.set_yticks(range(len(TOKENS)), TOKENS)
    ax.set_xlabel("key (attended to)")
    if ylabel:
        ax.set_ylabel("query (attending)")
    ax.set_title(title)
    for i in range(weights.shape[0]):
        for j in range(weights.shape[1]):
            ax.text(j, i, f"{weights[i, j]:.2f}", ha="center", va="center", fontsize=7,
                    color="black" if weights[i, j] > 0.6 else "white")
    return image


def main(out_dir: str | Path = DEFAULT_OUT) -> list[Path]:
    """Write the heatmaps as PNG files into out_dir; return their paths."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _, weights, head_weights = example()
    written = []

    fig, ax = plt.subplots(figsize=(5.5, 4.8))
    image = _heatmap(ax, weights[0], "causal self-attention weights")
    fig.colorbar(image, ax=ax, label="weight")
    fig.tight_layout()
    path = out_dir / "attention_causal.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)

    n_heads = head_weights.shape[1]
    fig, axes = plt.subplots(1, n_heads, figsize=(4.6 * n_heads + 1.0, 4.8), layout="constrained")
    for h, ax in enumerate(np.atleast_1d(axes)):
        image = _heatmap(ax, head_weights[0, h], f"head {h}", ylabel=h == 0)
    fig.colorbar(image, ax=axes, label="weight")
    fig.suptitle("multi-head causal self-attention: one pattern per head")
    path = out_dir / "multi_head_causal.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)
    return written


if __name__ == "__main__":
    for written_path in main(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT):
        print(f"wrote {written_path}")
