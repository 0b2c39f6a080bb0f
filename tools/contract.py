"""The contract a plugin implements: a tool for a turn, or a backend for one of the media roles.

A plugin is any installed package that names a factory in the entry-point group `empathyear.tools`:

    [project.entry-points."empathyear.tools"]
    breathing = "empathyear_breathing:create"

The factory takes the app's Settings and returns an object with a `role`. Two kinds exist:

**Tools** (`Tool`): name, role, description, `args_schema` (a pydantic model of the arguments),
`capabilities` (flags, below), `invoke(args) -> dict` and the awaitable `ainvoke(args)`. Their roles:
- the media roles the graph calls, one active each: perception, voice_retrieval, speech,
  face_retrieval, talking_face (see each built-in for the arguments it receives and returns);
- `support`: any number of tools a turn may offer beside the reply (a breathing exercise, a resource
  lookup). The embedded policy asks each one's `offer(context)` for the arguments to call it with;
  a chat model that calls tools may call those flagged `llm_callable` itself. Every call also gets
  `out_dir`, the turn's media folder. A support tool returns `text` (added to the reply) and may
  return `audio` (a file it wrote in `out_dir`).

**Backends**: an object whose `role` is one of BACKEND_ROLES and whose `name` the configuration picks
(EMPATHYEAR_SPEECH, EMPATHYEAR_FACE, EMPATHYEAR_ASR, EMPATHYEAR_LLM), implementing that role's
protocol: tools.speech.backend.SpeechBackend, tools.face.backend.TalkingFaceBackend,
tools.perception.listening.SpeechRecognizer or agents.chat_models.ChatModel.

Any tool may also have `warm()`: it loads what its first call would (models, indexes), and the
server calls it for every active tool before it takes the first request.

The contract is checked when a plugin is registered, by the validators of tools.conformance:
`validate_tool` for every tool (in tools.registry.discover, and in tools.support for each support
tool a turn is given), `validate_speech_backend`, `validate_talking_face_backend` and
`validate_speech_recognizer` for a backend a setting names (tools.registry.plugin_backend), and
agents.chat_models.conformance.validate_chat_model for a chat model (graph.backends). A tool that
fails is left out and `empathyear tools` shows why; a backend that fails is not used, and the error
names what it lacks or has wrong.

`BaseTool` gives a tool argument validation and `ainvoke`. LangChain's `BaseTool` also fits the
contract once it has a `role` and `capabilities`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

MEDIA_ROLES = ("perception", "voice_retrieval", "speech", "face_retrieval", "talking_face")
SUPPORT_ROLE = "support"
TOOL_ROLES = (*MEDIA_ROLES, SUPPORT_ROLE)
BACKEND_ROLES = ("speech_backend", "talking_face_backend", "speech_recognition", "chat_model")

# Capability flags a tool may declare.
STREAMS_SPEECH = "streams_speech"  # talking_face: takes a Feed of spoken chunks and renders while speech is made
STREAMS_TEXT = "streams_text"  # speech: takes a Feed of the reply's sentences and speaks while it is written
LLM_CALLABLE = "llm_callable"  # support: a chat model that calls tools may call it
PRODUCES_AUDIO = "produces_audio"
PRODUCES_VIDEO = "produces_video"
CAPABILITIES = frozenset({STREAMS_SPEECH, STREAMS_TEXT, LLM_CALLABLE, PRODUCES_AUDIO, PRODUCES_VIDEO})


class NoArguments(BaseModel):
    model_config = ConfigDict(extra="allow")


@dataclass(frozen=True)
class SupportContext:
    """What a support tool sees of the turn to decide whether to offer itself."""

    message: str
    emotion: str  # one of the 32 labels
    emotion_group: str  # grief, fear, anger, self_conscious, joy, pride or warmth
    scenario: str  # a scene id from the catalogue
    goal: str  # what the reply should achieve


@runtime_checkable
class Tool(Protocol):
    name: str
    role: str
    description: str
    args_schema: type[BaseModel]
    capabilities: frozenset[str]

    def invoke(self, args: dict[str, Any]) -> dict[str, Any]: ...

    async def ainvoke(self, args: dict[str, Any]) -> dict[str, Any]: ...


@runtime_checkable
class SupportTool(Tool, Protocol):
    def offer(self, context: SupportContext) -> dict[str, Any] | None:
        """The arguments to call this tool with in this turn, or None when it does not fit."""
        ...


class BaseTool:
    """Argument checking and an awaitable call for a tool whose work is synchronous."""

    name: ClassVar[str]
    role: ClassVar[str]
    description: ClassVar[str]
    args_schema: ClassVar[type[BaseModel]] = NoArguments
    capabilities: ClassVar[frozenset[str]] = frozenset()

    def arguments(self, args: dict[str, Any]) -> BaseModel:
        """`args` checked against `args_schema`; pydantic's ValidationError names what is wrong."""
        return self.args_schema.model_validate(args)

    def invoke(self, args: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    async def ainvoke(self, args: dict[str, Any]) -> dict[str, Any]:
        return await asyncio.to_thread(self.invoke, args)


def capabilities_of(tool: Any) -> frozenset[str]:
    """A tool's declared flags (none for an object that declares nothing)."""
    return frozenset(getattr(tool, "capabilities", ()) or ())


def function_spec(tool: Any) -> dict[str, Any]:
    """The OpenAI-style function description a chat model sees for a tool it may call."""
    schema = getattr(tool, "args_schema", NoArguments).model_json_schema()
    schema.pop("title", None)
    return {
        "type": "function",
        "function": {"name": tool.name, "description": tool.description, "parameters": schema},
    }
