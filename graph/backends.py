"""The chat model the app is built with, chosen from the settings: a built-in backend (one file each
in agents.chat_models) or a plugin's. It sits above agents and tools because a plugin backend comes
through the tools' registry."""

from __future__ import annotations

from agents.chat_models import ChatModel
from settings import Settings
from tools.registry import plugin_backend


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
    plugin = plugin_backend(settings, "chat_model", settings.llm)
    if plugin is None:
        raise ValueError(
            f"unknown EMPATHYEAR_LLM {settings.llm!r}: use embedded, openai, transformers or an installed "
            "chat_model plugin's name"
        )
    return plugin
