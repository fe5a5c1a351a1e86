"""``python -m twinnet bench``: how fast each twin trains, in both languages.

Every measurement runs in a process of its own, so that its peak memory is its
own: a Python worker (``python -m twinnet.maintain.bench SPEC RESULT``, the
:func:`worker` below) and an R worker (``Rscript r/inst/maintain/bench.R SPEC
RESULT``).  The data travel to them as raw little-endian float64 files in a
temporary directory, row-major for Python and column-major for R, so each
reads its own layout without a copy; reading them is the "conversion", timed
and reported apart from the training, as is each language's start-up.

A worker times the variant's training function (the epochs, then one forward
pass for the output) with the language's own clock: ``time.perf_counter`` in
Python, ``proc.time()`` inside R.  It calibrates the number of epochs (at
least ``min_epochs``, 5, so that the one forward pass stays under a tenth of
a run) so one run lasts at least ``min_seconds``, runs once more to warm up, then
``repeats`` times; the row reports the median.  Both languages of a row train
the same number of epochs.

Cases: every shipped fixture, synthetic article-variant data with n in
{1e2, 1e3, 1e4, 1e5}, d = 32, h = 64, and a synthetic Layer-class network
(d = 32, 64 tanh units, 1 sigmoid, n = 1e4); each timed with the readable
reference twin and with its fast path (``fast.py`` / ``fast.R``).

The floor: at start the orchestrator measures this machine's GEMM rate, copy
bandwidth and numpy ``exp`` throughput (:func:`machine_rates`), and each row
gets the time the article network's epoch cannot beat on this machine
(:func:`floor_seconds`): 4·n·d·h + 6·n·h flops at the GEMM rate, X read twice
at the copy bandwidth, one ``exp`` per hidden element.  With
``TWINNET_TORCH_PYTHON`` set to a Python that has torch (a throwaway virtual
environment, never a dependency), the same loop in PyTorch is timed too
(``torch_loop.py``).  The result is ``out/bench.json`` (see
:data:`ROW_KEYS`), ``out/bench.png`` and a table on stdout.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .. import fixtures, rbridge, resources, results, safejson, training
from .bench_machine import floor_seconds, machine, machine_rates, pytorch_rows, startup_seconds
from .bench_page import SYNTHETIC_D, SYNTHETIC_H, _figure, plot, targets, write_page

ROW_KEYS = ("case", "variant", "n", "d", "h", "epochs", "python_us_per_epoch", "r_us_per_epoch", "r_over_python",
            "python_ns_per_sample_epoch", "r_ns_per_sample_epoch", "python_peak_mb", "r_peak_mb",
            "floor_us_per_epoch", "python_over_floor", "fast_over_plain")
"""A row's keys; ``fast_over_plain`` is, on a fast row, Python's fast path
over the plain numpy loop (the reference twin, e.g. ``article.train``) on the
same case, and None on a reference row."""
IMPLEMENTATIONS = ("reference", "fast")
SYNTHETIC_SIZES = (100, 1_000, 10_000, 100_000)
SEED = 20170502
MIB = 1024 * 1024

LAYERED_SIZE, LAYERED_NEURONS, LAYERED_ACTIVATIONS = 10_000, (64, 1), ("tanh", "sigmoid")

class Settings:
    """How long and how often to measure."""

    def __init__(self, quick: bool = False) -> None:
        self.quick = quick
        self.min_seconds = 0.01 if quick else 0.3
        # a run is the epochs, then one forward pass for the output (up to half an epoch's time at n = 1e5,
        # where exp is most of both); from 5 epochs on that pass is under a tenth of a run
        self.min_epochs = 1 if quick else 5
        self.repeats = 1 if quick else 3
        # rounds of (Python, R): the machine's speed drifts over minutes (seen here: 2x within ten), and
        # alternating the languages makes both see the same drift
        self.rounds = 1 if quick else 2
        self.startup_repeats = 1 if quick else 3
        self.sizes = SYNTHETIC_SIZES[:1] if quick else SYNTHETIC_SIZES


# The cases --------------------------------------------------------------------------------

def fixture_case(path: str | Path) -> dict[str, Any]:
    """A shipped fixture as a case: its data, initial parameters and hyperparameters."""
    fixture = fixtures.read_fixture(path)
    hyper = fixture["hyper"]
    n, d = fixture["data"]["X"].shape
    h = int(hyper["neurons"][0]) if fixture["variant"] == "layered" else int(hyper["hidden"])
    return {"case": fixture["name"], "variant": fixture["variant"], "n": n, "d": d, "h": h,
            "X": fixture["data"]["X"], "y": fixture["data"]["y"], "params": fixture["init"],
            "lr": float(hyper["lr"]), "activations": list(hyper.get("activations", []))}


def synthetic_case(n: int, d: int = SYNTHETIC_D, h: int = SYNTHETIC_H, seed: int = SEED) -> dict[str, Any]:
    """Article-variant data of any size: X standard normal, y from a random
    teacher network, weights uniform in ±1/√fan-in, and lr 0.5/n (the
    article's gradient is a sum over the n samples)."""
    random = np.random.RandomState(seed)
    X = random.standard_normal((n, d))
    teacher = random.standard_normal((d, 1))
    y = (X @ teacher > 0).astype(float)
    params = {"wh": random.uniform(-1, 1, (d, h)) / np.sqrt(d), "bh": random.uniform(-1, 1, (1, h)) / np.sqrt(d),
              "wout": random.uniform(-1, 1, (h, 1)) / np.sqrt(h), "bout": random.uniform(-1, 1, (1, 1)) / np.sqrt(h)}
    return {"case": f"synthetic-{n:.0e}".replace("e+0", "e"), "variant": "article", "n": n, "d": d, "h": h,
            "X": X, "y": y, "params": params, "lr": 0.5 / n, "activations": []}


def synthetic_layered_case(n: int = LAYERED_SIZE, d: int = SYNTHETIC_D, seed: int = SEED) -> dict[str, Any]:
    """A Layer-class problem of any size: X standard normal, y from a random
    teacher, 64 tanh units and one sigmoid output, weights randn/√fan-in,
    biases zero, lr 0.5 (its gradients are averaged over the samples)."""
    random = np.random.RandomState(seed + 1)
    X = random.standard_normal((n, d))
    y = (X @ random.standard_normal((d, 1)) > 0).astype(float)
    params, inputs = {}, d
    for layer, size in enumerate(LAYERED_NEURONS, start=1):
        params[f"W{layer}"] = random.standard_normal((size, inputs)) / np.sqrt(inputs)
        params[f"b{layer}"] = np.zeros((size, 1))
        inputs = size
    return {"case": f"synthetic-layered-{n:.0e}".replace("e+0", "e"), "variant": "layered", "n": n, "d": d,
            "h": LAYERED_NEURONS[0], "X": X, "y": y, "params": params, "lr": 0.5,
            "activations": list(LAYERED_ACTIVATIONS)}


def fast_arrays_mib(case: dict[str, Any], threads: int = 1, block_rows: int | None = None) -> float:
    """What the fast path cannot do without, in MiB: X (n×d), y and the output
    (n×1 each), the parameters and their descent, and one block's arrays per
    thread: the block of X with its column of ones, two rows×h arrays (H and
    the delta) and three rows×1."""
    from .. import fast

    n, d, h = case["n"], case["d"], case["h"]
    rows = min(n, block_rows or fast.BLOCK_ROWS)
    parameters = d * h + 2 * h + 1
    return 8 * (n * d + 2 * n + 2 * parameters + threads * rows * (d + 1 + 2 * h + 3)) / MIB


def loop_arrays_mib(case: dict[str, Any]) -> float:
    """What the article loop cannot do without, in MiB: the data X (n×d) and
    y (n×1); the hidden activations H and the hidden delta (n×h each), kept
    from the forward pass for the backward pass; the output and its delta
    (n×1 each); the parameters and their descent."""
    n, d, h = case["n"], case["d"], case["h"]
    parameters = d * h + 2 * h + 1
    return 8 * (n * d + n + 2 * n * h + 2 * n + 2 * parameters) / MIB


# Writing the data for the workers ----------------------------------------------------------

def write_spec(case: dict[str, Any], implementation: str, directory: str | Path, epochs: int, min_seconds: float,
               repeats: int) -> Path:
    """The case's arrays as raw float64 files (C order for Python, Fortran
    order for R) and the JSON spec both workers read; returns the spec path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {"X": case["X"], "y": case["y"], **{f"param_{name}": value for name, value in case["params"].items()}}
    matrices = {}
    for name, value in arrays.items():
        value = np.asarray(value, dtype="<f8")
        stem = directory / name
        if not (stem.with_suffix(".c.f64")).exists():
            results.write_atomic(stem.with_suffix(".c.f64"), value.tobytes(order="C"))
            # the column-major layout: the transpose's C order
            results.write_atomic(stem.with_suffix(".f.f64"), value.T.tobytes(order="C"))
        matrices[name] = {"rows": value.shape[0], "cols": value.shape[1],
                          "python": str(stem.with_suffix(".c.f64")), "r": str(stem.with_suffix(".f.f64"))}
    spec = {"variant": case["variant"], "implementation": implementation, "lr": case["lr"],
            "activations": case["activations"], "epochs": int(epochs), "min_seconds": min_seconds,
            "repeats": repeats, "X": matrices["X"], "y": matrices["y"],
            "params": {name: matrices[f"param_{name}"] for name in case["params"]}}
    path = directory / f"spec-{implementation}-{epochs}-{min_seconds}.json"
    return results.write_atomic(path, json.dumps(spec, indent=1))


# The workers ----------------------------------------------------------------------------------

def proc_status(field: str) -> int | None:
    """A number from /proc/self/status (kB for memory fields), or None."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def calibrated_runs(run: Callable[[int], float], epochs: int, min_seconds: float,
                    repeats: int) -> tuple[int, list[float]]:
    """Grow ``epochs`` until one run lasts ``min_seconds`` (those runs warm
    up), run once more to warm up, then ``repeats`` times; returns (epochs,
    seconds of each timed run)."""
    epochs = max(1, int(epochs))
    for _ in range(40):
        if min_seconds <= 0:
            break
        seconds = run(epochs)
        if seconds >= min_seconds:
            break
        # at most 10x a step, as the R worker (whose clock can read 0 s for a short run)
        epochs = max(2 * epochs, min(10 * epochs, int(np.ceil(epochs * 1.2 * min_seconds / max(seconds, 1e-9)))))
    run(epochs)
    return epochs, [run(epochs) for _ in range(repeats)]


