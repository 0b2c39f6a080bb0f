"""The REST API under /v1: sessions with a bearer token each, turns (plain or streamed as server-sent
events), the session's history, its media files, and deletion of everything it holds.

A wrong token and another session's id get the same 404 as an id that does not exist, so the API
never reveals which sessions exist. Uploads are streamed to disk and refused with 413 the moment
they pass their limit.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.
import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, File, Form, Header, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, StreamingResponse

from graph.runner import InputError, TurnFailed, TurnRunner, new_id
from tools.perception.media import LIMITS

CHUNK = 1 << 20
_EXTENSION = re.compile(r"^\.[a-z0-9]{1,5}$")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _not_found() -> HTTPException:
    return HTTPException(404, "no such session")


class Api:
    def __init__(self, runner: TurnRunner):
        self.runner = runner
        self.media = runner.settings.media

    # -- access -------------------------------------------------------------------------
    def session(
        self, session_id: str, authorization: Annotated[str | None, Header()] = None,
        token: Annotated[str | None, Query(description="for media links a browser opens")] = None,
    ) -> str:  # fmt: skip
        offered = token or (authorization or "").removeprefix("Bearer ").strip()
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

    async def save_upload(
        self, session_id: str, upload: UploadFile | None, kind: str, request: Request
    ) -> str | None:
        """Writes an upload into the session's folder, refusing it (413) as soon as it is too big."""
        if upload is None or not upload.filename:
            return None
        limit = LIMITS[kind][0]
        declared = int(request.headers.get("content-length") or 0)
        if declared > limit + 2 * CHUNK:  # the whole form is larger than any allowed upload
            raise HTTPException(413, f"the {kind} file is larger than {limit // 2**20} MB")
        suffix = Path(upload.filename).suffix.lower()
        folder = self.media / session_id / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{uuid.uuid4().hex}{suffix if _EXTENSION.match(suffix) else '.bin'}"
        size = 0
        with target.open("wb") as out:
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    out.close()
                    target.unlink(missing_ok=True)
                    raise HTTPException(413, f"the {kind} file is larger than {limit // 2**20} MB")
                out.write(chunk)
        return str(target)

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
                want_speech=want_speech, want_video=want_video,
            )  # fmt: skip
        except InputError as exc:
            raise HTTPException(400, str(exc)) from exc

    # -- the stream ---------------------------------------------------------------------
    def events(self, session_id: str, request) -> Iterator[str]:
        def sse(event: str, data: dict[str, Any]) -> str:
            return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"

        try:
            for event in self.runner.stream(request):
                if event["event"] == "node":
                    update = {k: v for k, v in event["update"].items() if k not in ("speech", "video")}
                    yield sse(
                        "node", {"node": event["node"], "duration_ms": event["duration_ms"], "update": update}
                    )
                    for medium in ("speech", "video"):
                        if event["update"].get(medium):
                            yield sse(medium, {"url": self.media_url(session_id, event["update"][medium])})
                elif event["event"] == "reply_text":
                    yield sse("reply_text", {"text": event["text"]})
                elif event["event"] == "speech_chunk":
                    chunk = event["chunk"]
                    yield sse(
                        "speech_chunk",
                        {
                            "index": chunk.index,
                            "text": chunk.text,
                            "start_s": chunk.start_s,
                            "end_s": chunk.end_s,
                            "last": chunk.last,
                        },
                    )
                else:
                    yield sse("result", self.public(session_id, event["result"]))
        except TurnFailed as exc:
            yield sse("error", {"detail": str(exc)})


def create_api(runner: TurnRunner) -> FastAPI:
    api = Api(runner)
    router = APIRouter(prefix="/v1")
    Session = Annotated[str, Depends(api.session)]

    @router.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.post("/sessions", status_code=201)
    def open_session() -> dict[str, str]:
        session_id, token = new_id(), secrets.token_urlsafe(32)
        runner.store.open_session(session_id, digest(token))
        return {"session": session_id, "token": token}

    async def form_request(
        session_id: str, request: Request, text: str, audio, video, want_speech: bool, want_video: bool
    ):
        audio_path = await api.save_upload(session_id, audio, "audio", request)
        video_path = await api.save_upload(session_id, video, "video", request)
        return api.turn_request(session_id, text, audio_path, video_path, want_speech, want_video)

    @router.post("/sessions/{session_id}/turns")
    async def take_turn(
        session_id: Session, request: Request, text: Annotated[str, Form()] = "",
        audio: Annotated[UploadFile | None, File()] = None, video: Annotated[UploadFile | None, File()] = None,
        want_speech: Annotated[bool, Form()] = True, want_video: Annotated[bool, Form()] = True,
    ) -> dict[str, Any]:  # fmt: skip
        from starlette.concurrency import run_in_threadpool

        turn = await form_request(session_id, request, text, audio, video, want_speech, want_video)
        try:
            result = await run_in_threadpool(runner.run, turn)
        except TurnFailed as exc:
            raise HTTPException(500, str(exc)) from exc
        return api.public(session_id, result)

    @router.post("/sessions/{session_id}/turns/stream")
    async def stream_turn(
        session_id: Session, request: Request, text: Annotated[str, Form()] = "",
        audio: Annotated[UploadFile | None, File()] = None, video: Annotated[UploadFile | None, File()] = None,
        want_speech: Annotated[bool, Form()] = True, want_video: Annotated[bool, Form()] = True,
    ) -> StreamingResponse:  # fmt: skip
        turn = await form_request(session_id, request, text, audio, video, want_speech, want_video)
        return StreamingResponse(api.events(session_id, turn), media_type="text/event-stream")

    @router.get("/sessions/{session_id}/turns")
    def list_turns(session_id: Session) -> dict[str, Any]:
        turns = [
            {**t, "speech": api.media_url(session_id, t["speech"]), "video": api.media_url(session_id, t["video"]),
             "audio_path": None, "video_input_path": None}
            for t in runner.store.turns(session_id)
        ]  # fmt: skip
        return {"session": session_id, "turns": turns}

    @router.get("/sessions/{session_id}/media/{path:path}")
    def media(session_id: Session, path: str) -> FileResponse:
        folder = (api.media / session_id).resolve()
        target = (folder / path).resolve()
        if not target.is_relative_to(folder) or not target.is_file():
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
