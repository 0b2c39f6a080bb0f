"""The retrieve_face tool: a face from the library for the avatar profile and the emotion."""

from __future__ import annotations

from typing import Any

from tools.asset_library import AssetLibraryTool

PINNED_REASON = "the face this conversation already uses for this profile"


def create(settings: Any) -> AssetLibraryTool:
    from asset_index.faces import FaceRetriever, load_faces
    from asset_index.vector_index import shared_index

    return AssetLibraryTool(
        name="face_library", role="face_retrieval", key="face",
        description="Finds the library face that fits an avatar profile (gender, age group) and an emotion.",
        make_retriever=lambda: FaceRetriever(shared_index(settings.index)),
        lookup=load_faces().get,
        retrieve=lambda r, profile, emotion: r.retrieve(profile["gender"], profile["age"], emotion),
        pinned_reason=PINNED_REASON,
    )  # fmt: skip
