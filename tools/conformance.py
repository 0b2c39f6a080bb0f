"""One conformance check per plugin interface: a tool (tools.contract), a speech backend
(tools.speech.backend), a talking-face backend (tools.face.backend) and a speech recognizer
(tools.perception.listening). Each looks an object over against its role's contract and raises
ContractError naming every member that is missing or wrong. Registration runs them
(tools.registry, tools.support); tests/test_conformance.py runs them over every built-in. They only
look, so they load no model; `validate_speech_backend(..., deep=True)` also speaks one sentence.
The chat-model check lives beside the chat models (agents.chat_models.conformance)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import BaseModel

from tools.contract import CAPABILITIES, LLM_CALLABLE, SUPPORT_ROLE, TOOL_ROLES
from tools.speech.backend import VoiceSpec

_ABSENT = object()
DEEP_SENTENCE = "Thank you for telling me how you feel."
DEEP_VOICE = VoiceSpec("af_heart")  # Kokoro's name for a voice; a backend ignores what it cannot use


class ContractError(ValueError):
    """An object breaks its role's contract; the message names what is missing or wrong. A
    ValueError, like a setting that names nothing installed, so callers report both alike."""


class _Review:
    """What one object lacks and has wrong, gathered so that one error names all of it."""

    def __init__(self, target: Any, kind: str, contract: str):
        self.target, self.kind, self.contract = target, kind, contract
        self.missing: list[str] = []
        self.wrong: list[str] = []

    def member(self, name: str, required: bool = True) -> Any:
        value = getattr(self.target, name, _ABSENT)
        if value is _ABSENT and required:
            self.missing.append(name)
        return value

    def text(self, name: str, empty_ok: bool = False) -> None:
        value = self.member(name)
        if value is not _ABSENT and not (isinstance(value, str) and (empty_ok or value.strip())):
            self.wrong.append(f"{name} must be a {'' if empty_ok else 'non-empty '}str, not {value!r}")

    def flag(self, name: str) -> None:
        value = self.member(name)
        if value is not _ABSENT and not isinstance(value, bool):
            self.wrong.append(f"{name} must be a bool, not {value!r}")

    def method(self, name: str, parameters: str, *args: Any, required: bool = True, **kwargs: Any) -> Any:
        """The member `name` if it can be called with these arguments (its signature is read, it is
        not called); None otherwise, with the reason noted."""
        value = self.member(name, required)
        if value is _ABSENT:
            return None
        if not callable(value):
            self.wrong.append(f"{name} must be callable, not {value!r}")
            return None
        try:
            signature = inspect.signature(value)
        except (TypeError, ValueError):  # some callables (builtins, C extensions) show no signature
            return value
        try:
            signature.bind(*args, **kwargs)
        except TypeError:
            self.wrong.append(f"{name} must take ({parameters}), not {signature}")
            return None
        return value

    def label(self) -> str:
        name = getattr(self.target, "name", None)
        return name if isinstance(name, str) and name.strip() else type(self.target).__name__

    def verdict(self) -> None:
        """Raises ContractError when anything was noted."""
        parts = ([f"lacks {', '.join(self.missing)}"] if self.missing else []) + self.wrong
        if parts:
            raise ContractError(f"{self.kind} {self.label()} {'; '.join(parts)} ({self.contract})")


def validate_tool(tool: Any, role: str) -> None:
    """Raises ContractError unless `tool` is a tools.contract.Tool of `role`: name, role,
    description, args_schema (a pydantic model), capabilities (a frozenset of known flags),
    invoke(args) and async ainvoke(args). A support tool also has offer(context), unless it is
    flagged llm_callable: then a chat model may call it and it need not offer itself."""
    if role not in TOOL_ROLES:
        raise ValueError(f"unknown tool role {role!r}; roles: {', '.join(TOOL_ROLES)}")
    review = _Review(tool, f"{role} tool", "tools.contract")
    review.text("name")
    actual = review.member("role")
    if actual is not _ABSENT and actual != role:
        review.wrong.append(f"role is {actual!r}, not {role!r}")
    review.text("description", empty_ok=True)
    schema = review.member("args_schema")
    if schema is not _ABSENT and not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        review.wrong.append(f"args_schema must be a pydantic BaseModel subclass, not {schema!r}")
    flags = review.member("capabilities")
    if flags is not _ABSENT:
        if not isinstance(flags, frozenset):
            review.wrong.append(f"capabilities must be a frozenset, not {type(flags).__name__}")
        elif unknown := sorted(map(str, flags - CAPABILITIES)):
            known = ", ".join(sorted(CAPABILITIES))
            review.wrong.append(f"capabilities has unknown flags {', '.join(unknown)} (known: {known})")
    review.method("invoke", "args", {})
    ainvoke = review.method("ainvoke", "args", {})
    if ainvoke is not None and not inspect.iscoroutinefunction(ainvoke):
        review.wrong.append("ainvoke must be a coroutine function (async def)")
    if role == SUPPORT_ROLE:
        called_by_chat_model = isinstance(flags, frozenset) and LLM_CALLABLE in flags
        review.method("offer", "context", None, required=not called_by_chat_model)
    review.verdict()


def validate_speech_backend(backend: Any, deep: bool = False, voice: VoiceSpec | None = None) -> None:
    """Raises ContractError unless `backend` is a tools.speech.backend.SpeechBackend: name, a
    positive int sample_rate, the bool flags controls_speed, clones_from_audio and
    catalogue_voices, and synthesize(text, voice), which also takes `speed` when the backend
    controls its speed. `deep` also speaks one sentence in `voice` (a backend that clones from audio
    needs one with a reference clip) and checks that mono float32 samples come back."""
    review = _Review(backend, "speech backend", "tools.speech.backend.SpeechBackend")
    review.text("name")
    rate = review.member("sample_rate")
    if rate is not _ABSENT and not (isinstance(rate, int) and not isinstance(rate, bool) and rate > 0):
        review.wrong.append(f"sample_rate must be a positive int, not {rate!r}")
    for flag in ("controls_speed", "clones_from_audio", "catalogue_voices"):
        review.flag(flag)
    speed = {"speed": 1.0} if getattr(backend, "controls_speed", False) is True else {}
    parameters = "text, voice, speed" if speed else "text, voice"
    synthesize = review.method("synthesize", parameters, "", None, **speed)
    review.verdict()
    if deep and synthesize is not None:
        audio = synthesize(DEEP_SENTENCE, voice or DEEP_VOICE, **speed)
        if not isinstance(audio, np.ndarray):
            review.wrong.append(f"synthesize returned {type(audio).__name__}, not mono float32 samples")
        elif audio.ndim != 1 or audio.dtype != np.float32 or not audio.size:
            review.wrong.append(f"synthesize returned {audio.dtype} {audio.shape}, not mono float32 samples")
        review.verdict()


def validate_talking_face_backend(backend: Any) -> None:
    """Raises ContractError unless `backend` is a tools.face.backend.TalkingFaceBackend: name and
    render(request); live(request), which renders while the speech is made, is optional."""
    review = _Review(backend, "talking-face backend", "tools.face.backend.TalkingFaceBackend")
    review.text("name")
    review.method("render", "request", None)
    review.method("live", "request", None, required=False)
    review.verdict()


def validate_speech_recognizer(backend: Any) -> None:
    """Raises ContractError unless `backend` is a tools.perception.listening.SpeechRecognizer:
    name and transcribe(audio)."""
    review = _Review(backend, "speech recognizer", "tools.perception.listening.SpeechRecognizer")
    review.text("name")
    review.method("transcribe", "audio", None)
    review.verdict()


# The chat_model role is checked by graph.backends: its contract is in agents, which tools never import.
BACKEND_VALIDATORS: dict[str, Callable[[Any], None]] = {
    "speech_backend": validate_speech_backend,
    "talking_face_backend": validate_talking_face_backend,
    "speech_recognition": validate_speech_recognizer,
}
