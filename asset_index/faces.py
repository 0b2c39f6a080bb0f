"""The face library: avatar identities drawn by the project's own renderer, each an appearance with
gender, age groups and a description, and retrieval from the vector index by profile and emotion."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from pydantic import BaseModel, Field, model_validator

from asset_index.appearance import Appearance
from asset_index.matching import age_flags, profile_matches
from asset_index.vector_index import IndexEntry, VectorIndex
from vocabulary.taxonomy import FEELING_PHRASES, AgeGroup, Gender

CATALOGUE = Path(__file__).with_name("faces.json")
KIND = "faces"


class Face(BaseModel):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    name: str
    gender: Gender
    ages: list[AgeGroup] = Field(min_length=1)
    description: str = Field(min_length=20)
    appearance: Appearance

    @property
    def age(self) -> str:
        """The age group the face is drawn at: its youngest."""
        return self.ages[0]

    def document(self) -> str:
        return self.description

    def metadata(self) -> dict[str, str | bool]:
        return {"gender": self.gender, **age_flags(self.ages)}

    def card(self) -> dict[str, object]:
        return self.model_dump(exclude={"appearance"})


class FaceCatalogue(BaseModel):
    faces: list[Face]

    @model_validator(mode="after")
    def _unique(self) -> FaceCatalogue:
        ids = [f.id for f in self.faces]
        if len(ids) != len(set(ids)):
            raise ValueError("face ids must be unique")
        return self

    def get(self, face_id: str) -> Face | None:
        return next((f for f in self.faces if f.id == face_id), None)


@functools.lru_cache(maxsize=4)
def load_faces(path: Path = CATALOGUE) -> FaceCatalogue:
    return FaceCatalogue(faces=json.loads(path.read_text(encoding="utf-8"))["faces"])


def index_entries(catalogue: FaceCatalogue) -> list[IndexEntry]:
    return [IndexEntry(f.id, f.document(), f.metadata()) for f in catalogue.faces]


class FaceRetriever:
    """Faces of the requested gender and age group, ranked by how well they suit the moment."""

    def __init__(self, index: VectorIndex, catalogue: FaceCatalogue | None = None):
        self.catalogue = catalogue or load_faces()
        self.index = index

    def ensure_index(self) -> bool:
        return self.index.build(KIND, index_entries(self.catalogue))

    def retrieve(self, gender: str, age: str, emotion: str) -> dict[str, object]:
        feeling = FEELING_PHRASES.get(emotion, emotion)
        matches, candidate_age = profile_matches(
            self.index, KIND, gender, age, f"A kind face for someone who feels {feeling}."
        )
        best = matches[0]
        face = self.catalogue.get(best.id)
        if face is None:
            raise LookupError(
                f"the index names a face the catalogue lacks ({best.id}): run `empathyear index build`"
            )
        age_note = "" if candidate_age == age else f"; no {gender} {age} face, so the nearest age group"
        reason = f"{gender}, {candidate_age}; best match for someone who feels {feeling}{age_note}"
        return {**face.card(), "score": best.similarity, "reason": reason}
