"""Finite-difference gradient checks of backpropagation, for every variant, in
both languages.

One epoch at lr = 1 applies the backprop gradient once: θ' = θ − ∇J, so the
gradient a twin computed is θ − θ'.  J is the function each variant descends:
E = Σ ½(y − output)² = n · loss for ``article`` and ``stepwise``, and the mean
log-loss (= loss) for ``layered``; ``loss[0]`` of a one-epoch run is J at θ.
Central differences of J with step 1e-5 must match θ − θ' to a relative error
below 1e-6 for every element of every parameter, where the relative error is
|a − b| / max(|a| + |b|, 1e-8).  The R side's J and update are the R twin's,
through rpy2; only the differencing is Python.
"""

import numpy as np
import pytest
from conftest import FIXTURE_DIR, FIXTURE_NAMES

from twinnet import fixtures, rbridge
from twinnet.maintain import generate

STEP = 1e-5  # balances truncation (~STEP²) against cancellation (~2e-16·J/STEP) for J up to ~64 (wide)
LIMIT = 1e-6


def one_epoch(language, variant, X, y, params, hyper):
    """(J at params, params after one epoch at lr = 1) in one language."""
    hyper = {**hyper, "lr": 1.0}
    if language == "python":
        trained, loss, _ = fixtures.train_variant(variant, X, y, params, hyper, 1)
    else:
        result = rbridge.call("train_variant", variant, X, y, rbridge.to_r_list(params), rbridge.to_r_list(hyper), 1)
        trained, loss = result["params"], result["loss"]
    scale = 1 if variant == "layered" else len(X)
    return scale * float(loss[0]), {name: np.asarray(value) for name, value in trained.items()}


def worst_relative_errors(language, variant, X, y, params, hyper):
    _, trained = one_epoch(language, variant, X, y, params, hyper)
    worst = {}
    for name, value in params.items():
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            shifted = {key: item.copy() for key, item in params.items()}
            shifted[name][index] += STEP
            above, _ = one_epoch(language, variant, X, y, shifted, hyper)
            shifted[name][index] -= 2 * STEP
            below, _ = one_epoch(language, variant, X, y, shifted, hyper)
            numeric[index] = (above - below) / (2 * STEP)
        gradient = value - trained[name]
        assert gradient.shape == value.shape, f"{language} > {name}: shape {gradient.shape}"
        worst[name] = float(np.max(np.abs(gradient - numeric)
                                   / np.maximum(np.abs(gradient) + np.abs(numeric), 1e-8)))
    return worst


def random_problem(seed, n=7, d=3, h=4):
    """Inputs in [-1, 1] and random 0/1 targets, article variant."""
    state = np.random.RandomState(seed)
    X = state.uniform(-1, 1, size=(n, d))
    y = state.randint(0, 2, size=(n, 1)).astype(float)
    hyper = {"hidden": h, "lr": 0.1}
    return "article", X, y, generate.draw_init("article", seed, d, hyper), hyper


def problem(name):
    if name.startswith("random-"):
        return random_problem(int(name.split("-")[1]))
    fixture = fixtures.read_fixture(FIXTURE_DIR / f"{name}.json")
    return fixture["variant"], fixture["data"]["X"], fixture["data"]["y"], fixture["init"], fixture["hyper"]


@pytest.mark.parametrize("language", ["python", "r"])
@pytest.mark.parametrize("name", FIXTURE_NAMES + ["random-1", "random-2"])
def test_backprop_gradient_matches_finite_differences(language, name):
    worst = worst_relative_errors(language, *problem(name))
    assert max(worst.values()) < LIMIT, f"{language} > {name}: worst relative errors {worst}"

