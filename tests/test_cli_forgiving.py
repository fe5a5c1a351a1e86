"""The command line forgives a learner, in process (``cli.main``): a misspelt
fixture name suggests the close ones; ``--lang`` takes any case; ``errata``
alone lists the errata; ``trace --step N --lang both`` shows one step of both
twins side by side; a quantity of the wrong shape is named with both shapes."""

import re

import numpy as np
import pytest
from conftest import FIXTURE_DIR, ROOT

from twinnet import cli, fixtures, parity, safejson, trace
from twinnet.ports import exercises, steptrace
from twinnet.reading import numbers
from twinnet.reading.errata import TEXT_VERSIONS

NAMES = ", ".join(fixtures.example())


@pytest.mark.parametrize("typed,guess", [("artcle", "'article'"), ("xor.json", "'xor'"), ("layered", "'layered-xor'"),
                                         ("Iris", "'iris'")])
def test_a_misspelt_fixture_name_suggests_the_close_ones_in_one_line(typed, guess, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no file of that name here
    assert cli.main(["trace", typed, "--lang", "python"]) == 2
    assert capsys.readouterr().err == (f"twinnet: E_IO: {typed}: no such file or packaged fixture; "
                                       f"did you mean {guess}? (packaged: {NAMES})\n")


@pytest.mark.needs_r
def test_a_name_like_nothing_lists_the_names_and_a_missing_path_is_still_e_io(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", "zzzz", "--lang", "r", "--out", "out.json"]) == 2
    assert capsys.readouterr().err == f"twinnet: E_IO: zzzz: no such file or packaged fixture; (packaged: {NAMES})\n"
    assert cli.main(["train", "no/such.json", "--lang", "r", "--out", "out.json"]) == 2
    assert capsys.readouterr().err.startswith("twinnet: E_IO: no/such.json: cannot read")
    assert list(tmp_path.iterdir()) == []


def test_a_file_in_the_current_folder_wins_over_a_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "xor").write_text("not json")
    assert cli.main(["trace", "xor", "--lang", "python"]) == 2
    assert capsys.readouterr().err.startswith("twinnet: E_JSON: xor")


@pytest.mark.parametrize("typed,language", [("R", "r"), ("r", "r"), ("Python", "python"), ("PY", "python"),
                                            ("py", "python")])
def test_lang_takes_any_case(typed, language, tmp_path, capsys):
    out = tmp_path / "result.json"
    assert cli.main(["train", "xor", "--lang", typed, "--epochs", "2", "--out", str(out)]) == 0
    assert safejson.load_json(out)["language"] == language
    assert capsys.readouterr().out.endswith(f"trained in {language} for 2 epochs\n")


def test_errata_alone_lists_every_erratum_one_line_each(capsys):
    assert cli.main(["errata"]) == 0
    lines = capsys.readouterr().out.splitlines()
    text = (ROOT / "docs" / "errata.md").read_text(encoding="utf-8")
    ids = re.findall(r"^\*\*([AWL]\d+)\. ", text, flags=re.MULTILINE)
    assert len(ids) >= 30 and [line.split()[0] for line in lines[:-1]] == ids
    for line in lines[:-1]:
        key = line.split()[0]
        assert (line.split()[1] == "runs") == (key in TEXT_VERSIONS), line
    assert next(line for line in lines if line.startswith("A7 ")).endswith(
        "runs  Step 7 applies the learning rate twice; changes results")
    assert next(line for line in lines if line.startswith("A3 ")).endswith("Step 2, the product order; changes results")
    assert lines[-1].startswith("'runs': twinnet errata ID trains the text's version")


@pytest.mark.needs_r
def test_trace_one_step_of_both_languages_side_by_side(capsys):
    path = str(FIXTURE_DIR / "article.json")
    assert cli.main(["trace", "article", "--step", "7", "--lang", "both"]) == 0
    out = capsys.readouterr().out.splitlines()
    python, r = (parity.TRACERS[language](path, 1) for language in ("python", "r"))
    want = [entry for entry in python["quantities"] if entry["step"] == 7]
    assert [line for line in out if line.startswith("Step ")] == ["Step 7: delta at the output layer"]
    assert out[-1] == f"{len(want)} of {len(want)} quantities agree within the parity tolerance"
    for entry in want:
        heading = next(i for i, line in enumerate(out) if line.startswith(f"  {entry['name']}  "))
        assert out[heading].startswith(f"  {entry['name']}  {numbers.shape_text(entry['shape'])}  max |Python − R| = ")
        assert out[heading].endswith(": agree")
        theirs = next(item for item in r["quantities"] if (item["step"], item["name"]) == (7, entry["name"]))
        for row, (left, right) in enumerate(zip(entry["values"], theirs["values"], strict=True)):
            shown = out[heading + 1 + row].split("]")
            assert [float(value) for value in shown[0].strip(" [").split(", ")] == left
            assert [float(value) for value in shown[1].strip(" [").split(", ")] == right


@pytest.mark.needs_r
def test_trace_step_in_one_language_and_a_step_that_does_not_exist(capsys):
    assert cli.main(["trace", "layered-xor", "--lang", "Python", "--step", "2"]) == 0
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if line.startswith("Step ")] == ["Step 2: cost"]
    steps = numbers.steps_of(trace.trace_fixture(FIXTURE_DIR / "article.json", 1))
    assert cli.main(["trace", "article", "--lang", "both", "--step", "12"]) == 2
    assert capsys.readouterr().err == ("twinnet: E_USAGE: --step 12: the article network's traced steps are "
                                       f"{', '.join(str(step) for step, _ in steps)} (twinnet trace --help)\n")
    assert cli.main(["trace", "article", "--lang", "both", "--format", "json"]) == 2
    assert capsys.readouterr().err.startswith("twinnet: E_USAGE: --format json writes one language's trace")


