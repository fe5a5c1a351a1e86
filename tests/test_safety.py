"""Failing well on the command line, and losing nothing: exit status 2, one
line on stderr, no traceback and no R error dump, no output file; atomic
writes; refused output paths; hostile paths used as plain paths; the size cap;
a sigmoid that is stable for every double."""

import json
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest
from conftest import FIXTURE_DIR, ROOT

from twinnet import article, fixtures, rbridge, results

CORPUS = FIXTURE_DIR / "invalid"


def twinnet(*args):
    return subprocess.run([sys.executable, "-m", "twinnet", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True)


@pytest.mark.parametrize("language", ["python", "r"])
@pytest.mark.parametrize("name", ["E_ENCODING-latin1.json", "E_JSON-nan-token.json", "E_SHAPE-x-ragged.json",
                                  "E_VALUE-x-null.json", "E_HYPER-epochs-absurd.json"])
def test_cli_refuses_with_exit_2_one_line_and_no_file(name, language, tmp_path):
    out = tmp_path / "result.json"
    run = twinnet("train", CORPUS / name, "--lang", language, "--out", out)
    assert run.returncode == 2
    code = name.split("-")[0]
    assert run.stderr.startswith(f"twinnet: {code}: ") and run.stderr.count("\n") == 1, run.stderr
    assert "Traceback" not in run.stderr and "Error in" not in run.stderr
    assert run.stdout == "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("language", ["python", "r"])
def test_divergence_on_the_cli_writes_nothing(language, tmp_path):
    document = json.loads((FIXTURE_DIR / "wide.json").read_text())
    document["hyper"]["lr"] = 1.7e308
    fixture = tmp_path / "diverges.json"
    fixture.write_text(json.dumps(document))
    out = tmp_path / "result.json"
    run = twinnet("train", fixture, "--lang", language, "--out", out)
    assert run.returncode == 2 and run.stderr.startswith("twinnet: E_DIVERGED: loss[1]: ")
    assert "warning" not in run.stderr.lower() and not out.exists()


@pytest.mark.parametrize("language", ["python", "r"])
def test_out_refuses_shared_fixtures_and_any_fixture(language, tmp_path):
    before = (FIXTURE_DIR / "xor.json").read_bytes()
    run = twinnet("train", "shared_fixtures/xor.json", "--lang", language, "--out", "shared_fixtures/xor.json")
    assert run.returncode == 2 and "E_OUTPUT" in run.stderr and "shared_fixtures/" in run.stderr
    run = twinnet("train", "shared_fixtures/xor.json", "--lang", language, "--out", "shared_fixtures/new.json")
    assert run.returncode == 2 and not (FIXTURE_DIR / "new.json").exists()
    copy = tmp_path / "my-fixture.json"
    shutil.copy(FIXTURE_DIR / "xor.json", copy)
    run = twinnet("train", copy, "--lang", language, "--out", copy)
    assert run.returncode == 2 and run.stderr.strip().endswith("refusing to overwrite a fixture")
    assert copy.read_bytes() == before == (FIXTURE_DIR / "xor.json").read_bytes()


def test_both_languages_refuse_the_same_output_paths(tmp_path):
    copy = tmp_path / "fixture.json"
    shutil.copy(FIXTURE_DIR / "xor.json", copy)
    for path in (copy, FIXTURE_DIR / "x.json", tmp_path / "missing-dir" / "r.json"):
        with pytest.raises(fixtures.FixtureError) as python:
            results.check_output_path(path)
        with pytest.raises(Exception) as r:
            rbridge.call("check_output_path", str(path))
        converted = rbridge.fixture_error_from_r(r.value)
        assert python.value.code == converted.code == "E_OUTPUT"
        assert python.value.message == converted.message


HOSTILE = ["with space", "quote'single", 'quote"double', "$(touch pwned)", "'); system(\"touch pwned\")#", "ünï"]


@pytest.mark.parametrize("language", ["python", "r"])
def test_hostile_paths_are_plain_paths(language, tmp_path):
    for name in HOSTILE:
        folder = tmp_path / name
        folder.mkdir()
        fixture = folder / f"{name}.json"
        shutil.copy(FIXTURE_DIR / "xor.json", fixture)
        out = folder / f"result {name}.json"
        run = twinnet("train", fixture, "--lang", language, "--out", out, "--epochs", 3)
        assert run.returncode == 0, (name, run.stderr)
        assert json.loads(out.read_text())["fixture"] == "xor"
    assert not list(tmp_path.rglob("pwned")) and not (ROOT / "pwned").exists()


@pytest.mark.parametrize("language", ["python", "r"])
def test_files_over_the_size_cap_are_refused_before_parsing(language, tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as handle:  # valid JSON, but larger than the cap
        handle.write(b"{" + b" " * fixtures.MAX_FIXTURE_BYTES + b"}")
    reader = fixtures.read_fixture if language == "python" else (lambda path: rbridge.call("read_fixture", str(path)))
    try:
        reader(big)
    except fixtures.FixtureError as error:
        code, message = error.code, error.message
    except Exception as error:
        converted = rbridge.fixture_error_from_r(error)
        code, message = converted.code, converted.message
    assert code == "E_SIZE" and message == f"{big}: larger than {fixtures.MAX_FIXTURE_BYTES} bytes"


def test_an_interrupted_write_keeps_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "result.json"
    out.write_text("old")
    result = fixtures.train_fixture(FIXTURE_DIR / "xor.json", epochs=1)

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        results.write_result(result, out)
    assert out.read_text() == "old" and [path.name for path in tmp_path.iterdir()] == ["result.json"]


def test_r_write_result_is_atomic_too(tmp_path):
    out = tmp_path / "result.json"
    package = rbridge.r_package()  # R objects straight through: no conversion needed
    package.write_result(package.train_fixture(str(FIXTURE_DIR / "xor.json"), 1), str(out))
    assert json.loads(out.read_text())["language"] == "r"
    assert [path.name for path in tmp_path.iterdir()] == ["result.json"]


EDGES = np.array([-np.finfo(float).max, -1e300, -745.2, -709.8, -50.0, -1.0, 0.0, 1e-300, 1.0, 36.8, 50.0, 710.0,
                  1e300, np.finfo(float).max])


def test_sigmoid_is_stable_for_every_double_and_equal_in_both_languages():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning fails the test
        python = article.sigmoid(EDGES)
    r = rbridge.call("sigmoid", EDGES)
    assert np.isfinite(python).all() and ((python >= 0) & (python <= 1)).all()
    assert np.array_equal(python, r)
    assert python[0] == 0.0 and python[-1] == 1.0 and python[6] == 0.5


def test_sigmoid_is_the_textbook_form_in_the_normal_range():
    z = np.linspace(-30, 30, 1001)
    assert np.array_equal(article.sigmoid(z), 1 / (1 + np.exp(-z)))
