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

Cases: every shipped fixture, and synthetic article-variant data with
n in {1e2, 1e3, 1e4, 1e5}, d = 32, h = 64; each timed with the readable
reference twin and with its fast path (``fast.py`` / ``fast.R``; the layered
variant has none).  The result is ``out/bench.json`` (see :data:`ROW_KEYS`),
``out/bench.png`` and a table on stdout.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .. import fixtures, rbridge, resources

ROW_KEYS = ("case", "variant", "n", "d", "h", "epochs", "python_us_per_epoch", "r_us_per_epoch", "r_over_python",
            "python_ns_per_sample_epoch", "r_ns_per_sample_epoch", "python_peak_mb", "r_peak_mb")
IMPLEMENTATIONS = ("reference", "fast")
SYNTHETIC_SIZES = (100, 1_000, 10_000, 100_000)
SYNTHETIC_D, SYNTHETIC_H = 32, 64
SEED = 20170502
MIB = 1024 * 1024

# The targets of issue 6; they apply to the fast paths.
TARGET_ARTICLE_US = 15.0
TARGET_RATIO = 1.5
TARGET_SCALING = 2.0
TARGET_MEMORY = 3.0


class Settings:
    """How long and how often to measure."""

    def __init__(self, quick: bool = False) -> None:
        self.quick = quick
        self.min_seconds = 0.01 if quick else 0.3
        self.repeats = 1 if quick else 5
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
        epochs = max(2 * epochs, int(np.ceil(epochs * 1.2 * min_seconds / max(seconds, 1e-9))))
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
    train = fast.train_variant_fast if spec["implementation"] == "fast" else fixtures.train_variant

    def run(epochs: int) -> float:
        with np.errstate(over="ignore", invalid="ignore"):  # as train_fixture does
            start = time.perf_counter()
            train(spec["variant"], X, y, params, hyper, epochs)
            return time.perf_counter() - start

    epochs, seconds = calibrated_runs(run, spec["epochs"], spec["min_seconds"], spec["repeats"])
    peak = proc_status("VmHWM")
    if baseline is None or peak is None:
        raise RuntimeError("the bench worker reads its memory from /proc/self/status, which this system lacks")
    result = {"epochs": epochs, "seconds": seconds, "load_seconds": load_seconds,
              "baseline_mb": baseline / 1024, "peak_mb": peak / 1024,
              "threads": proc_status("Threads")}
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
            settings: Settings) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Time one case with one implementation in both languages, with the same
    number of epochs; returns (row, details, the R worker's result)."""
    py = run_worker("python", write_spec(case, implementation, directory, 1, settings.min_seconds, settings.repeats))
    r = run_worker("r", write_spec(case, implementation, directory, py["epochs"], settings.min_seconds,
                                   settings.repeats))
    if r["epochs"] != py["epochs"]:  # R needed more epochs to last min_seconds: time Python on as many
        py = run_worker("python", write_spec(case, implementation, directory, r["epochs"], 0, settings.repeats))
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
    details = {"case": row["case"], "python_seconds": py["seconds"], "r_seconds": r["seconds"],
               "python_load_seconds": py["load_seconds"], "r_load_seconds": r["load_seconds"],
               "python_baseline_mb": round(py["baseline_mb"], 1), "r_baseline_mb": round(r["baseline_mb"], 1),
               "r_gc_share": round(r["gc_seconds"] / sum(r["seconds"]), 3) if sum(r["seconds"]) > 0 else None,
               "loop_arrays_mb": round(loop_arrays_mib(case), 1), "python_threads": py["threads"],
               "r_threads": r["threads"]}
    return row, details, r


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

def targets(rows: list[dict[str, Any]], details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each target of issue 6 against the fast paths: what was measured, met or
    not, and by how much it misses."""
    fast = {row["case"].rsplit("/", 1)[0]: row for row in rows if row["case"].endswith("/fast")}
    extra = {item["case"]: item for item in details}
    checks = []

    def check(name: str, value: float, limit: float, unit: str = "") -> None:
        checks.append({"target": name, "measured": round(value, 3), "limit": limit, "met": bool(value <= limit),
                       "miss": None if value <= limit else f"{value / limit:.2f}x the limit{unit}"})

    if "article" in fast:
        check("article fixture: Python µs/epoch ≤ 15", fast["article"]["python_us_per_epoch"], TARGET_ARTICLE_US)
        check("article fixture: R/Python ≤ 1.5", fast["article"]["r_over_python"], TARGET_RATIO)
    synthetic = sorted((row for name, row in fast.items() if name.startswith("synthetic-")), key=lambda r: r["n"])
    for row in synthetic:
        check(f"n={row['n']}: R/Python ≤ 1.5", row["r_over_python"], TARGET_RATIO)
    scaling = [row for row in synthetic if 1_000 <= row["n"] <= 100_000]
    if len(scaling) >= 2:
        for language in ("python", "r"):
            costs = [row[f"{language}_ns_per_sample_epoch"] for row in scaling]
            check(f"{language}: ns per sample-epoch, max/min over n=1e3..1e5 ≤ 2", max(costs) / min(costs),
                  TARGET_SCALING)
    largest = synthetic[-1] if synthetic and synthetic[-1]["n"] >= 100_000 else None
    if largest is not None:
        arrays = extra[largest["case"]]["loop_arrays_mb"]
        for language in ("python", "r"):
            peak = largest[f"{language}_peak_mb"]
            baseline = extra[largest["case"]][f"{language}_baseline_mb"]
            check(f"n={largest['n']}: {language} peak memory above start-up ≤ 3× the loop's arrays "
                  f"({arrays:.0f} MiB)", (peak - baseline) / arrays, TARGET_MEMORY)
    return checks


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table (also readable in a terminal)."""
    header = ("| case | n×d, h | epochs | Python µs/epoch | R µs/epoch | R/Python | Python ns/sample-epoch "
              "| R ns/sample-epoch | peak MiB Python, R |")
    lines = [header, "|" + "---|" * 9]
    for row in rows:
        lines.append(f"| {row['case']} | {row['n']}×{row['d']}, {row['h']} | {row['epochs']} "
                     f"| {_figure(row['python_us_per_epoch'])} | {_figure(row['r_us_per_epoch'])} "
                     f"| {row['r_over_python']:.2f} | {_figure(row['python_ns_per_sample_epoch'])} "
                     f"| {_figure(row['r_ns_per_sample_epoch'])} "
                     f"| {row['python_peak_mb']:.0f}, {row['r_peak_mb']:.0f} |")
    return "\n".join(lines)


def _figure(value: float) -> str:
    """Three significant figures, without an exponent."""
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def plot(rows: list[dict[str, Any]], target: str | Path) -> Path:
    """Log-log µs per epoch against n for the synthetic cases, both languages,
    reference and fast path; returns the PNG path."""
    from matplotlib.figure import Figure

    from ..reading.plots import save_figure

    figure = Figure(figsize=(7, 4.5))
    axes = figure.subplots()
    styles = {("python", "fast"): ("C0", "-", "o"), ("r", "fast"): ("C3", "-", "s"),
              ("python", "reference"): ("C0", ":", "o"), ("r", "reference"): ("C3", ":", "s")}
    for (language, implementation), (color, line, marker) in styles.items():
        points = sorted((row["n"], row[f"{language}_us_per_epoch"]) for row in rows
                        if row["case"].startswith("synthetic-") and row["case"].endswith("/" + implementation))
        if points:
            label = f"{'Python (numpy)' if language == 'python' else 'R (base R)'}, {implementation}"
            axes.plot(*zip(*points, strict=True), color=color, linestyle=line, marker=marker, label=label)
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
    rbridge.r_package()  # says what to install when R or the R package is missing
    settings = Settings(quick)
    paths = fixtures.fixture_paths(fixture_dir or resources.data_dir())
    if quick:
        paths = [path for path in paths if path.stem == "article"]
    cases = [fixture_case(path) for path in paths] + [synthetic_case(n) for n in settings.sizes]
    rows, details, r_info = [], [], None
    with tempfile.TemporaryDirectory(prefix="twinnet-bench-") as scratch:
        for index, case in enumerate(cases):
            for implementation in IMPLEMENTATIONS:
                if implementation == "fast" and case["variant"] == "layered":
                    continue  # no fast path: its reference row is the figure
                row, extra, r_info = measure(case, implementation, Path(scratch) / str(index), settings)
                rows.append(row)
                details.append(extra)
                log(f"  {row['case']:<28} Python {_figure(row['python_us_per_epoch']):>8} µs/epoch   "
                    f"R {_figure(row['r_us_per_epoch']):>8} µs/epoch   R/Python {row['r_over_python']:.2f}")
    threads = {"python": details[-1]["python_threads"], "r": details[-1]["r_threads"]}
    assert r_info is not None  # the article fixture (or every fixture) was measured
    document = {"machine": machine(r_info, threads), "rows": rows, "startup": startup_seconds(settings),
                "targets": targets(rows, details), "details": details,
                "settings": {"quick": quick, "min_seconds": settings.min_seconds, "repeats": settings.repeats}}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench.json").write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    plot(rows, out_dir / "bench.png")
    return document


def report(document: dict[str, Any]) -> list[str]:
    """The lines the command prints after measuring."""
    m = document["machine"]
    lines = [f"Machine: {m['cpu']} (family/model {m['cpu_family_model']}, {' '.join(m['cpu_simd'])}), "
             f"{m['cores']} cores, {m['memory_gib']} GiB, {m['os']}",
             f"Python {m['python']}, numpy {m['numpy']} on {m['numpy_blas']} ({m['numpy_blas_threads']} threads); "
             f"{m['r']} on {m['r_blas']}" + (f", {m['r_blas_runtime']}" if m["r_blas_runtime"] else ""),
             f"Start-up (not in the figures): Python {document['startup']['python_seconds']} s, "
             f"R with library(twinnet) {document['startup']['r_seconds']} s", "", table(document["rows"]), "",
             "Targets (fast paths):"]
    for check in document["targets"]:
        status = "met" if check["met"] else f"MISSED: {check['miss']}"
        lines.append(f"  {check['target']}: {check['measured']} ({status})")
    return lines


if __name__ == "__main__":  # a worker: python -m twinnet.maintain.bench SPEC RESULT
    worker(sys.argv[1], sys.argv[2])
