"""init_params and predict_variant (params.py <-> params.R): R draws numpy's
RandomState numbers itself, bit for bit, and both twins predict what training
outputs.  The R twin's own tests are in r/tests/testthat/test-params.R."""

import re

import numpy as np
import pytest
from conftest import FIXTURE_DIR, FIXTURE_NAMES, ROOT, trained

from twinnet import fixtures, params, parity, rbridge
from twinnet.reading import steps

TWINS = {"python": "python/twinnet/params.py", "r": "r/R/params.R"}
SEEDS = [0, 1, 42, 2017, 2**31, 2**32 - 1]
LAYERED = {"neurons": [3, 1], "activations": ["tanh", "sigmoid"]}

# (variant, d, hyper): shapes from one value to thousands; the layered ones
# draw odd and even numbers of normal values per W, so numpy's kept second
# value of a pair carries from one W to the next.
NETWORKS = [
    ("article", 1, {"hidden": 1}),
    ("article", 4, {"hidden": 3}),
    ("article", 13, {"hidden": 7, "epochs": 10, "lr": 0.5}),
    ("stepwise", 1, {"hidden": 1}),
    ("stepwise", 4, {"hidden": 3}),
    ("stepwise", 9, {"hidden": 5}),
    ("layered", 1, {"neurons": [1], "activations": ["sigmoid"]}),  # one normal value: the pair's first half
    ("layered", 1, LAYERED),  # W1 3 values, W2 3 values: W2 starts with W1's kept one
    ("layered", 2, LAYERED),  # 6 + 3
    ("layered", 3, {"neurons": [5, 4, 1], "activations": ["tanh", "tanh", "sigmoid"]}),  # 15 + 20 + 4
]
LARGE = [  # several twists of the 624-word state, thousands of rejection-sampled normal pairs
    ("article", 64, {"hidden": 64}),
    ("layered", 64, {"neurons": [64, 1], "activations": ["tanh", "sigmoid"]}),
]


def r_init(variant, d, hyper, seed):
    """R's init_params; the seed as a double, as R holds numbers (2**32 - 1 is no R integer)."""
    return rbridge.call("init_params", variant, d, rbridge.to_r_list(hyper), float(seed))


def assert_bit_identical(actual, expected, label):
    assert list(actual) == list(expected), f"{label}: names"
    for name, value in expected.items():
        got = np.asarray(actual[name])
        assert got.dtype == np.float64 and got.shape == value.shape, f"{label} > {name}: {got.dtype} {got.shape}"
        assert got.tobytes() == value.tobytes(), \
            f"{label} > {name}: max ULP {parity.ulp_distance(got, value).max()}"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("variant", "d", "hyper"), NETWORKS, ids=lambda value: str(value))
def test_r_draws_the_python_init_bit_for_bit(variant, d, hyper, seed):
    python = params.init_params(variant, d, hyper, seed)
    assert {name: value.shape for name, value in python.items()} == fixtures.param_shapes(variant, d, hyper)
    assert_bit_identical(r_init(variant, d, hyper, seed), python, f"{variant} d={d} {hyper} seed={seed}")


@pytest.mark.parametrize(("variant", "d", "hyper"), LARGE, ids=lambda value: str(value))
def test_r_draws_the_python_init_bit_for_bit_for_large_networks(variant, d, hyper):
    for seed in (7, 2**32 - 1):
        assert_bit_identical(r_init(variant, d, hyper, seed), params.init_params(variant, d, hyper, seed),
                             f"{variant} d={d} seed={seed}")


def test_init_is_numpys_randomstate_stream():
    wh = params.init_params("article", 4, {"hidden": 3}, 42)["wh"]
    assert wh[0, 0] == 0.3745401188473625  # RandomState(42).uniform(), as shared_fixtures/README.md says
    assert np.array_equal(wh, np.random.RandomState(42).uniform(size=(4, 3)))
    layered = params.init_params("layered", 2, LAYERED, 3)
    normals = np.random.RandomState(3).randn(9)  # one stream, W1 then W2, row by row
    assert np.array_equal(layered["W1"].ravel(), normals[:6]) and np.array_equal(layered["W2"].ravel(), normals[6:])
    assert np.array_equal(layered["b1"], np.zeros((3, 1))) and np.array_equal(layered["b2"], np.zeros((1, 1)))


def test_init_params_takes_whole_numbers_written_as_floats_and_numpy_values():
    expected = params.init_params("layered", 3, {"neurons": [4, 1], "activations": ["tanh", "sigmoid"]}, 11)
    for d, neurons, seed in [(3.0, [4.0, 1.0], 11.0), (np.int64(3), np.array([4, 1]), np.uint32(11))]:
        hyper = {"neurons": neurons, "activations": ("tanh", "sigmoid")}
        assert_bit_identical(params.init_params("layered", d, hyper, seed), expected, f"{d} {neurons} {seed}")
    assert_bit_identical(params.init_params("article", 2.0, {"hidden": 3.0}, 1.0),
                         params.init_params("article", 2, {"hidden": 3}, 1), "article, floats")


