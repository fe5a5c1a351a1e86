"""python -m twinnet bench: a tiny configuration end to end, and the pieces it
is made of.  Nothing here asserts a timing: the figures are the benchmark's,
not the tests'."""

import json

import numpy as np
import pytest
from conftest import run_cli

from twinnet import fixtures
from twinnet.maintain import bench, bench_machine, bench_page


@pytest.mark.needs_r
def test_quick_bench_writes_the_json_the_plot_and_a_table(tmp_path):
    run = run_cli("bench", "--quick", "--out-dir", tmp_path)
    assert run.code == 0, run.err
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
    assert "| case | n×d, h | epochs |" in run.out and "Targets (fast paths):" in run.out


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


def row(case, n, python_us, r_us, floor_us=1.0, variant="article"):
    return {"case": case, "variant": variant, "n": n, "d": 32, "h": 64, "epochs": 10,
            "python_us_per_epoch": python_us, "r_us_per_epoch": r_us, "r_over_python": round(r_us / python_us, 3),
            "python_ns_per_sample_epoch": python_us * 1000 / n, "r_ns_per_sample_epoch": r_us * 1000 / n,
            "python_peak_mb": 200.0, "r_peak_mb": 500.0, "floor_us_per_epoch": floor_us,
            "python_over_floor": round(python_us / floor_us, 3)}


def test_targets_say_which_are_met_and_by_how_much_the_others_miss():
    rows = [row("article/fast", 3, 12.0, 24.0), row("synthetic-1e3/fast", 1_000, 300.0, 400.0),
            row("synthetic-1e4/fast", 10_000, 3_000.0, 4_000.0, floor_us=2_500.0),
            row("synthetic-1e5/fast", 100_000, 70_000.0, 80_000.0, floor_us=20_000.0),
            row("synthetic-1e5/reference", 100_000, 1, 9),
            row("layered-xor/reference", 4, 30.0, 240.0, variant="layered"),
            row("layered-xor/fast", 4, 12.0, 40.0, variant="layered")]
    details = [{"case": "synthetic-1e5/fast", "fast_arrays_mb": 100.0, "python_baseline_mb": 30.0,
                "r_baseline_mb": 50.0}]
    pytorch = {"rows": [{"n": 1_000, "us_per_epoch": 250.0}, {"n": 10_000, "us_per_epoch": 3_500.0}]}
    checks = {check["target"]: check for check in bench_page.targets(rows, details, pytorch)}
    assert checks["article fixture: Python µs/epoch ≤ 15"]["met"]
    assert checks["article: R/Python ≤ 1.5"]["miss"] == "1.33x the limit"
    assert checks["synthetic-1e3: R/Python ≤ 1.5"]["met"] and checks["synthetic-1e5: R/Python ≤ 1.5"]["met"]
    assert "n=1000: Python / floor ≤ 1.5" not in checks  # the floor target starts at n = 1e4
    assert checks["n=10000: Python / floor ≤ 1.5"]["met"]
    assert checks["n=100000: Python / floor ≤ 1.5"]["miss"] == "2.33x the limit"
    assert checks["n=1000: Python / PyTorch < 1"]["miss"] == "1.20x the limit"
    assert checks["n=10000: Python / PyTorch < 1"]["met"]
    assert checks["layered-xor: python reference / fast ≥ 3"]["miss"] == "1.20x short"
    assert checks["layered-xor: r reference / fast ≥ 3"]["met"]
    memory = [check for target, check in checks.items() if "peak memory" in target]
    assert [(check["measured"], check["met"]) for check in memory] == [(1.7, False), (4.5, False)]
    assert all("reference" not in target.split(":")[0] for target in checks)  # the targets apply to the fast paths


def test_the_floor_counts_the_flops_the_data_and_the_exps():
    rates = {"gemm_gflops": 100.0, "copy_gb_s": 40.0, "exp_ns": 2.0}
    n, d, h = 1_000, 32, 64
    expected = (4 * n * d * h + 6 * n * h) / 100e9 + 2 * 8 * n * d / 40e9 + n * h * 2e-9
    assert bench_machine.floor_seconds(n, d, h, rates) == pytest.approx(expected)


