"""The demo's plots: parity drift per fixture and decision surfaces, written
as PNGs; the drift's chunked training reproduces an uninterrupted run."""

import numpy as np
import pytest
from conftest import FIXTURE_DIR

from twinnet import fixtures, rbridge
from twinnet.maintain import drift
from twinnet.reading import plots

PNG = b"\x89PNG\r\n\x1a\n"


def test_sampled_epochs_are_dense_then_every_kth_and_end_at_the_last():
    epochs, step = drift.sample_epochs(5000, dense=100, points=400)
    assert epochs[:100] == list(range(1, 101)) and epochs[-1] == 5000
    assert step == 17 and len(epochs) <= 400
    assert drift.sample_epochs(30, dense=100) == (list(range(1, 31)), 1)


@pytest.mark.needs_r
def test_chunked_training_reproduces_the_uninterrupted_run_bit_for_bit():
    path = FIXTURE_DIR / "layered-xor.json"
    result = drift.parameter_drift(path, epochs=40, dense=5, points=12)
    assert result.sampled and result.epochs[-1] == 40
    for language, train in (("python", fixtures.train_fixture), ("r", rbridge.train_fixture)):
        whole = train(path, 40)["params"]
        chunked = getattr(result, language)
        assert all(np.array_equal(chunked[name], whole[name]) for name in whole), language
    assert result.max_abs[-1] == max(float(np.max(np.abs(result.python[name] - result.r[name])))
                                     for name in result.python)


@pytest.mark.needs_r
def test_drift_plot_is_written(tmp_path):
    result = drift.parameter_drift(FIXTURE_DIR / "xor.json", epochs=60, dense=20, points=30)
    target = plots.parity_drift(result, tmp_path)
    assert target.name == "drift-xor.png" and target.read_bytes()[:8] == PNG


@pytest.mark.needs_r
def test_decision_surface_is_written_for_two_feature_fixtures(tmp_path):
    target = plots.decision_surface(FIXTURE_DIR / "layered-xor.json", tmp_path, steps=21)
    assert target.name == "surface-layered-xor.png" and target.read_bytes()[:8] == PNG


@pytest.mark.needs_r
def test_surface_output_is_the_trained_networks_output_in_both_languages():
    path = FIXTURE_DIR / "xor.json"
    fixture = fixtures.read_fixture(path)
    X = fixture["data"]["X"]
    for language, train in (("python", fixtures.train_fixture), ("r", rbridge.train_fixture)):
        result = train(path)
        output = plots.surface_output(language, fixture, result["params"], X)
        assert np.max(np.abs(output - result["output"])) <= 1e-15, language


def test_ordinals_in_the_drift_plots_label():
    from twinnet.reading.plots import ordinal

    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 100, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "100th", "101st", "111th"]
