"""The fast paths (fast.py, fast.R) against their readable references within
the parity tolerance, epoch by epoch, and the two fast twins against each
other: the same functions in the same order, the same step markers.

The proof is epoch by epoch: from the same parameters, one epoch of the fast
path and one of the reference agree within 1e-12·max(1, |value|) in every
parameter, the loss and the output, along the whole training of every shipped
fixture (every epoch up to 100, then every 20th: the reference walks the
fixture's training) and at every epoch of random problems, with
one block, several blocks, one-row blocks, one thread and two.  The R fast
path's own tests are in r/tests/testthat/test-fast.R; here it is checked
against Python within the parity tolerance."""

import os

import numpy as np
import pytest
from conftest import FIXTURE_DIR, FIXTURE_NAMES, trained

from twinnet import fast, fixtures, parity, rbridge, safejson, training
from twinnet.reading import steps

FAST_TWINS = {"python": "python/twinnet/fast.py", "r": "r/R/fast.R"}
RELATIVE = 1e-12  # |fast − reference| ≤ RELATIVE · max(1, |reference|)


def assert_close(result, reference, label):
    """Every parameter, the loss and the output within RELATIVE·max(1, |value|), names and shapes alike."""
    (fast_params, fast_loss, fast_output), (params, loss, output) = result, reference
    assert list(fast_params) == list(params), label
    pairs = [*((name, fast_params[name], params[name]) for name in params), ("loss", fast_loss, loss),
             ("output", fast_output, output)]
    for name, value, expected in pairs:
        value, expected = np.asarray(value), np.asarray(expected)
        assert value.shape == expected.shape, f"{label} > {name}: shape {value.shape} != {expected.shape}"
        excess = np.abs(value - expected) - RELATIVE * np.maximum(1, np.abs(expected))
        assert np.all(excess <= 0), f"{label} > {name}: off by {np.max(np.abs(value - expected)):.3g}"


