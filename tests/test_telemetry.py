"""OpenTelemetry spans: a turn span with a child per node, user content only when asked for."""

import logging
import sys

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agents.chat_models.openai_compatible import OpenAICompatibleChatModel
from graph.runner import TurnFailed, TurnRunner
from graph.telemetry import USER_CONTENT_PREFIX, Telemetry, configured_provider, provider_from_environment
from settings import Settings
from tests.llm_server import serve

MESSAGE = "My grandmother's old violin finally came back from the repair shop!"


@pytest.fixture
def exported(monkeypatch):
    """Spans go to a provider of the test's own, never the process-wide one (which is set once)."""
    monkeypatch.delenv("EMPATHYEAR_OTEL_USER_CONTENT", raising=False)
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def _turn_and_nodes(exporter, result):
    spans = exporter.get_finished_spans()
    (turn,) = [s for s in spans if s.name == "empathyear.turn"]
    nodes = {s.name.removeprefix("empathyear.node "): s for s in spans if s is not turn}
    assert set(nodes) == set(result["timings_ms"]) - {"total"}
    for span in nodes.values():
        assert span.parent.span_id == turn.context.span_id
        assert span.context.trace_id == turn.context.trace_id
        assert span.attributes["empathyear.turn_id"] == result["turn"]
    assert turn.attributes["empathyear.session_id"] == result["session"]
    return turn, nodes


def _user_content(span):
    return {
        k for k in span.attributes if k.startswith(USER_CONTENT_PREFIX) or k == "empathyear.user_content_keys"
    }


@pytest.mark.parametrize("want_speech", [False, True])
def test_each_node_is_a_child_of_the_turn_span(home, exported, caplog, want_speech):
    provider, exporter = exported
    runner = TurnRunner(Settings(), chat_model=None, telemetry=Telemetry(provider))
    with caplog.at_level(logging.DEBUG):
        result = runner.run(runner.request(text=MESSAGE, want_speech=want_speech))
    turn, nodes = _turn_and_nodes(exporter, result)
    if want_speech:  # the media steps run in LangGraph's worker threads, side by side
        assert {"retrieve_voice", "retrieve_face", "synthesize_speech", "animate_face"} <= set(nodes)
    route = turn.attributes["empathyear.route"]
    assert route[0] == "intake" and route[-1] == "remember" and set(route) == set(nodes)
    assert turn.attributes["empathyear.duration_ms"] == result["timings_ms"]["total"]
    emotion = nodes["emotion"].attributes
    assert emotion["empathyear.policy"] == "embedded" and emotion["empathyear.fallbacks_count"] == 0
    assert nodes["emotion"].attributes["empathyear.duration_ms"] == result["timings_ms"]["emotion"]
    assert all(not _user_content(s) for s in [turn, *nodes.values()])
    assert MESSAGE not in caplog.text and "violin" not in caplog.text


def test_user_content_is_attached_marked_only_when_asked_for(home, exported, caplog, monkeypatch):
    monkeypatch.setenv("EMPATHYEAR_OTEL_USER_CONTENT", "1")
    provider, exporter = exported
    with serve("good") as (_, url):
        runner = TurnRunner(
            Settings(), chat_model=OpenAICompatibleChatModel(url, "tiny"),
            telemetry=Telemetry(provider, Settings().otel_user_content),
        )
        with caplog.at_level(logging.DEBUG):
            result = runner.run(runner.request(text=MESSAGE, want_speech=False))
    turn, nodes = _turn_and_nodes(exporter, result)
    assert turn.attributes[f"{USER_CONTENT_PREFIX}text"] == MESSAGE
    assert turn.attributes[f"{USER_CONTENT_PREFIX}reply"] == result["meta"]["response"]
    assert set(turn.attributes["empathyear.user_content_keys"]) == _user_content(turn) - {
        "empathyear.user_content_keys"
    }
    emotion = nodes["emotion"].attributes
    assert emotion["empathyear.policy"] == "llm"
    assert MESSAGE in emotion[f"{USER_CONTENT_PREFIX}prompt"]
    assert set(emotion["empathyear.user_content_keys"]) == {
        f"{USER_CONTENT_PREFIX}prompt", f"{USER_CONTENT_PREFIX}raw_output"
    }  # fmt: skip
    assert not _user_content(nodes["intake"])
    assert MESSAGE not in caplog.text and "violin" not in caplog.text


def test_a_failed_turn_ends_its_span_with_the_error(home, exported):
    provider, exporter = exported
    runner = TurnRunner(Settings(), chat_model=None, telemetry=Telemetry(provider))

    def broken(*args, **kwargs):
        raise RuntimeError(f"scene index is corrupt near {MESSAGE!r}")

    runner.agents.scene.run = broken
    with pytest.raises(TurnFailed):
        runner.run(runner.request(text=MESSAGE, want_speech=False))
    spans = {s.name: s for s in exporter.get_finished_spans()}
    for name in ("empathyear.turn", "empathyear.node scene"):
        assert spans[name].status.status_code == trace.StatusCode.ERROR
        (event,) = spans[name].events
        assert event.attributes["exception.type"] == "RuntimeError"
        assert "violin" not in str(dict(event.attributes))  # the message can quote the user


def test_without_a_provider_turns_run_and_nothing_is_exported(runner, monkeypatch):
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)
    assert configured_provider() is None
    result = runner.run(runner.request(text=MESSAGE, want_speech=False))
    assert result["meta"]["response"]
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)  # nothing was installed


def test_an_embedding_applications_provider_is_used(home, exported, monkeypatch):
    provider, exporter = exported
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    result = TurnRunner(Settings(), chat_model=None).run(TurnRunner.request(text=MESSAGE, want_speech=False))
    _turn_and_nodes(exporter, result)


def test_the_exporter_is_chosen_by_the_standard_variable(monkeypatch, caplog):
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    provider = provider_from_environment()
    assert isinstance(provider, TracerProvider)
    provider.shutdown()
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert provider_from_environment() is None
    # Without the OTLP exporter package: a clear warning, and no provider.
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.grpc.trace_exporter", None)
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    assert provider_from_environment() is None
    assert "opentelemetry-exporter-otlp-proto-grpc" in caplog.text
