"""The stepwise and layered variants: the walk-through's trace in both
languages, the source texts' own numbers, and what each network learns."""

import json

import numpy as np
import pytest
from conftest import FIXTURE_DIR, trained

from twinnet import fixtures, layered, parity, rbridge

STEPWISE = FIXTURE_DIR / "stepwise.json"


@pytest.mark.parametrize("language", sorted(parity.TRACERS))
def test_trace_has_the_walk_through_shapes_and_order(language):
    trace = {entry["name"]: entry["values"] for entry in parity.TRACERS[language](STEPWISE)["quantities"]}
    assert list(trace)[:4] == ["X", "y", "weights_input_hidden", "weights_hidden_output"]
    assert trace["X"].shape == (4, 3) and trace["y"].shape == (1, 3)
    assert trace["error_wrt_weights_hidden_output"].shape == (3, 1)
    assert trace["error_wrt_weights_input_hidden"].shape == (4, 3)
    assert list(trace)[-1] == "updated.weights_input_hidden"


@pytest.mark.parametrize("language", sorted(parity.TRACERS))
def test_untrained_output_is_the_walk_through_printout(language):
    """The walk-through prints the untrained network's output for seed 42:
    array([[0.68334694, 0.72697078, 0.71257368]])."""
    quantities = parity.TRACERS[language](STEPWISE)["quantities"]
    output = next(entry["values"] for entry in quantities if entry["name"] == "output")
    assert np.array_equal(np.round(output, 8), [[0.68334694, 0.72697078, 0.71257368]])


@pytest.mark.parametrize("language", ["python", "r"])
@pytest.mark.parametrize("name", ["stepwise", "layered-xor"])
def test_the_network_learns_its_data(name, language):
    fixture = fixtures.read_fixture(FIXTURE_DIR / f"{name}.json")
    output = trained(name, language)["output"]
    assert np.array_equal(np.round(output), fixture["data"]["y"]), f"{name} > {language}: {output.ravel()}"


def test_layered_xor_description_reports_the_seed_scan(layered_xor_learners):
    learners = layered_xor_learners  # generate.layered_xor_learners(), once per run (conftest.py)
    fixture = json.loads((FIXTURE_DIR / "layered-xor.json").read_text())
    assert f"{len(learners)} of seeds 0..99 learn XOR" in fixture["description"]
    assert fixture["generator"]["seed"] == learners[0]
    assert 0 < len(learners) < 100  # some seeds do not learn it, and the fixture says which


def test_layered_init_is_randn_layer_by_layer_and_zero_biases():
    fixture = fixtures.read_fixture(FIXTURE_DIR / "layered-xor.json")
    state = np.random.RandomState(fixture["generator"]["seed"])
    assert np.array_equal(fixture["init"]["W1"], state.randn(3, 2))
    assert np.array_equal(fixture["init"]["W2"], state.randn(1, 3))
    assert not fixture["init"]["b1"].any() and not fixture["init"]["b2"].any()


def test_stepwise_init_is_the_walk_through_draw():
    fixture = fixtures.read_fixture(STEPWISE)
    np.random.seed(42)
    assert np.array_equal(fixture["init"]["weights_input_hidden"], np.random.uniform(size=(4, 3)))
    assert np.array_equal(fixture["init"]["weights_hidden_output"], np.random.uniform(size=(3, 1)))


def test_stepwise_x_differs_from_the_article_x_in_one_entry():
    stepwise_X = fixtures.read_fixture(STEPWISE)["data"]["X"]
    article_X = fixtures.read_fixture(FIXTURE_DIR / "article.json")["data"]["X"]
    assert np.argwhere(stepwise_X != article_X).tolist() == [[0, 2]]


@pytest.mark.needs_r
@pytest.mark.parametrize("a", [0.0, 1.0, 1e-300, 1 - 1e-17, 0.3])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_log_loss_is_clipped_the_same_way_in_both_languages(a, y):
    """Outputs of exactly 0 or 1 give a large finite loss (clip at 1e-15), the
    same in both languages; inside (ε, 1 − ε) the formula is unchanged."""
    python_loss, python_slope = layered.logloss(y, np.array([a])), layered.d_logloss(y, np.array([a]))
    r_loss = rbridge.call("logloss", y, np.array([a]))
    r_slope = rbridge.call("d_logloss", y, np.array([a]))
    assert np.isfinite(python_loss).all() and np.isfinite(python_slope).all()
    assert np.allclose(python_loss, r_loss, rtol=1e-14, atol=0)
    assert np.allclose(python_slope, r_slope, rtol=1e-14, atol=0)
    clipped = min(max(a, layered.LOG_LOSS_EPSILON), 1 - layered.LOG_LOSS_EPSILON)
    assert python_loss[0] == pytest.approx(-(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)), rel=1e-15)


@pytest.mark.needs_r
def test_both_languages_clip_at_the_same_epsilon():
    assert rbridge.r_package().log_loss_epsilon[0] == layered.LOG_LOSS_EPSILON == 1e-15
