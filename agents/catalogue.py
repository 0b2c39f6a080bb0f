"""The scene catalogue: concrete situations, grouped in families, each with commonsense and a goal."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

KNOWLEDGE_DIR = Path(__file__).parent / "knowledge"


@dataclass(frozen=True)
class Scenario:
    id: str
    family: str
    name: str
    description: str
    keywords: tuple[str, ...]
    commonsense: str
    goal: str
    emotions: tuple[str, ...]

    @property
    def search_text(self) -> str:
        """What the scene agent's encoder sees for this scenario."""
        return f"{self.name}. {self.description} {', '.join(self.keywords)}."


@functools.lru_cache(maxsize=1)
def scenarios() -> tuple[Scenario, ...]:
    data = json.loads((KNOWLEDGE_DIR / "scenes.json").read_text(encoding="utf-8"))
    return tuple(
        Scenario(**{**s, "keywords": tuple(s["keywords"]), "emotions": tuple(s["emotions"])})
        for s in data["scenarios"]
    )


@functools.lru_cache(maxsize=1)
def _by_key() -> dict[str, Scenario]:
    index: dict[str, Scenario] = {}
    for scenario in scenarios():
        index[scenario.id] = scenario
        index[scenario.name.lower()] = scenario
    return index


def find_scenario(key: str) -> Scenario | None:
    """A scenario by id or by name, case-insensitive."""
    return _by_key().get(key.strip().lower())


def families() -> list[str]:
    return sorted({s.family for s in scenarios()})
