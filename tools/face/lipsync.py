"""Mouth movement from the speech itself: for each video frame, how far the mouth opens (from the
loudness of the audio under that frame) and its shape (from where the energy sits in the spectrum).

Opening: the frame's RMS amplitude over the reply's 90th percentile (fully open at or above it),
eased by a 0.75 power, smoothed a little so the jaw does not flutter, and closed outright in
silence (40 dB under the loudest frame, or under -55 dBFS). Shape, relative to the reply: the
brightest quarter of frames (most energy over 1.5 kHz against 200-900 Hz, as in "ee", "s") spread
the lips wide; the darkest eighth with the mouth well open (as in "oo", "oh") round them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FLOOR_DB = -55.0  # anything quieter is silence
RANGE_DB = 40.0  # and so is anything this far under the loudest frame


@dataclass(frozen=True)
class MouthTrack:
    opening: np.ndarray  # 0..1 per frame
    shape: list[str]  # "neutral" | "wide" | "round" per frame
    loudness_db: np.ndarray  # the level each opening came from


def mouth_track(samples: np.ndarray, sample_rate: int, frames: int, fps: int = 25) -> MouthTrack:
    hop = sample_rate / fps
    window = int(hop * 1.5)  # the spectrum looks a little wider than the frame
    levels, brightness = np.full(frames, -120.0), np.zeros(frames)
    spectrum_freqs = np.fft.rfftfreq(window, 1 / sample_rate)
    low = (spectrum_freqs > 200) & (spectrum_freqs < 900)
    high = (spectrum_freqs > 1500) & (spectrum_freqs < 4500)
    taper = np.hanning(window)
    for i in range(frames):
        own = samples[int(i * hop) : int((i + 1) * hop)]
        if len(own) == 0:
            continue
        levels[i] = 20 * np.log10(np.sqrt(np.mean(own**2)) + 1e-9)
        centre = int((i + 0.5) * hop)
        chunk = samples[max(0, centre - window // 2) : centre + window // 2]
        if len(chunk) == window:
            power = np.abs(np.fft.rfft(chunk * taper)) ** 2
            brightness[i] = power[high].sum() / (power[low].sum() + power[high].sum() + 1e-12)
    silent = levels < max(FLOOR_DB, levels.max() - RANGE_DB)
    amplitude = 10 ** (levels / 20)
    reference = np.percentile(amplitude[~silent], 90) if (~silent).any() else 1.0
    raw = np.clip(amplitude / reference, 0, 1) ** 0.75
    opening = raw.copy()
    for i in range(1, frames):  # quick to open, a touch slower to close
        opening[i] = raw[i] if raw[i] >= opening[i - 1] else 0.6 * raw[i] + 0.4 * opening[i - 1]
    opening[silent] = 0.0
    voiced = brightness[~silent] if (~silent).any() else brightness
    bright, dark = np.percentile(voiced, 75), np.percentile(voiced, 12)
    shape = [
        "wide" if b >= bright else "round" if b <= dark and o > 0.5 else "neutral"
        for b, o in zip(brightness, opening, strict=True)
    ]
    return MouthTrack(opening, shape, levels)
