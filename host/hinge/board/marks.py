"""The coach's limits for ``hinge monitor``, and the marks of each stride: the device's own coach
(``device/coach.py``, imported from the device sources as the replay does) run on the strides the
console shows, so a mark follows the board's smoothing and hysteresis, not a copy of its rule.

The lean and rotation faults are marked on the stride's line (:meth:`Limits.marks`); the
optional cues (hip drop, tilt swing, cadence, when on) on the stride's dynamics line that follows
it (its DYN event), which carries the tilt swing and hip drop they read (:meth:`Limits.form_marks`;
in the log's 0.5-deg steps, as the board's coach takes them). Console values in deg and
steps/min; the coach takes cdeg and 1/10 steps/min.
"""
from __future__ import annotations


def _coach_module():
    from hinge.common import devpath

    return devpath.import_device("coach")


def _logfmt_module():
    from hinge.common import devpath

    return devpath.import_device("logfmt")


# the limit (config key) an alert or clear reports for each reason, and the alert field it is in
_LIMIT_KEYS = {"upright": ("limit_deg", "lean_min_deg"), "backward": ("limit_deg", "lean_back_deg"),
               "swivel": ("limit_deg", "swivel_max_deg"), "hip_drop": ("limit_deg", "hip_drop_max_deg"),
               "tilt_swing": ("limit_deg", "tilt_swing_max_deg"), "cadence": ("target_spm", "cadence_target_spm")}
# the optional cues' switches (a board's alert for one says it is on there)
_SWITCH = {"hip_drop": "coach_hip_drop", "tilt_swing": "coach_tilt", "cadence": "coach_cadence"}
_MARKS = (("back_on", "leaning back"), ("up_on", "upright"), ("sw_on", "swivel"))
# the optional cues' marks: the slot of each in the coach's episode array (``Coach.es[slot]`` is 1
# while its fault holds; device/coach.py) by its module constant's name
_FORM_MARKS = (("_HD", "hip drop"), ("_TL", "tilt swing"), ("_CD", "cadence low"))


class _Quiet:
    """The coach's event queue, unused here: the board's own alerts come on the console."""

    def push(self, *event):
        pass


def _cdeg(v) -> int:
    """A console value in deg (None = not measured) as the device's centidegrees (0 = not measured)."""
    return 0 if v is None else round(v * 100)


