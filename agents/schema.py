"""The meta-response: the typed chain of thought behind every reply."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agents.catalogue import find_scenario
from vocabulary.taxonomy import AgeGroup, Emotion, EmotionType, Gender, Timbre

MAX_CAUSE_CHARS = 200


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EmotionReading(_Strict):
    label: Emotion
    type: EmotionType
    cause: str = Field(min_length=1, max_length=MAX_CAUSE_CHARS)
    confidence: float = Field(ge=0.0, le=1.0)


class SceneReading(_Strict):
    scenario: str = Field(description="id of a scenario in the scene catalogue")
    rationale: str = Field(min_length=1, max_length=600)
    goal: str = Field(min_length=1, max_length=300)

    @field_validator("scenario")
    @classmethod
    def _in_catalogue(cls, value: str) -> str:
        scenario = find_scenario(value)
        if scenario is None:
            raise ValueError(f"{value!r} is not a scenario of the catalogue")
        return scenario.id


class AvatarProfile(_Strict):
    timbre: Timbre
    gender: Gender
    age: AgeGroup


class ResponseText(_Strict):
    response: str = Field(min_length=1, max_length=1200)


class MetaResponse(_Strict):
    emotion: EmotionReading
    scene: SceneReading
    response: str = Field(min_length=1, max_length=1200)
    profile: AvatarProfile
