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
LAYERED_CASES = {
    "neurons last": (set_in("hyper.neurons", [3, 2]),
                     "hyper.neurons: expected a list of whole numbers >= 1, one per layer, the last 1"),
    "neurons zero": (set_in("hyper.neurons", [0, 1]),
                     "hyper.neurons: expected a list of whole numbers >= 1, one per layer, the last 1"),
    "activation name": (set_in("hyper.activations", ["relu", "sigmoid"]),
                        "hyper.activations: expected 'sigmoid' or 'tanh' for each of the 2 layers"),
    "activation count": (set_in("hyper.activations", ["tanh"]),
                         "hyper.activations: expected 'sigmoid' or 'tanh' for each of the 2 layers"),
    "W1 transposed": (lambda doc: doc["init"].update(W1=np.array(doc["init"]["W1"]).T.tolist()),
                      "init.W1: expected 3x2, got 2x3"),
    "b2 missing": (set_in("init.b2", KeyError), "init.b2: missing"),
    "extra layer": (set_in("init.W3", [[0.5]]), "init.W3: not a key of variant 'layered'"),
    "extra keys sort alike": (lambda doc: doc["init"].update(b3=[[0.0]], W3=[[0.5]]),
                              "init.W3: not a key of variant 'layered'"),
    "hidden": (set_in("hyper.hidden", 3), "hyper.hidden: not a key of variant 'layered'"),
}
STEPWISE_CASES = {
    "hidden missing": (set_in("hyper.hidden", KeyError), "hyper.hidden: missing"),
    "a bias": (set_in("init.bh", [[0.1, 0.2, 0.3]]), "init.bh: not a key of variant 'stepwise'"),
    "weights shape": (set_in("init.weights_hidden_output", [[0.1, 0.2, 0.3]]),
                      "init.weights_hidden_output: expected 3x1, got 1x3"),
}
ALL_CASES = {**{("article", case): value for case, value in CASES.items()},
             **{("layered-xor", case): value for case, value in LAYERED_CASES.items()},
             **{("stepwise", case): value for case, value in STEPWISE_CASES.items()}}


@pytest.mark.parametrize("base, case", sorted(ALL_CASES))
@pytest.mark.parametrize("language", ["python", "r"])
def test_both_languages_refuse_with_the_same_line(base, case, language, tmp_path):
    mutate, message = ALL_CASES[base, case]
    document = json.loads((FIXTURE_DIR / f"{base}.json").read_text())
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
