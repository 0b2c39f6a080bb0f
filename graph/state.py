"""The typed state one turn carries through the graph. Media stay on disk; state holds paths."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict


class TurnState(TypedDict, total=False):
    # Set by the runner before the graph starts.
    session_id: str
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
    emotion: dict[str, Any]
    crisis: dict[str, str] | None
    scene: dict[str, Any]
    response: str
    tool_calls: list[dict[str, Any]]  # support tools a tool-calling chat model chose to call
    support: list[dict[str, Any]]  # what the support tools added: tool, text, audio
    profile: dict[str, str]
    voice: dict[str, Any] | None
    speech: str | None
    face: dict[str, Any] | None
    video: str | None
    warnings: Annotated[list[str], operator.add]
    trace: Annotated[list[dict[str, Any]], operator.add]
