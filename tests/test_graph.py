import dataclasses
import json
import os
from pathlib import Path

import pytest

from agents.safety import CrisisSignal
from agents.schema import AvatarProfile, EmotionReading, MetaResponse, SceneReading
from graph.runner import InputError, TurnFailed, TurnRunner
from graph.state import STATE_TYPES, typed
from settings import Settings
from tests.conftest import ROOT

SNAPSHOT = ROOT / "tests" / "snapshots" / "turn_graph.mmd"


def test_graph_drawing_matches_the_snapshot(runner):
    drawing = runner.graph.get_graph().draw_mermaid()
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(drawing)
    assert drawing == SNAPSHOT.read_text(), "routing changed: review it, then UPDATE_SNAPSHOTS=1"
    architecture = SNAPSHOT.parents[2] / "docs" / "architecture.md"
    assert drawing.strip() in architecture.read_text(), "docs/architecture.md shows an older drawing of the graph"


def test_a_text_turn_visits_the_text_route_and_returns_the_contract(runner):
    events = list(runner.stream(runner.request(text="I passed my driving test today!")))
    nodes = [e["node"] for e in events if e["event"] == "node"]
    # The voice and face are found side by side; then the reply is written, spoken and animated
    # side by side, and its support follows the reply.
    assert nodes[:4] == ["intake", "emotion", "scene", "profile"]
    assert set(nodes[4:6]) == {"retrieve_voice", "retrieve_face"}
    assert set(nodes[6:9]) == {"responder", "synthesize_speech", "animate_face"}
    assert nodes[9:] == ["support", "remember"]
    result = events[-1]["result"]
    MetaResponse.model_validate(result["meta"])
    assert set(result) == {
        "session", "turn", "input", "meta", "perception", "crisis", "support", "voice", "speech", "face", "video",
        "timings_ms", "warnings",
    }  # fmt: skip
    assert result["input"] == {"text": "I passed my driving test today!", "transcript": None}
    assert result["crisis"] is None
    assert set(result["timings_ms"]) >= set(nodes) | {"total"}
    assert result["voice"]["gender"] == result["meta"]["profile"]["gender"]
    assert Path(result["speech"]).is_file()
    streamed = [e["chunk"] for e in events if e["event"] == "speech_chunk"]
    assert streamed and streamed[-1].last
    assert Path(result["video"]).is_file() and result["face"]["gender"] == result["voice"]["gender"]
    assert result["warnings"] == []


def test_no_speech_skips_every_media_step(runner):
    result = runner.run(runner.request(text="My sister got engaged!", want_speech=False))
    assert "retrieve_voice" not in result["timings_ms"]
    assert result["speech"] is None and result["video"] is None and result["warnings"] == []


class FakeTool:
    """Stands behind the media-tool interface the real backends implement."""

    def __init__(self, role, produce, name="fake"):
        self.role, self.name, self.produce, self.calls = role, name, produce, []

    def invoke(self, args):
        self.calls.append(args)
        return self.produce(args)


def _write(name):
    def produce(args):
        path = Path(args["out_dir"]) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"media")
        return {"speech" if name.endswith(".wav") else "video": str(path)}

    return produce


def _fake_tools():
    return [
        FakeTool("voice_retrieval", lambda a: {"voice": {"id": "v1", "why": "soft female"}}),
        FakeTool("speech", _write("reply.wav")),
        FakeTool("face_retrieval", lambda a: {"face": {"id": "f1"}}),
        FakeTool("talking_face", _write("reply.mp4")),
    ]


def test_tool_nodes_call_the_installed_backends(home, tmp_path):
    tools = _fake_tools()
    runner = TurnRunner(Settings(), chat_model=None, tools=tools)
    result = runner.run(
        runner.request(text="I miss my dad so much.", out_dir=tmp_path / "out", want_video=True)
    )
    assert result["speech"] == str(tmp_path / "out" / "reply.wav")
    assert result["video"] == str(tmp_path / "out" / "reply.mp4")
    assert tools[1].calls[0]["voice"] == {"id": "v1", "why": "soft female"}
    assert tools[1].calls[0]["text"] == result["meta"]["response"]
    assert result["warnings"] == []


def test_no_video_stops_after_speech(home, tmp_path):
    runner = TurnRunner(Settings(), chat_model=None, tools=_fake_tools())
    result = runner.run(runner.request(text="I miss my dad so much.", out_dir=tmp_path, want_video=False))
    assert result["speech"] and result["video"] is None
    assert "retrieve_face" not in result["timings_ms"]


