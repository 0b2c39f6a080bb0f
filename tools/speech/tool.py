"""The synthesize_speech tool: speaks a reply in the retrieved voice, delivered to fit the emotion,
chunk by chunk (a callback hears each chunk as soon as it is ready), into one 24 kHz mono WAV.

Backends are tried in order; when one fails the rest of the reply is spoken by the next and the
turn's warnings say so. Pitch is shaped by resampling, which also changes tempo, so a backend that
controls its speed synthesizes slower or quicker first and the two cancel out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from asset_index.voices import VoiceStyles, load_catalogue
from models.scheduling import PriorityLock
from tools.audio import apply_gain, resample, semitone_factor, shift_pitch, silence, write_wav
from tools.contract import PRODUCES_AUDIO, STREAMS_TEXT, BaseTool
from tools.speech.backend import SpeechBackend, SpeechBackendError, VoiceSpec
from tools.speech.delivery import Delivery, delivery_for
from tools.speech.text import speakable, speech_chunks

log = logging.getLogger(__name__)
OUTPUT_RATE = 24000
DEFAULT_VOICE = "heart"
MAX_SPOKEN_CHARS = 1200  # about 80 s of speech; longer replies are spoken up to a sentence end
CLAUSE_PAUSE_S = 0.12
LEAD_IN_S, LEAD_OUT_S = 0.2, 0.3  # quiet before and after, where the avatar settles into and out of speaking
TARGET_RMS = 0.08  # voices differ in loudness by up to 3x; each chunk is brought to this level first
REFERENCE_TEXT = (
    "Hello, it's good to hear from you. Take your time; I'm here, and I'm listening to every word."
)


@dataclass(frozen=True)
class SpokenChunk:
    """One chunk of the reply, ready to play: its audio includes the pause that follows it."""

    index: int
    text: str
    audio: np.ndarray
    sample_rate: int
    start_s: float
    end_s: float
    last: bool


def level(audio: np.ndarray, decibels: float) -> np.ndarray:
    rms = float(np.sqrt(np.mean(audio**2))) if len(audio) else 0.0
    if rms < 1e-5:
        return audio
    return apply_gain(audio * np.float32(TARGET_RMS / rms), decibels)


class SpeechArguments(BaseModel):
    model_config = ConfigDict(extra="allow")  # live objects beside the data (callbacks, feeds) pass

    text: str | None = Field(None, description="the whole reply")
    sentences: Any = Field(None, description="instead of text: an iterable (a Feed) of the reply's sentences")
    voice: dict[str, Any] | None = Field(None, description="a retrieved voice card; None: the default voice")
    emotion: dict[str, Any] | None = Field(None, description="the emotion reading: label, confidence, ...")
    steady: bool = Field(False, description="the crisis route: a steady delivery")
    out_dir: str = Field(description="the folder speech.wav is written to")
    on_chunk: Any = Field(None, description="a callable that takes each SpokenChunk as it is ready")


class SpeechTool(BaseTool):
    name = "speech"
    role = "speech"
    capabilities = frozenset({PRODUCES_AUDIO, STREAMS_TEXT})
    description = "Speaks a reply in a catalogue voice, delivered to fit the user's emotion, as a 24 kHz WAV."
    args_schema = SpeechArguments

    def __init__(
        self, backends: list[SpeechBackend], references: Path, setup_warnings: list[str] | None = None,
        max_chars: int = MAX_SPOKEN_CHARS,
    ):  # fmt: skip
        if not backends:
            raise ValueError("the speech tool needs at least one backend")
        self.backends = backends
        self.max_chars = max_chars
        self.references = references
        self.setup_warnings = setup_warnings or []
        self._styles: VoiceStyles | None = None
        self._lock = PriorityLock()  # one chunk at a time, every turn's first chunk first

    def warm(self) -> None:
        """The style tables and the first backend's model (a backend that loads lazily has `load`)."""
        self.styles()
        if load := getattr(self.backends[0], "load", None):
            load()

    def styles(self) -> VoiceStyles | None:
        """Kokoro style tables of the catalogue, or None when the Kokoro voices are not installed."""
        if self._styles is None:
            from models.registry import ModelMissing, kokoro_voices_path

            try:
                self._styles = VoiceStyles(load_catalogue(), kokoro_voices_path())
            except ModelMissing:
                return None
        return self._styles

    def voice_spec(self, backend: SpeechBackend, voice_id: str, delivery: Delivery) -> VoiceSpec:
        styles = self.styles()
        style = styles.with_delivery(voice_id, delivery.style, delivery.style_weight) if styles else None
        clip = self.reference_clip(voice_id) if backend.clones_from_audio else None
        return VoiceSpec(voice_id, style=style, reference_clip=clip)

    def reference_clip(self, voice_id: str) -> Path:
        """A recording of a catalogue voice for backends that clone from audio, made once with the
        first backend that speaks catalogue voices itself."""
        path = self.references / f"{voice_id}.wav"
        if not path.exists():
            speaker = next((b for b in self.backends if b.catalogue_voices), None)
            if speaker is None:
                raise SpeechBackendError(f"no backend can record a reference clip of voice {voice_id}")
            audio = speaker.synthesize(
                REFERENCE_TEXT, VoiceSpec(voice_id, style=self.styles().table(voice_id))
            )
            write_wav(path, resample(audio, speaker.sample_rate, OUTPUT_RATE), OUTPUT_RATE)
        return path

    def render(self, backend: SpeechBackend, text: str, voice_id: str, delivery: Delivery) -> np.ndarray:
        """One chunk in one backend, with the voice's and the emotion's pace, pitch and energy."""
        voice = load_catalogue().get(voice_id)
        semitones = delivery.pitch + (voice.pitch if voice else 0.0)
        rate = delivery.rate * (voice.speed if voice else 1.0)
        spec = self.voice_spec(backend, voice_id, delivery)
        if backend.controls_speed:
            audio = shift_pitch(
                backend.synthesize(text, spec, speed=rate / semitone_factor(semitones)), semitones
            )
        else:
            audio = backend.synthesize(text, spec)
        return level(resample(audio, backend.sample_rate, OUTPUT_RATE), delivery.energy)

    def invoke(self, args: dict[str, Any]) -> dict[str, Any]:
        """args: text (the whole reply) or sentences (an iterable of its sentences as they are
        written: each is spoken as soon as it arrives), voice (a retrieved voice card or None),
        emotion ({label, confidence}), out_dir, steady (the safety route), on_chunk (optional
        callable taking a SpokenChunk; the last is the closing silence)."""
        warnings = list(self.setup_warnings)
        emotion = args.get("emotion") or {}
        delivery = delivery_for(
            emotion.get("label", ""), float(emotion.get("confidence", 1.0)), bool(args.get("steady"))
        )
        voice_id = (args.get("voice") or {}).get("id") or DEFAULT_VOICE
        on_chunk: Callable[[SpokenChunk], None] | None = args.get("on_chunk")
        sentences = args.get("sentences")
        if sentences is None:
            sentences = [args.get("text") or ""]

        pieces, timeline, at, backend_at, spoken_chars, cut = [], [], 0.0, 0, 0, False

        def emit(text: str, audio: np.ndarray, last: bool) -> None:
            nonlocal at
            chunk = SpokenChunk(len(pieces), text, audio, OUTPUT_RATE, round(at, 3),
                                round(at + len(audio) / OUTPUT_RATE, 3), last)  # fmt: skip
            if on_chunk is not None:
                on_chunk(chunk)
            pieces.append(audio)
            if text:
                timeline.append(
                    {"text": text, "start_s": chunk.start_s, "end_s": chunk.end_s, "backend": self.backends[backend_at].name}
                )
            at = chunk.end_s

        for sentence in sentences:  # the whole stream is read, even past the spoken limit
            # The first chunk is kept short, so the first sound comes soon.
            first_max = 32 if not pieces and not spoken_chars else 220
            for text in speech_chunks(speakable(sentence), first_max_chars=first_max):
                if cut or (spoken_chars and spoken_chars + len(text) > self.max_chars):
                    if not cut:
                        warnings.append("the reply is long: its first part is spoken, the whole of it is in the text")
                    cut = True
                    continue
                spoken_chars += len(text) + 1
                audio, backend_at = self._render_with_fallback(text, voice_id, delivery, backend_at, warnings, len(pieces))
                pause = delivery.pause_s if text[-1] in ".!?" else CLAUSE_PAUSE_S
                lead = silence(LEAD_IN_S if not pieces else 0.0, OUTPUT_RATE)
                emit(text, np.concatenate([lead, audio, silence(pause, OUTPUT_RATE)]), False)
        if not pieces:
            return {
                "speech": None,
                "warnings": warnings + ["the reply has nothing to speak; no audio was made"],
            }
        emit("", silence(LEAD_OUT_S, OUTPUT_RATE), True)
        timeline[-1]["end_s"] = round(at, 3)  # the closing silence belongs to the last words
        path = write_wav(Path(args["out_dir"]) / "speech.wav", np.concatenate(pieces), OUTPUT_RATE)
        return {
            "speech": str(path), "duration_s": round(at, 3), "sample_rate": OUTPUT_RATE, "voice": voice_id,
            "backend": self.backends[backend_at].name, "delivery": delivery.as_dict(), "chunks": timeline,
            "warnings": warnings,
        }  # fmt: skip

    def _render_with_fallback(
        self, text: str, voice_id: str, delivery: Delivery, backend_at: int, warnings: list[str], order: int
    ) -> tuple[np.ndarray, int]:
        """One chunk in the current backend; a failure hands it, and the rest of the reply, to the
        next. One chunk at a time across turns (the backends' sessions are not shared safely), the
        waiting chunks by their `order` in their replies: every turn's first sound comes first."""
        while True:
            backend = self.backends[backend_at]
            try:
                with self._lock.held(order):
                    return self.render(backend, text, voice_id, delivery), backend_at
            except Exception as exc:  # any backend failure hands the rest of the reply on
                if backend_at + 1 >= len(self.backends):
                    raise SpeechBackendError(f"every speech backend failed; last: {exc}") from exc
                backend_at += 1
                fallback = self.backends[backend_at].name
                log.warning("speech backend %s failed: %s: %.300s", backend.name, type(exc).__name__, exc)
                warnings.append(f"speech: {backend.name} failed; {fallback} spoke the rest of the reply")


