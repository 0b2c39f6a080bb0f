"""The avatar's still portrait without its eyes and mouth: background, shoulders, neck, ears, a shaded
head with cheeks and nose, brows, age lines, facial hair and hair. The animated parts are drawn on
top of this, so it is drawn once per face and expression."""

from __future__ import annotations

import numpy as np

from asset_index.appearance import Appearance
from tools.face.draw import blur, ellipse, mix, paint, paint_full, polygon, radial, rgb, ribbon, spline
from tools.face.expression import FacialActions
from tools.face.eyes import draw_brows, lid_heights
from tools.face.hair import draw_back_hair, draw_front_hair
from tools.face.look import CX, SIZE, Geometry

DARK = np.array([0.18, 0.1, 0.08], dtype=np.float32)
WHITE = np.ones(3, dtype=np.float32)


def face_outline(g: Geometry, look: Appearance) -> np.ndarray:
    span = g.chin - g.eye_y
    jaw = 0.62 + 0.25 * look.jaw
    half = [
        (0.55, g.v(0.04)), (0.88, g.v(0.3)), (0.99, g.eye_y - 0.12 * span), (0.95, g.eye_y + 0.35 * span),
        (jaw, g.eye_y + 0.74 * span), (0.28 + 0.12 * look.jaw, g.chin - 5),
    ]  # fmt: skip
    right = [(CX + u * g.rx, y) for u, y in half]
    left = [(CX - u * g.rx, y) for u, y in reversed(half)]
    return spline(np.array([(CX, g.top), *right, (CX, g.chin), *left]), closed=True, per_segment=14)


