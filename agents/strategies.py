"""The responder's strategy bank: templates to reflect, to name a feeling and to move, per emotion
family (vocabulary.emotions)."""

from __future__ import annotations

import functools
import json
from typing import Any

from agents.catalogue import KNOWLEDGE_DIR


@functools.lru_cache(maxsize=1)
def strategy_bank() -> dict[str, Any]:
    return json.loads((KNOWLEDGE_DIR / "strategies.json").read_text("utf-8"))
