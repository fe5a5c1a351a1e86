"""Bad fixtures get the same error code and the same one-line message in both
languages, naming the JSON path.  (The shared corpus in
shared_fixtures/invalid/ is checked in test_invalid_corpus.py; these cases
mutate the shipped fixtures one key at a time.)"""

import json

import numpy as np
import pytest
from conftest import FIXTURE_DIR

from twinnet import parity, safejson
from twinnet.maintain.invalid import setter as set_in


def transpose(path):
    def mutate(doc):
        group, name = path.split(".")
        doc[group][name] = np.array(doc[group][name]).T.tolist()
    return mutate


RANGE = "expected a whole number from"
NEURONS = "hyper.neurons: expected 1 to 16 whole numbers from 1 to 4096, one per layer, the last 1"
CASES = {
    ("article", "schema"): (set_in("schema", "twinnet-fixture/0"), "E_SCHEMA",
                            "schema: expected 'twinnet-fixture/1', got 'twinnet-fixture/0'"),
    ("article", "variant"): (set_in("variant", "perceptron"), "E_VARIANT",
                             "variant: expected 'article', 'stepwise' or 'layered', got 'perceptron'"),
    ("article", "name"): (set_in("name", 7), "E_SCHEMA", "name: expected a string, got a number"),
    ("article", "hyper missing"): (set_in("hyper", KeyError), "E_SCHEMA", "hyper: missing"),
    ("article", "hyper a list"): (set_in("hyper", [1]), "E_SCHEMA", "hyper: expected an object, got a list"),
    ("article", "hidden"): (set_in("hyper.hidden", 0), "E_HYPER", f"hyper.hidden: {RANGE} 1 to 4096"),
    ("article", "epochs"): (set_in("hyper.epochs", 2.5), "E_HYPER", f"hyper.epochs: {RANGE} 0 to 1000000"),
    ("article", "epochs huge"): (set_in("hyper.epochs", 10**9), "E_HYPER", f"hyper.epochs: {RANGE} 0 to 1000000"),
    ("article", "lr"): (set_in("hyper.lr", -0.1), "E_HYPER", "hyper.lr: expected a finite number > 0"),
    ("article", "X missing"): (set_in("data.X", KeyError), "E_SCHEMA", "data.X: missing"),
    ("article", "X ragged"): (set_in("data.X", [[1, 0, 1, 0], [1, 0, 1], [0, 1, 0, 1]]), "E_SHAPE",
                              "data.X[1]: expected 4 numbers, got 3"),
    ("article", "X empty"): (set_in("data.X", []), "E_SHAPE", "data.X: expected a non-empty list of rows, got a list"),
    ("article", "X string"): (set_in("data.X", [[1, 0, 1, 0], [1, 0, "1", 1], [0, 1, 0, 1]]), "E_VALUE",
                              "data.X[1][2]: expected a finite number, got '1'"),
    ("article", "X bool"): (set_in("data.X", [[1, 0, 1, 0], [1, 0, 1, True], [0, 1, 0, 1]]), "E_VALUE",
                            "data.X[1][3]: expected a finite number, got true"),
    ("article", "X null"): (set_in("data.X", [[1, 0, 1, 0], [1, 0, 1, 1], [0, None, 0, 1]]), "E_VALUE",
                            "data.X[2][1]: expected a finite number, got null"),
    ("article", "y shape"): (set_in("data.y", [[1], [1]]), "E_SHAPE", "data.y: expected 3x1, got 2x1"),
    ("article", "y range"): (set_in("data.y", [[1], [2], [0]]), "E_VALUE",
                             "data.y[1][0]: expected a value from 0 to 1"),
    ("article", "wh transposed"): (transpose("init.wh"), "E_SHAPE", "init.wh: expected 4x3, got 3x4"),
    ("article", "bh shape"): (set_in("init.bh", [[0.1, 0.2]]), "E_SHAPE", "init.bh: expected 1x3, got 1x2"),
    ("article", "bout missing"): (set_in("init.bout", KeyError), "E_SCHEMA", "init.bout: missing"),
    ("layered-xor", "neurons last"): (set_in("hyper.neurons", [3, 2]), "E_HYPER", NEURONS),
    ("layered-xor", "neurons zero"): (set_in("hyper.neurons", [0, 1]), "E_HYPER", NEURONS),
    ("layered-xor", "activation name"): (set_in("hyper.activations", ["relu", "sigmoid"]), "E_HYPER",
                                         "hyper.activations: expected 'sigmoid' or 'tanh' for each of the 2 layers"),
    ("layered-xor", "activation count"): (set_in("hyper.activations", ["tanh"]), "E_HYPER",
                                          "hyper.activations: expected 'sigmoid' or 'tanh' for each of the 2 layers"),
    ("layered-xor", "W1 transposed"): (transpose("init.W1"), "E_SHAPE", "init.W1: expected 3x2, got 2x3"),
    ("layered-xor", "b2 missing"): (set_in("init.b2", KeyError), "E_SCHEMA", "init.b2: missing"),
    ("layered-xor", "extra layer"): (set_in("init.W3", [[0.5]]), "E_SCHEMA", "init.W3: not a key of variant 'layered'"),
    ("layered-xor", "extra keys sort alike"): (lambda doc: doc["init"].update(b3=[[0.0]], W3=[[0.5]]), "E_SCHEMA",
                                               "init.W3: not a key of variant 'layered'"),
    ("layered-xor", "hidden"): (set_in("hyper.hidden", 3), "E_SCHEMA", "hyper.hidden: not a key of variant 'layered'"),
    ("stepwise", "hidden missing"): (set_in("hyper.hidden", KeyError), "E_SCHEMA", "hyper.hidden: missing"),
    ("stepwise", "a bias"): (set_in("init.bh", [[0.1, 0.2, 0.3]]), "E_SCHEMA",
                             "init.bh: not a key of variant 'stepwise'"),
    ("stepwise", "weights shape"): (set_in("init.weights_hidden_output", [[0.1, 0.2, 0.3]]), "E_SHAPE",
                                    "init.weights_hidden_output: expected 3x1, got 1x3"),
    ("wide", "diverges"): (set_in("hyper.lr", 1.7e308), "E_DIVERGED",
                           "loss[1]: not finite: training diverged at epoch 2 (try a smaller hyper.lr)"),
}


