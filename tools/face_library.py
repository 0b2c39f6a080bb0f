"""The retrieve_face tool: a face from the library for the avatar profile and the emotion. The index
is built on first use when it is missing or out of date."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from asset_index.faces import FaceRetriever, load_faces

PINNED_REASON = "the face this conversation already uses for this profile"


class FaceLibraryTool:
    name = "face_library"
    role = "face_retrieval"
    description = "Finds the library face that fits an avatar profile (gender, age group) and an emotion."

    def __init__(self, index_path: Path):
        self.index_path = index_path
        self._retriever: FaceRetriever | None = None
        self._lock = threading.Lock()

    def retriever(self) -> FaceRetriever:
        with self._lock:
            if self._retriever is None:
                from asset_index.vector_index import VectorIndex

                retriever = FaceRetriever(VectorIndex(self.index_path))
                retriever.ensure_index()
                self._retriever = retriever
        return self._retriever

    def invoke(self, args: dict[str, Any]) -> dict[str, Any]:
        """args: profile ({gender, age, timbre}), emotion (a label), pinned (a face id kept for this
        profile earlier in the session, if any)."""
        pinned = load_faces().get(args.get("pinned") or "")
        if pinned is not None:
            return {"face": {**pinned.card(), "reason": PINNED_REASON}}
        profile = args["profile"]
        return {"face": self.retriever().retrieve(profile["gender"], profile["age"], args.get("emotion", ""))}


def create(settings: Any) -> FaceLibraryTool:
    return FaceLibraryTool(settings.index)
