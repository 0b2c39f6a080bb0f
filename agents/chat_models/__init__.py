"""Chat-model backends for the agents' LLM policy; one file per backend."""

from agents.chat_models.base import (
    ChatModel,
    ChatModelError,
    Message,
    ToolCall,
    ToolCallingChatModel,
)  # fmt: skip

__all__ = ["ChatModel", "ChatModelError", "Message", "ToolCall", "ToolCallingChatModel"]
