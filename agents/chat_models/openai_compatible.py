"""Any server speaking the OpenAI chat-completions protocol: vLLM, llama.cpp server, Ollama, ..."""

from __future__ import annotations

import json

import httpx

from agents.chat_models.base import ChatModelError, Message, ToolCall


class OpenAICompatibleChatModel:
    def __init__(self, base_url: str, model: str, api_key: str = "", timeout_s: float = 60.0):
        self.name = f"openai:{model}"
        self._model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s)

    def complete(self, messages: list[Message]) -> str:
        return self.complete_with_tools(messages, [])[0]

    def complete_with_tools(self, messages: list[Message], tools: list[dict]) -> tuple[str, list[ToolCall]]:
        """The reply and the tools the model chose to call (OpenAI function calling; servers such as
        vLLM and Ollama support it for models trained to call tools)."""
        payload = {"model": self._model, "messages": messages, "temperature": 0.7, "max_tokens": 600}
        if tools:
            payload["tools"] = tools
        try:
            reply = self._client.post("/chat/completions", json=payload)
            if tools and reply.status_code in (400, 422):
                # A server or model without tool support refuses the request; the reply still counts.
                payload.pop("tools")
                reply = self._client.post("/chat/completions", json=payload)
            reply.raise_for_status()
            message = reply.json()["choices"][0]["message"]
            calls = [
                ToolCall(name=c["function"]["name"], arguments=_arguments(c["function"].get("arguments")))
                for c in message.get("tool_calls") or []
            ]
            return message.get("content") or "", calls
        except httpx.HTTPError as exc:
            raise ChatModelError(f"chat server at {self._client.base_url} failed: {exc}") from exc
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ChatModelError("chat server answered without a chat completion") from exc


def _arguments(raw: object) -> dict:
    """Function-call arguments arrive as a JSON string (or, from some servers, an object)."""
    value = json.loads(raw) if isinstance(raw, str) and raw.strip() else raw or {}
    if not isinstance(value, dict):
        raise ValueError("tool-call arguments are not an object")
    return value
