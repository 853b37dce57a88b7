"""Coach (device/coach.py): the optional cues (hip drop, tilt swing, cadence retraining) and faded
feedback, driven stride by stride with known values.

Plain functions with asserts: pytest runs them under CPython, tests/device/test_device_micropython.py
runs the same file under the unix-port micropython (64- and 32-bit builds), where ``heap_lock`` is
real: every stride runs with the heap locked (no allocation per stride).
"""
import config
import micropython
from coach import Coach
from detector import EventQueue
from events import EV_ALERT, EV_CAD_BASE, EV_CLEAR, EV_DYN, EV_LEN, R_BACKWARD, R_CADENCE, R_HIP_DROP, R_SWIVEL, R_TILT, R_UPRIGHT

STRIDE = 700   # ms: 171.4 steps/min


def _coach(**over):
    cfg = config.validate(over)
    q = EventQueue(64)
    return Coach(cfg, q), q, cfg


class Run:
    """Feeds running strides to a coach as the detector does (STRIDE's metrics to ``stride``, then
    the stride's tilt swing, hip drop per side and cadence to ``form``) and collects the coach's
    events."""

    def __init__(self, coach, q):
        self.c = coach
        self.q = q
        self.t = 0
        self.out = []

    def strides(self, n, lean=800, rot=1200, tilt=700, dl=500, dr=500, cad=1714, ms=STRIDE):
        c = self.c
        q = self.q
        for _ in range(n):
            self.t += ms
            micropython.heap_lock()
            try:
                c.stride(self.t, lean, rot, ms)
                c.form(self.t, cad, ms, tilt, dl, dr)
            finally:
                micropython.heap_unlock()
            b = q.buf
            for k in range(q.n):
                if b[k * EV_LEN] != EV_DYN:
                    self.out.append([b[k * EV_LEN + j] for j in range(EV_LEN)])
            q.clear()
        return self

    def cues(self, reason, ty=EV_ALERT):
        return [e for e in self.out if e[0] == ty and e[2] == reason]


def test_new_cues_off_by_default_change_nothing():
    # a runner with big hip drop, big tilt swing and a low cadence: with the defaults (the new cues
    # off) the coach says what it says on lean and rotation alone, event for event
    a = Run(*_coach()[:2])
    b_coach, b_q, _ = _coach()
    b = Run(b_coach, b_q)
    for lean, n in ((100, 40), (800, 20), (200, 60)):
        a.strides(n, lean=lean, rot=2500, tilt=2500, dl=2000, dr=2500, cad=1500)
        b.strides(n, lean=lean, rot=2500)   # ordinary dynamics and cadence
    assert a.out == b.out
    assert a.cues(R_UPRIGHT) and a.cues(R_SWIVEL)
    assert all(e[2] in (R_UPRIGHT, R_SWIVEL) and e[6] == 0 and e[7] == 0 for e in a.out)


def test_hip_drop_cue_after_the_hold_on_the_worse_side_graded():
    c, q, cfg = _coach(coach_hip_drop=True)
    r = Run(c, q).strides(40, dl=500, dr=1250)     # right 12.5 deg: 3.5 past 9 -> severity 2
    al = r.cues(R_HIP_DROP)
    hold = int(cfg["alert_after_s"] * 1000)
    # on from the first stride (the smoothing starts at the first value): the hold is whole strides
    first = (hold + STRIDE - 1) // STRIDE * STRIDE
    assert al and al[0][1] == first, (al, first)
    assert al[0][3] == 2 and al[0][4] == 1250 and al[0][5] == 900 and al[0][7] == 2   # side 2: right
    assert all(e[2] == R_HIP_DROP for e in r.out)
    # left worse and far past: severity 3, side 1; repeats no sooner than alert_repeat_s
    r.strides(200, dl=1400, dr=600)
    al = r.cues(R_HIP_DROP)
    assert al[-1][3] == 3 and al[-1][7] == 1
    gaps = [b[1] - a[1] for a, b in zip(al, al[1:])]
    assert gaps and min(gaps) >= cfg["alert_repeat_s"] * 1000
    # back under the limit by more than the hysteresis: one clear
    r.strides(10, dl=500, dr=500)
    assert len(r.cues(R_HIP_DROP, EV_CLEAR)) == 1


