"""The embedded emotion classifier: an ensemble of linear heads over different views of the
context (sentence embeddings, word n-grams), each trained on EmpatheticDialogues. Member
log-probabilities are mixed by fixed weights, then temperature-scaled into calibrated
probabilities. Which members exist and how they are mixed is read from the artefact."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agents.tfidf import TfidfFeatures
from vocabulary.taxonomy import EMOTIONS

ARTIFACT = Path(__file__).parent / "artifacts" / "emotion_head.npz"
MAX_CONTEXT_TURNS = 5


def format_context(context: list[str]) -> str:
    """The classifier's input for an ED-style context (speaker, listener, ..., speaker): the
    speaker's turns among the last five utterances. The same function formats training data,
    the benchmark and live turns."""
    recent = context[-MAX_CONTEXT_TURNS:]
    if len(recent) % 2 == 0:  # keep the speaker's turns at even positions
        recent = recent[1:]
    return " ".join(recent[::2])


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def dense_features(encoder: str, texts: list[str]) -> np.ndarray:
    """Unit-length sentence embeddings from one of the registry encoders."""
    from models.encoder import embed

    return embed(texts, model=encoder)


@dataclass
class Member:
    name: str
    weights: np.ndarray  # (classes, features)
    bias: np.ndarray
    mix: float
    tfidf: TfidfFeatures | None = None

    def log_probs(self, texts: list[str]) -> np.ndarray:
        if self.tfidf is not None:
            logits = self.tfidf.scores(texts, self.weights, self.bias)
        else:
            logits = dense_features(self.name, texts) @ self.weights.T + self.bias
        return log_softmax(logits)


class EmotionClassifier:
    def __init__(self, artifact: Path = ARTIFACT):
        self._artifact = artifact
        self._lock = threading.Lock()
        self._loaded: tuple[list[Member], float, tuple[str, ...]] | None = None

    def _load(self):
        with self._lock:
            if self._loaded is None:
                data = np.load(self._artifact)
                labels = tuple(str(x) for x in data["labels"])
                if sorted(labels) != sorted(EMOTIONS):
                    raise ValueError(f"{self._artifact} does not cover the 32 emotions")
                members = []
                for name in (str(m) for m in data["members"]):
                    tfidf = None
                    if name == "tfidf":
                        tfidf = TfidfFeatures([str(t) for t in data["tfidf_vocabulary"]], data["tfidf_idf"])
                    members.append(Member(
                        name, data[f"{name}_weights"].astype(np.float32), data[f"{name}_bias"].astype(np.float32),
                        float(data[f"{name}_mix"]), tfidf,
                    ))  # fmt: skip
                self._loaded = (members, float(data["temperature"]), labels)
        return self._loaded

    def log_probs(self, texts: list[str]) -> np.ndarray:
        """Mixed, uncalibrated log-probabilities, one row per formatted context."""
        members, _, _ = self._load()
        return sum(m.mix * m.log_probs(texts) for m in members)

    def predict(self, contexts: list[list[str]]) -> list[list[tuple[str, float]]]:
        """Every label with its calibrated probability, best first, for each context."""
        _, temperature, labels = self._load()
        probs = np.exp(log_softmax(self.log_probs([format_context(c) for c in contexts]) / temperature))
        return [[(labels[i], float(row[i])) for i in np.argsort(-row)] for row in probs]


@functools.lru_cache(maxsize=1)
def default_classifier() -> EmotionClassifier:
    return EmotionClassifier()
