"""Exercises A.8-A.10: training, checkpoints and sampling; the experiments of the reading guide.

    .venv/bin/python -m tiny_transformer.train --task copy        # seconds: copy to 100 %
    .venv/bin/python -m tiny_transformer.train --task synthetic   # the counting extension's chain
    .venv/bin/python -m tiny_transformer.train --task markov2     # a second-order chain
    .venv/bin/python -m tiny_transformer.train --task pydoc       # Python's documentation prose
    .venv/bin/python -m tiny_transformer.train --task all         # everything, the README's table

(from the repository root with ``PYTHONPATH=.:extensions`` for your code, or
``PYTHONPATH=solutions:solutions/extensions`` for the reference). Each run prints a progress bar,
the held-out cross-entropy of the tiny Transformer next to the bigram model's on the same split
(and the entropy rate where it is known), writes a checkpoint (.npz) and a loss curve (.png) under
``build/tiny_transformer/``, and prints a sample.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from phase0_math.arrays import shape_str
from tiny_transformer.adam import adam_step, clip_by_global_norm, global_norm, init_adam
from tiny_transformer.model import (
    check_config, check_dtype, check_ids, init_model, make_config, model_forward, next_token_loss,
)
from tiny_transformer.tasks import copy_accuracy, held_out_cross_entropy, load_corpus, make_batch
from tiny_transformer.trees import flatten, unflatten

DEFAULT_OUT = Path("build/tiny_transformer")

# the experiments of the reading guide: model sizes and training budgets, fixed in advance
COPY = {"vocab_size": 8, "n_tokens": 6, "d_model": 16, "n_heads": 2, "n_layers": 1, "steps": 300,
        "batch_size": 32, "lr": 1e-2, "warmup": 20}
CORPUS_RUNS = {
    "synthetic": {"d_model": 16, "n_heads": 2, "n_layers": 1, "context": 16, "steps": 2000, "batch_size": 32,
                  "lr": 5e-3, "warmup": 50},
    "markov2": {"d_model": 32, "n_heads": 2, "n_layers": 1, "context": 16, "steps": 2000, "batch_size": 32,
                "lr": 5e-3, "warmup": 50},
    "pydoc": {"d_model": 32, "n_heads": 4, "n_layers": 2, "context": 32, "steps": 2000, "batch_size": 32,
              "lr": 3e-3, "warmup": 100},
}
BIGRAM_K = 0.1  # the counting extension's add-k constant for characters (its bigram and trigram)


# -- given: the learning-rate schedule and the progress bar ---------------------------------------


def learning_rate(step: int, steps: int, lr: float, warmup: int = 0) -> float:
    """Given: the rate of step ``step`` (0-based) out of ``steps``: a linear warm-up from lr / warmup
    to lr over the first ``warmup`` steps, then a cosine decay from lr to lr / 10 at the end.
    (Warm-up keeps Adam's first, noisy steps small; the decay lets the loss settle.)"""
    if warmup and step < warmup:
        return lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return lr * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress))))


def progress_bar(total: int) -> tqdm:
    """Given: a progress bar on stderr (tqdm), showing the step's loss and gradient norm."""
    return tqdm(total=int(total), unit="step", file=sys.stderr, dynamic_ncols=True, mininterval=0.1)


# -- A.8 one step and the loop --------------------------------------------------------------------


