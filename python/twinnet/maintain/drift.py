"""Parity drift: how far apart the two twins' parameters are, epoch after epoch.

Both twins are trained through their ``train_variant`` entry point (Python
``training.train_variant``, R ``twinnet::train_variant`` through rpy2), a few
epochs per call, each call starting from the parameters the previous call
returned.  A training run carries nothing from one epoch to the next but the
parameters, so the chunks reproduce an uninterrupted run bit for bit (a test
checks it), and nothing is added to the twins.

Each R call costs about a millisecond of rpy2 conversion, so long fixtures are
sampled: every epoch up to ``dense``, then every k-th epoch, k chosen so that
there are at most ``points`` samples in all, and always the last epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import fixtures, rbridge, training
from ..types import Params

DENSE = 100
POINTS = 400


@dataclass
class Drift:
    """The drift of one fixture: at each sampled epoch, the largest |Python − R|
    over every parameter element, and the largest |parameter|."""

    fixture: str
    variant: str
    epochs: np.ndarray
    max_abs: np.ndarray
    largest: np.ndarray
    step: int
    dense: int
    python: Params
    r: Params

    @property
    def sampled(self) -> bool:
        """Whether some epochs were skipped."""
        return self.step > 1


def sample_epochs(epochs: int, dense: int = DENSE, points: int = POINTS) -> tuple[list[int], int]:
    """The epochs to compare, and the step k after the first ``dense``."""
    dense = min(dense, epochs)
    step = max(1, math.ceil((epochs - dense) / max(1, points - dense)))
    sampled = list(range(1, dense + 1)) + list(range(dense + step, epochs + 1, step))
    if sampled and sampled[-1] != epochs:
        sampled.append(epochs)
    return sampled, step


def train_chunk(language: str, variant: str, X: np.ndarray, y: np.ndarray, params: Params, hyper: dict[str, Any],
                epochs: int) -> Params:
    """``epochs`` more epochs from ``params`` in one language; the new params."""
    train = training.train_variant if language == "python" else rbridge.train_variant
    return train(variant, X, y, params, hyper, epochs)[0]


def parameter_drift(path: str | Path, epochs: int | None = None, dense: int = DENSE, points: int = POINTS) -> Drift:
    """Train a fixture in both languages chunk by chunk and measure the drift."""
    fixture = fixtures.read_fixture(path)
    X, y, hyper, variant = fixture["data"]["X"], fixture["data"]["y"], fixture["hyper"], fixture["variant"]
    total = hyper["epochs"] if epochs is None else epochs
    sampled, step = sample_epochs(total, dense, points)
    params = {language: dict(fixture["init"]) for language in ("python", "r")}
    max_abs, largest, done = [], [], 0
    for epoch in sampled:
        for language in params:
            params[language] = train_chunk(language, variant, X, y, params[language], hyper, epoch - done)
        done = epoch
        max_abs.append(max(float(np.max(np.abs(params["python"][name] - params["r"][name])))
                           for name in params["python"]))
        largest.append(max(float(np.max(np.abs(value))) for value in params["python"].values()))
    return Drift(fixture["name"], variant, np.array(sampled), np.array(max_abs), np.array(largest),
                 step, min(dense, total), params["python"], params["r"])
