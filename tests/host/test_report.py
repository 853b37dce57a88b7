"""`hinge report` and `hinge baseline` on real session logs written by the firmware.

Logs come from vrun.run_firmware (the unchanged device/main.py on the virtual board) playing
simulated runs: a mixed-form run (upright, leaning back and swivel episodes), a good-form run,
a short run and one without a standing start. The report is checked by rendering it: the
matplotlib Figures are inspected for titles, axis labels, legends and threshold lines before
encoding, the PNGs are decoded and must be real, non-blank images, and the HTML must be one
self-contained file. Baseline --apply writes the board's config.json on a virtual board.
"""
import base64
import collections
import io
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from cliutil import one_error_line, run_cli
from matplotlib.lines import Line2D
from PIL import Image

from hinge.cli import cli
from hinge.common import devpath
from hinge.common.keyvalue import parse_pairs
from hinge.logs import analysis, baseline
from hinge.report import figures, words
from hinge.report import html as rhtml
from hinge.report import text as rtext
from hinge.sim import simulate
from hinge.virtual import vrun
from hinge.virtual.ptyboard import VirtualBoard


def _run(tmp, scenario, seed, minutes, **cfg):
    sim = simulate.simulate(scenario, seed=seed, minutes=minutes)
    cap = sim.as_capture()
    config = {"version": 1, "mount_up": sim.truth["mount_up"], "mount_forward": sim.truth["mount_forward"], **cfg}
    vr = vrun.run_firmware(cap, tmp / f"{scenario}{seed}", config=config)
    assert vr.returncode == 0 and vr.session_files, vr.stdout[-2000:]
    return vr.session_files[-1], sim


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("runs")
    out = {}
    out["mixed"], out["mixed_sim"] = _run(d, "mixed", 1, 6)
    out["good"], _ = _run(d, "good_form", 2, 4)
    out["short"], _ = _run(d, "good_form", 3, 1)
    out["nocal"], _ = _run(d, "no_standing_start", 1, 3)
    out["standing"], _ = _run(d, "good_form", 4, 0.1)  # 6 s: calibration, no stride
    return out


@pytest.fixture(scope="module")
def mixed(runs):
    return analysis.analyse(analysis.load(runs["mixed"]), runs["mixed"])


@pytest.fixture(scope="module")
def good(runs):
    return analysis.analyse(analysis.load(runs["good"]), runs["good"])


# ---- analysis --------------------------------------------------------------------------------
def test_coach_replay_reproduces_the_buzzes_felt(mixed, good):
    felt = [(int(x["t_ms"]), str(x["reason"]), int(x["severity"])) for x in mixed.alerts]
    assert len(felt) >= 3 and {r for _, r, _ in felt} >= {"upright", "backward", "swivel"}
    assert [(int(t), r, int(s)) for t, r, s in mixed.replayed] == felt
    assert len(good.alerts) == 0 and good.replayed == []


def test_analysis_figures(mixed, good, runs):
    sim = runs["mixed_sim"]
    # the log's last record is the last stride: the run's closing stand (a few s) adds nothing
    last_stride_s = (sim.truth["strides"][-1]["t1_ms"] - sim.t_ms[0]) / 1000
    assert abs(mixed.duration_s - last_stride_s) < 3, (mixed.duration_s, last_stride_s)
    assert 0.85 < mixed.time_s["running"] / mixed.duration_s < 1.0
    assert 150 < mixed.stats["cadence"] < 200
    for r in ("upright", "backward", "swivel"):
        assert mixed.fault_s[r] > 10, r  # every simulated fault type was spent time in
        assert any(e.reason == r and e.buzzes for e in mixed.episodes)
    truth_s = {r: sum((e["t1_ms"] - e["t0_ms"]) / 1000 for e in sim.truth["episodes"] if e["reason"] == r)
               for r in ("backward", "swivel")}
    for r, t in truth_s.items():
        assert 0.6 * t < mixed.fault_s[r] < 1.3 * t, (r, mixed.fault_s[r], t)
    assert sum(good.fault_s.values()) < 0.03 * good.time_s["running"]
    assert mixed.calib["state"] == "ok" and mixed.cfg_source["lean_min_deg"] == "log"


