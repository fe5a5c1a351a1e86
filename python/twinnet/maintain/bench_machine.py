"""The machine half of ``python -m twinnet bench``: this machine's rates and
the floor they give (see :mod:`.bench`), PyTorch's loop when asked for, the
start-up times, and what the figures were measured on (CPU, AVX-512 or not,
BLAS and its threads on each side)."""

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

from .. import rbridge

MIB = 1024 * 1024


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

def startup_seconds(settings: Any) -> dict[str, float]:
    """Median wall time to start each language with twinnet loaded, over
    ``settings.startup_repeats`` runs (a :class:`.bench.Settings`)."""
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
        "cpu": cpu, "avx512": "avx512f" in flags,
        "cpu_family_model": f"{cpuinfo.get('cpu family', '?')}/{cpuinfo.get('model', '?')}",
        "cpu_simd": [flag for flag in ("sse2", "avx2", "fma", "avx512f") if flag in flags],
        "cores": os.cpu_count(), "load_average": [round(load, 2) for load in os.getloadavg()],
        "memory_gib": round(memory / MIB, 1), "os": os_name,
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


