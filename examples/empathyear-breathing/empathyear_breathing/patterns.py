"""Breathing patterns as timed phases, and how to say them."""

from __future__ import annotations

from typing import Literal

PatternName = Literal["4-7-8", "box", "calm"]
Phase = tuple[Literal["in", "hold", "out"], int]  # what the breath does, for how many seconds

PATTERNS: dict[str, tuple[Phase, ...]] = {
    # A longer out-breath than in-breath is the gentlest pattern, so it is the default.
    "calm": (("in", 4), ("out", 6)),
    "box": (("in", 4), ("hold", 4), ("out", 4), ("hold", 4)),
    "4-7-8": (("in", 4), ("hold", 7), ("out", 8)),
}

_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
_TIMES = {1: "once", 2: "twice"}


def seconds_per_round(pattern: str) -> int:
    return sum(seconds for _, seconds in PATTERNS[pattern])


def spoken(pattern: str, rounds: int) -> str:
    """'in for four, out for six, three times': words, because the text is also spoken aloud."""
    steps = ", ".join(f"{action} for {_NUMBERS[seconds]}" for action, seconds in PATTERNS[pattern])
    return f"{steps}, {_TIMES.get(rounds, f'{_NUMBERS[rounds]} times')}"
