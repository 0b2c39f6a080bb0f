"""What the running CPU computes natively, read once from /proc/cpuinfo, so each model picks its
precision at start-up: bfloat16 only where the hardware has it (AVX-512 BF16 or AMX), else float32
or int8."""

from __future__ import annotations

import functools
import os
from pathlib import Path


# Set by evals.avx2_only for the command it runs: the prefixes of the flags that CPUID hides from
# this process, which /proc/cpuinfo still lists, so that a benchmark reads the CPU its kernels see.
HIDDEN_FLAGS_ENV = "EMPATHYEAR_CPUID_HIDDEN"


@functools.cache
def cpu_flags() -> frozenset[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    line = next((ln for ln in text.splitlines() if ln.startswith("flags")), "")
    hidden = tuple(p for p in os.environ.get(HIDDEN_FLAGS_ENV, "").split(",") if p)
    return frozenset(f for f in line.partition(":")[2].split() if not f.startswith(hidden))


# oneDNN, which runs torch's bfloat16 matrix products, can be held below what the CPU has
# (ONEDNN_MAX_CPU_ISA); held at one of these, bfloat16 is emulated whatever the flags say, and held at
# one of the second set, AMX is not used.
_NO_BFLOAT16_ISAS = frozenset({"SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI"})
_NO_AMX_ISAS = _NO_BFLOAT16_ISAS | {"AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX10_1_512"}


def _onednn_held_at() -> str:
    return os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper()


def native_bfloat16() -> bool:
    if _onednn_held_at() in _NO_BFLOAT16_ISAS:
        return False
    flags = cpu_flags()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def amx_bfloat16() -> bool:
    """AMX tiles multiply bfloat16 matrices in hardware, unless oneDNN is held below them."""
    return _onednn_held_at() not in _NO_AMX_ISAS and "amx_bf16" in cpu_flags()


def vector_extensions() -> list[str]:
    """The SIMD and matrix extensions that decide which kernels and precisions run fast."""
    return sorted(f for f in cpu_flags() if f.startswith(("avx", "amx", "fma", "f16c")))
