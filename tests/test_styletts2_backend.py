"""The StyleTTS2 backend against a stand-in `styletts2` package: no GPU, no checkpoint, no network."""

from __future__ import annotations

import os
import sys
import types
import wave
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from settings import Settings
from tools.speech.backend import SpeechBackendError, VoiceSpec
from tools.speech.styletts2 import CHECKPOINT_ENV, CONFIG_ENV, StyleTTS2Speech


class FakeStyleTTS2:
    """`styletts2.tts.StyleTTS2`, upstream keywords: records calls, speaks a sine as long as the text."""

    instances: ClassVar[list[FakeStyleTTS2]] = []

    def __init__(self, model_checkpoint_path=None, config_path=None, phoneme_converter="gruut"):
        self.checkpoint, self.config = model_checkpoint_path, config_path
        self.calls: list[dict] = []
        type(self).instances.append(self)

    def inference(
        self, text, target_voice_path=None, output_wav_file=None, output_sample_rate=24000,
        alpha=0.3, beta=0.7, diffusion_steps=5, embedding_scale=1, ref_s=None, phonemize=True,
    ):  # fmt: skip
        self.calls.append(
            {"text": text, "target_voice_path": target_voice_path, "output_wav_file": output_wav_file,
             "alpha": alpha, "beta": beta, "diffusion_steps": diffusion_steps,
             "embedding_scale": embedding_scale}
        )  # fmt: skip
        return 0.5 * np.sin(2 * np.pi * 220 * np.arange(240 * len(text)) / 24000)


def install(monkeypatch, model_class: type[FakeStyleTTS2] = FakeStyleTTS2) -> type[FakeStyleTTS2]:
    """Put a fake `styletts2` package in sys.modules for this test; returns the recording class."""
    monkeypatch.setattr(model_class, "instances", [])
    package, module = types.ModuleType("styletts2"), types.ModuleType("styletts2.tts")
    module.StyleTTS2 = model_class
    package.tts = module
    monkeypatch.setitem(sys.modules, "styletts2", package)
    monkeypatch.setitem(sys.modules, "styletts2.tts", module)
    return model_class


@pytest.fixture
def files(tmp_path) -> tuple[Path, Path]:
    checkpoint, config = tmp_path / "epochs_2nd_00020.pth", tmp_path / "config.yml"
    checkpoint.write_bytes(b"weights")
    config.write_text("model_params: {}\n")
    return checkpoint, config


