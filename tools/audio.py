"""Small signal helpers shared by the speech and perception tools: WAV writing, resampling, gain,
pitch shifting and a pitch tracker. numpy and scipy only, so they load in milliseconds."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

PEAK = 0.95  # headroom left under full scale after gain


def write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> Path:
    """16-bit PCM mono WAV, written to a temporary name first so a reader never sees half a file."""
    import soundfile

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    soundfile.write(partial, np.clip(samples, -1.0, 1.0), sample_rate, subtype="PCM_16", format="WAV")
    partial.replace(path)
    return path


def resample(samples: np.ndarray, source_rate: float, target_rate: float) -> np.ndarray:
    """Polyphase resampling by the nearest small rational ratio."""
    if len(samples) == 0 or abs(source_rate - target_rate) < 1e-6:
        return samples.astype(np.float32, copy=False)
    ratio = Fraction(target_rate / source_rate).limit_denominator(200)
    return resample_poly(samples, ratio.numerator, ratio.denominator).astype(np.float32)


def semitone_factor(semitones: float) -> float:
    return float(2.0 ** (semitones / 12.0))


def shift_pitch(samples: np.ndarray, semitones: float) -> np.ndarray:
    """Raise or lower pitch by resampling; the audio also gets 2^(s/12) times shorter, so a caller
    that wants the original tempo synthesizes that much slower first."""
    if abs(semitones) < 0.01:
        return samples
    factor = semitone_factor(semitones)
    return resample(samples, factor, 1.0)


def apply_gain(samples: np.ndarray, decibels: float) -> np.ndarray:
    """Louder or softer by `decibels`, with peaks kept under full scale."""
    out = samples * np.float32(10.0 ** (decibels / 20.0))
    peak = float(np.max(np.abs(out))) if len(out) else 0.0
    if peak > PEAK:
        out *= np.float32(PEAK / peak)
    return out.astype(np.float32, copy=False)


def silence(seconds: float, sample_rate: int) -> np.ndarray:
    return np.zeros(max(0, round(seconds * sample_rate)), dtype=np.float32)


def pitch_track(samples: np.ndarray, sample_rate: int, fmin: float = 60.0, fmax: float = 500.0) -> np.ndarray:
    """Fundamental frequency per 10 ms frame (NaN where unvoiced), by the YIN difference function.

    The signal is analysed at 8 kHz, plenty for voices under 500 Hz. Frames quieter than 1/30 of
    the loudest count as silence; a frame is voiced when its cumulative-mean-normalised difference
    dips under 0.15, the YIN paper's usual threshold.
    """
    rate = 8000
    x = resample(np.asarray(samples, dtype=np.float32), sample_rate, rate).astype(np.float64)
    max_lag, min_lag = int(rate / fmin), max(2, int(rate / fmax))
    window, hop = 2 * max_lag, rate // 100
    if len(x) < window + max_lag + hop:
        return np.array([], dtype=np.float64)
    starts = np.arange(0, len(x) - window - max_lag, hop)
    energy = np.array([np.sqrt(np.mean(x[s : s + window] ** 2)) for s in starts])
    loud_enough = energy > energy.max() / 30.0
    f0 = np.full(len(starts), np.nan)
    lags = np.arange(1, max_lag + 1)
    for i in np.nonzero(loud_enough)[0]:
        frame = x[starts[i] : starts[i] + window + max_lag]
        shifted = np.lib.stride_tricks.sliding_window_view(frame[1:], window)[:max_lag]
        diff = np.sum((frame[:window] - shifted) ** 2, axis=1)
        cmnd = diff * lags / np.maximum(np.cumsum(diff), 1e-12)
        below = np.nonzero(cmnd[min_lag - 1 :] < 0.15)[0]
        if len(below) == 0:
            continue
        lag = below[0] + min_lag - 1
        while lag + 1 < len(cmnd) and cmnd[lag + 1] < cmnd[lag]:  # walk down to the dip's bottom
            lag += 1
        f0[i] = rate / lags[lag]
    return f0


def median_pitch(samples: np.ndarray, sample_rate: int) -> float:
    """Median f0 of the voiced frames, in Hz (NaN when nothing is voiced)."""
    f0 = pitch_track(samples, sample_rate)
    voiced = f0[~np.isnan(f0)]
    return float(np.median(voiced)) if len(voiced) else float("nan")