def test_per_minute_splits_and_the_per_km_hook(mixed):
    rows = analysis.splits(mixed)
    assert len(rows) == int(np.ceil(mixed.duration_s / 60))
    assert sum(r["strides"] for r in rows) == len(mixed.strides)
    assert abs(sum(r["swivel_s"] for r in rows) - mixed.fault_s["swivel"]) < 0.01
    assert sum(r["buzzes"] for r in rows) == len(mixed.alerts)
    with pytest.raises(ValueError, match="distance"):
        analysis.splits(mixed, by="distance")
    # the hook: a log with cumulative distance per stride gives per-km rows
    s = mixed.strides
    dt = np.dtype(s.dtype.descr + [("distance_m", "f8")])
    withd = np.zeros(len(s), dt)
    for n in s.dtype.names:
        withd[n] = s[n]
    withd["distance_m"] = np.arange(len(s)) * 2.6  # ~2.6 m a stride
    mixed_d = analysis.Analysis(**{**mixed.__dict__, "strides": withd})
    rows = analysis.splits(mixed_d, by="distance")
    assert len(rows) == int(np.ceil(withd["distance_m"][-1] / 1000)) and rows[0]["end"] == 1000


def test_report_names_the_strides_roll_pelvic_roll_and_gives_the_hip_drop_of_each_stance(mixed):
    """Two measures, two names: the stride's side-to-side roll, peak to peak (both ways, both
    feet), and the hip drop in each foot's stance that coaches and the optional cue mean."""
    st = mixed.stats
    run = mixed.strides[mixed.running]
    assert st["roll"] == pytest.approx(float(np.median(run["roll_deg"])))
    for side in ("left", "right"):
        v = run[f"hip_drop_{side}_deg"]
        assert st[f"hip_drop_{side}"] == pytest.approx(float(np.median(v[np.isfinite(v)])))
        assert 0 < st[f"hip_drop_{side}"] < st["roll"]     # a stance's drop is a part of the roll
    text = rtext.render_text([mixed])
    line = next(x for x in text.splitlines() if "(typical, running)" in x)
    assert f"pelvic roll {st['roll']:.1f}°" in line
    assert f"hip drop L {st['hip_drop_left']:.1f}° R {st['hip_drop_right']:.1f}°" in line
    html = rhtml.render_html([mixed], pngs=collections.defaultdict(bytes))
    assert "pelvic roll (typical)" in html and f"L {st['hip_drop_left']:.1f}° R {st['hip_drop_right']:.1f}°" in html
    assert "hip drop (typical)" not in html and "hip drop, typical" not in text
    # a log with no running dynamics (walking only, an older format) says so, not 0
    none = analysis.Analysis(**{**mixed.__dict__, "stats": {**st, "hip_drop_left": None, "hip_drop_right": None}})
    assert "hip drop –" in rtext.render_text([none])


def test_report_and_monitor_show_a_buzz_at_the_same_second(mixed):
    from hinge.board import live
    from hinge.common import timefmt

    assert rtext.clock is timefmt.clock and live.mmss(111999) == "1:51"
    for t_ms, shown in ((0, "0:00"), (999, "0:00"), (59999, "0:59"), (60000, "1:00"), (111500, "1:51"),
                        (111999, "1:51"), (3599999, "59:59"), (3600000, "1:00:00"), (36061999, "10:01:01")):
        assert timefmt.clock_ms(t_ms) == shown == timefmt.clock(t_ms / 1000) == live.mmss(t_ms), t_ms
    assert timefmt.clock(0.1 * 3 * 200) == "1:00" and timefmt.clock(-5) == "0:00"
    # every buzz of a real run: the report's line and the monitor's line name the same second
    text = rtext.render_text([mixed])
    html = rhtml.render_html([mixed], pngs=collections.defaultdict(bytes))  # the tables, no figures
    for x in mixed.alerts:
        t = int(x["t_ms"])
        line = live.format_event(live.parse_line(f"H 2 {t} 1 1 300 400 0 0"), live.Limits())
        felt = line.split()[0]
        assert felt == timefmt.clock_ms(t)
        assert re.search(rf"^    +{re.escape(felt)}  ", text, re.M), (felt, t)
        assert f"<td>{felt}</td>" in html
    # 1:51.999 is 1:51 in both (the report rounded it to 1:52)
    a = analysis.Analysis(**{**mixed.__dict__, "alerts": mixed.alerts[:1].copy()})
    a.alerts["t_ms"] = 111999
    assert "    1:51  " in rtext.render_text([a])


