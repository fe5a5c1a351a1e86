"""Loss curves for ``make demo``: both languages on one figure per fixture."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: files only, no display
import matplotlib.pyplot as plt  # noqa: E402



LOSS_LABELS = {"layered": "loss: mean log-loss"}
DEFAULT_LOSS_LABEL = "loss: mean ½(y − output)²"


def loss_curves(comparison, variant, out_dir):
    """Plot a fixture's loss history in both languages, from its parity
    comparison of ``loss``; returns the PNG path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(figsize=(7, 4.5))
    epochs = range(1, len(comparison.python) + 1)
    axes.plot(epochs, comparison.python, label="Python (numpy)", linewidth=3, alpha=0.6)
    axes.plot(epochs, comparison.r, label="R (base R)", linestyle="--", color="black", linewidth=1)
    axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel(LOSS_LABELS.get(variant, DEFAULT_LOSS_LABEL))
    axes.set_title(f"twinnet · {comparison.fixture}: loss per epoch, Python and R")
    axes.legend()
    axes.grid(True, which="both", alpha=0.3)
    target = out_dir / f"loss-{comparison.fixture}.png"
    figure.tight_layout()
    figure.savefig(target, dpi=110)
    plt.close(figure)
    return target