def epoch_by_epoch(variant, X, y, params, hyper, epochs, label, every=1, **options):
    """Walk the reference ``epochs`` epochs; from the parameters before each
    epoch (every epoch up to 100, then every ``every``-th), one epoch of the
    fast path (with ``options``) must agree with one epoch of the reference.
    Returns how many epochs were checked."""
    train_fast = {"article": fast.train_fast, "stepwise": fast.train_stepwise_fast}.get(variant)
    checked = epoch = 0
    while epoch < epochs:
        reference = training.train_variant(variant, X, y, params, hyper, 1)
        if variant == "layered":
            result = fast.train_layered_fast(X, y, params, hyper["activations"], 1, hyper["lr"], **options)
        else:
            result = train_fast(X, y, params, 1, hyper["lr"], **options)
        assert_close(result, reference, f"{label}, epoch {epoch + 1}")
        checked += 1
        stride = 1 if epoch < 100 else min(every, epochs - epoch)
        params = reference[0] if stride == 1 else training.train_variant(variant, X, y, params, hyper, stride)[0]
        epoch += stride
    return checked


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_python_fast_path_agrees_with_its_reference_at_every_epoch_of_every_fixture(name):
    fixture = fixtures.read_fixture(FIXTURE_DIR / f"{name}.json")
    hyper, data = fixture["hyper"], fixture["data"]
    epochs = int(hyper["epochs"])
    with np.errstate(over="ignore"):
        checked = epoch_by_epoch(fixture["variant"], data["X"], data["y"], fixture["init"], hyper, epochs, name,
                                 every=20)
        whole = training.train_variant(fixture["variant"], data["X"], data["y"], fixture["init"], hyper, epochs,
                                       fast=True)
    assert checked == min(epochs, 100) + -(-max(epochs - 100, 0) // 20) > 0
    # over the whole run too: gradient descent is contractive, the differences stay at the rounding level
    reference = trained(name, "python")
    assert_close(whole, (reference["params"], reference["loss"], reference["output"]), f"{name}, whole run")


def random_article(random, n, d, h):
    return {"wh": random.standard_normal((d, h)), "bh": random.standard_normal((1, h)),
            "wout": random.standard_normal((h, 1)), "bout": random.standard_normal((1, 1))}


@pytest.mark.parametrize("options", [{}, {"block_rows": 1}, {"block_rows": 7, "threads": 2}, {"threads": 2}])
@pytest.mark.parametrize("shape", [(1, 1, 1), (7, 3, 5), (300, 9, 4), (64, 32, 64), (1100, 5, 3)])
def test_python_article_fast_path_agrees_on_random_problems(shape, options):
    n, d, h = shape
    random = np.random.RandomState(n * 1000 + d * 10 + h)
    X, y = random.standard_normal((n, d)), random.uniform(size=(n, 1))
    params = random_article(random, n, d, h)
    before = {name: value.copy() for name, value in params.items()}
    assert epoch_by_epoch("article", X, y, params, {"lr": 0.05}, 4, f"article {shape} {options}", **options) == 4
    untrained = fast.train_fast(X, y, params, 0, 0.05, **options)  # 0 epochs: the untrained output
    assert_close(untrained, training.train_variant("article", X, y, params, {"lr": 0.05}, 0), "0 epochs")
    assert all(np.array_equal(params[name], before[name]) for name in params)  # arguments left alone


@pytest.mark.parametrize("shape", [(1, 1, 1), (9, 4, 6), (200, 12, 3)])
def test_python_stepwise_fast_path_agrees_on_random_problems(shape):
    n, d, h = shape
    random = np.random.RandomState(n + d + h)
    X, y = random.standard_normal((n, d)), random.uniform(size=(n, 1))
    params = {"weights_input_hidden": random.standard_normal((d, h)),
              "weights_hidden_output": random.standard_normal((h, 1))}
    assert epoch_by_epoch("stepwise", X, y, params, {"lr": 0.05}, 4, f"stepwise {shape}") == 4


def random_layered(random, d, neurons):
    params, inputs = {}, d
    for layer, size in enumerate(neurons, start=1):
        params[f"W{layer}"], params[f"b{layer}"] = random.standard_normal((size, inputs)), random.normal(size=(size, 1))
        inputs = size
    return params


@pytest.mark.parametrize("options", [{}, {"block_rows": 1}, {"block_rows": 5, "threads": 2}])
@pytest.mark.parametrize(("n", "d", "neurons", "activations"), [
    (1, 1, [1], ["sigmoid"]), (4, 2, [3, 1], ["tanh", "sigmoid"]), (50, 3, [6, 4, 1], ["sigmoid", "tanh", "sigmoid"]),
    (700, 8, [16, 1], ["tanh", "sigmoid"]), (30, 3, [5, 1, 3, 1], ["tanh", "sigmoid", "tanh", "sigmoid"])])
def test_python_layered_fast_path_agrees_on_random_problems(n, d, neurons, activations, options):
    random = np.random.RandomState(n + d + len(neurons))
    X, y = random.standard_normal((n, d)), (random.uniform(size=(n, 1)) > 0.5).astype(float)
    params = random_layered(random, d, neurons)
    hyper = {"lr": 0.5, "activations": activations}
    assert epoch_by_epoch("layered", X, y, params, hyper, 4, f"layered {neurons} {options}", **options) == 4
    untrained = fast.train_layered_fast(X, y, params, activations, 0, 0.5, **options)
    assert_close(untrained, training.train_variant("layered", X, y, params, hyper, 0), "0 epochs")


def test_a_saturated_output_gives_the_clipped_loss_in_both():
    """An output of exactly 0 or 1 is clipped inside the log-loss: finite, as in the reference."""
    X, y = np.array([[40.0], [-40.0]]), np.array([[0.0], [1.0]])
    params = {"W1": np.array([[30.0]]), "b1": np.zeros((1, 1))}
    hyper = {"lr": 0.1, "activations": ["sigmoid"]}
    with np.errstate(over="ignore"):
        assert_close(fast.train_layered_fast(X, y, params, ["sigmoid"], 1, 0.1),
                     training.train_variant("layered", X, y, params, hyper, 1), "saturated")
    assert np.isfinite(fast.train_layered_fast(X, y, params, ["sigmoid"], 1, 0.1)[1]).all()


def test_block_rows_must_be_positive():
    with pytest.raises(ValueError, match="block_rows"):
        fast.train_fast(np.ones((2, 1)), np.ones((2, 1)), random_article(np.random.RandomState(0), 2, 1, 1), 1, 0.1,
                        block_rows=0)


def test_one_thread_unless_twinnet_threads_asks_for_more(monkeypatch):
    monkeypatch.delenv("TWINNET_THREADS", raising=False)
    assert fast.threads_for(100, 64) == fast.threads_for(100_000, 64) == 1
    monkeypatch.setenv("TWINNET_THREADS", "2")
    assert fast.threads_for(100, 64) == 1  # n·h below 2¹⁵: a pool's hand-off costs more than it saves
    assert fast.threads_for(100_000, 64) == min(2, os.cpu_count() or 1)
    monkeypatch.setenv("TWINNET_THREADS", "1000")
    assert fast.threads_setting() == os.cpu_count()  # capped at the cores


THREADS_MESSAGE = "E_USAGE: TWINNET_THREADS: must be a positive integer (at most the number of cores), got '{}'"


@pytest.mark.needs_r
@pytest.mark.parametrize("value", ["two", "0", "-1", "1.5", " 2"])
def test_a_bad_twinnet_threads_is_one_e_usage_error_in_both_languages(monkeypatch, value):
    monkeypatch.setenv("TWINNET_THREADS", value)
    problem = random_article(np.random.RandomState(0), 3, 2, 2)
    with pytest.raises(safejson.FixtureError) as python:
        fast.train_fast(np.ones((3, 2)), np.ones((3, 1)), problem, 1, 0.1)
    assert (python.value.code, str(python.value)) == ("E_USAGE", THREADS_MESSAGE.format(value))
    with pytest.raises(safejson.FixtureError) as layered:
        fast.train_layered_fast(np.ones((3, 2)), np.ones((3, 1)), {"W1": np.ones((1, 2)), "b1": np.zeros((1, 1))},
                                ["sigmoid"], 1, 0.1)
    assert str(layered.value) == str(python.value)
    rbridge.r_package()
    from rpy2 import robjects
    from rpy2.rinterface_lib.embedded import RRuntimeError

    robjects.r["Sys.setenv"](TWINNET_THREADS=value)
    try:
        with pytest.raises(RRuntimeError) as raised:
            rbridge.call("train_fast", np.ones((3, 2)), np.ones((3, 1)), rbridge.to_r_list(problem), 1, 0.1)
    finally:
        robjects.r["Sys.unsetenv"]("TWINNET_THREADS")
    r = rbridge.fixture_error_from_r(raised.value)
    assert (r.code, str(r)) == ("E_USAGE", str(python.value))


def test_a_bad_twinnet_threads_stops_the_cli_with_one_line_and_status_2(monkeypatch, tmp_path, capsys):
    from twinnet import cli

    monkeypatch.setenv("TWINNET_THREADS", "two")
    assert cli.main(["bench", "--quick", "--out-dir", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"twinnet: {THREADS_MESSAGE.format('two')}\n" and captured.out == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("n", [2, 3, 64, 256])
def test_the_one_block_loop_and_the_blocked_loop_agree(n):
    """Up to block_rows rows the article's fast path takes its one-block loop;
    with block_rows below n it takes the blocked one: the same sums, within the tolerance."""
    random = np.random.RandomState(n)
    X, y = random.standard_normal((n, 4)), random.uniform(size=(n, 1))
    params = random_article(random, n, 4, 3)
    tiny = fast.train_fast(X, y, params, 20, 0.1)
    blocked = fast.train_fast(X, y, params, 20, 0.1, block_rows=n - 1)
    assert_close(tiny, blocked, f"n = {n}")
    assert_close(tiny, training.train_variant("article", X, y, params, {"lr": 0.1}, 20), f"n = {n}, reference")


@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 4, 3), (4, 2, 4), (2, 7, 4), (12, 1, 2)])
def test_the_scalar_loop_and_the_numpy_one_block_loop_agree(shape, monkeypatch):
    """Up to SCALAR_MAX_PRODUCTS products an epoch is straight-line float
    arithmetic: the one-block numpy loop's sums, within the tolerance, 0 epochs included."""
    n, d, h = shape
    assert n * (h * (d + 1) + h + 1) <= fast.SCALAR_MAX_PRODUCTS
    random = np.random.RandomState(n * 100 + d * 10 + h)
    X, y = random.standard_normal((n, d)), random.uniform(size=(n, 1))
    params = random_article(random, n, d, h)
    for epochs in (0, 1, 30):
        numpy_loop = fast._train_tiny(X, y, params, epochs, 0.1)
        with monkeypatch.context() as patched:  # train_fast must not need the numpy loop here
            patched.setattr(fast, "_train_tiny", None)
            scalar = fast.train_fast(X, y, params, epochs, 0.1)
        assert_close(scalar, numpy_loop, f"{shape}, {epochs} epochs")
        assert_close(scalar, training.train_variant("article", X, y, params, {"lr": 0.1}, epochs),
                     f"{shape}, {epochs} epochs, reference")


