"""Given: how fast this extension trains, the numbers ``make bench`` reports (nothing to write here).

    .venv/bin/python -m tiny_transformer.speed            # one pydoc step in float64 and float32

Two things decide the speed of a training step at these sizes, besides the matrix products:

- **page faults**: each step allocates and frees the same 1 MB temporaries; unless malloc keeps
  a pad of memory (this package's ``__init__`` asks for 64 MB), every step gets fresh pages
  from the operating system and pays a minor fault for each 4 KB. :func:`step_timing` counts them
  (``resource.getrusage``'s ``ru_minflt``); run it in an interpreter started with
  TINY_TRANSFORMER_MALLOC_PAD=0 to see the step without the pad.
- **precision**: float32 halves the bytes every element-wise pass reads and writes, and numpy's
  float32 ``exp`` is about 3 times faster than its float64 one.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from tiny_transformer.adam import init_adam
from tiny_transformer.model import init_model, make_config
from tiny_transformer.tasks import load_corpus, make_batch
from tiny_transformer.train import CORPUS_RUNS, copy_run, corpus_run, train_step



def _minor_faults() -> int:
    try:
        import resource
    except ImportError:  # Windows: no getrusage
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def step_timing(dtype: str = "float64", steps: int = 60, skip: int = 10, seed: int = 0) -> dict:
    """Time single training steps of the pydoc run (B 32, T 32, D 32, 4 heads, 2 layers).

    -> {"step_ms": median wall ms per step, "step_cpu_ms": median CPU ms, "faults_per_step":
    median minor page faults per step, "malloc_pad": the pad this interpreter asked for (bytes)}.
    The first ``skip`` steps are not counted (the heap grows to its working size there).
    """
    import tiny_transformer

    run = CORPUS_RUNS["pydoc"]
    data = load_corpus("pydoc")
    config = make_config(len(data["vocab"]), run["d_model"], run["n_heads"], run["n_layers"], context=run["context"])
    params = init_model(config, seed, dtype)
    state = init_adam(params)
    task = {"kind": "corpus", "ids": data["train"]}
    batches = [make_batch(task, run["batch_size"], run["context"], seed + i) for i in range(steps)]
    wall, cpu, faults = [], [], []
    for i, (ids, mask) in enumerate(batches):
        f0, t0, c0 = _minor_faults(), time.perf_counter(), time.process_time()
        params, state, _, _ = train_step(params, state, ids, config, run["lr"], mask)
        t1, c1, f1 = time.perf_counter(), time.process_time(), _minor_faults()
        if i >= skip:
            wall.append(t1 - t0)
            cpu.append(c1 - c0)
            faults.append(f1 - f0)
    return {"step_ms": 1e3 * statistics.median(wall), "step_cpu_ms": 1e3 * statistics.median(cpu),
            "faults_per_step": statistics.median(faults), "malloc_pad": tiny_transformer.MALLOC_PAD}


def block_forward_timing(b: int = 1, t: int = 256, d: int = 512, h: int = 8, calls: int = 15) -> dict:
    """Median wall and CPU ms of one call of phase 3's ``transformer_block`` (float64, d_ff = 4 D) on
    a (b, t, d) input with h heads -> {"block_ms", "block_cpu_ms"}; the first 3 calls not counted."""
    from phase3_transformer.transformer_block import init_block, transformer_block

    x = np.random.default_rng(0).normal(size=(b, t, d))
    block = init_block(d, h, 4 * d, seed=0)
    wall, cpu = [], []
    for i in range(calls + 3):
        t0, c0 = time.perf_counter(), time.process_time()
        transformer_block(x, block, h)
        if i >= 3:
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    return {"block_ms": 1e3 * statistics.median(wall), "block_cpu_ms": 1e3 * statistics.median(cpu)}


def _fresh(code: str, pad: int | None = None) -> dict:
    """Run ``code`` (which prints one JSON line last) in a fresh interpreter with a one-thread BLAS
    and, if given, TINY_TRANSFORMER_MALLOC_PAD=pad -> that JSON."""
    import os
    import subprocess

    import phase0_math
    import tiny_transformer

    roots = {str(Path(m.__file__).resolve().parent.parent) for m in (phase0_math, tiny_transformer)}
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([*sorted(roots), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    if pad is not None:
        env["TINY_TRANSFORMER_MALLOC_PAD"] = str(pad)
    # -P: the current directory (perhaps the repository root, with its stubs) stays off the path
    done = subprocess.run([sys.executable, "-P", "-c", code], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the benchmark's interpreter failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def benchmark(corpora: tuple[str, ...] = ("synthetic", "markov2"), in_process: bool = False,
              pydoc: bool = True) -> dict:
    """The numbers ``make bench`` reports for this extension (a few minutes on one core).

    -> {"copy_steps_per_second", "copy_steps_per_cpu_second", "copy_steps_to_100",
        "copy_seconds_to_100", "copy_accuracy", and per corpus "<name>_bigram", "<name>_trigram",
        "<name>_transformer", "<name>_entropy_rate" (held-out nats per symbol; the entropy rate is
        None for pydoc), "<name>_difference", "<name>_difference_se", "<name>_steps_per_second",
        "<name>_steps_per_cpu_second"}; with ``pydoc``, for dtype in float64 and float32:
        "pydoc_<dtype>_transformer" (held-out loss), "pydoc_<dtype>_seconds" (the whole run: the
        time to that loss), "pydoc_<dtype>_steps_per_second", and :func:`step_timing`'s numbers as
        "step_<dtype>_<key>", :func:`block_forward_timing`'s "block_ms" and "block_cpu_ms", and
        (not in_process) the float64 step's and the block's numbers in an interpreter without the
        malloc pad, as "nopad_<key>"}.

    Runs in a fresh interpreter with a one-thread BLAS unless ``in_process``: a caller that
    imported numpy first would otherwise measure a multi-threaded BLAS fighting over tiny matrices.
    """
    if not in_process:
        out = _fresh("import json; from tiny_transformer.speed import benchmark; "
                     f"print(json.dumps(benchmark({tuple(corpora)!r}, in_process=True, pydoc={bool(pydoc)!r})))")
        if pydoc:
            no_pad = _fresh("import json; from tiny_transformer.speed import block_forward_timing, step_timing; "
                            "print(json.dumps({**step_timing('float64'), **block_forward_timing()}))", pad=0)
            out.update({f"nopad_{k}": v for k, v in no_pad.items()})
        return out
    copy = copy_run(seed=0)
    out = {"copy_steps_per_second": copy["steps_per_second"], "copy_steps_per_cpu_second": copy["steps_per_cpu_second"],
           "copy_steps_to_100": copy["steps_to_100"], "copy_seconds_to_100": copy["seconds_to_100"],
           "copy_accuracy": copy["accuracy"]}
    for name in corpora:
        run = corpus_run(name, seed=0)
        steps = len(run["history"]["loss"])
        out.update({f"{name}_bigram": run["bigram"], f"{name}_trigram": run["trigram"],
                    f"{name}_transformer": run["transformer"],
                    f"{name}_entropy_rate": run["entropy_rate"], f"{name}_difference": run["difference"],
                    f"{name}_difference_se": run["difference_se"], f"{name}_steps_per_second": run["steps_per_second"],
                    f"{name}_steps_per_cpu_second": steps / max(run["cpu_seconds"], 1e-9)})
    if pydoc:
        out.update(block_forward_timing())
        for dtype in ("float64", "float32"):
            out.update({f"step_{dtype}_{k}": v for k, v in step_timing(dtype).items()})
            run = corpus_run("pydoc", seed=0, dtype=dtype)
            out.update({f"pydoc_{dtype}_transformer": run["transformer"], f"pydoc_{dtype}_bigram": run["bigram"],
                        f"pydoc_{dtype}_seconds": run["seconds"],
                        f"pydoc_{dtype}_steps_per_second": run["steps_per_second"]})
    return out


def main() -> int:
    import tiny_transformer

    for dtype in ("float64", "float32"):
        t = step_timing(dtype)
        print(f"{dtype}, malloc pad {tiny_transformer.MALLOC_PAD} bytes: {t['step_ms']:.1f} ms per step "
              f"(CPU {t['step_cpu_ms']:.1f} ms), {t['faults_per_step']:.0f} minor page faults per step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