def worker(spec_path: str | Path, result_path: str | Path) -> None:
    """The Python side of one measurement: read the spec and the data, time
    the training, write the result JSON."""
    from .. import fast

    baseline = proc_status("VmRSS")
    spec = json.loads(Path(spec_path).read_text())
    started = time.perf_counter()

    def read(matrix: dict[str, Any]) -> np.ndarray:
        return np.fromfile(matrix["python"], dtype="<f8").reshape(matrix["rows"], matrix["cols"])

    X, y = read(spec["X"]), read(spec["y"])
    params = {name: read(matrix) for name, matrix in spec["params"].items()}
    hyper = {"lr": spec["lr"], "activations": spec["activations"]}
    load_seconds = time.perf_counter() - started
    is_fast = spec["implementation"] == "fast"
    h = {"article": lambda: params["wh"].shape[1], "stepwise": lambda: 0,  # the walk-through is not threaded
         "layered": lambda: max(value.shape[0] for value in params.values())}[spec["variant"]]()

    def run(epochs: int) -> float:
        with np.errstate(over="ignore", invalid="ignore"):  # as train_fixture does
            start = time.perf_counter()
            training.train_variant(spec["variant"], X, y, params, hyper, epochs, fast=is_fast)
            return time.perf_counter() - start

    epochs, seconds = calibrated_runs(run, spec["epochs"], spec["min_seconds"], spec["repeats"])
    peak = proc_status("VmHWM")
    if baseline is None or peak is None:
        raise RuntimeError("the bench worker reads its memory from /proc/self/status, which this system lacks")
    result = {"epochs": epochs, "seconds": seconds, "load_seconds": load_seconds,
              "baseline_mb": baseline / 1024, "peak_mb": peak / 1024,
              "threads": proc_status("Threads"), "fast_threads": fast.threads_for(X.shape[0], h) if is_fast else 1,
              "block_rows": fast.BLOCK_ROWS}
    results.write_atomic(result_path, json.dumps(result))


