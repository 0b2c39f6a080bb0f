"""Scene agent: which situation the user is in, why it feels the way it does, and what the reply
should achieve."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import threading
from pathlib import Path

import numpy as np

from agents.catalogue import Scenario, scenarios
from agents.chat_models import ChatModel
from agents.llm_policy import AgentResult, run_llm_policy
from agents.schema import EmotionReading, SceneReading
from vocabulary.dialogue import Dialogue
from vocabulary.emotions import family_of
from vocabulary.taxonomy import FEELING_PHRASES

KEYWORD_BONUS = 0.08  # per keyword the user actually wrote, at most three
EMOTION_BONUS = 0.05  # when the scenario typically evokes the detected emotion
LLM_CANDIDATES = 8
FOLLOW_UP_WORDS = 8  # a message this short may lean on the turn before it

# What a reply should achieve when the best scenario's own goal is for the opposite feeling.
GROUP_GOALS = {
    "grief": "Comfort them, let them feel heard, and gently invite them to share more.",
    "fear": "Reassure them, make the worry feel manageable, and explore what would help.",
    "anger": "Acknowledge the frustration, let them let off steam, and look for a way forward.",
    "self_conscious": "Normalise the feeling, soften their self-judgement, and offer kindness.",
    "joy": "Share their joy and invite them to savour the moment.",
    "pride": "Celebrate with them and encourage what comes next.",
    "warmth": "Appreciate the bond or memory and invite them to tell more of it.",
}


# Catalogue vectors already computed in this process, by catalogue digest.
_EMBEDDED: dict[str, np.ndarray] = {}


class SceneIndex:
    """Scenario embeddings, computed once on first use and cached on disk under a hash of the
    catalogue, so an edited catalogue is re-embedded and a new process starts fast."""

    def __init__(self, cache_dir: Path | None = None, catalogue: tuple[Scenario, ...] | None = None):
        self.catalogue = catalogue or scenarios()
        self._cache_dir = cache_dir
        self._lock = threading.Lock()
        self._matrix: np.ndarray | None = None
        self._keywords = [
            [re.compile(r"\b" + re.escape(k) + r"\b") for k in s.keywords] for s in self.catalogue
        ]

    def _vectors(self) -> np.ndarray:
        from models.encoder import embed

        with self._lock:
            if self._matrix is None:
                texts = [s.search_text for s in self.catalogue]
                digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
                cached = self._cache_dir / f"scene-vectors-{digest}.npy" if self._cache_dir else None
                if digest in _EMBEDDED:
                    self._matrix = _EMBEDDED[digest]
                elif cached and cached.exists():
                    self._matrix = np.load(cached)
                else:
                    self._matrix = embed(texts)
                    if cached:  # written whole or not at all, so a torn file never loads
                        cached.parent.mkdir(parents=True, exist_ok=True)
                        partial = cached.with_suffix(f".{os.getpid()}.tmp")
                        with partial.open("wb") as f:
                            np.save(f, self._matrix)
                        os.replace(partial, cached)
                _EMBEDDED[digest] = self._matrix
        return self._matrix

    def rank(
        self, texts: str | list[str], emotion: str, families: set[str] | None = None
    ) -> list[tuple[Scenario, float]]:
        """Scenarios by how well they fit the best-fitting of `texts` (similarity plus keywords),
        plus a bonus when they evoke `emotion`."""
        from models.encoder import embed

        texts = [texts] if isinstance(texts, str) else texts
        similarity = self._vectors() @ embed(texts).T  # scenarios x texts
        lowered = [t.lower() for t in texts]
        ranked = []
        for i, scenario in enumerate(self.catalogue):
            if families and scenario.family not in families:
                continue
            score = max(
                float(similarity[i, j])
                + KEYWORD_BONUS * min(sum(1 for k in self._keywords[i] if k.search(text)), 3)
                for j, text in enumerate(lowered)
            )
            score += EMOTION_BONUS if emotion in scenario.emotions else 0.0
            ranked.append((scenario, score))
        return sorted(ranked, key=lambda pair: -pair[1])


@functools.lru_cache(maxsize=1)
def default_index() -> SceneIndex:
    return SceneIndex()


def _goal_for(scenario: Scenario, emotion: str) -> str:
    """The scenario's goal when it was written for a feeling of the same group, else the group's."""
    group = family_of(emotion)
    if any(family_of(e) == group for e in scenario.emotions):
        return scenario.goal
    return GROUP_GOALS[group]


class SceneAgent:
    def __init__(
        self, chat_model: ChatModel | None = None, index: SceneIndex | None = None,
        prompts: dict[str, str] | None = None,
    ):  # fmt: skip
        self._chat_model = chat_model
        self.prompts = prompts  # replacement prompt texts by name (a replay)
        self._index = index or default_index()

    def run(
        self, dialogue: Dialogue, emotion: EmotionReading, families: set[str] | None = None
    ) -> AgentResult[SceneReading]:
        embedded = self.embedded(dialogue, emotion, families)
        if self._chat_model is None:
            return embedded
        candidates = "\n".join(
            f"- {c['scenario']}: {c['description']}" for c in embedded.details["candidates"]
        )
        variables = {
            "dialogue": dialogue.transcript(),
            "emotion": emotion.model_dump_json(),
            "candidates": candidates,
        }
        return run_llm_policy(self._chat_model, "scene", variables, embedded, prompts=self.prompts)

    def embedded(
        self, dialogue: Dialogue, emotion: EmotionReading, families: set[str] | None = None
    ) -> AgentResult[SceneReading]:
        # The new message on its own; a short follow-up also with the previous user turn, which
        # disambiguates it ("about two years now"), whichever fits a scenario better.
        follow_up = dialogue.history and len(dialogue.message.split()) < FOLLOW_UP_WORDS
        queries = [dialogue.message] + ([" ".join(dialogue.user_turns[-2:])] if follow_up else [])
        ranked = self._index.rank(queries, emotion.label, families)
        best, _ = ranked[0]
        feeling = FEELING_PHRASES[emotion.label]
        rationale = f'{best.commonsense} In their words, "{emotion.cause}", so feeling {feeling} is natural.'
        reading = SceneReading(scenario=best.id, rationale=rationale, goal=_goal_for(best, emotion.label))
        candidates = [
            {"scenario": s.id, "family": s.family, "description": s.description, "score": round(score, 4)}
            for s, score in ranked[:LLM_CANDIDATES]
        ]
        return AgentResult(reading, details={"candidates": candidates, "family": best.family})
