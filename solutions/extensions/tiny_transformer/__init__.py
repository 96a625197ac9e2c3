"""Extension A: a tiny Transformer language model trained with backpropagation and Adam written by hand.

Two settings for speed, made once when the package is imported (given: nothing to write here).

The matrices here are tiny (a few dozen rows and columns), and a multi-threaded BLAS spends more
time starting and synchronising threads than multiplying: on a busy machine 100 times more. Unless
you chose otherwise, importing this package before numpy keeps OpenBLAS to one thread.

Every training step allocates the same temporaries (about 1 MB each) and frees them again. The C
library's malloc (glibc) hands freed memory at the top of its heap straight back to the operating
system, so the next step gets fresh pages and pays a page fault for every 4 KB of them: thousands
per step, a third of the step's time. Asking malloc to keep a 64 MB pad (``mallopt(M_TOP_PAD)``)
keeps those pages in the process. Set TINY_TRANSFORMER_MALLOC_PAD to another number of bytes, or
to 0 to leave malloc as it is (``python -m tiny_transformer.speed`` shows the difference). Where
the C library is not glibc this does nothing.
"""

import ctypes
import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

MALLOC_PAD = int(os.environ.get("TINY_TRANSFORMER_MALLOC_PAD") or 64 * 2**20)  # bytes; 0: malloc untouched
if MALLOC_PAD > 0:
    try:  # glibc's mallopt(M_TOP_PAD = -2, pad); the same setting as grader/engine/allocator.py
        ctypes.CDLL(None).mallopt(-2, MALLOC_PAD)
    except (OSError, TypeError, AttributeError):  # no glibc (macOS, musl, Windows): nothing to set
        pass
