"""Emotion agent: which of the 32 emotions the user feels, whether they said it, and why."""

from __future__ import annotations

import functools
import re
import threading
from pathlib import Path

import numpy as np

from agents.chat_models import ChatModel
from agents.dialogue import Dialogue
from agents.emotion_lexicon import is_feeling_word, named_feelings, strip_feeling_statement
from agents.llm_policy import AgentResult, run_llm_policy
from agents.schema import EmotionReading
from agents.strategies import group_of
from agents.taxonomy import EMOTIONS
from agents.wording import (
    CAUSAL_OPENERS, clauses, clip_words, content_words, sentences, strip_leading_filler,
)  # fmt: skip

ARTIFACT = Path(__file__).parent / "artifacts" / "emotion_head.npz"
MAX_CAUSE_WORDS = 15
MAX_CONTEXT_TURNS = 5


def format_context(context: list[str]) -> str:
    """The classifier's input for an ED-style context (speaker, listener, ..., speaker); the same
    function formats training data, the benchmark and live turns."""
    recent = context[-MAX_CONTEXT_TURNS:]
    if len(recent) % 2 == 0:  # keep the speaker's turns at odd positions
        recent = recent[1:]
    return " ".join(recent[::2])


class EmotionClassifier:
    """The bundled MiniLM encoder with a trained linear head; probabilities are temperature-scaled."""

    def __init__(self, artifact: Path = ARTIFACT):
        self._artifact = artifact
        self._lock = threading.Lock()
        self._head: tuple[np.ndarray, np.ndarray, float, tuple[str, ...]] | None = None

    def _load(self):
        with self._lock:
            if self._head is None:
                data = np.load(self._artifact)
                labels = tuple(str(x) for x in data["labels"])
                if sorted(labels) != sorted(EMOTIONS):
                    raise ValueError(f"{self._artifact} does not cover the 32 emotions")
                weights = data["weights"].astype(np.float32)
                self._head = (weights, data["bias"].astype(np.float32), float(data["temperature"]), labels)
        return self._head

    def predict(self, contexts: list[list[str]]) -> list[list[tuple[str, float]]]:
        """Every label with its probability, best first, for each context."""
        from agents.encoder import embed

        weights, bias, temperature, labels = self._load()
        logits = embed([format_context(c) for c in contexts]) @ weights.T + bias
        logits = logits / temperature
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        ranked = []
        for row in probs:
            order = np.argsort(-row)
            ranked.append([(labels[i], float(row[i])) for i in order])
        return ranked


@functools.lru_cache(maxsize=1)
def default_classifier() -> EmotionClassifier:
    return EmotionClassifier()


def _has_substance(text: str) -> bool:
    return any(not is_feeling_word(w) for w in content_words(text))


def _drop_feeling_tail(clause: str) -> str:
    """'traffic was horrible and was so frustrating' -> 'traffic was horrible'."""
    parts = re.split(r"\s+(?=(?:and|but)\s)", clause)
    while len(parts) > 1 and not _has_substance(parts[-1]):
        parts.pop()
    return " ".join(parts)


def find_cause(message: str) -> str:
    """The part of the user's own words that most likely triggers the feeling: a clause opened by
    'because', 'when', ... if there is one, otherwise the clause with the most content words."""
    best, best_score = "", float("-inf")
    for sentence in sentences(message):
        for clause in clauses(sentence):
            core = _drop_feeling_tail(strip_feeling_statement(strip_leading_filler(clause)))
            substance = [w for w in content_words(core) if not is_feeling_word(w)]
            if not substance:
                continue
            score = len(substance) + (3 if clause.lower().startswith(CAUSAL_OPENERS) else 0)
            if score > best_score:
                best, best_score = core, score
    if not best:
        best = strip_leading_filler(message.strip(" .!?")) or message.strip()
    return clip_words(best, MAX_CAUSE_WORDS)


def cause_clause(message: str, cause: str) -> str:
    """The whole clause around a cause, which reads as a sentence even when the cause itself is a
    bare noun phrase ("the thunderstorm tonight" -> "I am so scared of the thunderstorm tonight")."""
    for sentence in sentences(message):
        for clause in clauses(sentence):
            core = _drop_feeling_tail(strip_leading_filler(clause))
            if cause.lower() in core.lower():
                return clip_words(core, MAX_CAUSE_WORDS + 5)
    return cause


def _is_users_words(dialogue: Dialogue):
    said = " ".join(" ".join(t.lower().split()) for t in dialogue.user_turns)

    def check(cause: object) -> bool:
        text = " ".join(str(cause).lower().strip(" .!?\"'").split())
        return bool(text) and text in said and len(text.split()) <= MAX_CAUSE_WORDS + 5

    return check


class EmotionAgent:
    def __init__(self, chat_model: ChatModel | None = None, classifier: EmotionClassifier | None = None):
        self._chat_model = chat_model
        self._classifier = classifier or default_classifier()

    def run(self, dialogue: Dialogue) -> AgentResult[EmotionReading]:
        embedded = self.embedded(dialogue)
        if self._chat_model is None:
            return embedded
        top = ", ".join(f"{a['label']} ({a['probability']:.2f})" for a in embedded.details["alternatives"])
        variables = {"dialogue": dialogue.transcript(), "candidates": top, "emotions": ", ".join(EMOTIONS)}
        return run_llm_policy(
            self._chat_model, "emotion", variables, embedded, {"cause": _is_users_words(dialogue)}
        )

    def embedded(self, dialogue: Dialogue) -> AgentResult[EmotionReading]:
        ranked = self._classifier.predict([dialogue.ed_context()])[0]
        label, confidence = ranked[0]
        named = named_feelings(dialogue.message)
        # A named feeling of the same family counts: "scared" names terrified, "mad" furious.
        explicit = any(group_of(n) == group_of(label) for n in named)
        reading = EmotionReading(
            label=label,
            type="explicit" if explicit else "implicit",
            cause=find_cause(dialogue.message),
            confidence=round(confidence, 4),
        )
        alternatives = [{"label": lbl, "probability": round(p, 4)} for lbl, p in ranked[:3]]
        return AgentResult(reading, details={"alternatives": alternatives, "named": sorted(named)})
