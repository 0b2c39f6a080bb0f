"""The one interface every chat model implements, and the choice of backend by configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypedDict, runtime_checkable

if TYPE_CHECKING:
    from graph.config import Settings


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


def load_chat_model(settings: Settings) -> ChatModel | None:
    """The configured backend, or None for the embedded (no-LLM) policies."""
    if settings.llm == "embedded":
        return None
    if settings.llm == "openai":
        from agents.chat_models.openai_compatible import OpenAICompatibleChatModel

        return OpenAICompatibleChatModel(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            timeout_s=settings.llm_timeout_s,
        )
    if settings.llm == "transformers":
        from agents.chat_models.transformers_local import TransformersChatModel

        if not settings.llm_path:
            raise ValueError("EMPATHYEAR_LLM=transformers needs EMPATHYEAR_LLM_PATH (a model folder)")
        return TransformersChatModel(settings.llm_path)
    from tools.registry import plugin_backend

    plugin = plugin_backend(settings, "chat_model", settings.llm)
    if plugin is None:
        raise ValueError(
            f"unknown EMPATHYEAR_LLM {settings.llm!r}: use embedded, openai, transformers or an installed "
            "chat_model plugin's name"
        )
    return plugin
