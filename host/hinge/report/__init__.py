"""The runner's report of one or more session logs (``hinge report``), read from :mod:`hinge.logs.analysis`.

What is in it: duration, strides, cadence; lean, rotation (swivel), cadence and hip drop over
time with the thresholds drawn in and the stretches the coach counted as a fault shaded; the
buzzes on the timeline; time spent in each fault; a per-minute table (per-km once the log
carries distance); the thresholds used and where they came from; calibration status and any
log problems, in plain language.

``words`` (labels, explanations, findings), ``figures`` (matplotlib, Agg, no pyplot state),
``dynamics`` (running dynamics and form drift in words), ``driftchart`` (the drift chart),
``html`` (one self-contained file: PNG figures as base64, ``report.css`` inline, no scripts, no
external links, phone first) and ``text`` (terminal). Python API::

    from hinge.logs import analysis
    from hinge.report import figures, html, text
    a = analysis.analyse(analysis.load("S0003.hlg"), "S0003.hlg")
    figs = figures.figures([a])          # {"timeline": Figure, "distributions": Figure, ...}
    page = html.render_html([a])         # str
    print(text.render_text([a]))
"""
