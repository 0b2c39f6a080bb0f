"""What the running CPU computes natively, read once from /proc/cpuinfo, so each model picks its
precision at start-up: bfloat16 only where the hardware has it (AVX-512 BF16 or AMX), else float32."""

from __future__ import annotations

import functools
from pathlib import Path


@functools.cache
def cpu_flags() -> frozenset[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    line = next((ln for ln in text.splitlines() if ln.startswith("flags")), "")
    return frozenset(line.partition(":")[2].split())


def native_bfloat16() -> bool:
    flags = cpu_flags()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def vector_extensions() -> list[str]:
    """The SIMD and matrix extensions that decide which kernels and precisions run fast."""
    return sorted(f for f in cpu_flags() if f.startswith(("avx", "amx", "fma", "f16c")))
