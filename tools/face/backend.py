"""The contract every talking-face backend implements: speech and a face in, an MP4 out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np


class TalkingFaceError(RuntimeError):
    """A backend cannot load or cannot render; the message says what to do about it."""


@dataclass(frozen=True)
class FaceRequest:
    speech: Path | None  # the reply's speech, a WAV (None while it is still being spoken)
    face_id: str  # a face library identity
    portrait: Path  # a still of that identity, for backends that animate a photo
    emotion: str  # one of the 32 emotions
    confidence: float
    out_path: Path  # the MP4 to write: H.264 video with the speech as an AAC track


class TalkingFaceBackend(Protocol):
    name: str

    def render(self, request: FaceRequest) -> Path:
        """Writes `request.out_path` and returns it."""
        ...


class LiveVideo(Protocol):
    def add(self, samples: np.ndarray, rate: int, last: bool = False) -> None:
        """Takes the next piece of the speech (mono float audio) and renders what it can."""
        ...

    def finish(self, speech: Path) -> Path:
        """Joins the finished speech to the frames, writes the request's `out_path` and returns it."""
        ...

    def abort(self) -> None: ...


@runtime_checkable
class StreamingFaceBackend(TalkingFaceBackend, Protocol):
    """A backend that renders while the speech is still being made."""

    def live(self, request: FaceRequest) -> LiveVideo: ...
