"""Finite-difference gradient checks of backpropagation, for every variant, in
both languages (the logic is twinnet.reading.gradcheck, shared with
``twinnet gradcheck``).

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
from conftest import FIXTURE_DIR, FIXTURE_NAMES, run_cli

from twinnet import fixtures
from twinnet.maintain import generate
from twinnet.reading.gradcheck import LIMIT, worst_relative_errors


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



@pytest.mark.needs_r
def test_gradcheck_command_prints_backprop_and_finite_differences_side_by_side():
    run = run_cli("gradcheck", "shared_fixtures/xor.json", "--lang", "r")
    assert run.code == 0, run.out + run.err
    lines = run.out.splitlines()
    assert lines[0].startswith("xor (article, r): the gradient of E = Σ ½(y − output)² at init")
    fixture = fixtures.read_fixture(FIXTURE_DIR / "xor.json")
    rows = [line.split() for line in lines[2:-1]]
    assert (rows[0][0], rows[-1][0]) == ("wh[0,0]", "bout[0,0]")
    assert len(rows) == sum(value.size for value in fixture["init"].values())
    for row in rows:
        backprop, numeric, error = map(float, row[-3:])
        assert error < LIMIT and abs(backprop - numeric) <= 1e-6 * max(abs(backprop) + abs(numeric), 1e-8)
    assert lines[-1].startswith("worst relative error ") and lines[-1].endswith(": below 1e-06")