def draw_portrait(
    look: Appearance, g: Geometry, actions: FacialActions, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The portrait as float RGB, and the face's coverage (used to place shading and cues)."""
    image = np.zeros((SIZE, SIZE, 3), dtype=np.float32)
    _background(image, look, seed)
    draw_back_hair(image, g, look)
    _body(image, g, look)
    skin = rgb(look.skin)
    for side in (-1, 1):
        ear = polygon(ellipse(CX + side * (g.rx - 1), g.eye_y + 20, 13, 25, angle=side * 0.12))
        paint(image, ear, skin * 0.93)
        paint(
            image,
            polygon(ellipse(CX + side * (g.rx + 1), g.eye_y + 20, 7, 15, angle=side * 0.12)),
            skin * 0.72,
            0.6,
        )
        if "earrings" in look.features:
            paint(
                image,
                polygon(ellipse(CX + side * (g.rx + 1), g.eye_y + 46, 3.5, 3.5)),
                np.array([0.9, 0.74, 0.3], np.float32),
            )
    face_mask = polygon(face_outline(g, look))
    face = face_mask.full(SIZE, SIZE)
    _neck_shadow(image, face, g)
    paint(image, face_mask, skin)
    _skin_shading(image, face, g, look, actions, seed)
    _nose(image, g, look)
    draw_brows(image, g, look, actions)
    _age_and_hair_on_face(image, face, g, look, actions, seed)
    draw_front_hair(image, g, look, face)
    vignette = 1 - 0.12 * (1 - radial(SIZE, SIZE, CX, SIZE / 2, SIZE * 0.8, SIZE * 0.8))
    return image * vignette[..., None], face


def _background(image: np.ndarray, look: Appearance, seed: int) -> None:
    top, bottom = rgb(look.background[0]), rgb(look.background[1])
    t = np.linspace(0, 1, SIZE, dtype=np.float32)[:, None, None]
    image[:] = (1 - t) * top + t * bottom
    paint_full(image, radial(SIZE, SIZE, CX, 200, 300, 260), mix(top, WHITE, 0.6), 0.35)
    rng = np.random.default_rng(seed)
    for _ in range(6):  # soft out-of-focus lights
        x, y, r = rng.uniform(20, SIZE - 20), rng.uniform(20, SIZE * 0.7), rng.uniform(25, 60)
        paint_full(image, blur(polygon(ellipse(x, y, r, r)).full(SIZE, SIZE), 6), mix(top, WHITE, 0.7), 0.12)


def _body(image: np.ndarray, g: Geometry, look: Appearance) -> None:
    skin, cloth = rgb(look.skin), rgb(look.clothing)
    neck_w = g.rx * 0.36
    neck = polygon(np.array([(CX - neck_w, g.eye_y + 60), (CX + neck_w, g.eye_y + 60),
                             (CX + neck_w * 1.12, g.chin + 70), (CX - neck_w * 1.12, g.chin + 70)]))  # fmt: skip
    paint(image, neck, skin * 0.9)
    shoulder_y = g.chin + 42
    right = [(CX + neck_w * 1.05, shoulder_y - 8), (CX + 120, shoulder_y + 14), (CX + 196, shoulder_y + 42),
             (CX + 236, shoulder_y + 90), (CX + 250, SIZE + 20)]  # fmt: skip
    outline = [*right, *[(2 * CX - x, y) for x, y in reversed(right)]]
    body = polygon(spline(np.array(outline), closed=False))
    paint(image, body, cloth)
    full = body.full(SIZE, SIZE)
    paint_full(image, full * (1 - blur(full, 14)), cloth * 0.6, 0.8)
    paint_full(image, blur(polygon(ellipse(CX + 140, shoulder_y + 40, 60, 22, 0.35)).full(SIZE, SIZE), 12) * full,
               np.minimum(cloth * 1.4 + 0.06, 1), 0.25)  # fmt: skip
    if look.neckline == "v-neck":
        vee = np.array(
            [
                (CX - neck_w * 1.25, shoulder_y - 10),
                (CX, shoulder_y + 48),
                (CX + neck_w * 1.25, shoulder_y - 10),
            ]
        )
        paint(image, polygon(vee), skin * 0.88)
        paint(image, polygon(ribbon(vee, 5)), cloth * 0.75)
    elif look.neckline == "collar":
        for side in (-1, 1):
            flap = np.array([(CX + side * neck_w * 1.1, shoulder_y - 18), (CX + side * 4, shoulder_y + 30),
                             (CX + side * neck_w * 2.3, shoulder_y + 14)])  # fmt: skip
            paint(image, polygon(flap), mix(cloth, WHITE, 0.75))
            paint(image, polygon(ribbon(flap[[0, 1, 2, 0]], 1.5)), cloth * 0.5, 0.6)
    else:
        arc = spline(
            np.array(
                [
                    (CX - neck_w * 1.2, shoulder_y - 12),
                    (CX, shoulder_y + 10),
                    (CX + neck_w * 1.2, shoulder_y - 12),
                ]
            ),
            closed=False,
        )
        paint(image, polygon(ribbon(arc, 6)), cloth * 0.72)


def _neck_shadow(image: np.ndarray, face: np.ndarray, g: Geometry) -> None:
    below = np.roll(blur(face, 7), 12, axis=0) * (1 - face)
    paint_full(image, below, DARK, 0.45)


def _skin_shading(
    image: np.ndarray, face: np.ndarray, g: Geometry, look: Appearance, actions: FacialActions, seed: int
) -> None:
    skin = rgb(look.skin)
    paint_full(image, face * (1 - blur(face, 16)), skin * 0.72, 0.85)
    paint_full(
        image,
        face * radial(SIZE, SIZE, CX - 25, g.v(0.45), g.rx * 0.9, g.rx * 0.75),
        mix(skin, WHITE, 0.5),
        0.22,
    )
    blush = 0.1 + 0.22 * max(actions.cheek, 0) + (0.12 if "blush" in look.features else 0.0)
    for side in (-1, 1):
        cheek = radial(
            SIZE, SIZE, CX + side * g.rx * 0.55, g.eye_y + 38 - 6 * actions.cheek, g.rx * 0.3, g.rx * 0.22
        )
        paint_full(image, cheek * face, np.array([0.9, 0.42, 0.42], np.float32), blush)
        socket = blur(
            polygon(ellipse(CX + side * g.eye_dx, g.eye_y - 4, g.eye_w * 0.62, g.eye_h * 1.4)).full(
                SIZE, SIZE
            ),
            6,
        )
        paint_full(image, socket * face, skin * 0.7, 0.22)
        # the upper lid's fold, fixed in the portrait; the animated lid moves beneath it
        upper, _ = lid_heights(g, actions)
        u = np.linspace(-0.8, 0.8, 20)
        crease = np.stack(
            [CX + side * g.eye_dx + side * u * g.eye_w / 2, g.eye_y - upper * 1.35 - 3 - 3 * (1 - u**2)],
            axis=1,
        )
        paint(image, polygon(ribbon(crease, 1.2, 1.2, 2.0)), skin * 0.6, 0.3)
    if actions.corners > 0.3 and actions.cheek > 0.3:  # smile lines
        for side in (-1, 1):
            fold = spline(np.array([(CX + side * 20, g.nose_y + 2), (CX + side * (g.mouth_w + 6), g.mouth_y - 8),
                                    (CX + side * (g.mouth_w + 10), g.mouth_y + 8)]), closed=False)  # fmt: skip
            paint(image, polygon(ribbon(fold, 1.2, 0.5, 1.8)), skin * 0.7, 0.14 * min(actions.cheek, 1))


def _nose(image: np.ndarray, g: Geometry, look: Appearance) -> None:
    skin = rgb(look.skin)
    wing = {"small": 8.0, "straight": 10.0, "broad": 13.0}[look.nose] * (0.85 if g.eye_h > 15 else 1.0)
    bridge = spline(
        np.array([(CX - 9, g.eye_y + 8), (CX - 10, (g.eye_y + g.nose_y) / 2), (CX - 12, g.nose_y - 6)]),
        closed=False,
    )
    paint_full(image, blur(polygon(ribbon(bridge, 4, 6)).full(SIZE, SIZE), 3), skin * 0.7, 0.3)
    paint_full(
        image, blur(polygon(ellipse(CX, g.nose_y + 4, wing + 4, 5)).full(SIZE, SIZE), 3), skin * 0.62, 0.45
    )
    for side in (-1, 1):
        paint_full(image, blur(polygon(ellipse(CX + side * wing * 0.55, g.nose_y + 1, 3.6, 2.4, side * 0.4)).full(SIZE, SIZE), 0.9),
                   skin * 0.35, 0.7)  # fmt: skip
        wing_line = spline(
            np.array(
                [
                    (CX + side * wing, g.nose_y - 8),
                    (CX + side * (wing + 2), g.nose_y - 1),
                    (CX + side * (wing - 2), g.nose_y + 3),
                ]
            ),
            closed=False,
        )
        paint(image, polygon(ribbon(wing_line, 1.6, 0.8)), skin * 0.6, 0.45)
    paint_full(image, blur(polygon(ellipse(CX - 2, g.nose_y - 7, 5, 4)).full(SIZE, SIZE), 2.5), WHITE, 0.3)


def _age_and_hair_on_face(
    image: np.ndarray, face: np.ndarray, g: Geometry, look: Appearance, actions: FacialActions, seed: int
) -> None:
    skin, hair = rgb(look.skin), rgb(look.hair)
    rng = np.random.default_rng(seed)
    if "wrinkles" in look.features:
        for k, w in enumerate((0.42, 0.52, 0.62)):
            line = spline(
                np.array([(CX - 40 + 6 * k, g.v(w) + 2), (CX, g.v(w) - 3), (CX + 38 - 5 * k, g.v(w) + 2)]),
                closed=False,
            )
            paint(image, polygon(ribbon(line, 0.8, 0.8, 1.5)), skin * 0.6, 0.3)
        for side in (-1, 1):
            for dy in (-5, 1, 7):
                x0 = CX + side * (g.eye_dx + g.eye_w / 2 + 4)
                paint(
                    image,
                    polygon(
                        ribbon(
                            np.array([(x0, g.eye_y + dy * 0.5), (x0 + side * 10, g.eye_y + dy * 1.4)]),
                            1.1,
                            0.3,
                        )
                    ),
                    skin * 0.6,
                    0.3,
                )
            bag = spline(
                np.array(
                    [
                        (CX + side * (g.eye_dx - 14), g.eye_y + 12),
                        (CX + side * g.eye_dx, g.eye_y + 17),
                        (CX + side * (g.eye_dx + 15), g.eye_y + 11),
                    ]
                ),
                closed=False,
            )
            paint(image, polygon(ribbon(bag, 0.6, 0.6, 1.4)), skin * 0.6, 0.3)
            fold = spline(
                np.array(
                    [
                        (CX + side * 20, g.nose_y + 2),
                        (CX + side * (g.mouth_w + 5), g.mouth_y - 6),
                        (CX + side * (g.mouth_w + 8), g.mouth_y + 14),
                    ]
                ),
                closed=False,
            )
            paint(image, polygon(ribbon(fold, 1.4, 0.6, 2.2)), skin * 0.6, 0.3)
    if "freckles" in look.features:
        for _ in range(26):
            side = rng.choice((-1, 1))
            x, y = CX + side * rng.uniform(12, g.rx * 0.7), rng.uniform(g.eye_y + 14, g.nose_y + 4)
            paint(
                image,
                polygon(ellipse(x, y, 1.4, 1.2, n=12)),
                mix(skin, np.array([0.45, 0.25, 0.15], np.float32), 0.5),
                0.55,
            )
    lower = face * np.clip((np.arange(SIZE, dtype=np.float32)[:, None] - (g.mouth_y - 16)) / 14, 0, 1)
    if "stubble" in look.features or "beard" in look.features:
        grain = rng.uniform(0.6, 1.0, (SIZE, SIZE)).astype(np.float32)
        paint_full(
            image, lower * grain, mix(hair, skin, 0.35) * 0.8, 0.9 if "beard" in look.features else 0.3
        )
    if "moustache" in look.features or "beard" in look.features:
        shape = spline(np.array([(CX - g.mouth_w - 4, g.mouth_y + 2), (CX - 14, g.mouth_y - 12), (CX, g.mouth_y - 10),
                                 (CX + 14, g.mouth_y - 12), (CX + g.mouth_w + 4, g.mouth_y + 2)]), closed=False)  # fmt: skip
        paint(image, polygon(ribbon(shape, 4, 4, 9)), hair * 0.85, 0.95)
