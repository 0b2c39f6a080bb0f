"""How a long-lived process holds its memory.

glibc gives the threads that allocate arenas of their own, up to eight per core, and hands little of
a freed arena back. A turn's work runs on many threads (the nodes, the speech and video pool, torch's
and ONNX Runtime's own), each allocating buffers of new sizes, so the served app grew by about 40 MB
a turn: on two cores of an AMD EPYC with AVX2 alone, from 1.86 GB warm to 2.72 GB after 20 turns.
Held to two arenas it stayed at 2.17 GB, level from the tenth turn."""

from __future__ import annotations

import ctypes
import os

_M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h


def cap_malloc_arenas(arenas: int) -> bool:
    """Holds glibc's malloc to `arenas` arenas (0: leave its default). glibc settles the limit when it
    first needs more arenas, so this must run before the process's threads multiply: before the
    models load. MALLOC_ARENA_MAX in the environment, read by glibc itself at start, is left to
    decide. False where the C library is not glibc."""
    if arenas <= 0 or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        return bool(ctypes.CDLL(None).mallopt(_M_ARENA_MAX, arenas))  # the C library already loaded
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows): nothing to set
        return False
