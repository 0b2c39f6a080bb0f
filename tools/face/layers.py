"""An avatar ready to animate: its portrait with open eyes and a closed mouth, plus the eye region at
each blink level and the mouth region at each opening and shape, pre-drawn. A frame is the portrait
with one eye patch and one mouth patch pasted in, so frames cost copies, not drawing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from asset_index.appearance import Appearance
from tools.face.draw import to_uint8
from tools.face.expression import FacialActions
from tools.face.eyes import draw_eyes, eye_box
from tools.face.look import CX, geometry
from tools.face.mouth import SHAPES, draw_mouth, mouth_box
from tools.face.portrait import draw_portrait

EYE_LEVELS = (1.0, 0.6, 0.25, 0.0)  # open ... closed
OPENINGS = 8  # mouth openings 0 (closed) .. 7 (widest)

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class AvatarLayers:
    base: np.ndarray  # uint8 RGB portrait, eyes open and mouth closed
    eye_box: Box
    eyes: tuple[np.ndarray, ...]  # one patch per EYE_LEVELS entry
    mouth_box: Box
    mouths: dict[tuple[int, str], np.ndarray]  # (opening, shape) -> patch
    face_box: Box  # the face from brows to chin, for whoever needs to find it

    def frame(self, eye_level: int = 0, opening: int = 0, shape: str = "neutral") -> np.ndarray:
        out = self.base.copy()
        x, y, w, h = self.eye_box
        out[y : y + h, x : x + w] = self.eyes[eye_level]
        x, y, w, h = self.mouth_box
        out[y : y + h, x : x + w] = self.mouths[(opening, "neutral" if opening == 0 else shape)]
        return out


def build_layers(look: Appearance, age: str, actions: FacialActions, seed: int) -> AvatarLayers:
    g = geometry(age, look)
    under, _ = draw_portrait(look, g, actions, seed)
    eye_region, mouth_region = eye_box(g), mouth_box(g)

    def patch(box: Box, draw) -> np.ndarray:
        canvas = under.copy()
        draw(canvas)
        x, y, w, h = box
        return to_uint8(canvas[y : y + h, x : x + w])

    eyes = tuple(
        patch(eye_region, lambda c, lv=level: draw_eyes(c, g, look, actions, lv)) for level in EYE_LEVELS
    )
    mouths = {
        (k, shape): patch(
            mouth_region, lambda c, k=k, s=shape: draw_mouth(c, g, look, actions, k / (OPENINGS - 1), s)
        )
        for k in range(OPENINGS)
        for shape in SHAPES
        if k > 0 or shape == "neutral"
    }
    base = to_uint8(under)
    _paste(base, eye_region, eyes[0])
    _paste(base, mouth_region, mouths[(0, "neutral")])
    face_top = int(g.eye_y - g.brow_gap - 24)
    face_box = (int(CX - g.rx), face_top, int(2 * g.rx), int(g.chin - face_top))
    return AvatarLayers(base, eye_region, eyes, mouth_region, mouths, face_box)


def _paste(image: np.ndarray, box: Box, patch: np.ndarray) -> None:
    x, y, w, h = box
    image[y : y + h, x : x + w] = patch
