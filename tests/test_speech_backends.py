"""One conformance suite for every speech backend: Kokoro and Piper for real, StyleTTS2 through a
stand-in of its package (it needs a GPU and a checkpoint), and the speech tool over each."""

import numpy as np
import pytest
import soundfile

from tests.test_styletts2_backend import install
from tools.speech.backend import SpeechBackendError, VoiceSpec
from tools.speech.kokoro import KokoroSpeech
from tools.speech.piper import PiperSpeech
from tools.speech.styletts2 import StyleTTS2Speech
from tools.speech.tool import OUTPUT_RATE, SpeechTool


@pytest.fixture(params=["kokoro", "piper", "styletts2"])
def backend(request, monkeypatch, tmp_path):
    if request.param == "kokoro":
        return KokoroSpeech()
    if request.param == "piper":
        return PiperSpeech()
    install(monkeypatch)
    (tmp_path / "model.pth").write_bytes(b"weights")
    (tmp_path / "config.yml").write_text("model: {}\n")
    return StyleTTS2Speech(tmp_path / "model.pth", tmp_path / "config.yml")


def test_speaks_a_sentence_as_mono_float32(backend, tmp_path):
    clip = tmp_path / "reference.wav"
    soundfile.write(clip, np.zeros(24000, dtype=np.float32), 24000)
    voice = VoiceSpec("af_heart", reference_clip=clip)
    audio = backend.synthesize("Thank you for telling me how you feel.", voice)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert 0.1 < len(audio) / backend.sample_rate < 10 and np.abs(audio).max() <= 1.0
    assert backend.synthesize("   ", voice).size == 0
    assert all(
        isinstance(getattr(backend, flag), bool)
        for flag in ("controls_speed", "clones_from_audio", "catalogue_voices")
    )


def test_the_tool_writes_24khz_speech_with_any_backend(backend, tmp_path):
    tool = SpeechTool([backend], tmp_path / "voices")
    if backend.clones_from_audio:  # its reference clip is recorded by a catalogue-speaking backend
        tool = SpeechTool([backend, KokoroSpeech()], tmp_path / "voices")
    result = tool.invoke(
        {"text": "I'm here. Tell me more.", "voice": {"id": "heart"}, "out_dir": str(tmp_path)}
    )
    assert result["backend"] == backend.name and result["warnings"] == []
    assert soundfile.info(result["speech"]).samplerate == OUTPUT_RATE
    if backend.clones_from_audio:
        assert (tmp_path / "voices" / "heart.wav").exists()


def test_a_speed_controlling_backend_speaks_faster_when_asked(backend):
    if not backend.controls_speed:
        pytest.skip(f"{backend.name} has no speed control")
    text = "It sounds like a long and tiring day for you."
    assert len(backend.synthesize(text, VoiceSpec("af_heart"), speed=1.3)) < len(
        backend.synthesize(text, VoiceSpec("af_heart"), speed=0.8)
    )


def test_unknown_kokoro_voices_are_refused():
    with pytest.raises(SpeechBackendError, match="no voice"):
        KokoroSpeech().synthesize("Hello there.", VoiceSpec("zz_nobody"))