def test_per_minute_running_share_never_passes_100(mixed):
    from hinge.logs import logdecode

    ev = devpath.import_device("events")
    # 3 min of running strides, one every 700 ms, each 1400 ms long: they overlap by half
    t = np.arange(1, 258) * 700 + 1400
    rows = [(int(x), 800, 1200, 857, 1400, ev.ACT_RUNNING | ev.FLAG_CALIBRATED, 600) for x in t]
    sess = logdecode.Session(mixed.session.header, logdecode._stride_array(rows), *logdecode._event_arrays([]))
    a = analysis.analyse(sess, "overlap")
    assert a.time_s["running"] == (t[-1] - (t[0] - 1400)) / 1000 <= a.duration_s
    split = analysis.splits(a)
    shares = [r["running_s"] / (r["end"] - r["start"]) for r in split]
    assert max(shares) <= 1.0 and shares[1] == 1.0, shares
    assert abs(sum(r["running_s"] for r in split) - a.time_s["running"]) < 1e-9
    pct = [int(m) for m in re.findall(r"^  \d+:\d\d-\d+:\d\d +(\d+)%", rtext.render_text([a]), re.M)]
    assert len(pct) == len(split) and max(pct) == 100
    # and on a real run, minute by minute
    for r in analysis.splits(mixed):
        assert r["running_s"] <= r["end"] - r["start"] + 1e-9


# ---- figures: rendered and inspected ------------------------------------------------------------
def _png_ok(png: bytes, min_w=700, min_h=400):
    img = Image.open(io.BytesIO(png))
    img.load()
    assert img.format == "PNG"
    w, h = img.size
    assert min_w <= w <= 3000 and min_h <= h <= 3000, img.size
    px = np.asarray(img.convert("RGB")).astype(int)
    assert px.std() > 20, "a blank image"
    ink = (px.sum(axis=2) < 600).mean()
    assert 0.03 < ink < 0.7, f"{ink:.3f} of the pixels are not near-white"
    return px