def r_worker() -> Path:
    """The R worker script: the checkout's ``r/inst/maintain/bench.R``, else the
    copy installed with the R package (``system.file("maintain", "bench.R")``)."""
    root = resources.find_checkout()
    if root is not None:
        return root / "r" / "inst" / "maintain" / "bench.R"
    found = subprocess.run(["Rscript", "-e", 'cat(system.file("maintain", "bench.R", package = "twinnet"))'],
                           capture_output=True, text=True, env={**os.environ, "R_LIBS": rbridge.r_libs_path()})
    if found.returncode != 0 or not found.stdout.strip():
        raise safejson.FixtureError("E_CHECKOUT", "the benchmark's R worker was not found: install the twinnet "
                                    "R package, or run it in a clone of the repository")
    return Path(found.stdout.strip())


def run_worker(language: str, spec_path: str | Path) -> dict[str, Any]:
    """Run one worker in a process of its own; returns its result dict."""
    result_path = Path(spec_path).with_name(f"result-{language}.json")
    if language == "python":
        command = [sys.executable, "-m", "twinnet.maintain.bench", str(spec_path), str(result_path)]
        env = None
    else:
        command = ["Rscript", str(r_worker()), str(spec_path), str(result_path)]
        env = {**os.environ, "R_LIBS": rbridge.r_libs_path()}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"the {language} bench worker failed ({' '.join(command)}):\n{done.stderr.strip()}")
    return json.loads(result_path.read_text())


