"""The graph's nodes. Each returns a NodeOutcome; `traced` turns it into a state update and a
trace event (timing, inputs, outputs, prompt and raw LLM output, fallbacks) stored at once."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from agents.emotion import EmotionAgent
from agents.llm_policy import AgentResult
from agents.perceived import perceived_note
from agents.profile import ProfilePlanner
from agents.responder import Responder, ask_again_reply
from agents.safety import (
    CRISIS_FAMILIES,
    crisis_resources,
    is_safe_reply,
    safety_reply,
    screen_turn,
)
from agents.scene import SceneAgent
from agents.schema import AvatarProfile
from agents.wording import looks_english
from graph.state import TurnState, plain
from graph.telemetry import Telemetry
from memory.store import Store
from settings import MAX_TEXT_CHARS, Settings
from tools.contract import (
    LLM_CALLABLE,
    STREAMS_SPEECH,
    STREAMS_TEXT,
    SupportContext,
    capabilities_of,
    function_spec,
)
from tools.feed import Feed
from tools.registry import ToolRegistry
from tools.support import SupportDesk
from vocabulary.dialogue import Dialogue, Utterance
from vocabulary.emotions import family_of
from vocabulary.text import normalise_text, truncate_message

log = logging.getLogger("empathyear.turn")


@dataclass
class NodeOutcome:
    update: dict[str, Any]
    inputs: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Agents:
    emotion: EmotionAgent
    scene: SceneAgent
    responder: Responder
    profile: ProfilePlanner


def agent_details(result: AgentResult, agent: str) -> tuple[dict[str, Any], list[str]]:
    """Trace details of an agent run and the warnings its fallbacks raise."""
    details = {"policy": result.policy, **result.details, "parsed": result.output.model_dump(mode="json")}
    if result.prompt is not None:
        details |= {"prompt": result.prompt, "raw_output": result.raw_output, "fallbacks": result.fallbacks}
    warnings = []
    if result.fallbacks:
        fields = ", ".join(f.split(":", 1)[0] for f in result.fallbacks)
        warnings.append(f"{agent}: LLM output unusable for {fields}; used the embedded policy")
    return details, warnings


def stream_writer() -> Callable[[dict[str, Any]], None] | None:
    """LangGraph's custom stream, which the runner hears as it is written; None outside a streaming run."""
    from langgraph.config import get_stream_writer

    try:
        return get_stream_writer()
    except RuntimeError:
        return None


def speech_chunk_writer() -> Callable[[Any], None] | None:
    """Streams each spoken chunk to the runner's listeners as it is ready."""
    if (write := stream_writer()) is None:
        return None

    def on_chunk(chunk: Any) -> None:
        write({"speech_chunk": chunk})

    return on_chunk


def reply_writer() -> Callable[[str], None] | None:
    """Streams the reply to the runner's listeners sentence by sentence, as the listener writes and
    guards each one; None outside a streaming run."""
    if (write := stream_writer()) is None:
        return None
    sentences: list[str] = []

    def on_sentence(sentence: str) -> None:
        sentences.append(sentence)
        write({"reply_text": " ".join(sentences)})

    return on_sentence


class TurnFeeds:
    """What steps of a turn in flight hand each other while they run side by side: the reply's
    sentences ("reply", responder to synthesize_speech) and its speech ("speech", synthesize_speech
    to animate_face). Whichever side starts first opens the feed."""

    def __init__(self) -> None:
        self._feeds: dict[tuple[str, str], Feed] = {}
        self._lock = threading.Lock()

    def open(self, turn_id: str, kind: str) -> Feed:
        with self._lock:
            return self._feeds.setdefault((turn_id, kind), Feed())

    def discard(self, turn_id: str) -> None:
        with self._lock:
            for key in [k for k in self._feeds if k[0] == turn_id]:
                del self._feeds[key]


