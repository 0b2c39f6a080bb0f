"""The contract every speech backend implements: one method that turns a short text into audio."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np


class SpeechBackendError(RuntimeError):
    """A backend cannot load or cannot speak; the message says what to do about it."""


@dataclass(frozen=True)
class VoiceSpec:
    """Everything a backend may need to speak in a catalogue voice.

    `style` is Kokoro's per-length style table (rows x 1 x 256: the first 128 values shape timbre,
    the last 128 delivery); `reference_clip` is a recording of the voice for backends that clone
    from audio. A backend uses what it understands and ignores the rest.
    """

    id: str
    style: np.ndarray | None = None
    reference_clip: Path | None = None


class SpeechBackend(Protocol):
    name: str
    sample_rate: int
    controls_speed: bool  # whether `speed` is honoured; pitch shaping relies on it
    clones_from_audio: bool  # whether the voice comes from `VoiceSpec.reference_clip`
    catalogue_voices: bool  # whether it speaks every catalogue voice itself (and so can record its clip)

    def synthesize(self, text: str, voice: VoiceSpec, speed: float = 1.0) -> np.ndarray:
        """Mono float32 samples at `sample_rate` for one sentence or clause of plain text."""
        ...
