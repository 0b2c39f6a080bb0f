"""A persistent chromadb index of the avatar's assets (voices, faces), one collection per kind,
embedded with the bundled MiniLM. chromadb's own default embedding would fetch a model from the
network, so the function is passed explicitly every time a collection is opened.

The index is derived data, rebuilt from the catalogues whenever they change; a damaged index
(a corrupted database file) is wiped and built again rather than left to fail every turn."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromadb import PersistentClient
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.config import Settings as ChromaSettings
from chromadb.utils.embedding_functions import register_embedding_function

from models.encoder import embed

ENCODER = "all-MiniLM-L6-v2"
log = logging.getLogger(__name__)


@register_embedding_function
class MiniLMEmbedding(EmbeddingFunction[Documents]):
    """all-MiniLM-L6-v2 from its registry package; the model itself is loaded once per process."""

    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> Embeddings:
        return list(embed(list(input)))

    @staticmethod
    def name() -> str:
        return "empathyear-minilm"

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedding:
        return MiniLMEmbedding()

    def default_space(self) -> str:
        return "cosine"


@dataclass(frozen=True)
class IndexEntry:
    id: str
    document: str  # the text that is embedded and matched
    metadata: dict[str, str | int | float | bool]  # filterable fields


@dataclass(frozen=True)
class Match:
    id: str
    similarity: float  # cosine similarity of the query to the entry's document


def fingerprint(entries: list[IndexEntry]) -> str:
    """Changes whenever an entry or the encoder changes, so a build knows when it has work to do."""
    payload = json.dumps([ENCODER] + [[e.id, e.document, e.metadata] for e in entries], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


class VectorIndex:
    """One chromadb database folder; safe to share between threads of one process."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        try:
            self._client = self._open()
            self._client.list_collections()  # reads the database: a damaged file fails here
        except Exception as exc:
            log.warning("the asset index is damaged (%s); it is rebuilt from the catalogues", type(exc).__name__)
            self._client = self._wiped()

    def _open(self):
        self.path.mkdir(parents=True, exist_ok=True)
        return PersistentClient(path=str(self.path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False))

    def _wiped(self):
        """A fresh, empty index in place of the damaged one. chromadb keeps one system per folder
        for the whole process and would hand the damaged one back: this folder's is stopped and
        dropped (the other folders' stay)."""
        from chromadb.api.shared_system_client import SharedSystemClient

        system = SharedSystemClient._identifier_to_system.pop(str(self.path), None)
        SharedSystemClient._identifier_to_refcount.pop(str(self.path), None)
        if system is not None:
            try:
                system.stop()
            except Exception:  # a damaged system may not stop cleanly; it is dropped either way
                pass
        shutil.rmtree(self.path, ignore_errors=True)
        return self._open()

    def repair(self) -> None:
        """Empties a damaged index; the caller builds it again from its catalogue."""
        with self._lock:
            log.warning("the asset index failed a query; it is rebuilt from the catalogues")
            self._client = self._wiped()

    def _collection(self, kind: str):
        return self._client.get_or_create_collection(
            kind, embedding_function=MiniLMEmbedding(), configuration={"hnsw": {"space": "cosine"}}
        )

    def is_current(self, kind: str, entries: list[IndexEntry]) -> bool:
        with self._lock:
            metadata = self._collection(kind).metadata or {}
        return metadata.get("fingerprint") == fingerprint(entries)

    def build(self, kind: str, entries: list[IndexEntry], force: bool = False) -> bool:
        """Make the collection hold exactly `entries`; returns False when it already did."""
        if not force and self.is_current(kind, entries):
            return False
        with self._lock:
            collection = self._collection(kind)
            stale = set(collection.get(include=[])["ids"]) - {e.id for e in entries}
            if stale:
                collection.delete(ids=sorted(stale))
            collection.upsert(
                ids=[e.id for e in entries],
                documents=[e.document for e in entries],
                metadatas=[e.metadata for e in entries],
            )
            collection.modify(metadata={"fingerprint": fingerprint(entries), "encoder": ENCODER})
        return True

    def query(
        self, kind: str, text: str, where: dict[str, Any] | None = None, limit: int = 50
    ) -> list[Match]:
        """Entries matching `where`, most similar to `text` first."""
        with self._lock:
            collection = self._collection(kind)
            found = collection.query(
                query_texts=[text], where=where or None, n_results=max(1, min(limit, collection.count())),
                include=["distances"],
            )  # fmt: skip
        return [
            Match(i, round(1.0 - d, 4)) for i, d in zip(found["ids"][0], found["distances"][0], strict=True)
        ]


_open: dict[Path, VectorIndex] = {}
_open_lock = threading.Lock()


def shared_index(path: Path) -> VectorIndex:
    """The process's one VectorIndex for a folder: chromadb clients of one folder opened side by side
    (voice and face retrieval run in parallel) race while they start."""
    key = path.resolve()
    with _open_lock:
        if key not in _open:
            _open[key] = VectorIndex(key)
        return _open[key]
