"""The retrieve_voice tool: a voice from the library for the avatar profile and the emotion. The
index is built on first use when it is missing or out of date."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from asset_index.voices import VoiceRetriever, load_catalogue

PINNED_REASON = "the voice this conversation already uses for this profile"


class VoiceLibraryTool:
    name = "voice_library"
    role = "voice_retrieval"
    description = (
        "Finds the library voice that fits an avatar profile (gender, age group, timbre) and an emotion."
    )

    def __init__(self, index_path: Path):
        self.index_path = index_path
        self._retriever: VoiceRetriever | None = None
        self._lock = threading.Lock()

    def retriever(self) -> VoiceRetriever:
        with self._lock:
            if self._retriever is None:
                from asset_index.vector_index import VectorIndex

                retriever = VoiceRetriever(VectorIndex(self.index_path))
                retriever.ensure_index()
                self._retriever = retriever
        return self._retriever

    def invoke(self, args: dict[str, Any]) -> dict[str, Any]:
        """args: profile ({gender, age, timbre}), emotion (a label), pinned (a voice id kept for this
        profile earlier in the session, if any)."""
        pinned = load_catalogue().get(args.get("pinned") or "")
        if pinned is not None:
            return {"voice": {**pinned.card(), "reason": PINNED_REASON}}
        profile = args["profile"]
        voice = self.retriever().retrieve(
            profile["gender"], profile["age"], profile["timbre"], args.get("emotion", "")
        )
        return {"voice": voice}


def create(settings: Any) -> VoiceLibraryTool:
    return VoiceLibraryTool(settings.index)