def measure(case: dict[str, Any], directory: str | Path, settings: Settings,
            rates: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """Time one case with each implementation in both languages, each
    implementation's languages with the same number of epochs; returns, per
    implementation, (row, details, the R worker's result).  The rounds of the
    implementations alternate too (reference, fast, reference, fast), so that
    the fast path's ratio to the plain loop compares times of the same minutes."""
    measured = {}
    for implementation in IMPLEMENTATIONS:  # the first round calibrates the epochs
        py = run_worker("python", write_spec(case, implementation, directory, settings.min_epochs,
                                             settings.min_seconds, settings.repeats))
        r = run_worker("r", write_spec(case, implementation, directory, py["epochs"], settings.min_seconds,
                                       settings.repeats))
        if r["epochs"] != py["epochs"]:  # R needed more epochs to last min_seconds: time Python on as many
            py = run_worker("python", write_spec(case, implementation, directory, r["epochs"], 0, settings.repeats))
        measured[implementation] = (py, r)
    for _ in range(settings.rounds - 1):  # more rounds of both, with the same epochs; the median is of all runs
        for implementation, (py, r) in measured.items():
            for result, language in ((py, "python"), (r, "r")):
                more = run_worker(language, write_spec(case, implementation, directory, r["epochs"], 0,
                                                       settings.repeats))
                result["seconds"] = [*result["seconds"], *more["seconds"]]
                result["peak_mb"] = max(result["peak_mb"], more["peak_mb"])
    return [summary(case, implementation, py, r, rates) for implementation, (py, r) in measured.items()]


def summary(case: dict[str, Any], implementation: str, py: dict[str, Any], r: dict[str, Any],
            rates: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """One implementation's row and details from its workers' results."""
    epochs = r["epochs"]
    python_us = statistics.median(py["seconds"]) / epochs * 1e6
    r_us = statistics.median(r["seconds"]) / epochs * 1e6
    n = case["n"]
    row = {"case": f"{case['case']}/{implementation}", "variant": case["variant"], "n": n, "d": case["d"],
           "h": case["h"], "epochs": epochs, "python_us_per_epoch": round(python_us, 3),
           "r_us_per_epoch": round(r_us, 3), "r_over_python": round(r_us / python_us, 3),
           "python_ns_per_sample_epoch": round(python_us * 1000 / n, 3),
           "r_ns_per_sample_epoch": round(r_us * 1000 / n, 3),
           "python_peak_mb": round(py["peak_mb"], 1), "r_peak_mb": round(r["peak_mb"], 1)}
    floor_us = floor_seconds(n, case["d"], case["h"], rates) * 1e6
    row.update(floor_us_per_epoch=round(floor_us, 3), python_over_floor=round(python_us / floor_us, 3),
               fast_over_plain=None)
    details = {"case": row["case"], "python_seconds": py["seconds"], "r_seconds": r["seconds"],
               "python_load_seconds": py["load_seconds"], "r_load_seconds": r["load_seconds"],
               "python_baseline_mb": round(py["baseline_mb"], 1), "r_baseline_mb": round(r["baseline_mb"], 1),
               "r_gc_share": round(r["gc_seconds"] / sum(r["seconds"]), 3) if sum(r["seconds"]) > 0 else None,
               "loop_arrays_mb": round(loop_arrays_mib(case), 1), "python_threads": py["threads"],
               "r_threads": r["threads"], "python_fast_threads": py["fast_threads"], "r_fast_workers": r["workers"],
               "block_rows": py["block_rows"],
               "fast_arrays_mb": round(fast_arrays_mib(case, py["fast_threads"], py["block_rows"]), 1)}
    return row, details, r


# The command ----------------------------------------------------------------------------------------

def run(out_dir: str | Path = Path("out"), quick: bool = False, fixture_dir: str | Path | None = None,
        log: Callable[[str], object] = print, page: str | Path | None = None) -> dict[str, Any]:
    """Measure every case, write ``bench.json`` and ``bench.png`` in
    ``out_dir`` (and the table region of ``page``); returns the document."""
    from .. import fast

    fast.threads_setting()  # a bad TWINNET_THREADS is one E_USAGE line here, not a worker's traceback
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for target in (out_dir / "bench.json", out_dir / "bench.png", *([page] if page else [])):
        results.check_output_path(target)  # before minutes of timing: a refused path costs nothing
    rbridge.r_package()  # says what to install when R or the R package is missing
    settings = Settings(quick)
    paths = fixtures.fixture_paths(fixture_dir or resources.data_dir())
    if quick:
        paths = [path for path in paths if path.stem == "article"]
    cases = [fixture_case(path) for path in paths] + [synthetic_case(n) for n in settings.sizes]
    if not quick:
        cases.append(synthetic_layered_case())
    log("Measuring this machine's GEMM rate, copy bandwidth and exp throughput (the floor)")
    rates = machine_rates(quick)
    log(f"  GEMM {rates['gemm_gflops']} GFLOP/s, copy {rates['copy_gb_s']} GB/s, exp {rates['exp_ns']} ns "
        f"(R's exp {rates['r_exp_ns']} ns)")
    rows, details, r_info = [], [], None
    with tempfile.TemporaryDirectory(prefix="twinnet-bench-") as scratch:
        for index, case in enumerate(cases):
            for row, extra, info in measure(case, Path(scratch) / str(index), settings, rates):
                r_info = info
                rows.append(row)
                details.append(extra)
                log(f"  {row['case']:<28} Python {_figure(row['python_us_per_epoch']):>8} µs/epoch   "
                    f"R {_figure(row['r_us_per_epoch']):>8} µs/epoch   R/Python {row['r_over_python']:.2f}")
    plain = {row["case"].rsplit("/", 1)[0]: row for row in rows if row["case"].endswith("/reference")}
    for row in rows:  # the fast path against the plain numpy loop (the reference twin) on the same case
        if row["case"].endswith("/fast"):
            loop = plain[row["case"].rsplit("/", 1)[0]]
            row["fast_over_plain"] = round(row["python_us_per_epoch"] / loop["python_us_per_epoch"], 3)
    pytorch = pytorch_rows(settings.sizes, log)
    threads = {"python": details[-1]["python_threads"], "r": details[-1]["r_threads"]}
    assert r_info is not None  # the article fixture (or every fixture) was measured
    fast_rows = [(row["case"], item) for row, item in zip(rows, details, strict=True) if row["case"].endswith("/fast")]
    document = {"machine": machine(r_info, threads), "rows": rows, "startup": startup_seconds(settings),
                "floor": rates, "pytorch": pytorch, "targets": targets(rows, details, pytorch), "details": details,
                "settings": {"quick": quick, "min_seconds": settings.min_seconds,
                             "min_epochs": settings.min_epochs, "repeats": settings.repeats,
                             "block_rows": details[-1]["block_rows"],
                             "python_fast_threads": {case: item["python_fast_threads"] for case, item in fast_rows},
                             "r_fast_workers": {case: item["r_fast_workers"] for case, item in fast_rows}}}
    results.write_atomic(out_dir / "bench.json", json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    plot(rows, out_dir / "bench.png", pytorch)
    if page is not None:
        write_page(document, page)
    return document


if __name__ == "__main__":  # a worker: python -m twinnet.maintain.bench SPEC RESULT
    worker(sys.argv[1], sys.argv[2])
