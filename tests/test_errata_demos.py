"""``twinnet errata ID``: the text's version of an erratum trained beside the
corrected loop.  Where the text's mistake is a change of step size, its
version must equal the corrected loop at that step size; the command prints
how far apart the two end and writes the plot."""


import numpy as np
import pytest
from conftest import FIXTURE_DIR, run_cli, trained

from twinnet import article, fixtures, mistakes
from twinnet.reading import errata

FIXTURE = fixtures.read_fixture(FIXTURE_DIR / "article.json")
X, Y, INIT, HYPER = FIXTURE["data"]["X"], FIXTURE["data"]["y"], FIXTURE["init"], FIXTURE["hyper"]


@pytest.mark.parametrize("erratum, step_size", [("A7", HYPER["lr"] ** 2), ("A5", HYPER["lr"] / len(X))])
def test_a_text_version_that_changes_the_step_size_is_training_at_that_step_size(erratum, step_size):
    text = mistakes.train_with(X, Y, INIT, 200, HYPER["lr"], errata.TEXT_VERSIONS[erratum].mistakes)
    same = article.train(X, Y, INIT, 200, step_size)
    for name in article.PARAM_NAMES:
        assert np.max(np.abs(text[0][name] - same[0][name])) <= 1e-12
    assert np.max(np.abs(text[1] - same[1])) <= 1e-12


def test_every_text_version_is_a_known_mistake_of_the_article():
    for version in errata.TEXT_VERSIONS.values():
        assert version.mistakes and mistakes.check_mistakes("article", version.mistakes) == version.mistakes


def test_the_rowsums_version_keeps_one_bias_row_per_sample_and_ends_elsewhere():
    text = mistakes.train_with(X, Y, INIT, HYPER["epochs"], HYPER["lr"], errata.TEXT_VERSIONS["A16"].mistakes)
    right = trained("article", "python")  # article.train on the fixture, once per worker
    assert text[0]["bh"].shape == (1, INIT["bh"].shape[1]) and text[0]["bout"].shape == (1, 1)
    assert np.max(np.abs(text[0]["bout"] - right["params"]["bout"])) > 0.1


def test_errata_a7_prints_how_far_apart_they_end_and_writes_the_plot(tmp_path):
    run = run_cli("errata", "A7", "--out-dir", tmp_path)
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == "A7. Step 7 applies the learning rate twice. The text: d_output = E · slope_output_layer · lr."
    assert "  output: text (0.86, 0.82, 0.27) against corrected (0.98, 0.97, 0.04)" in lines  # as docs/errata.md says
    assert lines[-1] == f"wrote {tmp_path / 'errata-A7.png'}"
    assert (tmp_path / "errata-A7.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    run = run_cli("errata", "A99")
    assert run.code == 2 and run.err.startswith("twinnet: E_USAGE: argument ID: 'A99' does not run: ")
