"""``twinnet errata ID``: the text's version of an erratum trained beside the
corrected loop.  Where the text's mistake is a change of step size, its
version must equal the corrected loop at that step size; the command prints
how far apart the two end and writes the plot."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import FIXTURE_DIR, ROOT

from twinnet import article, fixtures
from twinnet.reading import errata

FIXTURE = fixtures.read_fixture(FIXTURE_DIR / "article.json")
X, Y, INIT, HYPER = FIXTURE["data"]["X"], FIXTURE["data"]["y"], FIXTURE["init"], FIXTURE["hyper"]


@pytest.mark.parametrize("erratum, step_size", [("A7", HYPER["lr"] ** 2), ("A5", HYPER["lr"] / len(X))])
def test_a_text_version_that_changes_the_step_size_is_training_at_that_step_size(erratum, step_size):
    text = errata.train_text(errata.TEXT_VERSIONS[erratum], X, Y, INIT, 200, HYPER["lr"])
    same = article.train(X, Y, INIT, 200, step_size)
    for name in article.PARAM_NAMES:
        assert np.max(np.abs(text[0][name] - same[0][name])) <= 1e-12
    assert np.max(np.abs(text[1] - same[1])) <= 1e-12


def test_without_a_mistake_the_text_loop_is_the_twin():
    plain = errata.TextVersion("none", "nothing")
    text, right = errata.train_text(plain, X, Y, INIT, 50, HYPER["lr"]), article.train(X, Y, INIT, 50, HYPER["lr"])
    for name in article.PARAM_NAMES:
        assert np.max(np.abs(text[0][name] - right[0][name])) <= 1e-12


def test_the_rowsums_version_keeps_one_bias_row_per_sample_and_ends_elsewhere():
    text = errata.train_text(errata.TEXT_VERSIONS["A16"], X, Y, INIT, HYPER["epochs"], HYPER["lr"])
    right = article.train(X, Y, INIT, HYPER["epochs"], HYPER["lr"])
    assert text[0]["bh"].shape == (1, INIT["bh"].shape[1]) and text[0]["bout"].shape == (1, 1)
    assert np.max(np.abs(text[0]["bout"] - right[0]["bout"])) > 0.1


def test_errata_a7_prints_how_far_apart_they_end_and_writes_the_plot(tmp_path):
    run = subprocess.run([sys.executable, "-m", "twinnet", "errata", "A7", "--out-dir", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "A7. Step 7 applies the learning rate twice. The text: d_output = E · slope_output_layer · lr."
    assert "  output: text (0.86, 0.82, 0.27) against corrected (0.98, 0.97, 0.04)" in lines  # as docs/errata.md says
    assert lines[-1] == f"wrote {tmp_path / 'errata-A7.png'}"
    assert (tmp_path / "errata-A7.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    run = subprocess.run([sys.executable, "-m", "twinnet", "errata", "A99"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 2 and run.stderr.startswith("twinnet: E_USAGE: argument ID: 'A99' does not run: ")
