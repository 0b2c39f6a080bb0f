"""How the serving process holds its memory.

glibc gives each thread that allocates while another holds an arena an arena of its own, up to eight
per core, and returns little of them once freed. A turn's work runs on many threads (the nodes, the
speech and video pool, torch's and ONNX Runtime's own), each allocating buffers of new sizes, so
the served app grew by about 40 MB a turn: on two cores of an AMD EPYC with AVX2 alone, from 1.86 GB
warm to 2.72 GB after 20 turns. Held to two arenas it stopped near 2.15 GB."""

from __future__ import annotations

import ctypes
import ctypes.util
import os

_M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h


def cap_malloc_arenas(arenas: int) -> bool:
    """Holds glibc's malloc to `arenas` arenas from now on (0: leave its default); MALLOC_ARENA_MAX in
    the environment, read by glibc itself at start, is left to decide. False where the C library is
    not glibc or the call fails."""
    if arenas <= 0 or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):  # not glibc: its allocator keeps its own counsel
        return False
