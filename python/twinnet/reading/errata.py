"""Runnable errata: the text's version of a step beside the corrected one.

``twinnet errata ID`` trains the article fixture twice from the same initial
weights: once with the mistake of erratum ID of docs/errata.md written into
the article's loop (:data:`TEXT_VERSIONS`), once as twinnet does it; it prints
how far apart the two end (parameters, outputs, loss) and plots both loss
curves to ``out/errata-ID.png``.  Only the errata that change results have a
text's version here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import article, fixtures, resources


@dataclass(frozen=True)
class TextVersion:
    """What the text says, as changes to the article's loop."""

    title: str
    says: str
    sigmoid: Callable = article.sigmoid
    slope: Callable = article.derivatives_sigmoid  # applied to the activations, as the loop does
    delta_factor: Callable = field(default=lambda lr, n: 1.0)  # multiplies d_output (Step 7)
    bias_per_sample: bool = False  # the published R code: n×h bias matrices updated with rowSums


def _misprinted_sigmoid(x):
    with np.errstate(all="ignore"):
        return 1 / (x * (1 - np.exp(-x)))


def _text_slope(a):
    with np.errstate(all="ignore"):
        return a * (1 - np.exp(-a))


TEXT_VERSIONS = {
    "A1": TextVersion("The sigmoid formula", "f(x) = 1 / (x(1 − e⁻ˣ))", sigmoid=_misprinted_sigmoid),
    "A2": TextVersion("The sigmoid's derivative", "f′(x) = x·(1 − e⁻ˣ)", slope=_text_slope),
    "A5": TextVersion("E is the MSE", "E = mean of ½(y − output)², whose gradient is 1/n of the loop's",
                      delta_factor=lambda lr, n: 1 / n),
    "A6": TextVersion("Where the slope is taken", "σ′ evaluated at the activation: σ(a)(1 − σ(a))",
                      slope=lambda a: article.sigmoid(a) * (1 - article.sigmoid(a))),
    "A7": TextVersion("Step 7 applies the learning rate twice", "d_output = E · slope_output_layer · lr",
                      delta_factor=lambda lr, n: lr),
    "A16": TextVersion("The R code updates the biases with rowSums",
                       "bh = bh + rowSums(d_hiddenlayer)·lr on an n×h bias matrix (one bias row per sample)",
                       bias_per_sample=True),
}


def train_text(version: TextVersion, X: np.ndarray, y: np.ndarray, params: dict, epochs: int,
               lr: float) -> tuple:
    """(params, loss, output) of the article's loop with the text's mistake; biases per
    sample are written as their first row, as the published R code's results are read."""
    n = len(X)
    p = {name: np.array(value, dtype=float) for name, value in params.items()}
    if version.bias_per_sample:
        p["bh"], p["bout"] = np.repeat(p["bh"], n, axis=0), np.repeat(p["bout"], n, axis=0)
    loss = np.empty(epochs)

    def forward(p: dict) -> tuple:
        H = version.sigmoid(X @ p["wh"] + p["bh"])
        return H, version.sigmoid(H @ p["wout"] + p["bout"])

    with np.errstate(all="ignore"):
        for epoch in range(epochs):
            H, output = forward(p)
            loss[epoch] = np.mean((y - output) ** 2 / 2)
            d_output = (y - output) * version.slope(output) * version.delta_factor(lr, n)
            d_hidden = d_output @ p["wout"].T * version.slope(H)
            p["wout"] = p["wout"] + H.T @ d_output * lr
            p["wh"] = p["wh"] + X.T @ d_hidden * lr
            if version.bias_per_sample:  # rowSums: each sample's deltas summed over the units, down the columns
                p["bout"] = p["bout"] + d_output.sum(axis=1, keepdims=True) * lr
                p["bh"] = p["bh"] + d_hidden.sum(axis=1, keepdims=True) * lr
            else:
                p["bout"] = p["bout"] + d_output.sum(axis=0, keepdims=True) * lr
                p["bh"] = p["bh"] + d_hidden.sum(axis=0, keepdims=True) * lr
        _, output = forward(p)
    if version.bias_per_sample:
        p["bh"], p["bout"] = p["bh"][:1], p["bout"][:1]
    return p, loss, output


def compare(erratum: str, fixture_path: Path | None = None, out_dir: Path = Path("out")) -> list:
    """Train the text's version beside the corrected one; the lines to print (the last names the plot)."""
    version = TEXT_VERSIONS[erratum]
    fixture = fixtures.read_fixture(fixture_path or resources.data_dir() / "article.json")
    data, hyper = fixture["data"], fixture["hyper"]
    epochs, lr = hyper["epochs"], hyper["lr"]
    right = article.train(data["X"], data["y"], fixture["init"], epochs, lr)
    text = train_text(version, data["X"], data["y"], fixture["init"], epochs, lr)
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