@pytest.mark.parametrize("name", FIXTURE_NAMES)
@pytest.mark.parametrize("language", ["python", "r"])
def test_init_params_draws_every_shipped_fixtures_init(name, language):
    fixture = fixtures.read_fixture(FIXTURE_DIR / f"{name}.json")
    args = (fixture["variant"], fixture["data"]["X"].shape[1], fixture["hyper"], fixture["generator"]["seed"])
    init = params.init_params(*args) if language == "python" else r_init(*args)
    assert_bit_identical(init, fixture["init"], f"{name} ({language})")


def r_predict(variant, X, network, hyper):
    return rbridge.call("predict_variant", variant, X, rbridge.to_r_list(network), rbridge.to_r_list(hyper))


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_predict_gives_the_fixtures_expected_output(name):
    fixture = fixtures.read_fixture(FIXTURE_DIR / f"{name}.json")
    variant, X, hyper = fixture["variant"], fixture["data"]["X"], fixture["hyper"]
    expected = np.asarray(fixture["expected"]["output"], dtype=float)
    trained_params = {key: np.asarray(value, dtype=float) for key, value in fixture["expected"]["params"].items()}
    python = params.predict_variant(variant, X, trained_params, hyper)
    r = np.asarray(r_predict(variant, X, trained_params, hyper))
    assert python.shape == r.shape == expected.shape == (X.shape[0], 1)
    assert np.max(np.abs(python - expected)) <= parity.TOLERANCE
    assert np.max(np.abs(r - expected)) <= parity.TOLERANCE
    assert np.max(np.abs(python - r)) <= parity.TOLERANCE
    # the variant's own forward pass: what training outputs after its last epoch, bit for bit
    result = trained(name, "python")
    assert np.array_equal(params.predict_variant(variant, X, result["params"], hyper), result["output"])


@pytest.mark.parametrize(("variant", "d", "hyper"), NETWORKS, ids=lambda value: str(value))
def test_python_and_r_predict_agree_on_new_inputs(variant, d, hyper):
    X = np.random.RandomState(d).uniform(-2, 2, size=(11, d))
    network = params.init_params(variant, d, hyper, 5)
    python = params.predict_variant(variant, X, network, hyper)
    r = np.asarray(r_predict(variant, X, network, hyper))
    assert python.shape == r.shape == (11, 1)
    assert np.all((python > 0) & (python < 1))
    assert np.max(np.abs(python - r)) <= parity.TOLERANCE


def usage_example(language):
    """The code block of docs/usage.md's "Your own data" section in ``language``."""
    text = (ROOT / "docs" / "usage.md").read_text(encoding="utf-8")
    section = text[text.index("## Your own data"):]
    section = section.split("\n## ", 1)[0]
    return re.search(rf"```{language}\n(.*?)```", section, re.DOTALL).group(1)


def test_usage_python_example_runs_and_r_predicts_the_same(capsys):
    namespace: dict = {}
    exec(usage_example("python"), namespace)  # the page's own lines, as a reader would run them
    assert capsys.readouterr().out == "1.0\n"
    X, y, hyper, trained_params = namespace["X"], namespace["y"], namespace["hyper"], namespace["trained"]
    assert X.shape == (100, 4) and y.sum() == 50
    r_params = r_init("article", 4, hyper, 42)
    r_fit = rbridge.call("train_variant", "article", X, y, rbridge.to_r_list(r_params), rbridge.to_r_list(hyper), 300)
    python = params.predict_variant("article", X, trained_params, hyper)
    r = np.asarray(r_predict("article", X, r_fit["params"], hyper))
    assert np.max(np.abs(python - r)) <= parity.TOLERANCE


def test_usage_r_example_is_the_one_r_tests():
    """The R block is run by test-params.R ("the iris example of docs/usage.md"), line for line."""
    testthat = (ROOT / "r" / "tests" / "testthat" / "test-params.R").read_text(encoding="utf-8")
    for line in usage_example("r").splitlines()[1:-1]:  # without library(twinnet) and the printed share
        assert line.replace("iris", "datasets::iris") in testthat, line


