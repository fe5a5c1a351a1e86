"""Finite-difference gradient checks of backpropagation, in both languages.

``backward`` returns the descent direction −∂E/∂θ for E = Σ ½(y − output)²
(= n · loss).  Central differences of E, with step 1e-6, must match it to a
relative error below 1e-6 for every element of every parameter, where the
relative error is |a − b| / max(|a| + |b|, 1e-8).  The R side's gradient and
loss are computed by the R twin through rpy2; only the differencing is Python.
"""

import numpy as np
import pytest

from twinnet import article, fixtures, generate, rbridge

from conftest import FIXTURE_DIR, FIXTURE_NAMES

STEP = 1e-6
LIMIT = 1e-6


def python_twin():
    def total_error(X, y, params):
        return len(X) * article.loss(y, article.forward(X, params)[1])

    def descent(X, y, params):
        H, output = article.forward(X, params)
        return article.backward(X, y, params, H, output)

    return total_error, descent


def r_twin():
    def total_error(X, y, params):
        output = rbridge.call("forward", X, params_to_r(params))["output"]
        return len(X) * float(rbridge.call("loss", y, output)[0])

    def descent(X, y, params):
        pass_ = rbridge.call("forward", X, params_to_r(params))
        return rbridge.call("backward", X, y, params_to_r(params), pass_["H"], pass_["output"])

    return total_error, descent


def params_to_r(params):
    from rpy2.robjects import ListVector
    from rpy2.robjects import default_converter, numpy2ri
    from rpy2.robjects.conversion import localconverter

    with localconverter(default_converter + numpy2ri.converter):
        return ListVector({name: np.asarray(params[name], dtype=float) for name in article.PARAM_NAMES})


TWINS = {"python": python_twin, "r": r_twin}


def relative_errors(X, y, params, twin):
    total_error, descent = twin()
    analytic = descent(X, y, params)
    worst = {}
    for name in article.PARAM_NAMES:
        numeric = np.zeros_like(params[name])
        for index in np.ndindex(params[name].shape):
            shifted = {key: value.copy() for key, value in params.items()}
            shifted[name][index] += STEP
            above = total_error(X, y, shifted)
            shifted[name][index] -= 2 * STEP
            below = total_error(X, y, shifted)
            numeric[index] = (above - below) / (2 * STEP)
        gradient = -np.asarray(analytic[name])
        assert gradient.shape == params[name].shape, f"{name}: shape {gradient.shape}"
        worst[name] = np.max(np.abs(gradient - numeric) / np.maximum(np.abs(gradient) + np.abs(numeric), 1e-8))
    return worst


def random_problem(seed, n=7, d=3, h=4):
    state = np.random.RandomState(seed)
    X = state.uniform(-1, 1, size=(n, d))
    y = state.randint(0, 2, size=(n, 1)).astype(float)
    return X, y, generate.draw_init("article", seed, d, {"hidden": h})


@pytest.mark.parametrize("language", sorted(TWINS))
@pytest.mark.parametrize("name", FIXTURE_NAMES + ["random-1", "random-2"])
def test_backward_matches_finite_differences(language, name):
    if name.startswith("random-"):
        X, y, params = random_problem(int(name.split("-")[1]))
    else:
        fixture = fixtures.read_fixture(FIXTURE_DIR / f"{name}.json")
        X, y, params = fixture["data"]["X"], fixture["data"]["y"], fixture["init"]
    worst = relative_errors(X, y, params, TWINS[language])
    assert max(worst.values()) < LIMIT, f"{language} > {name}: relative errors {worst}"
