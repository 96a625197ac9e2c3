"""Pictures of the distillation extension, drawn with *your* code (given: nothing to write here).

    PYTHONPATH=.:extensions .venv/bin/python -m distillation.plots [OUT_DIR]   # default: build/plots/distillation

runs distillation.experiment (about a minute) and writes three PNG files:
  accuracy_vs_temperature.png  held-out accuracy of the distilled student against the temperature,
                               mean and spread over the seeds, with the teacher and the hard-label
                               student for comparison
  soft_targets.png             what the temperature does: the teacher's softmax on a few training
                               points at T = 1, 4 and 12
  boundaries.png               the decision regions of the teacher, the hard-label student and the
                               distilled student (first seed), over the training points

matplotlib runs headless (the Agg backend), so this works over ssh and in CI.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

DEFAULT_OUT = Path("build") / "plots" / "distillation"
POINT_COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"]
REGION_COLORS = ["#f6c9c9", "#c6dcef", "#cbeacb", "#e2d6ee"]


def main(out_dir: str | Path | None = None) -> list[Path]:
    """Run the experiment with distillation's modules and save the PNGs in out_dir; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    from distillation import experiment
    from distillation.temperature import softmax_t
    from phase1_backprop.train import predict

    out = Path(out_dir) if out_dir is not None else DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    results = experiment.run()
    temperatures = list(experiment.TEMPERATURES)
    written = []

    # accuracy against temperature
    fig, ax = plt.subplots(figsize=(7, 4.5))
    distilled = np.array([[r["distilled"][t] for t in temperatures] for r in results])  # (seeds, temperatures)
    ax.errorbar(temperatures, distilled.mean(axis=0), yerr=distilled.std(axis=0), marker="o", capsize=3,
                color="#1f77b4", label=f"distilled student (alpha = {experiment.ALPHA})")
    for key, color, label in (("teacher", "#2ca02c", "teacher"), ("hard", "#d62728", "student, hard labels only")):
        values = np.array([r[key] for r in results])
        ax.axhline(values.mean(), color=color, label=f"{label}: {values.mean():.3f}")
        ax.axhspan(values.mean() - values.std(), values.mean() + values.std(), color=color, alpha=0.12)
    ax.set_xscale("log")
    ax.set_xticks(temperatures, [f"{t:g}" for t in temperatures])
    ax.minorticks_off()
    ax.set_xlabel("temperature T")
    ax.set_ylabel("held-out accuracy")
    ax.set_title(f"four spirals, {experiment.N_TRAIN * experiment.N_CLASSES} training points, "
                 f"{len(results)} seeds (mean ± std)", fontsize=10)
    ax.legend(loc="lower left", fontsize=9)
    fig.tight_layout()
    written.append(out / "accuracy_vs_temperature.png")
    fig.savefig(written[-1], dpi=120)
    plt.close(fig)

    # what the temperature does to the teacher's outputs
    first = results[0]
    x, y = first["data"]
    logits = first["teacher_logits"]
    shown = [int(np.argmin(np.abs(np.sort(np.abs(logits), axis=1)[:, -1] - q))) for q in np.quantile(
        np.sort(np.abs(logits), axis=1)[:, -1], [0.2, 0.5, 0.8])]  # three points, from unsure to sure
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True)
    width = 0.25
    for ax, index in zip(axes, shown):
        for j, temperature in enumerate((1.0, 4.0, 12.0)):
            probs = softmax_t(logits[index:index + 1], temperature)[0]
            ax.bar(np.arange(experiment.N_CLASSES) + (j - 1) * width, probs, width, label=f"T = {temperature:g}")
        ax.set_xticks(range(experiment.N_CLASSES))
        ax.set_xlabel(f"class (this point's label: {y[index]})")
        ax.set_title(f"training point {index}, at ({x[index, 0]:.2f}, {x[index, 1]:.2f})", fontsize=10)
    axes[0].set_ylabel("teacher's probability")
    axes[0].legend()
    fig.tight_layout()
    written.append(out / "soft_targets.png")
    fig.savefig(written[-1], dpi=120)
    plt.close(fig)

    # decision regions
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.5))
    gx, gy = np.meshgrid(np.linspace(-1.3, 1.3, 250), np.linspace(-1.3, 1.3, 250))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    titles = {"teacher": f"teacher {experiment.TEACHER}: {first['teacher']:.1%}",
              "hard": f"student, hard labels: {first['hard']:.1%}",
              "distilled": f"student, distilled at T = {experiment.MAIN_T:g}: {first['distilled'][experiment.MAIN_T]:.1%}"}
    for ax, (key, title) in zip(axes, titles.items()):
        regions = predict(first["params"][key], grid).reshape(gx.shape)
        ax.contourf(gx, gy, regions, levels=np.arange(experiment.N_CLASSES + 1) - 0.5,
                    cmap=ListedColormap(REGION_COLORS))
        ax.scatter(x[:, 0], x[:, 1], c=[POINT_COLORS[k] for k in y], edgecolors="k", s=30)
        ax.set_title(f"{title} held out", fontsize=10)
        ax.set_aspect("equal")
    fig.tight_layout()
    written.append(out / "boundaries.png")
    fig.savefig(written[-1], dpi=120)
    plt.close(fig)

    for path in written:
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
