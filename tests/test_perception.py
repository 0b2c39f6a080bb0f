"""Voice and video input with the real models: espeak-ng speaks to EmpathyEar, the project's own
avatar shows it a face, and every unusable upload gets a clear answer with the turn kept."""

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile

from agents.perceived import perceived_note
from graph.runner import TurnRunner
from settings import Settings
from tools.perception.vocal_cues import vocal_cues

NEGATIVE = {"sad", "devastated", "lonely", "disappointed", "afraid", "terrified", "anxious", "apprehensive",
            "angry", "furious", "annoyed", "guilty", "ashamed", "embarrassed", "jealous", "disgusted"}  # fmt: skip
needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (make test installs it)"
)


def espeak(path: Path, text: str) -> Path:
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(path), text], check=True, capture_output=True)
    return path


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    import os

    os.environ["EMPATHYEAR_HOME"] = str(tmp_path_factory.mktemp("home"))
    # what was heard shows in the templates' mirrored wording; the listener's is its own
    os.environ["EMPATHYEAR_LISTENER"] = "templates"
    try:
        yield TurnRunner(Settings(), chat_model=None)
    finally:
        del os.environ["EMPATHYEAR_HOME"], os.environ["EMPATHYEAR_LISTENER"]


def turn(runner, **fields):
    result = runner.run(runner.request(want_speech=False, **fields))
    return result, runner.store.turn(result["turn"])


@needs_espeak
def test_a_spoken_message_is_transcribed_and_read_as_negative(tmp_path):
    from tests.test_cli import run

    wav = espeak(tmp_path / "job.wav", "I just lost my job and I don't know what to do")
    done = run(tmp_path / "home", "chat", "--audio", str(wav), "--json", "--no-speech")
    assert done.returncode == 0, done.stderr
    import json

    result = json.loads(done.stdout)
    assert "lost my job" in result["input"]["transcript"].lower()
    assert result["meta"]["emotion"]["label"] in NEGATIVE
    assert result["perception"]["voice"]["features"]["words_per_s"] > 0


def test_a_video_of_the_avatar_shows_a_happy_face(runner, tmp_path):
    from tools.face.backend import FaceRequest
    from tools.face.renderer import AvatarRenderer
    from tools.speech.kokoro import KokoroSpeech
    from tools.speech.tool import SpeechTool

    said = "I got the job! I'm so happy, I can't stop smiling today."
    speech = SpeechTool([KokoroSpeech()], tmp_path / "voices").invoke(
        {
            "text": said,
            "voice": {"id": "heart"},
            "emotion": {"label": "joyful", "confidence": 0.9},
            "out_dir": str(tmp_path),
        }
    )["speech"]
    video = AvatarRenderer().render(
        FaceRequest(Path(speech), "sofia", tmp_path / "p.png", "joyful", 0.9, tmp_path / "me.mp4")
    )
    result, stored = turn(runner, video_path=str(video))
    assert (
        "got the job" in result["input"]["transcript"].lower()
        and stored["transcript"] == result["input"]["transcript"]
    )
    perceive = next(e for e in runner.store.trace(result["turn"]) if e["node"] == "perceive")
    assert perceive["outputs"]["perception"]["face"]["dominant"] == "happy"
    assert perceive["timings_ms"]["facial_cues"] > 0


def silence_wav(path: Path, seconds: float, rate: int = 16000) -> Path:
    noise = np.random.default_rng(0).normal(0, 0.002, int(seconds * rate)).astype(np.float32)
    soundfile.write(path, noise, rate)
    return path


def test_audio_with_no_speech_gets_a_gentle_request_to_try_again(runner, tmp_path):
    result, stored = turn(runner, audio_path=str(silence_wav(tmp_path / "quiet.wav", 3)))
    assert "no speech was heard" in " ".join(result["warnings"])
    assert "try again" in result["meta"]["response"] and result["meta"]["emotion"] is None
    assert stored["audio_path"].endswith("quiet.wav") and stored["status"] == "done"


