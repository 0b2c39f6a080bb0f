"""Uploads checked and decoded with the ffmpeg that imageio-ffmpeg ships: limits are enforced from
the file's size and header before anything is decoded, and every refusal says what to do."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

AUDIO_TYPES = (".wav", ".mp3", ".m4a", ".ogg", ".webm")
VIDEO_TYPES = (".mp4", ".webm", ".mov")
LIMITS = {"audio": (25 * 2**20, 5 * 60.0), "video": (100 * 2**20, 2 * 60.0)}  # bytes, seconds
SPEECH_RATE = 16000
_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")


class MediaError(ValueError):
    """An upload that cannot be used; the message is meant for the user."""


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    kind: str  # audio | video
    seconds: float
    has_audio: bool
    has_video: bool


def _ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def inspect(path: Path, kind: str) -> MediaInfo:
    """Checks an upload against its kind's types and limits, reading only its header."""
    types = AUDIO_TYPES if kind == "audio" else VIDEO_TYPES
    max_bytes, max_seconds = LIMITS[kind]
    if not path.is_file():
        raise MediaError(f"the {kind} file was not found")
    if path.suffix.lower() not in types:
        raise MediaError(
            f"{path.suffix or 'a file without an extension'} is not a supported {kind} type: send {', '.join(types)}"
        )
    size = path.stat().st_size
    if size == 0:
        raise MediaError(f"the {kind} file is empty")
    if size > max_bytes:
        raise MediaError(f"the {kind} file is {size / 2**20:.0f} MB; the limit is {max_bytes // 2**20} MB")
    probe = subprocess.run(
        [_ffmpeg(), "-hide_banner", "-i", str(path)], capture_output=True, text=True, timeout=30, check=False
    )
    streams = [line for line in probe.stderr.splitlines() if "Stream #" in line]
    duration = _DURATION.search(probe.stderr)
    if not streams or duration is None:
        raise MediaError(
            f"the {kind} file could not be read: it may be damaged, or not really {path.suffix.lstrip('.')}"
        )
    hours, minutes, seconds = duration.groups()
    length = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    if length > max_seconds:
        raise MediaError(f"the {kind} is {_minutes(length)} long; the limit is {_minutes(max_seconds)}")
    info = MediaInfo(
        path, kind, length, any("Audio:" in s for s in streams), any("Video:" in s for s in streams)
    )
    if kind == "audio" and not info.has_audio:
        raise MediaError("the audio file has no sound in it")
    if kind == "video" and not info.has_video:
        raise MediaError("the video file has no picture in it")
    return info


def decode_audio(path: Path, rate: int = SPEECH_RATE) -> np.ndarray:
    """Mono float32 samples at `rate`."""
    done = subprocess.run(
        [_ffmpeg(), "-hide_banner", "-loglevel", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", str(rate), "-f", "f32le", "-"],
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise MediaError("the sound could not be decoded: the file may be damaged")
    return np.frombuffer(done.stdout, dtype=np.float32).copy()


def sample_frames(path: Path, fps: float = 5.0, width: int = 360) -> list[np.ndarray]:
    """RGB frames `fps` times a second, scaled to `width` pixels wide (plenty for faces a 64x64
    expression model reads)."""
    import logging

    import imageio_ffmpeg

    # it notes that scaled frames differ in size from the source, which is the point here
    logging.getLogger("imageio_ffmpeg").setLevel(logging.ERROR)
    try:
        reader = imageio_ffmpeg.read_frames(str(path), output_params=["-vf", f"fps={fps},scale={width}:-2"])
        next(reader)  # the metadata describes the source, not the scaled frames
        return [np.frombuffer(frame, dtype=np.uint8).reshape(-1, width, 3) for frame in reader]
    except (OSError, RuntimeError, StopIteration) as exc:
        raise MediaError("the video's pictures could not be decoded: the file may be damaged") from exc
