"""The audio cue: a soft tone that rises while breathing in, stays low and steady while holding and
falls while breathing out. numpy only; soundfile writes it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from empathyear_breathing.patterns import PATTERNS

SAMPLE_RATE = 24_000
LOW_HZ, HIGH_HZ = 220.0, 330.0  # a fifth apart: the glide is audible without sounding like an alarm
BREATH_LEVEL = 0.12  # well under full scale: a cue to follow, not a sound to startle
HOLD_LEVEL = 0.03  # a faint hum, so a hold is not mistaken for the end
FADE_SECONDS = 0.5


def _envelope(count: int) -> np.ndarray:
    """Raised-cosine fade in and out, so no phase starts or stops with a click."""
    fade = min(round(FADE_SECONDS * SAMPLE_RATE), count // 4)
    envelope = np.ones(count, dtype=np.float64)
    if fade:
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, fade))
        envelope[:fade], envelope[count - fade :] = ramp, ramp[::-1]
    return envelope


def _tone(start_hz: float, end_hz: float, seconds: int, level: float) -> np.ndarray:
    count = seconds * SAMPLE_RATE
    progress = np.linspace(0.0, 1.0, count)
    glide = progress * progress * (3.0 - 2.0 * progress)  # smoothstep: the pitch eases in and out
    frequency = start_hz + (end_hz - start_hz) * glide
    phase = 2.0 * np.pi * np.cumsum(frequency) / SAMPLE_RATE
    return level * np.sin(phase) * _envelope(count)


def breathing_cue(pattern: str, rounds: int) -> np.ndarray:
    """`rounds` rounds of the pattern as mono float32 samples at SAMPLE_RATE."""
    parts, pitch = [], LOW_HZ
    for _ in range(rounds):
        for action, seconds in PATTERNS[pattern]:
            if action == "in":
                parts.append(_tone(LOW_HZ, HIGH_HZ, seconds, BREATH_LEVEL))
                pitch = HIGH_HZ
            elif action == "out":
                parts.append(_tone(HIGH_HZ, LOW_HZ, seconds, BREATH_LEVEL))
                pitch = LOW_HZ
            else:  # a hold hums where the breath left off: high after breathing in, low after out
                parts.append(_tone(pitch, pitch, seconds, HOLD_LEVEL))
    return np.concatenate(parts).astype(np.float32)


def write_cue(path: Path, samples: np.ndarray) -> Path:
    import soundfile  # loads libsndfile; only a call that writes audio needs it

    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, samples, SAMPLE_RATE, subtype="PCM_16", format="WAV")
    return path
