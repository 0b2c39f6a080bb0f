"""The REST API, in process over HTTP semantics (FastAPI's test client), with the real agents and tools."""

import json
import sqlite3

import pytest
from fastapi.testclient import TestClient

from graph.runner import TurnRunner
from settings import Settings
from ui.api import create_api


@pytest.fixture
def api(home):
    runner = TurnRunner(Settings(), chat_model=None)
    return TestClient(create_api(runner)), runner


def open_session(client):
    created = client.post("/v1/sessions")
    assert created.status_code == 201
    body = created.json()
    return body["session"], {"Authorization": f"Bearer {body['token']}"}


def test_a_turn_returns_the_contract_with_media_urls_that_serve_the_files(api):
    client, _ = api
    session, auth = open_session(client)
    done = client.post(
        f"/v1/sessions/{session}/turns", data={"text": "I finally finished my thesis!"}, headers=auth
    )
    assert done.status_code == 200, done.text
    result = done.json()
    assert result["session"] == session and result["meta"]["emotion"]["label"]
    assert result["speech"].startswith(f"/v1/sessions/{session}/media/") and result["video"].endswith(".mp4")
    speech = client.get(result["speech"], headers=auth)
    assert speech.status_code == 200 and speech.content[:4] == b"RIFF"
    video = client.get(result["video"], params={"token": auth["Authorization"][7:]})
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"


def test_streaming_sends_each_node_then_the_result(api):
    client, _ = api
    session, auth = open_session(client)
    with client.stream(
        "POST",
        f"/v1/sessions/{session}/turns/stream",
        data={"text": "My cat is sick.", "want_video": "false"},
        headers=auth,
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [
            (
                block.split("\n")[0].removeprefix("event: "),
                json.loads(block.split("\n")[1].removeprefix("data: ")),
            )
            for block in response.read().decode().strip().split("\n\n")
        ]
    names = [name for name, _ in events]
    assert names[0] == "node" and names[-1] == "result"
    assert [d["node"] for n, d in events if n == "node"][:3] == ["intake", "emotion", "scene"]
    assert "speech_chunk" in names and "speech" in names and names.index("speech") < names.index("result")
    assert events[-1][1]["speech"].startswith(f"/v1/sessions/{session}/media/")


def test_history_lists_the_sessions_turns(api):
    client, _ = api
    session, auth = open_session(client)
    for text in ("Work was awful today.", "My boss yelled at me."):
        client.post(
            f"/v1/sessions/{session}/turns", data={"text": text, "want_speech": "false"}, headers=auth
        )
    turns = client.get(f"/v1/sessions/{session}/turns", headers=auth).json()["turns"]
    assert [t["user_text"] for t in turns] == ["Work was awful today.", "My boss yelled at me."]
    assert all(t["reply"] for t in turns)


def test_a_wrong_or_foreign_token_is_indistinguishable_from_no_session(api):
    client, _ = api
    mine, auth = open_session(client)
    other, other_auth = open_session(client)
    missing = client.get("/v1/sessions/nosuchsession/turns", headers=auth)
    for response in (
        client.get(f"/v1/sessions/{mine}/turns", headers={"Authorization": "Bearer wrong"}),
        client.get(f"/v1/sessions/{mine}/turns"),
        client.get(f"/v1/sessions/{mine}/turns", headers=other_auth),
        client.post(f"/v1/sessions/{other}/turns", data={"text": "hi"}, headers=auth),
        client.delete(f"/v1/sessions/{other}", headers=auth),
    ):
        assert (
            (response.status_code, response.json())
            == (missing.status_code, missing.json())
            == (404, {"detail": "no such session"})
        )


def test_delete_leaves_nothing_on_disk_or_in_the_database(api, tmp_path):
    client, runner = api
    session, auth = open_session(client)
    wav = tmp_path / "hello.wav"
    wav.write_bytes(b"")
    client.post(f"/v1/sessions/{session}/turns", data={"text": "I'm nervous about my Vexillonaut exam."}, headers=auth)
    client.post(
        f"/v1/sessions/{session}/turns", files={"audio": ("note.wav", wav.read_bytes())}, headers=auth
    )
    folder = runner.settings.media / session
    assert any(folder.rglob("*.wav")) and any(folder.rglob("*.mp4")) and (folder / "uploads").is_dir()
    turn_ids = [t["id"] for t in runner.store.turns(session)]
    assert client.delete(f"/v1/sessions/{session}", headers=auth).json() == {
        "session": session,
        "deleted_turns": 2,
    }
    assert not folder.exists()
    with sqlite3.connect(runner.settings.database) as db:
        for table, column in (
            ("sessions", "id"),
            ("turns", "session_id"),
            ("session_tokens", "session_id"),
            ("session_assets", "session_id"),
        ):
            assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE {column}=?", (session,)).fetchone()[0] == 0
        assert (
            db.execute("SELECT COUNT(*) FROM trace_events WHERE turn_id IN (?, ?)", turn_ids).fetchone()[0]
            == 0
        )
    with sqlite3.connect(runner.settings.checkpoints) as db:
        assert (
            db.execute("SELECT COUNT(*) FROM checkpoints WHERE thread_id IN (?, ?)", turn_ids).fetchone()[0]
            == 0
        )
    assert client.get(f"/v1/sessions/{session}/turns", headers=auth).status_code == 404
    home = runner.settings.home
    assert [p for p in home.rglob("*") if p.is_file() and b"vexillonaut" in p.read_bytes().lower()] == []


def test_an_oversized_upload_is_refused_with_413(api):
    client, runner = api
    session, auth = open_session(client)
    too_big = b"\0" * (25 * 2**20 + 1)
    refused = client.post(
        f"/v1/sessions/{session}/turns", files={"audio": ("big.wav", too_big)}, headers=auth
    )
    assert refused.status_code == 413 and "larger than 25 MB" in refused.json()["detail"]
    assert not any((runner.settings.media / session).rglob("*.wav"))  # nothing of it was kept


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"text": "   "}, 400, "the message is empty"),
        ({"text": "hello", "want_speech": "maybe"}, 422, "want_speech"),
    ],
)
def test_malformed_requests_get_a_clear_4xx(api, data, status, message):
    client, _ = api
    session, auth = open_session(client)
    response = client.post(f"/v1/sessions/{session}/turns", data=data, headers=auth)
    assert response.status_code == status and message in response.text


