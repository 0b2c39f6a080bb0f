"""Two `empathyear serve` replicas on one PostgreSQL database and one shared media folder, as an
operator runs them behind a load balancer: any replica serves any turn of any session."""

import concurrent.futures
import json

import httpx
import pytest

from memory.store import Store
from tests.postgres import fresh_database
from tests.served import serve_process

pytestmark = pytest.mark.slow
WORD = "Quillwort"  # a word no reply or model file holds, to look for after the delete
SESSIONS_PER_MINUTE = 6  # from one client address, counted by both replicas together
LEASE_S = 3  # short, so a dead replica's turn is found out within the test


@pytest.fixture(scope="module")
def database():
    yield from fresh_database()


@pytest.fixture(scope="module")
def replicas(database, tmp_path_factory):
    shared_media = tmp_path_factory.mktemp("shared-media")
    settings = {"EMPATHYEAR_DATABASE_URL": database, "EMPATHYEAR_MEDIA_DIR": str(shared_media),
                "EMPATHYEAR_SESSIONS_PER_MINUTE": str(SESSIONS_PER_MINUTE), "EMPATHYEAR_TURNS_PER_MINUTE": "0",
                "EMPATHYEAR_TURN_LEASE_S": str(LEASE_S), "EMPATHYEAR_TRUSTED_PROXIES": "127.0.0.1"}  # fmt: skip
    with serve_process(tmp_path_factory.mktemp("replica-a"), **settings) as (a, process_a):
        with serve_process(tmp_path_factory.mktemp("replica-b"), **settings) as (b, _):
            yield a, b, shared_media, process_a


def _turn(url, session, token, text, speech=False):
    form = {"text": text, "want_speech": str(speech).lower(), "want_video": "false"}
    response = httpx.post(f"{url}/v1/sessions/{session}/turns", data=form,
                          headers={"Authorization": f"Bearer {token}"}, timeout=300)  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


def _history_read(database, turn_id):
    """How many earlier utterances the turn's emotion agent read."""
    with Store(database) as store:
        return next(e for e in store.trace(turn_id) if e["node"] == "emotion")["inputs"]["history_turns"]


def test_a_session_opened_on_one_replica_goes_on_on_the_other_with_its_history(replicas, database):
    a, b, *_ = replicas
    opened = httpx.post(f"{a}/v1/sessions", timeout=30).json()
    session, token = opened["session"], opened["token"]
    first = _turn(a, session, token, "My sister moved away last week and the house feels empty.")
    second = _turn(b, session, token, "I keep setting two plates at dinner.")
    listed = httpx.get(f"{b}/v1/sessions/{session}/turns", headers={"Authorization": f"Bearer {token}"}).json()
    assert [t["id"] for t in listed["turns"]] == [first["turn"], second["turn"]]
    assert _history_read(database, second["turn"]) == 2  # replica B read what replica A stored


def test_turns_of_one_session_sent_to_both_replicas_at_once_run_one_after_the_other(replicas, database):
    a, b, *_ = replicas
    opened = httpx.post(f"{b}/v1/sessions", timeout=30).json()
    session, token = opened["session"], opened["token"]
    texts = [f"Message {n}: work was long today." for n in range(4)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: _turn((a, b)[n % 2], session, token, texts[n]), range(4)))
    with Store(database) as store:
        stored = store.turns(session)
    assert sorted(t["id"] for t in stored) == sorted(r["turn"] for r in results)
    assert [t["seq"] for t in stored] == [1, 2, 3, 4] and all(t["status"] == "done" for t in stored)
    # Each turn read every turn before it: none ran beside another of its session.
    assert [_history_read(database, t["id"]) for t in stored] == [0, 2, 4, 6]


