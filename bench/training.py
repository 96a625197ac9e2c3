"""``make bench``'s training section: how fast Extension A's reference trains, beside the previous run.

Every figure comes from ``tiny_transformer.speed.benchmark()``, run in fresh interpreters with a
one-thread BLAS: the pydoc run (B 32, T 32, D 32, 4 heads, 2 layers, 2 000 steps) in float64 and
in float32, one step's median time and minor page faults with and without the malloc pad, and the
block forward at B 1, T 256, D 512, 8 heads. The figures of this run are kept in
``bench/results/training.json``; the next run prints them in its "previous" column.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

PREVIOUS = Path(__file__).resolve().parent / "results" / "training.json"

# (label, key, format): the rows of the comparison table, in the order a learner reads them
ROWS = [
    ("pydoc step, float64, no malloc pad: median wall ms", "nopad_step_ms", "{:.1f}"),
    ("pydoc step, float64, no malloc pad: median CPU ms", "nopad_step_cpu_ms", "{:.1f}"),
    ("pydoc step, float64, no malloc pad: minor page faults", "nopad_faults_per_step", "{:.0f}"),
    ("pydoc step, float64: median wall ms", "step_float64_step_ms", "{:.1f}"),
    ("pydoc step, float64: median CPU ms", "step_float64_step_cpu_ms", "{:.1f}"),
    ("pydoc step, float64: minor page faults", "step_float64_faults_per_step", "{:.0f}"),
    ("pydoc step, float32: median wall ms", "step_float32_step_ms", "{:.1f}"),
    ("pydoc step, float32: median CPU ms", "step_float32_step_cpu_ms", "{:.1f}"),
    ("pydoc step, float32: minor page faults", "step_float32_faults_per_step", "{:.0f}"),
    ("pydoc run, float64: steps per second", "pydoc_float64_steps_per_second", "{:.1f}"),
    ("pydoc run, float64: seconds to the reported loss", "pydoc_float64_seconds", "{:.1f}"),
    ("pydoc run, float64: held-out loss (nats per character)", "pydoc_float64_transformer", "{:.4f}"),
    ("pydoc run, float32: steps per second", "pydoc_float32_steps_per_second", "{:.1f}"),
    ("pydoc run, float32: seconds to the reported loss", "pydoc_float32_seconds", "{:.1f}"),
    ("pydoc run, float32: held-out loss (nats per character)", "pydoc_float32_transformer", "{:.4f}"),
    ("block forward B1 T256 D512 H8, no malloc pad: median ms", "nopad_block_ms", "{:.1f}"),
    ("block forward B1 T256 D512 H8: median ms", "block_ms", "{:.1f}"),
]


def training_numbers() -> dict:
    """Run the extension's benchmark (a few minutes) -> its figures, plus when and at what load."""
    from tiny_transformer.speed import benchmark

    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    numbers = benchmark()
    numbers["measured"] = time.strftime("%Y-%m-%d %H:%M")
    numbers["load_average"] = [load_before, os.getloadavg()[0] if hasattr(os, "getloadavg") else None]
    return numbers


def previous_numbers() -> dict:
    """The figures the last run kept, or {} when there are none."""
    try:
        return json.loads(PREVIOUS.read_text())
    except (OSError, ValueError):
        return {}


def keep(numbers: dict) -> None:
    PREVIOUS.write_text(json.dumps(numbers, indent=1, sort_keys=True) + "\n")


def _shown(numbers: dict, key: str, fmt: str) -> str:
    value = numbers.get(key)
    return "-" if value is None else fmt.format(value)


def _load(numbers: dict) -> str:
    load = numbers.get("load_average") or [None, None]
    return "/".join("?" if x is None else f"{x:.1f}" for x in load)


def section(training: dict, previous: dict) -> list[str]:
    """The report's lines for the training section."""
    lines = [
        "## Training the tiny Transformer (Extension A, reference, one BLAS thread)", "",
        f"Copy task: {training['copy_steps_per_second']:.0f} training steps per second; 100 % token accuracy after "
        f"{training['copy_steps_to_100']} steps ({training['copy_seconds_to_100']:.2f} s of training).", "",
        "| corpus | bigram | trigram | tiny Transformer | true entropy rate | steps/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *[f"| {name} | {training[name + '_bigram']:.4f} | {training[name + '_trigram']:.4f} | "
          f"{training[name + '_transformer']:.4f} | "
          f"{'-' if training[name + '_entropy_rate'] is None else format(training[name + '_entropy_rate'], '.4f')} | "
          f"{training[name + '_steps_per_second']:.0f} |" for name in ("synthetic", "markov2")], "",
        "Held-out cross-entropy in nats per symbol, all models on the same split. The synthetic corpus is a "
        "first-order Markov chain, so the bigram is already the true model and nothing beats it by more than "
        "noise; on the second-order chain (markov2) the Transformer beats the bigram and approaches the entropy "
        "rate. See extensions/tiny_transformer/README.md.", "",
        "### Speed: the pydoc run, float64 and float32, with and without the malloc pad", "",
        f"| what | previous ({previous.get('measured', 'none')}, load {_load(previous)}) "
        f"| now ({training.get('measured', '?')}, load {_load(training)}) |",
        "| --- | ---: | ---: |",
        *[f"| {label} | {_shown(previous, key, fmt)} | {_shown(training, key, fmt)} |" for label, key, fmt in ROWS], "",
        "Wall-clock figures depend on what else the machine runs (the load averages, over one minute, at "
        "the start and the end of the run, are in the column heads); CPU milliseconds much less. \"No malloc "
        "pad\" is a fresh interpreter started with TINY_TRANSFORMER_MALLOC_PAD=0: glibc then returns the "
        "step's freed temporaries to the operating system and every step faults them in again. The pydoc "
        "run's time is the whole run of 2 000 steps, the time to the held-out loss beside it. See "
        "extensions/tiny_transformer/README.md, \"Speed\".", "",
    ]
    return lines
