"""Runs a command as on a CPU without AVX-512: the budgets are set on such CPUs, and a host that has
AVX-512 would otherwise time the kernels of another machine.

    python -m evals.avx2_only -- python -m evals.listener --systems listener --json

The command runs with `avx2_only.c` preloaded: every CPUID it executes reports no AVX-512,
AVX-VNNI, AVX10 or AMX, so torch, oneDNN and ONNX Runtime pick their AVX2 kernels, and
EMPATHYEAR_CPUID_HIDDEN tells the project's own reading of the CPU (models.precision, and with it
each report's `vector_extensions`) the same. It is still this CPU, its clock and caches: a CPU
that lacks AVX-512 may be slower or faster beside it. Needs Linux on a CPU with the `cpuid_fault`
flag and a C compiler. A SIGSEGV handler the command sets (Python's faulthandler) still gets its
real faults; a thread that blocks SIGSEGV ends at its next CPUID.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from models.precision import HIDDEN_FLAGS_ENV, cpu_flags

SOURCE = Path(__file__).with_suffix(".c")
HIDDEN = ("avx512", "avx_vnni", "avx10", "amx")  # prefixes of the /proc/cpuinfo flags the shim clears


# The dynamic loader reads CPUID before any preloaded library runs, so glibc's own string and memory
# routines are held to AVX2 by its tunables instead.
GLIBC_HIDDEN = "glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD,-AVX512ER,-AVX512PF"


def environment(library: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["LD_PRELOAD"] = " ".join(filter(None, [str(library), env.get("LD_PRELOAD", "")]))
    env["GLIBC_TUNABLES"] = ":".join(filter(None, [env.get("GLIBC_TUNABLES", ""), GLIBC_HIDDEN]))
    env[HIDDEN_FLAGS_ENV] = ",".join(HIDDEN)
    return env


def _compiler() -> str | None:
    return shutil.which("cc") or shutil.which("gcc")


def unavailable() -> str | None:
    """Why a command cannot be run this way here; None when it can."""
    if "cpuid_fault" not in cpu_flags():
        return "this CPU or kernel cannot make CPUID fault (no cpuid_fault flag)"
    if _compiler() is None:
        return "a C compiler (cc) is needed to build the shim"
    return None


def run(command: list[str]) -> int:
    if why := unavailable():
        sys.exit(f"evals.avx2_only: {why}")
    compiler = _compiler()
    with tempfile.TemporaryDirectory() as folder:
        library = Path(folder) / "avx2_only.so"
        build = [compiler, "-O2", "-shared", "-fPIC", "-o", str(library), str(SOURCE), "-ldl"]
        subprocess.run(build, check=True)
        code = subprocess.run(command, env=environment(library), check=False).returncode
    return code if code >= 0 else 128 - code  # killed by a signal: the shell's way of saying which


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--"]:
        args = args[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if args else 2
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
