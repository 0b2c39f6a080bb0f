"""The conformance check for chat models (agents.chat_models.ChatModel): graph.backends runs it on a
plugin's model when EMPATHYEAR_LLM names one, and tests/test_conformance.py on every built-in. It
raises ChatModelContractError naming every member that is missing or wrong. It only looks, so it
contacts no server and loads no weights; `deep=True` also asks the model for one reply."""

from __future__ import annotations

import inspect
from typing import Any

from agents.chat_models.base import Message

DEEP_MESSAGES: list[Message] = [{"role": "user", "content": "Say hello in one short sentence."}]


class ChatModelContractError(ValueError):
    """A chat model breaks agents.chat_models.ChatModel; the message names what. A ValueError, like an
    EMPATHYEAR_LLM that names nothing installed, so the app stops at start with it the same way."""


def _call_problem(model: Any, member: str, parameters: str, *args: Any) -> str | None:
    """Why `model.member` cannot be called with `args` (its signature is read, it is not called)."""
    value = getattr(model, member)
    if not callable(value):
        return f"{member} must be callable, not {value!r}"
    try:
        signature = inspect.signature(value)
    except (TypeError, ValueError):  # some callables (builtins, C extensions) show no signature
        return None
    try:
        signature.bind(*args)
    except TypeError:
        return f"{member} must take ({parameters}), not {signature}"
    return None


def validate_chat_model(model: Any, deep: bool = False) -> None:
    """Raises ChatModelContractError unless `model` has a non-empty str `name` and
    complete(messages); a model that claims tool calling (it has complete_with_tools, which is how
    the agents tell) must take (messages, tools) there. `deep` also checks that complete returns a str."""
    problems = _problems(model)
    if deep and not problems and not isinstance(reply := model.complete(DEEP_MESSAGES), str):
        problems.append(f"complete returned {type(reply).__name__}, not str")
    if problems:
        name = getattr(model, "name", None)
        label = name if isinstance(name, str) and name.strip() else type(model).__name__
        problem = "; ".join(problems)
        raise ChatModelContractError(f"chat model {label} {problem} (agents.chat_models.ChatModel)")


def _problems(model: Any) -> list[str]:
    missing = [m for m in ("name", "complete") if not hasattr(model, m)]
    problems = [f"lacks {', '.join(missing)}"] if missing else []
    name = getattr(model, "name", None)
    if "name" not in missing and not (isinstance(name, str) and name.strip()):
        problems.append(f"name must be a non-empty str, not {name!r}")
    calls = [("complete", "messages", ([],))]
    if hasattr(model, "complete_with_tools"):
        calls.append(("complete_with_tools", "messages, tools", ([], [])))
    for member, parameters, args in calls:
        if member not in missing and (problem := _call_problem(model, member, parameters, *args)):
            problems.append(problem)
    return problems
