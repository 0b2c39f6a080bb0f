"""The EAT backend against a stand-in render command: no GPU, no EAT installation, no network."""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np
import pytest
import soundfile as sf

from settings import Settings
from tools.face.backend import FaceRequest, TalkingFaceError
from tools.face.eat import COMMAND_ENV, EAT_EMOTIONS, TIMEOUT_ENV, TO_EAT, EATTalkingFace
from vocabulary.taxonomy import EMOTIONS

FAKE_EAT = Path(__file__).parent / "stand_ins" / "fake_eat.py"
COMMAND = (
    f"{shlex.quote(sys.executable)} {shlex.quote(str(FAKE_EAT))} "
    "--root_wav {audio} --emo {emotion} --img {image} --save_path {output}"
)


@pytest.fixture
def folder(tmp_path) -> Path:
    """A speech WAV and a portrait in a folder whose name has spaces."""
    folder = tmp_path / "a folder with spaces"
    folder.mkdir()
    seconds = np.arange(int(1.5 * 24000)) / 24000
    sf.write(folder / "reply speech.wav", 0.1 * np.sin(2 * np.pi * 220 * seconds), 24000)
    cv2.imwrite(str(folder / "portrait.png"), np.full((256, 256, 3), 128, dtype=np.uint8))
    return folder


@pytest.fixture
def record(tmp_path, monkeypatch) -> Path:
    """Where the stand-in writes the arguments it was given."""
    monkeypatch.setenv("FAKE_EAT_RECORD", str(tmp_path / "record.json"))
    monkeypatch.delenv("FAKE_EAT_MODE", raising=False)
    return tmp_path / "record.json"


def face_request(folder: Path, emotion: str = "devastated") -> FaceRequest:
    return FaceRequest(
        speech=folder / "reply speech.wav",
        face_id="ava",
        portrait=folder / "portrait.png",
        emotion=emotion,
        confidence=0.9,
        out_path=folder / "replies" / "turn 1.mp4",
    )


def streams(path: Path) -> str:
    probe = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.stderr


def left_in_replies(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / "replies").iterdir())


def test_render_writes_h264_512_with_the_speech_as_aac(folder, record):
    request = face_request(folder)
    out = EATTalkingFace(COMMAND, workdir=folder).render(request)
    assert out == request.out_path.resolve()
    found = streams(out)
    assert re.search(r"Stream #0:\d.*Video: h264.*yuv420p.*512x512", found), found
    assert re.search(r"Stream #0:\d.*Audio: aac", found), found
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert frames >= 20 and 0.8 < seconds < 1.2  # EAT's one second, the speech cut to it
    recorded = json.loads(record.read_text())
    assert recorded["emo"] == "sad"
    assert recorded["root_wav"] == str(request.speech.resolve())
    assert recorded["img"] == str(request.portrait.resolve())
    assert recorded["cwd"] == str(folder)
    assert Path(recorded["save_path"]).parent.parent == out.parent
    assert left_in_replies(folder) == ["turn 1.mp4"]


def test_an_unknown_emotion_renders_neutral_and_placeholders_work_inside_a_token(folder, record):
    command = COMMAND.replace("--emo {emotion}", "--emo={emotion}")
    EATTalkingFace(command).render(face_request(folder, emotion="bewildered"))
    assert json.loads(record.read_text())["emo"] == "neutral"


def test_every_emotion_maps_to_an_eat_category():
    assert sorted(TO_EAT) == sorted(EMOTIONS) and len(EMOTIONS) == 32
    assert set(TO_EAT.values()) <= set(EAT_EMOTIONS)
    assert "contempt" not in TO_EAT.values()
    spot_checks = {"devastated": "sad", "joyful": "happy", "terrified": "fear", "furious": "angry",
                   "disgusted": "disgusted", "impressed": "surprised", "trusting": "neutral"}  # fmt: skip
    assert {emotion: TO_EAT[emotion] for emotion in spot_checks} == spot_checks


def test_from_settings_reads_the_command_and_timeout(monkeypatch):
    monkeypatch.setenv(COMMAND_ENV, f" {COMMAND} ")
    monkeypatch.setenv(TIMEOUT_ENV, " 30 ")
    backend = EATTalkingFace.from_settings(Settings())
    assert (backend.name, backend.timeout_s, backend.workdir) == ("eat", 30.0, None)
    monkeypatch.delenv(TIMEOUT_ENV)
    assert EATTalkingFace.from_settings(Settings()).timeout_s == 600.0


