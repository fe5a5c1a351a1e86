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
Python, ``proc.time()`` inside R.  It calibrates the number of epochs so one
run lasts at least ``min_seconds``, runs once more to warm up, then
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
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import fixtures, rbridge, resources

ROW_KEYS = ("case", "variant", "n", "d", "h", "epochs", "python_us_per_epoch", "r_us_per_epoch", "r_over_python",
            "python_ns_per_sample_epoch", "r_ns_per_sample_epoch", "python_peak_mb", "r_peak_mb",
            "floor_us_per_epoch", "python_over_floor")
IMPLEMENTATIONS = ("reference", "fast")
SYNTHETIC_SIZES = (100, 1_000, 10_000, 100_000)
SYNTHETIC_D, SYNTHETIC_H = 32, 64
SEED = 20170502
MIB = 1024 * 1024

LAYERED_SIZE, LAYERED_NEURONS, LAYERED_ACTIVATIONS = 10_000, (64, 1), ("tanh", "sigmoid")

# The targets of issue 14; they apply to the fast paths.
TARGET_ARTICLE_US = 15.0
TARGET_RATIO = 1.5
TARGET_FLOOR = 1.5
TARGET_FLOOR_FROM_N = 10_000
TARGET_LAYERED_SPEEDUP = 3.0
TARGET_MEMORY = 1.5


class Settings:
    """How long and how often to measure."""

    def __init__(self, quick: bool = False) -> None:
        self.quick = quick
        self.min_seconds = 0.01 if quick else 0.3
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
            value.tofile(stem.with_suffix(".c.f64"))
            value.T.tofile(stem.with_suffix(".f.f64"))  # the transpose's C order is the matrix's column-major order
        matrices[name] = {"rows": value.shape[0], "cols": value.shape[1],
                          "python": str(stem.with_suffix(".c.f64")), "r": str(stem.with_suffix(".f.f64"))}
    spec = {"variant": case["variant"], "implementation": implementation, "lr": case["lr"],
            "activations": case["activations"], "epochs": int(epochs), "min_seconds": min_seconds,
            "repeats": repeats, "X": matrices["X"], "y": matrices["y"],
            "params": {name: matrices[f"param_{name}"] for name in case["params"]}}
    path = directory / f"spec-{implementation}-{epochs}-{min_seconds}.json"
    path.write_text(json.dumps(spec, indent=1))
    return path


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
            fixtures.train_variant(spec["variant"], X, y, params, hyper, epochs, fast=is_fast)
            return time.perf_counter() - start

    epochs, seconds = calibrated_runs(run, spec["epochs"], spec["min_seconds"], spec["repeats"])
    peak = proc_status("VmHWM")
    if baseline is None or peak is None:
        raise RuntimeError("the bench worker reads its memory from /proc/self/status, which this system lacks")
    result = {"epochs": epochs, "seconds": seconds, "load_seconds": load_seconds,
              "baseline_mb": baseline / 1024, "peak_mb": peak / 1024,
              "threads": proc_status("Threads"), "fast_threads": fast.threads_for(X.shape[0], h) if is_fast else 1,
              "block_rows": fast.BLOCK_ROWS}
    Path(result_path).write_text(json.dumps(result))


