"""The one interface every chat model implements (graph.backends picks one from the settings)."""

from __future__ import annotations

from typing import Protocol, TypedDict, runtime_checkable


class Message(TypedDict):
    role: str  # "system" | "user" | "assistant"
    content: str


class ChatModelError(RuntimeError):
    """The backend could not produce a reply (unreachable, timed out, failed to load)."""


class ToolCall(TypedDict):
    name: str
    arguments: dict


class ChatModel(Protocol):
    name: str

    def complete(self, messages: list[Message]) -> str:
        """The assistant's reply to a conversation, as raw text."""
        ...


@runtime_checkable
class ToolCallingChatModel(ChatModel, Protocol):
    """A chat model that can also call tools, described as OpenAI-style function specs."""

    def complete_with_tools(
        self, messages: list[Message], tools: list[dict]
    ) -> tuple[str, list[ToolCall]]: ...
