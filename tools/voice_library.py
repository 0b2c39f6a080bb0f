"""The retrieve_voice tool: a voice from the library for the avatar profile and the emotion."""

from __future__ import annotations

from typing import Any

from tools.asset_library import AssetLibraryTool

PINNED_REASON = "the voice this conversation already uses for this profile"


def create(settings: Any) -> AssetLibraryTool:
    from asset_index.vector_index import shared_index
    from asset_index.voices import VoiceRetriever, load_catalogue

    return AssetLibraryTool(
        name="voice_library", role="voice_retrieval", key="voice",
        description="Finds the library voice that fits an avatar profile (gender, age group, timbre) and an emotion.",
        make_retriever=lambda: VoiceRetriever(shared_index(settings.index)),
        lookup=load_catalogue().get,
        retrieve=lambda r, profile, emotion: r.retrieve(profile["gender"], profile["age"], profile["timbre"], emotion),
        pinned_reason=PINNED_REASON,
    )  # fmt: skip
