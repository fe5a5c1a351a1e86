"""The mistakes module (python/twinnet/mistakes.py ↔ r/R/mistakes.R): with no
mistake switched on its epochs are the twins' bit for bit, on every fixture of
every variant; every mistake changes the result; Python and R make each
mistake alike; the two files are twins (mistakes, markers, messages); and each
exercise's broken port trains as the module with the exercise's mistake."""

import json

import numpy as np
import pytest
from conftest import FIXTURE_DIR

from twinnet import fixtures, mistakes, parity, rbridge, resources, training
from twinnet.ports import conform, exercises, run
from twinnet.reading import steps

EPOCHS = 3
FIXTURES = {path.stem: fixtures.read_fixture(path) for path in fixtures.fixture_paths(FIXTURE_DIR)}


def train(name, names, epochs=EPOCHS):
    fixture = FIXTURES[name]
    data = fixture["data"]
    return mistakes.train_variant_with(fixture["variant"], data["X"], data["y"], fixture["init"], fixture["hyper"],
                                       epochs, names)


def twin(name, epochs=EPOCHS):
    fixture = FIXTURES[name]
    data = fixture["data"]
    return training.train_variant(fixture["variant"], data["X"], data["y"], fixture["init"], fixture["hyper"], epochs)


def runs(fixture, mistake):
    """Whether the mistake can be made on the fixture: its variant has it, and wrong-axis needs n = h."""
    if fixture["variant"] not in mistakes.MISTAKES[mistake].steps:
        return False
    return mistake != "wrong-axis" or len(fixture["data"]["X"]) == fixture["init"]["bh"].shape[1]


CASES = [(name, mistake) for name, fixture in FIXTURES.items() for mistake in mistakes.MISTAKES
         if runs(fixture, mistake)]


def test_every_variant_has_fixtures_and_the_packaged_ones_are_the_shared_ones():
    assert {fixture["variant"] for fixture in FIXTURES.values()} == set(fixtures.VARIANTS)
    assert sorted(FIXTURES) == sorted(path.stem for path in fixtures.fixture_paths(resources.data_dir()))


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_with_no_mistake_the_epoch_is_the_twins_bit_for_bit(name):
    for epochs in (0, 1, EPOCHS):
        got, want = train(name, (), epochs), twin(name, epochs)
        assert list(got[0]) == list(want[0])
        for key in want[0]:
            assert got[0][key].shape == want[0][key].shape and (got[0][key] == want[0][key]).all(), key
        assert got[1].shape == want[1].shape and (got[1] == want[1]).all()
        assert got[2].shape == want[2].shape and (got[2] == want[2]).all()


@pytest.mark.parametrize("name, mistake", CASES)
def test_every_mistake_changes_the_result(name, mistake):
    got, want = train(name, [mistake]), twin(name)
    assert {key: value.shape for key, value in got[0].items()} == {key: value.shape for key, value in want[0].items()}
    changed = [key for key in want[0] if not np.array_equal(got[0][key], want[0][key])]
    assert changed or not np.array_equal(got[2], want[2]), f"{mistake} changes nothing on {name}"


def test_every_variant_has_the_two_factor_mistakes_conform_replays():
    for variant in fixtures.VARIANTS:
        assert {"preactivation", "stale", "hidden-lr-twice"} <= {
            name for name, mistake in mistakes.MISTAKES.items() if variant in mistake.steps}
    assert "article" in mistakes.MISTAKES["bias-mean"].steps and "layered" in mistakes.MISTAKES["bias-sum"].steps


def test_hidden_lr_twice_changes_only_the_hidden_layers_after_one_epoch():
    for name, hidden in (("xor", {"wh", "bh"}), ("stepwise", {"weights_input_hidden"}), ("layered-xor", {"W1", "b1"})):
        got, want = train(name, ["hidden-lr-twice"], 1), twin(name, 1)
        assert {key for key in want[0] if not np.array_equal(got[0][key], want[0][key])} == hidden


def test_the_texts_step_size_mistakes_are_training_at_that_step_size():
    fixture = FIXTURES["article"]
    X, y, init, lr = fixture["data"]["X"], fixture["data"]["y"], fixture["init"], fixture["hyper"]["lr"]
    for mistake, step_size in (("lr-twice", lr ** 2), ("mse-gradient", lr / len(X))):
        text = mistakes.train_with(X, y, init, 50, lr, [mistake])
        same = mistakes.train_with(X, y, init, 50, step_size)
        for name in init:
            assert np.max(np.abs(text[0][name] - same[0][name])) <= 1e-12


@pytest.mark.parametrize("names, message", [
    (["nonsense"], "E_USAGE: mistakes: 'nonsense' is not a known mistake; article's are transposed-init, "),
    (["bias-sum"], "E_USAGE: mistakes: 'bias-sum' is not a mistake of the article variant; article's are "),
])
@pytest.mark.needs_r
def test_an_unknown_mistake_is_one_line_the_same_in_both_languages(names, message):
    fixture = FIXTURES["article"]
    with pytest.raises(mistakes.MistakeError) as raised:
        train("article", names)
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)
    r_error = r_call("train_variant_with", "article", fixture["data"]["X"], fixture["data"]["y"],
                     rbridge.to_r_list(fixture["init"]), rbridge.to_r_list(fixture["hyper"]), 1, names, error=True)
    assert r_error == str(raised.value)


