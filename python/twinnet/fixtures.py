"""Fixtures: finding them, reading them, and checking them against the rules both languages share.

Twin of ``r/R/fixtures.R``.  A fixture (schema ``twinnet-fixture/1``, see
``shared_fixtures/schema.json``) holds the data, the hyperparameters, the initial
weights and the expected results.  :func:`read_fixture` parses one with
``safejson.load_json`` and checks it with :func:`check_fixture`; training it is
``training``'s job, writing a result ``results``'.

Bad input raises :class:`~twinnet.safejson.FixtureError` with a code from
ERROR_CODES and one line that names the JSON field, with the same meaning as
the R twin's error.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any, overload

import numpy as np

from .safejson import MAX_DEPTH, MAX_FIXTURE_BYTES, FixtureError, escape, load_json

FIXTURE_SCHEMA = "twinnet-fixture/1"
RESULT_SCHEMA = "twinnet-result/1"
VARIANTS = ("article", "stepwise", "layered")
ACTIVATIONS = ("sigmoid", "tanh")

# Limits on what a fixture may ask for, the same in both languages (those of
# the JSON text itself, MAX_FIXTURE_BYTES, MAX_DEPTH and MAX_DIGITS, are safejson's).
MAX_EPOCHS = 1_000_000
MAX_NEURONS = 4096  # hidden units in any layer
MAX_LAYERS = 16  # layered variant
MAX_MEMORY_GIB = 2  # default memory budget of one training run
MAX_WORK = 1e13  # multiply-adds of one training run: hours of computing
MAX_MAGNITUDE = 1e150  # a parameter past this has diverged; data past it is refused
TOP_LEVEL_KEYS = ("schema", "name", "description", "variant", "generator", "data", "hyper", "init", "expected")

# Every refusal has one of these codes; the R twin uses the same ones.
ERROR_CODES = {
    "E_IO": "the file cannot be read, or is not a regular file (a FIFO, a device, a directory)",
    "E_SIZE": f"the file is larger than {MAX_FIXTURE_BYTES} bytes",
    "E_ENCODING": "the file is not UTF-8 (or has a byte-order mark, a NUL byte or a lone surrogate escape)",
    "E_JSON": "the file is not valid JSON (NaN, Infinity and comments are not JSON; keys must be unique)",
    "E_DEPTH": f"arrays and objects are nested deeper than {MAX_DEPTH} levels",
    "E_SCHEMA": "a key is missing, unexpected, or of the wrong kind; or schema is not twinnet-fixture/1",
    "E_VARIANT": "variant names no known variant",
    "E_HYPER": "a hyperparameter is out of range",
    "E_SHAPE": "a matrix is empty, ragged, or has the wrong shape",
    "E_VALUE": "a matrix holds something other than finite numbers, or y lies outside [0, 1]",
    "E_BUDGET": "training would need more memory or time than the budget allows",
    "E_DIVERGED": f"training produced a non-finite loss, or a parameter past {MAX_MAGNITUDE:g} in magnitude",
    "E_OUTPUT": "the output path is refused (a fixture, under shared_fixtures/, not a regular file) or "
                "cannot be written",
    "E_CHECKOUT": "the command needs the source tree: run it in a clone of the repository",
    "E_EXTRA": "the command needs an optional dependency that is not installed (a pip extra)",
    "E_USAGE": "a command-line argument, a setting (TWINNET_THREADS) or an argument of a function is not valid",
}


def fixture_paths(directory: str | Path) -> list[Path]:
    """The fixture files in ``directory``: every ``*.json`` except the schemas."""
    return sorted(path for path in Path(directory).glob("*.json") if not path.name.endswith("schema.json"))


@overload
def example(name: None = None) -> list[str]: ...
@overload
def example(name: str) -> Path: ...
def example(name: str | None = None) -> list[str] | Path:
    """The fixtures installed with twinnet: their names, or one's path.

    Like R's ``twinnet_example()`` (and ``readr_example()``): without a name,
    the sorted list of packaged fixture names; with one, e.g. ``"article"``,
    the path of that fixture in the installed package (``twinnet/data/``, a
    byte-identical copy of the repository's ``shared_fixtures/``)."""
    from .resources import data_dir

    names = [path.stem for path in fixture_paths(data_dir())]
    if name is None:
        return names
    if not isinstance(name, str) or name not in names:
        shown = f"'{name}'" if isinstance(name, str) else _kind(name)
        raise FixtureError("E_IO", f"no packaged fixture named {shown}; the packaged fixtures are: "
                           + ", ".join(names))
    return data_dir() / f"{name}.json"


def read_fixture(path: str | Path) -> dict[str, Any]:
    """Read and check a fixture: returns the parsed JSON with ``data`` and
    ``init`` as float arrays in their documented shapes."""
    return check_fixture(load_json(path))


def check_fixture(fixture: Any) -> dict[str, Any]:
    """Check a parsed fixture against the rules both languages share; returns
    it with ``data`` and ``init`` as float arrays."""
    if not isinstance(fixture, dict):
        raise FixtureError("E_SCHEMA", f"(top level): expected an object, got {_kind(fixture)}")
    schema = _field(fixture, "schema", "schema")
    if schema != FIXTURE_SCHEMA:
        raise FixtureError("E_SCHEMA", f"schema: expected '{FIXTURE_SCHEMA}', got {_kind(schema)}")
    unknown = sorted(set(fixture) - set(TOP_LEVEL_KEYS))
    if unknown:  # schema.json: additionalProperties false
        raise FixtureError("E_SCHEMA", f"{escape(unknown[0])}: not a key of {FIXTURE_SCHEMA}")
    if not isinstance(_field(fixture, "name", "name"), str):
        raise FixtureError("E_SCHEMA", f"name: expected a string, got {_kind(fixture['name'])}")
    variant = _field(fixture, "variant", "variant")
    if not isinstance(variant, str) or variant not in VARIANTS:
        raise FixtureError("E_VARIANT", f"variant: expected 'article', 'stepwise' or 'layered', got {_kind(variant)}")
    hyper = _object(fixture, "hyper")
    _check_hyper(variant, hyper)
    data = _object(fixture, "data")
    _check_no_extra(data, "data", ("X", "y"), variant)
    X = _as_matrix(data, "X", "data.X")
    big = np.argwhere(np.abs(X) > MAX_MAGNITUDE)  # X·W would overflow or not as the BLAS fuses: refused in both
    if len(big):
        raise FixtureError("E_VALUE", f"data.X[{big[0][0]}][{big[0][1]}]: expected a magnitude of at most "
                                      f"{MAX_MAGNITUDE:g}")
    n, d = X.shape
    y = _as_matrix(data, "y", "data.y", (n, 1))
    outside = np.argwhere((y < 0) | (y > 1))
    if len(outside):
        raise FixtureError("E_VALUE", f"data.y[{outside[0][0]}][0]: expected a value from 0 to 1")
    init = _object(fixture, "init")
    shapes = param_shapes(variant, d, hyper)
    _check_no_extra(init, "init", shapes, variant)
    init = {name: _as_matrix(init, name, f"init.{name}", shape) for name, shape in shapes.items()}
    return {**fixture, "data": {"X": X, "y": y}, "init": init}


def param_shapes(variant: str, d: int, hyper: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """The variant's parameters, name to shape, in the order they are drawn."""
    if variant == "layered":
        sizes = [d, *(int(size) for size in hyper["neurons"])]
        shapes = {}
        for layer, (inputs, neurons) in enumerate(itertools.pairwise(sizes), start=1):
            shapes[f"W{layer}"] = (neurons, inputs)
            shapes[f"b{layer}"] = (neurons, 1)
        return shapes
    h = hyper["hidden"]
    if variant == "stepwise":
        return {"weights_input_hidden": (d, h), "weights_hidden_output": (h, 1)}
    return {"wh": (d, h), "bh": (1, h), "wout": (h, 1), "bout": (1, 1)}


def _finite(value):
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a double
        return False


def _kind(value):
    """How a refused value is named in messages: the same words in R."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):  # control characters and line breaks escaped: messages stay one line
        return "'" + escape(value) + "'"
    if isinstance(value, (int, float)):
        return "a number" if _finite(value) else "a non-finite number"
    return "a list" if isinstance(value, list) else "an object"


def _field(mapping, key, field):
    if key not in mapping:
        raise FixtureError("E_SCHEMA", f"{field}: missing")
    return mapping[key]


def _object(mapping, key):
    value = _field(mapping, key, key)
    if not isinstance(value, dict):
        raise FixtureError("E_SCHEMA", f"{key}: expected an object, got {_kind(value)}")
    return value


def _check_no_extra(mapping, field, allowed, variant):
    extra = sorted(set(mapping) - set(allowed))
    if extra:
        raise FixtureError("E_SCHEMA", f"{field}.{escape(extra[0])}: not a key of variant '{variant}'")


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and _finite(value)


def _is_whole(value, minimum, maximum):
    return _is_number(value) and value == int(value) and minimum <= value <= maximum


def _check_hyper(variant, hyper):
    allowed = ("neurons", "activations") if variant == "layered" else ("hidden",)
    _check_no_extra(hyper, "hyper", allowed + ("epochs", "lr"), variant)
    if not _is_whole(_field(hyper, "epochs", "hyper.epochs"), 0, MAX_EPOCHS):
        raise FixtureError("E_HYPER", f"hyper.epochs: expected a whole number from 0 to {MAX_EPOCHS}")
    lr = _field(hyper, "lr", "hyper.lr")
    if not _is_number(lr) or lr <= 0:
        raise FixtureError("E_HYPER", "hyper.lr: expected a finite number > 0")
    if variant != "layered":
        if not _is_whole(_field(hyper, "hidden", "hyper.hidden"), 1, MAX_NEURONS):
            raise FixtureError("E_HYPER", f"hyper.hidden: expected a whole number from 1 to {MAX_NEURONS}")
        return
    neurons = _field(hyper, "neurons", "hyper.neurons")
    if (not isinstance(neurons, list) or not 1 <= len(neurons) <= MAX_LAYERS or not _is_whole(neurons[-1], 1, 1)
            or not all(_is_whole(size, 1, MAX_NEURONS) for size in neurons)):
        raise FixtureError("E_HYPER", f"hyper.neurons: expected 1 to {MAX_LAYERS} whole numbers from 1 to "
                                      f"{MAX_NEURONS}, one per layer, the last 1")
    activations = _field(hyper, "activations", "hyper.activations")
    if (not isinstance(activations, list) or len(activations) != len(neurons)
            or not all(isinstance(name, str) and name in ACTIVATIONS for name in activations)):
        raise FixtureError("E_HYPER", f"hyper.activations: expected 'sigmoid' or 'tanh' for each of the "
                                      f"{len(neurons)} layers")
    if activations[-1] != "sigmoid":
        raise FixtureError("E_HYPER", "hyper.activations: the last layer feeds the log-loss, so it must be 'sigmoid'")


def _as_matrix(mapping, key, field, shape=None):
    """A non-empty list of equal-length, non-empty rows of finite numbers, as a
    float array; the first fault found, row by row, names its index."""
    rows = _field(mapping, key, field)
    if not isinstance(rows, list) or not rows:
        raise FixtureError("E_SHAPE", f"{field}: expected a non-empty list of rows, got {_kind(rows)}")
    for i, row in enumerate(rows):
        if not isinstance(row, list) or not row:
            raise FixtureError("E_SHAPE", f"{field}[{i}]: expected a non-empty list of numbers, got {_kind(row)}")
        if len(row) != len(rows[0]):
            raise FixtureError("E_SHAPE", f"{field}[{i}]: expected {len(rows[0])} numbers, got {len(row)}")
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if not _is_number(value):
                raise FixtureError("E_VALUE", f"{field}[{i}][{j}]: expected a finite number, got {_kind(value)}")
    matrix = np.array(rows, dtype=float)
    if shape is not None and matrix.shape != tuple(shape):
        raise FixtureError("E_SHAPE", f"{field}: expected {shape[0]}x{shape[1]}, "
                                      f"got {matrix.shape[0]}x{matrix.shape[1]}")
    return matrix
