"""The waist-IMU simulator's parts; the public API is :mod:`hinge.sim.simulate`.

``scenarios`` (runner profiles and plans), ``body`` (gait, pelvis orientation, world specific
force), ``sensor`` (IMU clock, lever arm, errors, board timing), ``truth`` (per-stride truth),
``engine`` (one run, synthesised chunk by chunk), ``geometry`` and ``noise`` (helpers).
"""