@pytest.mark.parametrize("base, case", sorted(CASES))
@pytest.mark.parametrize("language", sorted(parity.TRAINERS))
def test_both_languages_refuse_with_the_same_code_and_line(base, case, language, tmp_path):
    mutate, code, message = CASES[base, case]
    document = json.loads((FIXTURE_DIR / f"{base}.json").read_text())
    mutate(document)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    with pytest.raises(safejson.FixtureError) as error:
        parity.TRAINERS[language](path)
    assert error.value.code == code
    if message is not None:
        assert error.value.message == message


@pytest.mark.needs_r
def test_an_absurd_lr_is_divergence_in_both_languages(tmp_path):
    """A sigmoid network saturates instead of overflowing: lr = 1e300 keeps the
    weights finite, but past 1e150 in magnitude, with a flat loss. That is not
    training: both languages refuse it as E_DIVERGED, with the same message."""
    document = json.loads((FIXTURE_DIR / "xor.json").read_text())
    document["hyper"]["lr"] = 1e300
    path = tmp_path / "saturates.json"
    path.write_text(json.dumps(document))
    messages = []
    for train in parity.TRAINERS.values():
        with pytest.raises(safejson.FixtureError) as error:
            train(path, 50)
        assert error.value.code == "E_DIVERGED"
        messages.append(error.value.message)
    assert messages[0] == messages[1]
    assert messages[0].endswith("larger than 1e+150 in magnitude after epoch 50: training diverged "
                                "(try a smaller hyper.lr)"), messages[0]


@pytest.mark.parametrize("language", sorted(parity.TRAINERS))
def test_not_json_names_the_file(language, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{ not json")
    with pytest.raises(safejson.FixtureError, match=r"broken\.json: not valid JSON") as error:
        parity.TRAINERS[language](path)
    assert error.value.code == "E_JSON"
