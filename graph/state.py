"""The typed state one turn carries through the graph. Media stay on disk; state holds paths.

The agents' readings travel as their own models (`EmotionReading`, `SceneReading`, `AvatarProfile`,
`CrisisSignal`), so a node reads `state["emotion"].label`, never a dict it must parse again. What
leaves the graph (the API, the trace, the store) is made plain JSON by `plain`.

The store is the record of a conversation; the checkpointer keeps each turn's steps, one thread per
turn, for inspection and replay. A turn reads its history from the store, and each node's timing
is in its trace event in the store, not in the state.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from pydantic_core import to_jsonable_python

from agents.safety import CrisisSignal
from agents.schema import AvatarProfile, EmotionReading, SceneReading

# The types a checkpoint may hold besides plain data: the checkpointer loads these and no others.
STATE_TYPES = (EmotionReading, SceneReading, AvatarProfile, CrisisSignal)


class TurnState(TypedDict, total=False):
    # Set by the runner before the graph starts.
    session_id: str
    existing_session: bool  # the session must exist already (API turns): a deleted one is never re-created
    turn_id: str
    text: str
    audio_path: str | None
    video_path: str | None
    want_speech: bool
    want_video: bool
    media_dir: str
    preferences: dict[str, str]
    history: list[dict[str, str]]  # earlier turns, {"role": "user" | "assistant", "text": ...}
    # Written by the nodes.
    message: str  # what the agents read: normalised text plus any transcript
    english: bool
    transcript: str | None
    perception: dict[str, Any] | None
    input_problem: str  # why a recording or video could not be used
    emotion: EmotionReading
    crisis: CrisisSignal | None
    scene: SceneReading
    response: str
    tool_calls: list[dict[str, Any]]  # support tools a tool-calling chat model chose to call
    support: list[dict[str, Any]]  # what the support tools added: tool, text, audio
    profile: AvatarProfile
    voice: dict[str, Any] | None
    speech: str | None
    face: dict[str, Any] | None
    video: str | None
    warnings: Annotated[list[str], operator.add]


_READINGS = {"emotion": EmotionReading, "scene": SceneReading, "profile": AvatarProfile}


def typed(values: dict[str, Any]) -> dict[str, Any]:
    """State values with the readings as their models: a checkpoint written when they were stored
    as plain dicts (an older data directory) reads the same as a new one."""
    out = dict(values)
    for key, model in _READINGS.items():
        if isinstance(out.get(key), dict):
            out[key] = model.model_validate(out[key])
    if isinstance(out.get("crisis"), dict):
        out["crisis"] = CrisisSignal(**out["crisis"])
    return out


def plain(value: Any) -> Any:
    """Any state value or update as JSON-ready data (models and dataclasses become dicts)."""
    return to_jsonable_python(value, fallback=str)