class TurnNodes:
    def __init__(
        self, settings: Settings, store: Store, agents: Agents, tools: ToolRegistry,
        telemetry: Telemetry | None = None,
    ):  # fmt: skip
        self.settings = settings
        self.store = store
        self.agents = agents
        self.tools = tools
        self.telemetry = telemetry or Telemetry()
        self.feeds = TurnFeeds()
        self.support_desk = SupportDesk()

    # -- wrapping ---------------------------------------------------------------------------
    def traced(self, name: str, node: Callable[[TurnState], NodeOutcome]) -> Callable[[TurnState], dict]:
        def run(state: TurnState) -> dict[str, Any]:
            with self.telemetry.node(state["turn_id"], name) as describe_span:
                started_at = datetime.now(timezone.utc).isoformat()
                started = time.perf_counter()
                outcome = node(state)
                duration_ms = round((time.perf_counter() - started) * 1000, 2)
                outputs = {k: v for k, v in outcome.update.items() if k != "warnings"}
                event = plain({
                    "node": name, "started_at": started_at, "duration_ms": duration_ms,
                    "inputs": outcome.inputs, "outputs": outputs, **outcome.details,
                })  # fmt: skip
                if outcome.update.get("warnings"):
                    event["warnings"] = outcome.update["warnings"]
                self.store.add_trace_event(state["turn_id"], event)
                describe_span(event)
                if write := stream_writer():
                    write({"node_done": {"node": name, "duration_ms": duration_ms}})
                return outcome.update

        run.__name__ = name
        return run

    @staticmethod
    def dialogue(state: TurnState) -> Dialogue:
        history = tuple(Utterance(u["role"], u["text"]) for u in state.get("history", []))
        return Dialogue(state["message"], history)

    # -- nodes ------------------------------------------------------------------------------
    def intake(self, state: TurnState) -> NodeOutcome:
        # The user's words are stored before any step that can fail.
        self.store.begin_turn(
            state["turn_id"], state["session_id"], state["text"], state.get("audio_path"), state.get("video_path"),
            state["media_dir"], create_session=not state.get("existing_session"),
        )  # fmt: skip
        text = normalise_text(state["text"])
        warnings = []
        if len(text) > MAX_TEXT_CHARS:
            text = truncate_message(text, MAX_TEXT_CHARS)
            warnings.append(
                f"message is longer than {MAX_TEXT_CHARS} characters: the agents read its first "
                f"{len(text)}; the whole message is stored"
            )
        english = looks_english(text)
        if not english:
            warnings.append("message does not look like English; the reply asks for English")
        inputs = {
            "chars": len(state["text"]),
            "audio": state.get("audio_path"),
            "video": state.get("video_path"),
        }
        return NodeOutcome({"message": text, "english": english, "warnings": warnings}, inputs)

    def perceive(self, state: TurnState) -> NodeOutcome:
        tool = self.tools.get("perception")
        inputs = {"audio": state.get("audio_path"), "video": state.get("video_path")}
        if tool is None:
            warning = "voice and video perception is not installed; the reply uses the text only"
            return NodeOutcome({"perception": None, "warnings": [warning]}, inputs)
        try:
            perceived = tool.invoke(inputs)
        except ValueError as exc:  # an upload that cannot be used: the message is for the user
            return NodeOutcome(
                {"perception": None, "input_problem": str(exc), "warnings": [f"{exc}"]}, inputs
            )
        except Exception as exc:  # a failed perception step must not lose the text
            problem = f"perception failed ({type(exc).__name__})"
            return NodeOutcome({"perception": None, "input_problem": problem, "warnings": [problem]}, inputs)
        transcript = perceived.get("transcript")
        message = " ".join(p for p in (state.get("message"), transcript) if p)
        public = {k: v for k, v in perceived.items() if k != "warnings"}
        update = {
            "perception": public,
            "transcript": transcript,
            "message": message,
            "warnings": perceived.get("warnings", []),
        }
        if not message:
            update["input_problem"] = "no speech was heard in the recording"
        return NodeOutcome(update, inputs, {"tool": tool.name, "timings_ms": perceived.get("timings_ms", {})})

    def ask_again(self, state: TurnState) -> NodeOutcome:
        """Nothing to answer: the recording could not be used and nothing was typed."""
        problem = state.get("input_problem") or "nothing came through"
        return NodeOutcome({"response": ask_again_reply(problem)}, {"problem": problem})

    def emotion(self, state: TurnState) -> NodeOutcome:
        dialogue = self.dialogue(state)
        # Perception, when it ran, offers cue distributions from the voice and the face.
        cues = (state.get("perception") or {}).get("cues") or None
        result = self.agents.emotion.run(dialogue, cues)
        details, warnings = agent_details(result, "emotion agent")
        crisis = screen_turn(state["text"], state.get("transcript"))
        update = {"emotion": result.output, "crisis": crisis, "warnings": warnings}
        return NodeOutcome(
            update, {"message": dialogue.message, "history_turns": len(dialogue.history)}, details
        )

    def safety(self, state: TurnState) -> NodeOutcome:
        dialogue = self.dialogue(state)
        crisis = state["crisis"]
        # The scene comes from the crisis families only, and the reply never from an LLM.
        scene = self.agents.scene.embedded(dialogue, state["emotion"], {CRISIS_FAMILIES[crisis.kind]}).output
        warnings = []
        try:
            resources = crisis_resources(self.settings.crisis_resources)
        except (OSError, ValueError, KeyError) as exc:
            # A broken resources file must never cost a person in crisis the help lines.
            resources = crisis_resources(None)
            warnings.append(f"crisis resources file unusable ({type(exc).__name__}); showed the bundled list")
        reply = safety_reply(crisis, resources)
        update = {"scene": scene, "response": reply, "warnings": warnings}
        return NodeOutcome(update, {"crisis": crisis}, {"policy": "safety", "resources": resources})

    def scene(self, state: TurnState) -> NodeOutcome:
        emotion = state["emotion"]
        result = self.agents.scene.run(self.dialogue(state), emotion)
        details, warnings = agent_details(result, "scene agent")
        return NodeOutcome({"scene": result.output, "warnings": warnings}, {"emotion": emotion.label}, details)

    def responder(self, state: TurnState) -> NodeOutcome:
        """Runs beside synthesize_speech: each sentence goes to the page and to speech as soon as it is
        written and guarded; a policy that writes its reply whole hands it over whole."""
        emotion, scene = state["emotion"], state["scene"]
        callable_tools = [
            function_spec(t) for t in self.tools.support() if LLM_CALLABLE in capabilities_of(t)
        ]
        feed, shown = self.feeds.open(state["turn_id"], "reply"), reply_writer()
        written: list[str] = []

        def on_sentence(sentence: str) -> None:
            written.append(sentence)
            feed.put(sentence)
            if shown is not None:
                shown(sentence)

        reply = None
        try:
            note = perceived_note(state.get("perception"), emotion.label)
            if note:
                on_sentence(note)
            result = self.agents.responder.run(
                self.dialogue(state), emotion, scene, state.get("english", True), callable_tools, on_sentence
            )
            if len(written) == (1 if note else 0):
                on_sentence(result.output.response)
            reply = " ".join(written)
        finally:  # speech waits on this feed: it must close however the reply ended
            feed.close(reply)
        details, warnings = agent_details(result, "responder")
        if note:
            details["perceived_note"] = note
        if result.tool_calls:
            details["tool_calls"] = result.tool_calls
        inputs = {"emotion": emotion.label, "scenario": scene.scenario}
        return NodeOutcome(
            {"response": reply, "tool_calls": result.tool_calls, "warnings": warnings}, inputs, details
        )

    def support(self, state: TurnState) -> NodeOutcome:
        """Support tools beside the reply (tools.support chooses and calls them); what they say joins
        the reply once it passes the safety check, and their media stay in the turn's folder."""
        tools = self.tools.support()
        if not tools:
            return NodeOutcome({"support": []})
        emotion, scene = state["emotion"], state["scene"]
        context = SupportContext(
            state["message"], emotion.label, family_of(emotion.label), scene.scenario, scene.goal
        )
        chosen, warnings = self.support_desk.choose(tools, state.get("tool_calls") or [], context)
        used, reply = [], state["response"]
        for call in chosen:
            arguments, produced, problem = self.support_desk.call(call, state["media_dir"])
            if produced is None:
                warnings.append(problem)
                continue
            text = (produced.get("text") or "").strip()
            if text and not is_safe_reply(text):
                warnings.append(
                    f"support tool {call.tool.name} returned text that failed the safety check; left out"
                )
                continue
            if text:
                reply = f"{reply} {text}"
            used.append({"tool": call.tool.name, "chosen_by": call.chosen_by, "arguments": arguments,
                         "text": text or None, "audio": produced.get("audio")})  # fmt: skip
        return NodeOutcome(
            {"support": used, "response": reply, "warnings": warnings},
            {"tools": sorted(t.name for t in tools), "tool_calls": state.get("tool_calls") or []},
        )

    def profile(self, state: TurnState) -> NodeOutcome:
        emotion, scene = state["emotion"], state["scene"]
        preferences = state.get("preferences") or {}
        result = self.agents.profile.run(self.dialogue(state), emotion, scene, preferences)
        details, warnings = agent_details(result, "profile planner")
        inputs = {"emotion": emotion.label, "scenario": scene.scenario, "preferences": preferences}
        return NodeOutcome({"profile": result.output, "warnings": warnings}, inputs, details)

    def _tool_step(
        self, role: str, key: str, args: dict[str, Any], label: str, extra: dict[str, Any] | None = None,
        instead: str = "the reply is text only",
    ) -> NodeOutcome:
        """Run the role's tool; a missing or failing tool leaves the turn's text intact. `extra`
        arguments (callbacks) reach the tool but not the trace; `instead` says what the turn does
        without it."""
        tool = self.tools.get(role)
        if tool is None:
            return NodeOutcome({key: None, "warnings": [f"{label} is not installed; {instead}"]}, args)
        try:
            produced = tool.invoke({**args, **(extra or {})})
        except Exception as exc:  # the client hears what failed; the details stay in the server's log
            log.warning("%s failed: %s: %.300s", label, type(exc).__name__, exc)
            return NodeOutcome({key: None, "warnings": [f"{label} failed; {instead}"]}, args)
        details = {"tool": tool.name, "result": {k: v for k, v in produced.items() if k != "warnings"}}
        return NodeOutcome(
            {key: produced.get(key), "warnings": list(produced.get("warnings") or [])}, args, details
        )

    @staticmethod
    def _profile_key(profile: AvatarProfile) -> str:
        return "|".join((profile.gender, profile.age, profile.timbre))

    def _pinned_step(self, role: str, key: str, state: TurnState, label: str) -> NodeOutcome:
        """Retrieval that keeps one asset per profile for the whole session, so the avatar does not
        change voice or face mid-conversation."""
        profile_key = self._profile_key(state["profile"])
        args = {
            "profile": state["profile"].model_dump(), "emotion": state["emotion"].label,
            "pinned": self.store.pinned_asset(state["session_id"], key, profile_key),
        }  # fmt: skip
        outcome = self._tool_step(role, key, args, label, instead=f"the default {key} is used")
        found = outcome.update.get(key)
        if found and found.get("id") != args["pinned"]:
            self.store.pin_asset(state["session_id"], key, profile_key, found["id"])
        return outcome

    def retrieve_voice(self, state: TurnState) -> NodeOutcome:
        return self._pinned_step("voice_retrieval", "voice", state, "voice retrieval")

    def synthesize_speech(self, state: TurnState) -> NodeOutcome:
        """Runs beside the responder. A tool that streams speaks each sentence as it arrives; any
        other gets the finished reply, as does every tool on the safety route, whose reply is written
        before."""
        turn_id = state["turn_id"]
        args = {
            "voice": state.get("voice"), "emotion": state["emotion"].model_dump(),
            "steady": bool(state.get("crisis")), "out_dir": state["media_dir"],
        }  # fmt: skip
        feed = self.feeds.open(turn_id, "speech") if state.get("want_video", True) else None
        listeners = [f for f in (speech_chunk_writer(), feed.put if feed else None) if f]

        def on_chunk(chunk: Any) -> None:
            for listener in listeners:
                listener(chunk)

        extra: dict[str, Any] = {"on_chunk": on_chunk}
        outcome = None
        try:
            tool = self.tools.get("speech")
            reply = None if state.get("crisis") else self.feeds.open(turn_id, "reply")
            if reply is not None and tool is not None and STREAMS_TEXT in capabilities_of(tool):
                extra["sentences"] = reply
            else:
                args["text"] = reply.drain() if reply is not None else state["response"]
            outcome = self._tool_step("speech", "speech", args, "speech synthesis", extra)
            if reply is not None:
                outcome.inputs["text"] = reply.drain()  # the reply as it was spoken, for the trace
        finally:  # the avatar waits on this feed: it must close however speech ended
            if feed is not None:
                feed.close(outcome.update.get("speech") if outcome else None)
        return outcome

    def retrieve_face(self, state: TurnState) -> NodeOutcome:
        return self._pinned_step("face_retrieval", "face", state, "face retrieval")

    def animate_face(self, state: TurnState) -> NodeOutcome:
        """Runs beside synthesize_speech. A tool that streams renders each chunk of speech as it is
        spoken; any other gets the finished speech."""
        feed = self.feeds.open(state["turn_id"], "speech")
        args = {"face": state.get("face"), "emotion": state["emotion"].model_dump(), "out_dir": state["media_dir"]}
        tool = self.tools.get("talking_face")
        if tool is not None and STREAMS_SPEECH in capabilities_of(tool):
            outcome = self._tool_step(
                "talking_face", "video", args, "talking-face animation", {"speech_feed": feed}
            )
        elif feed.drain() is not None:
            outcome = self._tool_step(
                "talking_face", "video", {**args, "speech": feed.result}, "talking-face animation"
            )
        else:
            outcome = NodeOutcome({"video": None}, args)
        if feed.result is None:
            outcome.update |= {
                "video": None,
                "warnings": ["no speech to animate; the avatar video is skipped"],
            }
        outcome.inputs["speech"] = feed.result
        return outcome

    def remember(self, state: TurnState) -> NodeOutcome:
        """The turn's last step, once every branch has finished."""
        self.feeds.discard(state["turn_id"])
        meta = plain({
            "emotion": state.get("emotion"), "scene": state.get("scene"),
            "response": state["response"], "profile": state.get("profile"),
        })  # fmt: skip
        timings = self.store.trace_timings(state["turn_id"])
        self.store.complete_turn(
            state["turn_id"], reply=state["response"], meta=meta, transcript=state.get("transcript"),
            speech=state.get("speech"), video=state.get("video"), timings=timings,
            warnings=state.get("warnings", []),
        )  # fmt: skip
        return NodeOutcome({}, {"media_dir": str(Path(state["media_dir"]))})
