"""The talking-face benchmark on the embedded renderer: a 5-second spoken reply to a 512x512, 25 fps
H.264 + AAC video.

    python -m evals.video --json

seconds: render plus encode of the 5 s reply with the face's layers already drawn (the app keeps
them per face and expression), median of three runs; rtf: that over the video's duration; fps:
frames made per second. layers_s: drawing a face's layers for a new expression, paid once.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from evals.provenance import provenance, report_cli

REPLY = "I'm so sorry about your grandmother. It's clear how much she meant to you. Tell me about her."


def speech_clip(folder: Path, seconds: float = 5.0) -> Path:
    """Five seconds of real speech from the embedded voice."""
    import soundfile

    from tools.speech.kokoro import KokoroSpeech
    from tools.speech.tool import SpeechTool

    result = SpeechTool([KokoroSpeech()], folder / "voices").invoke(
        {
            "text": REPLY,
            "voice": {"id": "river"},
            "emotion": {"label": "sad", "confidence": 0.8},
            "out_dir": str(folder),
        }
    )
    audio, rate = soundfile.read(result["speech"], dtype="float32")
    clip = folder / "five.wav"
    soundfile.write(clip, audio[: int(seconds * rate)], rate)
    return clip


def run(repeats: int = 3) -> dict:
    from tools.face.backend import FaceRequest
    from tools.face.renderer import FPS, AvatarRenderer

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        clip = speech_clip(folder)
        renderer = AvatarRenderer()
        renderer.layers("grace")  # the neutral face is drawn once per face
        began = time.perf_counter()
        renderer.layers("grace", "sad", 0.8)
        layers_s = time.perf_counter() - began
        request = FaceRequest(clip, "grace", folder / "grace.png", "sad", 0.8, folder / "video.mp4")
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            renderer.render(request)
            times.append(time.perf_counter() - began)
        import imageio_ffmpeg

        frames, duration = imageio_ffmpeg.count_frames_and_secs(str(request.out_path))
    seconds = statistics.median(times)
    return {
        "benchmark": "video",
        "renderer": "embedded 2D avatar, 512x512, 25 fps, H.264 ultrafast + AAC",
        "rtf": round(seconds / duration, 3),
        "fps": round(frames / seconds, 1),
        "seconds": round(seconds, 3),
        "video_s": round(duration, 3),
        "frames": frames,
        "layers_s": round(layers_s, 3),
        "target_fps": FPS,
        **provenance(),
    }


def main(argv: list[str] | None = None) -> int:
    return report_cli(__doc__, run, argv)


if __name__ == "__main__":
    sys.exit(main())
