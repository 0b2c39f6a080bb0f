"""The voice library: the catalogue in voices.json, each voice's Kokoro style table (blends mixed
from the registry voices), and retrieval from the vector index by profile and emotion."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field, field_validator, model_validator

from asset_index.matching import age_flags, profile_matches
from asset_index.vector_index import IndexEntry, VectorIndex
from vocabulary.taxonomy import FEELING_PHRASES, AgeGroup, Gender, Timbre

CATALOGUE = Path(__file__).with_name("voices.json")
KIND = "voices"
TIMBRE_BONUS = 0.25  # an exact timbre tag outranks a near miss in wording
DELIVERY_HALF = slice(128, 256)  # Kokoro's style vector: timbre first, delivery second


class Voice(BaseModel):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    name: str
    gender: Gender
    ages: list[AgeGroup] = Field(min_length=1)
    timbres: list[Timbre] = Field(min_length=1)
    accent: str
    description: str = Field(min_length=20)
    mix: dict[str, float]  # Kokoro voice -> weight
    pitch: float = Field(0.0, ge=-6, le=8)  # semitones
    speed: float = Field(1.0, ge=0.7, le=1.3)

    @field_validator("mix")
    @classmethod
    def _weights(cls, mix: dict[str, float]) -> dict[str, float]:
        if not mix or any(w <= 0 for w in mix.values()):
            raise ValueError("a voice mixes one or more Kokoro voices with positive weights")
        return mix

    def document(self) -> str:
        """What the index embeds: the description and the timbre in words."""
        return f"{self.description} Timbre: {', '.join(self.timbres)}. {self.accent} accent."

    def metadata(self) -> dict[str, str | bool]:
        return {
            "gender": self.gender,
            "accent": self.accent,
            "timbres": ",".join(self.timbres),
            **age_flags(self.ages),
        }

    def card(self) -> dict[str, object]:
        return self.model_dump(exclude={"mix"})


class Catalogue(BaseModel):
    voices: list[Voice]
    delivery_styles: dict[str, dict[str, float]]  # style -> {donor voice id: measured pitch spread}

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        ids = [v.id for v in self.voices]
        if len(ids) != len(set(ids)):
            raise ValueError("voice ids must be unique")
        for style, donors in self.delivery_styles.items():
            if missing := set(donors) - set(ids):
                raise ValueError(f"delivery style {style} names unknown voices {sorted(missing)}")
        return self

    def get(self, voice_id: str) -> Voice | None:
        return next((v for v in self.voices if v.id == voice_id), None)


@functools.lru_cache(maxsize=4)
def load_catalogue(path: Path = CATALOGUE) -> Catalogue:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Catalogue(
        voices=raw["voices"],
        delivery_styles={k: v for k, v in raw["delivery_styles"].items() if k != "about"},
    )


class VoiceStyles:
    """Kokoro style tables for catalogue voices, mixed from the registry voices once each."""

    def __init__(self, catalogue: Catalogue, voices_npz: Path):
        with np.load(voices_npz) as npz:
            self._kokoro = {name: npz[name] for name in npz.files}
        self._catalogue = catalogue
        self._cache: dict[str, np.ndarray] = {}
        unknown = {k for v in catalogue.voices for k in v.mix} - set(self._kokoro)
        if unknown:
            raise ValueError(f"the catalogue mixes voices the model does not have: {sorted(unknown)}")

    def table(self, voice_id: str) -> np.ndarray:
        if voice_id not in self._cache:
            voice = self._catalogue.get(voice_id)
            if voice is None:
                raise KeyError(f"no voice {voice_id!r} in the catalogue")
            total = sum(voice.mix.values())
            self._cache[voice_id] = sum(self._kokoro[k] * (w / total) for k, w in voice.mix.items()).astype(
                np.float32
            )
        return self._cache[voice_id]

    def with_delivery(self, voice_id: str, style: str | None, weight: float) -> np.ndarray:
        """The voice's table with `weight` of its delivery half taken from the style's donors."""
        table = self.table(voice_id)
        donors = self._catalogue.delivery_styles.get(style or "", {})
        if not donors or weight <= 0:
            return table
        borrowed = np.mean([self.table(d)[..., DELIVERY_HALF] for d in donors], axis=0)
        blended = table.copy()
        blended[..., DELIVERY_HALF] = (1 - weight) * table[..., DELIVERY_HALF] + weight * borrowed
        return blended


def index_entries(catalogue: Catalogue) -> list[IndexEntry]:
    return [IndexEntry(v.id, v.document(), v.metadata()) for v in catalogue.voices]


class VoiceRetriever:
    """Voices of the requested gender and age group, ranked by how well they fit timbre and emotion."""

    def __init__(self, index: VectorIndex, catalogue: Catalogue | None = None):
        self.catalogue = catalogue or load_catalogue()
        self.index = index

    def ensure_index(self) -> bool:
        """Builds the index when it is missing or out of date; True when it did."""
        return self.index.build(KIND, index_entries(self.catalogue))

    def retrieve(self, gender: str, age: str, timbre: str, emotion: str) -> dict[str, object]:
        feeling = FEELING_PHRASES.get(emotion, emotion)
        query = f"A {timbre} voice to answer someone who feels {feeling}."
        matches, candidate_age = profile_matches(self.index, KIND, gender, age, query)
        scored = []
        for match in matches:
            voice = self.catalogue.get(match.id)
            if voice is not None:
                scored.append((match.similarity + (TIMBRE_BONUS if timbre in voice.timbres else 0.0), voice))
        score, voice = max(scored, key=lambda pair: pair[0])
        fit = (
            f"tagged {timbre}"
            if timbre in voice.timbres
            else f"closest to {timbre} ({', '.join(voice.timbres)})"
        )
        age_note = "" if candidate_age == age else f"; no {gender} {age} voice, so the nearest age group"
        reason = f"{gender}, {candidate_age}, {fit}; best match for a {timbre} voice for {feeling}{age_note}"
        return {**voice.card(), "score": round(score, 4), "reason": reason}
