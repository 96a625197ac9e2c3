"""Given: loss curves of your training runs (nothing to write here).

    .venv/bin/python -m tiny_transformer.plots [OUT_DIR]    # default build/plots/tiny_transformer

trains, with *your* code, the copy task (a few seconds) and the synthetic corpus (under a minute)
and draws their loss curves, with the gradient norm underneath. ``python -m tiny_transformer.train``
draws the same curve for each run it makes.

Read the pictures: the copy loss starts at log 8 (a fresh model finds all 8 tokens equally
likely), falls slowly while attention has not yet found the token n positions back, then drops
to nearly 0 within a few dozen steps; the gradient norm grows during the drop and collapses
after. The corpus loss starts at log V and falls towards the entropy rate (the
dashed line), which no model can pass in expectation. A gradient norm that keeps growing, or
spikes, is the first sign of trouble.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

DEFAULT_OUT = Path("build/plots/tiny_transformer")


def loss_curve(history: dict, path: str | Path, title: str = "", floor: float | None = None) -> Path:
    """Draw history["loss"] (and history["grad_norm"] below it) against the step; write a PNG.

    floor: a horizontal dashed line (the entropy rate), or None.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    loss = np.asarray(history["loss"], dtype=np.float64)
    steps = np.arange(1, loss.size + 1)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 5.5), sharex=True, height_ratios=(3, 1.3))
    top.plot(steps, loss, lw=0.8, alpha=0.45, label="training loss (one batch)")
    if loss.size >= 20:
        k = max(5, loss.size // 50)
        smooth = np.convolve(loss, np.ones(k) / k, mode="valid")
        top.plot(steps[k - 1:], smooth, lw=1.8, label=f"mean of {k} steps")
    if floor is not None:
        top.axhline(floor, ls="--", color="k", lw=1.0, label=f"entropy rate {floor:.3f}")
    top.set_ylabel("cross-entropy (nats / token)")
    top.set_title(title or "training loss")
    top.legend(fontsize=8)
    top.grid(alpha=0.3)
    if "grad_norm" in history:
        bottom.plot(steps, np.asarray(history["grad_norm"], dtype=np.float64), lw=0.8, color="tab:red")
    bottom.set_ylabel("gradient norm")
    bottom.set_xlabel("step")
    bottom.set_yscale("log")
    bottom.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(out_dir: str | Path = DEFAULT_OUT) -> list[Path]:
    """Train the copy task and the synthetic corpus with your code, write their loss curves into
    out_dir; return the paths."""
    from tiny_transformer.train import copy_run, corpus_run

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    copy = copy_run(seed=0)
    written = [loss_curve(copy["history"], out_dir / "copy_loss.png",
                          title=f"copy task: token accuracy {copy['accuracy']:.0%}")]
    run = corpus_run("synthetic", seed=0)
    written.append(loss_curve(run["history"], out_dir / "synthetic_loss.png",
                              title=f"synthetic corpus: held-out {run['transformer']:.3f} nats "
                                    f"(bigram {run['bigram']:.3f})", floor=run["entropy_rate"]))
    return written


if __name__ == "__main__":
    for written_path in main(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT):
        print(f"wrote {written_path}")
