"""The page half of ``python -m twinnet bench``: the targets, the table, the
plot, the lines printed after measuring, and the table region of the
benchmark page, all from the ``bench.json`` document (:mod:`.bench` measures)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import results

# The targets; they apply to the fast paths.
TARGET_ARTICLE_US = 15.0
TARGET_RATIO = 1.5
TARGET_FLOOR = 1.5
TARGET_FLOOR_FROM_N = 10_000
TARGET_LAYERED_SPEEDUP = 3.0
TARGET_MEMORY = 1.5


TARGET_FAST_OVER_PLAIN = 0.9
SYNTHETIC_D, SYNTHETIC_H = 32, 64  # the synthetic cases' inputs and hidden units (bench.synthetic_case)
PAGE_START, PAGE_END = "<!-- bench:table:start -->", "<!-- bench:table:end -->"


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
    for name, row in fast.items():
        if row.get("fast_over_plain") is not None:
            check(f"{name}: Python fast / plain numpy loop ≤ {TARGET_FAST_OVER_PLAIN}", row["fast_over_plain"],
                  TARGET_FAST_OVER_PLAIN)
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
              "| R ns/sample-epoch | peak MiB Python, R | floor µs/epoch | Python/floor | Python fast/plain |")
    lines = [header, "|" + "---|" * 12]
    for row in rows:
        lines.append(f"| {row['case']} | {row['n']}×{row['d']}, {row['h']} | {row['epochs']} "
                     f"| {_figure(row['python_us_per_epoch'])} | {_figure(row['r_us_per_epoch'])} "
                     f"| {row['r_over_python']:.2f} | {_figure(row['python_ns_per_sample_epoch'])} "
                     f"| {_figure(row['r_ns_per_sample_epoch'])} | {row['python_peak_mb']:.0f}, {row['r_peak_mb']:.0f} "
                     f"| {_figure(row['floor_us_per_epoch'])} | {row['python_over_floor']:.1f} "
                     f"| {'' if row.get('fast_over_plain') is None else format(row['fast_over_plain'], '.2f')} |")
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


def report(document: dict[str, Any]) -> list[str]:
    """The lines the command prints after measuring."""
    lines = [*machine_lines(document["machine"]),
             f"Start-up (not in the figures): Python {document['startup']['python_seconds']} s, "
             f"R with library(twinnet) {document['startup']['r_seconds']} s",
             f"Floor rates: GEMM {document['floor']['gemm_gflops']} GFLOP/s, copy {document['floor']['copy_gb_s']} "
             f"GB/s, numpy exp {document['floor']['exp_ns']} ns/element (R's exp {document['floor']['r_exp_ns']} ns); "
             f"floor = {document['floor']['model']}", "", table(document["rows"]), ""]
    if document.get("pytorch"):
        torch = document["pytorch"]
        lines += [f"PyTorch {torch['torch']} CPU, float64, {torch['threads']} threads, the same loop: "
                  + ", ".join(f"n={item['n']} {_figure(item['us_per_epoch'])} µs/epoch" for item in torch["rows"]), ""]
    lines += ["Targets (fast paths):"]
    for check in document["targets"]:
        status = "met" if check["met"] else f"MISSED: {check['miss']}"
        lines.append(f"  {check['target']}: {check['measured']} ({status})")
    return lines




def machine_lines(m: dict[str, Any]) -> list[str]:
    """The machine the figures were measured on, in two lines: CPU (AVX-512 or
    not), cores, memory, system; Python, numpy and its BLAS with its threads,
    R and its BLAS."""
    return [f"Machine: {m['cpu']} (family/model {m['cpu_family_model']}, "
            f"{'AVX-512' if m.get('avx512') else 'no AVX-512'}; {' '.join(m['cpu_simd'])}), "
            f"{m['cores']} cores (load average {' '.join(map(str, m.get('load_average', [])))} at the end), "
            f"{m['memory_gib']} GiB, {m['os']}",
            f"Python {m['python']}, numpy {m['numpy']} on {m['numpy_blas']} ({m['numpy_blas_threads']} threads); "
            f"{m['r']} on {m['r_blas']}" + (f", {m['r_blas_runtime']}" if m["r_blas_runtime"] else "")]


def page_region(document: dict[str, Any]) -> str:
    """What the benchmark page holds between its markers: the machine, the
    table and the targets, all from ``document``."""
    lines = ["Measured by `make bench` on this machine:", "", *(f"- {line}" for line in machine_lines(
        document["machine"])), "", table(document["rows"]), "", "Targets (fast paths):", ""]
    for check in document["targets"]:
        status = "met" if check["met"] else f"missed: {check['miss']}"
        lines.append(f"- {check['target']}: {check['measured']} ({status})")
    return "\n".join(lines)


def write_page(document: dict[str, Any], path: str | Path) -> Path:
    """Rewrite only the region between ``PAGE_START`` and ``PAGE_END`` of the
    page at ``path`` (the markers appended when missing; the page created with
    a title when missing), atomically."""
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark\n"
    if PAGE_START not in text or PAGE_END not in text.split(PAGE_START, 1)[1]:
        text = text.rstrip("\n") + f"\n\n{PAGE_START}\n{PAGE_END}\n"
    before, rest = text.split(PAGE_START, 1)
    after = rest.split(PAGE_END, 1)[1]
    return results.write_atomic(path, f"{before}{PAGE_START}\n{page_region(document)}\n{PAGE_END}{after}")