def test_wrong_axis_names_both_shapes_where_it_cannot_run():
    with pytest.raises(mistakes.MistakeError, match=r"'wrong-axis' gives a 1×150 bias step for the 1×5 bh"):
        train("iris", ["wrong-axis"], 1)


def r_call(function, *args, error=False):
    rbridge.r_package()
    from rpy2 import robjects
    from rpy2.robjects.conversion import localconverter

    with localconverter(rbridge.converter()):
        converted = [robjects.StrVector(arg) if isinstance(arg, list) else arg for arg in args]
        if not error:
            return rbridge._plain(robjects.r(f"twinnet:::{function}")(*converted))
        message = robjects.r("function(f, ...) tryCatch({f(...); ''}, error = conditionMessage)")(
            robjects.r(f"twinnet:::{function}"), *converted)
        return str(message[0])


@pytest.mark.needs_r
@pytest.mark.parametrize("name, mistake", [(name, None) for name in sorted(FIXTURES)] + CASES)
def test_python_and_r_make_each_mistake_alike(name, mistake):
    fixture = FIXTURES[name]
    names = [] if mistake is None else [mistake]
    data = fixture["data"]
    result = r_call("train_variant_with", fixture["variant"], data["X"], data["y"], rbridge.to_r_list(fixture["init"]),
                    rbridge.to_r_list(fixture["hyper"]), EPOCHS, names)
    python = train(name, names)
    pairs = [(f"params.{key}", python[0][key], result["params"][key]) for key in python[0]]
    pairs += [("loss", python[1], result["loss"]), ("output", python[2], result["output"])]
    for where, want, got in pairs:
        got = np.reshape(np.asarray(got, dtype=float), np.shape(want))
        finite = np.isfinite(want)
        assert (np.isfinite(got) == finite).all(), where
        assert np.array_equal(got[~finite], want[~finite], equal_nan=True), where
        scale = np.maximum(1.0, np.abs(want[finite]))  # a misprinted sigmoid's huge values: relative
        assert np.max(np.abs(got[finite] - want[finite]) / scale, initial=0.0) <= parity.TOLERANCE, where


def test_the_two_files_are_twins_with_the_twins_step_markers():
    python, r = (steps.find_markers(steps.read_lines(f"{path}")) for path in
                 ("python/twinnet/mistakes.py", "r/R/mistakes.R"))
    assert steps.marker_problems(python, r, "python/twinnet/mistakes.py", "r/R/mistakes.R") == []
    keys = {marker.key for marker in python}
    for variant, info in steps.TWINS.items():
        twin_keys = {marker.key for marker in steps.find_markers(steps.read_lines(info.python))}
        assert twin_keys <= keys, f"{variant}: {sorted(twin_keys - keys)}"


@pytest.mark.needs_r
def test_both_languages_list_the_same_mistakes():
    rbridge.r_package()
    from rpy2 import robjects

    known = robjects.r("twinnet:::mistakes_known")
    r = {name: ({variant: int(step) for variant, step in zip(item.rx2("steps").names, item.rx2("steps"), strict=True)},
                str(item.rx2("says")[0])) for name, item in zip(known.names, known, strict=True)}
    assert r == {name: (dict(mistake.steps), mistake.says) for name, mistake in mistakes.MISTAKES.items()}
    assert list(r) == list(mistakes.MISTAKES)


REPLAYED_EXERCISES = [mistake for mistake in exercises.MISTAKES.values() if mistake.replay]


def test_every_exercise_of_an_epoch_is_a_mistake_of_the_module():
    assert {mistake.key for mistake in exercises.MISTAKES.values() if not mistake.replay} == {"fifteen-digits"}
    for mistake in REPLAYED_EXERCISES:
        assert mistake.variant in mistakes.MISTAKES[mistake.replay].steps, mistake.key


@pytest.mark.parametrize("language", ["python", "r"])
@pytest.mark.parametrize("key", [mistake.key for mistake in REPLAYED_EXERCISES])
def test_each_exercises_broken_port_trains_as_the_module_with_its_mistake(key, language, tmp_path):
    mistake = exercises.MISTAKES[key]
    name = "article" if mistake.variant == "article" else "layered-xor"
    fixture = FIXTURES[name]
    port = tmp_path / f"port{exercises.EXTENSIONS[language]}"
    port.write_text(exercises.broken_source(key, language), encoding="utf-8")
    derived = conform.derive(FIXTURE_DIR / f"{name}.json", 1, tmp_path)
    assert run.command_port(exercises.port_command(port))(derived, tmp_path / "result.json") is None  # in process
    written = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    data = fixture["data"]
    replayed = mistakes.train_variant_with(fixture["variant"], data["X"], data["y"], fixture["init"],
                                           fixture["hyper"], 1, [mistake.replay])
    for parameter, want in replayed[0].items():
        got = np.array(written["params"][parameter], dtype=float)
        assert got.shape == want.shape and np.max(np.abs(got - want)) <= parity.TOLERANCE, parameter
    assert np.max(np.abs(np.array(written["output"], dtype=float) - replayed[2])) <= parity.TOLERANCE
