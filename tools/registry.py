"""Installed tools and backends, by role. Plugins come from the entry-point group `empathyear.tools`
(the contract is in tools.contract, checked here by tools.conformance as each plugin is found); the
environment variable EMPATHYEAR_TOOL_<ROLE> picks one tool by name when several are installed for a
media role. Every support tool is active.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Protocol

from settings import Settings
from tools.conformance import BACKEND_VALIDATORS, ContractError, validate_tool
from tools.contract import BACKEND_ROLES, SUPPORT_ROLE, TOOL_ROLES, capabilities_of

ENTRY_POINT_GROUP = "empathyear.tools"
log = logging.getLogger(__name__)


class MediaTool(Protocol):
    name: str
    role: str

    def invoke(self, input: dict[str, Any]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Installed:
    """One plugin found in the entry-point group: what it is and where it comes from."""

    entry_point: str
    package: str
    target: Any | None  # the tool or backend, None when it failed to load or breaks the contract
    problem: str | None = None


def discover(settings: Any) -> list[Installed]:
    """Every plugin of the group, loaded; a broken one, or a tool that fails validate_tool, is
    reported and left out, not raised."""
    found = []
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        package = entry_point.dist.name if entry_point.dist else "?"
        try:
            made = entry_point.load()(settings)
        except Exception as exc:  # a broken plugin must not take the app down
            log.warning("tool plugin %s failed to load: %s", entry_point.name, type(exc).__name__)
            found.append(Installed(entry_point.name, package, None, f"{type(exc).__name__}: {exc}"))
            continue
        if (role := getattr(made, "role", None)) in TOOL_ROLES:
            try:
                validate_tool(made, role)
            except ContractError as exc:
                log.warning("tool plugin %s left out: %s", entry_point.name, exc)
                found.append(Installed(entry_point.name, package, None, f"{type(exc).__name__}: {exc}"))
                continue
        found.append(Installed(entry_point.name, package, made))
    return found


def plugin_backend(settings: Any, role: str, name: str) -> Any | None:
    """A backend a plugin registers for `role` under `name`, or None. A backend that fails its role's
    check (tools.conformance) raises ContractError; a chat model is checked by graph.backends."""
    if role not in BACKEND_ROLES:
        raise ValueError(f"unknown backend role {role!r}; roles: {', '.join(BACKEND_ROLES)}")
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name != name:
            continue
        made = entry_point.load()(settings)
        if getattr(made, "role", None) == role:
            if validate := BACKEND_VALIDATORS.get(role):
                validate(made)
            return made
    return None


class ToolRegistry:
    def __init__(self, settings: Settings, tools: list[MediaTool] | None = None):
        """`tools` replaces entry-point discovery (tests, embedding the app)."""
        self._settings = settings
        self._tools = tools
        self._active: dict[str, MediaTool | None] = {}
        self._lock = threading.RLock()  # nodes running side by side may ask for tools at once

    def installed(self) -> list[MediaTool]:
        with self._lock:
            if self._tools is None:
                found = discover(self._settings)
                self._tools = [i.target for i in found if getattr(i.target, "role", None) in TOOL_ROLES]
            return self._tools

    def get(self, role: str) -> MediaTool | None:
        """The active tool for a media role, or None when no backend for it is installed."""
        with self._lock:
            if role not in self._active:
                candidates = [t for t in self.installed() if t.role == role]
                if wanted := self._settings.tool_choice(role):
                    candidates = [t for t in candidates if t.name == wanted]
                self._active[role] = candidates[0] if candidates else None
            return self._active[role]

    def support(self) -> list[MediaTool]:
        """Every installed support tool."""
        return [t for t in self.installed() if t.role == SUPPORT_ROLE]

    def is_active(self, tool: Any) -> bool:
        role = getattr(tool, "role", None)
        return role == SUPPORT_ROLE or (role in TOOL_ROLES and self.get(role) is tool)


BUILT_IN_BACKENDS = {
    "speech_backend": {"kokoro": "Kokoro-82M on the CPU (embedded)", "piper": "Piper en_US-joe (fallback)",
                       "styletts2": "StyleTTS2, the paper's model (GPU, your checkpoint)"},
    "talking_face_backend": {"avatar": "the embedded 2D avatar renderer", "eat": "EAT, the paper's model (GPU)"},
    "speech_recognition": {"whisper": "Whisper tiny.en with Silero VAD (embedded)"},
    "chat_model": {"embedded": "no LLM: the agents' embedded policies", "openai": "an OpenAI-compatible server",
                   "transformers": "a local model through transformers"},
}  # fmt: skip


def describe(settings: Any) -> list[dict[str, Any]]:
    """What `empathyear tools` lists: every plugin with its role, package, flags and whether it is
    the one in use."""
    found = discover(settings)
    registry = ToolRegistry(
        settings, [i.target for i in found if getattr(i.target, "role", None) in TOOL_ROLES]
    )
    chosen = {
        "speech_backend": getattr(settings, "speech", None), "talking_face_backend": getattr(settings, "face", None),
        "speech_recognition": getattr(settings, "asr", None), "chat_model": getattr(settings, "llm", None),
    }  # fmt: skip
    rows = []
    for item in found:
        target, role = item.target, getattr(item.target, "role", None)
        rows.append({
            "entry_point": item.entry_point, "package": item.package,
            "name": getattr(target, "name", item.entry_point), "role": role,
            "description": getattr(target, "description", ""),
            "capabilities": sorted(capabilities_of(target)) if target is not None else [],
            "active": target is not None and (registry.is_active(target) or chosen.get(role) == item.entry_point),
            "problem": item.problem,
        })  # fmt: skip
    for role, backends in BUILT_IN_BACKENDS.items():
        for name, description in backends.items():
            rows.append({
                "entry_point": None, "package": "empathyear (built in)", "name": name, "role": role,
                "description": description, "capabilities": [], "active": chosen[role] == name, "problem": None,
            })  # fmt: skip
    return rows
