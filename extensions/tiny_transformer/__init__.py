"""Extension A: a tiny Transformer language model trained with backpropagation and Adam written by hand.

The matrices here are tiny (a few dozen rows and columns), and a multi-threaded BLAS spends more
time starting and synchronising threads than multiplying: on a busy machine 100 times more. Unless
you chose otherwise, importing this package before numpy keeps OpenBLAS to one thread.
"""

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
