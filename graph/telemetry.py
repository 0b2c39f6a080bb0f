"""OpenTelemetry spans for turns: a span `empathyear.turn` per turn with a child `empathyear.node <name>`
per node. Spans are made only when an OpenTelemetry SDK tracer provider is configured: the global one
(set by the embedding application or by `opentelemetry-instrument`), or one EmpathyEar installs when
OTEL_TRACES_EXPORTER is `console` (to stderr: stdout carries `chat --json`) or `otlp` (needs
opentelemetry-exporter-otlp-proto-grpc). Otherwise every call here is a no-op.

Attributes: `empathyear.turn_id`, `empathyear.session_id`, `empathyear.node`, `empathyear.duration_ms`,
`empathyear.policy`, `empathyear.fallbacks_count`, `empathyear.warnings_count` and, on the turn,
`empathyear.route` (the nodes it ran, in the order they finished).

User content (the message, transcript and reply on the turn; the prompt and raw LLM output on an agent's
node) is attached only when EMPATHYEAR_OTEL_USER_CONTENT=1 (default: off). It then goes under the prefix
`empathyear.user_content.`, and the span lists those keys in `empathyear.user_content_keys`, so that an
exporter or collector can drop or redact them. Exception messages can quote the user's words (a
validation error shows its input), so without that setting an error records its type and frames only.
Nothing of the user's content is ever logged here.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from settings import Settings

try:  # optional: without OpenTelemetry every call is a no-op
    from opentelemetry import trace
    from opentelemetry.trace import Span, Status, StatusCode
except ImportError:
    trace = None

USER_CONTENT_PREFIX = "empathyear.user_content."
log = logging.getLogger(__name__)


def _exporter(name: str) -> Any | None:
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter(out=sys.stderr)
    if name == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        except ImportError:
            log.warning(
                "OTEL_TRACES_EXPORTER=otlp needs the package opentelemetry-exporter-otlp-proto-grpc; "
                "install it to export EmpathyEar's spans over OTLP"
            )
            return None
        return OTLPSpanExporter()
    return None


def provider_from_environment() -> Any | None:
    """A new SDK provider exporting to what OTEL_TRACES_EXPORTER names (console, otlp), or None."""
    names = [n.strip().lower() for n in os.environ.get("OTEL_TRACES_EXPORTER", "").split(",")]
    exporters = [e for e in map(_exporter, names) if e is not None]
    if not exporters:
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    service = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": "empathyear"}
    provider = TracerProvider(resource=Resource.create(service))
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def configured_provider() -> Any | None:
    """The global SDK provider; else one installed globally from OTEL_TRACES_EXPORTER; else None."""
    if trace is None:
        return None
    try:
        from opentelemetry.sdk.trace import TracerProvider
    except ImportError:
        return None
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return trace.get_tracer_provider()
    provider = provider_from_environment()
    if provider is not None:
        trace.set_tracer_provider(provider)
    return provider


def _ignore(event: dict[str, Any]) -> None:
    pass


class Telemetry:
    """Turn and node spans on `tracer_provider`; None makes every call a no-op."""

    def __init__(self, tracer_provider: Any | None = None, user_content: bool = False):
        self._tracer = tracer_provider.get_tracer("empathyear") if tracer_provider and trace else None
        self.user_content = user_content
        # Nodes run in LangGraph's worker threads, where the turn's context does not follow: each
        # node span finds its parent here, by turn id.
        self._turns: dict[str, Span] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Telemetry:
        """The provider OpenTelemetry's own variables configure; user content as Settings says."""
        return cls(configured_provider(), settings.otel_user_content)

    def start_turn(self, turn_id: str, session_id: str) -> None:
        if self._tracer is None:
            return
        span = self._tracer.start_span(
            "empathyear.turn", attributes={"empathyear.turn_id": turn_id, "empathyear.session_id": session_id}
        )
        with self._lock:
            self._turns[turn_id] = span

    def end_turn(
        self, turn_id: str, state: dict[str, Any] | None = None, timings: dict[str, float] | None = None,
        error: BaseException | None = None,
    ) -> None:  # fmt: skip
        """Ends the turn's span (once: later calls do nothing), with what the turn produced or its error."""
        with self._lock:
            span = self._turns.pop(turn_id, None)
        if span is None:
            return
        if error is not None:
            self._record_error(span, error)
        if state is not None:
            span.set_attributes({
                "empathyear.route": [node for node in timings or {} if node != "total"],
                "empathyear.warnings_count": len(state.get("warnings", [])),
            })  # fmt: skip
            content = {
                "text": state.get("text"),
                "transcript": state.get("transcript"),
                "reply": state.get("response"),
            }
            self._attach_user_content(span, content)
        if timings and "total" in timings:
            span.set_attribute("empathyear.duration_ms", timings["total"])
        span.end()

    @contextmanager
    def node(self, turn_id: str, name: str) -> Iterator[Callable[[dict[str, Any]], None]]:
        """The node's span, a child of its turn's; yields a function that fills it in from the trace event."""
        with self._lock:
            turn_span = self._turns.get(turn_id)
        if turn_span is None:  # no tracing, or a graph run outside TurnRunner
            yield _ignore
            return
        with self._tracer.start_as_current_span(
            f"empathyear.node {name}", context=trace.set_span_in_context(turn_span),
            attributes={"empathyear.turn_id": turn_id, "empathyear.node": name},
            record_exception=False, set_status_on_exception=False,
        ) as span:  # fmt: skip
            try:
                yield lambda event: self._describe_node(span, event)
            except Exception as exc:
                self._record_error(span, exc)
                raise

    def _describe_node(self, span: Span, event: dict[str, Any]) -> None:
        span.set_attributes({
            "empathyear.duration_ms": event["duration_ms"],
            "empathyear.fallbacks_count": len(event.get("fallbacks") or []),
            "empathyear.warnings_count": len(event.get("warnings") or []),
        })  # fmt: skip
        if event.get("policy"):
            span.set_attribute("empathyear.policy", event["policy"])
        self._attach_user_content(
            span, {"prompt": event.get("prompt"), "raw_output": event.get("raw_output")}
        )

    def _attach_user_content(self, span: Span, content: dict[str, str | None]) -> None:
        present = {f"{USER_CONTENT_PREFIX}{k}": v for k, v in content.items() if v is not None}
        if not self.user_content or not present:
            return
        span.set_attributes(present)
        span.set_attribute("empathyear.user_content_keys", sorted(present))

    def _record_error(self, span: Span, error: BaseException) -> None:
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        if self.user_content:
            span.record_exception(error)
        else:
            frames = "".join(traceback.format_tb(error.__traceback__))
            span.record_exception(
                error, {"exception.message": "(withheld: may quote the user)", "exception.stacktrace": frames}
            )