def test_media_paths_cannot_leave_the_session_folder(api):
    client, runner = api
    session, auth = open_session(client)
    (runner.settings.media).mkdir(parents=True, exist_ok=True)
    for path in (
        "../../empathyear.sqlite",
        "..%2F..%2Fempathyear.sqlite",
        "%2Fetc%2Fpasswd",
        "uploads/../../../x",
    ):
        response = client.get(f"/v1/sessions/{session}/media/{path}", headers=auth)
        assert (
            response.status_code in (404, 405)
            and b"SQLite" not in response.content
            and b"root:" not in response.content
        )


def test_a_failed_speech_step_still_returns_the_text(home):
    class Broken:
        name, role = "broken", "speech"

        def invoke(self, args):
            raise RuntimeError("synthesizer crashed")

    client = TestClient(create_api(TurnRunner(Settings(), chat_model=None, tools=[Broken()])))
    session, auth = open_session(client)
    result = client.post(
        f"/v1/sessions/{session}/turns", data={"text": "I lost my wallet."}, headers=auth
    ).json()
    assert result["meta"]["response"] and result["speech"] is None and result["video"] is None
    assert "speech synthesis failed; the reply is text only" in result["warnings"]


def test_a_failure_is_told_to_the_client_in_plain_words_and_its_details_kept_for_the_log(home, caplog):
    class Broken:
        name, role = "broken", "speech"

        def invoke(self, args):
            raise OSError(13, "Permission denied", "/srv/empathyear/home/media/x/reply.wav")

    client = TestClient(create_api(TurnRunner(Settings(), chat_model=None, tools=[Broken()])))
    session, auth = open_session(client)
    with caplog.at_level("WARNING"):
        result = client.post(f"/v1/sessions/{session}/turns", data={"text": "I lost my wallet."}, headers=auth).json()
    told = " ".join(result["warnings"])
    assert "speech synthesis failed" in told and "/srv" not in told and "Errno" not in told and "denied" not in told
    assert "/srv/empathyear" in caplog.text and "wallet" not in caplog.text


def test_the_openapi_document_describes_every_endpoint(api):
    client, _ = api
    paths = client.get("/v1/openapi.json").json()["paths"]
    assert {"/v1/sessions", "/v1/sessions/{session_id}/turns", "/v1/sessions/{session_id}/turns/stream",
            "/v1/sessions/{session_id}", "/v1/sessions/{session_id}/media/{path}"} <= set(paths)  # fmt: skip


def test_a_support_tools_audio_is_a_media_link_of_the_session(home):
    from pathlib import Path

    from tools.contract import BaseTool

    class Chime(BaseTool):
        name, role, description = "chime", "support", "a soft chime"

        def offer(self, context):
            return {}

        def invoke(self, args):
            path = Path(args["out_dir"]) / "chime.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"RIFF")
            return {"text": "Here is a soft chime, if it helps.", "audio": str(path)}

    client = TestClient(create_api(TurnRunner(Settings(), chat_model=None, tools=[Chime()])))
    session, auth = open_session(client)
    result = client.post(f"/v1/sessions/{session}/turns", data={"text": "I lost my wallet.", "want_speech": "false"},
                         headers=auth).json()  # fmt: skip
    (used,) = result["support"]
    assert used["tool"] == "chime" and "soft chime" in result["meta"]["response"]
    assert used["audio"].startswith(f"/v1/sessions/{session}/media/")
    assert client.get(used["audio"], headers=auth).content == b"RIFF"


def test_an_upload_that_cannot_be_saved_is_answered_503_and_a_later_failure_keeps_the_turn(api):
    client, runner = api
    session, auth = open_session(client)
    runner.settings.media.mkdir(parents=True, exist_ok=True)
    (runner.settings.media / session).write_bytes(b"")  # the session's folder cannot be made: a file is in the way
    refused = client.post(f"/v1/sessions/{session}/turns", files={"audio": ("note.wav", b"RIFF")}, headers=auth)
    assert refused.status_code == 503 and "could not be saved" in refused.json()["detail"]
    kept = client.post(f"/v1/sessions/{session}/turns", data={"text": "My exam went badly."}, headers=auth)
    assert kept.status_code == 200 and kept.json()["meta"]["response"]
    assert any("failed" in w for w in kept.json()["warnings"])  # the speech and video could not be written
    (turn,) = runner.store.turns(session)
    assert turn["user_text"] == "My exam went badly." and turn["status"] == "done"
