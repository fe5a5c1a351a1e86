"""Runnable errata: the text's version of a step beside the corrected one.

``twinnet errata ID`` trains the article fixture twice from the same initial
weights: once with the mistake of erratum ID of docs/errata.md switched on in
the article's loop (:data:`TEXT_VERSIONS`, the mistakes of ``twinnet.mistakes``),
once as twinnet does it; it prints
how far apart the two end (parameters, outputs, loss) and plots both loss
curves to ``out/errata-ID.png``.  Only the errata that change results have a
text's version here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import article, fixtures, mistakes, parity, resources


@dataclass(frozen=True)
class TextVersion:
    """What the text says, as the mistakes (``twinnet.mistakes``) it makes in the article's loop."""

    title: str
    says: str
    mistakes: tuple[str, ...] = ()


TEXT_VERSIONS = {
    "A1": TextVersion("The sigmoid formula", "f(x) = 1 / (x(1 − e⁻ˣ))", ("sigmoid-misprint",)),
    "A2": TextVersion("The sigmoid's derivative", "f′(x) = x·(1 − e⁻ˣ)", ("slope-misprint",)),
    "A5": TextVersion("E is the MSE", "E = mean of ½(y − output)², whose gradient is 1/n of the loop's",
                      ("mse-gradient",)),
    "A6": TextVersion("Where the slope is taken", "σ′ evaluated at the activation: σ(a)(1 − σ(a))",
                      ("slope-of-activation",)),
    "A7": TextVersion("Step 7 applies the learning rate twice", "d_output = E · slope_output_layer · lr",
                      ("lr-twice",)),
    "A16": TextVersion("The R code updates the biases with rowSums",
                       "bh = bh + rowSums(d_hiddenlayer)·lr on an n×h bias matrix (one bias row per sample)",
                       ("bias-per-sample",)),
}


def compare(erratum: str, fixture_path: Path | None = None, out_dir: Path = Path("out")) -> list:
    """Train the text's version beside the corrected one; the lines to print (the last names the plot)."""
    version = TEXT_VERSIONS[erratum]
    path = fixture_path or resources.data_dir() / "article.json"
    fixture = fixtures.read_fixture(path)
    data, hyper = fixture["data"], fixture["hyper"]
    epochs, lr = hyper["epochs"], hyper["lr"]
    reference = parity.trained(path, "python")  # the article twin's run, as parity and conform have it
    right = (reference["params"], reference["loss"], reference["output"])
    text = mistakes.train_with(data["X"], data["y"], fixture["init"], epochs, lr, version.mistakes)
    lines = [f"{erratum}. {version.title}. The text: {version.says}.",
             f"{fixture['name']}: {epochs} epochs at lr = {lr:g} from the same initial weights, the text's "
             "version beside twinnet's (corrected):"]
    finite = np.isfinite(text[1])
    if not finite.all():
        lines.append(f"  the text's version diverges: its loss is not a number from epoch {int(np.argmin(finite))}")
    for name in article.PARAM_NAMES:
        gap = float(np.max(np.abs(text[0][name] - right[0][name])))
        lines.append(f"  {name:<6} max |text − corrected| = {gap:.3g}")
    outputs = ", ".join(f"{a:.2f}" for a in text[2].ravel()[:6])
    corrected = ", ".join(f"{a:.2f}" for a in right[2].ravel()[:6])
    lines += [f"  output: text ({outputs}) against corrected ({corrected})",
              f"  final loss: text {text[1][-1]:.6g} against corrected {right[1][-1]:.6g}",
              f"wrote {plot(erratum, version, text[1], right[1], fixture['name'], out_dir)}"]
    return lines


def plot(erratum: str, version: TextVersion, text_loss: np.ndarray, right_loss: np.ndarray, name: str,
         out_dir: Path) -> Path:
    """Both loss curves, out_dir/errata-ID.png."""
    import matplotlib.pyplot as plt

    from . import plots  # headless matplotlib, as for the other plots

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(figsize=(6.4, 3.8))
    axes.plot(right_loss, label="corrected (twinnet)", linewidth=2)
    axes.plot(np.where(np.isfinite(text_loss), text_loss, np.nan), label="the text's version", linestyle="--")
    axes.set(xlabel="epoch", ylabel="loss (mean ½(y − output)²)", yscale="log",
             title=f"{erratum}. {version.title} ({name})")
    axes.legend()
    figure.tight_layout()
    target = out_dir / f"errata-{erratum}.png"
    try:
        plots.write_png(figure, target, dpi=100)
    finally:
        plt.close(figure)
    return target


ERRATUM_HEADING = re.compile(r"^\*\*(?P<id>[AWL]\d+)\. (?P<title>.+?)\*\*(?: \*(?P<note>[^*]+)\*)?")


def listing(errata_md: Path | None = None) -> list:
    """One line per erratum: its id, whether ``twinnet errata ID`` runs it, its title and whether it
    changes results.  Every erratum of ``docs/errata.md`` when the checkout has it, else the runnable ones."""
    found = []
    if errata_md is not None and errata_md.is_file():
        for line in errata_md.read_text(encoding="utf-8").splitlines():
            match = ERRATUM_HEADING.match(line)
            if match:
                title = match["title"].replace("`", "").rstrip(".")
                found.append((match["id"], title, (match["note"] or "").rstrip(".")))
    if not found:
        found = [(key, version.title, "Changes results") for key, version in TEXT_VERSIONS.items()]
    width = max(len(key) for key, _, _ in found)
    lines = []
    for key, title, note in found:
        run = "runs" if key in TEXT_VERSIONS else "    "
        lines.append(f"{key:<{width}}  {run}  {title}" + (f"; {note[0].lower()}{note[1:]}" if note else ""))
    lines.append(f"'runs': twinnet errata ID trains the text's version beside the corrected one "
                 f"({', '.join(TEXT_VERSIONS)}); the others are explained in docs/errata.md.")
    return lines
