"""Line a Hinge session log up with a watch activity: coarse by wall clock, then by cadence.

The board's clock is good only to minutes over a long run (its RTC runs on the ESP32's slow
RC clock in light sleep, hardware/README.md), and an IMU clock without rate calibration may
stretch the stride times by a percent or two; the watch's clock is GPS time. So:

1. **Series.** Both sides become a cadence on a 1-s grid, steps/min, 0 where nobody steps:
   Hinge's from its strides (each second takes the stride covering it: running and walking
   strides both count), the watch's per-second cadence as recorded. What is compared is the
   change from second to second of each (after a SMOOTH_S mean, clipped: :func:`changes`), so
   every surge, slow-down and wander of the stride rhythm counts, not only the run's start.
2. **Coarse.** With a header start time (the RTC was set), the lag between the two clocks is
   searched within ``COARSE_S`` + ``MAX_RATE`` x duration of what the wall clocks say; when the
   two time spans cannot overlap even then, :class:`~hinge.watch.activity.WatchFileError` says
   so (a file from another day). Without one (a never-set clock), every lag that leaves half of
   the shorter series overlapping is tried.
3. **Fit.** For clock rates b on a grid from -MAX_RATE to +MAX_RATE (0.2 % steps, refined
   tenfold three times around the best), the board series is stretched onto watch seconds
   (board second tau lands on watch second (1 + b) tau) and correlated with the watch's
   (normalised cross-correlation: Pearson r per lag, FFT sums) over the lag range; the (lag a,
   rate b) with the highest r wins, the lag refined to a fraction of a second by a parabola
   through the peak. A whole run's changes (start, stops, walks, surges, the finish) pin both
   down together. b = -0.02: the board's stride clock ran 2 % fast against the watch's.
4. **Check.** ``WINDOW_S`` windows of the board series every ``HOP_S`` that have cadence
   changes to lock onto (std >= ``MIN_STD_SPM``) each find their own best lag within
   ``SEARCH_S`` of the fit; those with peak r >= ``MIN_R`` that land within ``AGREE_S`` of the
   fit agree. When >= 3 agree over >= a third of the run, the line through their lags (weighted
   by r) replaces the fit: a whole run's correlation is broad in rate, the windows pin it.

``Alignment.to_unix(tau)`` maps board seconds to UTC seconds; its ``confidence`` is "high"
(whole-run r >= 0.7 and >= 3 windows, >= 60 % of those tried, agree with residual RMS <= 1.5 s),
"medium" (r >= 0.5) or "low"; with no wall clock to check the overlap, a low one is refused,
since nothing else says the files belong together.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .activity import Activity, WatchFileError

COARSE_S = 3600.0  # the RTC may have been set a day before the run: ~1 % of 24 h on the RC slow clock, and more
MAX_RATE = 0.06  # the stride clock vs the watch's: IMU oscillators are 1-2 % off before rate calibration; room to spare
WINDOW_S = 120  # s of board time per window: a few cadence changes (a stop, a walk, a surge)
HOP_S = 30  # s between window starts
SEARCH_S = 10.0  # s either side of the fitted lag a window searches when it checks the fit
RATE_STEP = 0.002  # first grid of clock rates (0.2 %), then refined tenfold three times
RATE_HALF = 10  # grid points either side of the centre of each refinement
MIN_STD_SPM = 0.2  # a window without cadence change (std of its changes, steps/min per s) cannot fix a lag
SMOOTH_S = 5  # both series are averaged over 5 s: a watch's cadence is a few seconds' mean
CHANGE_CLIP = 3.0  # steps/min per s: larger jumps (start, stop, walk breaks) count as this much
MIN_R = 0.3  # a window's peak correlation that counts (steady running correlates weakly; the fit weeds out chance peaks)
AGREE_S = 2.0  # a window agrees with a fit when its lag is this close (the 1-s grids' resolution x 2)
MIN_GLOBAL_R = 0.3  # below this the two cadence series do not look like one run


@dataclass
class Alignment:
    """How board time (tau, s since the session's start) maps onto the watch's UTC seconds:
    ``u = watch_t0 + a + (1 + b) * tau``."""

    watch_t0: float
    a: float
    b: float
    board_start_utc: float | None
    confidence: str
    r_global: float
    windows: int = 0  # windows that agreed with the fit
    windows_tried: int = 0  # windows with enough cadence change to try
    rms_s: float = float("nan")
    span_s: float = 0.0  # board seconds between the first and last agreeing window
    lags: list = field(default_factory=list)  # (tau, lag, r, agreed) per window tried
    rate_pinned: bool = False  # the clock rate was fitted through the windows' lags (else a whole-run guess)

    def to_unix(self, tau):
        """UTC seconds (Unix) of board time ``tau`` (s; scalar or array)."""
        return self.watch_t0 + self.a + (1.0 + self.b) * np.asarray(tau, dtype=float)

    @property
    def offset_s(self) -> float | None:
        """How far the board's clock was ahead of the watch's at the session's start (s), when
        the log has a wall-clock start."""
        if self.board_start_utc is None:
            return None
        return float(self.board_start_utc - self.to_unix(0.0))

    @property
    def drift(self) -> float:
        """The board's stride clock against the watch's: +0.02 = board seconds 2 % long
        (ran fast)."""
        return float(1.0 / (1.0 + self.b) - 1.0)

    def describe(self) -> str:
        """One line for the report: offset, drift, how sure."""
        parts = []
        if self.offset_s is not None:
            parts.append(f"board clock {abs(self.offset_s):.1f} s {'ahead of' if self.offset_s >= 0 else 'behind'} "
                         "the watch at the start")
        else:
            parts.append("board clock not set: placed by cadence alone")
        if self.rate_pinned and abs(self.drift) >= 0.0005:
            parts.append(f"its stride clock {abs(self.drift) * 100:.1f} % {'fast' if self.drift > 0 else 'slow'}")
        how = (f"{self.windows} of {self.windows_tried} windows agree within {self.rms_s:.1f} s"
               if self.windows >= 2 else f"one overall match (r {self.r_global:.2f})")
        return f"lined up by cadence: {', '.join(parts)}; {how}: {self.confidence} confidence"


def header_start(header: dict) -> float | None:
    """The session's wall-clock start (Unix s) when the firmware says the host set its clock
    (UTC); an older header's time may be anything (local time, a clock set by hand): None, and
    cadence alone places the log."""
    return header.get("start_utc") if header.get("clock_set") else None


def hinge_cadence(strides: np.ndarray) -> np.ndarray:
    """Hinge's cadence on a 1-s grid of board time (index k = board time k s), steps/min: the
    stride covering that instant, 0 where none does (standing)."""
    if not len(strides):
        return np.zeros(0)
    t1 = strides["t_ms"].astype(float) / 1000.0
    t0 = t1 - strides["stride_ms"].astype(float) / 1000.0
    order = np.argsort(t1, kind="stable")
    t0, t1, cad = t0[order], t1[order], strides["cadence_spm"].astype(float)[order]
    n = int(np.ceil(t1.max())) + 1
    mid = np.arange(n, dtype=float)
    i = np.clip(np.searchsorted(t1, mid), 0, len(t1) - 1)
    cover = (t0[i] <= mid) & (t1[i] >= mid)
    return np.where(cover, cad[i], 0.0)


def _xsum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """c[k] = sum_i a[i] * b[i + k] for k = -(len(a) - 1) .. len(b) - 1 (FFT)."""
    n = len(a) + len(b) - 1
    size = 1 << int(np.ceil(np.log2(max(n, 2))))
    c = np.fft.irfft(np.conj(np.fft.rfft(a, size)) * np.fft.rfft(b, size), size)
    return np.concatenate((c[size - (len(a) - 1):] if len(a) > 1 else c[:0], c[: len(b)]))


def ncc(h: np.ndarray, w: np.ndarray, min_overlap: int) -> tuple[np.ndarray, np.ndarray]:
    """Pearson r of ``h`` against ``w`` shifted by each lag k (``h[i]`` vs ``w[i + k]``), over
    the overlap; lags with less than ``min_overlap`` samples or no variance get r = -1.
    Returns (lags, r)."""
    h = h - h.mean()
    w = w - w.mean()
    oh, ow = np.ones(len(h)), np.ones(len(w))
    n = np.rint(_xsum(oh, ow))
    sh, sw = _xsum(h, ow), _xsum(oh, w)
    shh, sww = _xsum(h * h, ow), _xsum(oh, w * w)
    shw = _xsum(h, w)
    lags = np.arange(-(len(h) - 1), len(w))
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = n * shw - sh * sw
        var = (n * shh - sh * sh) * (n * sww - sw * sw)
        r = cov / np.sqrt(var)
    r[(n < min_overlap) | ~(var > 1e-6 * np.maximum(n, 1) ** 2) | ~np.isfinite(r)] = -1.0
    return lags, r


def _peak(lags, r, lo, hi):
    """(lag, r) of the best r with lo <= lag <= hi, refined by a parabola; None if empty."""
    m = (lags >= lo) & (lags <= hi)
    if not m.any():
        return None
    idx = np.flatnonzero(m)
    j = idx[np.argmax(r[idx])]
    lag = float(lags[j])
    if idx[0] < j < idx[-1]:
        y0, y1, y2 = r[j - 1], r[j], r[j + 1]
        d = y0 - 2 * y1 + y2
        if d < 0:
            lag += float(np.clip(0.5 * (y0 - y2) / d, -0.5, 0.5))
    return lag, float(r[j])


def _best_lag(h, w, b, lo, hi, min_ov):
    """(lag, r) of the board series stretched by rate ``b`` (board second tau lands on watch
    second (1 + b) tau) against the watch series, the lag limited to [lo, hi]."""
    n = int(len(h) * (1.0 + b))
    hb = np.interp(np.arange(n) / (1.0 + b), np.arange(len(h)), h)
    lags, r = ncc(hb, w, min_ov)
    return _peak(lags, r, lo, hi)


def _fit(h, w, lo, hi, min_ov):
    """(a, b, r): the clock rate b (a grid from -MAX_RATE to +MAX_RATE, refined three times
    tenfold) and lag a that correlate the two whole series best."""
    best = None
    centre, step = 0.0, RATE_STEP
    for _ in range(4):
        for b in centre + step * np.arange(-RATE_HALF, RATE_HALF + 1):
            if abs(b) > MAX_RATE:
                continue
            p = _best_lag(h, w, b, lo, hi, min_ov)
            if p is not None and (best is None or p[1] > best[2]):
                best = (p[0], float(b), p[1])
        if best is None:
            return None
        centre, step = best[1], step / 10
    return best


def align(strides: np.ndarray, act: Activity, start_utc: float | None, log_name: str = "the log") -> Alignment:
    """Align a session's strides (``logdecode`` stride array) with watch activity ``act``;
    ``start_utc``: the log header's wall-clock start (Unix s) when its clock was set, else None.
    Raises :class:`WatchFileError` (one line) when the files cannot belong together."""
    h = hinge_cadence(strides)
    w = np.nan_to_num(act.cadence_spm, nan=0.0)
    if len(h) < 60 or not (h > 0).any():
        raise WatchFileError(f"{log_name}: fewer than 60 s of strides: nothing to line up")
    if not np.isfinite(act.cadence_spm).any() or not (w > 0).any():
        raise WatchFileError(f"{act.source}: no cadence in the watch file: Hinge lines up by cadence")
    h, w = changes(h), changes(w)
    dur_h, dur_w = float(len(h)), float(len(w))
    t0 = act.start
    if start_utc is not None:
        margin = COARSE_S + MAX_RATE * max(dur_h, dur_w)
        if start_utc + dur_h < t0 - margin or start_utc > act.end + margin:
            raise WatchFileError(f"{act.source} ({_span(t0, act.end)}) does not overlap {log_name} "
                                 f"({_span(start_utc, start_utc + dur_h)}): a file from another run?")
        guess = start_utc - t0
        lo, hi = guess - margin, guess + margin
    else:
        lo, hi = -np.inf, np.inf
    min_ov = max(30, int(0.5 * min(dur_h, dur_w)))
    fit = _fit(h, w, lo, hi, min_ov)
    if fit is None or fit[2] < MIN_GLOBAL_R:
        what = f"best r {fit[2]:.2f}" if fit else "no overlap"
        raise WatchFileError(f"{act.source} does not line up with {log_name}: their cadence does not match "
                             f"anywhere ({what}): a file from another run?")
    a, b, r_glob = fit
    pinned = False  # the rate pinned by the windows (a short run's whole-run rate is only a guess)
    lags_out = _windows(h, w, a, b)
    agreed = [x for x in lags_out if x[3]]
    if len(agreed) >= 3 and agreed[-1][0] - agreed[0][0] >= dur_h / 3:
        # a whole run's correlation is broad in rate (a 0.5 % error moves a 10-min run's ends by
        # 1.5 s); the windows' own lags pin it: the line through those that agree
        x = np.array([t for t, _, _, _ in agreed])
        y = np.array([lg for _, lg, _, _ in agreed])
        b2, a2 = np.polyfit(x, y, 1, w=np.array([rv for _, _, rv, _ in agreed]))
        if abs(b2) <= MAX_RATE:
            a, b = float(a2), float(b2)
            lags_out = _windows(h, w, a, b)
            pinned = True
    agreed = [x for x in lags_out if x[3]]
    n_in = len(agreed)
    rms = float(np.sqrt(np.mean([(lg - (a + b * t)) ** 2 for t, lg, _, _ in agreed]))) if agreed else float("nan")
    span = float(agreed[-1][0] - agreed[0][0]) if agreed else 0.0
    if r_glob >= 0.5 and n_in >= 3 and n_in >= 0.6 * len(lags_out) and rms <= 1.5:
        conf = "high"
    elif r_glob >= 0.5 or n_in >= 3:
        conf = "medium"
    else:
        conf = "low"
    if conf == "low" and start_utc is None:
        raise WatchFileError(f"{act.source} does not line up with {log_name} for sure (best r {r_glob:.2f}, "
                             "and the board's clock was not set to check it): a file from another run?")
    # lag a + b tau: h[tau] matches w[tau + lag], i.e. watch second t0 + tau + lag
    return Alignment(t0, a, b, start_utc, conf, r_glob, n_in, len(lags_out), rms, span, lags_out, pinned)


def _windows(h, w, a, b) -> list:
    """(tau, lag, r, agrees) of each window of the board series with cadence changes: its own
    best lag within SEARCH_S of the line a + b tau, and whether it lies within AGREE_S of it."""
    lags_out = []
    for s0 in range(0, max(1, len(h) - WINDOW_S + 1), HOP_S):
        seg = h[s0: s0 + WINDOW_S]
        if len(seg) < WINDOW_S // 2 or seg.std() < MIN_STD_SPM:
            continue
        tc = s0 + len(seg) / 2
        pred = a + b * tc
        j0c = max(0, int(np.floor(s0 + pred - SEARCH_S)))
        j1c = min(len(w), int(np.ceil(s0 + pred + SEARCH_S)) + len(seg))
        if j1c - j0c < len(seg):
            continue
        wl, rr = ncc(seg, w[j0c:j1c], len(seg))
        p = _peak(wl + j0c - s0, rr, pred - SEARCH_S, pred + SEARCH_S)
        if p is not None and p[1] >= MIN_R:
            lags_out.append((float(tc), p[0], p[1], abs(p[0] - pred) <= AGREE_S))
    return lags_out


def changes(cadence: np.ndarray) -> np.ndarray:
    """What the correlation compares: the change of the cadence from second to second (after a
    SMOOTH_S mean), clipped at +-CHANGE_CLIP: every surge, slow-down and stride-rhythm wander
    counts, not only the start and the finish (a run's 0 -> 170 steps/min would otherwise
    outweigh everything else, and any two runs that start alike would match)."""
    if len(cadence) >= SMOOTH_S:
        cadence = np.convolve(cadence, np.ones(SMOOTH_S) / SMOOTH_S, mode="same")
    return np.clip(np.diff(cadence, prepend=cadence[:1]), -CHANGE_CLIP, CHANGE_CLIP)


def _span(u0: float, u1: float) -> str:
    import datetime as _dt

    f = _dt.datetime.fromtimestamp
    a, b = f(u0, _dt.timezone.utc), f(u1, _dt.timezone.utc)
    return f"{a:%Y-%m-%d %H:%M}-{b:%H:%M} UTC" if a.date() == b.date() else f"{a:%Y-%m-%d %H:%M} - {b:%Y-%m-%d %H:%M} UTC"
