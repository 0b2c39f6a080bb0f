"""Where a face's features sit on the 512x512 frame for its age group (asset_index.appearance
says what it looks like): children have rounder faces, larger eyes set lower and smaller
noses and mouths; older faces are longer with heavier lids."""

from __future__ import annotations

from dataclasses import dataclass

from asset_index.appearance import Appearance

SIZE = 512
CX = SIZE / 2


@dataclass(frozen=True)
class Geometry:
    rx: float  # half the face's width at the cheekbones
    top: float  # crown
    eye_y: float
    chin: float
    eye_dx: float  # eye centre from the midline
    eye_w: float
    eye_h: float
    iris: float
    brow_gap: float  # brow above the eye line
    nose_y: float
    mouth_y: float
    mouth_w: float  # half width
    upper_lip: float
    lower_lip: float
    max_gap: float  # widest mouth opening

    def v(self, w: float) -> float:
        """A height in face units: 0 at the crown, 1 at the eye line."""
        return self.top + w * (self.eye_y - self.top)


# age group: (rx, top, eye_y, chin, eye_dx, eye_w, eye_h, iris, brow_gap, nose, mouth, mouth_w, lips, gap)
_BY_AGE = {
    "children": (102, 84, 256, 366, 41, 50, 19.5, 13, 30, 296, 324, 23, (5.5, 7.5), 20),
    "adolescents": (100, 80, 248, 368, 42, 48, 18, 12.5, 31, 294, 326, 25, (6, 8), 22),
    "teenagers": (98, 76, 240, 370, 42, 47, 17, 12, 31, 290, 324, 27, (6.5, 8.5), 24),
    "young adults": (97, 72, 234, 372, 43, 46, 16, 11.5, 31, 288, 322, 29, (6.5, 9), 26),
    "middle-aged adults": (98, 72, 234, 376, 43, 45, 14.5, 11, 31, 290, 325, 29, (6, 8.5), 26),
    "elderly": (97, 74, 236, 380, 43, 44, 13, 10.5, 32, 294, 330, 28, (4.5, 7), 24),
}


def geometry(age: str, appearance: Appearance) -> Geometry:
    rx, top, eye_y, chin, eye_dx, eye_w, eye_h, iris, brow_gap, nose, mouth, mouth_w, lips, gap = _BY_AGE[age]
    return Geometry(
        rx=rx * appearance.face_width, top=top, eye_y=eye_y, chin=chin, eye_dx=eye_dx, eye_w=eye_w, eye_h=eye_h,
        iris=iris, brow_gap=brow_gap, nose_y=nose, mouth_y=mouth, mouth_w=mouth_w, upper_lip=lips[0],
        lower_lip=lips[1], max_gap=gap,
    )  # fmt: skip