def _has_color(px, hexcolor, tol=12, min_px=30):
    rgb = np.array([int(hexcolor[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(px - rgb).max(axis=2) <= tol).sum()) >= min_px


def _check_readable(fig):
    """Every axes with data has a title and a y label (or named categories), an x label below it."""
    fig.canvas.draw()  # tick labels get their text
    data_axes = [ax for ax in fig.axes if ax.has_data()]
    assert data_axes
    for ax in data_axes:
        title = ax.get_title(loc="left") or ax.get_title()
        assert title, "an axes without a title"
        words = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        categories = bool(words) and all(re.search("[A-Za-z]", w) for w in words)
        assert ax.get_ylabel() or categories, f"{title!r}: no y label"
        xl = ax.get_xlabel()
        shared = ax.get_shared_x_axes().get_siblings(ax)
        assert xl or any(o.get_xlabel() for o in shared), f"{title!r}: no x label (nor on a shared axis)"
    return data_axes


def _legend_texts(fig) -> list:
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    return [t.get_text() for lg in legends for t in lg.get_texts()]


def _hlines(ax) -> set:
    return {round(float(ln.get_ydata()[0]), 3) for ln in ax.get_lines()
            if isinstance(ln, Line2D) and len(set(np.asarray(ln.get_ydata(), float))) == 1}


def test_overview_figure_is_readable(mixed):
    fig = figures.fig_timeline(mixed)
    axes = _check_readable(fig)
    assert re.match(r"S0001: [56]:\d\d recorded, \d:\d\d running", fig.get_suptitle())
    assert len(axes) == 5
    titles = [ax.get_title(loc="left") for ax in axes]
    assert titles[0] == "What happened" and titles[1].startswith("Lean") and titles[2].startswith("Rotation")
    assert titles[3] == "Cadence" and titles[4].startswith("Pelvic roll")
    assert all(ax.get_ylabel() for ax in axes[1:]) and "(°" in axes[1].get_ylabel()
    assert "min:s" in axes[-1].get_xlabel()
    for ax in axes:
        assert ax.get_legend() is not None and len(ax.get_legend().get_texts()) >= 3
    # the thresholds from the log header are drawn where they belong
    c = mixed.cfg
    assert {c["lean_min_deg"], c["lean_back_deg"]} <= _hlines(axes[1])
    assert c["swivel_max_deg"] in _hlines(axes[2]) and c["run_min_spm"] in _hlines(axes[3])
    legend = " ".join(t.get_text() for t in axes[1].get_legend().get_texts())
    assert "too upright below 4°" in legend and "buzz" in legend
    px = _png_ok(figures.png_bytes(fig), 1000, 1000)
    assert mixed.reasons == analysis.BASE_REASONS   # the optional cues were off: no rows for them
    for r in mixed.reasons:  # shaded fault stretches and bars rendered in their colours
        assert _has_color(px, figures.COLOR[r]), r
    _check_readable(figures.fig_distributions(mixed))


def test_report_panels_are_readable(mixed):
    """The HTML's phone-sized panels: each titled, labelled, with a legend, a real image."""
    figs = figures.figures([mixed])
    assert tuple(figs) == figures.SESSION_PANELS
    c = mixed.cfg
    for key, fig in figs.items():
        _check_readable(fig)
        assert fig.get_size_inches()[0] <= 6, "too wide to read on a phone"
        if key != "fault_time":
            assert len(_legend_texts(fig)) >= 2, key
        px = _png_ok(figures.png_bytes(fig), 600, 350)
        if key in ("events", "lean", "rotation"):
            assert _has_color(px, figures.COLOR["swivel" if key == "rotation" else "upright"]), key
    assert {c["lean_min_deg"], c["lean_back_deg"]} <= _hlines(figs["lean"].axes[0])
    assert c["swivel_max_deg"] in _hlines(figs["rotation"].axes[0])
    vlines = {round(float(ln.get_xdata()[0]), 3) for ln in figs["lean_hist"].axes[0].get_lines()}
    assert {c["lean_min_deg"], c["lean_back_deg"]} <= vlines
    assert "leaning back below -2°" in _legend_texts(figs["lean"])
    assert any(re.match(r"^\s*\d+:\d\d", t.get_text()) for t in figs["fault_time"].axes[0].texts)


def test_comparison_figures_are_readable(mixed, good):
    both = [analysis.analyse(mixed.session, mixed.path), analysis.analyse(good.session, good.path)]
    figs = figures.figures(both)
    assert len(figs) == len(figures.COMPARE_PANELS) + 2 * len(figures.SESSION_PANELS)
    assert both[0].name != both[1].name, "two sessions numbered S0001 must stay apart"
    for k in figures.COMPARE_PANELS:
        fig = figs[f"compare.{k}"]
        _check_readable(fig)
        labels = _legend_texts(fig)
        assert sum(1 for t in labels if t in (both[0].name, both[1].name)) == 2, labels
        px = _png_ok(figures.png_bytes(fig), 600, 350)
        assert _has_color(px, figures.SESSION_COLORS[0]) and _has_color(px, figures.SESSION_COLORS[1]), k
    for fig in figures.overview_figures(both).values():
        _check_readable(fig)


# ---- HTML ------------------------------------------------------------------------------------
def _images(html: str) -> list:
    srcs = re.findall(r'<img [^>]*src="([^"]+)"', html)
    assert srcs
    out = []
    for src in srcs:
        assert src.startswith("data:image/png;base64,")
        out.append(base64.b64decode(src.split(",", 1)[1], validate=True))
    return out


def _self_contained(html: str):
    assert html.startswith("<!DOCTYPE html>") and "</html>" in html
    assert 'name=\'viewport\'' in html or 'name="viewport"' in html
    low = html.lower()
    assert "http://" not in low and "https://" not in low and "//cdn" not in low
    assert "<script" not in low and "<link" not in low and "url(" not in low and "@import" not in low
    assert len(re.findall(r"<img ", html)) == len(re.findall(r'src="data:image/png;base64,', html))


def test_html_report(runs, tmp_path, capsys):
    out = tmp_path / "run.html"
    assert run_cli("report", runs["mixed"], "--html", out) == 0
    assert "self-contained" in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    _self_contained(html)
    pngs = _images(html)
    assert len(pngs) == len(figures.SESSION_PANELS)
    for png in pngs:
        _png_ok(png, 600, 350)
    for heading in ("In short", "Your run over time", "Time in each fault", "Buzzes", "Minute by minute",
                    "Thresholds used", "Calibration and data quality"):
        assert f"<h2>{heading}</h2>" in html, heading
    assert "too upright" in html and "how far your pelvis tilts forward from your standing pose" in html
    assert "Calibrated at" in html and "every checksum good" in html
    assert len(re.findall(r"<tr><td>\d+:\d\d–\d+:\d\d</td>", html)) == 6  # six minutes


def test_two_session_report(runs, tmp_path, capsys):
    out = tmp_path / "cmp.html"
    assert run_cli("report", runs["mixed"], runs["good"], "--html", out, "--png", tmp_path / "png") == 0
    html = out.read_text(encoding="utf-8")
    _self_contained(html)
    pngs = _images(html)
    assert len(pngs) == len(figures.COMPARE_PANELS) + 2 * len(figures.SESSION_PANELS)
    for png in pngs:
        _png_ok(png, 600, 350)
    assert "Side by side" in html and "<th>change</th>" in html
    assert html.count("<details open>") == 2
    saved = sorted(p.name for p in (tmp_path / "png").glob("*.png"))
    assert len(saved) == 6 and all(re.fullmatch(r"[\w.-]+\.png", n) for n in saved)
    assert run_cli("report", runs["mixed"], runs["good"]) == 0
    text = capsys.readouterr().out
    assert "Sessions compared" in text and text.count("Time in each fault") == 2


def test_terminal_summary(runs, capsys):
    assert run_cli("report", runs["mixed"]) == 0
    out = capsys.readouterr().out
    for part in ("recorded", "cadence", "Time in each fault", "Too upright", "Leaning back", "Swivel", "Buzzes:",
                 "(per minute)", "Calibration: Calibrated at"):
        assert part in out, part
    assert len(re.findall(r"^  \d+:\d\d-\d+:\d\d ", out, re.M)) == 6


def test_cfg_overrides_recompute_faults(runs, mixed, capsys):
    a = analysis.analyse(mixed.session, mixed.path, parse_pairs(["lean_min_deg=9", "swivel_max_deg=40"], "--cfg"))
    assert a.cfg["lean_min_deg"] == 9 and a.cfg_source["lean_min_deg"] == "--cfg"
    assert a.fault_s["upright"] > mixed.fault_s["upright"] + 30 and a.fault_s["swivel"] == 0
    assert len(a.alerts) == len(mixed.alerts)  # what was felt stays what was felt
    assert any("--cfg" in t for _, t in words.highlights(a))
    fig = figures.fig_timeline(a)
    assert any(abs(float(ln.get_ydata()[0]) - 9) < 1e-9 for ln in fig.axes[1].get_lines()
               if len(set(np.asarray(ln.get_ydata(), float))) == 1)
    assert run_cli("report", runs["mixed"], "--cfg", "lean_min_deg=99") == 2
    assert "out of range" in one_error_line(capsys)
    assert run_cli("report", runs["mixed"], "--cfg", "nonsense") == 2
    assert "KEY=VALUE" in one_error_line(capsys)


def test_a_session_without_strides_still_reports(runs, tmp_path):
    import warnings

    a = analysis.analyse(analysis.load(runs["standing"]), runs["standing"])
    assert len(a.strides) == 0 and a.calib["state"] == "ok"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        html = rhtml.render_html([a])
        text = rtext.render_text([a])
    _self_contained(html)
    assert "No running strides" in html and "No running strides" in text


# ---- bad input -------------------------------------------------------------------------------
def test_corrupted_log_reports_what_is_intact(runs, tmp_path, capsys):
    data = bytearray(Path(runs["mixed"]).read_bytes())
    mid = len(data) // 2
    data[mid:mid + 40] = b"\xff" * 40  # a damaged stretch of flash
    bad = tmp_path / "S0001.hlg"
    bad.write_bytes(bytes(data[:-7]))  # and a torn tail
    out = tmp_path / "bad.html"
    assert run_cli("report", bad, "--html", out) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "damaged" in err
    html = out.read_text(encoding="utf-8")
    assert "Log problems" in html and "torn tail" in html
    a = analysis.analyse(analysis.load(bad), bad)
    assert 0 < len(a.strides) < len(analysis.load(runs["mixed"]).strides)


@pytest.mark.parametrize("case, expect", [
    ("missing", "no such file"),
    ("text", "not a Hinge log"),
    ("empty", "nothing intact"),
    ("header_cut", "nothing intact"),
    ("header_only", "no records yet: the session ended before the first stride"),
    ("every_block_corrupt", "every block is corrupt ({n} blocks fail their CRC): the file is damaged; pull it again"),
    ("every_block_corrupt_torn", "every block is corrupt ({n} blocks fail their CRC): the file is damaged; pull it"),
    ("raw", "raw capture"),
    ("folder", "is a folder"),
])
def test_bad_input_is_one_line(runs, tmp_path, capsys, case, expect):
    from hinge.logs import logdecode

    p = tmp_path / "S0009.hlg"
    data = Path(runs["mixed"]).read_bytes()
    hlen = logdecode._header(data, logdecode.fmt.MAGIC_SESSION, "", [])[1]
    blocks = [off for _s, off, _t, _f, _p in logdecode._walk(data, hlen, [])]
    if case.startswith("every_block_corrupt"):
        bad = bytearray(data)
        for off in blocks:
            bad[off + 12] ^= 0x5A  # a payload byte: the CRC fails
        if case.endswith("torn"):
            bad[blocks[0]] = 0xFF  # the first block's sync gone too, and the last block cut short
            bad = bad[:-9]
        n = len(blocks) - (2 if case.endswith("torn") else 0)  # those two no longer look like blocks
        expect = expect.format(n=n)
        p.write_bytes(bytes(bad))
    if case == "text":
        p.write_text("t_ms,ax_g\n1,2\n")
    elif case == "empty":
        p.write_bytes(b"")
    elif case == "header_cut":
        p.write_bytes(Path(runs["mixed"]).read_bytes()[:40])
    elif case == "header_only":  # what a restart leaves: the header, then nothing
        p.write_bytes(data[:hlen])
    elif case == "raw":
        p.write_bytes(b"HNGR" + Path(runs["mixed"]).read_bytes()[4:])
    elif case == "folder":
        p.mkdir()
    assert run_cli("report", p) == 2
    line = one_error_line(capsys)
    assert line.startswith("hinge report: ") and expect in line, line
    assert "torn tail" not in line


def test_huge_and_odd_numbers_are_one_line_without_warnings(runs, capsys):
    import warnings

    config = devpath.import_device("config")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy RuntimeWarning (overflow) would fail here
        for k in analysis.THRESHOLD_KEYS:
            if config.SCHEMA[k][1] in ("f", "i"):
                for v in ("1e308", "-1e308", "1e999", "1" + "0" * 400, "1_0", "\uff11\uff10"):
                    assert run_cli("report", runs["good"], "--cfg", f"{k}={v}") == 2, (k, v)
                    line = one_error_line(capsys)
                    assert ("out of range" in line or "not a number" in line) and len(line) < 200, line
        for flag in ("--lean-margin", "--swivel-margin"):
            for v, why in (("1e308", "out of range 0..10 deg"), ("-1", "out of range"), ("nan", "not a number"),
                           ("1_0", "not a number"), ("inf", "not a number")):
                assert run_cli("baseline", runs["good"], f"{flag}={v}") == 2, (flag, v)
                assert why in one_error_line(capsys)
        assert run_cli("baseline", runs["good"], "--lean-margin=1.5") == 0
        capsys.readouterr()


# ---- baseline --------------------------------------------------------------------------------
def test_baseline_on_a_good_form_run(good, runs, capsys):
    sug = baseline.suggest(good.session)
    st = good.stats
    assert sug.values["lean_min_deg"] < st["lean_p10"] < st["lean"]
    assert sug.values["swivel_max_deg"] > st["rotation_p90"] > st["rotation"]
    assert sug.values["lean_min_deg"] > good.cfg["lean_min_deg"]  # tighter than the default for this runner
    assert sug.values["lean_min_deg"] % 0.5 == 0 and sug.values["swivel_max_deg"] % 0.5 == 0
    assert sug.check["buzzes"] == 0 and not sug.doubtful
    assert run_cli("baseline", runs["good"]) == 0
    out = capsys.readouterr().out
    assert "10th-percentile" in out and "90th-percentile" in out and "--apply" in out
    # the optional cues' limits from the same run: p90 of the measure plus its hysteresis, rounded
    # up to 0.5 deg (both feet's stances for hip drop); with those cues on, this good run shows
    # next to no fault time against them
    run = good.strides[good.running & good.strides["calibrated"]]
    drops = np.concatenate([run["hip_drop_left_deg"], run["hip_drop_right_deg"]]).astype(float)
    tilt = run["tilt_swing_deg"].astype(float)
    for key, v in (("hip_drop_max_deg", drops), ("tilt_swing_max_deg", tilt)):
        p90 = float(np.percentile(v[np.isfinite(v)], 90))
        hyst = good.cfg[key.replace("_max_", "_hyst_")]
        assert sug.values[key] == pytest.approx(np.ceil((p90 + hyst) / 0.5 - 1e-9) * 0.5), key
        assert sug.values[key] < good.cfg[key]          # this runner's own limit, inside the default
        assert f"{key} = {sug.values[key]:g}" in out
    assert sug.check["hip_drop_s"] < 0.05 * good.time_s["running"]
    assert sug.check["tilt_swing_s"] < 0.05 * good.time_s["running"]
    assert "with the optional cues on" in out


def test_baseline_refusals(runs, mixed, capsys):
    assert run_cli("baseline", runs["short"]) == 2
    assert "too few running strides" in one_error_line(capsys)
    assert run_cli("baseline", runs["nocal"]) == 2
    assert "no standing calibration" in one_error_line(capsys)
    sug = baseline.suggest(mixed.session)
    assert sug.doubtful and any("buzzed" in n for n in sug.notes)
    assert run_cli("--port", "/nonexistent", "baseline", runs["mixed"], "--apply") == 2
    assert "not applied" in capsys.readouterr().err


@pytest.fixture
def board(tmp_path):
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "config.json").write_text(json.dumps({"version": 1, "motor_duty": 60, "lean_min_deg": 3.0}))
    vb = VirtualBoard(tmp_path / "ttyHINGE", flash).start(timeout=15)
    yield vb, flash
    vb.stop()
    deadline = time.monotonic() + 5
    while vb._proc and vb._proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)


