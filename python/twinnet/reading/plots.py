"""Plots for ``make demo``: per fixture, the loss curves of both languages, the
parity drift between them, and (for 2-feature fixtures) the decision surface."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure  # no pyplot: a Figure draws with Agg to files, headless, with no global state

if TYPE_CHECKING:
    from ..maintain.drift import Drift
    from ..parity import Comparison

LOSS_LABELS = {"layered": "loss: mean log-loss"}
DEFAULT_LOSS_LABEL = "loss: mean ½(y − output)²"


def loss_curves(comparison: Comparison, variant: str, out_dir: str | Path) -> Path:
    """Plot a fixture's loss history in both languages, from its parity
    comparison of ``loss``; returns the PNG path."""
    figure = Figure(figsize=(7, 4.5))
    axes = figure.subplots()
    epochs = range(1, len(comparison.python) + 1)
    axes.plot(epochs, comparison.python, label="Python (numpy)", linewidth=3, alpha=0.6)
    axes.plot(epochs, comparison.r, label="R (base R)", linestyle="--", color="black", linewidth=1)
    axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel(LOSS_LABELS.get(variant, DEFAULT_LOSS_LABEL))
    axes.set_title(f"twinnet · {comparison.fixture}: loss per epoch, Python and R")
    axes.legend()
    axes.grid(True, which="both", alpha=0.3)
    return save_figure(figure, Path(out_dir) / f"loss-{comparison.fixture}.png")


def save_figure(figure: Figure, target: str | Path) -> Path:
    """Lay out a figure and write it as a PNG (its folder created); returns the path.
    Every figure of the project is written here, at one resolution."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    return write_png(figure, target)


def write_png(figure: Any, target: str | Path, dpi: int = 110) -> Path:
    """Render a figure to PNG bytes in memory and write them with :func:`twinnet.results.write_atomic` (a
    symbolic link to a fixture, a device or a FIFO is refused, E_OUTPUT; nothing is half-written)."""
    from .. import results

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return results.write_atomic(target, buffer.getvalue())


ZERO_FLOOR = 1e-18  # where a drift of exactly 0 (bit-identical parameters) is drawn on the log axis


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, …, 21st, 22nd, 23rd."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def parity_drift(drift: Drift, out_dir: str | Path) -> Path:
    """Plot max |Δ| between the languages' parameters per sampled epoch, on a
    log scale, with the tolerance and one ULP of the largest parameter for
    scale; returns the PNG path."""
    from ..parity import TOLERANCE

    figure = Figure(figsize=(7, 4.5))
    axes = figure.subplots()
    nonzero = drift.max_abs > 0
    axes.plot(drift.epochs[nonzero], drift.max_abs[nonzero], ".", markersize=4,
              label="max |Python − R| over all parameters")
    if (~nonzero).any():
        axes.plot(drift.epochs[~nonzero], np.full((~nonzero).sum(), ZERO_FLOOR), "|", color="tab:green",
                  markersize=8, label=f"bit-identical (0, drawn at {ZERO_FLOOR:g})")
    axes.plot(drift.epochs, np.spacing(drift.largest), color="grey", linestyle=":",
              label="1 ULP of the largest |parameter|")
    axes.axhline(TOLERANCE, color="tab:red", linestyle="--", linewidth=1, label=f"parity tolerance {TOLERANCE:g}")
    axes.set_yscale("log")
    axes.set_ylim(ZERO_FLOOR / 3, TOLERANCE * 30)
    axes.set_xlabel("epoch" + (f" (every epoch to {drift.dense}, then every {ordinal(drift.step)})" if drift.sampled
                               else ""))
    axes.set_ylabel("max |Δ| between the languages' parameters")
    axes.set_title(f"twinnet · {drift.fixture}: parity drift, Python vs R, after each epoch")
    axes.legend(fontsize=8, loc="lower right")
    axes.grid(True, which="major", alpha=0.3)
    return save_figure(figure, Path(out_dir) / f"drift-{drift.fixture}.png")


def decision_surface(path: str | Path, out_dir: str | Path, steps: int = 201, margin: float = 0.25) -> Path:
    """Plot the trained network's output over the plane of a 2-feature
    fixture, with its data points and both languages' 0.5 boundaries; returns
    the PNG path."""
    from matplotlib.lines import Line2D

    from .. import fixtures, parity

    fixture = fixtures.read_fixture(path)
    X, y = fixture["data"]["X"], fixture["data"]["y"]
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    u, v = np.meshgrid(np.linspace(low[0], high[0], steps), np.linspace(low[1], high[1], steps))
    grid = np.column_stack([u.ravel(), v.ravel()])
    surfaces = {}
    for language in ("python", "r"):
        params = parity.trained(path, language)["params"]
        surfaces[language] = surface_output(language, fixture, params, grid).reshape(u.shape)
    figure = Figure(figsize=(6.4, 5.2))
    axes = figure.subplots()
    filled = axes.contourf(u, v, surfaces["python"], levels=np.linspace(0, 1, 21), cmap="RdBu_r", alpha=0.8)
    figure.colorbar(filled, ax=axes, label="network output (Python)")
    axes.contour(u, v, surfaces["python"], levels=[0.5], colors="black", linewidths=2.5)
    axes.contour(u, v, surfaces["r"], levels=[0.5], colors="gold", linewidths=1.2, linestyles="--")
    for target, marker, colour in ((0, "o", "tab:blue"), (1, "s", "tab:red")):
        rows = y[:, 0] == target
        axes.scatter(X[rows, 0], X[rows, 1], marker=marker, s=90, c=colour, edgecolors="black", zorder=3,
                     label=f"data, y = {target}")
    handles, _ = axes.get_legend_handles_labels()
    handles += [Line2D([], [], color="black", linewidth=2.5, label="output = 0.5, Python"),
                Line2D([], [], color="gold", linewidth=1.2, linestyle="--", label="output = 0.5, R")]
    axes.legend(handles=handles, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    gap = float(np.max(np.abs(surfaces["python"] - surfaces["r"])))
    axes.set_title(f"twinnet · {fixture['name']}: decision surface of the trained network\n"
                   f"max |Python − R| over the {steps}×{steps} grid: {gap:.1e}", fontsize=10)
    axes.set_xlabel("x₁ (first feature)")
    axes.set_ylabel("x₂ (second feature)")
    axes.set_aspect("equal")
    return save_figure(figure, Path(out_dir) / f"surface-{fixture['name']}.png")


def surface_output(language: str, fixture: dict[str, Any], params: dict[str, np.ndarray],
                   grid: np.ndarray) -> np.ndarray:
    """The output of a trained network on the rows of ``grid``, in one language:
    the variant's own training loop run for 0 epochs."""
    from .. import rbridge, training

    train = training.train_variant if language == "python" else rbridge.train_variant
    return train(fixture["variant"], grid, np.zeros((len(grid), 1)), params, fixture["hyper"], 0)[2]


def fixture_plots(path: str | Path, out_dir: str | Path) -> list[Path]:
    """The demo's plots of one fixture besides its loss curves: the parity
    drift, and the decision surface when the fixture has two features."""
    from .. import fixtures
    from ..maintain import drift

    written = [parity_drift(drift.parameter_drift(path), out_dir)]
    if fixtures.read_fixture(path)["data"]["X"].shape[1] == 2:
        written.append(decision_surface(path, out_dir))
    return written
