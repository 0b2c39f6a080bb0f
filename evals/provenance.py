"""What every benchmark report carries besides its figures: the machine it ran on and when, and a
command line that prints the report as one JSON object or as lines."""

from __future__ import annotations

import argparse
import json
import os
import platform
from collections.abc import Callable
from datetime import UTC, datetime

from models.encoder import paths
from models.precision import vector_extensions
from settings import quiet_libraries


def cpu_model() -> str:
    """The processor's name where the system says it (Linux), else what platform knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def provenance() -> dict[str, object]:
    return {
        "machine": {
            "cpu": cpu_model(),
            "cpus": os.cpu_count(),
            "vector_extensions": vector_extensions(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "paths": paths(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def report_cli(doc: str | None, run: Callable[[], dict], argv: list[str] | None = None) -> int:
    """`--json` prints the report on one line; without it, a line per figure."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    quiet_libraries()
    report = run()
    print(json.dumps(report) if args.json else "\n".join(f"{k}: {v}" for k, v in report.items()))
    return 0