def test_hip_drop_hysteresis_holds_the_episode():
    c, q, _ = _coach(coach_hip_drop=True, hip_drop_hyst_deg=1.0)
    r = Run(c, q).strides(20, dl=1000, dr=0)        # right not measured: the left alone decides
    assert r.cues(R_HIP_DROP) and r.cues(R_HIP_DROP)[0][7] == 1
    r.strides(30, dl=850)                            # below 9 but not below 8: still on, no clear
    assert not r.cues(R_HIP_DROP, EV_CLEAR)
    r.strides(3, dl=700)
    assert len(r.cues(R_HIP_DROP, EV_CLEAR)) == 1


def test_tilt_swing_cue_and_walking_ends_it_silently():
    c, q, cfg = _coach(coach_tilt=True, tilt_swing_max_deg=10)
    r = Run(c, q).strides(30, tilt=1500)             # 5 deg past: severity 3
    al = r.cues(R_TILT)
    assert len(al) == 1 and al[0][3] == 3 and al[0][5] == 1000 and al[0][7] == 0
    c.reset()                                        # walking: the episode ends, no clear
    r.strides(5, tilt=700)
    assert not r.cues(R_TILT, EV_CLEAR)
    r.strides(10, tilt=1150)                          # 1.5 deg past: a new episode, severity 1, after its own hold
    al = r.cues(R_TILT)
    assert len(al) == 1


def test_cadence_fixed_target_band_and_metronome_target():
    c, q, cfg = _coach(coach_cadence=True, cadence_target_spm=175, cadence_band_spm=3)
    r = Run(c, q).strides(10, cad=1740)               # within the band (>= 172): no fault
    assert not r.out
    t0 = r.t
    r.strides(30, cad=1650)                           # 7 spm past the band's edge: severity 3
    al = r.cues(R_CADENCE)
    assert al, r.out
    # the smoothed cadence (the median of three) crosses below 172 on the second low stride
    assert al[0][1] == t0 + STRIDE + (int(cfg["alert_after_s"] * 1000) + STRIDE - 1) // STRIDE * STRIDE
    assert al[0][3] == 3 and al[0][5] == 17200 and al[0][7] == 1750   # 1/100 spm; target 1/10 spm
    assert al[0][4] == 16500
    r.strides(20, cad=1730)                           # 173: inside the band, not past half of it: held
    assert not r.cues(R_CADENCE, EV_CLEAR)
    r.strides(5, cad=1745)                            # 174.5 >= 173.5: cleared
    assert len(r.cues(R_CADENCE, EV_CLEAR)) == 1


def test_cadence_relative_target_waits_for_the_baseline():
    c, q, cfg = _coach(coach_cadence=True, cadence_raise_pct=5, cadence_baseline_min=2)
    # 170.0 steps/min: 705.88 ms strides, alternately 706 and 705 ms (cadence 1700 in 1/10 spm)
    r = Run(c, q)
    for _ in range(130):
        r.strides(1, cad=1700, ms=706).strides(1, cad=1700, ms=705)
    # no target, so no cue, before the baseline is learned; then one CAD_BASE record says it
    assert r.t > 3 * 60000 and [e[0] for e in r.out] == [EV_CAD_BASE], r.out
    assert r.out[0][2:5] == [c.c_base, c.target, 0] and c.target == c.c_base * 1050 // 1000
    r.strides(60, cad=1700, ms=706)
    assert 1697 <= c.c_base <= 1703, c.c_base
    al = r.cues(R_CADENCE)
    assert al and al[0][7] == c.c_base * 1050 // 1000   # +5 %
    assert al[0][5] == (al[0][7] - 30) * 10
    # the baseline is the session's: a new session learns it again, unless the main loop hands it
    # one kept from an earlier run (coachstore.py): then the target is set at once, and said
    c.start()
    assert c.c_base == 0 and c.target == 0
    q.clear()
    c.keep_base(1650)
    assert c.c_base == 1650 and c.target == 1732 and list(q.buf[:5]) == [EV_CAD_BASE, 0, 1650, 1732, 1]


