"""Replaying a recorded turn with edited prompts or another chat model, to see what a change does.

The turn's own checkpoints give the state just before the first agent the change touches; from there
the graph runs again in a sandbox (a throwaway database, checkpoint file and media folder, no speech
or video), so the original session is never written to. The result sets the old and the new
meta-response side by side, field by field.
"""

from __future__ import annotations

import dataclasses
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from agents.chat_models import ChatModel
from graph.backends import build_agents, load_chat_model
from graph.builder import build_graph
from graph.nodes import TurnNodes
from graph.state import STATE_TYPES, plain, typed
from memory.checkpoints import checkpoints_location, close_checkpointer, open_checkpointer
from memory.store import Store
from settings import Settings
from tools.registry import ToolRegistry

# The agents in the order a turn runs them, with the prompt file each one reads.
AGENT_PROMPTS = {"emotion": "emotion", "scene": "scene", "responder": "response", "profile": "profile"}
# The node whose finishing leads into each agent, so the graph's own routing takes over from there.
_BEFORE = {"scene": "emotion", "profile": "scene", "responder": "profile"}
META_FIELDS = ("emotion", "scene", "response", "profile")


class ReplayError(ValueError):
    """The replay cannot run as asked; the message says why."""


def restart_point(prompts: dict[str, str], new_model: bool) -> str:
    """The first agent whose behaviour the change can alter: every agent for a new chat model."""
    if new_model or not prompts:
        return "emotion"
    return next(agent for agent in AGENT_PROMPTS if agent in prompts)


def flatten(meta: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"emotion": {"label": ...}} -> {"emotion.label": ...}"""
    flat: dict[str, Any] = {}
    for key, value in meta.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat |= flatten(value, f"{name}.")
        else:
            flat[name] = value
    return flat


def field_diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The fields that differ (with both values) and those that do not."""
    before, after = flatten(old), flatten(new)
    changed, same = [], []
    for name in sorted(set(before) | set(after)):
        if before.get(name) == after.get(name):
            same.append(name)
        else:
            changed.append({"field": name, "old": before.get(name), "new": after.get(name)})
    return changed, same


def replay(
    turn_id: str, prompts: dict[str, str] | None = None, chat_model: ChatModel | None | str = "configured",
    settings: Settings | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Re-runs `turn_id` with `prompts` ({agent: prompt text}, agents as in AGENT_PROMPTS) and
    `chat_model` (an instance, None for the embedded policies, or "configured")."""
    settings = settings or Settings()
    prompts = prompts or {}
    unknown = sorted(set(prompts) - set(AGENT_PROMPTS))
    if unknown:
        raise ReplayError(f"no agent {', '.join(unknown)}; agents: {', '.join(AGENT_PROMPTS)}")
    with Store.from_settings(settings) as recorded_store:
        if recorded_store.turn(turn_id) is None:
            raise ReplayError(f"no turn {turn_id!r}")
    new_model = chat_model != "configured"
    if chat_model == "configured":
        chat_model = load_chat_model(settings)
    if prompts and chat_model is None:
        raise ReplayError(
            "an edited prompt changes nothing without a chat model: the embedded policies use no prompts. "
            "Replay with --llm openai (and EMPATHYEAR_LLM_BASE_URL) or another chat model"
        )
    restart = restart_point(prompts, new_model)

    with tempfile.TemporaryDirectory(prefix="empathyear-replay-") as scratch, ExitStack() as stack:
        # The sandbox keeps its own SQLite files and media, whatever database the app uses.
        sandbox = dataclasses.replace(settings, home=Path(scratch), database_url="", media_dir=None)
        texts = {AGENT_PROMPTS[agent]: text for agent, text in prompts.items()}
        agents = build_agents(settings, chat_model, texts)
        store = stack.enter_context(Store(sandbox.database))
        nodes = TurnNodes(sandbox, store, agents, ToolRegistry(sandbox))
        recorded_saver = open_checkpointer(checkpoints_location(settings), STATE_TYPES)
        stack.callback(close_checkpointer, recorded_saver)  # a pool of connections on PostgreSQL
        recorded = build_graph(nodes, recorded_saver)
        snapshot = _state_before(recorded, turn_id, restart)
        # The latest checkpoint, not the stored turn: a turn still making its speech and video has
        # its meta-response in the graph's state before it is stored.
        latest = recorded.get_state({"configurable": {"thread_id": turn_id}}).values

        replay_id = f"replay-{turn_id}"
        values = {
            **typed(snapshot.values), "turn_id": replay_id, "session_id": "replay", "want_speech": False,
            "want_video": False, "media_dir": str(sandbox.media / "replay"), "warnings": [],
        }  # fmt: skip
        values.pop("trace", None)  # a per-node timing list that checkpoints of older versions hold
        store.begin_turn(replay_id, "replay", values.get("text", ""), None, None)
        sandbox_saver = open_checkpointer(sandbox.checkpoints, STATE_TYPES)
        stack.callback(close_checkpointer, sandbox_saver)
        graph = build_graph(nodes, sandbox_saver)
        config = {"configurable": {"thread_id": replay_id}}
        graph.update_state(config, values, as_node=_entry_node(restart, values))
        graph.invoke(None, config)
        state = graph.get_state(config).values
        events = store.trace(replay_id)

    old = plain({k: latest.get(k) for k in META_FIELDS})
    new = plain({k: state.get(k) for k in META_FIELDS})
    changed, same = field_diff(old, new)
    return {
        "turn": turn_id, "restarted_at": restart,
        "change": {"prompts": sorted(prompts), "chat_model": getattr(chat_model, "name", "embedded")},
        "old": old, "new": new, "diff": changed, "unchanged": same,
        "trace": events, "warnings": state.get("warnings", []),
    }  # fmt: skip


def _state_before(graph: Any, turn_id: str, node: str) -> Any:
    """The recorded state at the moment `node` was about to run."""
    history = list(graph.get_state_history({"configurable": {"thread_id": turn_id}}))
    if not history:
        raise ReplayError(f"turn {turn_id} has no checkpoints to replay from (was its session deleted?)")
    for snapshot in reversed(history):  # oldest first
        if node in snapshot.next:
            return snapshot
    raise ReplayError(
        f"turn {turn_id} never reached the {node} (it took another route), so it cannot be replayed from there"
    )


def _entry_node(restart: str, values: dict[str, Any]) -> str:
    """The node the sandbox pretends just finished: the emotion agent follows perception when the turn
    had a recording, the intake otherwise."""
    if restart == "emotion":
        return "perceive" if values.get("audio_path") or values.get("video_path") else "intake"
    return _BEFORE[restart]
