import os

# Grading works on small arrays, several processes at a time: one BLAS thread each is faster
# than threads fighting over two cores (set before numpy is imported).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from grader.cli import main  # noqa: E402

raise SystemExit(main())