@pytest.mark.parametrize(("n", "d", "neurons", "activations"), [
    (1, 1, [1], ["sigmoid"]), (4, 2, [3, 1], ["tanh", "sigmoid"]), (3, 2, [2, 3, 1], ["sigmoid", "tanh", "sigmoid"]),
    (2, 5, [4, 1], ["sigmoid", "sigmoid"]), (6, 1, [2, 1], ["tanh", "tanh"])])
def test_the_layered_scalar_loop_and_the_blocked_loop_agree(n, d, neurons, activations, monkeypatch):
    """Up to SCALAR_MAX_PRODUCTS products the Layer-class fast path is
    straight-line float arithmetic: the blocked loop's sums, within the tolerance."""
    random = np.random.RandomState(n * 10 + d)
    X, y = random.standard_normal((n, d)), (random.uniform(size=(n, 1)) > 0.5).astype(float)
    params = random_layered(random, d, neurons)
    products = n * sum(size * (fan_in + 1) for size, fan_in in zip(neurons, [d, *neurons[:-1]], strict=True))
    assert products <= fast.SCALAR_MAX_PRODUCTS
    for epochs in (0, 1, 30):
        blocked = fast.train_layered_fast(X, y, params, activations, epochs, 0.5, block_rows=max(1, n - 1))
        with monkeypatch.context() as patched:  # train_layered_fast must not need the blocked loop here
            patched.setattr(fast, "_train_layered_blocked", None)
            scalar = fast.train_layered_fast(X, y, params, activations, epochs, 0.5)
        assert_close(scalar, blocked, f"{neurons}, {epochs} epochs")
        reference = training.train_variant("layered", X, y, params, {"lr": 0.5, "activations": activations}, epochs)
        assert_close(scalar, reference, f"{neurons}, {epochs} epochs, reference")


