"""The experiment of the reading guide, measured on your own code (given: nothing to write here).

From the repository root, once every exercise passes:

    PYTHONPATH=.:extensions .venv/bin/python -m distillation.experiment

(from ``solutions/`` with ``PYTHONPATH=.:extensions ../.venv/bin/python`` it runs the reference).
Four interleaved spirals (Phase 1's ``make_spirals``), 15 training points per arm; a large teacher
trained by Phase 1's ``train``; two students of the same small size and the same initial weights,
one on the hard labels alone, one distilled from the teacher. Two stages, kept apart:

1. selection: on SELECTION_SEEDS, every temperature of TEMPERATURES is scored on a validation set
   (seed 2000 + s); the temperature with the best mean validation accuracy is chosen;
2. report: on fresh seeds (REPORT_SEEDS, never used to choose anything), teacher, hard-label
   student and the student distilled at the chosen temperature are scored on held-out data
   (seed 1000 + s) that played no part in the choice.

It prints both tables, the paired gain with its sample standard deviation and a t-based 95 %
interval, and the size of the teacher's wrong-class probabilities. About two minutes;
``distillation.plots`` draws the selection runs.
"""

from __future__ import annotations

import time

import numpy as np

from phase1_backprop.forward import mlp_forward
from phase1_backprop.train import accuracy, make_spirals, train
from distillation.temperature import softmax_t
from distillation.train import train_student

SELECTION_SEEDS = (0, 1, 2, 3, 4)
REPORT_SEEDS = tuple(range(100, 110))
SEEDS = SELECTION_SEEDS  # what run() uses by default (the plots and the workbook)
N_CLASSES, N_TRAIN, N_HELD_OUT = 4, 15, 250  # points per class
TEACHER = [2, 64, 64, N_CLASSES]
STUDENT = [2, 24, N_CLASSES]
TEMPERATURES = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0)
MAIN_T, ALPHA = 4.0, 0.9  # MAIN_T: the temperature the selection stage picked (main() checks it again)
TRAINING = {"lr": 0.1, "epochs": 2000, "momentum": 0.9}
# two-sided 95 % quantiles of Student's t distribution, by degrees of freedom (from any t table)
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
         10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 19: 2.093, 29: 2.045}


def n_params(sizes: list[int]) -> int:
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def one_seed(seed: int, temperatures=TEMPERATURES) -> dict:
    """Teacher, hard-label student and distilled students for one seed. Accuracies on the held-out
    set (seed 1000 + s: "teacher", "hard", "distilled"[T]), on the validation set (seed 2000 + s:
    the same keys under "validation") and on the training set ("teacher_train", "hard_train",
    "distilled_train"[T]); the training data, the teacher's logits on it, and the parameters of the
    teacher, of the hard-label student and of the student distilled at MAIN_T (when it is swept)."""
    x, y = make_spirals(N_TRAIN, N_CLASSES, seed=seed)
    x_test, y_test = make_spirals(N_HELD_OUT, N_CLASSES, seed=1000 + seed)
    x_val, y_val = make_spirals(N_HELD_OUT, N_CLASSES, seed=2000 + seed)
    teacher = train(x, y, TEACHER, loss="cross_entropy", seed=seed, **TRAINING)
    teacher_logits, _ = mlp_forward(x, teacher["params"])  # computed once: the teacher is fixed from here on

    def score(params, xs, ys) -> float:
        return accuracy(mlp_forward(xs, params)[0], ys)

    hard = train_student(x, y, STUDENT, None, seed=seed, **TRAINING)
    result = {"teacher": score(teacher["params"], x_test, y_test), "hard": score(hard["params"], x_test, y_test),
              "teacher_train": score(teacher["params"], x, y), "hard_train": score(hard["params"], x, y),
              "validation": {"teacher": score(teacher["params"], x_val, y_val),
                             "hard": score(hard["params"], x_val, y_val), "distilled": {}},
              "distilled": {}, "distilled_train": {},
              "data": (x, y), "teacher_logits": teacher_logits,
              "params": {"teacher": teacher["params"], "hard": hard["params"]}}
    for temperature in temperatures:
        student = train_student(x, y, STUDENT, teacher_logits, temperature, ALPHA, seed=seed, **TRAINING)
        result["distilled"][temperature] = score(student["params"], x_test, y_test)
        result["validation"]["distilled"][temperature] = score(student["params"], x_val, y_val)
        result["distilled_train"][temperature] = score(student["params"], x, y)
        if temperature == MAIN_T:
            result["params"]["distilled"] = student["params"]
    return result


def run(seeds=SEEDS, temperatures=TEMPERATURES) -> list[dict]:
    return [one_seed(seed, temperatures) for seed in seeds]