def test_faded_feedback_withholds_all_but_one_episode_in_fade():
    for fade, want in ((1, [0, 0, 0, 0, 0]), (2, [0, 1, 0, 1, 0]), (4, [0, 1, 1, 1, 0])):
        c, q, _ = _coach()
        c.fade = fade
        r = Run(c, q)
        for _ in range(5):                              # five upright episodes of 15 s
            r.strides(22, lean=100)
            r.strides(6, lean=800)
        al = r.cues(R_UPRIGHT)
        cl = r.cues(R_UPRIGHT, EV_CLEAR)
        assert [e[6] for e in al] == want, (fade, al)
        assert [e[6] for e in cl] == want               # a withheld episode's clear plays no tick
        assert c.withheld == sum(want)


def test_faded_feedback_counts_episodes_per_reason_and_per_session():
    c, q, _ = _coach()
    c.fade = 2
    r = Run(c, q)
    r.strides(22, lean=100).strides(6, lean=800)                    # upright #1: given
    r.strides(22, lean=100, rot=2500).strides(6, lean=800)          # upright #2: withheld; swivel #1: given
    assert [e[6] for e in r.cues(R_UPRIGHT)] == [0, 1]
    assert [e[6] for e in r.cues(R_SWIVEL)] == [0]
    c.start()                                                       # the next session starts counting again
    r.out = []
    r.strides(22, lean=100).strides(6, lean=800)
    assert [e[6] for e in r.cues(R_UPRIGHT)] == [0]


def test_repeats_of_a_withheld_episode_stay_withheld():
    c, q, cfg = _coach()
    c.fade = 2
    r = Run(c, q).strides(22, lean=100).strides(6, lean=800)
    r.strides(400, lean=100)                                          # one long episode: repeats
    al = r.cues(R_UPRIGHT)
    assert len(al) >= 3 and al[0][6] == 0 and all(e[6] == 1 for e in al[1:])


def test_time_inside_the_hysteresis_band_does_not_count_toward_an_alert():
    # lean_min 6 deg, hysteresis 1: a runner who dips below 6 for two strides and then runs at
    # 6.5 (past the limit no more, inside the band) keeps the episode open but is not buzzed, and
    # no alert ever reports a lean on the good side of the limit; one who stays at 5 is, after
    # alert_after_s of strides past the limit
    c, q, cfg = _coach(lean_min_deg=6.0, lean_hyst_deg=1.0, alert_after_s=5, alert_repeat_s=20)
    r = Run(c, q).strides(20, lean=800).strides(2, lean=400).strides(40, lean=650)
    assert not r.cues(R_UPRIGHT), r.cues(R_UPRIGHT)
    assert c.up_on, "the episode is still open (the band did not clear it)"
    r.strides(12, lean=500)
    ups = r.cues(R_UPRIGHT)
    assert len(ups) == 1, ups
    # held: 2 strides at 4 deg (the smoothing's first at 5.25) and the 5-deg strides until 5 s
    assert all(e[4] < e[5] for e in ups), "value past the limit"
    t_alert = ups[0][1]
    assert t_alert >= 62 * STRIDE + (5000 - 2 * STRIDE) - STRIDE, t_alert


def test_a_dip_past_lean_back_does_not_restart_an_upright_episode():
    # lean_min 4, lean_back -2, alert after 5 s: an upright runner (2 deg) whose lean dips to
    # -6 deg for two strides 3 s in (the filter shaken by a burst of lost samples, a kerb) is
    # one episode: the buzz comes 5 s after the onset (as "backward" while the dip lasts, else
    # "upright"), not 5 s after the dip; no clear between the two readings; the repeat interval
    # holds across them
    c, q, cfg = _coach(lean_min_deg=4.0, lean_back_deg=-2.0, alert_after_s=5, alert_repeat_s=20)
    r = Run(c, q).strides(10, lean=800)            # good form
    t0 = r.t                                      # the upright episode starts after this
    r.strides(4, lean=200).strides(2, lean=-600).strides(20, lean=200)
    buzz = [e for e in r.out if e[0] == EV_ALERT]
    assert buzz and buzz[0][2] in (R_UPRIGHT, R_BACKWARD), buzz
    assert buzz[0][1] - t0 <= 5000 + 2 * STRIDE, (buzz[0][1] - t0, buzz)
    assert not [e for e in r.out if e[0] == EV_CLEAR], r.out
    assert len(buzz) == 1, buzz                   # 16 strides after it: within the 20 s repeat