def create(settings: Any) -> SpeechTool:
    """The configured backend first (EMPATHYEAR_SPEECH: kokoro, styletts2, piper or a speech_backend
    plugin's name), then the embedded ones it can fall back on."""
    from tools.speech.kokoro import KokoroSpeech
    from tools.speech.piper import PiperSpeech

    chosen = getattr(settings, "speech", "kokoro")
    backends: list[SpeechBackend] = [KokoroSpeech(), PiperSpeech()]
    setup_warnings = []
    if chosen == "piper":
        backends = [PiperSpeech()]
    elif chosen == "styletts2":
        from tools.speech.styletts2 import StyleTTS2Speech

        try:
            backends.insert(0, StyleTTS2Speech.from_settings(settings))
        except SpeechBackendError as exc:
            setup_warnings.append(
                f"speech: StyleTTS2 is configured but unusable ({exc}); Kokoro speaks instead"
            )
    elif chosen != "kokoro":
        from tools.conformance import ContractError
        from tools.registry import plugin_backend

        try:
            plugin = plugin_backend(settings, "speech_backend", chosen)
            unusable = f"no speech backend named {chosen!r} is installed"
        except ContractError as exc:  # told on every spoken turn, like a backend that is not installed
            plugin, unusable = None, str(exc)
        if plugin is None:
            setup_warnings.append(f"speech: {unusable}; Kokoro speaks instead")
        else:
            backends.insert(0, plugin)
    return SpeechTool(backends, settings.home / "voices", setup_warnings)
