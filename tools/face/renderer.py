"""The embedded talking face: the project's own 2D avatar, animated from the speech on the CPU and
encoded as 512x512, 25 fps H.264 with the speech as AAC, by the ffmpeg that imageio-ffmpeg ships.

Frames are rendered as the speech arrives, chunk by chunk (`LiveAvatar`), so the video is nearly done
when the speech is; the speech is encoded as AAC while the last frames render, then joined to them.
The first frames ease from a neutral face into the expression while the speech's lead-in silence
plays; the mouth follows the audio and closes in the silence at the end.
"""

from __future__ import annotations

import subprocess
import threading
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np

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

    def live(self, request: FaceRequest) -> LiveAvatar:
        """A video of `request` that takes its speech chunk by chunk; `request.speech` is read only
        when it is finished."""
        return LiveAvatar(self, request)

    def render(self, request: FaceRequest) -> Path:
        import soundfile

        try:
            samples, rate = soundfile.read(request.speech, dtype="float32", always_2d=True)
        except Exception as exc:  # soundfile raises several types for unreadable audio
            raise TalkingFaceError(f"the speech could not be read ({exc})") from exc
        video = self.live(request)
        try:
            video.add(samples.mean(axis=1), rate, last=True)
            return video.finish(request.speech)
        except BaseException:
            video.abort()
            raise


class LiveAvatar:
    """Frames go to the encoder as soon as the audio under them has arrived. Once the last chunk is
    in, the whole speech is encoded as AAC while its frames render, so the end only joins the two."""

    def __init__(self, renderer: AvatarRenderer, request: FaceRequest):
        self.renderer = renderer
        self.request = request
        self.partial = request.out_path.with_name(f".{request.out_path.stem}.frames.mp4")
        self.sound = request.out_path.with_name(f".{request.out_path.stem}.speech.m4a")
        self._encoding_sound: subprocess.Popen | None = None
        self._audio: list[np.ndarray] = []
        self._rate = 0
        self._sent = 0
        self._writer = None
        self._seed = 0

    def add(self, samples: np.ndarray, rate: int, last: bool = False) -> None:
        """Appends speech audio (mono float) and renders every frame it completes; `last` renders
        the rest."""
        if self._rate and rate != self._rate:
            raise TalkingFaceError(f"speech chunks changed sample rate ({self._rate} to {rate} Hz)")
        if not self._audio:
            self._start(samples, rate)
        self._audio.append(np.asarray(samples, dtype=np.float32))
        audio = np.concatenate(self._audio)
        exact = len(audio) / rate * FPS
        ready = max(1, round(exact)) if last else int(exact)
        if last:
            self._encode_sound(audio, rate)
        if ready > self._sent:
            self._render(audio, ready)

    def _encode_sound(self, audio: np.ndarray, rate: int) -> None:
        import imageio_ffmpeg

        from tools.audio import write_wav

        speech = write_wav(self.sound.with_suffix(".wav"), audio, rate)
        self._encoding_sound = subprocess.Popen(
            [
                imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(speech),
                "-c:a", "aac", "-f", "mp4", str(self.sound),
            ],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def _start(self, samples: np.ndarray, rate: int) -> None:
        import imageio_ffmpeg

        self._rate = rate
        # The same reply always moves the same way; replies of other lengths blink at other moments.
        self._seed = zlib.crc32(f"{self.request.face_id}:{len(samples)}".encode())
        self.expressive = self.renderer.layers(
            self.request.face_id, self.request.emotion, self.request.confidence
        )
        self.neutral = self.renderer.layers(self.request.face_id)
        self.pitch = expression_for(self.request.emotion, self.request.confidence).pitch
        self.partial.parent.mkdir(parents=True, exist_ok=True)
        self._writer = imageio_ffmpeg.write_frames(
            str(self.partial), (SIZE, SIZE), fps=FPS, codec="libx264", quality=None, macro_block_size=16,
            ffmpeg_log_level="error",
            output_params=["-preset", "ultrafast", "-crf", "21", "-tune", "animation"],
        )  # fmt: skip
        self._writer.send(None)

    def _render(self, audio: np.ndarray, ready: int) -> None:
        import cv2

        track = mouth_track(audio, self._rate, ready, FPS)
        blinks = blink_levels(ready, FPS, self._seed)
        pose = head_pose(ready, FPS, track.opening, self.pitch, self._seed)
        for i in range(self._sent, ready):
            opening = round(float(track.opening[i]) * (OPENINGS - 1))
            frame = self.expressive.frame(blinks[i], opening, track.shape[i])
            if i < LEAD_IN_FRAMES:
                calm = self.neutral.frame(blinks[i], opening, track.shape[i])
                weight = (i + 1) / (LEAD_IN_FRAMES + 1)
                frame = cv2.addWeighted(frame, weight, calm, 1 - weight, 0)
            matrix = cv2.getRotationMatrix2D(PIVOT, float(pose.angle[i]), 1.0)
            matrix[:, 2] += (pose.dx[i], pose.dy[i])
            self._writer.send(
                cv2.warpAffine(
                    frame, matrix, (SIZE, SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
                )
            )
        self._sent = ready

    def finish(self, speech: Path) -> Path:
        """Closes the frames and joins the speech to them: the AAC encoded since the last chunk, or
        `speech` encoded now when no chunk was marked last."""
        import imageio_ffmpeg

        if self._writer is None:
            raise TalkingFaceError("no speech reached the avatar")
        self._writer.close()
        self._writer = None
        out = self.request.out_path
        joined = out.with_name(f".{out.stem}.partial.mp4")
        sound, codec = (self.sound, "copy") if self._encoding_sound is not None else (speech, "aac")
        command = [
            imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(self.partial),
            "-i", str(sound), "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", codec,
            "-movflags", "+faststart", str(joined),
        ]  # fmt: skip
        try:
            if self._encoding_sound is not None:
                _, problem = self._encoding_sound.communicate(timeout=120)
                if self._encoding_sound.returncode != 0:
                    raise TalkingFaceError(f"encoding the speech failed: {problem.strip()[-300:]}")
            done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        finally:
            self._remove_parts()
        if done.returncode != 0:
            joined.unlink(missing_ok=True)
            raise TalkingFaceError(f"joining the speech to the video failed: {done.stderr.strip()[-300:]}")
        joined.replace(out)
        return out

    def abort(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:  # the encoder may already be gone; the frames are discarded either way
                pass
            self._writer = None
        if self._encoding_sound is not None and self._encoding_sound.poll() is None:
            self._encoding_sound.kill()
            self._encoding_sound.wait()
        self._remove_parts()

    def _remove_parts(self) -> None:
        for part in (self.partial, self.sound, self.sound.with_suffix(".wav")):
            part.unlink(missing_ok=True)
