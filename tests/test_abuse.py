"""Bad requests and misbehaving clients against a real `empathyear serve`, over HTTP; raw sockets
send what a client library would refuse to (a lying or missing Content-Length, a cut-off body, a
stall)."""

import json
import socket
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from tests.served import serve_process, start_server

UPLOAD_S = 3  # the served app's limit on how long a request body may take


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    settings = {"EMPATHYEAR_LISTENER": "templates", "EMPATHYEAR_UPLOAD_S": str(UPLOAD_S), "EMPATHYEAR_SESSIONS_PER_MINUTE": "0"}
    with start_server(home, **settings) as url:
        yield url, home


def open_session(url):
    body = httpx.post(f"{url}/v1/sessions").json()
    return body["session"], body["token"]


def raw(url: str, head: bytes, body_parts=(), pause: float = 0.0, timeout: float = 30) -> tuple[int, bytes]:
    """Sends `head` and then each part of the body (with `pause` seconds between), reads the answer."""
    address = urlparse(url)
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as connection:
        connection.sendall(head)
        try:
            for part in body_parts:
                connection.sendall(part)
                time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):  # the server refused and closed: read its answer
            pass
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and len(answer) > answer.index(b"\r\n\r\n") + 4:
                    break
        except (ConnectionResetError, TimeoutError):
            pass
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, answer


def uploads_left(home: Path, session: str) -> list[Path]:
    return [p for p in (home / "media" / session / "uploads").glob("*") if p.is_file()]


def multipart(boundary: str, text: bytes, audio: bytes | None = None, close: bool = True) -> bytes:
    body = f"--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n".encode() + text + b"\r\n"
    body += f"--{boundary}\r\nContent-Disposition: form-data; name=\"want_speech\"\r\n\r\nfalse\r\n".encode()
    if audio is not None:
        body += (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"a.wav\"\r\n"
            "Content-Type: audio/wav\r\n\r\n"
        ).encode() + audio
        if close:
            body += b"\r\n"
    return body + (f"--{boundary}--\r\n".encode() if close else b"")


def head(url: str, session: str, token: str, extra: str) -> bytes:
    host = urlparse(url).netloc
    return (
        f"POST /v1/sessions/{session}/turns HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Connection: close\r\n{extra}\r\n"
    ).encode()


def test_the_token_goes_in_a_bearer_header_and_in_the_query_only_for_media(served):
    url, _ = served
    session, token = open_session(url)
    turns = f"{url}/v1/sessions/{session}/turns"
    assert httpx.get(turns, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert httpx.get(turns, headers={"Authorization": f"bearer {token}"}).status_code == 200
    assert httpx.get(turns, headers={"Authorization": token}).status_code == 404
    assert httpx.get(turns, headers={"Authorization": f"Basic {token}"}).status_code == 404
    assert httpx.get(turns, params={"token": token}).status_code == 404
    assert httpx.delete(f"{url}/v1/sessions/{session}", params={"token": token}).status_code == 404
    done = httpx.post(
        turns, data={"text": "I got the job!", "want_video": "false"}, headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    ).json()  # fmt: skip
    assert httpx.get(f"{url}{done['speech']}", params={"token": token}).status_code == 200
    assert httpx.get(f"{url}{done['speech']}", params={"token": "wrong"}).status_code == 404


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("application/json", b'{"text": "hello"}'), ("text/plain", b"hello"), (None, b"text=hello")],
)
def test_a_body_of_another_type_is_refused_saying_what_is_accepted(served, content_type, body):
    url, _ = served
    session, token = open_session(url)
    headers = {"Authorization": f"Bearer {token}"} | ({"Content-Type": content_type} if content_type else {})
    answer = httpx.post(f"{url}/v1/sessions/{session}/turns", content=body, headers=headers)
    assert answer.status_code == 415 and "multipart/form-data" in answer.json()["detail"]


def test_a_nul_byte_or_a_malformed_media_path_is_a_404_without_a_traceback(served):
    url, home = served
    session, token = open_session(url)
    for path in ("a%00b.wav", "%00", "x" * 5000 + ".wav", "..%00/..%00/etc/passwd"):
        host = urlparse(url).netloc
        status, _ = raw(url, (
            f"GET /v1/sessions/{session}/media/{path}?token={token} HTTP/1.1\r\nHost: {host}\r\n"
            "Connection: close\r\n\r\n"
        ).encode())  # fmt: skip
        assert status == 404, path
    assert not any("Traceback" in log.read_text() for log in home.glob("server-*.log"))


