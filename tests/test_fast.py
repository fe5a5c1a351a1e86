"""The fast paths (fast.py, fast.R) against their readable references, bit for
bit, and the two fast twins against each other: the same functions in the
same order, the same step markers.  The R fast path's own equality tests are
in r/tests/testthat/test-fast.R; here it is checked against Python within the
parity tolerance."""

import numpy as np
import pytest
from conftest import FIXTURE_DIR, FIXTURE_NAMES, trained

from twinnet import fast, fixtures, parity, rbridge
from twinnet.reading import steps

FAST_TWINS = {"python": "python/twinnet/fast.py", "r": "r/R/fast.R"}


def assert_bit_identical(fast_result, reference, label):
    (fast_params, fast_loss, fast_output), (params, loss, output) = fast_result, reference
    assert list(fast_params) == list(params), label
    for name in params:
        assert fast_params[name].shape == params[name].shape, f"{label} > {name}: shape"
        assert np.array_equal(fast_params[name], params[name]), \
            f"{label} > {name}: max ULP {parity.ulp_distance(fast_params[name], params[name]).max()}"
    assert np.array_equal(fast_loss, loss), f"{label} > loss"
    assert fast_output.shape == output.shape and np.array_equal(fast_output, output), f"{label} > output"


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_python_fast_path_is_its_reference_bit_for_bit(name):
    fixture = fixtures.read_fixture(FIXTURE_DIR / f"{name}.json")
    hyper, data = fixture["hyper"], fixture["data"]
    reference = trained(name, "python")  # the reference twin, trained once per session
    result = fast.train_variant_fast(fixture["variant"], data["X"], data["y"], fixture["init"], hyper,
                                     int(hyper["epochs"]))
    assert_bit_identical(result, (reference["params"], reference["loss"], reference["output"]), name)


@pytest.mark.parametrize("shape", [(1, 1, 1), (7, 3, 5), (300, 9, 4), (64, 32, 64)])
@pytest.mark.parametrize("variant", ["article", "stepwise"])
def test_python_fast_path_is_its_reference_on_random_problems(variant, shape):
    n, d, h = shape
    random = np.random.RandomState(n * 1000 + d * 10 + h)
    X, y = random.standard_normal((n, d)), random.uniform(size=(n, 1))
    if variant == "article":
        params = {"wh": random.standard_normal((d, h)), "bh": random.standard_normal((1, h)),
                  "wout": random.standard_normal((h, 1)), "bout": random.standard_normal((1, 1))}
    else:
        params = {"weights_input_hidden": random.standard_normal((d, h)),
                  "weights_hidden_output": random.standard_normal((h, 1))}
    before = {name: value.copy() for name, value in params.items()}
    for epochs in (0, 1, 25):
        reference = fixtures.train_variant(variant, X, y, params, {"lr": 0.05}, epochs)
        result = fast.train_variant_fast(variant, X, y, params, {"lr": 0.05}, epochs)
        assert_bit_identical(result, reference, f"{variant} {shape}, {epochs} epochs")
    assert all(np.array_equal(params[name], before[name]) for name in params)  # arguments left alone


@pytest.mark.parametrize("name", ["article", "stepwise", "wide"])
def test_r_fast_path_agrees_with_python_within_the_tolerance(name):
    path = FIXTURE_DIR / f"{name}.json"
    fixture = fixtures.read_fixture(path)
    r = rbridge.call("train_variant_fast", fixture["variant"], fixture["data"]["X"], fixture["data"]["y"],
                     rbridge.to_r_list(fixture["init"]), rbridge.to_r_list(fixture["hyper"]),
                     int(fixture["hyper"]["epochs"]))
    python = trained(name, "python")
    for name_, value in python["params"].items():
        assert np.max(np.abs(np.asarray(r["params"][name_]) - value)) <= parity.TOLERANCE, name_
    assert np.max(np.abs(np.asarray(r["loss"]) - python["loss"])) <= parity.TOLERANCE
    assert np.max(np.abs(np.asarray(r["output"]) - python["output"])) <= parity.TOLERANCE


def public_functions(language):
    lines = steps.read_lines(FAST_TWINS[language])
    spans = steps._python_definitions(lines) if language == "python" else steps._r_definitions(lines)
    names = [name for name, _, _ in spans]
    if language == "python":  # functions only, not the module's constants
        names = [name for name in names if name.islower() and not name.startswith("_")]
    return names


def test_fast_twins_have_the_same_functions_in_the_same_order():
    python, r = public_functions("python"), public_functions("r")
    assert python == r == ["train_variant_fast", "train_fast", "train_stepwise_fast"]


def test_fast_twins_have_the_same_step_markers():
    python, r = (steps.find_markers(steps.read_lines(FAST_TWINS[language])) for language in steps.LANGUAGES)
    assert steps.marker_problems(python, r, FAST_TWINS["python"], FAST_TWINS["r"]) == []
    assert len(python) == 11 + 12  # article Steps 1-11, walk-through Steps 0-11
