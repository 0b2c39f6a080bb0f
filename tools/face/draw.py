"""Anti-aliased 2D drawing on float RGB images: shapes are polygons rasterised four times over in
their own bounding box and averaged down, so edges are smooth at any size; soft shading comes from
Gaussian-blurred coverage."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw

SUPERSAMPLE = 4


def rgb(hex_colour: str) -> np.ndarray:
    value = hex_colour.lstrip("#")
    return np.array([int(value[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.float32) / 255.0


def mix(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    return (1 - t) * a + t * b


@dataclass
class Mask:
    """Coverage 0..1 of a shape over the box whose top-left corner is (x, y)."""

    alpha: np.ndarray
    x: int
    y: int

    def full(self, height: int, width: int) -> np.ndarray:
        out = np.zeros((height, width), dtype=np.float32)
        h, w = self.alpha.shape
        x0, y0, x1, y1 = max(self.x, 0), max(self.y, 0), min(self.x + w, width), min(self.y + h, height)
        if x1 > x0 and y1 > y0:
            out[y0:y1, x0:x1] = self.alpha[y0 - self.y : y1 - self.y, x0 - self.x : x1 - self.x]
        return out


def polygon(points: np.ndarray, pad: int = 2) -> Mask:
    pts = np.asarray(points, dtype=np.float64)
    x0, y0 = np.floor(pts.min(axis=0)).astype(int) - pad
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int) + pad
    w, h = max(1, x1 - x0), max(1, y1 - y0)
    canvas = Image.new("L", (w * SUPERSAMPLE, h * SUPERSAMPLE), 0)
    scaled = [((px - x0) * SUPERSAMPLE, (py - y0) * SUPERSAMPLE) for px, py in pts]
    ImageDraw.Draw(canvas).polygon(scaled, fill=255)
    small = canvas.resize((w, h), Image.Resampling.BOX)
    return Mask(np.asarray(small, dtype=np.float32) / 255.0, int(x0), int(y0))


def ellipse(cx: float, cy: float, rx: float, ry: float, angle: float = 0.0, n: int = 72) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x, y = rx * np.cos(t), ry * np.sin(t)
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([cx + c * x - s * y, cy + s * x + c * y], axis=1)


def spline(points: np.ndarray, closed: bool = True, per_segment: int = 12) -> np.ndarray:
    """A Catmull-Rom curve through the points."""
    pts = np.asarray(points, dtype=np.float64)
    count = len(pts)
    segments = count if closed else count - 1
    out = []
    for i in range(segments):
        p0 = pts[(i - 1) % count] if closed or i > 0 else pts[0]
        p1, p2 = pts[i], pts[(i + 1) % count]
        p3 = pts[(i + 2) % count] if closed or i + 2 < count else pts[-1]
        t = np.linspace(0, 1, per_segment, endpoint=False)[:, None]
        out.append(
            0.5
            * (
                2 * p1
                + (-p0 + p2) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3
            )
        )
    if not closed:
        out.append(pts[-1:])
    return np.concatenate(out)


def ribbon(
    path: np.ndarray, start_width: float, end_width: float | None = None, middle: float | None = None
) -> np.ndarray:
    """A stroke along `path` as a polygon, its width tapering from start to end (through `middle`)."""
    path = np.asarray(path, dtype=np.float64)
    end_width = start_width if end_width is None else end_width
    t = np.linspace(0, 1, len(path))
    widths = (
        np.interp(t, [0, 0.5, 1], [start_width, middle, end_width])
        if middle is not None
        else np.interp(t, [0, 1], [start_width, end_width])
    )
    tangent = np.gradient(path, axis=0)
    tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-9)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1) * (widths[:, None] / 2)
    return np.concatenate([path + normal, (path - normal)[::-1]])


def paint(image: np.ndarray, mask: Mask, colour, opacity: float = 1.0) -> None:
    """Lays `colour` (an RGB triple or an image the size of the mask) over `image` through the mask."""
    h, w = mask.alpha.shape
    height, width = image.shape[:2]
    x0, y0, x1, y1 = max(mask.x, 0), max(mask.y, 0), min(mask.x + w, width), min(mask.y + h, height)
    if x1 <= x0 or y1 <= y0:
        return
    alpha = mask.alpha[y0 - mask.y : y1 - mask.y, x0 - mask.x : x1 - mask.x, None] * opacity
    colour = np.asarray(colour, dtype=np.float32)
    if colour.ndim == 3:
        colour = colour[y0 - mask.y : y1 - mask.y, x0 - mask.x : x1 - mask.x]
    region = image[y0:y1, x0:x1]
    region += alpha * (colour - region)


def paint_full(image: np.ndarray, alpha: np.ndarray, colour, opacity: float = 1.0) -> None:
    """Like `paint` with a full-size coverage array; only the rows and columns it covers are touched."""
    rows, cols = np.flatnonzero(alpha.max(axis=1) > 1e-4), np.flatnonzero(alpha.max(axis=0) > 1e-4)
    if rows.size == 0:
        return
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    region = image[y0:y1, x0:x1]
    region += (alpha[y0:y1, x0:x1, None] * opacity) * (np.asarray(colour, dtype=np.float32) - region)


def blur(alpha: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(alpha, (0, 0), sigma)


def radial(height: int, width: int, cx: float, cy: float, rx: float, ry: float | None = None) -> np.ndarray:
    """1 at the centre falling smoothly to 0 at the radii."""
    ry = rx if ry is None else ry
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    d = ((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2
    return np.clip(1 - d, 0, 1) ** 2


def to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)