def test_a_failing_speech_step_still_returns_the_text(home, tmp_path):
    def explode(args):
        raise RuntimeError("synthesizer crashed")

    tools = _fake_tools()
    tools[1] = FakeTool("speech", explode)
    runner = TurnRunner(Settings(), chat_model=None, tools=tools)
    result = runner.run(runner.request(text="I lost my keys again.", out_dir=tmp_path))
    assert result["meta"]["response"] and result["speech"] is None and result["video"] is None
    assert "speech synthesis failed; the reply is text only" in result["warnings"]


def test_second_turn_reads_the_first(runner):
    first = runner.run(
        runner.request(
            text="Today traffic was horrible and was so frustrating!", session_id="S1", want_speech=False
        )
    )
    second = runner.run(
        runner.request(text="It happened again this morning.", session_id="S1", want_speech=False)
    )
    assert second["session"] == first["session"] == "S1"
    assert second["meta"]["scene"]["scenario"] == "stuck-in-traffic"
    emotion_event = next(e for e in runner.store.trace(second["turn"]) if e["node"] == "emotion")
    assert emotion_event["inputs"]["history_turns"] == 2
    assert [t["seq"] for t in runner.store.turns("S1")] == [1, 2]


def test_trace_has_every_node_with_timings(runner):
    result = runner.run(runner.request(text="I finally finished my thesis!", want_speech=False))
    trace = runner.store.trace(result["turn"])
    assert [e["node"] for e in trace] == ["intake", "emotion", "scene", "profile", "responder", "support", "remember"]
    for event in trace:
        assert event["duration_ms"] >= 0 and event["started_at"]
    assert trace[1]["alternatives"][0]["label"] == result["meta"]["emotion"]["label"]


def test_the_state_holds_the_readings_as_their_models_and_nodes_timings_only_in_the_trace(runner):
    events = list(runner.stream(runner.request(text="My brother forgot my birthday again.", want_speech=False)))
    result = events[-1]["result"]
    state = runner.graph.get_state({"configurable": {"thread_id": result["turn"]}}).values
    assert isinstance(state["emotion"], EmotionReading) and isinstance(state["scene"], SceneReading)
    assert isinstance(state["profile"], AvatarProfile) and state["crisis"] is None
    assert "trace" not in state
    # What leaves the graph is plain JSON, and each node's streamed time is its trace event's.
    json.dumps(result)
    timings = {e["node"]: e["duration_ms"] for e in events if e["event"] == "node"}
    assert timings == runner.store.trace_timings(result["turn"])
    assert all(isinstance(e["update"].get("emotion", {}), dict) for e in events if e["event"] == "node")


@dataclasses.dataclass
class Stranger:
    value: str


def test_a_checkpoint_loads_the_state_types_and_refuses_any_other_class(tmp_path):
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    from memory.checkpoints import open_checkpointer

    reading = EmotionReading(label="sad", type="explicit", cause="a loss", confidence=0.7)
    stored = JsonPlusSerializer().dumps_typed({"emotion": reading, "crisis": CrisisSignal("abuse", "hits me"),
                                               "other": Stranger("anything")})  # fmt: skip
    serde = open_checkpointer(tmp_path / "c.sqlite", STATE_TYPES).serde
    loaded = serde.loads_typed(stored)
    assert loaded["emotion"] == reading and loaded["crisis"] == CrisisSignal("abuse", "hits me")
    assert not isinstance(loaded["other"], Stranger)


def test_state_from_a_checkpoint_of_plain_dicts_reads_as_typed():
    old = {"emotion": {"label": "proud", "type": "explicit", "cause": "a prize", "confidence": 0.9},
           "scene": None, "crisis": {"kind": "suicide", "evidence": "end it"}, "text": "hi"}  # fmt: skip
    values = typed(old)
    assert values["emotion"].label == "proud" and values["crisis"].kind == "suicide"
    assert values["scene"] is None and values["text"] == "hi"


