"""python -m twinnet bench: a tiny configuration end to end, and the pieces it
is made of.  Nothing here asserts a timing: the figures are the benchmark's,
not the tests'."""

import json
import subprocess
import sys

import numpy as np
from conftest import ROOT

from twinnet.maintain import bench


def test_quick_bench_writes_the_json_the_plot_and_a_table(tmp_path):
    run = subprocess.run([sys.executable, "-m", "twinnet", "bench", "--quick", "--out-dir", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    document = json.loads((tmp_path / "bench.json").read_text())
    assert {"machine", "rows"} <= set(document)
    assert document["rows"], "no rows"
    for row in document["rows"]:
        assert tuple(row) == bench.ROW_KEYS, row
    cases = [row["case"] for row in document["rows"]]
    assert cases == ["article/reference", "article/fast", "synthetic-1e2/reference", "synthetic-1e2/fast"]
    for row in document["rows"]:
        assert row["epochs"] >= 1 and row["python_us_per_epoch"] > 0 and row["r_us_per_epoch"] > 0
        assert abs(row["r_over_python"] - row["r_us_per_epoch"] / row["python_us_per_epoch"]) < 0.01
        assert row["python_peak_mb"] > 0 and row["r_peak_mb"] > 0
    machine = document["machine"]
    for key in ("cpu", "cores", "numpy_blas", "numpy_blas_threads", "r", "r_blas", "environment"):
        assert key in machine, key
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| case | n×d, h | epochs |" in run.stdout and "Targets (fast paths):" in run.stdout


def test_spec_files_hold_each_matrix_in_both_layouts(tmp_path):
    case = bench.synthetic_case(5, d=3, h=2)
    spec = json.loads(bench.write_spec(case, "fast", tmp_path, 7, 0.0, 1).read_text())
    assert (spec["variant"], spec["implementation"], spec["epochs"]) == ("article", "fast", 7)
    X = spec["X"]
    assert (X["rows"], X["cols"]) == (5, 3)
    assert np.array_equal(np.fromfile(X["python"], dtype="<f8").reshape(5, 3), case["X"])
    assert np.array_equal(np.fromfile(X["r"], dtype="<f8").reshape(3, 5).T, case["X"])  # column-major
    assert list(spec["params"]) == ["wh", "bh", "wout", "bout"]


def test_synthetic_cases_are_seeded_and_shaped():
    a, b = bench.synthetic_case(100), bench.synthetic_case(100)
    assert a["case"] == "synthetic-1e2" and bench.synthetic_case(100_000, d=1, h=1)["case"] == "synthetic-1e5"
    assert np.array_equal(a["X"], b["X"]) and a["X"].shape == (100, 32) and a["params"]["wh"].shape == (32, 64)
    assert set(np.unique(a["y"])) <= {0.0, 1.0}


def row(case, n, python_us, r_us):
    return {"case": case, "variant": "article", "n": n, "d": 32, "h": 64, "epochs": 10,
            "python_us_per_epoch": python_us, "r_us_per_epoch": r_us, "r_over_python": round(r_us / python_us, 3),
            "python_ns_per_sample_epoch": python_us * 1000 / n, "r_ns_per_sample_epoch": r_us * 1000 / n,
            "python_peak_mb": 200.0, "r_peak_mb": 500.0}


def test_targets_say_which_are_met_and_by_how_much_the_others_miss():
    rows = [row("article/fast", 3, 12.0, 24.0), row("synthetic-1e3/fast", 1_000, 300.0, 400.0),
            row("synthetic-1e5/fast", 100_000, 70_000.0, 80_000.0), row("synthetic-1e5/reference", 100_000, 1, 9)]
    details = [{"case": "synthetic-1e5/fast", "loop_arrays_mb": 100.0, "python_baseline_mb": 30.0,
                "r_baseline_mb": 50.0}]
    checks = {check["target"]: check for check in bench.targets(rows, details)}
    assert checks["article fixture: Python µs/epoch ≤ 15"]["met"]
    assert checks["article fixture: R/Python ≤ 1.5"]["miss"] == "1.33x the limit"
    assert checks["n=1000: R/Python ≤ 1.5"]["met"] and checks["n=100000: R/Python ≤ 1.5"]["met"]
    scaling = checks["python: ns per sample-epoch, max/min over n=1e3..1e5 ≤ 2"]
    assert (scaling["measured"], scaling["met"], scaling["miss"]) == (2.333, False, "1.17x the limit")
    assert checks["r: ns per sample-epoch, max/min over n=1e3..1e5 ≤ 2"]["met"]  # 800 / 400 = 2
    memory = [check for target, check in checks.items() if "peak memory" in target]
    assert [(check["measured"], check["met"]) for check in memory] == [(1.7, True), (4.5, False)]
    assert all("reference" not in target for target in checks)  # the targets apply to the fast paths
