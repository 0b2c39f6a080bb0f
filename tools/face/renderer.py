"""The embedded talking face: the project's own 2D avatar, animated from the speech on the CPU and
encoded as 512x512, 25 fps H.264 with the speech as AAC, by the ffmpeg that imageio-ffmpeg ships.

The first frames ease from a neutral face into the expression while the speech's lead-in silence
plays; the mouth follows the audio and closes in the silence at the end.
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from pathlib import Path

from tools.face.backend import FaceRequest, TalkingFaceError
from tools.face.expression import NEUTRAL, expression_for
from tools.face.layers import OPENINGS, AvatarLayers, build_layers
from tools.face.lipsync import mouth_track
from tools.face.look import CX, SIZE
from tools.face.motion import blink_levels, head_pose

FPS = 25
LEAD_IN_FRAMES = 5
PIVOT = (CX, 470.0)  # the head sways about the base of the neck
CACHE = 24  # layer sets kept: a few faces, each with a few expressions


class AvatarRenderer:
    name = "avatar"

    def __init__(self) -> None:
        self._layers: OrderedDict[tuple[str, str, int], AvatarLayers] = OrderedDict()
        self._lock = threading.Lock()

    def layers(self, face_id: str, emotion: str = "", confidence: float = 1.0) -> AvatarLayers:
        """The face's layers for an expression (none: neutral), drawn once and kept."""
        from asset_index.faces import load_faces

        face = load_faces().get(face_id)
        if face is None:
            raise TalkingFaceError(f"no face {face_id!r} in the face library")
        level = round(confidence * 4)  # five intensities are plenty to tell apart
        key = (face_id, emotion, level)
        with self._lock:
            if key in self._layers:
                self._layers.move_to_end(key)
                return self._layers[key]
        actions = expression_for(emotion, level / 4) if emotion else NEUTRAL
        made = build_layers(face.appearance, face.age, actions, seed=zlib.crc32(face_id.encode()))
        with self._lock:
            self._layers[key] = made
            while len(self._layers) > CACHE:
                self._layers.popitem(last=False)
        return made

    def portrait(self, face_id: str, path: Path) -> Path:
        """A neutral still of the face, for backends that animate a picture."""
        from PIL import Image

        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(self.layers(face_id).base).save(path)
        return path

    def render(self, request: FaceRequest) -> Path:
        import cv2
        import imageio_ffmpeg
        import soundfile

        try:
            samples, rate = soundfile.read(request.speech, dtype="float32", always_2d=True)
        except Exception as exc:  # soundfile raises several types for unreadable audio
            raise TalkingFaceError(f"the speech could not be read ({exc})") from exc
        samples = samples.mean(axis=1)
        frames = max(1, round(len(samples) / rate * FPS))
        track = mouth_track(samples, rate, frames, FPS)
        expressive = self.layers(request.face_id, request.emotion, request.confidence)
        neutral = self.layers(request.face_id)
        seed = zlib.crc32(f"{request.face_id}:{len(samples)}".encode())
        blinks = blink_levels(frames, FPS, seed)
        actions = expression_for(request.emotion, request.confidence)
        pose = head_pose(frames, FPS, track.opening, actions.pitch, seed)

        request.out_path.parent.mkdir(parents=True, exist_ok=True)
        partial = request.out_path.with_name(f".{request.out_path.stem}.partial.mp4")
        writer = imageio_ffmpeg.write_frames(
            str(partial), (SIZE, SIZE), fps=FPS, codec="libx264", quality=None, macro_block_size=16,
            ffmpeg_log_level="error", audio_path=str(request.speech), audio_codec="aac",
            output_params=["-preset", "ultrafast", "-crf", "21", "-tune", "animation", "-movflags", "+faststart"],
        )  # fmt: skip
        writer.send(None)
        try:
            for i in range(frames):
                opening = round(float(track.opening[i]) * (OPENINGS - 1))
                frame = expressive.frame(blinks[i], opening, track.shape[i])
                if i < LEAD_IN_FRAMES:
                    calm = neutral.frame(blinks[i], opening, track.shape[i])
                    weight = (i + 1) / (LEAD_IN_FRAMES + 1)
                    frame = cv2.addWeighted(frame, weight, calm, 1 - weight, 0)
                matrix = cv2.getRotationMatrix2D(PIVOT, float(pose.angle[i]), 1.0)
                matrix[:, 2] += (pose.dx[i], pose.dy[i])
                writer.send(
                    cv2.warpAffine(
                        frame, matrix, (SIZE, SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
                    )
                )
        finally:
            writer.close()
        partial.replace(request.out_path)
        return request.out_path