@pytest.mark.parametrize(
    "text, kind",
    [
        ("I want to kill myself, I can't take it anymore.", "suicide"),
        ("I don't want to live anymore.", "suicide"),
        ("I've been cutting myself again.", "self_harm"),
        ("My husband hits me when he drinks and I'm scared to go home.", "abuse"),
        ("I'm going to bring a gun to school tomorrow and make them pay.", "harm_to_others"),
    ],
)
def test_crisis_routes_to_the_safety_responder(runner, text, kind):
    events = list(runner.stream(runner.request(text=text, want_speech=False)))
    nodes = [e["node"] for e in events if e["event"] == "node"]
    assert "safety" in nodes and "scene" not in nodes and "responder" not in nodes
    result = events[-1]["result"]
    assert result["crisis"]["kind"] == kind
    reply = result["meta"]["response"]
    assert "988" in reply and "116 123" in reply and "not a substitute" in reply
    family = "domestic violence support" if kind == "abuse" else "crisis intervention"
    from agents.catalogue import find_scenario

    assert find_scenario(result["meta"]["scene"]["scenario"]).family == family


@pytest.mark.parametrize(
    "text",
    [
        "This exam is killing me.",
        "I could die of embarrassment after that meeting.",
        "I'm dying to see the new Marvel movie!",
        "My boss will kill me if I'm late again.",
        "I killed it at my presentation today!",
    ],
)
def test_figures_of_speech_are_not_a_crisis(runner, text):
    nodes = [
        e["node"] for e in runner.stream(runner.request(text=text, want_speech=False)) if e["event"] == "node"
    ]
    assert "safety" not in nodes and "responder" in nodes


def _crisis_turn_with_resources(content: str, tmp_path, monkeypatch) -> dict:
    resources = tmp_path / "help.json"
    resources.write_text(content)
    monkeypatch.setenv("EMPATHYEAR_CRISIS_RESOURCES", str(resources))
    runner = TurnRunner(Settings(), chat_model=None)
    return runner.run(runner.request(text="I want to end my life.", want_speech=False))


def test_crisis_resources_are_configurable(home, tmp_path, monkeypatch):
    content = '{"intro": "Please call:", "resources": [{"name": "Local line", "contact": "555-0100", "region": "here"}]}'
    result = _crisis_turn_with_resources(content, tmp_path, monkeypatch)
    assert "Local line (here): 555-0100" in result["meta"]["response"]


def test_a_broken_resources_file_still_shows_the_bundled_help(home, tmp_path, monkeypatch):
    result = _crisis_turn_with_resources("{not json", tmp_path, monkeypatch)
    assert "988" in result["meta"]["response"]
    assert any("crisis resources file unusable" in w for w in result["warnings"])


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "\x01", "\x1b\x1b ", "\x7f"])
def test_empty_messages_are_refused_before_anything_is_stored(runner, text):
    with pytest.raises(InputError, match="empty"):
        runner.request(text=text)


def test_a_turn_of_a_session_deleted_while_it_waited_is_not_kept_nor_the_session_remade(runner):
    from graph.runner import SessionGone

    runner.store.open_session("s", "digest")
    request = runner.request(text="My words after the delete.", session_id="s", existing_session=True)
    runner.delete_session("s")  # while the turn waited for its place
    with pytest.raises(SessionGone):
        runner.run(request)
    assert not runner.store.session_exists("s") and runner.store.turns("s") == []


def test_a_failed_lease_renewal_is_tried_again_not_given_up(runner, monkeypatch):
    import time

    calls = []

    def flaky(turn_ids):
        calls.append(turn_ids)
        if len(calls) == 1:
            raise OSError("the database went away for a moment")

    monkeypatch.setattr(runner.store, "lease_s", 0.15)
    monkeypatch.setattr(runner.store, "renew_leases", flaky)
    runner._hold("t-running")
    deadline = time.monotonic() + 10
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    runner._release("t-running")
    assert len(calls) >= 3  # renewal went on after the failure


def test_a_turn_shorter_than_a_renewal_period_still_reclaims_another_process_expired_turn(runner):
    """A replica whose turns all end within a third of a lease must still find a dead replica's turn."""
    import time

    from memory.store import Store

    dead = Store(Settings().database, owner="gone:1")
    dead.begin_turn("t-dead", "s", "My cat ran away.")
    dead.db.write("UPDATE turns SET lease_until=? WHERE id='t-dead'", (time.time() - 1,))
    runner._hold("t-short")
    runner._release("t-short")  # done long before the first renewal would come
    deadline = time.monotonic() + 5
    while runner.store.turn("t-dead")["status"] == "pending" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runner.store.turn("t-dead")["status"] == "interrupted"


def test_bad_session_ids_are_refused(runner):
    with pytest.raises(InputError, match="session_id"):
        runner.request(text="hi", session_id="../../etc")


