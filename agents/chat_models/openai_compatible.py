"""Any server speaking the OpenAI chat-completions protocol: vLLM, llama.cpp server, Ollama, ..."""

from __future__ import annotations

import httpx

from agents.chat_models.base import ChatModelError, Message


class OpenAICompatibleChatModel:
    def __init__(self, base_url: str, model: str, api_key: str = "", timeout_s: float = 60.0):
        self.name = f"openai:{model}"
        self._model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s)

    def complete(self, messages: list[Message]) -> str:
        payload = {"model": self._model, "messages": messages, "temperature": 0.7, "max_tokens": 600}
        try:
            reply = self._client.post("/chat/completions", json=payload)
            reply.raise_for_status()
            return reply.json()["choices"][0]["message"]["content"] or ""
        except httpx.HTTPError as exc:
            raise ChatModelError(f"chat server at {self._client.base_url} failed: {exc}") from exc
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ChatModelError("chat server answered without a chat completion") from exc
