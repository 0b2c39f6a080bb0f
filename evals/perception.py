"""The perception benchmark: time to perceive a 10-second clip of speech (audio_s) and a 10-second
video of a talking face (video_s), with the models loaded (load_s, paid once per process).

    python -m evals.perception --json

The clips are made here: the speech by the embedded voice, the video by the avatar renderer.
Each figure is the median of three runs.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from evals.provenance import provenance, report_cli

SAID = (
    "I had a really long day at work today. My manager criticised my report in front of everyone, and I "
    "felt so small. I don't know how to face them tomorrow."
)


def clips(folder: Path, seconds: float = 10.0) -> tuple[Path, Path]:
    import soundfile

    from tools.face.backend import FaceRequest
    from tools.face.renderer import AvatarRenderer
    from tools.speech.kokoro import KokoroSpeech
    from tools.speech.tool import SpeechTool

    speech = SpeechTool([KokoroSpeech()], folder / "voices").invoke(
        {
            "text": SAID,
            "voice": {"id": "emma"},
            "emotion": {"label": "sad", "confidence": 0.7},
            "out_dir": str(folder),
        }
    )["speech"]
    audio, rate = soundfile.read(speech, dtype="float32")
    clip = folder / "ten.wav"
    soundfile.write(clip, audio[: int(seconds * rate)], rate)
    video = AvatarRenderer().render(
        FaceRequest(clip, "mei", folder / "p.png", "sad", 0.7, folder / "ten.mp4")
    )
    return clip, video


def run(repeats: int = 3) -> dict:
    from tools.perception.tool import PerceptionTool

    with tempfile.TemporaryDirectory() as scratch:
        audio, video = clips(Path(scratch))
        tool = PerceptionTool()
        began = time.perf_counter()
        tool.invoke({"audio": str(audio)})  # loads the speech models
        tool.invoke({"video": str(video)})  # and the face models
        load_s = time.perf_counter() - began
        timings = {"audio": [], "video": []}
        for _ in range(repeats):
            for kind, path in (("audio", audio), ("video", video)):
                began = time.perf_counter()
                result = tool.invoke({kind: str(path)})
                timings[kind].append(time.perf_counter() - began)
    return {
        "benchmark": "perception",
        "audio_s": round(statistics.median(timings["audio"]), 3),
        "video_s": round(statistics.median(timings["video"]), 3),
        "clip_s": 10.0,
        "first_calls_s": round(load_s, 3),
        "video_steps_ms": result["timings_ms"],
        **provenance(),
    }


def main(argv: list[str] | None = None) -> int:
    return report_cli(__doc__, run, argv)


if __name__ == "__main__":
    sys.exit(main())
