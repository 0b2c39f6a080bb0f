"""The perception tool: a user's recording or video in; the transcript, emotion cues from the voice
and the face, and timings out. Uploads that cannot be used raise MediaError with a message for the
user; a video without a visible face still gives its transcript."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from tools.contract import BaseTool
from tools.perception.media import MediaError, decode_audio, inspect, sample_frames

FRAME_RATE = 5.0


class PerceptionArguments(BaseModel):
    audio: str | None = Field(None, description="path of the user's recording")
    video: str | None = Field(None, description="path of the user's video; heard too when no audio is given")


class PerceptionTool(BaseTool):
    name = "perception"
    role = "perception"
    description = "Transcribes a user's voice or video and reads emotion cues from the voice and the face."
    args_schema = PerceptionArguments

    def __init__(self, recognizer: Any | None = None):
        self.recognizer = recognizer  # None: the embedded Whisper

    def warm(self) -> None:
        """The embedded Whisper (a recognizer given by configuration loads itself)."""
        if self.recognizer is None:
            from tools.perception.listening import whisper

            whisper()

    def invoke(self, args: dict[str, Any]) -> dict[str, Any]:
        """args: audio and/or video (paths or None)."""
        from tools.perception.facial_cues import facial_cues
        from tools.perception.listening import listen
        from tools.perception.vocal_cues import vocal_cues, vocal_features

        timings: dict[str, float] = {}
        warnings: list[str] = []

        def timed(name: str, started: float) -> None:
            timings[name] = round((time.perf_counter() - started) * 1000, 1)

        started = time.perf_counter()
        video = inspect(Path(args["video"]), "video") if args.get("video") else None
        audio = inspect(Path(args["audio"]), "audio") if args.get("audio") else None
        sound = audio or (video if video and video.has_audio else None)
        timed("inspect", started)
        if sound is None:
            raise MediaError("the video has no sound track, so there are no words to hear")

        started = time.perf_counter()
        samples = decode_audio(sound.path)
        timed("decode_audio", started)
        started = time.perf_counter()
        heard = listen(samples, self.recognizer)
        timed("listen", started)
        result: dict[str, Any] = {
            "transcript": heard.transcript or None,
            "cues": {},
            "no_speech": not heard.transcript,
        }
        if heard.transcript:
            started = time.perf_counter()
            features = vocal_features(samples, heard)
            voice = vocal_cues(features)
            result["voice"] = {**voice, "features": features, "speech_s": round(heard.speech_s, 2)}
            result["cues"]["voice"] = voice["distribution"]
            timed("vocal_cues", started)
        else:
            warnings.append("no speech was heard in the recording")
        if video is not None:
            started = time.perf_counter()
            frames = sample_frames(video.path, FRAME_RATE)
            timed("decode_frames", started)
            started = time.perf_counter()
            face = facial_cues(frames, FRAME_RATE)
            timed("facial_cues", started)
            if face is None:
                warnings.append("no face was visible in the video; what was said was still used")
            else:
                result["face"] = face
                result["cues"]["face"] = face["distribution"]
        return {**result, "timings_ms": timings, "warnings": warnings}


def create(settings: Any) -> PerceptionTool:
    """EMPATHYEAR_ASR: whisper (embedded) or the name of a speech_recognition plugin."""
    chosen = getattr(settings, "asr", "whisper")
    if chosen == "whisper":
        return PerceptionTool()
    from tools.registry import plugin_backend

    recognizer = plugin_backend(settings, "speech_recognition", chosen)
    if recognizer is None:
        raise ValueError(f"EMPATHYEAR_ASR={chosen!r}: no speech_recognition plugin of that name is installed")
    return PerceptionTool(recognizer)
