"""Pictures of the control extension, drawn with *your* code (given: nothing to write here).

    PYTHONPATH=.:extensions .venv/bin/python -m control.plots [OUT_DIR]    # default: build/plots/control

runs control.experiment (about 10 seconds) and writes three PNG files:
  reward_model.png        the items: their hidden utility and how often the starting policy gives
                          each; and the linear reward model's reward against the hidden utility
                          (right where the data was, wrong far from it)
  policy_improvement.png  learned reward, true utility and KL(pi || pi_0) along the REINFORCE
                          loop, without the KL penalty (beta = 0) and with it (beta = 1)
  beta_sweep.png          where each beta ends: learned reward gained, true utility, KL

matplotlib runs headless (the Agg backend), so this works over ssh and in CI.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

DEFAULT_OUT = Path("build") / "plots" / "control"
SHOWN = {0.0: ("#d62728", "beta = 0 (no KL penalty)"), 1.0: ("#1f77b4", "beta = 1")}


def _band(ax, curves: np.ndarray, color: str, label: str) -> None:
    """The mean over seeds as a line, the range over seeds as a band."""
    steps = np.arange(curves.shape[1])
    ax.plot(steps, curves.mean(axis=0), color=color, label=label)
    ax.fill_between(steps, curves.min(axis=0), curves.max(axis=0), color=color, alpha=0.2, linewidth=0)


def main(out_dir: str | Path | None = None) -> list[Path]:
    """Run the experiment with control's modules and save the PNGs in out_dir; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from control import experiment

    out = Path(out_dir) if out_dir is not None else DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    results = experiment.run()
    w = results["world"]
    features, utility, probs = w["features"], w["utility"], w["probs"]
    written = []

    # the world and the reward model
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8))
    ax = axes[0]
    sizes = 20 + 400 * probs / probs.max()
    points = ax.scatter(features[:, 0], features[:, 1], c=utility, s=sizes, cmap="viridis", edgecolors="k")
    fig.colorbar(points, ax=ax, label="hidden utility u")
    ax.set_title("items: colour = hidden utility u,\nsize = probability under the starting policy", fontsize=10)
    ax.set_xlabel("feature 1")
    ax.set_ylabel("feature 2")
    ax.set_aspect("equal")
    ax = axes[1]
    model = results["models"][experiment.MAIN_MODEL][0]
    reward = model["rewards"]
    # the reward's zero and scale mean nothing: fit them on the items, weighted by the starting policy
    slope, offset = np.polyfit(reward, utility, 1, w=np.sqrt(probs))
    ax.scatter(utility, slope * reward + offset, s=sizes, c=np.log10(probs), cmap="magma", edgecolors="k")
    low, high = utility.min(), utility.max()
    ax.plot([low, high], [low, high], color="grey", linestyle=":", label="learned = true")
    ax.set_xlabel("hidden utility u")
    ax.set_ylabel("learned reward (rescaled to u where the start policy lives)")
    ax.set_title(f"linear reward model, seed {results['seeds'][0]}: held-out accuracy {model['accuracy']:.1%} "
                 f"(ceiling {model['ceiling']:.1%})", fontsize=9)
    ax.legend(loc="lower right")
    fig.tight_layout()
    written.append(out / "reward_model.png")
    fig.savefig(written[-1], dpi=120)
    plt.close(fig)

    # policy improvement with and without the penalty
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    for beta, (color, label) in SHOWN.items():
        runs = results["policies"][beta]
        _band(axes[0], np.array([r["expected_reward"] - r["expected_reward"][0] for r in runs]), color, label)
        _band(axes[1], np.array([r["true_reward"] for r in runs]), color, label)
        _band(axes[2], np.array([r["kl"] for r in runs]), color, label)
    axes[0].set_title("learned reward the policy expects (gain)")
    axes[1].set_title("hidden utility the policy expects")
    axes[1].axhline(utility.max(), color="grey", linestyle=":", label="best item")
    axes[2].set_title("KL(pi || pi_0)")
    for ax in axes:
        ax.set_xlabel("REINFORCE step")
        ax.legend()
    fig.suptitle(f"{len(results['seeds'])} seeds: mean (line) and range (band)")
    fig.tight_layout()
    written.append(out / "policy_improvement.png")
    fig.savefig(written[-1], dpi=120)
    plt.close(fig)

    # where each beta ends
    betas = [b for b in results["policies"] if b > 0]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    for key, label, color in (("expected_reward", "learned reward gained", "#ff7f0e"),
                              ("true_reward", "hidden utility, final", "#2ca02c")):
        finals = np.array([[r[key][-1] - (r[key][0] if key == "expected_reward" else 0.0)
                            for r in results["policies"][b]] for b in betas])
        axes[0].errorbar(betas, finals.mean(axis=1), yerr=finals.std(axis=1), marker="o", capsize=3,
                         label=label, color=color)
    start = results["policies"][betas[0]][0]["true_reward"][0]
    axes[0].axhline(start, color="grey", linestyle=":", label="hidden utility at the start")
    axes[0].set_xlabel("beta (KL coefficient)")
    axes[0].legend()
    axes[0].set_title("after the loop, by beta (beta = 0 is off the log scale: see the table)", fontsize=9)
    kls = np.array([[r["kl"][-1] for r in results["policies"][b]] for b in betas])
    axes[1].errorbar(betas, kls.mean(axis=1), yerr=kls.std(axis=1), marker="o", capsize=3, color="#9467bd")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("beta (KL coefficient)")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xticks(betas, [f"{b:g}" for b in betas])
        ax.minorticks_off()
    axes[1].set_title("KL(pi || pi_0) after the loop")
    fig.tight_layout()
    written.append(out / "beta_sweep.png")
    fig.savefig(written[-1], dpi=120)
    plt.close(fig)

    for path in written:
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
