"""Hinge meets the runner's watch: read FIT/GPX activities, line them up with a session log,
per-km splits and form against grade, heart rate and distance, Hinge's running dynamics
against the watch's own, and FIT/CSV export.

    activity.py   the common per-second series (:class:`activity.Activity`)
    fitread.py    FIT activities (Garmin's official ``garmin-fit-sdk`` decoder)
    gpxread.py    GPX tracks (``gpxpy``)
    readfile.py   a watch file by its content (FIT or GPX)
    align.py      wall clock, then cadence cross-correlation: offset, clock rate, confidence
    splits.py     per-km / per-mile splits with pace, form and faults
    grade.py      climbs, flats and descents from smoothed altitude; form against grade, HR, distance
    watchreport.py  the report's watch section (tables, elevation profile, running dynamics
                  against the watch's own) and its hook
    fitexport.py  Hinge's strides as FIT developer fields and its running dynamics in the native
                  ones (``fit-tool`` encoder), alone or merged
    synth.py      watch files (FIT, GPX) from the simulator's runs, for tests and the demo
"""
