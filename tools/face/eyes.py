"""Eyes: almond-shaped whites under the lids, an iris with a darker rim, a pupil and a catch light,
lid lines and lashes. `openness` 1 is open, 0 closed (a blink); the expression widens or narrows."""

from __future__ import annotations

import numpy as np

from asset_index.appearance import Appearance
from tools.face.draw import Mask, blur, mix, paint, polygon, rgb, ribbon
from tools.face.expression import FacialActions
from tools.face.look import CX, Geometry

SCLERA = np.array([0.96, 0.95, 0.93], dtype=np.float32)
PUPIL = np.array([0.04, 0.03, 0.03], dtype=np.float32)
_U = np.linspace(-1.0, 1.0, 33)


def lid_heights(g: Geometry, actions: FacialActions) -> tuple[float, float]:
    """Heights of the upper lid above, and the lower lid below, the eye line when open."""
    upper = g.eye_h * (1 + 0.45 * actions.lid_open - 0.3 * actions.squint)
    lower = g.eye_h * 0.55 * (1 - 0.55 * actions.squint)
    return max(upper, 2.0), max(lower, 1.5)


def eye_box(g: Geometry) -> tuple[int, int, int, int]:
    """(x, y, width, height) covering both eyes open wide or closed, with lashes."""
    x0 = int(CX - g.eye_dx - g.eye_w / 2 - 14)
    y0 = int(g.eye_y - g.eye_h * 1.6 - 12)
    return x0, y0, int(2 * (CX - x0)), int(g.eye_h * 2.6 + 22)


def draw_eyes(
    image: np.ndarray, g: Geometry, look: Appearance, actions: FacialActions, openness: float
) -> None:
    upper_h, lower_h = lid_heights(g, actions)
    half = g.eye_w / 2
    lash = mix(rgb(look.hair), np.zeros(3, np.float32), 0.7)
    skin = rgb(look.skin)
    iris_colour = rgb(look.eyes)
    drop = 2.5 * max(actions.pitch, 0) / 6  # looking down a little with a lowered head
    for side in (-1, 1):
        ex = CX + side * g.eye_dx
        xs = ex + side * _U * half
        tilt = -1.5 * _U  # outer corners sit slightly higher
        lower = g.eye_y + tilt + lower_h * (1 - _U**2) ** 0.9
        closed = g.eye_y + tilt + 0.55 * lower_h * (1 - _U**2) ** 0.9
        opened = g.eye_y + tilt - upper_h * (1 - _U**2) ** 0.85
        upper = openness * opened + (1 - openness) * closed
        upper_line = np.stack([xs, upper], axis=1)
        if openness > 0.08:
            white = polygon(np.concatenate([upper_line, np.stack([xs, lower], axis=1)[::-1]]))
            _draw_eyeball(image, white, ex, g.eye_y + drop, g.iris, iris_colour, upper_line, side)
        weight = 1.0 if "lashes" in look.features else 0.75
        paint(image, polygon(ribbon(upper_line, 1.6 * weight, 3.6 * weight, 3.0 * weight)), lash, 0.95)
        lower_line = np.stack([xs, lower + 0.6], axis=1)[4:-2]
        paint(image, polygon(ribbon(lower_line, 0.8, 1.2)), mix(skin, lash, 0.45), 0.35)
        if "lashes" in look.features and openness > 0.3:
            for u in (0.45, 0.7, 0.92):
                i = int((u + 1) / 2 * (len(_U) - 1))
                base = upper_line[i]
                tip = base + np.array([side * (2 + 4 * u), -4.5 - 2 * u])
                paint(image, polygon(ribbon(np.stack([base, (base + tip) / 2, tip]), 1.8, 0.4)), lash, 0.9)


def _draw_eyeball(
    image: np.ndarray, white: Mask, ex: float, ey: float, radius: float, colour: np.ndarray,
    upper_line: np.ndarray, side: int,
) -> None:  # fmt: skip
    box_h, box_w = white.alpha.shape

    def clipped(shape: Mask) -> Mask:
        """`shape` limited to the eye white, in the white's box."""
        full = shape.full(image.shape[0], image.shape[1])[
            white.y : white.y + box_h, white.x : white.x + box_w
        ]
        return Mask(full * white.alpha, white.x, white.y)

    paint(image, white, SCLERA)
    iris_x = ex + side * 0.6
    disk = _disk(iris_x, ey, radius)
    paint(image, clipped(disk), mix(colour, PUPIL, 0.55))
    paint(image, clipped(_disk(iris_x, ey, radius * 0.84)), colour)
    glow = _disk(iris_x, ey + radius * 0.35, radius * 0.6)
    glow.alpha = blur(glow.alpha, radius * 0.25)
    paint(image, clipped(glow), np.minimum(colour * 1.45 + 0.05, 1), 0.5)
    paint(image, clipped(_disk(iris_x, ey, radius * 0.42)), PUPIL)
    # the upper lid casts a soft shadow over the eyeball
    shade = polygon(ribbon(upper_line + [0, 2.0], 5.0))
    shade.alpha = blur(shade.alpha, 1.6)
    paint(image, clipped(shade), np.array([0.35, 0.3, 0.3], np.float32), 0.35)
    paint(
        image,
        clipped(_disk(iris_x - 0.35 * radius, ey - 0.38 * radius, radius * 0.26)),
        np.ones(3, np.float32),
        0.92,
    )
    paint(
        image,
        clipped(_disk(iris_x + 0.3 * radius, ey + 0.3 * radius, radius * 0.1)),
        np.ones(3, np.float32),
        0.6,
    )


def _disk(x: float, y: float, r: float) -> Mask:
    t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    return polygon(np.stack([x + r * np.cos(t), y + r * np.sin(t)], axis=1))


def draw_brows(image: np.ndarray, g: Geometry, look: Appearance, actions: FacialActions) -> None:
    colour = mix(rgb(look.hair), np.array([0.12, 0.08, 0.06], np.float32), 0.35)
    half = g.eye_w / 2
    base = g.eye_y - g.brow_gap
    for side in (-1, 1):
        ex = CX + side * g.eye_dx
        inner = (
            ex - side * (half * 0.95 - 4 * actions.brow_lower),
            base - 10 * actions.brow_inner + 7 * actions.brow_lower,
        )
        middle = (
            ex + side * half * 0.2,
            base - 5 - 4 * actions.brow_outer - 3 * actions.brow_inner + 5 * actions.brow_lower,
        )
        outer = (ex + side * half * 1.2, base + 1 - 8 * actions.brow_outer + 3 * actions.brow_lower)
        path = np.array([inner, middle, outer], dtype=np.float64)
        t = np.linspace(0, 1, 20)[:, None]
        curve = (1 - t) ** 2 * path[0] + 2 * (1 - t) * t * path[1] + t**2 * path[2]
        stroke = polygon(ribbon(curve, 6.5 * look.brows, 1.8 * look.brows, 5.5 * look.brows))
        soft = Mask(blur(stroke.alpha, 0.8), stroke.x, stroke.y)
        paint(image, soft, colour, 0.9)
