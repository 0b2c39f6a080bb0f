"""Fuses the text's emotion distribution with cue distributions from the voice and the face.

The rule, a weighted product of experts:

    log p(e) = log p_text(e) + sum over modalities m of  w_m * log q_m(e),   then renormalised,

where q_m spreads modality m's distribution onto the 32 labels: a cue class's mass is shared
equally among the labels it is compatible with (a 32-label key maps to itself; "neutral" and
unknown classes spread over all 32), then mixed with 10% uniform mass so that a cue can tilt the
reading but never veto it. Weights: face 0.5, voice 0.3, any other modality 0.3; the new message read
on its own, when it changes the subject (see agents.emotion), 1.0. With no cues the
text distribution is returned unchanged.
"""

from __future__ import annotations

import numpy as np

from vocabulary.taxonomy import EMOTIONS

MODALITY_WEIGHTS = {"message": 1.0, "face": 0.5, "voice": 0.3}
DEFAULT_WEIGHT = 0.3
UNIFORM_MIX = 0.1

# The 7 facial-expression classes (and the vocal ones, which share their names) onto the 32 labels.
COMPATIBLE: dict[str, tuple[str, ...]] = {
    "happy": ("joyful", "excited", "content", "grateful", "proud", "impressed", "hopeful", "confident",
              "anticipating", "caring", "trusting", "faithful", "prepared", "sentimental", "nostalgic"),
    "sad": ("sad", "devastated", "lonely", "disappointed", "guilty", "ashamed", "sentimental", "nostalgic"),
    "angry": ("angry", "furious", "annoyed", "jealous", "disgusted"),
    "fear": ("afraid", "terrified", "anxious", "apprehensive"),
    "surprise": ("surprised", "impressed", "excited", "terrified"),
    "disgust": ("disgusted", "annoyed"),
}  # fmt: skip
_INDEX = {label: i for i, label in enumerate(EMOTIONS)}


def spread(cue: dict[str, float]) -> np.ndarray:
    """A cue distribution over any classes as a distribution over the 32 labels."""
    q = np.zeros(len(EMOTIONS))
    for name, mass in cue.items():
        targets = (name,) if name in _INDEX else COMPATIBLE.get(name, EMOTIONS)
        for label in targets:
            q[_INDEX[label]] += mass / len(targets)
    total = q.sum()
    q = q / total if total > 0 else np.full(len(EMOTIONS), 1 / len(EMOTIONS))
    return (1 - UNIFORM_MIX) * q + UNIFORM_MIX / len(EMOTIONS)


def fuse(text: dict[str, float], cues: dict[str, dict[str, float]] | None) -> dict[str, float]:
    """The fused distribution over the 32 labels."""
    if not cues:
        return text
    log_p = np.log(np.array([max(text.get(label, 0.0), 1e-9) for label in EMOTIONS]))
    for modality, cue in cues.items():
        log_p += MODALITY_WEIGHTS.get(modality, DEFAULT_WEIGHT) * np.log(spread(cue))
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    return {label: float(p[i]) for i, label in enumerate(EMOTIONS)}
