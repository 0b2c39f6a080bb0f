"""The turn as a LangGraph state machine (see the README's drawing)."""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph

from graph.nodes import TurnNodes
from graph.state import TurnState

NODE_ORDER = (
    "intake", "perceive", "ask_again", "emotion", "safety", "scene", "profile", "retrieve_voice",
    "retrieve_face", "responder", "synthesize_speech", "animate_face", "support", "remember",
)  # fmt: skip


def after_intake(state: TurnState) -> str:
    return "perceive" if state.get("audio_path") or state.get("video_path") else "emotion"


def after_perceive(state: TurnState) -> str:
    return "emotion" if state.get("message") else "ask_again"


def after_emotion(state: TurnState) -> str:
    return "safety" if state.get("crisis") else "scene"


def after_profile(state: TurnState) -> list[str]:
    """The voice and the face are looked up side by side before the reply is written, so that its
    first sentence can be spoken as soon as it is."""
    if not state.get("want_speech", True):
        return ["remember"] if state.get("crisis") else ["responder"]
    return ["retrieve_voice", "retrieve_face"] if state.get("want_video", True) else ["retrieve_voice"]


def after_voice(state: TurnState) -> list[str]:
    """The reply is written, spoken and animated side by side: speech takes each sentence as it is
    written, the avatar each chunk of speech as it is spoken. The safety route's reply is written."""
    return ["synthesize_speech"] if state.get("crisis") else ["responder", "synthesize_speech"]


def build_graph(nodes: TurnNodes, checkpointer: BaseCheckpointSaver | None = None):
    graph = StateGraph(TurnState)
    for name in NODE_ORDER:
        # The record waits for every branch: the reply's support, its speech and its video.
        graph.add_node(name, nodes.traced(name, getattr(nodes, name)), defer=name == "remember")
    graph.add_edge(START, "intake")
    graph.add_conditional_edges("intake", after_intake, ["perceive", "emotion"])
    graph.add_conditional_edges("perceive", after_perceive, ["emotion", "ask_again"])
    graph.add_edge("ask_again", "remember")
    graph.add_conditional_edges("emotion", after_emotion, ["safety", "scene"])
    graph.add_edge("scene", "profile")
    graph.add_edge("safety", "profile")
    graph.add_conditional_edges("profile", after_profile, ["retrieve_voice", "retrieve_face", "responder", "remember"])
    graph.add_conditional_edges("retrieve_voice", after_voice, ["responder", "synthesize_speech"])
    graph.add_edge("retrieve_face", "animate_face")
    graph.add_edge("responder", "support")
    graph.add_edge("support", "remember")
    graph.add_edge("synthesize_speech", "remember")
    graph.add_edge("animate_face", "remember")
    graph.add_edge("remember", END)
    return graph.compile(checkpointer=checkpointer)
