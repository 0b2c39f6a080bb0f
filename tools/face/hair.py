"""Hair with volume: a back layer behind the head for long styles, a front layer over the crown with a
hairline, both shaded darker at the roots and edges with a sheen across the top and a few strands.
Points are in face units: x in half-widths from the midline, y with 0 at the crown and 1 at the eyes."""

from __future__ import annotations

import numpy as np

from asset_index.appearance import Appearance
from tools.face.draw import Mask, blur, mix, paint, paint_full, polygon, rgb, ribbon, spline
from tools.face.look import CX, SIZE, Geometry

# style: (back outline or None, front outer outline, hairline from right temple to left)
_CAP = [
    (-1.07, 1.0),
    (-1.12, 0.5),
    (-0.96, 0.1),
    (-0.55, -0.1),
    (0, -0.14),
    (0.55, -0.1),
    (0.96, 0.1),
    (1.12, 0.5),
    (1.07, 1.0),
]
_SHORT_LINE = [
    (0.95, 0.95),
    (0.9, 0.5),
    (0.62, 0.3),
    (0.2, 0.26),
    (-0.2, 0.26),
    (-0.62, 0.3),
    (-0.9, 0.5),
    (-0.95, 0.95),
]
_SIDE_PART_LINE = [
    (0.95, 0.95),
    (0.9, 0.5),
    (0.6, 0.34),
    (0.1, 0.3),
    (-0.35, 0.42),
    (-0.75, 0.5),
    (-0.93, 0.62),
    (-0.95, 0.95),
]
_CENTRE_PART_LINE = [
    (0.98, 1.4),
    (0.9, 0.75),
    (0.55, 0.36),
    (0.05, 0.22),
    (-0.05, 0.22),
    (-0.55, 0.36),
    (-0.9, 0.75),
    (-0.98, 1.4),
]
_FRINGE_LINE = [
    (0.95, 0.95),
    (0.88, 0.62),
    (0.5, 0.56),
    (0.1, 0.6),
    (-0.3, 0.55),
    (-0.7, 0.5),
    (-0.9, 0.6),
    (-0.95, 0.95),
]
_LONG_BACK = [
    (-1.12, 0.3),
    (-1.3, 1.4),
    (-1.4, 2.6),
    (-1.45, 3.4),
    (1.45, 3.4),
    (1.4, 2.6),
    (1.3, 1.4),
    (1.12, 0.3),
    (0.6, -0.12),
    (-0.6, -0.12),
]
_BOB_BACK = [
    (-1.1, 0.3),
    (-1.22, 1.3),
    (-1.2, 2.0),
    (-0.95, 2.15),
    (0.95, 2.15),
    (1.2, 2.0),
    (1.22, 1.3),
    (1.1, 0.3),
    (0.6, -0.12),
    (-0.6, -0.12),
]


def _points(g: Geometry, units: list[tuple[float, float]], rx_scale: float = 1.0) -> np.ndarray:
    return np.array([(CX + u * g.rx * rx_scale, g.v(w)) for u, w in units], dtype=np.float64)


def _bumpy(g: Geometry, scale: float, lift: float, bumps: int, depth: float) -> np.ndarray:
    """An outline of curls: an ellipse over the head whose radius ripples."""
    t = np.linspace(np.pi * 0.92, np.pi * 2.08, 160)
    r = 1 + depth * np.sin(bumps * t) ** 2
    cy = g.v(0.62)
    x = CX + np.cos(t) * g.rx * scale * r
    y = cy + np.sin(t) * (cy - g.v(-lift)) * r
    return np.stack([x, y], axis=1)


