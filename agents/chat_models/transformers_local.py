"""A local model folder through transformers: ChatGLM3-6B via its own chat interface, or any
model that ships a chat template."""

from __future__ import annotations

import threading
from pathlib import Path

from agents.chat_models.base import ChatModelError, Message

MAX_NEW_TOKENS = 512


class TransformersChatModel:
    def __init__(self, path: str | Path, max_new_tokens: int = MAX_NEW_TOKENS):
        self.path = Path(path)
        self.name = f"transformers:{self.path.name}"
        self._max_new_tokens = max_new_tokens
        self._lock = threading.Lock()
        self._loaded: tuple | None = None

    def _load(self):
        with self._lock:
            if self._loaded is None:
                if not self.path.is_dir():
                    raise ChatModelError(f"EMPATHYEAR_LLM_PATH {self.path} is not a model folder")
                import torch
                from transformers import AutoModelForCausalLM, AutoTokenizer

                tokenizer = AutoTokenizer.from_pretrained(self.path, trust_remote_code=True)
                device = "cuda" if torch.cuda.is_available() else "cpu"
                dtype = torch.float16 if device == "cuda" else torch.float32
                model = AutoModelForCausalLM.from_pretrained(
                    self.path, trust_remote_code=True, dtype=dtype
                ).to(device)
                model.eval()
                self._loaded = (tokenizer, model)
        return self._loaded

    def complete(self, messages: list[Message]) -> str:
        try:
            tokenizer, model = self._load()
            # ChatGLM3's remote code brings its own chat() with a role-tagged history.
            if hasattr(model, "chat") and hasattr(tokenizer, "build_chat_input"):
                reply, _ = model.chat(
                    tokenizer, messages[-1]["content"], history=list(messages[:-1]),
                    max_length=8192, do_sample=False,
                )  # fmt: skip
                return reply
            return self._generate(tokenizer, model, messages)
        except ChatModelError:
            raise
        except Exception as exc:  # any failure inside a third-party model is a backend failure
            raise ChatModelError(f"local model {self.path.name} failed: {exc}") from exc

    def _generate(self, tokenizer, model, messages: list[Message]) -> str:
        import torch

        inputs = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(model.device)
        with torch.inference_mode():
            output = model.generate(
                **inputs, max_new_tokens=self._max_new_tokens, do_sample=False,
                pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
            )  # fmt: skip
        new_tokens = output[0, inputs["input_ids"].shape[1] :]
        return tokenizer.decode(new_tokens, skip_special_tokens=True)
