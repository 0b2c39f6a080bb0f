"""Turn latency on a warm process: 20 varied text turns, each with text, speech and video.

    python -m evals.latency --json

The runner is built and warmed as `empathyear serve` does, then each turn is streamed and timed
from the moment the message arrives: meta (the reply text and its meta-response ready), first
audio (the first spoken chunk ready to play), speech done, video done (rendered alongside the
speech), and turn done (text, speech and video, all stored). Then a message of 4,000 characters (the length
limit) and an ordinary one after it in its session: their whole-turn times, and the long one's
against the median turn.
p50 and p95 of each, the mean time of every node, and the process's peak resident memory.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import time

from evals.provenance import provenance, report_cli

MESSAGES = [
    "I finally got the job I wanted for years!", "My grandmother passed away last night.",
    "I have a big exam tomorrow and I can't focus.", "My best friend forgot my birthday.",
    "We just adopted a puppy!", "My car broke down on the way to work again.",
    "I feel so alone since I moved to this city.", "My daughter took her first steps today!",
    "I got yelled at by my boss in front of everyone.", "I'm nervous about my surgery next week.",
    "My team won the championship last night!", "I failed my driving test for the third time.",
    "My neighbour keeps playing loud music at night.", "I miss the summers at my grandparents' farm.",
    "I just ran my first marathon!", "My cat has been missing for two days.",
    "I said something hurtful to my brother and I regret it.", "I'm so grateful my friends threw me a party.",
    "The doctor said my test results look good.", "I found out my partner lied to me.",
]  # fmt: skip


LONG_SENTENCE = "Work has been a lot lately and I keep going over every meeting in my head at night. "


def _turn_s(runner, text: str, session: str) -> float:
    began = time.perf_counter()
    runner.run(runner.request(text=text, session_id=session))
    return time.perf_counter() - began


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run() -> dict:
    from models.allocator import cap_malloc_arenas
    from settings import Settings

    cap_malloc_arenas(Settings().malloc_arenas)  # as `empathyear serve` does, before the libraries load
    from graph.runner import TurnRunner
    from models.registry import models_dir
    from ui.server import warm

    os.environ.setdefault("EMPATHYEAR_MODELS", str(models_dir()))  # the assembled models, not a new copy
    with tempfile.TemporaryDirectory() as home:
        os.environ["EMPATHYEAR_HOME"] = home
        runner = TurnRunner(Settings())
        warm(runner)
        marks: dict[str, list[float]] = {"meta": [], "first_audio": [], "speech": [], "video": [], "turn": []}
        nodes: dict[str, list[float]] = {}
        for message in MESSAGES:
            began = time.perf_counter()
            seen: dict[str, float] = {}
            for event in runner.stream(runner.request(text=message, session_id="bench")):
                now = time.perf_counter() - began
                if event["event"] == "speech_chunk":
                    seen.setdefault("first_audio", now)
                elif event["event"] == "node":
                    nodes.setdefault(event["node"], []).append(event["duration_ms"] or 0.0)
                    if event["node"] in ("responder", "safety"):
                        seen["meta"] = now
                    elif event["node"] == "synthesize_speech":
                        seen["speech"] = now
                    elif event["node"] == "animate_face":
                        seen["video"] = now
            seen["turn"] = time.perf_counter() - began
            for key, times in marks.items():
                if key in seen:
                    times.append(seen[key])
        # A message at the length limit, then an ordinary one after it in the same session.
        long_s = _turn_s(runner, (LONG_SENTENCE * 60)[:4000], "long")
        after_long_s = _turn_s(runner, MESSAGES[0], "long")
    report = {
        "benchmark": "latency", "turns": len(MESSAGES),
        "long_message_turn_s": round(long_s, 3), "long_to_short_ratio": round(long_s / statistics.median(marks["turn"]), 2),
        "turn_after_long_s": round(after_long_s, 3),
        "meta_p50_ms": round(statistics.median(marks["meta"]) * 1000, 1),
        "meta_p95_ms": round(percentile(marks["meta"], 95) * 1000, 1),
        "first_audio_p50_s": round(statistics.median(marks["first_audio"]), 3),
        "first_audio_p95_s": round(percentile(marks["first_audio"], 95), 3),
        "speech_p50_s": round(statistics.median(marks["speech"]), 3),
        "speech_p95_s": round(percentile(marks["speech"], 95), 3),
        "video_p50_s": round(statistics.median(marks["video"]), 3),
        "video_p95_s": round(percentile(marks["video"], 95), 3),
        "turn_p50_s": round(statistics.median(marks["turn"]), 3),
        "turn_p95_s": round(percentile(marks["turn"], 95), 3),
        "nodes_mean_ms": {node: round(statistics.mean(times), 1) for node, times in nodes.items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **provenance(),
    }  # fmt: skip
    return report


def main(argv: list[str] | None = None) -> int:
    return report_cli(__doc__, run, argv)


if __name__ == "__main__":
    sys.exit(main())
