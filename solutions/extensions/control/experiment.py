"""The experiments of the reading guide, measured on your own code (given: nothing to write here).

From the repository root, once every exercise passes:

    PYTHONPATH=.:extensions .venv/bin/python -m control.experiment

(``PYTHONPATH=solutions:solutions/extensions`` runs the reference instead). For several seeds it
draws preference data from the starting policy, trains a reward model, and improves the policy
against that reward with several KL coefficients beta, printing

- the reward model's pairwise accuracy on held-out pairs drawn like the training pairs, next to
  the accuracy of the hidden utility itself on the same noisy choices (the best any model can
  do), and the same on pairs of items drawn uniformly (mostly far from where the data was);
- for every beta: the learned reward the final policy expects, the true (hidden) utility it
  expects, and its KL from the starting policy, mean and standard deviation over the seeds.

About 10 seconds. ``control.plots`` draws the same runs.
"""

from __future__ import annotations

import time

import numpy as np

from control import policy, preferences, reward_model

SEEDS = (0, 1, 2, 3, 4)
BETAS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
N_TRAIN, N_HELD_OUT = 500, 2000
REWARD_MODELS = {"linear [2, 1]": [2, 1], "MLP [2, 16, 1]": [2, 16, 1]}
MAIN_MODEL = "linear [2, 1]"
RM = {"lr": 0.1, "epochs": 1000, "momentum": 0.9}
LOOP = {"steps": 300, "batch_size": 64, "lr": 0.2}


def world() -> dict:
    """The items, their hidden utility, and the starting policy."""
    features = preferences.grid_items()
    base = preferences.starting_logits(features)
    probs = np.exp(policy.policy_log_probs(np.zeros(features.shape[1]), features, base))
    return {"features": features, "utility": preferences.hidden_utility(features), "base": base, "probs": probs}


def reward_model_run(w: dict, seed: int, layer_sizes: list[int]) -> dict:
    """Preference data from the starting policy, a reward model trained on it, and its accuracies."""
    u, probs = w["utility"], w["probs"]
    chosen, rejected = preferences.make_preferences(u, probs, N_TRAIN, seed)
    held = preferences.make_preferences(u, probs, N_HELD_OUT, 1000 + seed)
    uniform = preferences.make_preferences(u, np.full(u.size, 1.0 / u.size), N_HELD_OUT, 2000 + seed)
    model = reward_model.train_reward_model(w["features"], chosen, rejected, layer_sizes, seed=seed, **RM)
    r = reward_model.item_rewards(model["params"], w["features"])
    return {
        "params": model["params"], "history": model["history"], "rewards": r,
        "accuracy": reward_model.pairwise_accuracy(r, *held),
        "ceiling": reward_model.pairwise_accuracy(u, *held),
        "accuracy_uniform": reward_model.pairwise_accuracy(r, *uniform),
        "ceiling_uniform": reward_model.pairwise_accuracy(u, *uniform),
    }


def policy_run(w: dict, rewards: np.ndarray, beta: float, seed: int) -> dict:
    """improve_policy against ``rewards``, with the true utility of every policy along the way."""
    run = policy.improve_policy(w["features"], w["base"], rewards, beta, seed=seed, **LOOP)
    true = np.array([np.exp(policy.policy_log_probs(t, w["features"], w["base"])) @ w["utility"]
                     for t in run["thetas"]])
    return {**run, "true_reward": true}