SEED_RANGE = "seed: expected a whole number from 0 to 4294967295"
NEURONS = "hyper.neurons: expected 1 to 16 whole numbers from 1 to 4096, one per layer, the last 1"
INIT_ERRORS = {
    "variant": (("perceptron", 4, {"hidden": 3}, 1), "E_VARIANT",
                "variant: expected 'article', 'stepwise' or 'layered', got 'perceptron'"),
    "variant a number": ((3, 4, {"hidden": 3}, 1), "E_VARIANT",
                         "variant: expected 'article', 'stepwise' or 'layered', got a number"),
    "hyper a number": (("article", 4, 3, 1), "E_HYPER", "hyper: expected an object, got a number"),
    "hidden missing": (("article", 4, {}, 1), "E_SCHEMA", "hyper.hidden: missing"),
    "hidden zero": (("article", 4, {"hidden": 0}, 1), "E_HYPER",
                    "hyper.hidden: expected a whole number from 1 to 4096"),
    "hidden fraction": (("stepwise", 4, {"hidden": 1.5}, 1), "E_HYPER",
                        "hyper.hidden: expected a whole number from 1 to 4096"),
    "hyper extra": (("article", 4, {"hidden": 3, "neurons": [1]}, 1), "E_SCHEMA",
                    "hyper.neurons: not a key of variant 'article'"),
    "lr checked": (("article", 4, {"hidden": 3, "lr": 0}, 1), "E_HYPER", "hyper.lr: expected a finite number > 0"),
    "neurons last": (("layered", 2, {"neurons": [3, 2], "activations": ["tanh", "sigmoid"]}, 1), "E_HYPER", NEURONS),
    "activations missing": (("layered", 2, {"neurons": [3, 1]}, 1), "E_SCHEMA", "hyper.activations: missing"),
    "d zero": (("article", 0, {"hidden": 3}, 1), "E_SHAPE", "d: expected a whole number of features >= 1"),
    "seed negative": (("article", 4, {"hidden": 3}, -1), "E_HYPER", SEED_RANGE),
    "seed too large": (("article", 4, {"hidden": 3}, 2**32), "E_HYPER", SEED_RANGE),
    "seed fraction": (("article", 4, {"hidden": 3}, 0.5), "E_HYPER", SEED_RANGE),
}

X3 = np.arange(12.0).reshape(3, 4) / 12
X3_NAN = X3.copy()
X3_NAN[1, 2] = np.nan
ARTICLE = params.init_params("article", 4, {"hidden": 3}, 1)
PREDICT_ERRORS = {
    "X a vector": (("article", X3[0], ARTICLE, {"hidden": 3}), "E_SHAPE",
                   "X: expected a non-empty 2-dimensional matrix"),
    "X not finite": (("article", X3_NAN, ARTICLE, {"hidden": 3}), "E_VALUE",
                     "X[1][2]: expected a finite number"),
    "X text": (("article", np.array([["1", "2"]]), ARTICLE, {"hidden": 3}), "E_VALUE",
               "X: expected a matrix of numbers"),
    "X columns": (("article", X3[:, :3], ARTICLE, {"hidden": 3}), "E_SHAPE", "params.wh: expected 3x3, got 4x3"),
    "params transposed": (("article", X3, {**ARTICLE, "wh": ARTICLE["wh"].T}, {"hidden": 3}), "E_SHAPE",
                          "params.wh: expected 4x3, got 3x4"),
    "params missing": (("article", X3, {"wh": ARTICLE["wh"]}, {"hidden": 3}), "E_SCHEMA", "params.bh: missing"),
    "params of another variant": (("stepwise", X3, ARTICLE, {"hidden": 3}), "E_SCHEMA",
                                  "params.bh: not a key of variant 'stepwise'"),
    "hidden disagrees": (("article", X3, ARTICLE, {"hidden": 2}), "E_SHAPE", "params.wh: expected 4x2, got 4x3"),
}


def r_refusal(function_name, variant, *args):
    from rpy2.rinterface_lib.embedded import RRuntimeError

    converted = [rbridge.to_r_list(arg) if isinstance(arg, dict) else arg for arg in args]
    if function_name == "init_params":
        converted[-1] = float(converted[-1])
    try:
        rbridge.call(function_name, variant, *converted)
    except RRuntimeError as error:
        return rbridge.fixture_error_from_r(error)
    raise AssertionError(f"R's {function_name} accepted {args}")


@pytest.mark.parametrize("case", INIT_ERRORS)
def test_init_params_refuses_bad_arguments_with_the_same_words_in_both_languages(case):
    args, code, message = INIT_ERRORS[case]
    with pytest.raises(fixtures.FixtureError) as python:
        params.init_params(*args)
    assert (python.value.code, python.value.message) == (code, message)
    r = r_refusal("init_params", *args)
    assert (r.code, r.message) == (code, message)


@pytest.mark.parametrize("case", PREDICT_ERRORS)
def test_predict_refuses_bad_arguments_with_the_same_words_in_both_languages(case):
    args, code, message = PREDICT_ERRORS[case]
    with pytest.raises(fixtures.FixtureError) as python:
        params.predict_variant(*args)
    assert (python.value.code, python.value.message) == (code, message)
    r = r_refusal("predict_variant", *args)
    assert (r.code, r.message) == (code, message)


def public_functions(language):
    lines = steps.read_lines(TWINS[language])
    if language == "python":
        return [name for name, _, _ in steps._python_definitions(lines) if name.islower() and not name.startswith("_")]
    exported = set((ROOT / "r" / "NAMESPACE").read_text().split())
    return [name for name, _, _ in steps._r_definitions(lines) if f"export({name})" in exported]


def test_params_twins_have_the_same_public_functions_in_the_same_order():
    assert public_functions("python") == public_functions("r") == ["init_params", "predict_variant"]