def test_very_long_messages_are_cut_with_a_warning_and_stored_whole(runner):
    text = "I had a long and tiring day at work. " * 200
    result = runner.run(runner.request(text=text, want_speech=False))
    assert any("longer than 4000 characters" in w for w in result["warnings"])
    assert runner.store.turn(result["turn"])["user_text"] == text
    event = next(e for e in runner.store.trace(result["turn"]) if e["node"] == "emotion")
    assert len(event["inputs"]["message"]) <= 4000


def test_non_english_gets_a_graceful_reply(runner):
    result = runner.run(
        runner.request(text="Hoy el tráfico fue horrible y estoy muy frustrado", want_speech=False)
    )
    assert "English" in result["meta"]["response"]
    assert any("English" in w for w in result["warnings"])


def test_the_users_turn_is_stored_before_a_step_fails(runner):
    def broken(*args, **kwargs):
        raise RuntimeError("scene model crashed")

    runner.agents.scene.run = broken
    with pytest.raises(TurnFailed, match="your message is saved"):
        runner.run(
            runner.request(text="My car broke down on the highway.", session_id="S2", want_speech=False)
        )
    (turn,) = runner.store.turns("S2")
    assert turn["user_text"] == "My car broke down on the highway." and turn["status"] == "failed"


def test_deleting_a_session_erases_everything_derived_from_it(home, tmp_path):
    runner = TurnRunner(Settings(), chat_model=None, tools=_fake_tools())
    result = runner.run(runner.request(text="My hamster died.", session_id="gone"))
    other = runner.run(runner.request(text="I got a puppy!", session_id="kept", want_speech=False))
    assert Path(result["speech"]).exists()
    assert runner.delete_session("gone") == 1
    assert runner.store.turns("gone") == [] and runner.store.trace(result["turn"]) == []
    assert not (home / "media" / "gone").exists()
    assert runner.checkpointer.get_tuple({"configurable": {"thread_id": result["turn"]}}) is None
    assert runner.checkpointer.get_tuple({"configurable": {"thread_id": other["turn"]}}) is not None
    assert len(runner.store.turns("kept")) == 1


def test_a_crisis_at_the_end_of_a_very_long_message_is_still_caught(runner):
    text = "Work has been a lot lately and I keep going over it. " * 90 + "I want to kill myself."
    result = runner.run(runner.request(text=text, want_speech=False))
    assert "988" in result["meta"]["response"]


@pytest.mark.parametrize("text", ["😢" * 201, "我今天很难过因为我的猫死了" * 20, "\udcff broken bytes"])
def test_unusual_text_still_gets_a_reply(runner, text):
    result = runner.run(runner.request(text=text, want_speech=False))
    MetaResponse.model_validate(result["meta"])
    assert len(result["meta"]["emotion"]["cause"]) <= 200


def test_delete_refuses_ids_that_could_escape_the_media_folder(runner):
    for bad in ("/", "..", "../..", "a/b"):
        with pytest.raises(InputError):
            runner.delete_session(bad)


def test_delete_removes_media_written_to_a_chosen_folder(home, tmp_path):
    runner = TurnRunner(Settings(), chat_model=None, tools=_fake_tools())
    result = runner.run(runner.request(text="My hamster died.", session_id="out", out_dir=tmp_path / "mine"))
    assert Path(result["video"]).exists()
    runner.delete_session("out")
    assert not Path(result["speech"]).exists() and not Path(result["video"]).exists()


def test_a_session_keeps_its_voice_and_face_for_a_profile(home, tmp_path):
    from tools import face_library, voice_library

    library, faces = voice_library.create(Settings()), face_library.create(Settings())
    fakes = _fake_tools()
    runner = TurnRunner(Settings(), chat_model=None, tools=[library, fakes[1], faces, fakes[3]])
    asked = {"gender": "male", "age": "elderly", "timbre": "deep"}
    first = runner.run(
        runner.request(
            text="My dog died this morning.", session_id="keep", preferences=asked, out_dir=tmp_path
        )
    )
    second = runner.run(
        runner.request(text="I won the lottery!", session_id="keep", preferences=asked, out_dir=tmp_path)
    )
    assert first["voice"]["gender"] == "male" and "elderly" in first["voice"]["ages"]
    assert (
        second["voice"]["id"] == first["voice"]["id"]
        and second["voice"]["reason"] == voice_library.PINNED_REASON
    )
    assert second["face"]["id"] == first["face"]["id"] and "elderly" in first["face"]["ages"]
    runner.delete_session("keep")
    assert runner.store.pinned_asset("keep", "voice", "male|elderly|deep") is None
    assert runner.store.pinned_asset("keep", "face", "male|elderly|deep") is None


