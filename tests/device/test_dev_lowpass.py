"""The step trigger's vertical low-pass (kernel.run, 4 Hz) is the same filter at every sample rate.

A first-order filter stepped by dt closes 1 - exp(-dt/tau) of the gap to its input each sample.
Euler's dt/tau is that only while dt << tau (tau = 40 ms): at 50 Hz it is 0.50 for 0.39, a 5.6 Hz
filter, which kept a slow walker's second force hump (SisFall D01_SE10 read at 50 Hz: 195 steps/min
for 97 over its first 35 s). Checked here on the filter's step response, one time constant after
a 0.5 g step: 1 - 1/e of the step at 50, 100 and 200 Hz.

Plain functions with asserts: pytest runs them under CPython, tests/device/test_device_micropython.py
runs the same file under the unix-port micropython (64- and 32-bit).
"""
import config
import detector
import kernel
import synth

TAU_MS = 40          # the 4 Hz low-pass: 1000 / (2 pi 4)


def _response(rate):
    """The low-passed vertical force's share of a 0.5 g step (standing 1 g, then 1.5 g) one time
    constant after it, at ``rate`` Hz."""
    cfg = config.validate({"mount_up": "+z", "mount_forward": "+x"})
    det = detector.Detector(cfg, synth.LSB_G, synth.LSB_KDPS)
    det.start(0)
    synth.events(det, synth.samples(2, rate=rate, still=True))
    before = det.st[kernel.S_VLP]
    step = synth.samples(1, rate=rate, still=True, acc_bias_g=(0.0, 0.0, 0.5))
    n = TAU_MS * rate // 1000
    synth.events(det, step[:7 * n], block=1)
    return (det.st[kernel.S_VLP] - before) / (0.5 * 65536)


def test_the_low_pass_is_the_same_filter_at_every_rate():
    want = 0.632     # 1 - 1/e
    for rate in (50, 100, 200):
        got = _response(rate)
        # Euler's: 0.753 at 50 Hz, 0.686 at 100, 0.658 at 200
        assert abs(got - want) <= 0.02, (rate, got)
