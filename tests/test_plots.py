"""The demo's plots: parity drift per fixture and decision surfaces, written
as PNGs; the drift's chunked training reproduces an uninterrupted run."""

import numpy as np
import pytest
from conftest import FIXTURE_DIR, trained

from twinnet import fixtures, rbridge, safejson, training
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
    for language, train in (("python", training.train_fixture), ("r", rbridge.train_fixture)):
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
    for language in ("python", "r"):
        result = trained("xor", language)  # the fixture trained in that language, once per worker
        output = plots.surface_output(language, fixture, result["params"], X)
        assert np.max(np.abs(output - result["output"])) <= 1e-15, language


def test_ordinals_in_the_drift_plots_label():
    from twinnet.reading.plots import ordinal

    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 100, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "100th", "101st", "111th"]


def small_figure():
    from matplotlib.figure import Figure

    figure = Figure(figsize=(2, 2))
    figure.subplots().plot([0, 1], [1, 0])
    return figure


def test_a_plot_is_written_whole_through_the_one_writer(tmp_path):
    target = plots.save_figure(small_figure(), tmp_path / "plot.png")
    assert target.read_bytes().startswith(PNG) and [path.name for path in tmp_path.iterdir()] == ["plot.png"]


def test_a_plot_at_a_link_to_a_fixture_is_refused_and_the_fixture_kept(tmp_path):
    fixture = tmp_path / "fixture.json"
    fixture.write_bytes((FIXTURE_DIR / "xor.json").read_bytes())
    before = fixture.read_bytes()
    for name in ("loss-xor.png", "errata-A7.png"):
        (tmp_path / name).symlink_to(fixture)
    with pytest.raises(safejson.FixtureError) as error:
        plots.save_figure(small_figure(), tmp_path / "loss-xor.png")
    assert error.value.code == "E_OUTPUT" and fixture.read_bytes() == before
    from twinnet.reading import errata

    with pytest.raises(safejson.FixtureError) as error:
        errata.plot("A7", errata.TEXT_VERSIONS["A7"], np.ones(3), np.ones(3), "article", tmp_path)
    assert error.value.code == "E_OUTPUT" and fixture.read_bytes() == before


def test_a_plot_to_a_device_is_refused():
    with pytest.raises(safejson.FixtureError) as error:
        plots.write_png(small_figure(), "/dev/full")
    assert error.value.code == "E_OUTPUT"


def test_an_interrupted_plot_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr("twinnet.results.os.fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        plots.save_figure(small_figure(), tmp_path / "plot.png")
    assert list(tmp_path.iterdir()) == []
