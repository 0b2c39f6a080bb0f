"""The animate_face tool: the reply's speech and the retrieved face in, an MP4 of the avatar saying
it out. The configured backend goes first; when it fails, the embedded renderer takes over and the
turn's warnings say so."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from tools.face.backend import FaceRequest, TalkingFaceBackend
from tools.face.renderer import AvatarRenderer

log = logging.getLogger(__name__)
DEFAULT_FACE = "sofia"


class AnimateFaceTool:
    name = "talking_face"
    role = "talking_face"
    description = (
        "Animates a library face saying the reply's speech, with an expression for the emotion, as MP4."
    )

    def __init__(self, backends: list[TalkingFaceBackend], renderer: AvatarRenderer, portraits: Path,
                 setup_warnings: list[str] | None = None):  # fmt: skip
        self.backends = backends  # tried in order; the renderer is the last
        self.renderer = renderer
        self.portraits = portraits
        self.setup_warnings = setup_warnings or []

    def invoke(self, args: dict[str, Any]) -> dict[str, Any]:
        """args: speech (a WAV path), face (a retrieved face card or None), emotion ({label,
        confidence}), out_dir."""
        warnings = list(self.setup_warnings)
        face_id = (args.get("face") or {}).get("id") or DEFAULT_FACE
        emotion = args.get("emotion") or {}
        request = FaceRequest(
            speech=Path(args["speech"]), face_id=face_id, portrait=self.renderer.portrait(face_id, self.portraits / f"{face_id}.png"),
            emotion=emotion.get("label", ""), confidence=float(emotion.get("confidence", 1.0)),
            out_path=Path(args["out_dir"]) / "video.mp4",
        )  # fmt: skip
        for i, backend in enumerate(self.backends):
            try:
                return {
                    "video": str(backend.render(request)),
                    "backend": backend.name,
                    "face": face_id,
                    "warnings": warnings,
                }
            except Exception as exc:  # any backend failure hands the video to the next
                if i + 1 == len(self.backends):
                    raise
                log.warning("talking-face backend %s failed: %s", backend.name, type(exc).__name__)
                warnings.append(
                    f"video: {backend.name} failed ({exc}); the {self.backends[i + 1].name} renderer made the video"
                )
        raise RuntimeError("no talking-face backend")


def create(settings: Any) -> AnimateFaceTool:
    """EMPATHYEAR_FACE: avatar (the embedded renderer) or eat (then the renderer)."""
    renderer = AvatarRenderer()
    backends: list[TalkingFaceBackend] = [renderer]
    setup_warnings = []
    if getattr(settings, "face", "avatar") == "eat":
        from tools.face.backend import TalkingFaceError
        from tools.face.eat import EATTalkingFace

        try:
            backends.insert(0, EATTalkingFace.from_env())
        except TalkingFaceError as exc:
            setup_warnings.append(
                f"video: EAT is configured but unusable ({exc}); the avatar renderer is used"
            )
    return AnimateFaceTool(backends, renderer, settings.home / "faces", setup_warnings)
