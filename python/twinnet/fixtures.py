"""Fixtures in, results out: the shared JSON files both languages read and write.

Twin of ``r/R/fixtures.R``.  A fixture (schema ``twinnet-fixture/1``, see
``shared_fixtures/schema.json``) holds the data, the hyperparameters, the initial
weights and the expected results.  A result (``twinnet-result/1``) holds what one
language trained from it.  Floats are written as ``repr`` (shortest round-trip)
so every double reads back bit-exactly.

Bad input raises :class:`FixtureError` with one line that names the JSON field,
with the same meaning as the R twin's error.
"""

import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from . import article, layered, stepwise

FIXTURE_SCHEMA = "twinnet-fixture/1"
RESULT_SCHEMA = "twinnet-result/1"
VARIANTS = ("article", "stepwise", "layered")
ACTIVATIONS = ("sigmoid", "tanh")


class FixtureError(ValueError):
    """A fixture that cannot be trained; the message names the JSON field."""


def fixture_paths(directory):
    """The fixture files in ``directory``: every ``*.json`` except the schemas."""
    return sorted(path for path in Path(directory).glob("*.json") if not path.name.endswith("schema.json"))


def read_fixture(path):
    """Read and check a fixture: returns the parsed JSON with ``data`` and
    ``init`` as float arrays in their documented shapes."""
    try:
        with open(path, encoding="utf-8") as handle:
            fixture = json.load(handle)
    except OSError as error:
        raise FixtureError(f"{path}: cannot read: {error.strerror}") from None
    except ValueError as error:
        raise FixtureError(f"{path}: not valid JSON: {error}") from None
    if not isinstance(fixture, dict):
        raise FixtureError("(top level): expected an object")
    _check_equal(fixture, "schema", FIXTURE_SCHEMA)
    variant = fixture.get("variant")
    if not isinstance(variant, str) or variant not in VARIANTS:
        raise FixtureError(f"variant: unknown variant {variant!r}")
    if not isinstance(fixture.get("name"), str):
        raise FixtureError("name: expected a string")
    hyper = _field(fixture, "hyper")
    _check_hyper(variant, hyper)
    data = _field(fixture, "data")
    X = _matrix(data, "data.X")
    n, d = X.shape
    data = {"X": X, "y": _matrix(data, "data.y", (n, 1))}
    init = _field(fixture, "init")
    shapes = param_shapes(variant, d, hyper)
    _check_no_extra(init, "init", shapes, variant)
    init = {name: _matrix(init, f"init.{name}", shape) for name, shape in shapes.items()}
    return {**fixture, "data": data, "init": init}


def param_shapes(variant, d, hyper):
    """The variant's parameters, name to shape, in the order they are drawn."""
    if variant == "layered":
        sizes = [d, *(int(size) for size in hyper["neurons"])]
        shapes = {}
        for layer, (inputs, neurons) in enumerate(zip(sizes, sizes[1:]), start=1):
            shapes[f"W{layer}"] = (neurons, inputs)
            shapes[f"b{layer}"] = (neurons, 1)
        return shapes
    h = hyper["hidden"]
    if variant == "stepwise":
        return {"weights_input_hidden": (d, h), "weights_hidden_output": (h, 1)}
    return {"wh": (d, h), "bh": (1, h), "wout": (h, 1), "bout": (1, 1)}


def train_variant(variant, X, y, params, hyper, epochs):
    """(params, loss, output) from the variant's own training loop."""
    if variant == "layered":
        return layered.train_layered(X, y, params, hyper["activations"], epochs, hyper["lr"])
    train = stepwise.train_stepwise if variant == "stepwise" else article.train
    return train(X, y, params, epochs, hyper["lr"])


def train_fixture(path, epochs=None):
    """Train the fixture's variant and return a ``twinnet-result/1`` dict.

    ``epochs`` overrides ``hyper.epochs`` (the fixture's ``expected`` values
    then no longer apply)."""
    fixture = read_fixture(path)
    hyper = fixture["hyper"]
    epochs = hyper["epochs"] if epochs is None else epochs
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise FixtureError(f"epochs: expected a whole number >= 0, got {epochs!r}")
    data = fixture["data"]
    params, loss, output = train_variant(fixture["variant"], data["X"], data["y"], fixture["init"], hyper, epochs)
    return {
        "schema": RESULT_SCHEMA,
        "fixture": fixture["name"],
        "language": "python",
        "params": params,
        "loss": loss,
        "output": output,
    }


def trace_fixture(path):
    """Every intermediate of one forward and one backward pass of a stepwise
    fixture, in the walk-through's order, as {name: matrix}."""
    fixture = read_fixture(path)
    if fixture["variant"] != "stepwise":
        raise FixtureError(f"variant: trace needs a 'stepwise' fixture, got {fixture['variant']!r}")
    return stepwise.trace_stepwise(fixture["data"]["X"], fixture["data"]["y"], fixture["init"])


