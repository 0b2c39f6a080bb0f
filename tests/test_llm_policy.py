import json

import pytest

from agents.chat_models import ChatModelError
from agents.chat_models.openai_compatible import OpenAICompatibleChatModel
from agents.llm_policy import overlay, parse_json_object
from agents.schema import AvatarProfile
from graph.runner import TurnRunner
from settings import Settings
from tests.llm_server import GOOD, serve

MESSAGE = "Today traffic was horrible and was so frustrating!"


@pytest.mark.parametrize(
    "reply",
    [
        '{"label": "sad"}',
        'Sure!\n```json\n{"label": "sad"}\n```\nAnything else?',
        'My answer is {"label": "sad"} - hope that helps',
        '```\n{"label": "sad"}\n```',
    ],
)
def test_json_is_found_inside_fences_and_prose(reply):
    assert parse_json_object(reply) == {"label": "sad"}


@pytest.mark.parametrize("reply", ["", "no json here", "{broken", "[1, 2, 3]"])
def test_garbage_has_no_json_object(reply):
    assert parse_json_object(reply) is None


def test_overlay_keeps_valid_fields_and_falls_back_per_field():
    embedded = AvatarProfile(timbre="soft", gender="female", age="young adults")
    merged, fallbacks = overlay(embedded, {"timbre": "deep", "gender": "robot", "extra": 1})
    assert merged == AvatarProfile(timbre="deep", gender="female", age="young adults")
    assert [f.split(":")[0] for f in fallbacks] == ["gender", "age"]


def test_openai_backend_speaks_the_protocol():
    with serve("good") as (server, url):
        model = OpenAICompatibleChatModel(url, "tiny", api_key="secret")
        reply = model.complete([{"role": "user", "content": "You are the Profile planner"}])
    assert json.loads(reply.split("```json\n")[1].split("```")[0]) == GOOD["Profile planner"]
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer secret"
    assert request["body"]["model"] == "tiny"


def test_openai_backend_errors_are_backend_errors():
    with serve("error") as (_, url):
        with pytest.raises(ChatModelError):
            OpenAICompatibleChatModel(url, "tiny").complete([{"role": "user", "content": "hi"}])


def _runner_on(url, home, monkeypatch) -> TurnRunner:
    monkeypatch.setenv("EMPATHYEAR_LLM", "openai")
    monkeypatch.setenv("EMPATHYEAR_LLM_BASE_URL", url)
    return TurnRunner(Settings())


def test_llm_fields_reach_the_meta_response(home, monkeypatch):
    with serve("good") as (server, url):
        runner = _runner_on(url, home, monkeypatch)
        result = runner.run(runner.request(text=MESSAGE, want_speech=False))
    meta = result["meta"]
    assert meta["emotion"] == GOOD["Emotion agent"]
    assert meta["scene"] == GOOD["Scene agent"]
    assert meta["response"] == GOOD["You are EmpathyEar"]["response"]
    assert meta["profile"] == GOOD["Profile planner"]
    assert len(server.requests) == 4  # the paper's chain: emotion, scene, response, profile
    trace = {e["node"]: e for e in runner.store.trace(result["turn"])}
    assert trace["emotion"]["policy"] == "llm"
    assert "traffic was horrible" in trace["emotion"]["prompt"]
    assert "furious" in trace["emotion"]["raw_output"]
    assert trace["responder"]["fallbacks"] == []


def test_partial_llm_output_falls_back_field_by_field(home, monkeypatch):
    with serve("partial") as (_, url):
        runner = _runner_on(url, home, monkeypatch)
        result = runner.run(runner.request(text=MESSAGE, want_speech=False))
    meta = result["meta"]
    assert meta["emotion"]["type"] == "explicit"  # the LLM's valid field
    assert meta["emotion"]["cause"] == "traffic was horrible"  # invented cause rejected
    assert meta["scene"]["rationale"] == "LLM: partial rationale."
    assert meta["scene"]["scenario"] == "stuck-in-traffic"
    assert "get over it" not in meta["response"]  # an unkind reply never reaches the user
    assert meta["profile"]["timbre"] == "deep" and meta["profile"]["gender"] in {"male", "female"}
    assert any("responder" in w and "response" in w for w in result["warnings"])
    trace = {e["node"]: e for e in runner.store.trace(result["turn"])}
    assert any(f.startswith("label") for f in trace["emotion"]["fallbacks"])


@pytest.mark.parametrize("mode", ["garbage", "error"])
def test_garbage_or_a_dead_server_still_yields_a_valid_turn(home, monkeypatch, mode):
    from agents.schema import MetaResponse

    with serve(mode) as (_, url):
        runner = _runner_on(url, home, monkeypatch)
        result = runner.run(runner.request(text=MESSAGE, want_speech=False))
    MetaResponse.model_validate(result["meta"])
    assert sum("used the embedded policy" in w for w in result["warnings"]) == 4


def test_a_server_that_refuses_tools_is_asked_again_without_them():
    from agents.chat_models.openai_compatible import OpenAICompatibleChatModel

    tools = [{"type": "function", "function": {"name": "breathing", "description": "d", "parameters": {}}}]
    with serve("no-tools") as (server, url):
        text, calls = OpenAICompatibleChatModel(url, "m").complete_with_tools(
            [{"role": "user", "content": "You are EmpathyEar. Say hi."}], tools
        )
    assert "LLM:" in text and calls == []
    assert [bool(r["body"].get("tools")) for r in server.requests] == [True, False]
