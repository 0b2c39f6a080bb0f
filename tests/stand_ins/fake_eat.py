"""A stand-in for an EAT render command: checks its inputs, writes a one-second video, no GPU.

Its brightness encodes the emotion. FAKE_EAT_RECORD names a JSON file for its arguments; FAKE_EAT_MODE picks
a failure: `fail` (an error on stderr, exit 3), `sleep` (waits 30 s on a child, as `conda run` waits on EAT),
`nothing` (exit 0, no video), `empty` (an empty file) or `garbage` (a file that is not a video).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import numpy as np

EMOTIONS = ("angry", "contempt", "disgusted", "fear", "happy", "neutral", "sad", "surprised")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root_wav", type=Path, required=True)
    parser.add_argument("--emo", choices=EMOTIONS, required=True)
    parser.add_argument("--img", type=Path, required=True)
    parser.add_argument("--save_path", type=Path, required=True)
    args = parser.parse_args()
    for path in (args.root_wav, args.img):
        if not path.is_file():
            parser.error(f"{path} is not a file")

    mode = os.environ.get("FAKE_EAT_MODE", "")
    child = (
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) if mode == "sleep" else None
    )
    if record := os.environ.get("FAKE_EAT_RECORD"):
        recorded = {name: str(value) for name, value in vars(args).items()}
        recorded |= {"cwd": os.getcwd(), "child_pid": child and child.pid}
        Path(record).write_text(json.dumps(recorded))
    if child:
        return child.wait()
    if mode == "fail":
        print("loading checkpoints\n" * 100 + "RuntimeError: CUDA out of memory", file=sys.stderr)
        return 3
    if mode in ("empty", "garbage"):
        args.save_path.write_bytes(b"not a video" if mode == "garbage" else b"")
    if mode:
        return 0

    frame = np.full((256, 256, 3), 30 * (EMOTIONS.index(args.emo) + 1), dtype=np.uint8)
    writer = imageio_ffmpeg.write_frames(
        str(args.save_path),
        (256, 256),
        fps=25,
        codec="libx264",
        pix_fmt_out="yuv420p",
        ffmpeg_log_level="error",
    )
    writer.send(None)
    for _ in range(25):
        writer.send(frame.tobytes())
    writer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