def test_synthetic_layered_case_is_a_two_layer_network():
    case = bench.synthetic_layered_case(50)
    assert (case["case"], case["variant"], case["activations"]) == ("synthetic-layered-5e1", "layered",
                                                                   ["tanh", "sigmoid"])
    assert case["params"]["W1"].shape == (64, 32) and case["params"]["W2"].shape == (1, 64)


def test_the_fast_path_is_compared_with_the_plain_numpy_loop():
    rows = [{**row("synthetic-1e3/reference", 1_000, 500.0, 900.0), "fast_over_plain": None},
            {**row("synthetic-1e3/fast", 1_000, 400.0, 600.0), "fast_over_plain": 0.8},
            {**row("synthetic-1e4/fast", 10_000, 4_000.0, 6_000.0), "fast_over_plain": 0.95}]
    checks = {check["target"]: check for check in bench_page.targets(rows, [])}
    assert checks["synthetic-1e3: Python fast / plain numpy loop ≤ 0.9"]["met"]
    assert checks["synthetic-1e4: Python fast / plain numpy loop ≤ 0.9"]["miss"] == "1.06x the limit"
    assert "| Python fast/plain |" in bench_page.table(rows).splitlines()[0]
    assert bench_page.table(rows).splitlines()[3].endswith("| 0.80 |")


def document():
    machine = {"cpu": "AMD EPYC", "avx512": False, "cpu_family_model": "25/1", "cpu_simd": ["avx2"], "cores": 2,
               "memory_gib": 8.0, "os": "Debian", "python": "3.11", "numpy": "2.0", "numpy_blas": "openblas",
               "numpy_blas_threads": 2, "r": "R 4.2.2", "r_blas": "libblas (openblas)", "r_blas_runtime": None}
    rows = [{**row("synthetic-1e3/fast", 1_000, 400.0, 600.0), "fast_over_plain": 0.8}]
    return {"machine": machine, "rows": rows, "targets": bench_page.targets(rows, [])}


def test_the_page_region_is_rewritten_and_nothing_else(tmp_path):
    page = tmp_path / "benchmark.md"
    start, end = bench_page.PAGE_START, bench_page.PAGE_END
    page.write_text(f"# Benchmark\n\nintro\n\n{start}\nold\n{end}\n\noutro\n")
    bench_page.write_page(document(), page)
    text = page.read_text()
    assert text.startswith("# Benchmark\n\nintro\n\n<!-- bench:table:start -->\n") and text.endswith(
        "<!-- bench:table:end -->\n\noutro\n")
    assert "old" not in text and "AMD EPYC" in text and "no AVX-512" in text and "| synthetic-1e3/fast |" in text
    assert [path.name for path in tmp_path.iterdir()] == ["benchmark.md"]  # no temporary file left
    missing = tmp_path / "new.md"
    bench_page.write_page(document(), missing)
    assert missing.read_text().startswith("# Benchmark\n\n<!-- bench:table:start -->\nMeasured by `make bench`")


def test_bench_out_refuses_a_symlink_to_a_fixture_and_leaves_it_alone(tmp_path):
    fixture = tmp_path / "article.json"
    fixture.write_bytes(fixtures.example("article").read_bytes())
    before = fixture.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    (out / "bench.json").symlink_to(fixture)
    result = run_cli("bench", "--quick", "--out-dir", str(out))
    assert result.code == 2 and result.err.count("\n") == 1
    assert f"{out / 'bench.json'}: refusing to overwrite a fixture" in result.err and "E_OUTPUT" in result.err
    assert fixture.read_bytes() == before and (out / "bench.json").is_symlink()


def test_bench_page_refuses_a_device(tmp_path):
    result = run_cli("bench", "--quick", "--out-dir", str(tmp_path), "--page", "/dev/full")
    assert result.code == 2 and "E_OUTPUT" in result.err
    assert "/dev/full: refusing to replace something that is not a regular file" in result.err
    assert list(tmp_path.iterdir()) == []
