"""Keep freed memory in the process instead of handing it back to the operating system.

A training step or a grading call allocates the same large temporaries again and again. glibc's
malloc returns the top of its heap to the kernel as soon as it is free, so the next step touches
fresh pages and pays a minor page fault for each 4 KB (about 3,900 per step of Extension A's
pydoc run, a third of the step's time). ``mallopt(M_TOP_PAD, pad)`` asks malloc to keep ``pad``
bytes beyond what it needs each time it grows or trims the heap, so the pages stay mapped.

Imports nothing from the rest of the grader. Where the C library is not glibc (macOS, musl,
Windows) there is no such knob and :func:`keep_heap_pad` does nothing and says so.
"""

from __future__ import annotations

import ctypes

M_TOP_PAD = -2  # glibc's malloc.h
DEFAULT_PAD = 64 * 2**20  # bytes: above the largest step's temporaries of the course's runs


def keep_heap_pad(pad_bytes: int = DEFAULT_PAD) -> bool:
    """Set glibc's M_TOP_PAD to ``pad_bytes`` for this process -> True when it took effect.

    False, and nothing changed, where the C library has no ``mallopt`` or refuses the value.
    Call it once at start-up; calling it again only sets the same value. Raises ValueError for a
    pad that is not a non-negative integer below 2**31 (mallopt takes a C int).
    """
    if isinstance(pad_bytes, bool) or not isinstance(pad_bytes, int) or not 0 <= pad_bytes < 2**31:
        raise ValueError(f"pad_bytes: expected an integer in [0, 2**31), got {pad_bytes!r}")
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter already runs on
    except (OSError, TypeError, AttributeError):  # TypeError: Windows has no CDLL(None)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt(M_TOP_PAD, pad_bytes) == 1