@needs_espeak
def test_a_video_without_a_face_still_uses_what_was_said(runner, tmp_path):
    import imageio_ffmpeg

    wav = espeak(tmp_path / "said.wav", "My cat has been missing since Sunday")
    video = tmp_path / "no-face.mp4"
    writer = imageio_ffmpeg.write_frames(
        str(video), (320, 240), fps=10, audio_path=str(wav), audio_codec="aac", ffmpeg_log_level="error"
    )
    writer.send(None)
    for i in range(int(soundfile.info(wav).duration * 10) + 1):
        writer.send(np.full((240, 320, 3), 40 + i % 50, dtype=np.uint8))
    writer.close()
    result, _ = turn(runner, video_path=str(video))
    assert "cat" in result["input"]["transcript"].lower()
    assert any("no face was visible" in w for w in result["warnings"])
    assert result["meta"]["emotion"]["label"]


def put(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def long_wav(path: Path, seconds: float) -> Path:
    with wave.open(str(path), "wb") as out:  # silence, written without holding it in memory
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(8000)
        out.writeframes(b"\0\0" * int(seconds * 8000))
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: put(p / "broken.wav", b"RIFF\x10\0\0\0WAVEfmt garbage" * 40), "could not be read"),
        (lambda p: put(p / "empty.mp3", b""), "is empty"),
        (lambda p: put(p / "talk.avi", b"\0" * 100), "not a supported audio type"),
        (lambda p: long_wav(p / "long.wav", 6 * 60), "the audio is 6:00 long; the limit is 5:00"),
        (lambda p: put(p / "huge.wav", b"\0" * (26 * 2**20)), "the audio file is 26 MB; the limit is 25 MB"),
    ],
    ids=["corrupt", "empty", "unsupported", "too-long", "too-big"],
)
def test_an_unusable_recording_is_explained_and_the_turn_kept(runner, tmp_path, make, message):
    upload = make(tmp_path)
    result, stored = turn(runner, audio_path=str(upload))
    assert any(message in w for w in result["warnings"]), result["warnings"]
    assert message in result["meta"]["response"] and "try again" in result["meta"]["response"]
    assert stored["audio_path"] == str(upload) and stored["reply"] == result["meta"]["response"]


def test_typed_words_still_answer_when_the_recording_is_unusable(runner, tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    result, _ = turn(runner, text="I failed my driving test today.", audio_path=str(tmp_path / "empty.wav"))
    assert result["meta"]["emotion"]["label"] and "driving test" in result["meta"]["response"]
    assert any("is empty" in w for w in result["warnings"])


def test_vocal_cues_follow_the_documented_rule():
    flat = vocal_cues(
        {
            "pitch_hz": 110,
            "pitch_variability_st": 1.0,
            "loudness_db": -36,
            "words_per_s": 1.6,
            "pause_share": 0.5,
        }
    )
    lively = vocal_cues(
        {
            "pitch_hz": 220,
            "pitch_variability_st": 5.0,
            "loudness_db": -20,
            "words_per_s": 3.2,
            "pause_share": 0.1,
        }
    )
    loud = vocal_cues(
        {
            "pitch_hz": 140,
            "pitch_variability_st": 1.5,
            "loudness_db": -12,
            "words_per_s": 3.6,
            "pause_share": 0.1,
        }
    )
    assert flat["dominant"] == "sad" and flat["strong"]
    assert lively["dominant"] == "happy"
    assert loud["dominant"] == "angry"
    assert abs(sum(flat["distribution"].values()) - 1) < 1e-3


def test_the_reply_mentions_a_cue_only_when_it_is_strong_and_agrees():
    sad_voice = {"voice": {"dominant": "sad", "strong": True}}
    assert perceived_note(sad_voice, "devastated") == "You sound worn out, and I can hear how heavy this is."
    assert perceived_note(sad_voice, "joyful") is None
    assert perceived_note({"voice": {"dominant": "sad", "strong": False}}, "sad") is None
    assert (
        perceived_note({"face": {"dominant": "happy", "strong": True}, "voice": sad_voice["voice"]}, "joyful")
        == "Your smile says it all!"
    )
