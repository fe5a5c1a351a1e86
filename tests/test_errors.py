"""Bad fixtures get the same one-line error in both languages, naming the field."""

import json

import numpy as np
import pytest

from twinnet import fixtures, rbridge

from conftest import FIXTURE_DIR


def transpose_wh(doc):
    doc["init"]["wh"] = np.array(doc["init"]["wh"]).T.tolist()


def set_in(path, value):
    def mutate(doc):
        *parents, key = path.split(".")
        target = doc
        for parent in parents:
            target = target[parent]
        if value is KeyError:
            del target[key]
        else:
            target[key] = value
    return mutate


CASES = {
    "schema": (set_in("schema", "twinnet-fixture/0"),
               "schema: expected 'twinnet-fixture/1', got 'twinnet-fixture/0'"),
    "variant": (set_in("variant", "perceptron"), "variant: unknown variant 'perceptron'"),
    "name": (set_in("name", 7), "name: expected a string"),
    "hyper missing": (set_in("hyper", KeyError), "hyper: missing"),
    "hidden": (set_in("hyper.hidden", 0), "hyper.hidden: expected a whole number >= 1, got 0"),
    "epochs": (set_in("hyper.epochs", 2.5), "hyper.epochs: expected a whole number >= 0, got 2.5"),
    "lr": (set_in("hyper.lr", -0.1), "hyper.lr: expected a finite number > 0, got -0.1"),
    "X missing": (set_in("data.X", KeyError), "data.X: missing"),
    "X ragged": (set_in("data.X", [[1, 0, 1, 0], [1, 0, 1], [0, 1, 0, 1]]),
                 "data.X: expected a non-empty list of equal-length rows"),
    "X empty": (set_in("data.X", []), "data.X: expected a non-empty list of equal-length rows"),
    "X string": (set_in("data.X", [[1, 0, 1, 0], [1, 0, "1", 1], [0, 1, 0, 1]]),
                 "data.X: expected finite numbers only"),
    "y shape": (set_in("data.y", [[1], [1]]), "data.y: expected 3x1, got 2x1"),
    "wh transposed": (transpose_wh, "init.wh: expected 4x3, got 3x4"),
    "bh shape": (set_in("init.bh", [[0.1, 0.2]]), "init.bh: expected 1x3, got 1x2"),
    "bout missing": (set_in("init.bout", KeyError), "init.bout: missing"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("language", ["python", "r"])
def test_both_languages_refuse_with_the_same_line(case, language, tmp_path):
    mutate, message = CASES[case]
    document = json.loads((FIXTURE_DIR / "article.json").read_text())
    mutate(document)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    train = fixtures.train_fixture if language == "python" else rbridge.train_fixture
    with pytest.raises(fixtures.FixtureError) as error:
        train(path)
    assert str(error.value) == message


@pytest.mark.parametrize("language", ["python", "r"])
def test_not_json_names_the_file(language, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{ not json")
    train = fixtures.train_fixture if language == "python" else rbridge.train_fixture
    with pytest.raises(fixtures.FixtureError, match=r"broken\.json: not valid JSON"):
        train(path)
