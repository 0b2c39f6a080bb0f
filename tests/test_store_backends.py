"""The store and the checkpointer behave the same on SQLite (the default) and on PostgreSQL (shared
by replicas): every test here runs on both."""

import threading

import pytest

from memory.migrations import LATEST, SchemaTooNew
from memory.store import Store, TurnGone
from tests.postgres import fresh_database


@pytest.fixture(params=["sqlite", "postgres"])
def location(request, tmp_path, monkeypatch):
    opened = []
    real_init = Store.__init__

    def tracked(self, *args, **kwargs):  # every store a test opens is closed after it
        real_init(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(Store, "__init__", tracked)
    database = fresh_database() if request.param == "postgres" else None
    yield next(database) if database else tmp_path / "store.sqlite"
    for store in opened:
        store.close()
    if database:
        next(database, None)  # drops it


def _finish(store, turn_id, reply):
    store.complete_turn(turn_id, reply=reply, meta={"response": reply}, transcript=None, speech=None,
                        video=None, timings={"intake": 1.0}, warnings=[])  # fmt: skip


def test_a_turn_is_stored_traced_and_read_back_as_history(location):
    store = Store(location)
    store.open_session("s", "digest")
    store.begin_turn("t1", "s", "My cat is ill.", None, None, "/media/s/t1")
    store.add_trace_event("t1", {"node": "intake", "duration_ms": 1.25})
    _finish(store, "t1", "I'm sorry, that's worrying.")
    [turn] = store.turns("s")
    assert (turn["seq"], turn["status"], turn["reply"], turn["meta"]) == (1, "done", "I'm sorry, that's worrying.",
                                                                          {"response": "I'm sorry, that's worrying."})  # fmt: skip
    assert "owner" not in turn and store.token_digest("s") == "digest"
    assert store.trace_timings("t1") == {"intake": 1.25}
    assert [u.text for u in store.recent_dialogue("s", 4)] == ["My cat is ill.", "I'm sorry, that's worrying."]
    store.pin_asset("s", "voice", "p", "v1")
    store.pin_asset("s", "voice", "p", "v2")
    assert store.pinned_asset("s", "voice", "p") == "v2"


def test_turns_begun_at_once_get_one_number_each(location):
    Store(location).open_session("s", "digest")
    stores = [Store(location) for _ in range(2)]  # two processes' stores, or two replicas'
    threads = [threading.Thread(target=stores[i % 2].begin_turn, args=(f"t{i}", "s", f"message {i}"))
               for i in range(8)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(t["seq"] for t in stores[0].turns("s")) == list(range(1, 9))


def test_a_deleted_session_leaves_no_row_and_stops_its_running_turn(location):
    store = Store(location)
    store.begin_turn("t1", "s", "a secret word: quetzal")
    store.add_trace_event("t1", {"node": "intake", "outputs": {"message": "quetzal"}})
    assert store.delete_session("s") == ["t1"]
    assert store.turns("s") == [] and store.trace("t1") == [] and not store.session_exists("s")
    with pytest.raises(TurnGone):
        store.add_trace_event("t1", {"node": "emotion"})


def test_an_expired_lease_is_reclaimed_and_a_live_one_is_not(location):
    dead, alive = Store(location, owner="elsewhere:1:dead"), Store(location, owner="elsewhere:2:alive")
    dead.begin_turn("t-dead", "s", "hello", media_dir="/media/s/t-dead")
    alive.begin_turn("t-alive", "s", "hello again", media_dir="/media/s/t-alive")
    dead.db.write("UPDATE turns SET lease_until=0 WHERE id='t-dead'")
    assert alive.reclaim_abandoned() == ["/media/s/t-dead"]
    statuses = {t["id"]: t["status"] for t in alive.turns("s")}
    assert statuses == {"t-dead": "interrupted", "t-alive": "pending"}


def test_the_schema_is_numbered_upgraded_once_and_a_newer_one_refused(location):
    store = Store(location)
    assert store.db.read("SELECT version FROM schema_version") == [{"version": LATEST}]
    Store(location)  # opening again changes nothing
    assert store.db.read("SELECT version FROM schema_version") == [{"version": LATEST}]
    store.db.write("UPDATE schema_version SET version=?", (LATEST + 1,))
    with pytest.raises(SchemaTooNew, match="newer than this EmpathyEar knows"):
        Store(location)


def test_turns_of_one_session_take_turns_and_other_sessions_do_not_wait(location):
    # On SQLite the app's one store orders its turns; on PostgreSQL every replica's store does.
    one = Store(location)
    two = one if not isinstance(location, str) else Store(location)
    order = []

    def later():
        with two.session_turn("s"):
            order.append("second turn of s")

    with one.session_turn("s"):
        waiter = threading.Thread(target=later)
        waiter.start()
        with two.session_turn("other"):
            order.append("a turn of another session")
        waiter.join(0.5)
        order.append("first turn of s ends")
    waiter.join(10)
    assert order == ["a turn of another session", "first turn of s ends", "second turn of s"]


def test_checkpoints_are_kept_per_turn_and_deleted_with_it(location, tmp_path):
    from langgraph.graph import END, START, StateGraph
    from typing_extensions import TypedDict

    from agents.schema import EmotionReading
    from memory.checkpoints import delete_turn_checkpoints, open_checkpointer

    class State(TypedDict):
        emotion: EmotionReading

    graph = StateGraph(State)
    graph.add_node("read", lambda s: {"emotion": s["emotion"]})
    graph.add_edge(START, "read")
    graph.add_edge("read", END)
    where = location if isinstance(location, str) else tmp_path / "checkpoints.sqlite"
    saver = open_checkpointer(where, [EmotionReading])
    app = graph.compile(checkpointer=saver)
    reading = EmotionReading(label="lonely", type="explicit", cause="a move", confidence=0.8)
    config = {"configurable": {"thread_id": "turn-1"}}
    app.invoke({"emotion": reading}, config)
    assert app.get_state(config).values["emotion"] == reading
    assert len(list(saver.list(config))) >= 2
    delete_turn_checkpoints(saver, ["turn-1"])
    assert list(saver.list(config)) == []


def test_db_upgrade_brings_the_schema_up_to_date_and_refuses_a_newer_one(location, monkeypatch, tmp_path, capsys):
    from ui import cli

    monkeypatch.setenv("EMPATHYEAR_HOME", str(tmp_path / "home"))
    if isinstance(location, str):
        monkeypatch.setenv("EMPATHYEAR_DATABASE_URL", location)
    assert cli.main(["db", "upgrade"]) == 0
    assert f"schema version {LATEST}" in capsys.readouterr().out
    store = Store(location if isinstance(location, str) else tmp_path / "home" / "empathyear.sqlite")
    store.db.write("UPDATE schema_version SET version=?", (LATEST + 1,))
    assert cli.main(["db", "upgrade"]) == 2
    assert "newer than this EmpathyEar knows" in capsys.readouterr().err


def test_rate_limits_are_counted_in_the_database_by_every_store_on_it(location):
    one, two = Store(location), Store(location)
    assert [one.rate_wait_s("turns", "s1", 3), two.rate_wait_s("turns", "s1", 3), one.rate_wait_s("turns", "s1", 3)] == [0, 0, 0]
    assert 1 <= two.rate_wait_s("turns", "s1", 3) <= 20  # the fourth within the minute waits
    assert one.rate_wait_s("turns", "s2", 3) == 0 and one.rate_wait_s("sessions", "s1", 3) == 0
    assert one.rate_wait_s("turns", "s1", 0) == 0  # 0: no limit
    assert "s1" not in str(one.db.read("SELECT bucket FROM rate_buckets"))  # keys are kept as digests


def test_a_shared_database_without_a_shared_media_folder_is_told_at_start(tmp_path):
    import dataclasses

    from settings import Settings
    from ui.server import deployment_warnings

    base = dataclasses.replace(Settings(), home=tmp_path, database_url="", media_dir=None)
    assert deployment_warnings(base) == []
    shared = dataclasses.replace(base, database_url="postgresql://db/empathyear")
    assert "EMPATHYEAR_MEDIA_DIR" in deployment_warnings(shared)[0]
    assert deployment_warnings(dataclasses.replace(shared, media_dir=tmp_path / "media")) == []
