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


@pytest.fixture(scope="module")
def database():
    yield from fresh_database()


@pytest.fixture(scope="module")
def replicas(database, tmp_path_factory):
    shared_media = tmp_path_factory.mktemp("shared-media")
    settings = {"EMPATHYEAR_DATABASE_URL": database, "EMPATHYEAR_MEDIA_DIR": str(shared_media),
                "EMPATHYEAR_SESSIONS_PER_MINUTE": "0", "EMPATHYEAR_TURNS_PER_MINUTE": "0"}  # fmt: skip
    with serve_process(tmp_path_factory.mktemp("replica-a"), **settings) as (a, _):
        with serve_process(tmp_path_factory.mktemp("replica-b"), **settings) as (b, _):
            yield a, b, shared_media


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
    a, b, _ = replicas
    opened = httpx.post(f"{a}/v1/sessions", timeout=30).json()
    session, token = opened["session"], opened["token"]
    first = _turn(a, session, token, "My sister moved away last week and the house feels empty.")
    second = _turn(b, session, token, "I keep setting two plates at dinner.")
    listed = httpx.get(f"{b}/v1/sessions/{session}/turns", headers={"Authorization": f"Bearer {token}"}).json()
    assert [t["id"] for t in listed["turns"]] == [first["turn"], second["turn"]]
    assert _history_read(database, second["turn"]) == 2  # replica B read what replica A stored


def test_turns_of_one_session_sent_to_both_replicas_at_once_run_one_after_the_other(replicas, database):
    a, b, _ = replicas
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

    a, b, shared_media = replicas
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
