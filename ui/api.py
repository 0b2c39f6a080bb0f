"""The REST API under /v1: sessions with a bearer token each, turns (plain or streamed as server-sent
events), the session's history, its media files, and deletion of everything it holds.

A wrong token and another session's id get the same 404 as an id that does not exist, so the API
never reveals which sessions exist. The token goes in an `Authorization: Bearer` header; only media
links, which a browser opens, may carry it as `?token=`. A turn's body is read by ui.uploads.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from queue import Queue
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import FileResponse, StreamingResponse

from graph.runner import InputError, SessionGone, TurnFailed, TurnRunner, new_id
from tools.perception.media import LIMITS
from ui.limits import RateLimiter, SharedRateLimiter, TurnGate, client_address, rate_limiters
from ui.uploads import ACCEPTED, BodyError, read_turn_form

_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}
PER_SESSION_TURNS = 2  # turns of one session a server holds at once: the one running and one waiting
# The turn endpoints read their body themselves (ui.uploads); this is the form they take.
_TURN_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            kind: {
                "schema": {
                    "type": "object",
                    "properties": {
                        "text": {"type": "string", "description": "the message (or leave it empty and send audio or video)"},
                        "audio": {"type": "string", "format": "binary", "description": f"at most {LIMITS['audio'][0] // 2**20} MB"},
                        "video": {"type": "string", "format": "binary", "description": f"at most {LIMITS['video'][0] // 2**20} MB"},
                        "want_speech": {"type": "boolean", "default": True},
                        "want_video": {"type": "boolean", "default": True},
                    },
                }
            }
            for kind in ACCEPTED
        },
    }
}  # fmt: skip


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _not_found() -> HTTPException:
    return HTTPException(404, "no such session")


def _bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; any other scheme is no token."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _remove(*uploads: str | Path | None) -> None:
    """The uploads of a turn that will not run: nothing of it is kept."""
    for path in uploads:
        if path:
            Path(path).unlink(missing_ok=True)


def _flag(form: dict[str, str], name: str) -> bool:
    value = form.get(name, "true").strip().lower()
    if value not in _TRUE | _FALSE:
        raise HTTPException(422, f"{name}: give true or false, not {value[:20]!r}")
    return value in _TRUE


class Api:
    def __init__(self, runner: TurnRunner):
        self.runner = runner
        self.media = runner.settings.media
        settings = runner.settings
        self.turn_limit, self.session_limit = rate_limiters(settings, runner.store)
        self.trusted_proxies = settings.trusted_proxies
        self.gate = TurnGate(settings.active_turns, settings.queued_turns)
        self._session_turns: dict[str, int] = {}  # turns of each session running or waiting here
        self._sessions_lock = threading.Lock()

    def admitted(self, turn) -> object:
        """A place for `turn`, or 503 with Retry-After when every place and the queue are taken
        (the turn's uploads are removed then: nothing of a refused turn is kept)."""
        session = turn.session_id
        with self._sessions_lock:
            # A session's turns run one after another: one running and one waiting is enough, and
            # more would hold places every other session needs.
            busy = self._session_turns.get(session, 0) >= PER_SESSION_TURNS
            if not busy:
                self._session_turns[session] = self._session_turns.get(session, 0) + 1
        if busy:
            _remove(turn.audio_path, turn.video_path)
            raise HTTPException(429, "a turn of this conversation is still being answered: try again when it ends",
                                headers={"Retry-After": str(self.gate.retry_after_s())})  # fmt: skip
        ticket = self.gate.enter()
        if ticket is None:
            self._session_done(session)
            _remove(turn.audio_path, turn.video_path)
            wait = self.gate.retry_after_s()
            raise HTTPException(503, f"EmpathyEar is busy: try again in {wait} s", headers={"Retry-After": str(wait)})
        return ticket

    def _session_done(self, session: str) -> None:
        with self._sessions_lock:
            left = self._session_turns.pop(session, 1) - 1
            if left:
                self._session_turns[session] = left

    def run_admitted(self, ticket: object, request, on_position=None) -> Iterator[dict[str, Any]]:
        """The turn's events once it has its place; the place is given up when it ends."""
        try:
            self.gate.wait(ticket, on_position)
            began = time.monotonic()
            try:
                yield from self.runner.stream(request)
            finally:
                self.gate.leave(time.monotonic() - began)
        finally:
            self._session_done(request.session_id)

    @staticmethod
    def limited(limiter: RateLimiter | SharedRateLimiter, key: str, what: str) -> None:
        if wait := limiter.wait_s(key):
            raise HTTPException(429, f"too many {what}: try again in {wait} s", headers={"Retry-After": str(wait)})

    # -- access -------------------------------------------------------------------------
    def session(self, session_id: str, authorization: Annotated[str | None, Header()] = None) -> str:
        return self._check(session_id, _bearer(authorization))

    def media_session(
        self, session_id: str, authorization: Annotated[str | None, Header()] = None,
        token: Annotated[str | None, Query(description="for media links a browser opens")] = None,
    ) -> str:  # fmt: skip
        return self._check(session_id, _bearer(authorization) or token)

    def _check(self, session_id: str, offered: str | None) -> str:
        expected = (
            self.runner.store.token_digest(session_id)
            if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", session_id)
            else None
        )
        if not offered or expected is None or not hmac.compare_digest(digest(offered), expected):
            raise _not_found()
        return session_id

    # -- helpers ------------------------------------------------------------------------
    def media_url(self, session_id: str, path: str | None) -> str | None:
        if not path:
            return None
        try:
            relative = Path(path).resolve().relative_to((self.media / session_id).resolve())
        except ValueError:
            return None
        return f"/v1/sessions/{session_id}/media/{relative.as_posix()}"

    def public(self, session_id: str, result: dict[str, Any]) -> dict[str, Any]:
        return {
            **result,
            "speech": self.media_url(session_id, result["speech"]),
            "video": self.media_url(session_id, result["video"]),
            "support": [
                {**used, "audio": self.media_url(session_id, used.get("audio"))} for used in result.get("support", [])
            ],
        }

    async def read_turn(self, session_id: str, request: Request):
        """The turn a request's body asks for, its files written into the session's upload folder."""
        try:
            form = await read_turn_form(
                request.headers.get("content-type"), request.stream(), self.media / session_id / "uploads",
                self.runner.settings.upload_s,
            )  # fmt: skip
        except BodyError as exc:
            raise HTTPException(exc.status, exc.detail) from None
        paths = {kind: str(path) for kind, path in form.files.items()}
        try:
            return self.turn_request(
                session_id, form.fields.get("text", ""), paths.get("audio"), paths.get("video"),
                _flag(form.fields, "want_speech"), _flag(form.fields, "want_video"),
            )  # fmt: skip
        except HTTPException:
            _remove(*form.files.values())
            raise

    def turn_request(
        self,
        session_id: str,
        text: str,
        audio: str | None,
        video: str | None,
        want_speech: bool,
        want_video: bool,
    ):
        try:
            return self.runner.request(
                text=text, session_id=session_id, audio_path=audio, video_path=video,
                want_speech=want_speech, want_video=want_video, existing_session=True,
            )  # fmt: skip
        except InputError as exc:
            raise HTTPException(400, str(exc)) from exc

    # -- the stream ---------------------------------------------------------------------
    def events(self, session_id: str, request, ticket: object) -> Iterator[str]:
        """The turn's server-sent events, `queue` ({"position": n}) while it waits for a place. The
        turn runs on its own thread to its end and is stored even when the client stops listening
        half-way (it finds the turn on reload)."""
        queue: Queue = Queue()

        def waiting(place: int) -> None:
            queue.put({"event": "queue", "position": place})

        def work() -> None:
            try:
                for event in self.run_admitted(ticket, request, waiting):
                    queue.put(event)
            except TurnFailed as exc:
                queue.put(exc)
            finally:
                queue.put(None)

        # Started here, not when the response is first read: a client gone before then still gets
        # its turn run, stored, and its place given back.
        threading.Thread(target=work, name="turn", daemon=True).start()
        return self._relay(session_id, queue)

    def _relay(self, session_id: str, queue: Queue) -> Iterator[str]:
        while (event := queue.get()) is not None:
            if isinstance(event, TurnFailed):
                yield _sse("error", {"detail": str(event)})
            elif event["event"] == "queue":
                yield _sse("queue", {"position": event["position"]})
            elif event["event"] == "node":
                update = {k: v for k, v in event["update"].items() if k not in ("speech", "video")}
                yield _sse("node", {"node": event["node"], "duration_ms": event["duration_ms"], "update": update})
                for medium in ("speech", "video"):
                    if event["update"].get(medium):
                        yield _sse(medium, {"url": self.media_url(session_id, event["update"][medium])})
            elif event["event"] == "reply_text":
                yield _sse("reply_text", {"text": event["text"]})
            elif event["event"] == "speech_chunk":
                chunk = event["chunk"]
                yield _sse("speech_chunk", {
                    "index": chunk.index, "text": chunk.text, "start_s": chunk.start_s, "end_s": chunk.end_s,
                    "last": chunk.last,
                })  # fmt: skip
            else:
                yield _sse("result", self.public(session_id, event["result"]))


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def create_api(runner: TurnRunner) -> FastAPI:
    api = Api(runner)
    router = APIRouter(prefix="/v1")
    Session = Annotated[str, Depends(api.session)]

    @router.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.post("/sessions", status_code=201)
    def open_session(request: Request) -> dict[str, str]:
        peer = request.client.host if request.client else None
        address = client_address(peer, request.headers.get("x-forwarded-for"), api.trusted_proxies)
        api.limited(api.session_limit, address, "new sessions from this address")
        session_id, token = new_id(), secrets.token_urlsafe(32)
        runner.store.open_session(session_id, digest(token))
        return {"session": session_id, "token": token}

    @router.post("/sessions/{session_id}/turns", openapi_extra=_TURN_FORM)
    async def take_turn(session_id: Session, request: Request) -> dict[str, Any]:
        from starlette.concurrency import run_in_threadpool

        api.limited(api.turn_limit, session_id, "turns in this session")
        turn = await api.read_turn(session_id, request)
        ticket = api.admitted(turn)

        def run() -> dict[str, Any]:
            *_, last = api.run_admitted(ticket, turn)
            return last["result"]

        try:
            result = await run_in_threadpool(run)
        except SessionGone as exc:
            raise HTTPException(404, str(exc)) from exc
        except TurnFailed as exc:
            raise HTTPException(500, str(exc)) from exc
        return api.public(session_id, result)

    @router.post("/sessions/{session_id}/turns/stream", openapi_extra=_TURN_FORM)
    async def stream_turn(session_id: Session, request: Request) -> StreamingResponse:
        api.limited(api.turn_limit, session_id, "turns in this session")
        turn = await api.read_turn(session_id, request)
        return StreamingResponse(api.events(session_id, turn, api.admitted(turn)), media_type="text/event-stream")

    @router.get("/sessions/{session_id}/turns")
    def list_turns(session_id: Session) -> dict[str, Any]:
        turns = [
            {**t, "speech": api.media_url(session_id, t["speech"]), "video": api.media_url(session_id, t["video"]),
             "audio_path": None, "video_input_path": None}
            for t in runner.store.turns(session_id)
        ]  # fmt: skip
        return {"session": session_id, "turns": turns}

    @router.get("/sessions/{session_id}/media/{path:path}")
    def media(session_id: Annotated[str, Depends(api.media_session)], path: str) -> FileResponse:
        folder = (api.media / session_id).resolve()
        try:
            target = (folder / path).resolve()
            found = target.is_relative_to(folder) and target.is_file()
        except (ValueError, OSError):  # a NUL byte, a name too long: no such file either way
            found = False
        if not found:
            raise HTTPException(404, "no such file")
        return FileResponse(target)

    @router.delete("/sessions/{session_id}")
    def delete(session_id: Session) -> dict[str, Any]:
        return {"session": session_id, "deleted_turns": runner.delete_session(session_id)}

    app = FastAPI(
        title="EmpathyEar", version="1", openapi_url="/v1/openapi.json", docs_url="/v1/docs", redoc_url=None,
        description="An empathetic companion. Not a substitute for professional care.",
    )  # fmt: skip
    app.include_router(router)
    return app
