"""The support tool: when to offer a breathing exercise, and what it adds to the reply."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from empathyear_breathing.cue import breathing_cue, write_cue
from empathyear_breathing.patterns import PatternName, spoken
from tools.contract import LLM_CALLABLE, PRODUCES_AUDIO, SUPPORT_ROLE, BaseTool, SupportContext

# Goals that ask to settle a racing body. "Reassure" alone is left out: EmpathyEar's scenes use it
# for embarrassment and guilt too, where an invitation to breathe would miss the point.
_CALMING_GOAL = re.compile(r"\b(calm\w*|nerves|anxiety|breath\w*|grounding)\b", re.IGNORECASE)
# Sadness and happy moments never get one, whatever the scene's goal says.
_NOT_FOR_GROUPS = frozenset({"grief", "joy", "pride", "warmth"})
OFFERED = {"pattern": "calm", "rounds": 3}
FILE_NAME = "breathing.wav"


class BreathingArguments(BaseModel):
    pattern: PatternName = Field(
        "calm", description="calm: in 4, out 6; box: 4-4-4-4; 4-7-8: in 4, hold 7, out 8"
    )
    rounds: int = Field(3, ge=1, le=6, description="how many breaths to guide")


class BreathingExercise(BaseTool):
    name: ClassVar[str] = "breathing_exercise"
    role: ClassVar[str] = SUPPORT_ROLE
    description: ClassVar[str] = (
        "Invites an anxious or frightened person to breathe slowly along with a soft audio cue."
    )
    args_schema: ClassVar[type[BaseModel]] = BreathingArguments
    capabilities: ClassVar[frozenset[str]] = frozenset({LLM_CALLABLE, PRODUCES_AUDIO})

    def offer(self, context: SupportContext) -> dict[str, Any] | None:
        if context.emotion_group == "fear":
            return dict(OFFERED)
        if context.emotion_group not in _NOT_FOR_GROUPS and _CALMING_GOAL.search(context.goal):
            return dict(OFFERED)
        return None

    def invoke(self, args: dict[str, Any]) -> dict[str, Any]:
        checked = self.arguments(args)
        samples = breathing_cue(checked.pattern, checked.rounds)
        audio = write_cue(Path(args["out_dir"]) / FILE_NAME, samples)
        text = (
            f"If it helps, try breathing along with the soft tone: {spoken(checked.pattern, checked.rounds)}."
        )
        return {"text": text, "audio": str(audio)}
