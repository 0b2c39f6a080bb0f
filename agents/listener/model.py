"""The trained listener at run time: SmolLM2-135M-Instruct with its LoRA adapter merged in, loaded
once. It writes a few candidates side by side up to their first sentence, a reranker picks one
(agents.listener.choose), and only that one is written on, each sentence handed on as it is done.

Decoding on two CPU cores is bound by per-step overhead, not arithmetic, so a batch of candidates
costs little more than one."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agents.listener.prompt import chat_text

ADAPTER = Path(__file__).resolve().parent.parent / "artifacts" / "listener_lora.npz"
MAX_NEW_TOKENS = 48
MAX_SENTENCES = 3
TEMPERATURE, TOP_P = 0.7, 0.9


@dataclass
class Candidate:
    text: str
    mean_logprob: float


class ListenerUnavailable(RuntimeError):
    """The base model or the adapter is missing."""


class TrainedListener:
    def __init__(self, adapter: Path = ADAPTER, threads: int | None = None):
        self.adapter = adapter
        self.threads = threads
        self._model = None
        self._tokenizer = None
        self._end_ids: set[int] = set()
        self._lock = threading.Lock()  # one generation at a time: the two cores are shared
        self.load_s: float | None = None

    def load(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            started = time.perf_counter()
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            from agents.listener.lora import merge
            from agents.registry_models import ModelMissing, smollm_path

            if not self.adapter.exists():
                raise ListenerUnavailable(f"the listener adapter {self.adapter.name} is missing: run `make train-listener`")
            try:
                base = smollm_path()
            except ModelMissing as exc:
                raise ListenerUnavailable(str(exc)) from exc
            if self.threads:
                torch.set_num_threads(self.threads)
            tokenizer = AutoTokenizer.from_pretrained(base)
            model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
            with np.load(self.adapter) as arrays:
                merge(model, dict(arrays))
            model.eval()
            self._end_ids = {tokenizer.convert_tokens_to_ids("<|im_end|>"), tokenizer.eos_token_id}
            self._tokenizer, self._model = tokenizer, model
            self.load_s = round(time.perf_counter() - started, 3)

    @staticmethod
    def _seed(turns: list[str], emotion: str) -> int:
        """The same message in the same conversation is answered the same way."""
        key = "\x1f".join([emotion, *turns]).encode("utf-8")
        return int.from_bytes(hashlib.sha256(key).digest()[:8], "big")

    def write(
        self, turns: list[str], emotion: str, opening: Callable[[list[Candidate]], int | None],
        accept: Callable[[str], str | None], on_sentence: Callable[[str], None] | None = None, n: int = 3,
    ) -> tuple[list[Candidate], str | None]:  # fmt: skip
        """Writes `n` candidates side by side until each has its opening (a first whole sentence of
        at least four words, or its end); `opening` picks one of them (None: none will do). Only that
        one is written on. `accept` gives each sentence's spoken form, or None to refuse it; each
        accepted sentence goes to `on_sentence` as soon as it is whole, the opening first, and the
        first refused one ends the reply. Returns the candidates' openings and the reply (None when
        no opening was picked)."""
        import torch
        from transformers import DynamicCache

        self.load()
        tokenizer, model = self._tokenizer, self._model
        prompt = tokenizer(chat_text(turns, emotion), return_tensors="pt", add_special_tokens=False).input_ids
        generator = torch.Generator().manual_seed(self._seed(turns, emotion) % (2**63))
        tokens: list[list[int]] = [[] for _ in range(n)]
        logprob = [0.0] * n
        ended = [False] * n

        def text(i: int) -> str:
            return tokenizer.decode(tokens[i])

        def has_opening(i: int) -> bool:
            return ended[i] or opening_of(text(i)) is not None

        with self._lock, torch.inference_mode():
            cache = DynamicCache()
            logits = model(input_ids=prompt, past_key_values=cache, use_cache=True).logits[:, -1]
            cache.batch_repeat_interleave(n)
            logits = logits.repeat(n, 1)
            rows = list(range(n))  # the candidates still written, by their row in the cache
            chosen = None
            for _ in range(MAX_NEW_TOKENS):
                picked, logprobs = self._sample(logits, generator)
                for row, i in enumerate(rows):
                    token = int(picked[row])
                    if ended[i]:
                        continue
                    if token in self._end_ids:
                        ended[i] = True
                    else:
                        tokens[i].append(token)
                        logprob[i] += float(logprobs[row, token])
                if chosen is None and all(has_opening(i) for i in rows):
                    openings = [Candidate(opening_of(text(i)) or text(i).strip(), logprob[i] / max(1, len(tokens[i])))
                                for i in range(n)]  # fmt: skip
                    chosen = opening(openings)
                    if chosen is None:
                        return openings, None
                    cache.batch_select_indices(torch.tensor([chosen]))
                    picked = picked[chosen : chosen + 1]
                    rows = [chosen]
                    spoken = Reply(on_sentence, accept)
                if chosen is not None and (spoken.take(text(chosen), ended[chosen]) or ended[chosen]):
                    break
                if all(ended[i] for i in rows):
                    break
                logits = model(input_ids=picked, past_key_values=cache, use_cache=True).logits[:, -1]
            if chosen is None:  # the token budget ran out before every candidate had an opening
                openings = [Candidate(text(i).strip(), logprob[i] / max(1, len(tokens[i]))) for i in range(n)]
                chosen = opening(openings)
                if chosen is None:
                    return openings, None
                spoken = Reply(on_sentence, accept)
            spoken.take(text(chosen), ended[chosen])  # words cut off by the token budget are dropped
        return openings, spoken.text()

    @staticmethod
    def _sample(logits, generator):
        """Nucleus sampling, one token per row, with the rows' log-probabilities."""
        import torch

        logprobs = torch.log_softmax(logits.float() / TEMPERATURE, -1)
        ordered, order = logprobs.exp().sort(-1, descending=True)
        ordered = ordered * (ordered.cumsum(-1) - ordered < TOP_P)
        return order.gather(-1, torch.multinomial(ordered, 1, generator=generator)), logprobs