def choose_temperature(results: list[dict], temperatures=TEMPERATURES) -> float:
    """The temperature with the best mean validation accuracy (the first one on a tie)."""
    means = [np.mean([r["validation"]["distilled"][t] for r in results]) for t in temperatures]
    return float(temperatures[int(np.argmax(means))])


def t_interval(values) -> tuple[float, float, float, float]:
    """Mean, sample standard deviation (ddof = 1), and the two ends of the t-based 95 % interval of
    the mean of n >= 2 values."""
    values = np.asarray(values, dtype=np.float64)
    n = values.size
    if n < 2 or n - 1 not in T_975:
        raise ValueError(f"expected a number of values n with n - 1 in {sorted(T_975)}, got n = {n}")
    mean, sd = float(values.mean()), float(values.std(ddof=1))
    half = T_975[n - 1] * sd / np.sqrt(n)
    return mean, sd, mean - half, mean + half


def wrong_class_probabilities(results: list[dict], temperature: float) -> np.ndarray:
    """The teacher's probabilities of the wrong classes on its own training points, at one temperature,
    over every seed of results: a flat array."""
    sizes = []
    for r in results:
        _, y = r["data"]
        probs = softmax_t(r["teacher_logits"], temperature)
        wrong = np.ones_like(probs, dtype=bool)
        wrong[np.arange(y.size), y] = False
        sizes.append(probs[wrong])
    return np.concatenate(sizes)


def _ms(values) -> str:
    values = np.asarray(values, dtype=np.float64)
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"


def main() -> None:
    started = time.time()
    print(f"Four spirals, {N_TRAIN} training points per arm ({N_TRAIN * N_CLASSES} in all); validation and held-out "
          f"sets of {N_HELD_OUT * N_CLASSES} points each (seeds 2000 + s and 1000 + s).")
    print(f"teacher {TEACHER} ({n_params(TEACHER)} parameters), students {STUDENT} ({n_params(STUDENT)} parameters); "
          f"full-batch gradient descent, lr {TRAINING['lr']}, momentum {TRAINING['momentum']}, "
          f"{TRAINING['epochs']} epochs each; alpha = {ALPHA}; mean ± sample standard deviation over seeds.\n")

    selection = run(SELECTION_SEEDS, TEMPERATURES)
    chosen = choose_temperature(selection)
    print(f"## 1. Selection: validation accuracy, seeds {SELECTION_SEEDS}\n")
    print("| model | validation accuracy | training accuracy |")
    print("| --- | --- | --- |")
    print(f"| teacher | {_ms([r['validation']['teacher'] for r in selection])} | "
          f"{_ms([r['teacher_train'] for r in selection])} |")
    print(f"| student, hard labels only | {_ms([r['validation']['hard'] for r in selection])} | "
          f"{_ms([r['hard_train'] for r in selection])} |")
    for temperature in TEMPERATURES:
        print(f"| student, distilled at T = {temperature:g} | "
              f"{_ms([r['validation']['distilled'][temperature] for r in selection])} | "
              f"{_ms([r['distilled_train'][temperature] for r in selection])} |")
    print(f"\nchosen on validation: T = {chosen:g}" + ("" if chosen == MAIN_T else f" (MAIN_T says {MAIN_T:g})"))
    for temperature in (1.0, chosen):
        sizes = wrong_class_probabilities(selection, temperature)
        print(f"teacher's wrong-class probabilities on its training points at T = {temperature:g}: "
              f"median {np.median(sizes):.2e}, 90th percentile {np.quantile(sizes, 0.9):.2e}, "
              f"largest {sizes.max():.2e}; {np.mean(sizes < 1e-4):.0%} below 1e-4")

    report = run(REPORT_SEEDS, (chosen,))
    print(f"\n## 2. Report: held-out accuracy, fresh seeds {REPORT_SEEDS[0]} to {REPORT_SEEDS[-1]}, T = {chosen:g}\n")
    print("| model | held-out accuracy |")
    print("| --- | --- |")
    print(f"| teacher | {_ms([r['teacher'] for r in report])} |")
    print(f"| student, hard labels only | {_ms([r['hard'] for r in report])} |")
    print(f"| student, distilled at T = {chosen:g} | {_ms([r['distilled'][chosen] for r in report])} |")
    gains = [r["distilled"][chosen] - r["hard"] for r in report]
    mean, sd, low, high = t_interval(gains)
    print(f"\ndistilled minus hard-label student, seed by seed: " + ", ".join(f"{g:+.3f}" for g in gains))
    print(f"mean gain {mean:+.4f}, sample standard deviation {sd:.4f}, standard error {sd / np.sqrt(len(gains)):.4f}, "
          f"95 % t interval [{low:+.4f}, {high:+.4f}] ({len(gains) - 1} degrees of freedom); "
          f"{sum(g > 0 for g in gains)} of {len(gains)} seeds gain")
    print(f"\n({time.time() - started:.1f} s)")


if __name__ == "__main__":
    main()
