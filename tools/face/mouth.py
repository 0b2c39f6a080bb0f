"""The mouth: lips with a cupid's bow whose corners follow the expression, and, as the jaw opens, the
dark of the mouth, upper teeth, and the tongue. Shapes: "neutral", "wide" (ee) and "round" (oo)."""

from __future__ import annotations

import numpy as np

from asset_index.appearance import Appearance
from tools.face.draw import Mask, blur, mix, paint, polygon, rgb, ribbon
from tools.face.expression import FacialActions
from tools.face.look import CX, Geometry

SHAPES = {"neutral": (1.0, 1.0), "wide": (1.12, 0.7), "round": (0.74, 0.95)}  # (width, opening)
INSIDE = np.array([0.24, 0.06, 0.07], dtype=np.float32)
TEETH = np.array([0.95, 0.94, 0.9], dtype=np.float32)
TONGUE = np.array([0.76, 0.36, 0.38], dtype=np.float32)
_U = np.linspace(-1.0, 1.0, 41)


def lip_colour(look: Appearance) -> np.ndarray:
    if look.lips:
        return rgb(look.lips)
    return mix(rgb(look.skin), np.array([0.72, 0.3, 0.33], np.float32), 0.42) * 0.92


def mouth_box(g: Geometry) -> tuple[int, int, int, int]:
    """(x, y, width, height) covering the widest smile and the widest opening."""
    half = g.mouth_w * 1.6 + 12
    return int(CX - half), int(g.mouth_y - 24), int(2 * half), int(g.max_gap * 0.8 + g.lower_lip + 44)


def draw_mouth(
    image: np.ndarray,
    g: Geometry,
    look: Appearance,
    actions: FacialActions,
    opening: float,
    shape: str = "neutral",
) -> None:
    width_k, open_k = SHAPES[shape]
    if shape == "round":  # a smiling mouth only half purses for "oo"
        width_k += (1 - width_k) * 0.6 * max(actions.corners, 0)
    half = g.mouth_w * width_k * (1 + 0.2 * actions.width + 0.25 * max(actions.corners, 0))
    lift = -15.0 * actions.corners
    smile = max(actions.corners, 0.0)
    # while speaking, a smile draws the lips back from the teeth and a dropped jaw opens wider; in
    # silence the jaw closes, and a broad smile parts the lips over closed teeth (a grin)
    talking = min(1.0, 4 * opening)
    gap = (g.max_gap * open_k * min(1.0, opening + 0.5 * actions.jaw) + 7.0 * smile) * talking
    if talking and smile > 0.3:
        gap = max(gap, 10.0 * smile)  # never narrower than the grin
    grin = talking == 0 and smile > 0.3
    if grin:
        gap = 10.0 * smile
    press = 1 - 0.45 * actions.press
    xs = CX + _U * half
    line = g.mouth_y + lift * _U**2
    bow = 1.6 * np.exp(-((_U / 0.12) ** 2)) - 0.8 * np.exp(-(((np.abs(_U) - 0.28) / 0.12) ** 2))
    upper_outer = line - g.upper_lip * press * (1 - _U**2) ** 0.55 + bow
    upper_inner = line - 0.22 * gap * (1 - _U**2) ** 0.7
    lower_inner = line + 0.78 * gap * (1 - _U**2) ** 0.7
    lower_outer = lower_inner + g.lower_lip * press * (1 - _U**2) ** 0.5 + 0.5
    lips = lip_colour(look)
    skin = rgb(look.skin)

    def pts(ys: np.ndarray) -> np.ndarray:
        return np.stack([xs, ys], axis=1)

    # a soft shadow under the lower lip and at the corners gives the mouth depth
    shadow = polygon(np.concatenate([pts(lower_outer + 2), pts(lower_outer + 7)[::-1]]))
    paint(image, Mask(blur(shadow.alpha, 3), shadow.x, shadow.y), skin * 0.7, 0.25)
    if grin:
        paint(image, polygon(np.concatenate([pts(upper_inner), pts(lower_inner)[::-1]])), TEETH)
        paint(image, polygon(ribbon(pts((upper_inner + lower_inner) / 2)[6:-6], 0.9)), TEETH * 0.72, 0.8)
    elif gap > 0.6:
        inside = polygon(np.concatenate([pts(upper_inner), pts(lower_inner)[::-1]]))
        paint(image, inside, INSIDE)
        _teeth_and_tongue(image, inside, xs, upper_inner, lower_inner, gap, half, smile)
    paint(image, polygon(np.concatenate([pts(upper_outer), pts(upper_inner)[::-1]])), lips * 0.86)
    paint(image, polygon(np.concatenate([pts(lower_inner), pts(lower_outer)[::-1]])), lips)
    shine = polygon(
        np.concatenate([pts(lower_inner + 0.55 * g.lower_lip), pts(lower_outer - 1.5)[::-1]])[8:-8]
    )
    paint(image, Mask(blur(shine.alpha, 1.8), shine.x, shine.y), np.minimum(lips * 1.35 + 0.08, 1), 0.35)
    seam = pts(upper_inner if gap > 0.6 else (upper_inner + lower_inner) / 2)
    paint(image, polygon(ribbon(seam, 1.0, 1.0, 1.8)), lips * 0.42, 0.85)
    for side in (-1, 1):
        corner = polygon(ribbon(np.array([[CX + side * (half - 1), line[0 if side < 0 else -1] - 1.5],
                                          [CX + side * (half + 2.5), line[0 if side < 0 else -1] + 0.5]]), 2.2, 0.6))  # fmt: skip
        paint(image, Mask(blur(corner.alpha, 0.8), corner.x, corner.y), skin * 0.55, 0.5)


def _teeth_and_tongue(
    image: np.ndarray, inside: Mask, xs: np.ndarray, upper_inner: np.ndarray, lower_inner: np.ndarray,
    gap: float, half: float, smile: float,
) -> None:  # fmt: skip
    h, w = inside.alpha.shape

    def clipped(shape: Mask) -> Mask:
        full = shape.full(image.shape[0], image.shape[1])[inside.y : inside.y + h, inside.x : inside.x + w]
        return Mask(full * inside.alpha, inside.x, inside.y)

    band = min(gap * (0.42 + 0.4 * smile), 9.0)
    teeth = polygon(
        np.concatenate([np.stack([xs, upper_inner - 2], 1), np.stack([xs, upper_inner + band], 1)[::-1]])
    )
    paint(image, clipped(teeth), TEETH)
    gum_shade = polygon(
        np.concatenate([np.stack([xs, upper_inner - 2], 1), np.stack([xs, upper_inner + 1.6], 1)[::-1]])
    )
    paint(image, clipped(gum_shade), TEETH * 0.7, 0.5)
    if gap > 8:
        t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
        tongue = np.stack(
            [CX + half * 0.55 * np.cos(t), lower_inner[len(xs) // 2] - gap * 0.12 + gap * 0.3 * np.sin(t)], 1
        )
        paint(image, clipped(polygon(tongue)), TONGUE)
    if gap > 16:
        lower = polygon(
            np.concatenate(
                [
                    np.stack([xs, lower_inner - min((gap - 16) * 0.3, 4)], 1),
                    np.stack([xs, lower_inner + 2], 1)[::-1],
                ]
            )
        )
        paint(image, clipped(lower), TEETH * 0.92, 0.9)