def r_worker() -> Path:
    """The R worker script: the checkout's ``r/inst/maintain/bench.R``, else the
    copy installed with the R package (``system.file("maintain", "bench.R")``)."""
    root = resources.find_checkout()
    if root is not None:
        return root / "r" / "inst" / "maintain" / "bench.R"
    found = subprocess.run(["Rscript", "-e", 'cat(system.file("maintain", "bench.R", package = "twinnet"))'],
                           capture_output=True, text=True, env={**os.environ, "R_LIBS": rbridge.r_libs_path()})
    if found.returncode != 0 or not found.stdout.strip():
        raise fixtures.FixtureError("E_CHECKOUT", "the benchmark's R worker was not found: install the twinnet "
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


def measure(case: dict[str, Any], implementation: str, directory: str | Path,
            settings: Settings, rates: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Time one case with one implementation in both languages, with the same
    number of epochs; returns (row, details, the R worker's result)."""
    py = run_worker("python", write_spec(case, implementation, directory, 1, settings.min_seconds, settings.repeats))
    r = run_worker("r", write_spec(case, implementation, directory, py["epochs"], settings.min_seconds,
                                   settings.repeats))
    if r["epochs"] != py["epochs"]:  # R needed more epochs to last min_seconds: time Python on as many
        py = run_worker("python", write_spec(case, implementation, directory, r["epochs"], 0, settings.repeats))
    epochs = r["epochs"]
    for _ in range(settings.rounds - 1):  # more rounds of both, with the same epochs; the median is of all runs
        for result, language in ((py, "python"), (r, "r")):
            more = run_worker(language, write_spec(case, implementation, directory, epochs, 0, settings.repeats))
            result["seconds"] = [*result["seconds"], *more["seconds"]]
            result["peak_mb"] = max(result["peak_mb"], more["peak_mb"])
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
    row.update(floor_us_per_epoch=round(floor_us, 3), python_over_floor=round(python_us / floor_us, 3))
    details = {"case": row["case"], "python_seconds": py["seconds"], "r_seconds": r["seconds"],
               "python_load_seconds": py["load_seconds"], "r_load_seconds": r["load_seconds"],
               "python_baseline_mb": round(py["baseline_mb"], 1), "r_baseline_mb": round(r["baseline_mb"], 1),
               "r_gc_share": round(r["gc_seconds"] / sum(r["seconds"]), 3) if sum(r["seconds"]) > 0 else None,
               "loop_arrays_mb": round(loop_arrays_mib(case), 1), "python_threads": py["threads"],
               "r_threads": r["threads"], "python_fast_threads": py["fast_threads"], "r_fast_workers": r["workers"],
               "block_rows": py["block_rows"],
               "fast_arrays_mb": round(fast_arrays_mib(case, py["fast_threads"], py["block_rows"]), 1)}
    return row, details, r


# The floor ---------------------------------------------------------------------------------------

FLOOR_MODEL = ("4·n·d·h + 6·n·h flops at the GEMM rate, + X (8·n·d bytes) read twice at the copy bandwidth, "
               "+ n·h exps at numpy's exp throughput")


def machine_rates(quick: bool = False) -> dict[str, Any]:
    """This machine's rates, measured now (best of a few runs, numpy's own
    threads): the GEMM rate of a large product (GFLOP/s), the copy bandwidth
    of a 64 MiB array (GB/s, bytes read plus bytes written), numpy's ``exp``
    over 8192 doubles in cache (ns per element), and R's (``Rscript``)."""
    repeats = 2 if quick else 7

    def best(task: Callable[[], object], times: int = repeats) -> float:
        task()
        seconds = []
        for _ in range(times):
            start = time.perf_counter()
            task()
            seconds.append(time.perf_counter() - start)
        return min(seconds)

    random = np.random.RandomState(0)
    a, b = random.standard_normal((2048, 512)), random.standard_normal((512, 512))
    product = np.empty((2048, 512))
    gemm = 2 * 2048 * 512 * 512 / best(lambda: np.matmul(a, b, out=product)) / 1e9
    source = random.standard_normal(8 * MIB)
    target = np.empty_like(source)
    copy = 2 * source.nbytes / best(lambda: np.copyto(target, source)) / 1e9
    x, e = random.uniform(-5, 5, 8192), np.empty(8192)

    def exps() -> None:
        for _ in range(100):
            np.exp(x, out=e)

    exp_ns = best(exps) / (100 * x.size) * 1e9
    return {"gemm_gflops": round(gemm, 2), "copy_gb_s": round(copy, 2), "exp_ns": round(exp_ns, 3),
            "r_exp_ns": _r_exp_ns(), "model": FLOOR_MODEL}


def _r_exp_ns():
    """R's exp() over 8192 doubles, ns per element (best of 5 runs of 200), or None."""
    script = ("x <- runif(8192, -5, 5); t <- min(sapply(1:5, function(i) system.time(for (j in 1:200) exp(x))"
              "[['elapsed']])); cat(t / (200 * 8192) * 1e9)")
    done = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True)
    try:
        return round(float(done.stdout.strip()), 3)
    except ValueError:
        return None


def floor_seconds(n: int, d: int, h: int, rates: dict[str, Any]) -> float:
    """The time one epoch of the article network cannot beat here (see FLOOR_MODEL)."""
    flops = 4 * n * d * h + 6 * n * h
    return flops / (rates["gemm_gflops"] * 1e9) + 2 * 8 * n * d / (rates["copy_gb_s"] * 1e9) + \
        n * h * rates["exp_ns"] * 1e-9


def pytorch_rows(sizes: Sequence[int], log: Callable[[str], object] = print) -> dict[str, Any] | None:
    """The same loop in PyTorch (``torch_loop.py``), run by the Python named in
    ``TWINNET_TORCH_PYTHON`` (a throwaway virtual environment with torch and
    numpy); None when it is not set or fails."""
    python = os.environ.get("TWINNET_TORCH_PYTHON")
    if not python:
        return None
    with tempfile.TemporaryDirectory(prefix="twinnet-torch-") as scratch:
        result = Path(scratch) / "torch.json"
        done = subprocess.run([python, str(Path(__file__).with_name("torch_loop.py")), str(result),
                               *map(str, sizes)], capture_output=True, text=True)
        if done.returncode != 0:
            log(f"  PyTorch comparison failed: {done.stderr.strip().splitlines()[-1:]}")
            return None
        return json.loads(result.read_text())


# Start-up and the machine -----------------------------------------------------------------------

def startup_seconds(settings: Settings) -> dict[str, float]:
    """Median wall time to start each language with twinnet loaded."""
    commands = {"python": ([sys.executable, "-c", "import numpy, twinnet.fast"], None),
                "r": (["Rscript", "-e", "suppressPackageStartupMessages(library(twinnet))"],
                      {**os.environ, "R_LIBS": rbridge.r_libs_path()})}
    startup = {}
    for language, (command, env) in commands.items():
        times = []
        for _ in range(settings.startup_repeats):
            start = time.perf_counter()
            subprocess.run(command, capture_output=True, env=env, check=True)
            times.append(time.perf_counter() - start)
        startup[f"{language}_seconds"] = round(statistics.median(times), 3)
    return startup


def machine(r_info: dict[str, Any], threads: dict[str, Any]) -> dict[str, Any]:
    """What the figures were measured on: CPU, cores, memory, versions, BLAS
    on each side and their threads, and the OpenBLAS variables set here."""
    from . import doctor

    cpuinfo: dict[str, str] = {}
    for line in _read_lines("/proc/cpuinfo"):
        key, _, value = line.partition(":")
        cpuinfo.setdefault(key.strip(), value.strip())
    cpu = cpuinfo.get("model name") or platform.processor() or "unknown"
    flags = set(cpuinfo.get("flags", "").split())
    memory = next((int(line.split()[1]) for line in _read_lines("/proc/meminfo") if line.startswith("MemTotal")), 0)
    os_name = next((line.split("=", 1)[1].strip().strip('"') for line in _read_lines("/etc/os-release")
                    if line.startswith("PRETTY_NAME=")), platform.platform())
    blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    r_blas = os.path.realpath(r_info["blas"])
    numpy_openblas, r_openblas = doctor.openblas_runtime(), doctor.openblas_runtime(r_blas)
    return {
        "cpu": cpu, "cpu_family_model": f"{cpuinfo.get('cpu family', '?')}/{cpuinfo.get('model', '?')}",
        "cpu_simd": [flag for flag in ("sse2", "avx2", "fma", "avx512f") if flag in flags],
        "cores": os.cpu_count(), "memory_gib": round(memory / MIB, 1), "os": os_name,
        "python": platform.python_version(), "numpy": np.__version__,
        "numpy_blas": f"{blas.get('name', '?')} {blas.get('version', '')}".strip(),
        "numpy_blas_runtime": None if numpy_openblas is None else str(numpy_openblas),
        "numpy_blas_threads": None if numpy_openblas is None else numpy_openblas.threads,
        "python_process_threads": threads["python"],
        "r": r_info["r_version"], "r_blas": f"{r_blas} ({doctor.blas_kind(r_blas)})",
        "r_blas_runtime": None if r_openblas is None else str(r_openblas),
        "r_lapack": r_info["lapack"], "r_process_threads": threads["r"],
        "environment": {name: os.environ.get(name) for name in
                        ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")},
    }


def _read_lines(path: str | Path) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


# Targets, table, plot -------------------------------------------------------------------------------

def targets(rows: list[dict[str, Any]], details: list[dict[str, Any]],
            pytorch: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each target of issue 14 against the fast paths: what was measured, met
    or not, and by how much it misses."""
    fast = {row["case"].rsplit("/", 1)[0]: row for row in rows if row["case"].endswith("/fast")}
    reference = {row["case"].rsplit("/", 1)[0]: row for row in rows if row["case"].endswith("/reference")}
    extra = {item["case"]: item for item in details}
    checks = []

    def check(name: str, value: float, limit: float, at_least: bool = False) -> None:
        met = value >= limit if at_least else value <= limit
        miss = None if met else (f"{limit / value:.2f}x short" if at_least else f"{value / limit:.2f}x the limit")
        checks.append({"target": name, "measured": round(value, 3), "limit": limit, "met": bool(met), "miss": miss})

    if "article" in fast:
        check("article fixture: Python µs/epoch ≤ 15", fast["article"]["python_us_per_epoch"], TARGET_ARTICLE_US)
    for name, row in fast.items():
        check(f"{name}: R/Python ≤ 1.5", row["r_over_python"], TARGET_RATIO)
    synthetic = sorted((row for name, row in fast.items() if name.startswith("synthetic-1e")), key=lambda r: r["n"])
    for row in synthetic:
        if row["n"] >= TARGET_FLOOR_FROM_N:
            check(f"n={row['n']}: Python / floor ≤ 1.5", row["python_over_floor"], TARGET_FLOOR)
    torch_us = {item["n"]: item["us_per_epoch"] for item in (pytorch or {}).get("rows", [])}
    for row in synthetic:
        if row["n"] in torch_us:
            check(f"n={row['n']}: Python / PyTorch < 1", row["python_us_per_epoch"] / torch_us[row["n"]], 1.0)
    for name in fast:
        if fast[name]["variant"] == "layered" and name in reference:
            for language in ("python", "r"):
                speedup = reference[name][f"{language}_us_per_epoch"] / fast[name][f"{language}_us_per_epoch"]
                check(f"{name}: {language} reference / fast ≥ 3", speedup, TARGET_LAYERED_SPEEDUP, at_least=True)
    largest = synthetic[-1] if synthetic and synthetic[-1]["n"] >= 100_000 else None
    if largest is not None:
        arrays = extra[largest["case"]]["fast_arrays_mb"]
        for language in ("python", "r"):
            peak = largest[f"{language}_peak_mb"]
            baseline = extra[largest["case"]][f"{language}_baseline_mb"]
            check(f"n={largest['n']}: {language} peak memory above start-up ≤ 1.5× X, y, the parameters and "
                  f"a block ({arrays:.0f} MiB)", (peak - baseline) / arrays, TARGET_MEMORY)
    return checks


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table (also readable in a terminal)."""
    header = ("| case | n×d, h | epochs | Python µs/epoch | R µs/epoch | R/Python | Python ns/sample-epoch "
              "| R ns/sample-epoch | peak MiB Python, R | floor µs/epoch | Python/floor |")
    lines = [header, "|" + "---|" * 11]
    for row in rows:
        lines.append(f"| {row['case']} | {row['n']}×{row['d']}, {row['h']} | {row['epochs']} "
                     f"| {_figure(row['python_us_per_epoch'])} | {_figure(row['r_us_per_epoch'])} "
                     f"| {row['r_over_python']:.2f} | {_figure(row['python_ns_per_sample_epoch'])} "
                     f"| {_figure(row['r_ns_per_sample_epoch'])} | {row['python_peak_mb']:.0f}, {row['r_peak_mb']:.0f} "
                     f"| {_figure(row['floor_us_per_epoch'])} | {row['python_over_floor']:.1f} |")
    return "\n".join(lines)


def _figure(value: float) -> str:
    """Three significant figures, without an exponent."""
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def plot(rows: list[dict[str, Any]], target: str | Path, pytorch: dict[str, Any] | None = None) -> Path:
    """Log-log µs per epoch against n for the synthetic cases, both languages,
    reference and fast path, with this machine's floor (and PyTorch, when
    measured); returns the PNG path."""
    from matplotlib.figure import Figure

    from ..reading.plots import save_figure

    figure = Figure(figsize=(7, 4.5))
    axes = figure.subplots()
    styles = {("python", "fast"): ("C0", "-", "o"), ("r", "fast"): ("C3", "-", "s"),
              ("python", "reference"): ("C0", ":", "o"), ("r", "reference"): ("C3", ":", "s")}
    for (language, implementation), (color, line, marker) in styles.items():
        points = sorted((row["n"], row[f"{language}_us_per_epoch"]) for row in rows
                        if row["case"].startswith("synthetic-1e") and row["case"].endswith("/" + implementation))
        if points:
            label = f"{'Python (numpy)' if language == 'python' else 'R (base R)'}, {implementation}"
            axes.plot(*zip(*points, strict=True), color=color, linestyle=line, marker=marker, label=label)
    floor = sorted((row["n"], row["floor_us_per_epoch"]) for row in rows
                   if row["case"].startswith("synthetic-1e") and row["case"].endswith("/fast"))
    if floor:
        axes.plot(*zip(*floor, strict=True), color="black", linestyle="--",
                  label="floor (this machine's GEMM, copy, exp)")
    torch_points = sorted((item["n"], item["us_per_epoch"]) for item in (pytorch or {}).get("rows", []))
    if torch_points:
        axes.plot(*zip(*torch_points, strict=True), color="C2", linestyle="-.", marker="^",
                  label="PyTorch CPU, same loop")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel(f"n (samples; d = {SYNTHETIC_D}, h = {SYNTHETIC_H})")
    axes.set_ylabel("µs per epoch (median)")
    axes.set_title("twinnet · article network: training time per epoch")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    return save_figure(figure, target)


# The command ----------------------------------------------------------------------------------------

def run(out_dir: str | Path = Path("out"), quick: bool = False, fixture_dir: str | Path | None = None,
        log: Callable[[str], object] = print) -> dict[str, Any]:
    """Measure every case, write ``bench.json`` and ``bench.png`` in
    ``out_dir``; returns the document."""
    from .. import fast

    fast.threads_setting()  # a bad TWINNET_THREADS is one E_USAGE line here, not a worker's traceback
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
            for implementation in IMPLEMENTATIONS:
                row, extra, r_info = measure(case, implementation, Path(scratch) / str(index), settings, rates)
                rows.append(row)
                details.append(extra)
                log(f"  {row['case']:<28} Python {_figure(row['python_us_per_epoch']):>8} µs/epoch   "
                    f"R {_figure(row['r_us_per_epoch']):>8} µs/epoch   R/Python {row['r_over_python']:.2f}")
    pytorch = pytorch_rows(settings.sizes, log)
    threads = {"python": details[-1]["python_threads"], "r": details[-1]["r_threads"]}
    assert r_info is not None  # the article fixture (or every fixture) was measured
    fast_rows = [(row["case"], item) for row, item in zip(rows, details, strict=True) if row["case"].endswith("/fast")]
    document = {"machine": machine(r_info, threads), "rows": rows, "startup": startup_seconds(settings),
                "floor": rates, "pytorch": pytorch, "targets": targets(rows, details, pytorch), "details": details,
                "settings": {"quick": quick, "min_seconds": settings.min_seconds, "repeats": settings.repeats,
                             "block_rows": details[-1]["block_rows"],
                             "python_fast_threads": {case: item["python_fast_threads"] for case, item in fast_rows},
                             "r_fast_workers": {case: item["r_fast_workers"] for case, item in fast_rows}}}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench.json").write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    plot(rows, out_dir / "bench.png", pytorch)
    return document


def report(document: dict[str, Any]) -> list[str]:
    """The lines the command prints after measuring."""
    m = document["machine"]
    lines = [f"Machine: {m['cpu']} (family/model {m['cpu_family_model']}, {' '.join(m['cpu_simd'])}), "
             f"{m['cores']} cores, {m['memory_gib']} GiB, {m['os']}",
             f"Python {m['python']}, numpy {m['numpy']} on {m['numpy_blas']} ({m['numpy_blas_threads']} threads); "
             f"{m['r']} on {m['r_blas']}" + (f", {m['r_blas_runtime']}" if m["r_blas_runtime"] else ""),
             f"Start-up (not in the figures): Python {document['startup']['python_seconds']} s, "
             f"R with library(twinnet) {document['startup']['r_seconds']} s",
             f"Floor rates: GEMM {document['floor']['gemm_gflops']} GFLOP/s, copy {document['floor']['copy_gb_s']} "
             f"GB/s, numpy exp {document['floor']['exp_ns']} ns/element (R's exp {document['floor']['r_exp_ns']} ns); "
             f"floor = {FLOOR_MODEL}", "", table(document["rows"]), ""]
    if document.get("pytorch"):
        torch = document["pytorch"]
        lines += [f"PyTorch {torch['torch']} CPU, float64, {torch['threads']} threads, the same loop: "
                  + ", ".join(f"n={item['n']} {_figure(item['us_per_epoch'])} µs/epoch" for item in torch["rows"]), ""]
    lines += ["Targets (fast paths):"]
    for check in document["targets"]:
        status = "met" if check["met"] else f"MISSED: {check['miss']}"
        lines.append(f"  {check['target']}: {check['measured']} ({status})")
    return lines


if __name__ == "__main__":  # a worker: python -m twinnet.maintain.bench SPEC RESULT
    worker(sys.argv[1], sys.argv[2])