@pytest.mark.parametrize("value", [None, "  "], ids=["unset", "blank"])
def test_from_settings_names_an_unset_command(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(COMMAND_ENV, raising=False)
    else:
        monkeypatch.setenv(COMMAND_ENV, value)
    with pytest.raises(TalkingFaceError, match=f"EAT needs {COMMAND_ENV}.*{COMMAND_ENV} is not set"):
        EATTalkingFace.from_settings(Settings())


@pytest.mark.parametrize("placeholder", ["audio", "image", "emotion", "output"])
def test_from_settings_names_a_missing_placeholder(monkeypatch, placeholder):
    monkeypatch.setenv(COMMAND_ENV, COMMAND.replace(f"{{{placeholder}}}", "x"))
    with pytest.raises(TalkingFaceError, match=f"{COMMAND_ENV} must contain .*; it lacks {{{placeholder}}}$"):
        EATTalkingFace.from_settings(Settings())


def test_an_unparsable_command_is_refused():
    with pytest.raises(TalkingFaceError, match=f"{COMMAND_ENV} is not a valid command line"):
        EATTalkingFace(COMMAND + " 'unclosed")


@pytest.mark.parametrize("value", ["0", "-5", "soon", "nan", "inf"])
def test_from_settings_refuses_a_bad_timeout(monkeypatch, value):
    monkeypatch.setenv(COMMAND_ENV, COMMAND)
    monkeypatch.setenv(TIMEOUT_ENV, value)
    with pytest.raises(
        TalkingFaceError, match=f"{TIMEOUT_ENV} must be a positive number of seconds, not '{value}'"
    ):
        EATTalkingFace.from_settings(Settings())


def test_a_missing_executable_could_not_be_started(folder):
    backend = EATTalkingFace("/nowhere/eat-render {audio} {image} {emotion} {output}")
    with pytest.raises(TalkingFaceError, match="EAT command could not be started .*/nowhere/eat-render"):
        backend.render(face_request(folder))
    assert left_in_replies(folder) == []


def test_a_failing_command_reports_its_exit_status_and_the_tail_of_stderr(folder, record, monkeypatch):
    monkeypatch.setenv("FAKE_EAT_MODE", "fail")
    with pytest.raises(
        TalkingFaceError, match="(?s)exit status 3: .*RuntimeError: CUDA out of memory$"
    ) as raised:
        EATTalkingFace(COMMAND).render(face_request(folder))
    assert len(str(raised.value)) < 600 and str(raised.value).count("loading checkpoints") < 40
    assert left_in_replies(folder) == []


def test_a_slow_command_is_stopped_with_its_children(folder, record, monkeypatch):
    monkeypatch.setenv("FAKE_EAT_MODE", "sleep")
    started = time.monotonic()
    with pytest.raises(
        TalkingFaceError, match=f"EAT took longer than 1 s and was stopped; raise {TIMEOUT_ENV}"
    ):
        EATTalkingFace(COMMAND, timeout_s=1).render(face_request(folder))
    assert time.monotonic() - started < 5
    child = json.loads(record.read_text())["child_pid"]
    deadline = time.monotonic() + 2
    while running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(child)
    assert left_in_replies(folder) == []


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.parametrize("mode", ["nothing", "empty"])
def test_success_without_a_video_is_an_error(folder, record, monkeypatch, mode):
    monkeypatch.setenv("FAKE_EAT_MODE", mode)
    with pytest.raises(TalkingFaceError, match="EAT exited without error but wrote no video"):
        EATTalkingFace(COMMAND).render(face_request(folder))
    assert left_in_replies(folder) == []


def test_a_video_ffmpeg_cannot_read_reports_ffmpeg_stderr(folder, record, monkeypatch):
    monkeypatch.setenv("FAKE_EAT_MODE", "garbage")
    with pytest.raises(
        TalkingFaceError, match="(?s)ffmpeg could not remux EAT's video with the speech: .*eat.mp4"
    ):
        EATTalkingFace(COMMAND).render(face_request(folder))
    assert left_in_replies(folder) == []


@pytest.mark.parametrize("missing", ["speech", "portrait"])
def test_missing_inputs_are_refused_before_the_command_runs(folder, record, missing):
    request = dataclasses.replace(face_request(folder), **{missing: folder / "gone.file"})
    with pytest.raises(TalkingFaceError, match=f"EAT cannot render: the {missing} .*gone.file is not a file"):
        EATTalkingFace(COMMAND).render(request)
    assert not record.exists()
