"""The one place the agents are built from the settings, for the server, the command line, replay
and every benchmark: the chat model (a built-in backend, one file each in agents.chat_models, or a
plugin's, which comes through the tools' registry) and the listener that writes the reply."""

from __future__ import annotations

import functools

from agents.chat_models import ChatModel
from agents.chat_models.conformance import validate_chat_model
from agents.emotion import EmotionAgent
from agents.listener.bases import QWEN, SMOLLM
from agents.listener.model import TrainedListener
from agents.profile import ProfilePlanner
from agents.responder import Responder
from agents.scene import SceneAgent, SceneIndex
from graph.nodes import Agents
from settings import Settings
from tools.registry import plugin_backend


def load_chat_model(settings: Settings) -> ChatModel | None:
    """The configured backend, or None for the embedded (no-LLM) policies. A plugin's model is
    checked against the ChatModel contract (agents.chat_models.conformance) first."""
    if settings.llm == "embedded":
        return None
    if settings.llm == "openai":
        from agents.chat_models.openai_compatible import OpenAICompatibleChatModel

        return OpenAICompatibleChatModel(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            timeout_s=settings.llm_timeout_s,
        )
    if settings.llm == "transformers":
        from agents.chat_models.transformers_local import TransformersChatModel

        if not settings.llm_path:
            raise ValueError("EMPATHYEAR_LLM=transformers needs EMPATHYEAR_LLM_PATH (a model folder)")
        return TransformersChatModel(settings.llm_path)
    plugin = plugin_backend(settings, "chat_model", settings.llm)
    if plugin is None:
        raise ValueError(
            f"unknown EMPATHYEAR_LLM {settings.llm!r}: use embedded, openai, transformers or an installed "
            "chat_model plugin's name"
        )
    validate_chat_model(plugin)  # a ValueError like the one above: the app stops, naming what it lacks
    return plugin


LISTENERS = {"trained": SMOLLM, "trained-1.5b": QWEN}


def listener_for(settings: Settings) -> TrainedListener | None:
    """The reply policy of EMPATHYEAR_LISTENER: a trained listener, or None for the templates."""
    if settings.listener == "templates":
        return None
    if settings.listener not in LISTENERS:
        raise ValueError(
            f"unknown EMPATHYEAR_LISTENER {settings.listener!r}: use {', '.join(LISTENERS)} or templates"
        )
    return shared_listener(settings.listener)


@functools.cache
def shared_listener(name: str = "trained") -> TrainedListener:
    """One listener per process and model: every runner and replay shares its loaded model."""
    return TrainedListener(LISTENERS[name])


def build_agents(
    settings: Settings, chat_model: ChatModel | None | str = "configured", prompts: dict[str, str] | None = None
) -> Agents:
    """The four agents on `chat_model` ("configured": the settings' backend; None: the embedded
    policies), with `prompts` ({prompt name: text}) in place of the shipped ones."""
    if chat_model == "configured":
        chat_model = load_chat_model(settings)
    prompts = prompts or {}
    return Agents(
        EmotionAgent(chat_model, prompts=prompts),
        SceneAgent(chat_model, SceneIndex(settings.home / "cache"), prompts=prompts),
        Responder(chat_model, prompts=prompts, listener=listener_for(settings)),
        ProfilePlanner(chat_model, prompts=prompts),
    )
