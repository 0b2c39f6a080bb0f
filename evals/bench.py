"""Every benchmark, one process each, into one JSON file and a Markdown report with plots.

    python -m evals.bench --data ../shared/data/empathetic_dialogues/dialogues_dev.jsonl   (make bench)

Writes evals/results/latest.json, evals/results/latest.md and the PNG plots beside them. Each
figure is checked against its target; the report says which are met.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

from evals.provenance import provenance

RESULTS = Path("evals/results")
# (benchmark, figure, comparison, target, what it is)
TARGETS = [
    ("latency", "meta_p50_ms", "<=", 150, "meta-response ready, p50 (ms)"),
    ("latency", "first_audio_p50_s", "<=", 1.0, "first speech audio after the message, p50 (s)"),
    ("latency", "turn_p50_s", "<=", 4.0, "text, speech and video done, p50 (s)"),
    ("latency", "turn_p95_s", "<=", 7.0, "text, speech and video done, p95 (s)"),
    ("emotion", "p50_ms", "<=", 100, "emotion agent on a message with its conversation, p50 (ms)"),
    ("latency", "peak_rss_mb", "<=", 2500, "peak resident memory (MB)"),
    ("speech", "rtf", "<=", 0.5, "speech real-time factor"),
    ("speech", "first_audio_s", "<=", 1.0, "first audio of a two-sentence reply (s)"),
    ("video", "rtf", "<=", 0.1, "video render + encode real-time factor"),
    ("perception", "audio_s", "<=", 1.5, "perceiving 10 s of audio (s)"),
    ("perception", "video_s", "<=", 3.0, "perceiving 10 s of video (s)"),
    ("responses", "corpus_dist1", ">=", 0.10, "corpus Dist-1 over 500 replies"),
    ("responses", "corpus_dist2", ">=", 0.45, "corpus Dist-2 over 500 replies"),
    ("responses", "unique_share", ">=", 0.95, "share of unique replies"),
    ("responses", "safety_failures", "<=", 0, "replies failing the safety check"),
    ("listener", "systems.listener.first_sentence_p50_s", "<=", 0.8, "listener's first spoken sentence, p50 (s)"),
    ("listener", "systems.listener.whole_p50_s", "<=", 2.0, "listener's whole reply, p50 (s)"),
    ("listener", "systems.listener.valence_disagreements", "<", 0.05, "held-out replies of the wrong tone"),
    ("listener", "systems.listener.safety_failures", "<=", 0, "held-out replies failing a safety guard"),
    ("conversations", "pass_rate", ">=", 0.9, "conversation-suite turns passing every check"),
]
HUMAN = {"corpus_dist1": 0.163, "corpus_dist2": 0.622}  # listeners' own replies to ED test contexts


def machine_key(stamp: dict) -> str:
    """The CPU's name and a digest of its vector extensions and core count, for a file name."""
    machine = stamp["machine"]
    name = re.sub(r"[^a-z0-9]+", "-", str(machine["cpu"]).lower()).strip("-")
    digest = hashlib.sha256(json.dumps([machine["vector_extensions"], machine["cpus"]]).encode()).hexdigest()[:8]
    return f"{name}-{digest}"


