"""Replaying a recorded turn with an edited prompt or another chat model, from its checkpoint."""

import json

import pytest

from agents.llm_policy import PROMPTS_DIR
from graph.runner import TurnRunner
from memory.checkpoints import open_checkpointer
from settings import Settings
from tests.llm_server import BRIEF, BRIEF_INSTRUCTION, GOOD, serve
from ui import cli

MESSAGE = "Today traffic was horrible and was so frustrating!"


@pytest.fixture
def llm_turn(home, monkeypatch):
    """A turn answered by a chat model, and the server, still running, for the replays."""
    with serve("good") as (server, url):
        monkeypatch.setenv("EMPATHYEAR_LLM", "openai")
        monkeypatch.setenv("EMPATHYEAR_LLM_BASE_URL", url)
        runner = TurnRunner(Settings())
        result = runner.run(runner.request(text=MESSAGE, want_speech=False))
        yield runner, result, server


def replay(capsys, *args):
    code = cli.main(["replay", *args])
    captured = capsys.readouterr()
    return code, captured


def checkpoints(turn_id):
    saver = open_checkpointer(Settings().checkpoints)
    return len(list(saver.list({"configurable": {"thread_id": turn_id}})))


def test_an_edited_responder_prompt_changes_the_reply_and_nothing_upstream(llm_turn, capsys, tmp_path):
    runner, result, _ = llm_turn
    edited = tmp_path / "response.txt"
    edited.write_text((PROMPTS_DIR / "response.txt").read_text() + f"\n{BRIEF_INSTRUCTION}\n")
    before = (
        runner.store.turns(result["session"]),
        runner.store.trace(result["turn"]),
        checkpoints(result["turn"]),
    )

    code, out = replay(capsys, result["turn"], "--prompt", f"responder={edited}", "--json")
    assert code == 0, out.err
    outcome = json.loads(out.out)
    assert outcome["restarted_at"] == "responder"
    assert [row["field"] for row in outcome["diff"]] == ["response"]
    assert outcome["old"]["response"] == GOOD["You are EmpathyEar"]["response"]
    assert outcome["new"]["response"] == BRIEF["response"]
    assert {"emotion.label", "emotion.cause", "scene.scenario", "scene.goal", "profile.timbre"} <= set(
        outcome["unchanged"]
    )
    replayed = [e["node"] for e in outcome["trace"]]
    assert replayed[0] == "responder" and "emotion" not in replayed
    responder = next(e for e in outcome["trace"] if e["node"] == "responder")
    assert BRIEF_INSTRUCTION in responder["prompt"]
    # The original session is as it was: turns, trace and checkpoints.
    after = (
        runner.store.turns(result["session"]),
        runner.store.trace(result["turn"]),
        checkpoints(result["turn"]),
    )
    assert after == before


def test_the_text_report_sets_old_and_new_side_by_side(llm_turn, capsys, tmp_path):
    _, result, _ = llm_turn
    edited = tmp_path / "response.txt"
    edited.write_text((PROMPTS_DIR / "response.txt").read_text() + f"\n{BRIEF_INSTRUCTION}\n")
    code, out = replay(capsys, result["turn"], "--prompt", f"responder={edited}")
    assert code == 0
    row = next(line for line in out.out.splitlines() if line.startswith("response "))
    assert "LLM: Gridlock" in row and "LLM: That sounds exhausting" in row


def test_another_chat_model_replays_every_agent(llm_turn, capsys):
    _, result, _ = llm_turn
    code, out = replay(capsys, result["turn"], "--llm", "embedded", "--json")
    assert code == 0, out.err
    outcome = json.loads(out.out)
    assert outcome["restarted_at"] == "emotion" and outcome["change"]["chat_model"] == "embedded"
    changed = {row["field"] for row in outcome["diff"]}
    assert "response" in changed and "scene.rationale" in changed  # the LLM's own wording is gone


def test_replays_that_cannot_run_say_why(llm_turn, capsys, tmp_path, monkeypatch):
    _, result, _ = llm_turn
    edited = tmp_path / "response.txt"
    edited.write_text("anything")
    code, out = replay(capsys, result["turn"], "--prompt", f"responder={edited}", "--llm", "embedded")
    assert code == 2 and "without a chat model" in out.err
    code, out = replay(capsys, "nope", "--prompt", f"responder={edited}")
    assert code == 2 and "no turn" in out.err
    code, out = replay(capsys, result["turn"], "--prompt", f"narrator={edited}")
    assert code == 2 and "AGENT=FILE" in out.err