def _front(g: Geometry, style: str) -> np.ndarray | None:
    if style == "bald":
        return None
    if style in ("curly", "afro"):
        big = style == "afro"
        outer = _bumpy(g, 1.38 if big else 1.18, 0.45 if big else 0.2, 9, 0.05)
        line = spline(_points(g, _SHORT_LINE if big else _FRINGE_LINE), closed=False)
        return np.concatenate([outer, line])
    line = {
        "short": _SHORT_LINE, "buzz": _SHORT_LINE, "side-part": _SIDE_PART_LINE, "pixie": _FRINGE_LINE,
        "bob": _FRINGE_LINE, "long": _CENTRE_PART_LINE, "waves": _SIDE_PART_LINE, "bun": _CENTRE_PART_LINE,
    }[style]  # fmt: skip
    volume = {
        "buzz": 0.96,
        "short": 1.0,
        "side-part": 1.02,
        "pixie": 1.02,
        "bob": 1.05,
        "long": 1.04,
        "waves": 1.06,
        "bun": 1.0,
    }[style]
    cap = list(_CAP)
    if line[0][1] > 1.0:  # long styles frame the face down past the ears
        cap = [(-1.12, 1.45), *cap, (1.12, 1.45)]
    outer = spline(_points(g, cap, volume), closed=False)
    return np.concatenate([outer, spline(_points(g, line), closed=False)])


def _back(g: Geometry, style: str) -> np.ndarray | None:
    if style in ("long", "waves"):
        return spline(_points(g, _LONG_BACK), closed=True)
    if style == "bob":
        return spline(_points(g, _BOB_BACK), closed=True)
    if style == "bun":
        t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        return np.stack([CX + 0.42 * g.rx * np.cos(t), g.v(-0.2) + 0.36 * g.rx * np.sin(t)], axis=1)
    if style == "afro":
        return _bumpy(g, 1.42, 0.5, 11, 0.05)
    return None


def _shade(image: np.ndarray, mask: Mask, colour: np.ndarray, g: Geometry, opacity: float = 1.0) -> None:
    """Hair colour with darker edges and a sheen across the top."""
    paint(image, mask, colour, opacity)
    full = mask.full(SIZE, SIZE)
    edge = full * (1 - blur(full, 9))
    paint_full(image, edge, colour * 0.55, 0.7 * opacity)
    sheen = polygon(
        ribbon(
            spline(_points(g, [(-0.62, 0.14), (-0.2, 0.0), (0.25, 0.0), (0.6, 0.12)]), closed=False),
            14,
            6,
            16,
        )
    )
    paint_full(
        image, blur(sheen.full(SIZE, SIZE), 5) * full, np.minimum(colour * 1.5 + 0.08, 1), 0.35 * opacity
    )


def draw_back_hair(image: np.ndarray, g: Geometry, look: Appearance) -> None:
    shape = _back(g, look.hair_style)
    if shape is not None:
        _shade(image, polygon(shape), rgb(look.hair) * 0.82, g)


def draw_front_hair(image: np.ndarray, g: Geometry, look: Appearance, face: np.ndarray) -> None:
    colour = rgb(look.hair)
    style = look.hair_style
    if style == "bald":
        for side in (-1, 1):  # a fringe of hair over the ears
            band = spline(
                _points(
                    g,
                    [
                        (side * 1.0, 0.55),
                        (side * 1.08, 0.8),
                        (side * 1.04, 1.1),
                        (side * 0.93, 1.05),
                        (side * 0.95, 0.7),
                    ],
                ),
                closed=True,
            )
            _shade(image, polygon(band), colour, g, 0.9)
        return
    front = polygon(_front(g, style))
    # the hair's shadow on the forehead
    shadow = blur(front.full(SIZE, SIZE), 4)
    shadow = np.roll(shadow, 4, axis=0) * face
    paint_full(image, shadow, np.array([0.2, 0.12, 0.1], np.float32), 0.28)
    _shade(image, front, colour, g, 0.6 if style == "buzz" else 1.0)
    if style not in ("buzz", "curly", "afro"):
        rng = np.random.default_rng(7)
        for _ in range(9):
            u = rng.uniform(-0.8, 0.8)
            strand = spline(_points(g, [(u * 0.5, -0.05), (u * 0.85, 0.12), (u * 1.05, 0.28)]), closed=False)
            paint(
                image,
                polygon(ribbon(strand, 1.4, 0.4)),
                mix(colour, np.ones(3, np.float32), 0.25) if u > 0 else colour * 0.6,
                0.35,
            )
