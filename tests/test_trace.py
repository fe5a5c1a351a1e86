"""`twinnet trace`: every named quantity of one epoch, for every variant, in both languages.

The two twins' traces agree quantity by quantity within the parity tolerance;
every quantity is labelled with a step number and title of the twins' markers
(as the side-by-side page shows them); the traced update is the training's own,
bit for bit; the JSON document validates against trace.schema.json.
"""

import json

import jsonschema
import numpy as np
import pytest
from conftest import FIXTURE_DIR, FIXTURE_NAMES

from twinnet import cli, fixtures, rbridge, trace, training
from twinnet.reading import numbers, steps

TRACERS = {"python": trace.trace_fixture, "r": rbridge.trace_fixture}


@pytest.mark.needs_r
@pytest.mark.parametrize("epoch", [1, 2])
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_python_and_r_traces_agree_quantity_by_quantity(name, epoch):
    path = FIXTURE_DIR / f"{name}.json"
    python, r = trace.trace_fixture(path, epoch), rbridge.trace_fixture(path, epoch)
    assert (python["language"], r["language"], python["epoch"], r["epoch"]) == ("python", "r", epoch, epoch)
    rows = numbers.differences(python, r)
    assert len(rows) >= 19
    for row in rows:
        assert numbers.agrees(row), f"{name} > epoch {epoch} > {row['name']}: max |py-R| {row['max_abs']}"


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_quantity_is_labelled_with_a_marker_of_both_twins_and_every_step_has_one(name):
    document = trace.trace_fixture(FIXTURE_DIR / f"{name}.json")
    info = steps.TWINS[document["variant"]]
    for language in steps.LANGUAGES:
        keys = {marker.key for marker in steps.find_markers(steps.read_lines(info.source(language)))}
        labels = {(entry["step"], entry["title"]) for entry in document["quantities"]}
        assert labels == keys, f"{name} > {language}: {sorted(labels ^ keys)}"
    order = [entry["step"] for entry in document["quantities"]]
    assert order == sorted(order), f"{name}: steps out of order: {order}"
    names = [entry["name"] for entry in document["quantities"]]
    assert len(names) == len(set(names)), f"{name}: a name twice"


@pytest.mark.needs_r
def test_the_step_tables_are_twins():
    """trace.py and trace.R list the same steps, titles and names."""
    for variant in trace.STEP_TABLES:
        python = [(step, title, name) for step, title, name in trace.step_names(variant, 2)]
        r = [(int(row["step"][0]), str(row["title"][0]), str(row["name"][0]))
             for row in rbridge.call("step_names", variant, 2)]
        assert python == r, variant


@pytest.mark.parametrize("language", sorted(TRACERS))
@pytest.mark.parametrize("name", ["article", "stepwise", "layered-xor"])
def test_the_traced_update_is_the_trainings_own(name, language):
    path = FIXTURE_DIR / f"{name}.json"
    train = training.train_fixture if language == "python" else rbridge.train_fixture
    for epoch in (1, 3):
        values = {entry["name"]: entry["values"] for entry in TRACERS[language](path, epoch)["quantities"]}
        for parameter, value in train(path, epoch)["params"].items():
            assert np.array_equal(values[f"updated.{parameter}"], value), f"{name} > {epoch} > {parameter}"
        first_loss = train(path, epoch)["loss"][-1]
        loss = values["cost" if name == "layered-xor" else "loss"]
        assert loss.shape == (1, 1) and loss[0, 0] == first_loss, f"{name} > {epoch} > loss"


def test_article_trace_has_the_articles_quantities_in_step_order():
    document = trace.trace_fixture(FIXTURE_DIR / "article.json")
    labels = [(entry["step"], entry["name"]) for entry in document["quantities"]]
    assert labels[:6] == [(0, "X"), (0, "y"), (1, "wh"), (1, "bh"), (1, "wout"), (1, "bout")]
    assert (9, "d_hiddenlayer") in labels and labels[-1] == (11, "updated.bout")
    values = {entry["name"]: entry["values"] for entry in document["quantities"]}
    assert values["hidden_layer_input"].shape == (3, 3) and values["descent.wh"].shape == (4, 3)
    # Step 2 by hand from the article's X and the fixture's init: X·wh + bh
    init = fixtures.read_fixture(FIXTURE_DIR / "article.json")["init"]
    assert np.array_equal(values["hidden_layer_input"], values["X"] @ init["wh"] + init["bh"])


def test_layered_trace_goes_backward_from_the_last_layer():
    names = [entry["name"] for entry in trace.trace_fixture(FIXTURE_DIR / "layered-xor.json")["quantities"]]
    assert names.index("layer2.dZ") < names.index("layer1.dZ") < names.index("updated.W1")
    assert names[:6] == ["x", "y", "W1", "b1", "W2", "b2"]


@pytest.mark.parametrize("language", sorted(TRACERS))
def test_json_trace_validates_and_reads_back_exactly(language, capsys):
    path = FIXTURE_DIR / "layered-xor.json"
    assert cli.main(["trace", str(path), "--lang", language, "--epoch", "2", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    schema = json.loads((FIXTURE_DIR / "trace.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)
    traced = TRACERS[language](path, 2)
    for written, entry in zip(document["quantities"], traced["quantities"], strict=True):
        assert np.array_equal(np.array(written["values"]), entry["values"]), written["name"]
        assert written["shape"] == list(entry["values"].shape)


@pytest.mark.needs_r
def test_text_trace_names_each_step_as_the_page_does(capsys):
    assert cli.main(["trace", str(FIXTURE_DIR / "stepwise.json"), "--lang", "r"]) == 0
    out = capsys.readouterr().out
    assert "\nStep 3: hidden layer activations\n  hiddenLayer_activations  3×3\n" in out
    first = trace.trace_fixture(FIXTURE_DIR / "stepwise.json")["quantities"][2]["values"][0, 0]
    assert repr(float(first)) in out  # full precision


@pytest.mark.parametrize("language", sorted(TRACERS))
@pytest.mark.parametrize("epoch", [0, -1, 1_000_001])
def test_trace_refuses_an_epoch_out_of_range(language, epoch, capsys):
    assert cli.main(["trace", str(FIXTURE_DIR / "article.json"), "--lang", language, "--epoch", str(epoch)]) == 2
    assert capsys.readouterr().err == "twinnet: E_HYPER: epoch: expected a whole number from 1 to 1000000\n"
