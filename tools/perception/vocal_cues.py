"""How someone sounds, from the voiced parts of a recording: pitch level and variability, loudness,
speaking rate and pauses, turned into an emotion-cue distribution by a documented rule.

Each feature is compared with an ordinary conversational norm and scaled by a typical spread:
loudness -26 dBFS (8 dB), pitch variability 2.5 semitones (1.5), speaking rate 2.6 words a second
(0.8), pauses 20% of the talking time (15 points). Arousal is the mean of the loudness, variability
and rate scores. Class scores, then a softmax:

    neutral  = 0.8 - 0.8 |arousal|
    sad      = -arousal + 0.6 pauses - 0.4 variability      (quiet, slow, flat, halting)
    happy    = 0.6 arousal + 0.6 variability                 (lively, sing-song)
    angry    = 0.8 loudness + 0.3 rate - 0.3 variability     (loud, fast, hard-edged)
    fear     = 0.5 rate + 0.3 arousal - 0.2 pauses           (hurried)

A cue is strong when a class other than neutral takes at least 45% of the mass; only then may the
reply mention how the user sounds.
"""

from __future__ import annotations

import numpy as np

from tools.audio import pitch_track
from tools.perception.listening import Heard
from tools.perception.media import SPEECH_RATE

NORMS = {
    "loudness_db": (-26.0, 8.0),
    "pitch_variability_st": (2.5, 1.5),
    "words_per_s": (2.6, 0.8),
    "pause_share": (0.2, 0.15),
}
STRONG = 0.45


def vocal_features(audio: np.ndarray, heard: Heard) -> dict[str, float]:
    voiced = (
        np.concatenate([audio[int(a * SPEECH_RATE) : int(b * SPEECH_RATE)] for a, b in heard.speech_spans])
        if heard.speech_spans
        else audio
    )
    f0 = pitch_track(voiced, SPEECH_RATE)
    f0 = f0[~np.isnan(f0)]
    span = heard.speech_spans[-1][1] - heard.speech_spans[0][0] if heard.speech_spans else 0.0
    return {
        "pitch_hz": round(float(np.median(f0)), 1) if len(f0) else 0.0,
        "pitch_variability_st": round(float(np.std(12 * np.log2(f0 / np.median(f0)))), 2)
        if len(f0) > 5
        else 0.0,
        "loudness_db": round(float(20 * np.log10(np.sqrt(np.mean(voiced**2)) + 1e-9)), 1),
        "words_per_s": round(heard.words / heard.speech_s, 2) if heard.speech_s else 0.0,
        "pause_share": round(1 - heard.speech_s / span, 3) if span > 0 else 0.0,
    }


def vocal_cues(features: dict[str, float]) -> dict[str, object]:
    z = {name: (features[name] - mean) / spread for name, (mean, spread) in NORMS.items()}
    arousal = (z["loudness_db"] + z["pitch_variability_st"] + z["words_per_s"]) / 3
    scores = {
        "neutral": 0.8 - 0.8 * abs(arousal),
        "sad": -arousal + 0.6 * z["pause_share"] - 0.4 * z["pitch_variability_st"],
        "happy": 0.6 * arousal + 0.6 * z["pitch_variability_st"],
        "angry": 0.8 * z["loudness_db"] + 0.3 * z["words_per_s"] - 0.3 * z["pitch_variability_st"],
        "fear": 0.5 * z["words_per_s"] + 0.3 * arousal - 0.2 * z["pause_share"],
    }
    logits = np.array(list(scores.values()))
    mass = np.exp(logits - logits.max())
    mass /= mass.sum()
    distribution = {name: round(float(p), 4) for name, p in zip(scores, mass, strict=True)}
    dominant = max(distribution, key=distribution.get)
    return {
        "distribution": distribution, "dominant": dominant, "arousal": round(float(arousal), 2),
        "strong": dominant != "neutral" and distribution[dominant] >= STRONG,
    }  # fmt: skip
