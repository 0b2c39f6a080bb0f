r"""EAT, the talking-face model of the EmpathyEar paper (Gan et al., ICCV 2023), run as an external command.

EAT needs a GPU and its own environment (TensorFlow 1.15 DeepSpeech features, its own checkpoints), so it is
never imported. To enable it, set EMPATHYEAR_EAT_COMMAND to a command line with the placeholders {audio}
(the speech WAV), {image} (the portrait), {emotion} (one of EAT_EMOTIONS) and {output} (the video to write):

    export EMPATHYEAR_EAT_COMMAND="conda run -n eat python /opt/EAT/render.py --root_wav {audio} \
        --emo {emotion} --img {image} --save_path {output}"

Upstream demo.py reads preprocessed folders and takes three-letter emotion codes (the first three letters of
EAT_EMOTIONS: ang, con, ...), so the command is usually a small script beside EAT's code that renders one WAV
and one image. EMPATHYEAR_EAT_TIMEOUT_S (seconds, default 600) bounds each render. EAT's video is remuxed
with the reply's speech into H.264 and AAC by the ffmpeg of imageio-ffmpeg.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import tempfile
from pathlib import Path

from settings import Settings
from tools.face.backend import FaceRequest, TalkingFaceError

COMMAND_ENV = "EMPATHYEAR_EAT_COMMAND"
TIMEOUT_ENV = "EMPATHYEAR_EAT_TIMEOUT_S"
PLACEHOLDERS = ("audio", "image", "emotion", "output")
EAT_EMOTIONS = ("angry", "contempt", "disgusted", "fear", "happy", "neutral", "sad", "surprised")

# EAT's happy is a visible smile, so it takes the warm and positive labels; the calm, steady ones stay
# neutral rather than grin; shame and embarrassment read as downcast, and contempt is never shown to a user.
TO_EAT: dict[str, str] = {
    emotion: eat
    for eat, emotions in {
        "happy": ("caring", "confident", "content", "excited", "grateful", "hopeful", "joyful", "proud"),
        "neutral": ("anticipating", "faithful", "prepared", "trusting"),
        "sad": ("ashamed", "devastated", "disappointed", "embarrassed", "guilty", "lonely", "nostalgic",
                "sad", "sentimental"),
        "fear": ("afraid", "anxious", "apprehensive", "terrified"),
        "angry": ("angry", "annoyed", "furious", "jealous"),
        "disgusted": ("disgusted",),
        "surprised": ("impressed", "surprised"),
    }.items()
    for emotion in emotions
}  # fmt: skip

_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
_TAIL = 500


class EATTalkingFace:
    name = "eat"

    def __init__(self, command: str, timeout_s: float = 600.0, workdir: Path | None = None):
        try:
            self._template = shlex.split(command)
        except ValueError as exc:
            raise TalkingFaceError(f"{COMMAND_ENV} is not a valid command line: {exc}") from exc
        missing = [p for p in PLACEHOLDERS if not any(f"{{{p}}}" in token for token in self._template)]
        if missing:
            raise TalkingFaceError(
                f"{COMMAND_ENV} must contain {{audio}}, {{image}}, {{emotion}} and {{output}}; it lacks "
                + ", ".join(f"{{{p}}}" for p in missing)
            )
        self.timeout_s = timeout_s
        self.workdir = workdir

    @classmethod
    def from_settings(cls, settings: Settings) -> EATTalkingFace:
        command = settings.eat_command.strip()
        if not command:
            raise TalkingFaceError(
                f"EAT needs {COMMAND_ENV}, a command line with {{audio}}, {{image}}, {{emotion}} and "
                f"{{output}} that runs EAT in its own environment; {COMMAND_ENV} is not set"
            )
        raw = settings.eat_timeout_s.strip()
        timeout_s = float(raw) if re.fullmatch(r"\d+\.?\d*|\.\d+", raw) else 0.0
        if timeout_s <= 0:
            raise TalkingFaceError(f"{TIMEOUT_ENV} must be a positive number of seconds, not {raw!r}")
        return cls(command, timeout_s)

    def render(self, request: FaceRequest) -> Path:
        for label, path in (("speech", request.speech), ("portrait", request.portrait)):
            if not Path(path).is_file():
                raise TalkingFaceError(f"EAT cannot render: the {label} {path} is not a file")
        speech, out_path = Path(request.speech).resolve(), Path(request.out_path).resolve()
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".eat-", dir=out_path.parent) as scratch:
            video, partial = Path(scratch) / "eat.mp4", Path(scratch) / "remuxed.mp4"
            values = {"audio": str(speech), "image": str(Path(request.portrait).resolve()),
                      "emotion": TO_EAT.get(request.emotion, "neutral"), "output": str(video)}  # fmt: skip
            # Substituted into the split tokens, so paths with spaces or quotes stay one argument each.
            self._run_eat([_PLACEHOLDER.sub(lambda m: values[m[1]], token) for token in self._template])
            if not video.is_file() or video.stat().st_size == 0:
                raise TalkingFaceError("EAT exited without error but wrote no video")
            _remux(video, speech, partial, self.timeout_s)
            os.replace(partial, out_path)
        return out_path

    def _run_eat(self, argv: list[str]) -> None:
        try:
            # A session of its own lets a timeout kill the whole tree: behind wrappers like `conda run`, EAT
            # is a grandchild that would otherwise keep running on the GPU.
            process = subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                cwd=self.workdir, start_new_session=True,
            )  # fmt: skip
        except OSError as exc:
            raise TalkingFaceError(f"the EAT command could not be started ({COMMAND_ENV}): {exc}") from exc
        with process:
            try:
                _, stderr = process.communicate(timeout=self.timeout_s)
            except subprocess.TimeoutExpired as exc:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise TalkingFaceError(
                    f"EAT took longer than {self.timeout_s:g} s and was stopped; raise {TIMEOUT_ENV}"
                ) from exc
        if process.returncode != 0:
            raise TalkingFaceError(f"EAT failed with exit status {process.returncode}: {_tail(stderr)}")


def _remux(video: Path, speech: Path, out: Path, timeout_s: float) -> None:
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise TalkingFaceError(
            f"EAT videos are remuxed with imageio-ffmpeg: pip install imageio-ffmpeg ({exc})"
        ) from exc
    argv = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-y", "-loglevel", "error",
        "-i", str(video), "-i", str(speech), "-map", "0:v:0", "-map", "1:a:0",
        "-vf", "scale=512:512", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-shortest", "-movflags", "+faststart", "-f", "mp4", str(out),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, errors="replace", timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise TalkingFaceError(f"ffmpeg took longer than {timeout_s:g} s to remux EAT's video") from exc
    if done.returncode != 0:
        raise TalkingFaceError(f"ffmpeg could not remux EAT's video with the speech: {_tail(done.stderr)}")


def _tail(stderr: str) -> str:
    text = stderr.strip()
    return text if len(text) <= _TAIL else "..." + text[-_TAIL:]
