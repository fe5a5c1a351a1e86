"""Finite-difference gradient checks of backpropagation, for every variant, in
both languages: ``twinnet gradcheck FIXTURE --lang python|r`` and the test suite.

One epoch at lr = 1 applies the backprop gradient once: θ' = θ − ∇J, so the
gradient a twin computed is θ − θ'.  J is the function each variant descends:
E = Σ ½(y − output)² = n · loss for ``article`` and ``stepwise``, and the mean
log-loss (= loss) for ``layered``; ``loss[0]`` of a one-epoch run is J at θ.
Central differences of J with step :data:`STEP` must match θ − θ' to a relative
error below :data:`LIMIT` for every element of every parameter, where the
relative error is |a − b| / max(|a| + |b|, 1e-8).  The R side's J and update
are the R twin's, through rpy2; only the differencing is Python.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import fixtures, rbridge, training

STEP = 1e-5  # balances truncation (~STEP²) against cancellation (~2e-16·J/STEP) for J up to ~64 (wide)
LIMIT = 1e-6
FLOOR = 1e-8
"""The denominator's floor in the relative error, so that two gradients of 0 agree."""


def one_epoch(language: str, variant: str, X: np.ndarray, y: np.ndarray, params: dict, hyper: dict) -> dict:
    """The parameters after one epoch at lr = 1 (θ − ∇J) in one language."""
    hyper = {**hyper, "lr": 1.0}
    if language == "python":
        trained = training.train_variant(variant, X, y, params, hyper, 1)[0]
    else:
        trained = rbridge.call("train_variant", variant, X, y, rbridge.to_r_list(params), rbridge.to_r_list(hyper),
                               1)["params"]
    return {name: np.asarray(value) for name, value in trained.items()}


# J at each of many parameter sets, in one call into R: a call per set spends
# most of its time handing X and y to R again, not in R.
R_OBJECTIVES = """
function(variant, X, y, sets, hyper) {
  vapply(sets, function(params) twinnet::train_variant(variant, X, y, params, hyper, 1L)$loss[[1]], numeric(1))
}
"""


def objectives(language: str, variant: str, X: np.ndarray, y: np.ndarray, sets: list, hyper: dict) -> np.ndarray:
    """J at each parameter set of ``sets`` (the loss of one epoch's forward pass), in one language."""
    hyper = {**hyper, "lr": 1.0}
    if language == "python":
        losses = [training.train_variant(variant, X, y, params, hyper, 1)[1][0] for params in sets]
    else:
        rbridge.r_package()
        from rpy2 import robjects

        r_sets = robjects.ListVector({str(index): rbridge.to_r_list(params) for index, params in enumerate(sets)})
        losses = rbridge.apply(robjects.r(R_OBJECTIVES), variant, X, y, r_sets, rbridge.to_r_list(hyper))
    scale = 1 if variant == "layered" else len(X)  # the article's loss is the mean of ½(y − output)², J its sum
    return scale * np.asarray(losses, dtype=float)


def relative_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a − b| / max(|a| + |b|, FLOOR), elementwise."""
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), FLOOR)


def gradients(language: str, variant: str, X: np.ndarray, y: np.ndarray, params: dict, hyper: dict) -> dict:
    """{name: (backprop gradient, central-difference gradient)} of every parameter."""
    trained = one_epoch(language, variant, X, y, params, hyper)
    shifts, sets = [], []  # every element of every parameter moved by +STEP, then by −STEP
    for name, value in params.items():
        for index in np.ndindex(np.shape(value)):
            shifts.append((name, index))
            for step in (STEP, -STEP):
                shifted = {key: np.array(item, dtype=float) for key, item in params.items()}
                shifted[name][index] += step
                sets.append(shifted)
    J = objectives(language, variant, X, y, sets, hyper)
    numeric = {name: np.zeros_like(value, dtype=float) for name, value in params.items()}
    for (name, index), above, below in zip(shifts, J[0::2], J[1::2], strict=True):
        numeric[name][index] = (above - below) / (2 * STEP)
    found = {}
    for name, value in params.items():
        gradient = value - trained[name]
        if gradient.shape != value.shape:
            raise AssertionError(f"{language} > {name}: shape {gradient.shape}")
        found[name] = (gradient, numeric[name])
    return found


def worst_relative_errors(language: str, variant: str, X: np.ndarray, y: np.ndarray, params: dict,
                          hyper: dict) -> dict:
    """{name: the largest relative error over the parameter's elements}."""
    return {name: float(np.max(relative_error(backprop, numeric)))
            for name, (backprop, numeric) in gradients(language, variant, X, y, params, hyper).items()}


def report(path: str | Path, language: str, limit: float = LIMIT) -> tuple[list, bool]:
    """The lines ``twinnet gradcheck`` prints for a fixture, and whether every element is within ``limit``."""
    fixture = fixtures.read_fixture(path)
    data, variant = fixture["data"], fixture["variant"]
    found = gradients(language, variant, data["X"], data["y"], fixture["init"], fixture["hyper"])
    objective = "the mean log-loss" if variant == "layered" else "E = Σ ½(y − output)²"
    lines = [f"{fixture['name']} ({variant}, {language}): the gradient of {objective} at init, "
             f"backprop against central differences (step {STEP:g})",
             f"{'parameter':<28} {'backprop':>24} {'finite difference':>24} {'relative error':>15}"]
    worst = 0.0
    for name, (backprop, numeric) in found.items():
        errors = relative_error(backprop, numeric)
        worst = max(worst, float(np.max(errors)))
        for index in np.ndindex(backprop.shape):
            label = f"{name}[{','.join(map(str, index))}]"
            lines.append(f"{label:<28} {backprop[index]:>24.17g} {numeric[index]:>24.17g} {errors[index]:>15.3g}")
    ok = worst < limit
    lines.append(f"worst relative error {worst:.3g}: {'below' if ok else 'NOT below'} {limit:g}")
    return lines, ok