def test_side_by_side_names_both_shapes_of_a_quantity_that_differs():
    python = trace.trace_fixture(FIXTURE_DIR / "article.json", 1)
    r = {**python, "quantities": [dict(entry) for entry in python["quantities"]]}
    entry = next(item for item in r["quantities"] if item["name"] == "d_output")
    entry["values"] = np.asarray(entry["values"]).T.tolist()
    text = numbers.trace_both_text(python, r)
    assert "  d_output: shapes differ: Python 3×1, R 1×3\n" in text
    assert text.endswith(f"{len(python['quantities']) - 1} of {len(python['quantities'])} quantities agree within "
                         "the parity tolerance\n")


@pytest.mark.needs_r  # an R port
def test_a_port_that_traces_a_quantity_of_the_wrong_shape_hears_both_shapes(tmp_path):
    """descent_bh summed over everything is 1×1, not 1×3: the checker says so, with no made-up value."""
    exercise = exercises.find(2)
    source = exercises.fixed_source(exercise)
    right = "  descent_bh <- t(colSums(d_hiddenlayer))\n"
    assert source.count(right) == 1
    port = tmp_path / "mine.R"
    port.write_text(source.replace(right, "  descent_bh <- sum(d_hiddenlayer)\n"), encoding="utf-8")
    verdict = exercises.check(exercise, port, tmp_path / "work")
    assert not verdict.ok and verdict.step is not None
    assert str(verdict.step) == "Step 11, bias slopes: descent.bh: expected 1×3, got 1×1"
    assert verdict.step.as_json()["port"] is None and verdict.step.as_json()["port_shape"] == [1, 1]
    assert "descent.bh: expected 1×3, got 1×1 is the first traced value that differs" in verdict.line()


def test_the_first_divergence_of_the_right_shape_still_names_its_values():
    reference = steptrace.reference_trace(FIXTURE_DIR / "article.json")
    port = [steptrace.Entry(entry.step, entry.name, entry.value * (1.5 if entry.name == "d_output" else 1.0),
                            entry.title) for entry in reference]
    found = steptrace.first_divergence(port, reference, "article")
    assert found is not None and not found.shapes_differ
    assert str(found).startswith("Step 7, delta at the output layer: d_output[0, 0] port=")