def test_a_delete_through_one_replica_leaves_nothing_through_the_other(replicas, database):
    import psycopg

    a, b, shared_media, _ = replicas
    opened = httpx.post(f"{a}/v1/sessions", timeout=30).json()
    session, token = opened["session"], opened["token"]
    auth = {"Authorization": f"Bearer {token}"}
    result = _turn(b, session, token, f"My old dog {WORD} died this morning.", speech=True)
    turn = result["turn"]
    # The speech replica B made is in the shared folder, and its link works through replica A.
    assert httpx.get(f"{a}{result['speech']}", headers=auth).status_code == 200
    assert (shared_media / session).is_dir()
    assert httpx.delete(f"{a}/v1/sessions/{session}", headers=auth).json()["deleted_turns"] == 1
    assert httpx.get(f"{b}/v1/sessions/{session}/turns", headers=auth).status_code == 404
    assert not (shared_media / session).exists()
    with psycopg.connect(database) as conn:
        for table, column in (("turns", "user_text"), ("trace_events", "event")):
            assert conn.execute(f"SELECT count(*) FROM {table} WHERE {column} LIKE %s", (f"%{WORD}%",)).fetchone() == (0,)
        for table, column in (("checkpoint_blobs", "blob"), ("checkpoint_writes", "blob")):
            found = conn.execute(f"SELECT count(*) FROM {table} WHERE position(%s::bytea in {column}) > 0",
                                 (WORD.encode(),)).fetchone()  # fmt: skip
            assert found == (0,), table
        assert conn.execute("SELECT count(*) FROM checkpoints WHERE thread_id=%s", (turn,)).fetchone() == (0,)
        assert json.dumps(conn.execute("SELECT checkpoint FROM checkpoints").fetchall(), default=str).count(WORD) == 0


def test_new_sessions_are_counted_by_both_replicas_together(replicas):
    a, b, *_ = replicas
    # One client behind the proxy both replicas trust; the other tests' sessions come from another address.
    client = {"X-Forwarded-For": "203.0.113.7"}
    answers = [httpx.post(f"{(a, b)[n % 2]}/v1/sessions", headers=client, timeout=30)
               for n in range(2 * SESSIONS_PER_MINUTE)]  # fmt: skip
    opened = sum(r.status_code == 201 for r in answers)
    refused = [r for r in answers if r.status_code == 429]
    # Each replica counting alone would have let 6 through each, 12 in all.
    assert opened <= SESSIONS_PER_MINUTE and len(refused) == 2 * SESSIONS_PER_MINUTE - opened
    assert all(int(r.headers["Retry-After"]) >= 1 for r in refused)


def test_a_replica_killed_mid_turn_leaves_the_other_serving_and_its_turn_interrupted(replicas, database):
    """Last in this file: it kills replica A."""
    import threading
    import time

    a, b, shared_media, process_a = replicas
    opened = httpx.post(f"{b}/v1/sessions", timeout=30).json()
    session, token = opened["session"], opened["token"]
    auth = {"Authorization": f"Bearer {token}"}

    def long_turn():  # speech and video: seconds of work that the kill cuts short
        try:
            httpx.post(f"{a}/v1/sessions/{session}/turns", data={"text": "My brother stopped calling me."},
                       headers=auth, timeout=120)  # fmt: skip
        except httpx.HTTPError:
            pass

    threading.Thread(target=long_turn, daemon=True).start()
    with Store(database) as store:
        deadline = time.monotonic() + 60
        while not any(e["node"] == "responder" for t in store.turns(session) for e in store.trace(t["id"])):
            assert time.monotonic() < deadline, "replica A never got to the reply"
            time.sleep(0.1)
        [cut] = store.turns(session)
        process_a.kill()
        process_a.wait(10)
        assert store.turn(cut["id"])["status"] == "pending"
        time.sleep(LEASE_S + 0.5)  # A's lease runs out; B, serving on, finds it
        for _ in range(3):
            _turn(b, session, token, "Are you still there?")
            if store.turn(cut["id"])["status"] != "pending":
                break
        turns = store.turns(session)
    assert turns[0]["id"] == cut["id"] and turns[0]["status"] == "interrupted"
    assert turns[0]["user_text"] == "My brother stopped calling me."  # the user's words stay stored
    assert all(t["status"] == "done" for t in turns[1:])
    assert not (shared_media / session / cut["id"]).exists()  # its partial media are gone