def run_benchmark(name: str, extra: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", f"evals.{name}", "--json", *extra], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-1000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def figure_of(report: dict, figure: str):
    """A figure by its dotted path in a report ("systems.listener.whole_p50_s")."""
    value = report
    for part in figure.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


COMPARE = {"<=": lambda v, t: v <= t, "<": lambda v, t: v < t, ">=": lambda v, t: v >= t}


def checks(reports: dict[str, dict]) -> list[dict]:
    rows = []
    for bench, figure, comparison, target, label in TARGETS:
        value = figure_of(reports.get(bench, {}), figure)
        met = value is not None and COMPARE[comparison](value, target)
        rows.append(
            {
                "benchmark": bench,
                "figure": figure,
                "label": label,
                "value": value,
                "target": f"{comparison} {target}",
                "met": met,
            }
        )
    return rows


def plots(reports: dict[str, dict]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    latency = reports.get("latency", {})
    if "turn_p50_s" in latency:
        names = ["meta", "first audio", "speech", "video", "turn"]
        keys = ["first_audio", "speech", "video", "turn"]
        p50 = [latency["meta_p50_ms"] / 1000] + [latency[f"{k}_p50_s"] for k in keys]
        p95 = [latency["meta_p95_ms"] / 1000] + [latency[f"{k}_p95_s"] for k in keys]
        figure, axis = plt.subplots(figsize=(7, 3.5))
        axis.bar([i - 0.2 for i in range(len(names))], p50, 0.4, label="p50")
        axis.bar([i + 0.2 for i in range(len(names))], p95, 0.4, label="p95")
        axis.scatter([0, 1, 4], [0.15, 1.0, 4.0], marker="_", s=900, color="red", label="budget (p50)")
        axis.set_xticks(range(len(names)), names)
        axis.set_ylabel("seconds")
        axis.legend()
        axis.set_title("Turn latency, warm process, 2 cores")
        made.append(_save(figure, "latency.png"))
        nodes = latency["nodes_mean_ms"]
        figure, axis = plt.subplots(figsize=(6, 3.5))
        axis.barh(list(nodes), list(nodes.values()))
        axis.set_xlabel("mean ms per turn (speech and video run side by side)")
        axis.set_title("Where a turn's time goes")
        made.append(_save(figure, "nodes.png"))
    responses = reports.get("responses", {})
    if "corpus_dist2" in responses:
        figure, axis = plt.subplots(figsize=(6, 3.5))
        keys = ["corpus_dist1", "corpus_dist2"]
        axis.bar([i - 0.2 for i in range(2)], [responses[k] for k in keys], 0.4, label="EmpathyEar")
        axis.bar([i + 0.2 for i in range(2)], [HUMAN[k] for k in keys], 0.4, label="human listeners")
        axis.scatter(range(2), [0.10, 0.45], marker="_", s=900, color="red", label="bar")
        axis.set_xticks(range(2), ["Dist-1", "Dist-2"])
        axis.legend()
        axis.set_title(f"Reply diversity over {responses['n']} replies")
        made.append(_save(figure, "diversity.png"))
    return made


def _save(figure, name: str) -> str:
    figure.tight_layout()
    figure.savefig(RESULTS / name, dpi=110)
    return name


def markdown(reports: dict[str, dict], rows: list[dict], images: list[str], stamp: dict) -> str:
    lines = [
        "# EmpathyEar benchmarks", "",
        f"Run {stamp['date']} on {stamp['machine']['cpus']} CPUs ({stamp['machine']['cpu']}), {stamp['machine']['platform']}, Python {stamp['machine']['python']}.", "",
        "| figure | value | target | met |", "|---|---|---|---|",
    ]  # fmt: skip
    lines += [
        f"| {r['label']} | {r['value']} | {r['target']} | {'yes' if r['met'] else 'no'} |" for r in rows
    ]
    lines += ["", *[f"![{name}]({name})" for name in images], ""]
    for name, report in reports.items():
        lines += [f"## {name}", "", "```", json.dumps(report, indent=1), "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True, help="EmpatheticDialogues-format JSONL")
    parser.add_argument(
        "--limit", type=int, default=500, help="contexts for the emotion (held-out conversations) and response figures"
    )
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = ["--data", str(args.data), "--limit", str(args.limit)]
    reports = {}
    for name, extra in (("speech", []), ("video", []), ("perception", []), ("latency", []),
                        ("emotion", [*data, "--held-out"]), ("responses", [*data, "--out", str(RESULTS / "replies.jsonl")]),
                        ("listener", ["--limit", "150"]), ("conversations", [])):  # fmt: skip
        print(f"running {name}…", flush=True)
        reports[name] = run_benchmark(name, extra)
    rows, stamp = checks(reports), provenance()
    (RESULTS / "latest.json").write_text(
        json.dumps({**stamp, "checks": rows, "benchmarks": reports}, indent=1)
    )
    (RESULTS / "latest.md").write_text(markdown(reports, rows, plots(reports), stamp))
    # Figures from different CPUs are never one series: each machine keeps its own record.
    (RESULTS / f"machine-{machine_key(stamp)}.json").write_text(
        json.dumps({**stamp, "checks": rows, "benchmarks": reports}, indent=1)
    )
    met = sum(r["met"] for r in rows)
    print(f"{met} of {len(rows)} targets met; report: {RESULTS / 'latest.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
