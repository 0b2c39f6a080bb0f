"""How the avatar says a reply, by the user's emotion: pace, pitch, loudness, pauses and a borrowed
delivery style. The table is the documented mapping over all 32 emotions.

Each row moves away from a neutral reading (rate 1.0, pitch 0 semitones, energy 0 dB, 0.30 s
between sentences, no style): grief and shame slower, lower, softer and with longer pauses; fear
tenser (a little higher and quicker, shorter pauses); anger firm and level (lower, slightly louder);
joy and surprise brighter and quicker (higher, louder, lively style); pride strong; warmth gentle.
How far a reading moves scales with the emotion's confidence: half way at 0, all the way at 1.
The safety route always reads steadily, whatever the emotion.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Delivery:
    rate: float = 1.0  # pace, times the voice's own
    pitch: float = 0.0  # semitones
    energy: float = 0.0  # decibels
    pause_s: float = 0.30  # silence after each sentence
    style: str | None = None  # "calm" | "lively": whose delivery half the style vector borrows
    style_weight: float = 0.0  # how much of it

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


NEUTRAL = Delivery()
STEADY = Delivery(rate=0.92, pitch=-0.5, energy=-1.0, pause_s=0.45, style="calm", style_weight=0.3)
STYLE_WEIGHT = 0.35  # at full intensity

# emotion: (rate, pitch semitones, energy dB, pause s, style)
TABLE: dict[str, tuple[float, float, float, float, str | None]] = {
    # grief: slower, lower, softer, longer pauses
    "sad": (0.88, -1.0, -2.0, 0.45, "calm"),
    "devastated": (0.82, -1.5, -3.0, 0.55, "calm"),
    "lonely": (0.90, -0.8, -2.0, 0.45, "calm"),
    "disappointed": (0.92, -0.7, -1.5, 0.40, "calm"),
    # self-conscious: quiet and gentle
    "guilty": (0.92, -0.6, -2.0, 0.40, "calm"),
    "ashamed": (0.90, -0.8, -2.5, 0.45, "calm"),
    "embarrassed": (0.96, 0.3, -1.0, 0.35, "calm"),
    # fear: tenser - a little higher and quicker, shorter pauses
    "afraid": (1.03, 0.8, -0.5, 0.25, None),
    "terrified": (1.05, 1.0, -0.5, 0.22, None),
    "anxious": (1.02, 0.6, -1.0, 0.25, None),
    "apprehensive": (1.01, 0.4, -1.0, 0.28, None),
    # anger: firm and level
    "angry": (0.97, -0.5, 1.0, 0.30, None),
    "furious": (0.95, -0.8, 1.5, 0.35, None),
    "annoyed": (0.98, -0.3, 0.5, 0.30, None),
    "disgusted": (0.96, -0.5, 0.5, 0.30, None),
    "jealous": (0.96, -0.4, 0.0, 0.35, "calm"),
    # joy: brighter and quicker
    "joyful": (1.08, 1.5, 1.5, 0.25, "lively"),
    "excited": (1.12, 2.0, 2.0, 0.22, "lively"),
    "surprised": (1.08, 1.8, 1.5, 0.25, "lively"),
    "impressed": (1.06, 1.2, 1.0, 0.25, "lively"),
    "anticipating": (1.05, 1.0, 1.0, 0.28, "lively"),
    "hopeful": (1.03, 0.8, 0.5, 0.30, "lively"),
    "grateful": (1.02, 0.8, 0.5, 0.30, None),
    "content": (1.00, 0.5, 0.0, 0.30, "calm"),
    # pride: strong
    "proud": (1.04, 1.0, 1.5, 0.28, "lively"),
    "confident": (1.02, 0.3, 1.5, 0.28, None),
    "prepared": (1.00, 0.2, 1.0, 0.28, None),
    # warmth and memory: gentle and unhurried
    "caring": (0.96, 0.3, -0.5, 0.35, "calm"),
    "faithful": (0.97, 0.0, 0.0, 0.35, "calm"),
    "trusting": (0.98, 0.3, 0.0, 0.32, "calm"),
    "nostalgic": (0.93, -0.3, -1.0, 0.40, "calm"),
    "sentimental": (0.94, -0.2, -1.0, 0.40, "calm"),
}


def delivery_for(emotion: str, confidence: float = 1.0, steady: bool = False) -> Delivery:
    """The delivery for an emotion read with `confidence` (0-1); `steady` for the safety route."""
    if steady:
        return STEADY
    if emotion not in TABLE:
        return NEUTRAL
    rate, pitch, energy, pause_s, style = TABLE[emotion]
    k = 0.5 + 0.5 * min(max(confidence, 0.0), 1.0)

    def toward(neutral: float, target: float) -> float:
        return round(neutral + (target - neutral) * k, 3)

    return Delivery(
        rate=toward(NEUTRAL.rate, rate), pitch=toward(0.0, pitch), energy=toward(0.0, energy),
        pause_s=toward(NEUTRAL.pause_s, pause_s), style=style, style_weight=round(STYLE_WEIGHT * k, 3) if style else 0.0,
    )  # fmt: skip
