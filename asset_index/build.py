"""Builds the asset index: every catalogue, each in its own collection, rebuilt only when changed."""

from __future__ import annotations

from pathlib import Path

from asset_index.faces import KIND as FACES
from asset_index.faces import index_entries as face_entries
from asset_index.faces import load_faces
from asset_index.vector_index import shared_index
from asset_index.voices import KIND as VOICES
from asset_index.voices import index_entries as voice_entries
from asset_index.voices import load_catalogue


def build_indexes(path: Path, force: bool = False) -> dict[str, dict[str, int | bool]]:
    """{collection: {"entries": n, "rebuilt": whether anything changed}}."""
    index = shared_index(path)
    entries = {VOICES: voice_entries(load_catalogue()), FACES: face_entries(load_faces())}
    return {
        kind: {"entries": len(items), "rebuilt": index.build(kind, items, force=force)}
        for kind, items in entries.items()
    }