def test_a_fault_holds_across_two_strides_lost_in_a_gap():
    # 700-ms strides of an upright runner; the next coached stride ends 3.2 strides after the
    # last (two strides lost in a gap, a step hidden there, and itself: they run a little past
    # 3 strides, detector.py): the fault held all that time; 4 strides on (a longer pause: not
    # two lost strides) only the stride's own
    c, q, cfg = _coach(lean_min_deg=4.0, alert_after_s=30)
    r = Run(c, q).strides(3, lean=150)
    assert c.up_on and c.up_held == 3 * STRIDE
    r.t += 1540
    r.strides(1, lean=150)
    assert c.up_held == 3 * STRIDE + 2240
    r.t += 2100
    r.strides(1, lean=150)
    assert c.up_held == 4 * STRIDE + 2240


def test_one_wild_stride_moves_no_optional_cue():
    # The optional cues smooth as lean does: a hip drop misread on one stride (20 deg), a stride
    # whose cadence a lost step halved (85 spm), neither open an episode nor end one
    c, q, cfg = _coach(coach_hip_drop=True, coach_tilt=True, coach_cadence=True, cadence_target_spm=170,
                       alert_after_s=5, alert_repeat_s=20)
    r = Run(c, q).strides(10, dl=500, dr=500, tilt=700, cad=1700)
    r.strides(1, dl=2000, dr=500, tilt=2500, cad=850).strides(10, dl=500, dr=500, tilt=700, cad=1700)
    assert not (c.es[0] or c.es[3] or c.es[6]) and not r.out, r.out
    # an episode of each, then one stride back inside every limit: all three hold on
    r.strides(12, dl=1300, dr=500, tilt=1500, cad=1600)
    assert {e[2] for e in r.cues(R_HIP_DROP) + r.cues(R_TILT) + r.cues(R_CADENCE)} == {R_HIP_DROP, R_TILT, R_CADENCE}
    r.strides(1, dl=500, dr=500, tilt=700, cad=1700)
    assert c.es[0] and c.es[3] and c.es[6] and not [e for e in r.out if e[0] == EV_CLEAR], r.out
    r.strides(2, dl=500, dr=500, tilt=700, cad=1700)   # two strides in: the median follows, all clear
    assert {e[2] for e in r.out if e[0] == EV_CLEAR} == {R_HIP_DROP, R_TILT, R_CADENCE}


def test_one_wild_stride_neither_ends_nor_starts_an_episode():
    # lean_min 4, alert after 5 s: an upright runner (1.5 deg) whose gravity estimate is thrown
    # for one stride (a landing inside a burst of lost samples at 50 Hz: 12.6 deg read) is still
    # buzzed 5 s after the onset, not 5 s after that stride; and a good runner (8 deg) with one
    # stride read at -5 deg opens no episode at all
    c, q, cfg = _coach(lean_min_deg=4.0, lean_hyst_deg=0.5, alert_after_s=5, alert_repeat_s=20)
    r = Run(c, q).strides(10, lean=800)
    t0 = r.t
    r.strides(4, lean=150).strides(1, lean=1260).strides(10, lean=150)
    ups = r.cues(R_UPRIGHT)
    assert ups, r.out
    assert ups[0][1] - t0 <= 5000 + 2 * STRIDE, (ups[0][1] - t0, ups)
    assert not r.cues(R_UPRIGHT, EV_CLEAR), r.out
    c, q, cfg = _coach(lean_min_deg=4.0, lean_back_deg=-2.0, lean_hyst_deg=0.5, alert_after_s=5)
    r = Run(c, q).strides(10, lean=800).strides(1, lean=-500)
    assert not (c.up_on or c.back_on), (c.l1, c.up_on, c.back_on)
    r.strides(20, lean=800)
    assert not [e for e in r.out if e[0] in (EV_ALERT, EV_CLEAR)], r.out