def opening_end(text: str) -> int | None:
    """Where the leading whole sentences of `text` end once they hold at least four words (a clause
    worth speaking first, not an interjection); None before that."""
    for match in _SENTENCE_END.finditer(text):
        if len(text[: match.end()].split()) >= 4:
            return match.end()
    return None


def opening_of(text: str) -> str | None:
    end = opening_end(text)
    return text[:end].strip() if end else None


_SENTENCE_END = re.compile(r"[.!?]+(?=\s)|\n")


class Reply:
    """The chosen candidate's sentences, each checked and handed on as soon as it is whole."""

    def __init__(self, on_sentence: Callable[[str], None] | None, accept: Callable[[str], str | None]):
        self._on_sentence = on_sentence
        self._accept = accept
        self._sentences: list[str] = []
        self._used = 0  # characters of the candidate's text already taken
        self._stopped = False

    def take(self, text: str, finished: bool) -> bool:
        """Takes the sentences completed in `text` (and its last words when the model `finished`
        there); True once the reply is over: a refused sentence, a new line (the model writing the
        other side of the conversation), or three sentences."""
        while not self._stopped:
            rest = text[self._used :]
            if self._sentences:
                match = _SENTENCE_END.search(rest)
                end = match.end() if match else None
            else:  # the first piece handed on is the opening, which may be two short sentences
                end = opening_end(rest)
            if end is None:
                if not (finished and rest.strip()):
                    break
                end = len(rest)
            piece = rest[:end]
            self._used += end
            accepted = self._accept(piece.strip()) if piece.strip() else None
            if accepted is None:
                self._stopped = True
                break
            self._sentences.append(accepted)
            if self._on_sentence is not None:
                self._on_sentence(accepted)
            if piece.endswith("\n") or len(self._sentences) >= MAX_SENTENCES:
                self._stopped = True
        return self._stopped

    def text(self) -> str | None:
        return " ".join(self._sentences) or None
