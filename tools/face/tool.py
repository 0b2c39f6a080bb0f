"""The animate_face tool: the reply's speech and the retrieved face in, an MP4 of the avatar saying
it out. The configured backend goes first; when it fails, the embedded renderer takes over and the
turn's warnings say so."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.scheduling import Background
from tools.contract import PRODUCES_VIDEO, STREAMS_SPEECH, BaseTool
from tools.face.backend import FaceRequest, StreamingFaceBackend, TalkingFaceBackend, TalkingFaceError
from tools.face.renderer import AvatarRenderer
from tools.feed import Feed

log = logging.getLogger(__name__)
DEFAULT_FACE = "sofia"


class TalkingFaceArguments(BaseModel):
    model_config = ConfigDict(extra="allow")  # live objects beside the data (the speech feed) pass

    face: dict[str, Any] | None = Field(None, description="a retrieved face card; None: the default face")
    emotion: dict[str, Any] | None = Field(None, description="the emotion reading: label, confidence, ...")
    out_dir: str = Field(description="the folder video.mp4 is written to")
    speech: str | None = Field(None, description="the finished speech, a WAV's path")
    speech_feed: Any = Field(None, description="instead of speech: a Feed of SpokenChunks as they are spoken")


class AnimateFaceTool(BaseTool):
    name = "talking_face"
    role = "talking_face"
    capabilities = frozenset({STREAMS_SPEECH, PRODUCES_VIDEO})
    description = (
        "Animates a library face saying the reply's speech, with an expression for the emotion, as MP4."
    )
    args_schema = TalkingFaceArguments

    def __init__(self, backends: list[TalkingFaceBackend], renderer: AvatarRenderer, portraits: Path,
                 setup_warnings: list[str] | None = None):  # fmt: skip
        self.backends = backends  # tried in order; the renderer is the last
        self.renderer = renderer
        self.portraits = portraits
        self.setup_warnings = setup_warnings or []
        self.background = Background()  # the app's pool for video, which nobody waits on to start listening

    def warm(self) -> None:
        """The default face's layers, drawn once (what a turn without a retrieved face shows)."""
        self.renderer.layers(DEFAULT_FACE)

    def invoke(self, args: dict[str, Any]) -> dict[str, Any]:
        """args: face (a retrieved face card or None), emotion ({label, confidence}), out_dir, and
        either speech (a finished WAV) or speech_feed (a Feed of SpokenChunks: the speech as it is being made).
        The video is made in the background pool (models.scheduling), behind the turns' text and speech."""
        return self.background.run(self._invoke, args)

    def _invoke(self, args: dict[str, Any]) -> dict[str, Any]:
        warnings = list(self.setup_warnings)
        face_id = (args.get("face") or {}).get("id") or DEFAULT_FACE
        emotion = args.get("emotion") or {}
        request = FaceRequest(
            speech=Path(args["speech"]) if args.get("speech") else None, face_id=face_id,
            portrait=self.portraits / f"{face_id}.png",
            emotion=emotion.get("label", ""), confidence=float(emotion.get("confidence", 1.0)),
            out_path=Path(args["out_dir"]) / "video.mp4",
        )  # fmt: skip
        backends = list(self.backends)
        feed: Feed | None = args.get("speech_feed")
        if feed is not None:
            first = backends[0]
            if first is not self.renderer:  # a plugin that streams may animate the still too
                self.renderer.portrait(face_id, request.portrait)
            if isinstance(first, StreamingFaceBackend):
                video, problem = self._live(first, request, feed)
            else:  # renders from the finished speech
                feed.drain()
                video, problem = None, None
            if feed.result is None:
                raise TalkingFaceError("there is no speech to animate")
            request = replace(request, speech=Path(feed.result))
            if video is not None:
                return {"video": str(video), "backend": first.name, "face": face_id, "warnings": warnings}
            if problem is not None:
                backends = self._fall_back(backends, 0, problem, warnings)
        for i, backend in enumerate(backends):
            try:
                if backend is not self.renderer:  # drawn only for the backends that animate a still
                    self.renderer.portrait(face_id, request.portrait)
                return {"video": str(backend.render(request)), "backend": backend.name, "face": face_id,
                        "warnings": warnings}  # fmt: skip
            except Exception as exc:  # any backend failure hands the video to the next
                if i + 1 == len(backends):
                    raise
                self._fall_back(backends, i, exc, warnings)
        raise RuntimeError("no talking-face backend")

    @staticmethod
    def _live(
        backend: StreamingFaceBackend, request: FaceRequest, feed: Feed
    ) -> tuple[Path | None, Exception | None]:
        """Renders along with the speech; on a failure the speech is still waited for, so the
        next backend can render it whole."""
        video = backend.live(request)
        try:
            for chunk in feed:
                video.add(chunk.audio, chunk.sample_rate, last=chunk.last)
            if feed.result is None:
                video.abort()
                return None, None
            return video.finish(Path(feed.result)), None
        except Exception as exc:
            video.abort()
            feed.drain()
            return None, exc

    @staticmethod
    def _fall_back(
        backends: list[TalkingFaceBackend], failed: int, exc: Exception, warnings: list[str]
    ) -> list[TalkingFaceBackend]:
        """Notes the failure of `backends[failed]` and returns those left to try."""
        rest = backends[failed + 1 :]
        if not rest:
            raise exc
        log.warning("talking-face backend %s failed: %s: %.300s", backends[failed].name, type(exc).__name__, exc)
        warnings.append(f"video: {backends[failed].name} failed; the {rest[0].name} renderer made the video")
        return rest


def create(settings: Any) -> AnimateFaceTool:
    """EMPATHYEAR_FACE: avatar (the embedded renderer), eat or a talking_face_backend plugin's name
    (then the renderer)."""
    renderer = AvatarRenderer()
    backends: list[TalkingFaceBackend] = [renderer]
    setup_warnings = []
    chosen = getattr(settings, "face", "avatar")
    if chosen not in ("avatar", "eat"):
        from tools.conformance import ContractError
        from tools.registry import plugin_backend

        try:
            plugin = plugin_backend(settings, "talking_face_backend", chosen)
            unusable = f"no talking-face backend named {chosen!r} is installed"
        except ContractError as exc:  # told on every video, like a backend that is not installed
            plugin, unusable = None, str(exc)
        if plugin is None:
            setup_warnings.append(f"video: {unusable}; the avatar renderer is used")
        else:
            backends.insert(0, plugin)
    if chosen == "eat":
        from tools.face.eat import EATTalkingFace

        try:
            backends.insert(0, EATTalkingFace.from_settings(settings))
        except TalkingFaceError as exc:
            setup_warnings.append(
                f"video: EAT is configured but unusable ({exc}); the avatar renderer is used"
            )
    return AnimateFaceTool(backends, renderer, settings.home / "faces", setup_warnings)
