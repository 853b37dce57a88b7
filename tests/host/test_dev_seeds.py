"""hinge.dev.seeds: other runs of our own world, scored on every target."""
from hinge.dev import seeds


def test_a_run_is_scored_on_accuracy_and_dynamics_targets(capsys):
    r = seeds.run_misses("rate_100", 2)
    assert r["scenario"] == "rate_100" and r["seed"] == 2
    assert isinstance(r["accuracy"], list) and isinstance(r["dynamics"], list)
    assert seeds.line(r).startswith("seed 2 rate_100")
    # a miss names its figure and target
    fake = {"scenario": "x", "seed": 3, "accuracy": ["cadence p90: per-stride |err| 3.4 > 3.0 spm"],
            "dynamics": ["gct_left_ms: |err| 40 > 15 ms (bias +40.0)"]}
    assert "cadence p90" in seeds.line(fake) and "gct_left_ms" in seeds.line(fake)
    assert seeds.main(["2", "--scenarios", "rate_100"]) == 0
    out = capsys.readouterr().out
    assert "seed 2 rate_100" in out and "of 1 runs miss a target" in out


def test_bad_arguments_are_one_line_errors(capsys):
    assert seeds.main(["two"]) == 2
    assert seeds.main(["2", "--scenarios", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "whole numbers" in err[0] and "unknown scenario 'nope'" in err[1]


def test_bench_row_counts_the_runs_that_meet_every_target(capsys, monkeypatch):
    """`make bench`'s row for other seeds: a count over every run, and each miss named. One run
    made to miss (a fake score) shows up in both the row and the lines."""
    import json

    from hinge.dev import bench

    real = seeds.run_misses

    def scored(name, seed):
        r = real(name, seed)
        if name == "rate_200":
            r = dict(r, accuracy=r["accuracy"] + ["cadence p90: per-stride |err| 3.4 > 3.0 spm"])
        return r

    monkeypatch.setattr(seeds, "run_misses", scored)
    text = bench.bench_other_seeds(seeds=(2,), names=("rate_100", "rate_200"), jobs=1)
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert row["world"] == "simulator_other_seeds" and row["seeds"] == [2] and row["runs"] == 2
    assert row["meet_every_target"] + len(row["missed"]) == 2
    assert any(m.startswith("seed 2 rate_200") and "cadence p90" in m for m in row["missed"])
    assert row["missed_accuracy"] >= 1
    lines = text.splitlines()
    assert lines[0] == f"{row['meet_every_target']} of 2 runs meet every target"
    assert lines[1:] == row["missed"]
