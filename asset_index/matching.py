"""Finding an asset for an avatar profile: the gender and age group filter the index (the nearest
age group stands in when none matches), then similarity to a description of the moment ranks."""

from __future__ import annotations

from asset_index.vector_index import Match, VectorIndex
from vocabulary.taxonomy import AGE_GROUPS


def nearest_ages(age: str) -> list[str]:
    """Age groups nearest first, for a profile no asset covers exactly."""
    at = AGE_GROUPS.index(age)
    return sorted(AGE_GROUPS, key=lambda a: (abs(AGE_GROUPS.index(a) - at), AGE_GROUPS.index(a)))


def profile_matches(
    index: VectorIndex, kind: str, gender: str, age: str, query: str
) -> tuple[list[Match], str]:
    """Matches of the profile's gender in the nearest age group that has any, and that age group."""
    for candidate in nearest_ages(age):
        matches = index.query(kind, query, {"$and": [{"gender": gender}, {f"age:{candidate}": True}]})
        if matches:
            return matches, candidate
    raise LookupError(f"the {kind} library has nothing for a {gender} avatar")


def age_flags(ages: list[str]) -> dict[str, bool]:
    """One boolean per age group, the form chromadb can filter on."""
    return {f"age:{age}": age in ages for age in AGE_GROUPS}
