"""Life between the words: blinks every few seconds and a slow, small sway of the head that nods a
little with the speech. Seeded, so the same reply always moves the same way."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLINK = (1, 2, 3, 2, 1)  # eye levels over five frames: closing, shut, opening


@dataclass(frozen=True)
class HeadPose:
    angle: np.ndarray  # degrees, per frame
    dx: np.ndarray  # pixels
    dy: np.ndarray


def blink_levels(frames: int, fps: int, seed: int) -> np.ndarray:
    """Index into the eye levels per frame: 0 open, up to 3 shut."""
    rng = np.random.default_rng(seed)
    levels = np.zeros(frames, dtype=int)
    at = rng.uniform(0.5, 1.8)
    while (start := int(at * fps)) < frames:
        for i, level in enumerate(BLINK):
            if start + i < frames:
                levels[start + i] = level
        at += rng.uniform(2.2, 5.0)
    return levels


def head_pose(frames: int, fps: int, opening: np.ndarray, pitch: float, seed: int) -> HeadPose:
    """A sway of about a degree and two pixels, a nod with loud syllables, and the expression's
    head pitch (a lowered head sits a few pixels lower), eased in over the first half second."""
    rng = np.random.default_rng(seed + 1)
    t = np.arange(frames) / fps
    phase = rng.uniform(0, 2 * np.pi, 4)
    ease = np.clip(t / 0.5, 0, 1)
    emphasis = np.convolve(opening, np.ones(5) / 5, mode="same")
    angle = 1.1 * np.sin(2 * np.pi * 0.21 * t + phase[0]) + 0.45 * np.sin(2 * np.pi * 0.57 * t + phase[1])
    dx = 2.0 * np.sin(2 * np.pi * 0.16 * t + phase[2])
    dy = 1.2 * np.sin(2 * np.pi * 0.29 * t + phase[3]) + 2.5 * emphasis + 0.8 * pitch * ease
    return HeadPose(angle, dx, dy)
