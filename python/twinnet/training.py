"""Training a fixture: the variant's own loop, a budget checked first, divergence refused after.

Twin of ``r/R/training.R``.  :func:`train_fixture` reads a fixture
(``fixtures.read_fixture``), refuses a run past the memory or work budget
before it starts (:func:`check_budget`, from :func:`estimate_cost`), trains the
fixture's variant with its own loop (:func:`train_variant`: ``article``,
``stepwise`` or ``layered``, or their fast paths) and refuses a run that
diverged; it returns a ``twinnet-result/1`` dict for ``results.write_result``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from . import article, layered, stepwise
from . import fast as fast_paths
from .fixtures import (
    MAX_EPOCHS,
    MAX_MAGNITUDE,
    MAX_MEMORY_GIB,
    MAX_WORK,
    RESULT_SCHEMA,
    _is_number,
    param_shapes,
    read_fixture,
)
from .safejson import FixtureError
from .types import Params, Trained


def train_variant(variant: str, X: np.ndarray, y: np.ndarray, params: Params, hyper: dict[str, Any],
                  epochs: int, fast: bool = False) -> Trained:
    """(params, loss, output) from the variant's own training loop, or with
    ``fast=True`` from its fast path (``fast.py``: within the parity tolerance
    of the readable twin, not bit for bit)."""
    if variant == "layered":
        train_layered = fast_paths.train_layered_fast if fast else layered.train_layered
        return train_layered(X, y, params, hyper["activations"], epochs, hyper["lr"])
    if variant == "stepwise":
        train = fast_paths.train_stepwise_fast if fast else stepwise.train_stepwise
    else:
        train = fast_paths.train_fast if fast else article.train
    return train(X, y, params, epochs, hyper["lr"])


def train_fixture(path: str | Path, epochs: int | None = None, max_memory: float = MAX_MEMORY_GIB) -> dict[str, Any]:
    """Train the fixture's variant and return a ``twinnet-result/1`` dict.

    ``epochs`` overrides ``hyper.epochs`` (the fixture's ``expected`` values
    then no longer apply); ``max_memory`` is the budget in GiB (see
    :func:`check_budget`)."""
    fixture = read_fixture(path)
    hyper = fixture["hyper"]
    epochs = int(hyper["epochs"]) if epochs is None else epochs
    if isinstance(epochs, bool) or not isinstance(epochs, int) or not 0 <= epochs <= MAX_EPOCHS:
        raise FixtureError("E_HYPER", f"epochs: expected a whole number from 0 to {MAX_EPOCHS}")
    data = fixture["data"]
    n, d = data["X"].shape
    check_budget(fixture["variant"], n, d, hyper, epochs, max_memory)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below, once
        params, loss, output = train_variant(fixture["variant"], data["X"], data["y"], fixture["init"], hyper, epochs)
    _check_converging(loss, params)
    return {
        "schema": RESULT_SCHEMA,
        "fixture": fixture["name"],
        "language": "python",
        "params": params,
        "loss": loss,
        "output": output,
    }


def estimate_cost(variant: str, n: int, d: int, hyper: dict, epochs: int) -> tuple[float, float]:
    """(bytes, multiply-adds) a training run holds and does, roughly: the data
    (X twice, as some variants transpose it), the parameters three times (initial,
    current, gradient), eight n x units working arrays (pre-activations,
    activations, deltas, temporaries; units counts every layer's neurons, the
    output's too) and the loss; three passes over every parameter for each
    sample and epoch. The same formula in R, so both refuse the same runs."""
    parameters = sum(rows * columns for rows, columns in param_shapes(variant, d, hyper).values())
    units = sum(int(size) for size in hyper["neurons"]) if variant == "layered" else int(hyper["hidden"]) + 1
    doubles = 2.0 * n * d + 2.0 * n + 3.0 * parameters + 8.0 * n * units + epochs
    return 8.0 * doubles, 3.0 * epochs * n * parameters


def check_budget(variant: str, n: int, d: int, hyper: dict, epochs: int, max_memory: float = MAX_MEMORY_GIB) -> None:
    """Refuse (E_BUDGET), before training, a run whose :func:`estimate_cost`
    is past ``max_memory`` GiB or MAX_WORK multiply-adds."""
    if isinstance(max_memory, bool) or not _is_number(max_memory) or max_memory <= 0:
        raise FixtureError("E_HYPER", "max_memory: expected a finite number of GiB > 0")
    memory, work = estimate_cost(variant, n, d, hyper, epochs)
    if memory > max_memory * 2**30:
        raise FixtureError("E_BUDGET", f"training needs about {memory / 2**30:.1f} GiB; the limit is "
                                       f"{max_memory:g} GiB; raise it with --max-memory")
    if work > MAX_WORK:
        raise FixtureError("E_BUDGET", f"training needs about {work:.1e} multiply-adds, hours of computing; "
                                       f"the limit is {MAX_WORK:.0e}; lower the epochs")


def _check_converging(loss, params):
    """Refuse a run that diverged: name the first epoch whose loss is not
    finite, or the parameter that is not finite after the last epoch."""
    bad = np.flatnonzero(~np.isfinite(loss))
    if len(bad):
        raise FixtureError("E_DIVERGED", f"loss[{bad[0]}]: not finite: training diverged at epoch {bad[0] + 1} "
                                         "(try a smaller hyper.lr)")
    for name, value in params.items():
        if not np.isfinite(value).all():
            raise FixtureError("E_DIVERGED", f"params.{name}: not finite after epoch {len(loss)}: "
                                             "training diverged (try a smaller hyper.lr)")
    for name, value in params.items():  # finite but absurd: an lr of 1e308 moves nothing but the weights
        if value.size and np.abs(value).max() > MAX_MAGNITUDE:
            raise FixtureError("E_DIVERGED", f"params.{name}: larger than {MAX_MAGNITUDE:g} in magnitude after "
                                             f"epoch {len(loss)}: training diverged (try a smaller hyper.lr)")
