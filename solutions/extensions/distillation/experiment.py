"""The experiment of the reading guide, measured on your own code (given: nothing to write here).

From the repository root, once every exercise passes:

    PYTHONPATH=.:extensions .venv/bin/python -m distillation.experiment

(from ``solutions/`` with ``PYTHONPATH=.:extensions ../.venv/bin/python`` it runs the reference).
For each seed: a small training set of four interleaved spirals (15 points per arm, Phase 1's
``make_spirals``), a held-out set of 1000 points from the same arms, a large teacher trained on the
training set by Phase 1's ``train``, then two students of the same small size and the same initial
weights: one on the hard labels alone, one distilled from the teacher (at several temperatures).
It prints the held-out accuracy of the teacher and of both students, mean and standard deviation
over the seeds. About a minute; ``distillation.plots`` draws the same runs.
"""

from __future__ import annotations

import time

import numpy as np

from phase1_backprop.forward import mlp_forward
from phase1_backprop.train import accuracy, make_spirals, train
from distillation.train import train_student

SEEDS = (0, 1, 2, 3, 4)
N_CLASSES, N_TRAIN, N_HELD_OUT = 4, 15, 250  # points per class
TEACHER = [2, 64, 64, N_CLASSES]
STUDENT = [2, 24, N_CLASSES]
TEMPERATURES = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0)
MAIN_T, ALPHA = 4.0, 0.9
TRAINING = {"lr": 0.1, "epochs": 2000, "momentum": 0.9}


def n_params(sizes: list[int]) -> int:
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def one_seed(seed: int, temperatures=TEMPERATURES) -> dict:
    """Teacher, hard-label student and distilled students for one seed: their held-out (and training)
    accuracies, the training data, the teacher's logits on it, and the parameters of the teacher, of
    the hard-label student and of the student distilled at MAIN_T (when MAIN_T is among the temperatures)."""
    x, y = make_spirals(N_TRAIN, N_CLASSES, seed=seed)
    x_test, y_test = make_spirals(N_HELD_OUT, N_CLASSES, seed=1000 + seed)
    teacher = train(x, y, TEACHER, loss="cross_entropy", seed=seed, **TRAINING)
    teacher_logits, _ = mlp_forward(x, teacher["params"])  # computed once: the teacher is fixed from here on

    def held_out(params) -> float:
        return accuracy(mlp_forward(x_test, params)[0], y_test)

    def on_train(params) -> float:
        return accuracy(mlp_forward(x, params)[0], y)

    hard = train_student(x, y, STUDENT, None, seed=seed, **TRAINING)
    result = {"teacher": held_out(teacher["params"]), "hard": held_out(hard["params"]),
              "teacher_train": on_train(teacher["params"]), "hard_train": on_train(hard["params"]),
              "distilled": {}, "distilled_train": {},
              "data": (x, y), "teacher_logits": teacher_logits,
              "params": {"teacher": teacher["params"], "hard": hard["params"]}}
    for temperature in temperatures:
        student = train_student(x, y, STUDENT, teacher_logits, temperature, ALPHA, seed=seed, **TRAINING)
        result["distilled"][temperature] = held_out(student["params"])
        result["distilled_train"][temperature] = on_train(student["params"])
        if temperature == MAIN_T:
            result["params"]["distilled"] = student["params"]
    return result


def run(seeds=SEEDS, temperatures=TEMPERATURES) -> list[dict]:
    return [one_seed(seed, temperatures) for seed in seeds]


def _ms(values) -> str:
    values = np.asarray(values, dtype=np.float64)
    return f"{values.mean():.3f} ± {values.std():.3f}"


def main() -> None:
    started = time.time()
    results = run()
    print(f"Four spirals, {N_TRAIN} training points per arm ({N_TRAIN * N_CLASSES} in all), {N_HELD_OUT * N_CLASSES} "
          f"held-out points; seeds {SEEDS}: mean ± standard deviation over the seeds.")
    print(f"teacher {TEACHER} ({n_params(TEACHER)} parameters), students {STUDENT} ({n_params(STUDENT)} parameters); "
          f"full-batch gradient descent, lr {TRAINING['lr']}, momentum {TRAINING['momentum']}, "
          f"{TRAINING['epochs']} epochs each; alpha = {ALPHA}\n")
    print("| model | held-out accuracy | training accuracy |")
    print("| --- | --- | --- |")
    print(f"| teacher | {_ms([r['teacher'] for r in results])} | {_ms([r['teacher_train'] for r in results])} |")
    print(f"| student, hard labels only | {_ms([r['hard'] for r in results])} | {_ms([r['hard_train'] for r in results])} |")
    for temperature in TEMPERATURES:
        print(f"| student, distilled at T = {temperature:g} | {_ms([r['distilled'][temperature] for r in results])} | "
              f"{_ms([r['distilled_train'][temperature] for r in results])} |")
    gains = [r["distilled"][MAIN_T] - r["hard"] for r in results]
    print(f"\ndistilled (T = {MAIN_T:g}) minus hard-label student, seed by seed: "
          + ", ".join(f"{g:+.3f}" for g in gains))
    print(f"\n({time.time() - started:.1f} s)")


if __name__ == "__main__":
    main()
