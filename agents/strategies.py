"""The responder's strategy bank: templates to reflect, to name a feeling and to move, per emotion group."""

from __future__ import annotations

import functools
import json
from typing import Any

from agents.catalogue import KNOWLEDGE_DIR

UPBEAT_GROUPS = frozenset({"joy", "pride", "warmth"})  # the groups on the happy side


@functools.lru_cache(maxsize=1)
def strategy_bank() -> dict[str, Any]:
    return json.loads((KNOWLEDGE_DIR / "strategies.json").read_text("utf-8"))


@functools.lru_cache(maxsize=None)
def group_of(label: str) -> str:
    for name, group in strategy_bank()["groups"].items():
        if label in group["emotions"]:
            return name
    raise KeyError(f"no strategy group holds {label!r}")