def test_invalid_utf8_in_a_multipart_field_is_decoded_with_replacement(served):
    url, _ = served
    session, token = open_session(url)
    body = multipart("b0und", "My caf\xe9 closed today.".encode("latin-1"))
    answer = httpx.post(
        f"{url}/v1/sessions/{session}/turns", content=body, timeout=120,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "multipart/form-data; boundary=b0und"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["input"]["text"] == "My caf\ufffd closed today."


def test_a_cut_off_multipart_body_is_refused_and_nothing_of_it_kept(served):
    url, home = served
    session, token = open_session(url)
    body = multipart("b0und", b"Listen to this.", audio=b"RIFF" + b"\0" * 5000, close=False)
    status, answer = raw(url, head(url, session, token,
        f"Content-Type: multipart/form-data; boundary=b0und\r\nContent-Length: {len(body)}\r\n"), [body])  # fmt: skip
    assert status == 400 and b"cut off" in answer
    assert uploads_left(home, session) == []
    turns = httpx.get(f"{url}/v1/sessions/{session}/turns", headers={"Authorization": f"Bearer {token}"})
    assert turns.json()["turns"] == []  # no text-only turn was taken from it


def _chunked(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def test_a_chunked_upload_past_its_limit_is_refused_on_the_bytes_received(served):
    url, home = served
    session, token = open_session(url)
    start = multipart("b0und", b"Hear me.", audio=b"", close=False)
    megabyte = b"\0" * 2**20
    status, answer = raw(
        url, head(url, session, token, "Content-Type: multipart/form-data; boundary=b0und\r\nTransfer-Encoding: chunked\r\n"),
        [_chunked(start)] + [_chunked(megabyte)] * 40 + [b"0\r\n\r\n"],
    )  # fmt: skip
    assert status == 413 and b"larger than 25 MB" in answer
    time.sleep(0.5)
    assert uploads_left(home, session) == []


def test_a_lying_content_length_does_not_lift_the_limit(served):
    url, home = served
    session, token = open_session(url)
    start = multipart("b0und", b"Hear me.", audio=b"", close=False)
    status, _ = raw(
        url, head(url, session, token, f"Content-Type: multipart/form-data; boundary=b0und\r\nContent-Length: {2 * 2**30}\r\n"),
        [start] + [b"\0" * 2**20] * 30,
    )  # fmt: skip
    assert status == 413
    time.sleep(0.5)
    assert uploads_left(home, session) == []


def test_a_stalled_upload_is_cut_off_and_its_file_removed(served):
    url, home = served
    session, token = open_session(url)
    start = multipart("b0und", b"Hear me.", audio=b"RIFF" + b"\0" * 1000, close=False)
    began = time.monotonic()
    status, answer = raw(
        url, head(url, session, token, "Content-Type: multipart/form-data; boundary=b0und\r\nContent-Length: 900000\r\n"),
        [start, b"\0" * 10], pause=UPLOAD_S + 3,
    )  # fmt: skip
    assert status == 408 and time.monotonic() - began < UPLOAD_S + 10
    assert uploads_left(home, session) == []
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["detail"].startswith("the upload took longer")


def test_a_client_that_leaves_mid_stream_still_gets_its_turn_finished_and_stored(served):
    url, _ = served
    session, token = open_session(url)
    body = b"text=My+grandmother+is+in+hospital+tonight.&want_video=false"
    host = urlparse(url).netloc
    address = urlparse(url)
    with socket.create_connection((address.hostname, address.port), timeout=60) as connection:
        connection.sendall((
            f"POST /v1/sessions/{session}/turns/stream HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body)  # fmt: skip
        received = b""
        while b"event: node" not in received:  # the turn has begun; then the client goes away
            received += connection.recv(4096)
    auth = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        (turn,) = httpx.get(f"{url}/v1/sessions/{session}/turns", headers=auth).json()["turns"]
        if turn["status"] != "pending":
            break
        time.sleep(1)
    assert turn["status"] == "done" and turn["reply"] and turn["speech"]


def test_a_turn_cut_off_by_kill_9_is_marked_interrupted_at_restart_with_its_partial_media_gone(tmp_path):
    home = tmp_path / "home"
    with serve_process(home, EMPATHYEAR_LISTENER="templates") as (url, process):
        session, token = open_session(url)
        body = b"text=I+lost+my+job+today+and+I+do+not+know+what+to+tell+my+family."
        address = urlparse(url)
        with socket.create_connection((address.hostname, address.port), timeout=120) as connection:
            connection.sendall((
                f"POST /v1/sessions/{session}/turns/stream HTTP/1.1\r\nHost: {address.netloc}\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body)  # fmt: skip
            received = b""
            while b"speech_chunk" not in received:  # the reply is written; speech and video are being made
                received += connection.recv(65536)
            process.kill()
            process.wait(timeout=30)
    (turn,) = _stored_turns(home, session)
    assert turn["status"] == "pending"  # as the killed process left it
    with start_server(home, EMPATHYEAR_LISTENER="templates") as url:
        turns = httpx.get(f"{url}/v1/sessions/{session}/turns", headers={"Authorization": f"Bearer {token}"})
        (turn,) = turns.json()["turns"]
        assert turn["status"] == "interrupted" and turn["user_text"].startswith("I lost my job today")
        assert not (home / "media" / session / turn["id"]).exists()


def _stored_turns(home: Path, session: str) -> list[dict]:
    import sqlite3

    with sqlite3.connect(home / "empathyear.sqlite") as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM turns WHERE session_id=?", (session,))]


def test_sessions_per_address_and_turns_per_session_are_limited_with_retry_after(tmp_path):
    limits = {"EMPATHYEAR_SESSIONS_PER_MINUTE": "3", "EMPATHYEAR_TURNS_PER_MINUTE": "2"}
    with start_server(tmp_path / "home", EMPATHYEAR_LISTENER="templates", **limits) as url:
        opened = [httpx.post(f"{url}/v1/sessions") for _ in range(3)]
        assert [r.status_code for r in opened] == [201, 201, 201]
        # X-Forwarded-For from a client that is not a configured proxy changes nothing
        refused = httpx.post(f"{url}/v1/sessions", headers={"X-Forwarded-For": "203.0.113.9"})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        session, token = opened[0].json()["session"], opened[0].json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        said = [
            httpx.post(f"{url}/v1/sessions/{session}/turns", data={"text": "Hello.", "want_speech": "false"},
                       headers=auth, timeout=60)
            for _ in range(3)
        ]  # fmt: skip
        assert [r.status_code for r in said] == [200, 200, 429] and "Retry-After" in said[2].headers
        other = opened[1].json()
        assert httpx.post(f"{url}/v1/sessions/{other['session']}/turns", data={"text": "Hi.", "want_speech": "false"},
                          headers={"Authorization": f"Bearer {other['token']}"}, timeout=60).status_code == 200  # fmt: skip


def test_beyond_its_places_and_queue_the_server_answers_503_and_tells_the_queue_position(tmp_path):
    settings = {"EMPATHYEAR_ACTIVE_TURNS": "1", "EMPATHYEAR_QUEUED_TURNS": "1", "EMPATHYEAR_SESSIONS_PER_MINUTE": "0"}
    with start_server(tmp_path / "home", EMPATHYEAR_LISTENER="templates", **settings) as url:
        sessions = [open_session(url) for _ in range(3)]
        form = {"text": "My sister is getting married next month and I am giving the speech."}

        def streamed(number):
            session, token = sessions[number]
            return httpx.stream("POST", f"{url}/v1/sessions/{session}/turns/stream", data=form,
                                headers={"Authorization": f"Bearer {token}"}, timeout=120)  # fmt: skip

        with streamed(0) as running:
            lines = running.iter_lines()
            assert next(line for line in lines if line.startswith("event: ")) == "event: node"  # it runs
            with streamed(1) as waiting:
                queued = waiting.iter_lines()
                assert next(queued) == "event: queue" and json.loads(next(queued)[6:]) == {"position": 1}
                session, token = sessions[2]
                refused = httpx.post(f"{url}/v1/sessions/{session}/turns", data=form,
                                     headers={"Authorization": f"Bearer {token}"})  # fmt: skip
                assert refused.status_code == 503 and int(refused.headers["Retry-After"]) >= 1
                assert any(line == "event: result" for line in queued)  # its turn came and finished
            assert any(line == "event: result" for line in lines)
