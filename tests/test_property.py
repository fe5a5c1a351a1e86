"""Property-based parity: random fixtures of every variant train to the same
numbers in Python and R.

Fixtures: n 1..64, d 1..16, hidden units 1..16 (1..3 layers for layered), a
random seed for data and initial weights, lr in [1e-3, 0.5], epochs 1..200.

The rule, epoch by epoch: starting from the parameters the Python twin holds
before epoch k, one epoch of the R twin gives the same loss and the same next
parameters as one epoch of the Python twin, for every k:
    max |python − R| ≤ 1e-12 · max(1, max |python|)
for every quantity, that is the parity tolerance scaled to the magnitude of
the values once they exceed 1.

Why epoch by epoch: each twin's epoch differs from the other's by a few ULP,
and in some runs training amplifies that.  The article's gradient is a sum over
samples, so n·lr reaches 32 here; such runs oscillate, saturate sigmoids one
epoch apart in the two languages, and end far apart although every single
epoch agrees.  The whole-run difference is still measured for every example
and reported (with the number of runs it puts beyond the tolerance), never
hidden; the shipped fixtures are held to whole-run parity in test_parity.py.

``make test`` runs a fixed, seeded budget of 30 examples; ``make soak`` sets
TWINNET_PROPERTY_EXAMPLES=1000 and writes out/property-parity.json.
"""

import json
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twinnet import fixtures, parity, rbridge, training
from twinnet.maintain import generate

EXAMPLES = int(os.environ.get("TWINNET_PROPERTY_EXAMPLES", "30"))
REPORT = {"examples": 0, "epochs_compared": 0, "worst_epoch_ratio": 0.0, "worst_epoch": None,
          "worst_run_ratio": 0.0, "worst_run": None, "runs_beyond_tolerance": 0}


@st.composite
def random_fixtures(draw):
    variant = draw(st.sampled_from(fixtures.VARIANTS))
    n, d = draw(st.integers(1, 64)), draw(st.integers(1, 16))
    seed = draw(st.integers(0, 2**32 - 1))
    hyper = {"epochs": draw(st.integers(1, 200)), "lr": draw(st.floats(1e-3, 0.5))}
    if variant == "layered":
        hidden = draw(st.lists(st.integers(1, 16), min_size=0, max_size=2))
        hyper["neurons"] = hidden + [1]
        hyper["activations"] = draw(st.lists(st.sampled_from(fixtures.ACTIVATIONS),  # the output layer
                                             min_size=len(hidden), max_size=len(hidden))) + ["sigmoid"]
    else:
        hyper["hidden"] = draw(st.integers(1, 16))
    state = np.random.RandomState(seed)
    X = state.randint(0, 2, size=(n, d)).astype(float) if draw(st.booleans()) else state.uniform(0, 1, (n, d))
    y = state.randint(0, 2, size=(n, 1)).astype(float)
    return {
        "schema": fixtures.FIXTURE_SCHEMA, "name": f"random-{variant}-{seed}", "variant": variant,
        "description": "drawn by tests/test_property.py",
        "generator": {"program": "tests/test_property.py", "seed": seed, "init": "draw_init", "data": "RandomState"},
        "data": {"X": X.tolist(), "y": y.tolist()}, "hyper": hyper,
        "init": {name: value.tolist() for name, value in generate.draw_init(variant, seed, d, hyper).items()},
    }


def scaled_difference(python, r):
    """max over quantities of max |python − R| / max(1, max |python|)."""
    return max(float(np.max(np.abs(value - r[name])) / max(1.0, float(np.max(np.abs(value)))))
               for name, value in python.items())