class Limits:
    """The coach's limits and, for marking strides, the device's own coach (``device/coach.py``,
    imported from the device sources as the replay does) run on the strides received: a stride is
    marked with the faults the coach holds after it (smoothing, hysteresis and all), as the board
    judges it. The optional cues (hip drop, tilt swing, cadence) need the stride's running
    dynamics, which come on the next console line (its DYN event): they are marked there
    (:meth:`form_marks`). ``source`` says where the config came from."""

    def __init__(self, cfg: dict | None = None, source: str = "defaults"):
        from hinge.common import devpath

        self.cfg = devpath.import_device("config").validate(dict(cfg or {}))  # ValueError: one line
        self.source = source
        self._coach = None
        self._pending = None  # (t_ms, cadence 1/10 spm, stride_ms) of a running stride awaiting its dynamics

    @classmethod
    def from_config(cls, cfg: dict, source: str) -> Limits:
        return cls(cfg, source)

    lean_min = property(lambda self: self.cfg["lean_min_deg"], doc="upright below this lean, deg")
    lean_back = property(lambda self: self.cfg["lean_back_deg"], doc="leaning back below this lean, deg")
    swivel_max = property(lambda self: self.cfg["swivel_max_deg"], doc="swivel above this rotation, deg")
    coach_upright = property(lambda self: self.cfg["coach_upright"])
    coach_backward = property(lambda self: self.cfg["coach_backward"])
    coach_swivel = property(lambda self: self.cfg["coach_swivel"])

    def coach(self):
        """The device's Coach for this config (built on first use; state kept between strides)."""
        if self._coach is None:
            from hinge.common import devpath

            self._coach = devpath.import_device("coach").Coach(self.cfg, _Quiet())
            self._pending = None
        return self._coach

    def _flush(self):
        """The optional cues of a running stride whose dynamics line never came: the detector
        gives them the stride with nothing measured (0), before the next stride."""
        if self._pending is not None:
            t, cad, ms = self._pending
            self._pending = None
            self.coach().form(t, cad, ms, 0, 0, 0)

    def learn(self, ev: dict) -> bool:
        """Follow the board: take the limit an alert or clear reports (the board's own; True if it
        changed) and switch on an optional cue it alerts on, end the coach's episodes when the
        runner stops running, as the detector does."""
        ty = ev.get("type")
        if ty == "activity" and ev.get("activity") != "running":
            self._flush()
            self.coach().reset()
            return False
        if ty not in ("alert", "clear"):
            return False
        r = ev.get("reason")
        changed = []
        sw = _SWITCH.get(r)
        if sw and not self.cfg[sw]:
            changed.append((sw, True))
        field_, key = _LIMIT_KEYS.get(r, (None, None))
        # the cadence target: the one the coach has (set, or learned from the run as the board does)
        now = self.coach().target / 10 if r == "cadence" else self.cfg.get(key)
        if key is not None and ev.get(field_) and now != ev[field_]:
            changed.append((key, ev[field_]))
        if not changed:
            return False
        self.cfg.update(changed)
        self._coach = None  # the board's limit from now on
        if "board" not in self.source:
            self.source += " + the board's alerts"
        return True

    def marks(self, stride: dict) -> list[str]:
        """Run the coach on this stride (as the detector does: running strides only; any other
        stride ends its episodes; a grounded one, without a flight, is not coached) and return the
        lean and rotation faults it then holds."""
        c = self.coach()
        self._flush()
        if stride.get("activity") != "running":
            c.reset()
            return []
        if stride.get("grounded"):
            return [word for attr, word in _MARKS if getattr(c, attr)]
        c.stride(stride["t_ms"], round(stride["lean_deg"] * 100), round(stride["rotation_deg"] * 100),
                 stride["stride_ms"])
        if c.form_on:
            self._pending = (stride["t_ms"], round(stride["cadence_spm"] * 10), stride["stride_ms"])
        return [word for attr, word in _MARKS if getattr(c, attr)]

    def form_marks(self, dyn: dict) -> list[str]:
        """The optional cues (those on) after the running stride this dynamics line belongs to:
        the coach's ``form`` on the stride's cadence, tilt swing and hip drop per side, and the
        cues whose fault it then holds. [] when no optional cue is on or the line is not the
        last stride's."""
        p = self._pending
        if p is None or p[0] != dyn.get("t_ms"):
            return []
        self._pending = None
        c = self.coach()
        # in the log's 0.5-deg steps, as the board's coach takes them (dynamics.py D_QSW)
        half = _logfmt_module().dyn_half_deg
        c.form(p[0], p[1], p[2], *(half(_cdeg(dyn.get(k))) for k in
                                   ("tilt_swing_deg", "hip_drop_left_deg", "hip_drop_right_deg")))
        mod = _coach_module()
        return [word for name, word in _FORM_MARKS if c.es[getattr(mod, name)]]

    def describe(self) -> str:
        c = self.cfg
        parts = []
        parts.append(f"lean >= {self.lean_min:+.1f} deg" + ("" if self.coach_upright else " (not coached)"))
        parts.append(f"not below {self.lean_back:+.1f}" + ("" if self.coach_backward else " (not coached)"))
        parts.append(f"rotation <= {self.swivel_max:.1f} deg" + ("" if self.coach_swivel else " (not coached)"))
        if c["coach_hip_drop"]:
            parts.append(f"hip drop <= {c['hip_drop_max_deg']:.1f} deg a side")
        if c["coach_tilt"]:
            parts.append(f"tilt swing <= {c['tilt_swing_max_deg']:.1f} deg")
        if c["coach_cadence"]:
            t = c["cadence_target_spm"]
            goal = f"{t:.1f}" if t else f"+{c['cadence_raise_pct']:g} % over the run's baseline"
            parts.append(f"cadence within {c['cadence_band_spm']:g} steps/min of {goal}")
        return ", ".join(parts) + f" [{self.source}]"