def run(seeds=SEEDS, betas=BETAS) -> dict:
    """Every run of the tables and plots: {"world", "models": {name: [per seed]}, "policies": {beta: [per seed]},
    "mlp_policies": {beta: [per seed]}} (the policy runs use MAIN_MODEL's rewards, the mlp ones the MLP's)."""
    w = world()
    models = {name: [reward_model_run(w, seed, sizes) for seed in seeds] for name, sizes in REWARD_MODELS.items()}
    policies = {beta: [policy_run(w, m["rewards"], beta, seed) for seed, m in zip(seeds, models[MAIN_MODEL])]
                for beta in betas}
    mlp = [m for name, ms in models.items() if name != MAIN_MODEL for m in ms]
    mlp_policies = {beta: [policy_run(w, m["rewards"], beta, seed) for seed, m in zip(seeds, mlp)] for beta in (0.0, 1.0)}
    return {"world": w, "models": models, "policies": policies, "mlp_policies": mlp_policies, "seeds": tuple(seeds)}


def _ms(values) -> str:
    values = np.asarray(values, dtype=np.float64)
    return f"{values.mean():.3f} ± {values.std():.3f}"


def main() -> None:
    started = time.time()
    results = run()
    w = results["world"]
    best = int(np.argmax(w["utility"]))
    print(f"{len(w['utility'])} items; the starting policy expects a true utility of {w['probs'] @ w['utility']:.3f}; "
          f"the best item has {w['utility'][best]:.3f} (features {w['features'][best]}), the worst "
          f"{w['utility'].min():.3f}. Seeds {results['seeds']}: mean ± standard deviation.\n")
    print("## Reward models: pairwise accuracy\n")
    print("| reward model | held-out pairs from the start policy | hidden utility on them (ceiling) | "
          "pairs of uniform items | hidden utility on them | final training loss |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, runs in results["models"].items():
        print(f"| {name} | {_ms([m['accuracy'] for m in runs])} | {_ms([m['ceiling'] for m in runs])} | "
              f"{_ms([m['accuracy_uniform'] for m in runs])} | {_ms([m['ceiling_uniform'] for m in runs])} | "
              f"{_ms([m['history'][-1] for m in runs])} |")
    linear = results["models"][MAIN_MODEL]
    print(f"\nlinear reward weights: " + ", ".join(str(np.round(m['params']['W1'][:, 0], 3)) for m in linear)
          + f" (the hidden w is {preferences.WEIGHTS})")

    print(f"\n## Policy improvement against the {MAIN_MODEL} reward model "
          f"({LOOP['steps']} steps of {LOOP['batch_size']} samples, lr {LOOP['lr']})\n")
    print(f"| beta | learned reward gained | true utility, final (start: {w['probs'] @ w['utility']:.3f}) | "
          "true utility, best on the way | "
          "KL(pi \\|\\| pi_0), final |")
    print("| --- | --- | --- | --- | --- |")
    for beta, runs in results["policies"].items():
        print(f"| {beta:g} | {_ms([r['expected_reward'][-1] - r['expected_reward'][0] for r in runs])} | "
              f"{_ms([r['true_reward'][-1] for r in runs])} | {_ms([r['true_reward'].max() for r in runs])} | "
              f"{_ms([r['kl'][-1] for r in runs])} |")
    print("\n## The same loop against the MLP reward model\n")
    print("| beta | learned reward gained | true utility, final | KL, final |")
    print("| --- | --- | --- | --- |")
    for beta, runs in results["mlp_policies"].items():
        print(f"| {beta:g} | {_ms([r['expected_reward'][-1] - r['expected_reward'][0] for r in runs])} | "
              f"{_ms([r['true_reward'][-1] for r in runs])} | {_ms([r['kl'][-1] for r in runs])} |")
    beta = 1.0
    runs = results["policies"][beta]
    gap = [np.abs(np.exp(policy.policy_log_probs(r["thetas"][-1], w["features"], w["base"]))
                  - policy.optimal_policy(w["base"], m["rewards"], beta)).sum() for r, m in zip(runs, linear)]
    print(f"\nbeta = {beta:g}: sum_k |pi(k) - pi*(k)| between the final policy and the optimum "
          f"pi* = pi_0 exp(r / beta) / Z: largest over the seeds {max(gap):.1e}")
    print(f"\n({time.time() - started:.1f} s)")


if __name__ == "__main__":
    main()
