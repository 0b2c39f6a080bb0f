"""The LLM policy shared by all four agents: a prompt file on a chat model, the reply parsed
strictly, and every field that fails validation taken from the embedded policy instead."""

from __future__ import annotations

import json
import re
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from agents.chat_models import ChatModel, ChatModelError, ToolCallingChatModel

PROMPTS_DIR = Path(__file__).parent / "prompts"
T = TypeVar("T", bound=BaseModel)


@dataclass
class AgentResult(Generic[T]):
    """One agent's typed output plus what a trace needs to explain it."""

    output: T
    policy: str = "embedded"
    details: dict[str, Any] = field(default_factory=dict)
    prompt: str | None = None
    raw_output: str | None = None
    fallbacks: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # tools the chat model chose to call


def load_prompt(name: str, overrides: dict[str, str] | None = None) -> string.Template:
    """Prompts are `$name` templates so that JSON braces in them need no escaping. `overrides` maps
    a prompt's name to replacement text (a replay with an edited prompt)."""
    if overrides and name in overrides:
        return string.Template(overrides[name])
    return string.Template(PROMPTS_DIR.joinpath(f"{name}.txt").read_text("utf-8"))


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


def parse_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in a reply, tolerating code fences and prose around it."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for start in (i for i, ch in enumerate(candidate) if ch == "{"):
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


def overlay(
    embedded: T,
    proposed: dict[str, Any],
    checks: dict[str, Callable[[Any], bool]] | None = None,
) -> tuple[T, list[str]]:
    """Take each of the model's fields from `proposed` when it validates, else keep the embedded
    value; returns the merged model and a note per field that fell back."""
    merged = embedded.model_dump()
    fallbacks = []
    for name in type(embedded).model_fields:
        if name not in proposed:
            fallbacks.append(f"{name}: missing from the LLM reply")
            continue
        check = (checks or {}).get(name)
        if check is not None and not check(proposed[name]):
            fallbacks.append(f"{name}: rejected by the agent's check")
            continue
        try:
            candidate = type(embedded).model_validate({**merged, name: proposed[name]})
        except ValidationError as exc:
            fallbacks.append(f"{name}: invalid ({exc.errors()[0]['msg']})")
            continue
        merged[name] = getattr(candidate, name)
    return type(embedded).model_validate(merged), fallbacks


def run_llm_policy(
    chat_model: ChatModel,
    prompt_name: str,
    variables: dict[str, str],
    embedded: AgentResult[T],
    checks: dict[str, Callable[[Any], bool]] | None = None,
    prompts: dict[str, str] | None = None,
    tools: list[dict[str, Any]] | None = None,
) -> AgentResult[T]:
    """Ask the chat model, then overlay its valid fields on the embedded result. `tools` (function
    specs) are offered to a model that can call tools; the calls it makes come back in the result."""
    prompt = load_prompt(prompt_name, prompts).safe_substitute(variables)
    started = time.perf_counter()
    messages = [{"role": "user", "content": prompt}]
    calls: list[dict[str, Any]] = []
    try:
        if tools and isinstance(chat_model, ToolCallingChatModel):
            raw, calls = chat_model.complete_with_tools(messages, tools)
            calls = [dict(c) for c in calls]
        else:
            raw = chat_model.complete(messages)
    except ChatModelError as exc:
        return AgentResult(
            embedded.output, "llm", embedded.details, prompt, None,
            [f"all fields: {exc}"],
        )  # fmt: skip
    details = {**embedded.details, "llm_ms": round((time.perf_counter() - started) * 1000, 1)}
    proposed = parse_json_object(raw)
    if proposed is None:
        return AgentResult(
            embedded.output, "llm", details, prompt, raw, ["all fields: no JSON object in reply"], calls
        )
    output, fallbacks = overlay(embedded.output, proposed, checks)
    return AgentResult(output, "llm", details, prompt, raw, fallbacks, calls)
