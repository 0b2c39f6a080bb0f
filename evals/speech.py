"""The speech benchmark on the embedded backend (Kokoro-82M, int8 ONNX, CPU).

    python -m evals.speech --json

load_s: loading the model and the voice tables. Then, warm, for each two-sentence reply below:
first_audio_s, from the call to the first chunk being ready to play (the median is reported), and
rtf, synthesis time over the duration of the speech made (all replies together, without the quiet
lead-in and lead-out the tool adds).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from evals.provenance import provenance, report_cli

REPLIES = [
    ("I'm so sorry you're going through this. It makes sense that you feel this way.", "sad", "nova"),
    (
        "That is wonderful news, and you worked hard for it! How are you going to celebrate?",
        "excited",
        "bella",
    ),
    (
        "It sounds like you have a lot on your mind right now. What worries you most about tomorrow?",
        "anxious",
        "emma",
    ),
    (
        "Losing someone you love is one of the hardest things there is. I'm here if you want to talk about her.",
        "devastated",
        "michael",
    ),
    (
        "You have every right to be upset about that. Did you get a chance to tell them how you felt?",
        "angry",
        "george",
    ),
    (
        "What a lovely memory to carry with you. Do you still have the photos from that summer?",
        "nostalgic",
        "margaret",
    ),
]


def run() -> dict:
    from models.kokoro_graph import REVISION
    from tools.speech.delivery import NEUTRAL
    from tools.speech.kokoro import KokoroSpeech
    from tools.speech.tool import LEAD_IN_S, LEAD_OUT_S, SpeechTool

    started = time.perf_counter()
    backend = KokoroSpeech()
    backend.load()
    tool = SpeechTool([backend], Path(tempfile.mkdtemp()) / "voices")
    tool.styles()
    load_s = time.perf_counter() - started
    tool.render(backend, "Warming up.", "heart", NEUTRAL)

    first_audio, synth_s, audio_s = [], 0.0, 0.0
    with tempfile.TemporaryDirectory() as out:
        for text, emotion, voice in REPLIES:
            marks: list[float] = []
            began = time.perf_counter()
            result = tool.invoke({
                "text": text, "voice": {"id": voice}, "emotion": {"label": emotion, "confidence": 0.8},
                "out_dir": out, "on_chunk": lambda chunk, marks=marks: marks.append(time.perf_counter()),
            })  # fmt: skip
            synth_s += time.perf_counter() - began
            audio_s += result["duration_s"] - LEAD_IN_S - LEAD_OUT_S  # speech only, not the added quiet
            first_audio.append(marks[0] - began)
    return {
        "benchmark": "speech",
        "backend": f"kokoro-82m-onnx-cpu{REVISION}",
        "rtf": round(synth_s / audio_s, 3),
        "first_audio_s": round(statistics.median(first_audio), 3),
        "first_audio_max_s": round(max(first_audio), 3),
        "load_s": round(load_s, 3),
        "replies": len(first_audio),
        "audio_s": round(audio_s, 2),
        **provenance(),
    }


def main(argv: list[str] | None = None) -> int:
    return report_cli(__doc__, run, argv)


if __name__ == "__main__":
    sys.exit(main())