def write_result(result, path):
    """Write a result with :func:`dumps` through a temporary file and a rename,
    so an interrupted write leaves the old file or none, never half a file."""
    path = Path(path)
    text = dumps(result)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def dumps(document, indent=0, per_line=4):
    """Deterministic JSON: objects one key a line, matrices one row a line, long
    vectors ``per_line`` numbers a line.  Arrays become lists; floats use repr."""
    if isinstance(document, np.ndarray):
        document = document.tolist()
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(document, dict):
        items = (f"{inner}{json.dumps(key)}: {dumps(value, indent + 1)}" for key, value in document.items())
        return "{\n" + ",\n".join(items) + "\n" + pad + "}" + ("\n" if indent == 0 else "")
    if isinstance(document, (list, tuple)):
        if all(isinstance(item, (list, tuple)) for item in document) and document:
            rows = (inner + dumps(row, indent + 1) for row in document)
            return "[\n" + ",\n".join(rows) + "\n" + pad + "]"
        scalars = [json.dumps(item, allow_nan=False) for item in document]
        if len(scalars) <= per_line:
            return "[" + ", ".join(scalars) + "]"
        chunks = (", ".join(scalars[i:i + per_line]) for i in range(0, len(scalars), per_line))
        return "[\n" + ",\n".join(inner + chunk for chunk in chunks) + "\n" + pad + "]"
    return json.dumps(document, allow_nan=False)


def _check_no_extra(mapping, field, allowed, variant):
    extra = sorted(set(mapping) - set(allowed)) if isinstance(mapping, dict) else []
    if extra:
        raise FixtureError(f"{field}.{extra[0]}: not a key of variant {variant!r}")


def _check_hyper(variant, hyper):
    allowed = ("neurons", "activations") if variant == "layered" else ("hidden",)
    _check_no_extra(hyper, "hyper", allowed + ("epochs", "lr"), variant)
    _whole_number(hyper, "hyper.epochs", minimum=0)
    lr = _field(hyper, "lr", "hyper.lr")
    if not _is_number(lr) or not math.isfinite(lr) or lr <= 0:
        raise FixtureError(f"hyper.lr: expected a finite number > 0, got {lr!r}")
    if variant != "layered":
        _whole_number(hyper, "hyper.hidden", minimum=1)
        return
    neurons = _field(hyper, "neurons", "hyper.neurons")
    if (not isinstance(neurons, list) or not neurons or neurons[-1] != 1
            or not all(_is_number(size) and math.isfinite(size) and size == int(size) and size >= 1
                       for size in neurons)):
        raise FixtureError("hyper.neurons: expected a list of whole numbers >= 1, one per layer, the last 1")
    activations = _field(hyper, "activations", "hyper.activations")
    if (not isinstance(activations, list) or len(activations) != len(neurons)
            or not all(isinstance(name, str) and name in ACTIVATIONS for name in activations)):
        raise FixtureError(f"hyper.activations: expected 'sigmoid' or 'tanh' for each of the {len(neurons)} layers")


def _field(mapping, key, field=None):
    field = field or key
    if not isinstance(mapping, dict) or key not in mapping:
        raise FixtureError(f"{field}: missing")
    return mapping[key]


def _check_equal(mapping, key, expected):
    if mapping.get(key) != expected:
        raise FixtureError(f"{key}: expected {expected!r}, got {mapping.get(key)!r}")


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole_number(mapping, field, minimum):
    value = _field(mapping, field.split(".")[-1], field)
    if not _is_number(value) or not math.isfinite(value) or value != int(value) or value < minimum:
        raise FixtureError(f"{field}: expected a whole number >= {minimum}, got {value!r}")
    return int(value)


def _matrix(mapping, field, shape=None):
    """A list of equal-length rows of finite numbers, as a float array."""
    rows = _field(mapping, field.split(".")[-1], field)
    if (not isinstance(rows, list) or not rows
            or not all(isinstance(row, list) and row and len(row) == len(rows[0]) for row in rows)):
        raise FixtureError(f"{field}: expected a non-empty list of equal-length rows")
    if not all(_is_number(value) and math.isfinite(value) for row in rows for value in row):
        raise FixtureError(f"{field}: expected finite numbers only")
    matrix = np.array(rows, dtype=float)
    if shape is not None and matrix.shape != shape:
        raise FixtureError(f"{field}: expected {shape[0]}x{shape[1]}, got {matrix.shape[0]}x{matrix.shape[1]}")
    return matrix
