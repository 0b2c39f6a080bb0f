"""Runs turns through the compiled graph, streaming one event per node as it finishes."""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agents.chat_models import ChatModel
from graph.backends import build_agents
from graph.builder import build_graph
from graph.nodes import TurnNodes
from graph.state import STATE_TYPES, plain
from graph.telemetry import Telemetry
from memory.checkpoints import checkpoints_location, delete_turn_checkpoints, open_checkpointer
from memory.store import Store, TurnGone
from settings import HISTORY_CHARS, Settings
from tools.registry import MediaTool, ToolRegistry
from vocabulary.taxonomy import AgeGroup, Gender, Timbre
from vocabulary.text import normalise_text, strip_controls, truncate_message

log = logging.getLogger("empathyear.turn")
SESSION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class InputError(ValueError):
    """Input the user can fix; the command line exits with status 2."""


class TurnFailed(RuntimeError):
    """A step failed unexpectedly; the user's turn is stored with status 'failed'."""


class SessionGone(TurnFailed):
    """The session was deleted before or while the turn ran; nothing of the turn was kept."""


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gender: Gender | None = None
    age: AgeGroup | None = None
    timbre: Timbre | None = None


class TurnRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = ""
    session_id: str | None = Field(default=None, pattern=SESSION_ID_PATTERN)
    audio_path: str | None = None
    video_path: str | None = None
    want_speech: bool = True
    want_video: bool = True
    existing_session: bool = False  # the API's turns: their session was opened with a token
    out_dir: Path | None = None
    preferences: Preferences = Field(default_factory=Preferences)

    @field_validator("text")
    @classmethod
    def _encodable(cls, text: str) -> str:
        # Undecodable bytes from a terminal arrive as lone surrogates, which no database stores.
        return strip_controls(text.encode("utf-8", "replace").decode("utf-8"))

    @field_validator("audio_path", "video_path")
    @classmethod
    def _a_file(cls, path: str | None, info) -> str | None:
        """A recording must be a file that exists: a folder, a pipe or a device is refused before
        anything is stored, with what is wrong with it."""
        import stat

        if path is None:
            return None
        kind = info.field_name.removesuffix("_path")
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            raise ValueError(f"the {kind} file {path} was not found") from None
        except OSError as exc:
            raise ValueError(f"the {kind} file {path} cannot be read ({exc.strerror})") from None
        if stat.S_ISDIR(mode):
            raise ValueError(f"{path} is a folder: give the {kind} file itself")
        if not stat.S_ISREG(mode):
            raise ValueError(f"{path} is not a regular file (a pipe or a device): give a saved {kind} file")
        return path

    @model_validator(mode="after")
    def _has_something_to_say(self) -> TurnRequest:
        if not normalise_text(self.text) and not (self.audio_path or self.video_path):
            raise ValueError("the message is empty: type something to say")
        return self


def new_id() -> str:
    return uuid.uuid4().hex[:16]