# One epoch of the R twin from each of the given parameter sets, in one call
# into R: a call per epoch spends most of its time converting arrays in rpy2,
# not in R.  Each parameter arrives stacked, starts[[name]][k, , ] the start of
# epoch k; one epoch's results go back stacked the same way.
R_EPOCHS = """
function(variant, X, y, starts, hyper) {
  epochs <- dim(starts[[1]])[1]
  steps <- lapply(seq_len(epochs), function(k) {
    params <- lapply(starts, function(stack) array(stack[k, , ], dim = dim(stack)[-1]))
    twinnet::train_variant(variant, X, y, params, hyper, 1L)
  })
  stacked <- lapply(stats::setNames(names(starts), names(starts)), function(name) {
    shape <- dim(starts[[name]])[-1]
    values <- lapply(steps, function(step) step$params[[name]])
    stopifnot(all(vapply(values, function(value) identical(dim(value), shape), logical(1))))
    aperm(array(unlist(values), dim = c(shape, epochs)), c(3, 1, 2))
  })
  c(stacked, list(loss = vapply(steps, function(step) step$loss, numeric(1))))
}
"""


def r_epochs(variant, X, y, starts, hyper):
    """One epoch of the R twin from each parameter set in ``starts``, as the R
    twin's ``train_variant(..., epochs = 1)`` gives it: [{quantity: array}]."""
    rbridge.r_package()
    from rpy2 import robjects
    from rpy2.robjects.conversion import localconverter

    stacks = {name: np.stack([params[name] for params in starts]) for name in starts[0]}
    with localconverter(rbridge.converter()):
        result = robjects.r(R_EPOCHS)(variant, X, y, robjects.ListVector(stacks), rbridge.to_r_list(hyper))
        stacked = {name: np.asarray(value) for name, value in result.items()}
    assert {name: stack.shape for name, stack in stacked.items()} == {
        **{name: stack.shape for name, stack in stacks.items()}, "loss": (len(starts),)}
    return [{name: stack[k] for name, stack in stacked.items()} for k in range(len(starts))]


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    print(f"\nproperty parity: {REPORT['examples']} examples, {REPORT['epochs_compared']} epochs compared; "
          f"worst epoch {REPORT['worst_epoch_ratio']:.3g} ({REPORT['worst_epoch']}); "
          f"worst whole run {REPORT['worst_run_ratio']:.3g} ({REPORT['worst_run']}); "
          f"{REPORT['runs_beyond_tolerance']} whole runs beyond {parity.TOLERANCE:g}")
    if EXAMPLES > 30:  # make soak keeps its report
        out = ROOT / "out"
        out.mkdir(exist_ok=True)
        (out / "property-parity.json").write_text(json.dumps(REPORT, indent=2) + "\n")


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@pytest.mark.needs_r
@given(document=random_fixtures())
def test_random_fixtures_train_alike_in_both_languages(document, tmp_path_factory):
    fixture = fixtures.check_fixture(document)
    variant, hyper = fixture["variant"], fixture["hyper"]
    X, y, params = fixture["data"]["X"], fixture["data"]["y"], fixture["init"]
    REPORT["examples"] += 1
    starts, steps = [], []
    for _ in range(hyper["epochs"]):
        following, loss, _ = training.train_variant(variant, X, y, params, hyper, 1)
        starts.append(params)
        steps.append({**following, "loss": loss})
        params = following
    for epoch, (python, r) in enumerate(zip(steps, r_epochs(variant, X, y, starts, hyper), strict=True)):
        ratio = scaled_difference(python, r)
        REPORT["epochs_compared"] += 1
        if ratio > REPORT["worst_epoch_ratio"]:
            REPORT.update(worst_epoch_ratio=ratio, worst_epoch=f"{document['name']} epoch {epoch + 1}")
        assert ratio <= parity.TOLERANCE, f"{document['name']} > epoch {epoch + 1}: scaled difference {ratio:.3g}"

    path = Path(tmp_path_factory.mktemp("property")) / "fixture.json"
    path.write_text(json.dumps(document))
    python, r = training.train_fixture(path), rbridge.train_fixture(path)
    assert all(value.shape == r["params"][name].shape for name, value in python["params"].items())
    whole_run = scaled_difference(parity.quantities(python), parity.quantities(r))
    REPORT["runs_beyond_tolerance"] += not whole_run <= parity.TOLERANCE  # a NaN is beyond it too
    if whole_run > REPORT["worst_run_ratio"]:
        REPORT.update(worst_run_ratio=whole_run, worst_run=f"{document['name']}, n={len(X)}, hyper {hyper}")
