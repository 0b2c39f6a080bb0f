"""Media tools by role. Backends come from the entry-point group `empathyear.tools`; the
environment variable EMPATHYEAR_TOOL_<ROLE> picks one by name when several are installed.

A tool is any object with `name`, `role` and `invoke(args: dict) -> dict`, which LangChain's
`BaseTool` already is; an entry point names a factory that takes the Settings and returns one.
"""

from __future__ import annotations

import logging
import os
import threading
from importlib.metadata import entry_points
from typing import Any, Protocol

ENTRY_POINT_GROUP = "empathyear.tools"
ROLES = ("perception", "voice_retrieval", "speech", "face_retrieval", "talking_face")
log = logging.getLogger(__name__)


class MediaTool(Protocol):
    name: str
    role: str

    def invoke(self, input: dict[str, Any]) -> dict[str, Any]: ...


class ToolRegistry:
    def __init__(self, settings: Any, tools: list[MediaTool] | None = None):
        """`tools` replaces entry-point discovery (tests, embedding the app)."""
        self._settings = settings
        self._tools = tools
        self._active: dict[str, MediaTool | None] = {}
        self._lock = threading.RLock()  # nodes running side by side may ask for tools at once

    def _discover(self) -> list[MediaTool]:
        found = []
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            try:
                found.append(entry_point.load()(self._settings))
            except Exception as exc:  # a broken plugin must not take the app down
                log.warning("tool plugin %s failed to load: %s", entry_point.name, exc)
        return found

    def installed(self) -> list[MediaTool]:
        with self._lock:
            if self._tools is None:
                self._tools = self._discover()
            return self._tools

    def get(self, role: str) -> MediaTool | None:
        """The active tool for a role, or None when no backend for it is installed."""
        with self._lock:
            if role not in self._active:
                candidates = [t for t in self.installed() if t.role == role]
                wanted = os.environ.get(f"EMPATHYEAR_TOOL_{role.upper()}", "").strip()
                if wanted:
                    candidates = [t for t in candidates if t.name == wanted]
                self._active[role] = candidates[0] if candidates else None
            return self._active[role]
