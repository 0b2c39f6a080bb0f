"""A turn's trace as one JSON document (`empathyear trace TURN --json`): every node on the turn's
clock, and how much of the turn's wall time the nodes account for."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def union_ms(intervals: list[tuple[float, float]]) -> float:
    """Time during which at least one interval is open. Nodes run side by side, so the sum of their
    durations would count the overlap twice."""
    covered, reached = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reached:
            covered += end - max(start, reached)
            reached = end
    return covered


def export_trace(turn: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """The turn and its node events, each with `start_ms`/`end_ms` measured from the first node's start."""
    starts = [datetime.fromisoformat(e["started_at"]) for e in events]
    origin = min(starts, default=None)
    timed = []
    for event, start in zip(events, starts):
        start_ms = round((start - origin).total_seconds() * 1000, 2)
        rest = {k: v for k, v in event.items() if k not in ("node", "started_at")}
        timed.append({
            "node": event["node"], "start": event["started_at"], "start_ms": start_ms,
            "end_ms": round(start_ms + event["duration_ms"], 2), **rest,
        })  # fmt: skip
    timings = turn["timings"] or {}  # a failed turn has none
    return {
        "turn": turn["id"],
        "session": turn["session_id"],
        "wall_ms": timings.get("total"),
        "nodes_ms": round(union_ms([(e["start_ms"], e["end_ms"]) for e in timed]), 2),
        "timings_ms": turn["timings"],
        "events": timed,
    }