def assert_identical(result, expected):
    """(params, loss, output) equal bit for bit, NaN equal to NaN."""
    for got, wanted in zip(result, expected, strict=True):
        if isinstance(got, dict):
            assert all(np.array_equal(got[name], wanted[name], equal_nan=True) for name in wanted)
        else:
            assert np.array_equal(got, wanted, equal_nan=True)


def test_a_diverging_scalar_run_is_trained_by_the_numpy_loop_instead():
    """math.exp raises OverflowError where numpy's exp gives inf: the scalar
    loop then gives way to the numpy one, whose result (1/(1 + inf) = 0, the
    sigmoid's limit) is returned whole."""
    X, y = np.array([[1.0, 2.0], [-1.0, 0.5]]), np.array([[1.0], [0.0]])
    params = {"wh": np.full((2, 2), -800.0), "bh": np.zeros((1, 2)), "wout": np.ones((2, 1)), "bout": np.zeros((1, 1))}
    with np.errstate(over="ignore"):
        result, numpy_loop = fast.train_fast(X, y, params, 3, 0.1), fast._train_tiny(X, y, params, 3, 0.1)
    assert_identical(result, numpy_loop)
    assert result[0]["wh"][0, 0] == -800.0 and np.all(np.isfinite(result[1]))
    layers = {"W1": np.full((2, 2), -800.0), "b1": np.zeros((2, 1)), "W2": np.ones((1, 2)), "b2": np.zeros((1, 1))}
    with np.errstate(over="ignore"):
        result = fast.train_layered_fast(X, y, layers, ["sigmoid", "sigmoid"], 3, 0.1)
        blocked = fast.train_layered_fast(X, y, layers, ["sigmoid", "sigmoid"], 3, 0.1, block_rows=1)
    assert_identical(result, blocked)


@pytest.mark.needs_r
@pytest.mark.parametrize("name", ["article", "stepwise", "wide", "layered-xor"])
def test_r_fast_path_agrees_with_python_within_the_tolerance(name):
    fixture = fixtures.read_fixture(FIXTURE_DIR / f"{name}.json")
    r = rbridge.call("train_variant", fixture["variant"], fixture["data"]["X"], fixture["data"]["y"],
                     rbridge.to_r_list(fixture["init"]), rbridge.to_r_list(fixture["hyper"]),
                     int(fixture["hyper"]["epochs"]), fast=True)
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
    assert [name for name in python if name.startswith("train")] == ["train_fast", "train_stepwise_fast",
                                                                      "train_layered_fast"]
    assert [name for name in python if name.startswith("train")] == [name for name in r if name.startswith("train")]


def test_fast_twins_have_the_same_step_markers():
    python, r = (steps.find_markers(steps.read_lines(FAST_TWINS[language])) for language in steps.LANGUAGES)
    assert steps.marker_problems(python, r, FAST_TWINS["python"], FAST_TWINS["r"]) == []
    assert len(python) == 11 + 12 + 5  # article Steps 1-11, walk-through Steps 0-11, Layer-class Steps 0-4


def test_numpy_blas_threads_are_given_back_after_a_fast_path():
    functions = fast._openblas_thread_functions()
    assert functions is not None, "numpy's bundled OpenBLAS was not found"
    get, set_threads = functions
    before = get()
    set_threads(2)  # not the one thread a fast path holds it to, whatever the environment asked for
    try:
        with fast._one_blas_thread():
            assert get() == 1
        assert get() == 2
        problem = random_article(np.random.RandomState(1), 5, 2, 3)
        fast.train_fast(np.ones((5, 2)), np.ones((5, 1)), problem, 2, 0.1)
        assert get() == 2
    finally:
        set_threads(before)