def test_baseline_apply_writes_the_boards_config(board, good, runs, capsys):
    vb, flash = board
    sug = baseline.suggest(good.session)
    assert run_cli("--port", vb.link_path, "baseline", runs["good"], "--apply") == 0
    assert "Written to the board" in capsys.readouterr().out
    stored = json.loads((flash / "config.json").read_text())
    assert stored["lean_min_deg"] == sug.values["lean_min_deg"]
    assert stored["swivel_max_deg"] == sug.values["swivel_max_deg"]
    assert stored["hip_drop_max_deg"] == sug.values["hip_drop_max_deg"]      # the optional cues' limits,
    assert stored["tilt_swing_max_deg"] == sug.values["tilt_swing_max_deg"]  # the cues left as they were
    assert "coach_hip_drop" not in stored and "coach_tilt" not in stored
    assert stored["motor_duty"] == 60 and stored["version"] == 1  # the rest is kept
    store = devpath.import_device("configstore")
    cfg, status = store.load(str(flash))
    assert status == "ok" and cfg["lean_min_deg"] == sug.values["lean_min_deg"]


def test_commands_are_registered():
    table = cli.all_commands()
    assert {"logs", "report", "baseline"} <= set(table)
    helps = cli.build_parser(table).format_help()
    assert "report" in helps and "baseline" in helps


if sys.platform != "linux":  # the virtual board needs ptys
    test_baseline_apply_writes_the_boards_config = pytest.mark.skip("ptys")(test_baseline_apply_writes_the_boards_config)