def train_step(
    params: dict, state: dict, ids: np.ndarray, config: dict, lr: float, mask: np.ndarray | None = None,
    max_norm: float | None = 1.0,
) -> tuple[dict, dict, float, float]:
    """One step of training on one batch: loss and gradients, clipping, an Adam update.

    ids: (B, T + 1), mask: (B, T) bool or None (see model.next_token_loss); state from
    ``init_adam``; max_norm: clip the gradient to this global norm (None: no clipping) ->
    (new_params, new_state, loss: float, grad_norm: float), loss and grad_norm measured *before*
    the update (grad_norm before clipping). Pure: params and state are not modified.
    Raises ValueError where adam_step or clip_by_global_norm do (lr <= 0, max_norm <= 0).
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: train_step")


def train(
    config: dict, task: dict, steps: int, seed: int, batch_size: int = 32, lr: float = 3e-3, warmup: int = 0,
    max_norm: float | None = 1.0, params: dict | None = None, state: dict | None = None, progress: bool = False,
    dtype="float64",
) -> tuple[dict, dict, dict]:
    """Train the model on a task for ``steps`` steps -> (params, state, history).

    config from make_config; task as ``tasks.make_batch`` takes it (copy or corpus windows of
    config["context"] tokens). Seeds: ``rng = np.random.default_rng(seed)``; its first draw
    ``int(rng.integers(2**31))`` is the seed of ``init_model`` (drawn even when ``params`` is
    given: training then continues from ``params``, with ``state`` or a fresh Adam state), then
    batch i comes from ``make_batch(task, batch_size, config["context"], int(rng.integers(2**31)))``. Step i uses
    the rate ``learning_rate(i, steps, lr, warmup)``. history = {"loss": (steps,), "grad_norm":
    (steps,), "lr": (steps,)}, each step's values as train_step returns them. progress=True draws
    a tqdm progress bar on stderr. dtype ("float64" or "float32") goes to ``init_model``: with
    ``params`` given, their own dtype is kept. The same arguments give the same parameters.
    Raises ValueError for steps < 0 and for a dtype init_model refuses.
    """
    config = check_config(config)
    dtype = check_dtype(dtype)
    # YOUR CODE HERE
    raise NotImplementedError("not started: train")


# -- A.9 checkpoints ------------------------------------------------------------------------------


def save_checkpoint(path: str, params: dict, config: dict, state: dict | None = None) -> str:
    """Write the model (and optionally Adam's state) to one ``.npz`` file; return the path.

    Entries: "config" (the config as a JSON string in a 0-d str array), one "params.<path>" per
    leaf of ``trees.flatten(params)``, and with a state "adam.m.<path>", "adam.v.<path>" and
    "adam.t". Only arrays of numbers and strings: it loads with ``allow_pickle=False``, so opening
    a checkpoint can never run code. Creates the parent directory. A path without the .npz suffix
    gets it (as numpy would). Raises ValueError for a config make_config refuses.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: save_checkpoint")


def load_checkpoint(path: str) -> tuple[dict, dict, dict | None]:
    """Read what :func:`save_checkpoint` wrote -> (params, config, state or None).

    Open it with ``np.load(path, allow_pickle=False)``; rebuild the trees with ``trees.unflatten``
    (a list of blocks comes back as a list). Raises ValueError for a file without a config.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: load_checkpoint")


def checkpoint_entries(path: str) -> dict:
    """Given: every entry of a ``.npz`` file, read with ``allow_pickle=False`` (a file holding an
    object array fails here, as it should): {name: array}, a string entry as a Python str."""
    with np.load(path, allow_pickle=False) as archive:
        return {name: (str(archive[name]) if archive[name].dtype.kind == "U" else np.array(archive[name]))
                for name in archive.files}


# -- A.10 sampling --------------------------------------------------------------------------------


def sample(
    params: dict, config: dict, prompt: np.ndarray, length: int, seed: int, temperature: float = 1.0,
) -> np.ndarray:
    """Generate ``length`` tokens after ``prompt`` -> ids: (len(prompt) + length,) int64, the prompt first.

    prompt: (P,) token ids, P >= 1. For each new token: run the model on the last
    config["context"] tokens so far, take the logits of the last position, divide by
    ``temperature`` and softmax them into p; draw u = rng.random() with
    ``rng = np.random.default_rng(seed)`` (one u per token) and take the first token whose
    cumulative probability exceeds u (``np.searchsorted(np.cumsum(p), u, side="right")``).
    temperature 0 means greedy: the argmax, no randomness. Same seed, same text.
    Raises ValueError for a prompt that is not a non-empty 1-d integer array of ids in [0, V),
    length < 0 or temperature < 0.
    """
    config = check_config(config)
    # YOUR CODE HERE
    raise NotImplementedError("not started: sample")


# -- given: the experiments -----------------------------------------------------------------------


def copy_run(seed: int = 0, steps: int | None = None, progress: bool = False, check_every: int = 10) -> dict:
    """Given: train on the copy task and find the first step at which a held-out copy batch is
    right at 100 %. -> {"params", "config", "history", "accuracy", "steps_to_100", "seconds_to_100",
    "seconds", "steps_per_second", "steps_per_cpu_second"}. Wall-clock figures depend on what else
    the machine runs; CPU time much less. Accuracy is checked every ``check_every`` steps on a fresh
    batch of 256 sequences (that check is not counted in the training time)."""
    c = COPY
    config = make_config(c["vocab_size"], c["d_model"], c["n_heads"], c["n_layers"], context=2 * c["n_tokens"])
    task = {"kind": "copy", "n_tokens": c["n_tokens"], "vocab_size": c["vocab_size"]}
    steps = c["steps"] if steps is None else steps
    rng = np.random.default_rng(seed)
    params = init_model(config, int(rng.integers(2**31)))
    state = init_adam(params)
    losses, norms = [], []
    trained, cpu, steps_to_100, seconds_to_100 = 0.0, 0.0, None, None
    bar = progress_bar(steps) if progress else None
    done = 0
    while done < steps:
        chunk = min(check_every, steps - done)
        # one chunk of training, continuing the schedule of the whole run
        for i in range(done, done + chunk):
            ids, mask = make_batch(task, c["batch_size"], config["context"], int(rng.integers(2**31)))
            started, cpu_started = time.perf_counter(), time.process_time()
            params, state, loss, norm = train_step(params, state, ids, config,
                                                   learning_rate(i, steps, c["lr"], c["warmup"]), mask)
            trained += time.perf_counter() - started
            cpu += time.process_time() - cpu_started
            losses.append(loss)
            norms.append(norm)
            if bar is not None:
                bar.set_postfix(loss=f"{loss:.4g}", grad_norm=f"{norm:.3g}", refresh=False)
                bar.update()
        done += chunk
        if steps_to_100 is None and copy_accuracy(params, config, c["n_tokens"], 256, seed + 10_000) == 1.0:
            steps_to_100, seconds_to_100 = done, trained
    if bar is not None:
        bar.close()
    accuracy = copy_accuracy(params, config, c["n_tokens"], 1024, seed + 20_000)
    return {"params": params, "config": config, "history": {"loss": np.array(losses), "grad_norm": np.array(norms)},
            "accuracy": accuracy, "steps_to_100": steps_to_100, "seconds_to_100": seconds_to_100,
            "seconds": trained, "steps_per_second": steps / max(trained, 1e-9),
            "steps_per_cpu_second": steps / max(cpu, 1e-9)}


def bigram_probs_table(train_ids: np.ndarray, vocab_size: int, k: float = BIGRAM_K) -> np.ndarray:
    """Given: the counting extension's add-k character bigram, (V, V), fitted on the training ids.
    Its cross-entropy on held-out ids scores the same positions 1 .. N-1 as held_out_cross_entropy."""
    from language_models import bigram

    return bigram.bigram_probs(bigram.bigram_counts(train_ids, vocab_size), k)


def corpus_run(name: str, seed: int = 0, steps: int | None = None, progress: bool = False,
               dtype: str = "float64") -> dict:
    """Given: train on one corpus (in float64 or float32) and compare held-out cross-entropies
    (nats per character; the Transformer's is computed in the dtype it was trained in).

    -> {"params", "config", "history", "corpus", "bigram", "trigram" (the counting extension's
    add-0.1 character trigram, scoring positions 2 .. N-1), "transformer", "difference" (mean of
    the Transformer's minus the bigram's -log p, position by position), "difference_se" (its
    standard error), "entropy_rate" (None for pydoc), "seconds", "cpu_seconds",
    "steps_per_second", "n_params"}."""
    from language_models import ngram
    from language_models.corpus import entropy_rate

    from tiny_transformer.tasks import pair_chain
    from tiny_transformer.trees import tree_size

    run = CORPUS_RUNS[name]
    data = load_corpus(name)
    v = len(data["vocab"])
    config = make_config(v, run["d_model"], run["n_heads"], run["n_layers"], context=run["context"])
    started, cpu_started = time.perf_counter(), time.process_time()
    steps = run["steps"] if steps is None else steps
    params, _, history = train(config, {"kind": "corpus", "ids": data["train"]}, steps, seed, run["batch_size"],
                               run["lr"], run["warmup"], progress=progress, dtype=dtype)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    entropy = None
    if data["order"] == 1:
        entropy = entropy_rate(data["chain"])
    elif data["order"] == 2:
        entropy = entropy_rate(pair_chain(data["chain"]))
    held = data["held_out"]
    bigram_nll = -np.log(bigram_probs_table(data["train"], v)[held[:-1], held[1:]])  # (N - 1,)
    trigram_nll = -ngram.ngram_log_probs(ngram.fit_ngram(data["train"], 3, v, BIGRAM_K), held)  # (N - 2,)
    transformer_nll = np.asarray(held_out_cross_entropy(params, config, held, per_position=True))
    difference = transformer_nll - bigram_nll
    return {"params": params, "config": config, "history": history, "corpus": data,
            "bigram": float(bigram_nll.mean()), "trigram": float(trigram_nll.mean()),
            "transformer": float(transformer_nll.mean()),
            "difference": float(difference.mean()), "difference_se": float(difference.std() / np.sqrt(difference.size)),
            "entropy_rate": entropy, "seconds": seconds, "cpu_seconds": cpu_seconds,
            "steps_per_second": len(history["loss"]) / seconds, "n_params": tree_size(params)}


def _decode(ids, vocab) -> str:
    return "".join(vocab[int(i)] if int(i) else "?" for i in ids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tiny_transformer.train", description=__doc__.split("\n")[0])
    parser.add_argument("--task", choices=("copy", "synthetic", "markov2", "pydoc", "all"), default="copy")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=None, help="override the experiment's number of steps")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                        help="train the corpus runs in double (default) or single precision")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="where checkpoints and plots go")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    out = Path(args.out)
    names = ["copy", "synthetic", "markov2", "pydoc"] if args.task == "all" else [args.task]
    rows = []
    for name in names:
        print(f"== {name} (seed {args.seed})", flush=True)
        if name == "copy":
            run = copy_run(args.seed, args.steps, progress=True)
            first = ("never" if run["steps_to_100"] is None
                     else f"after step {run['steps_to_100']} ({run['seconds_to_100']:.1f} s of training)")
            print(f"copy: token accuracy {run['accuracy']:.2%} on 1024 fresh sequences; 100 % first measured "
                  f"{first}; {run['steps_per_second']:.0f} training steps/s "
                  f"({run['steps_per_cpu_second']:.0f} per CPU second)")
            ids, _ = make_batch({"kind": "copy", "n_tokens": COPY["n_tokens"], "vocab_size": COPY["vocab_size"]},
                                1, 0, args.seed + 30_000)
            prompt = ids[0, : COPY["n_tokens"] + 1]
            print(f"greedy continuation of {prompt.tolist()}: "
                  f"{sample(run['params'], run['config'], prompt, COPY['n_tokens'], 0, temperature=0.0).tolist()}")
        else:
            run = corpus_run(name, args.seed, args.steps, progress=True, dtype=args.dtype)
            h = run["entropy_rate"]
            steps = len(run["history"]["loss"])
            rows.append((name, run, steps))
            print(f"{name}: held-out cross-entropy in nats per character: bigram {run['bigram']:.4f}, "
                  f"trigram {run['trigram']:.4f}, tiny Transformer "
                  f"{run['transformer']:.4f} (difference {run['difference']:+.4f} +- {run['difference_se']:.4f})"
                  + (f", entropy rate {h:.4f}" if h is not None else "")
                  + f"; {run['n_params']} parameters, {steps} steps, {run['seconds']:.0f} s "
                  f"({steps / max(run['cpu_seconds'], 1e-9):.0f} steps per CPU second)")
            vocab = run["corpus"]["vocab"]
            prompt = run["corpus"]["held_out"][:8]
            text = sample(run["params"], run["config"], prompt, 120, args.seed, temperature=1.0)
            print(f"sample (seed {args.seed}, after the held-out text's first 8 characters): {_decode(text, vocab)!r}")
        path = save_checkpoint(str(out / f"{name}.npz"), run["params"], run["config"])
        print(f"checkpoint: {path}")
        if not args.no_plot:
            from tiny_transformer.plots import loss_curve

            curve = loss_curve(run["history"], out / f"{name}_loss.png", title=name, floor=run.get("entropy_rate"))
            print(f"loss curve: {curve}")
    if rows:
        print("\n| corpus | bigram | trigram | tiny Transformer | Transformer - bigram (+- s.e.) | entropy rate "
              "| parameters | steps | seconds |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for name, run, steps in rows:
            h = run["entropy_rate"]
            shown = "unknown" if h is None else f"{h:.4f}"
            print(f"| {name} | {run['bigram']:.4f} | {run['trigram']:.4f} | {run['transformer']:.4f} "
                  f"| {run['difference']:+.4f} "
                  f"+- {run['difference_se']:.4f} | {shown} | {run['n_params']} | {steps} | {run['seconds']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