@pytest.fixture
def voice(tmp_path) -> VoiceSpec:
    clip = tmp_path / "ref.wav"
    with wave.open(str(clip), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(24000)
        out.writeframes(np.zeros(2400, dtype=np.int16).tobytes())
    return VoiceSpec(id="calm", reference_clip=clip)


def test_paths_clip_and_knobs_reach_the_model(monkeypatch, files, voice):
    fake = install(monkeypatch)
    backend = StyleTTS2Speech(*files, diffusion_steps=10, alpha=0.1, beta=0.9, embedding_scale=2.0)
    backend.synthesize("I hear you.", voice)
    (model,) = fake.instances
    assert (model.checkpoint, model.config) == (str(files[0]), str(files[1]))
    assert model.calls == [
        {"text": "I hear you.", "target_voice_path": str(voice.reference_clip), "output_wav_file": None,
         "alpha": 0.1, "beta": 0.9, "diffusion_steps": 10, "embedding_scale": 2.0}
    ]  # fmt: skip


def test_the_model_is_loaded_once_and_offline(monkeypatch, files, voice):
    fake = install(monkeypatch)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    backend = StyleTTS2Speech(*files)
    for text in ("One.", "Two, then.", "And three."):
        backend.synthesize(text, voice)
    assert len(fake.instances) == 1 and len(fake.instances[0].calls) == 3
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_output_is_mono_float32_in_range_and_speed_is_ignored(monkeypatch, files, voice):
    install(monkeypatch)
    backend = StyleTTS2Speech(*files)
    assert (backend.name, backend.sample_rate, backend.controls_speed) == ("styletts2", 24000, False)
    short, long = backend.synthesize("Hi.", voice), backend.synthesize("That sounds really hard.", voice)
    for audio in (short, long):
        assert audio.dtype == np.float32 and audio.ndim == 1 and np.abs(audio).max() <= 1.0
    assert 0 < len(short) < len(long)
    np.testing.assert_array_equal(backend.synthesize("Hi.", voice, speed=1.5), short)


@pytest.mark.parametrize(
    "shape_output",
    [
        lambda w: (w * 32767).astype(np.int16),
        lambda w: np.stack([w, w]),
        lambda w: np.stack([w, w], axis=1),
        lambda w: (w[None, :] * 32767).astype(np.int16),
        lambda w: 4 * w,
    ],
    ids=["int16", "channels-first", "channels-last", "int16-row", "too-loud"],
)
def test_other_output_layouts_become_mono_float32(monkeypatch, files, voice, shape_output):
    class Reshaping(FakeStyleTTS2):
        def inference(self, text, **kwargs):
            return shape_output(super().inference(text, **kwargs))

    install(monkeypatch, Reshaping)
    audio = StyleTTS2Speech(*files).synthesize("Hello there.", voice)
    assert audio.dtype == np.float32 and audio.shape == (240 * len("Hello there."),)
    assert 0.4 < np.abs(audio).max() <= 1.0


def test_blank_text_is_silence_without_the_model(monkeypatch, files, voice):
    fake = install(monkeypatch)
    audio = StyleTTS2Speech(*files).synthesize(" \n\t", voice)
    assert audio.dtype == np.float32 and audio.shape == (0,)
    assert fake.instances == []


def test_from_settings_reads_both_variables(monkeypatch, files, voice):
    fake = install(monkeypatch)
    monkeypatch.setenv(CHECKPOINT_ENV, str(files[0]))
    monkeypatch.setenv(CONFIG_ENV, f" {files[1]} ")
    StyleTTS2Speech.from_settings(Settings()).synthesize("Hello.", voice)
    assert (fake.instances[0].checkpoint, fake.instances[0].config) == (str(files[0]), str(files[1]))


@pytest.mark.parametrize("unset", [CHECKPOINT_ENV, CONFIG_ENV])
def test_from_settings_names_an_unset_variable(monkeypatch, files, unset):
    monkeypatch.setenv(CHECKPOINT_ENV, str(files[0]))
    monkeypatch.setenv(CONFIG_ENV, str(files[1]))
    monkeypatch.delenv(unset)
    with pytest.raises(SpeechBackendError, match=f"{CHECKPOINT_ENV}.*{CONFIG_ENV}.*{unset} is not set"):
        StyleTTS2Speech.from_settings(Settings())


def test_from_settings_names_a_missing_file(monkeypatch, files, tmp_path):
    monkeypatch.setenv(CHECKPOINT_ENV, str(tmp_path / "nowhere.pth"))
    monkeypatch.setenv(CONFIG_ENV, str(files[1]))
    with pytest.raises(SpeechBackendError, match=f"{CHECKPOINT_ENV} is .*nowhere.pth, which is not a file"):
        StyleTTS2Speech.from_settings(Settings())


def test_missing_files_are_refused_before_upstream_can_fetch_defaults(monkeypatch, files, voice, tmp_path):
    fake = install(monkeypatch)
    with pytest.raises(SpeechBackendError, match="config .*absent.yml is not a file"):
        StyleTTS2Speech(files[0], tmp_path / "absent.yml").synthesize("Hello.", voice)
    assert fake.instances == []


@pytest.mark.parametrize("clip", [None, Path("/nowhere/ref.wav")], ids=["none", "missing"])
def test_a_voice_without_a_reference_clip_is_refused(monkeypatch, files, clip):
    fake = install(monkeypatch)
    with pytest.raises(SpeechBackendError, match="voice warm has no reference clip"):
        StyleTTS2Speech(*files).synthesize("Hello.", VoiceSpec(id="warm", reference_clip=clip))
    assert fake.instances == []


def test_a_missing_package_gives_the_install_hint(monkeypatch, files, voice):
    monkeypatch.setitem(sys.modules, "styletts2", None)
    with pytest.raises(SpeechBackendError, match="StyleTTS2 is not installed: pip install styletts2"):
        StyleTTS2Speech(*files).synthesize("Hello.", voice)


def test_load_and_inference_failures_carry_paths_and_cause(monkeypatch, files, voice):
    class Broken(FakeStyleTTS2):
        def __init__(self, **kwargs):
            raise RuntimeError("CUDA out of memory")

    install(monkeypatch, Broken)
    with pytest.raises(SpeechBackendError, match=r"load .*\.pth with .*config\.yml: CUDA out of memory"):
        StyleTTS2Speech(*files).synthesize("Hello.", voice)

    class Mute(FakeStyleTTS2):
        def inference(self, text, **kwargs):
            raise ValueError("espeak-ng not found")

    install(monkeypatch, Mute)
    with pytest.raises(SpeechBackendError, match="voice calm: espeak-ng not found"):
        StyleTTS2Speech(*files).synthesize("Hello.", voice)