def _files_holding(folder: Path, word: bytes) -> list[str]:
    return [str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and word in p.read_bytes().lower()]


def test_after_a_delete_no_byte_of_the_words_is_left_anywhere_while_the_process_runs(home):
    runner = TurnRunner(Settings(), chat_model=None, tools=_fake_tools())
    for text in ("My hamster Quibbleworth died this morning.", "I keep thinking about Quibbleworth."):
        runner.run(runner.request(text=text, session_id="gone"))
    runner.run(runner.request(text="My parrot Zanzibarro learned a new word!", session_id="kept"))
    assert _files_holding(home, b"quibbleworth") and _files_holding(home, b"zanzibarro")  # the search finds words
    runner.delete_session("gone")
    assert _files_holding(home, b"quibbleworth") == []
    assert _files_holding(home, b"zanzibarro")  # another session's words stay


def test_a_delete_while_a_turn_of_the_session_runs_ends_with_nothing_left(home):
    import threading

    speaking, deleted = threading.Event(), threading.Event()

    def slow_speech(args):
        speaking.set()
        deleted.wait(30)
        return _write("reply.wav")(args)

    tools = _fake_tools()
    tools[1] = FakeTool("speech", slow_speech)
    runner = TurnRunner(Settings(), chat_model=None, tools=tools)
    outcome = []

    def turn():
        try:
            outcome.append(runner.run(runner.request(text="Grumbleflax my goldfish is sick.", session_id="mid")))
        except TurnFailed as exc:
            outcome.append(exc)

    worker = threading.Thread(target=turn)
    worker.start()
    assert speaking.wait(60)
    runner.delete_session("mid")
    deleted.set()
    worker.join(60)
    assert not worker.is_alive() and isinstance(outcome[0], TurnFailed) and "deleted" in str(outcome[0])
    assert _files_holding(home, b"grumbleflax") == []
    assert not (home / "media" / "mid").exists() and runner.store.turns("mid") == []


def test_a_turn_whose_caller_stops_listening_is_marked_interrupted_never_left_pending(home):
    runner = TurnRunner(Settings(), chat_model=None, tools=_fake_tools())
    events = runner.stream(runner.request(text="My brother stopped talking to me.", session_id="left"))
    assert next(events)["event"] == "node"
    events.close()
    (turn,) = runner.store.turns("left")
    assert turn["status"] == "interrupted" and "stopped listening" in turn["error"]
    assert turn["user_text"] == "My brother stopped talking to me."


def test_a_turn_left_pending_by_a_dead_process_is_interrupted_and_its_parts_removed(home):
    import time as clock

    from memory.store import Store

    media = home / "media"
    dead, alive = Store(Settings().database, owner="gone:1"), Store(Settings().database, owner="other:2")
    dead.begin_turn("t-dead", "s", "My cat ran away.", media_dir=str(media / "s" / "t-dead"))
    alive.begin_turn("t-alive", "s", "She came back!", media_dir=str(media / "s" / "t-alive"))
    for turn in ("t-dead", "t-alive"):
        (media / "s" / turn).mkdir(parents=True)
        (media / "s" / turn / "reply.video.frames.mp4").write_bytes(b"partial")
    dead.db.write("UPDATE turns SET lease_until=? WHERE id='t-dead'", (clock.time() - 1,))  # its lease ran out
    TurnRunner(Settings(), chat_model=None, tools=_fake_tools())  # a restart
    turns = {t["id"]: t for t in alive.turns("s")}
    assert turns["t-dead"]["status"] == "interrupted" and turns["t-dead"]["user_text"] == "My cat ran away."
    assert not (media / "s" / "t-dead").exists()
    assert turns["t-alive"]["status"] == "pending" and (media / "s" / "t-alive" / "reply.video.frames.mp4").exists()


def test_bidi_overrides_and_markup_never_reach_the_stored_text_or_the_reply(runner):
    text = "My exam \u202egnorw tnew\u202c went badly <img src=x onerror=alert(1)> and I cried\x07."
    result = runner.run(runner.request(text=text, session_id="marks", want_speech=False))
    (turn,) = runner.store.turns("marks")
    assert not set("\u202e\u202c\x07") & set(turn["user_text"]) and "went badly" in turn["user_text"]
    assert "<" not in result["meta"]["response"] and "onerror" not in result["meta"]["response"]
