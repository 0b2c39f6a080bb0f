"""The `empathyear` console script, run as a user runs it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agents.schema import MetaResponse
from tests.llm_server import GOOD, serve

EMPATHYEAR = str(Path(sys.executable).parent / "empathyear")


def run(home, *args, stdin=None, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EMPATHYEAR_") or k == "EMPATHYEAR_MODELS"}
    environment |= {"EMPATHYEAR_HOME": str(home), **env}
    return subprocess.run(
        [EMPATHYEAR, *args], input=stdin, capture_output=True, text=True, env=environment, timeout=300
    )


def test_chat_json_follows_the_contract_and_continues_a_session(home):
    first = run(home, "chat", "Today traffic was horrible and was so frustrating!", "--json")
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    MetaResponse.model_validate(result["meta"])
    assert result["meta"]["scene"]["scenario"] == "stuck-in-traffic"
    assert result["meta"]["response"].strip()  # the default listener's words; the turn tests read the wording

    second = run(home, "chat", "It happened again this morning.", "--session", result["session"], "--json", "--no-speech")
    follow = json.loads(second.stdout)
    assert follow["session"] == result["session"] and follow["turn"] != result["turn"]

    history = run(home, "history", "--session", result["session"])
    assert history.returncode == 0
    assert "Today traffic was horrible" in history.stdout and "It happened again this morning." in history.stdout
    assert history.stdout.index("#1") < history.stdout.index("#2")

    trace = run(home, "trace", follow["turn"])
    for node in ("intake", "emotion", "scene", "responder", "profile", "remember"):
        assert f"- {node}" in trace.stdout
    assert " ms" in trace.stdout and "total" in trace.stdout
    exported = json.loads(run(home, "trace", follow["turn"], "--json").stdout)
    assert [e["node"] for e in exported["events"]][:2] == ["intake", "emotion"]


@pytest.mark.parametrize("message", ["", "   "])
def test_an_empty_message_exits_with_status_2(home, message):
    done = run(home, "chat", message, "--json")
    assert done.returncode == 2
    assert "empty" in done.stderr and done.stdout == ""


def test_unknown_sessions_and_turns_are_clear_errors(home):
    assert run(home, "history", "--session", "nope").returncode == 2
    done = run(home, "trace", "nope")
    assert done.returncode == 2 and "no turn" in done.stderr


def test_an_openai_compatible_server_drives_the_agents(home):
    with serve("good") as (_, url):
        done = run(home, "chat", "Today traffic was horrible and was so frustrating!", "--json",
                   EMPATHYEAR_LLM="openai", EMPATHYEAR_LLM_BASE_URL=url)  # fmt: skip
    meta = json.loads(done.stdout)["meta"]
    assert meta["emotion"] == GOOD["Emotion agent"] and meta["profile"] == GOOD["Profile planner"]


def test_interactive_chat_answers_until_quit(home):
    done = run(home, "chat", stdin="I got a puppy today!\n\nquit\n")
    assert done.returncode == 0
    assert "not a substitute for professional care" in done.stdout
    assert done.stdout.count("EmpathyEar:") == 1


def test_deleting_a_missing_session_says_so_and_exits_2(home):
    done = run(home, "delete", "--session", "nosuchsession")
    assert done.returncode == 2 and "no session" in done.stderr


@pytest.mark.parametrize("kind", ["folder", "fifo", "device"])
def test_a_recording_that_is_not_a_file_is_refused_and_nothing_stored(home, tmp_path, kind):
    import sqlite3

    path = {"folder": tmp_path, "device": Path("/dev/zero")}.get(kind, tmp_path / "pipe")
    if kind == "fifo":
        os.mkfifo(path)
    done = run(home, "chat", "--audio", str(path), "--session", "s1")
    assert done.returncode == 2 and ("folder" in done.stderr or "not a regular file" in done.stderr)
    database = home / "empathyear.sqlite"
    if database.exists():
        with sqlite3.connect(database) as db:
            assert db.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 0


def test_delete_erases_the_session(home):
    result = json.loads(run(home, "chat", "My phone screen cracked.", "--json", "--session", "tmp").stdout)
    assert run(home, "delete", "--session", "tmp").returncode == 0
    assert run(home, "trace", result["turn"]).returncode == 2


def test_chat_speaks_the_reply_in_a_voice_of_the_chosen_profile(home):
    import soundfile

    done = run(home, "chat", "I just got the job I wanted for years!", "--json", "--no-video")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    profile, voice = result["meta"]["profile"], result["voice"]
    assert voice["gender"] == profile["gender"] and profile["age"] in voice["ages"]
    info = soundfile.info(result["speech"])
    assert (info.samplerate, info.channels, info.format) == (24000, 1, "WAV") and info.duration > 2
    assert Path(result["speech"]).parent == home / "media" / result["session"] / result["turn"]
    assert result["video"] is None and result["warnings"] == []


def test_chat_returns_a_video_of_the_avatar_saying_the_reply(home):
    import imageio_ffmpeg
    import soundfile

    done = run(home, "chat", "My grandmother passed away last night.", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(result["video"])
    assert abs(seconds - soundfile.info(result["speech"]).duration) <= 0.1
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-i", result["video"]], capture_output=True, text=True).stderr
    assert "Video: h264" in probe and "Audio: aac" in probe and "512x512" in probe
    assert result["face"]["gender"] == result["meta"]["profile"]["gender"] and result["warnings"] == []


def test_a_chat_model_setting_that_names_nothing_installed_is_a_clear_error(home):
    done = run(home, "chat", "Hello there, how are you?", EMPATHYEAR_LLM="nonesuch")
    assert done.returncode == 2 and "unknown EMPATHYEAR_LLM 'nonesuch'" in done.stderr
    assert "Traceback" not in done.stderr
