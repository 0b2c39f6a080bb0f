"""Retrieval from one of the asset libraries (voices, faces) as a media tool: the index is built on
first use when missing or out of date (and again when a query fails on a damaged one), and an asset
already kept for the profile in this session is returned as it is, so the avatar stays the same
person."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from tools.contract import BaseTool


class RetrievalArguments(BaseModel):
    profile: dict[str, str] = Field(description="the avatar profile: gender, age (group) and timbre")
    emotion: str = Field("", description="one of the 32 emotion labels")
    pinned: str | None = Field(None, description="the id already kept for this profile in this session")


class AssetLibraryTool(BaseTool):
    args_schema = RetrievalArguments

    def __init__(
        self, name: str, role: str, key: str, description: str, make_retriever: Callable[[], Any],
        lookup: Callable[[str], Any], retrieve: Callable[[Any, dict[str, str], str], dict[str, Any]], pinned_reason: str,
    ):  # fmt: skip
        self.name, self.role, self.key, self.description = name, role, key, description
        self._make_retriever, self._lookup, self._retrieve = make_retriever, lookup, retrieve
        self.pinned_reason = pinned_reason
        self._retriever = None
        self._lock = threading.Lock()

    def warm(self) -> None:
        self.retriever()

    def retriever(self) -> Any:
        with self._lock:
            if self._retriever is None:
                retriever = self._make_retriever()
                retriever.ensure_index()
                self._retriever = retriever
        return self._retriever

    def invoke(self, args: dict[str, Any]) -> dict[str, Any]:
        """args: profile ({gender, age, timbre}), emotion (a label), pinned (the id kept for this
        profile earlier in the session, if any)."""
        pinned = self._lookup(args.get("pinned") or "")
        if pinned is not None:
            return {self.key: {**pinned.card(), "reason": self.pinned_reason}}
        retriever = self.retriever()
        try:
            found = self._retrieve(retriever, args["profile"], args.get("emotion", ""))
        except Exception:  # a damaged index: rebuilt from the catalogue, then asked once more
            retriever.index.repair()
            retriever.ensure_index()
            found = self._retrieve(retriever, args["profile"], args.get("emotion", ""))
        return {self.key: found}
