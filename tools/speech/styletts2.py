"""StyleTTS2, the speech model of the EmpathyEar paper, cloning each voice from its reference clip.

Needs a GPU: `pip install styletts2` (with a GPU build of torch and espeak-ng), then set
EMPATHYEAR_STYLETTS2_CHECKPOINT to the upstream checkpoint (epochs_2nd_00020.pth) and
EMPATHYEAR_STYLETTS2_CONFIG to its config.yml. Missing files are refused, never replaced by downloads; the
package itself still fetches NLTK data and its ASR, F0 and PL-BERT helpers into its caches on first load.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from settings import Settings, quiet_libraries
from tools.speech.backend import SpeechBackendError, VoiceSpec

CHECKPOINT_ENV = "EMPATHYEAR_STYLETTS2_CHECKPOINT"
CONFIG_ENV = "EMPATHYEAR_STYLETTS2_CONFIG"


class StyleTTS2Speech:
    name = "styletts2"
    sample_rate = 24000
    controls_speed = False  # upstream inference has no speed input
    clones_from_audio = True
    catalogue_voices = False

    def __init__(
        self,
        checkpoint: Path,
        config: Path,
        diffusion_steps: int = 5,
        alpha: float = 0.3,
        beta: float = 0.7,
        embedding_scale: float = 1.0,
    ):
        self.checkpoint = Path(checkpoint)
        self.config = Path(config)
        self._knobs = {
            "alpha": alpha,
            "beta": beta,
            "diffusion_steps": diffusion_steps,
            "embedding_scale": embedding_scale,
        }
        self._lock = threading.Lock()
        self._model = None

    @classmethod
    def from_settings(cls, settings: Settings) -> StyleTTS2Speech:
        paths = {}
        for variable, value in ((CHECKPOINT_ENV, settings.styletts2_checkpoint), (CONFIG_ENV, settings.styletts2_config)):
            value = value.strip()
            if not value:
                raise SpeechBackendError(
                    f"StyleTTS2 needs {CHECKPOINT_ENV} (the .pth checkpoint) and {CONFIG_ENV} "
                    f"(its config.yml); {variable} is not set"
                )
            paths[variable] = Path(value).expanduser()
            if not paths[variable].is_file():
                raise SpeechBackendError(f"{variable} is {paths[variable]}, which is not a file")
        return cls(paths[CHECKPOINT_ENV], paths[CONFIG_ENV])

    def _load(self):
        with self._lock:
            if self._model is None:
                # Upstream silently downloads its default checkpoint or config in place of a missing path.
                for label, path in (("checkpoint", self.checkpoint), ("config", self.config)):
                    if not path.is_file():
                        raise SpeechBackendError(f"StyleTTS2 {label} {path} is not a file")
                quiet_libraries()
                try:
                    from styletts2 import tts
                except ImportError as exc:
                    raise SpeechBackendError(
                        "StyleTTS2 is not installed: pip install styletts2 (needs a GPU build of torch and "
                        f"espeak-ng), then set {CHECKPOINT_ENV} and {CONFIG_ENV} ({exc})"
                    ) from exc
                try:
                    self._model = tts.StyleTTS2(
                        model_checkpoint_path=str(self.checkpoint), config_path=str(self.config)
                    )
                except Exception as exc:  # any failure inside a third-party model is a backend failure
                    raise SpeechBackendError(
                        f"StyleTTS2 failed to load {self.checkpoint} with {self.config}: {exc}"
                    ) from exc
        return self._model

    def synthesize(self, text: str, voice: VoiceSpec, speed: float = 1.0) -> np.ndarray:
        if not text.strip():
            return np.zeros(0, dtype=np.float32)
        clip = voice.reference_clip
        # Upstream clones a default voice, downloaded, when the clip is missing.
        if clip is None or not Path(clip).is_file():
            raise SpeechBackendError(f"voice {voice.id} has no reference clip to clone ({clip})")
        model = self._load()
        try:
            audio = model.inference(text, target_voice_path=str(clip), output_wav_file=None, **self._knobs)
        except Exception as exc:  # any failure inside a third-party model is a backend failure
            raise SpeechBackendError(f"StyleTTS2 failed to speak in voice {voice.id}: {exc}") from exc
        return _mono_float32(np.asarray(audio))


def _mono_float32(audio: np.ndarray) -> np.ndarray:
    if np.issubdtype(audio.dtype, np.signedinteger):
        audio = audio / float(np.iinfo(audio.dtype).max + 1)
    if audio.ndim == 2:
        # channels are the shorter axis, whichever way round the array comes
        audio = audio.mean(axis=int(audio.shape[0] > audio.shape[1]))
    return np.clip(audio.reshape(-1), -1.0, 1.0).astype(np.float32)
