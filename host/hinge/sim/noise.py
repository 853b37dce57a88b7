"""Random signals that are pure functions of absolute time (so a run can be made in chunks).

Every random signal of the simulator is drawn once per run from the seed and can then be
evaluated on any stretch of the time axis: generating a run in pieces gives the same numbers as
generating it at once.
"""
from __future__ import annotations

import math
import zlib

import numpy as np


def stream(seed, name, label, *more):
    """An independent random generator for one purpose of one run (``label``: a short word)."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode()), zlib.crc32(label.encode()), *more])


def smoothstep(x):
    """0 -> 1 raised-cosine ramp on x in [0, 1] (clipped outside)."""
    x = np.clip(x, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def smootherstep(x):
    """0 -> 1 quintic ramp 6x^5 - 15x^4 + 10x^3 on [0, 1]: its slope and curvature vanish at both ends."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * x * (x * (6.0 * x - 15.0) + 10.0)


def smootherstep_slope(x):
    """d/dx of :func:`smootherstep` (30 x^2 (1-x)^2 inside [0, 1], 0 outside)."""
    xc = np.clip(x, 0.0, 1.0)
    return 30.0 * xc * xc * (1.0 - xc) ** 2


class SmoothNoise:
    """Zero-mean, unit-std smooth random signal with content around 1/period_s (sum of n sines).

    Evaluated on a coarse grid anchored at t = 0 (>= 40 points per shortest period) and
    interpolated with a C1 cubic (no kinks: rates derived from it stay continuous), so any
    stretch of time gives the same values.
    """

    def __init__(self, rng, period_s, n=8):
        self.f = np.exp(rng.uniform(np.log(0.4 / period_s), np.log(2.5 / period_s), n))
        self.ph = rng.uniform(0.0, 2 * np.pi, n)
        self.a = rng.normal(size=n)
        self.step = 1.0 / (40.0 * float(self.f.max()))
        self.norm = math.sqrt(0.5 * float(np.sum(self.a * self.a)))

    def __call__(self, t):
        t = np.asarray(t, float)
        k0 = int(math.floor(float(t.min()) / self.step)) - 1
        k1 = int(math.floor(float(t.max()) / self.step)) + 3
        tg = np.arange(k0, k1 + 1) * self.step
        x = np.zeros_like(tg)
        for f, ph, a in zip(self.f, self.ph, self.a):
            x += a * np.sin(2 * np.pi * f * tg + ph)
        return _catmull_rom(x, t / self.step - k0 - 1) / self.norm

    def slope(self, t):
        """d/dt of the signal (per s): the sines' exact slope on the coarse grid, interpolated."""
        t = np.asarray(t, float)
        k0 = int(math.floor(float(t.min()) / self.step)) - 1
        k1 = int(math.floor(float(t.max()) / self.step)) + 3
        tg = np.arange(k0, k1 + 1) * self.step
        x = np.zeros_like(tg)
        for f, ph, a in zip(self.f, self.ph, self.a):
            x += a * 2 * np.pi * f * np.cos(2 * np.pi * f * tg + ph)
        return _catmull_rom(x, t / self.step - k0 - 1) / self.norm


def _catmull_rom(x, v):
    """Catmull-Rom (C1 cubic) interpolation of samples x[1:-2] at fractional positions v >= 0."""
    i = np.floor(v).astype(np.int64)
    u = v - i
    p0, p1, p2, p3 = x[i], x[i + 1], x[i + 2], x[i + 3]
    return p1 + 0.5 * u * (p2 - p0 + u * (2 * p0 - 5 * p1 + 4 * p2 - p3 + u * (3 * (p1 - p2) + p3 - p0)))


class BandNoise:
    """Unit-std Gaussian noise limited to [f_lo, f_hi] Hz, evaluable on any stretch of time.

    Overlap-add of independent blocks: block k covers [k B/2, k B/2 + B) and is FFT-masked white
    noise at ``fs`` (Catmull-Rom interpolated in between), weighted by sin(pi u / B); the squares
    of overlapping weights sum to 1, so the variance is the same everywhere. B = 16 s (a window
    that slow broadens the spectrum by only ~0.06 Hz).
    """

    def __init__(self, seed, name, label, f_lo, f_hi, fs=200.0, block_s=16.0):
        self.key = (seed, name, label)
        self.f_lo, self.f_hi, self.fs, self.B = float(f_lo), float(f_hi), float(fs), float(block_s)
        self.m = int(round(self.B * self.fs))
        fr = np.fft.rfftfreq(self.m, 1.0 / self.fs)
        self.mask = (fr >= self.f_lo) & (fr <= self.f_hi)
        # std of masked unit white noise: each kept rfft bin carries 2/m of the variance
        self.scale = 1.0 / math.sqrt(2.0 * float(np.sum(self.mask)) / self.m)
        self._cache: dict = {}

    def _block(self, k):
        x = self._cache.get(k)
        if x is None:
            rng = stream(self.key[0], self.key[1], self.key[2], k + (1 << 20))
            X = np.fft.rfft(rng.normal(size=self.m))
            X[~self.mask] = 0.0
            y = np.fft.irfft(X, self.m) * self.scale
            x = np.concatenate([y[-1:], y, y[:2]])  # periodic padding for the cubic
            if len(self._cache) > 8:
                self._cache.clear()
            self._cache[k] = x
        return x

    def __call__(self, t):
        t = np.asarray(t, float)
        half = self.B / 2
        out = np.zeros_like(t)
        k_lo = int(math.floor(float(t.min()) / half)) - 1
        k_hi = int(math.floor(float(t.max()) / half))
        srt = _sorted(t)
        for k in range(k_lo, k_hi + 1):
            u = t - k * half
            if srt:
                j0, j1 = np.searchsorted(u, [0.0, self.B])
                sl = slice(int(j0), int(j1))
            else:
                sl = (u >= 0) & (u < self.B)
            uu = u[sl]
            if len(uu):
                out[sl] += np.sin(np.pi * uu / self.B) * _catmull_rom(self._block(k), uu * self.fs)
        return out


def _sorted(u):
    return len(u) < 2 or bool(u[-1] >= u[0] and np.all(u[1:] >= u[:-1]))


def hip_pulse(s, peak):
    """Hip-drop shape over one step (s = 0..1 from contact): 0 at both ends, max 1 near ``peak``."""
    a = 2.5

    def g(x):
        return (x / peak) ** a * np.exp(a * (1 - x / peak))

    grid = np.linspace(0.0, 1.0, 2001)
    norm = float(np.max(g(grid) - grid * g(1.0)))
    return (g(s) - s * g(1.0)) / norm