class TurnRunner:
    def __init__(
        self, settings: Settings | None = None, chat_model: ChatModel | None | str = "configured",
        tools: list[MediaTool] | None = None, telemetry: Telemetry | None = None,
    ):  # fmt: skip
        """`chat_model` overrides the configured backend (None: embedded); `tools` overrides discovery;
        `telemetry` the OpenTelemetry set-up (default: from the environment, see graph.telemetry)."""
        self.settings = settings or Settings()
        self.store = Store.from_settings(self.settings)
        self._running: set[str] = set()  # the turns this runner holds leases on
        self._leases_lock = threading.Lock()
        self._renewer: threading.Thread | None = None
        self.reclaim_abandoned()
        self.checkpointer = open_checkpointer(checkpoints_location(self.settings), STATE_TYPES)
        self.agents = build_agents(self.settings, chat_model)
        self.telemetry = telemetry or Telemetry.from_settings(self.settings)
        self.nodes = TurnNodes(
            self.settings, self.store, self.agents, ToolRegistry(self.settings, tools), self.telemetry
        )
        self.graph = build_graph(self.nodes, self.checkpointer)

    def reclaim_abandoned(self) -> None:
        """Turns left pending by a process that died (kill -9, a power cut) are marked interrupted
        and their partial media removed; the user's words stay stored."""
        import shutil

        for folder in self.store.reclaim_abandoned():
            if Path(folder).is_relative_to(self.settings.media):
                shutil.rmtree(folder, ignore_errors=True)

    def _hold(self, turn_id: str) -> None:
        with self._leases_lock:
            self._running.add(turn_id)
            if self._renewer is None:
                self._renewer = threading.Thread(target=self._renew, name="turn-leases", daemon=True)
                self._renewer.start()

    def _release(self, turn_id: str) -> None:
        with self._leases_lock:
            self._running.discard(turn_id)

    def _renew(self) -> None:
        """While this runner has turns running: reclaims other processes' expired leases, first as
        soon as a turn starts (a replica whose turns all end within one renewal period must still
        find a dead replica's turn), and renews its own turns' leases. Ends when none is left; the
        next turn starts it again. A failed pass (the database briefly unreachable) is logged and
        tried again at the next, never ends it."""
        while True:
            try:
                self.reclaim_abandoned()
            except Exception as exc:  # the next pass tries again
                log.warning("reclaiming abandoned turns failed: %s", type(exc).__name__)
            time.sleep(self.store.lease_s / 3)
            with self._leases_lock:
                running = list(self._running)
                if not running:
                    self._renewer = None
                    return
            try:
                self.store.renew_leases(running)
            except Exception as exc:  # the next pass tries again; the turns' leases run on meanwhile
                log.warning("renewing turn leases failed: %s", type(exc).__name__)

    @staticmethod
    def request(**fields: Any) -> TurnRequest:
        """A validated request, or an InputError saying what to fix."""
        from pydantic import ValidationError

        try:
            return TurnRequest(**fields)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg'].removeprefix('Value error, ')}"
                for e in exc.errors()
            )
            raise InputError(problems) from exc

    def stream(self, request: TurnRequest) -> Iterator[dict[str, Any]]:
        """Events `{"event": "node", ...}` as nodes finish, `{"event": "reply_text", "text": str}` with
        the reply so far as each sentence is written and guarded, `{"event": "speech_chunk", "chunk":
        SpokenChunk}` as each piece of the reply's speech is ready, then `{"event": "result", ...}`.
        Turns of one session run one after the other, on any replica of a shared database; each
        reads the history its predecessors left."""
        session_id = request.session_id or new_id()
        with self.store.session_turn(session_id):
            yield from self._stream(request, session_id)

    def _stream(self, request: TurnRequest, session_id: str) -> Iterator[dict[str, Any]]:
        turn_id = new_id()
        media_dir = request.out_dir or self.settings.media / session_id / turn_id
        history = self.store.recent_dialogue(session_id, self.settings.history_turns)
        initial = {
            "session_id": session_id, "existing_session": request.existing_session, "turn_id": turn_id,
            "text": request.text,
            "audio_path": request.audio_path, "video_path": request.video_path,
            "want_speech": request.want_speech, "want_video": request.want_video,
            "media_dir": str(media_dir), "preferences": request.preferences.model_dump(exclude_none=True),
            "history": [{"role": u.role, "text": truncate_message(normalise_text(u.text), HISTORY_CHARS)} for u in history],
            "warnings": [],
        }  # fmt: skip
        config = {"configurable": {"thread_id": turn_id}}
        self.telemetry.start_turn(turn_id, session_id)
        started = time.perf_counter()
        stored = False  # the intake node has written the user's words
        durations: dict[str, float] = {}  # each node's, as its trace event is written
        self._hold(turn_id)
        try:
            for mode, payload in self.graph.stream(initial, config, stream_mode=["updates", "custom"]):
                if mode == "custom":
                    if "node_done" in payload:
                        durations[payload["node_done"]["node"]] = payload["node_done"]["duration_ms"]
                    elif "speech_chunk" in payload:
                        yield {"event": "speech_chunk", "chunk": payload["speech_chunk"]}
                    elif "reply_text" in payload:
                        yield {"event": "reply_text", "text": payload["reply_text"]}
                    continue
                for node, values in payload.items():
                    stored = stored or node == "intake"
                    yield {"event": "node", "node": node, "duration_ms": durations.get(node), "update": plain(values or {})}
        except Exception as exc:
            self.nodes.feeds.discard(turn_id)
            self.telemetry.end_turn(turn_id, error=exc)
            if isinstance(exc, TurnGone) or (stored and self.store.turn(turn_id) is None):
                self._erase_abandoned(config, session_id, media_dir)
                raise SessionGone("the session was deleted while this turn ran; nothing of it was kept") from exc
            saved = self.store.turn(turn_id) is not None
            self.store.fail_turn(turn_id, f"{type(exc).__name__}: {exc}")
            outcome = "your message is saved" if saved else "your message could not be saved"
            raise TurnFailed(f"the turn failed in the graph ({type(exc).__name__}); {outcome}") from exc
        except GeneratorExit:  # the caller stopped listening mid-turn: its span must still end
            self.nodes.feeds.discard(turn_id)
            self.telemetry.end_turn(turn_id)
            self.store.interrupt_turn(turn_id, "the caller stopped listening before the turn ended")
            raise
        finally:
            self._release(turn_id)
        if self.store.turn(turn_id) is None:  # deleted after its last step: what that step wrote goes too
            self._erase_abandoned(config, session_id, media_dir)
            raise SessionGone("the session was deleted while this turn ran; nothing of it was kept")
        state = self.graph.get_state(config).values
        timings = self.store.trace_timings(turn_id)
        timings["total"] = round((time.perf_counter() - started) * 1000, 2)
        self.store.record_timings(turn_id, timings)
        self.telemetry.end_turn(turn_id, state, timings)
        yield {"event": "result", "result": self._result(state, timings)}

    def run(self, request: TurnRequest) -> dict[str, Any]:
        *_, last = self.stream(request)
        return last["result"]

    @staticmethod
    def _result(state: dict[str, Any], timings: dict[str, float]) -> dict[str, Any]:
        """The JSON contract of `empathyear chat --json`."""
        return plain({
            "session": state["session_id"],
            "turn": state["turn_id"],
            "input": {"text": state["text"], "transcript": state.get("transcript")},
            "meta": {
                "emotion": state.get("emotion"),
                "scene": state.get("scene"),
                "response": state["response"],
                "profile": state.get("profile"),
            },  # fmt: skip
            "perception": state.get("perception"),
            "crisis": state.get("crisis"),
            "support": state.get("support") or [],
            "voice": state.get("voice"),
            "speech": state.get("speech"),
            "face": state.get("face"),
            "video": state.get("video"),
            "timings_ms": timings,
            "warnings": state.get("warnings", []),
        })

    def _erase_abandoned(self, config: dict, session_id: str, media_dir: Path) -> None:
        """What a turn wrote after its session was deleted: its checkpoints and its media (only the
        files it made, where it was told to write into a folder of the caller's)."""
        import shutil

        state = self.graph.get_state(config).values
        delete_turn_checkpoints(self.checkpointer, [config["configurable"]["thread_id"]])
        if media_dir.is_relative_to(self.settings.media):
            shutil.rmtree(media_dir, ignore_errors=True)
        for key in ("speech", "video"):
            if state.get(key):
                Path(state[key]).unlink(missing_ok=True)
        if not self.store.turns(session_id):
            shutil.rmtree(self.settings.media / session_id, ignore_errors=True)

    def delete_session(self, session_id: str) -> int:
        """Erase a session: turns, traces, checkpoints and media, wherever its media were written.
        Returns the number of turns."""
        import re
        import shutil

        if not re.fullmatch(SESSION_ID_PATTERN, session_id):
            raise InputError("session ids are 1-64 letters, digits, '-' or '_'")
        media = [p for t in self.store.turns(session_id) for p in (t["speech"], t["video"]) if p]
        turn_ids = self.store.delete_session(session_id)
        delete_turn_checkpoints(self.checkpointer, turn_ids)
        for path in media:
            Path(path).unlink(missing_ok=True)
        shutil.rmtree(self.settings.media / session_id, ignore_errors=True)
        return len(turn_ids)
