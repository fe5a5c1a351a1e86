"""Fixtures in, results out: the shared JSON files both languages read and write.

Twin of ``r/R/fixtures.R``.  A fixture (schema ``twinnet-fixture/1``, see
``shared_fixtures/schema.json``) holds the data, the hyperparameters, the initial
weights and the expected results.  A result (``twinnet-result/1``) holds what one
language trained from it.  Floats are written as ``repr`` (shortest round-trip)
so every double reads back bit-exactly.

Bad input raises :class:`FixtureError` with one line that names the JSON field,
with the same meaning as the R twin's error.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any, overload

import numpy as np

from . import article, layered, stepwise, trace
from . import fast as fast_paths
from .types import Params, Trained

FIXTURE_SCHEMA = "twinnet-fixture/1"
RESULT_SCHEMA = "twinnet-result/1"
VARIANTS = ("article", "stepwise", "layered")
ACTIVATIONS = ("sigmoid", "tanh")

# Limits on what a fixture may ask for, the same in both languages.
MAX_FIXTURE_BYTES = 16 * 1024 * 1024  # refused before parsing
MAX_DEPTH = 64  # nesting of arrays and objects, found by a linear scan before parsing
MAX_DIGITS = 4300  # digits in a row in a number (Python's int parsing limit)
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
}


class FixtureError(ValueError):
    """A fixture that cannot be trained: ``code`` is one of ERROR_CODES and
    ``message`` one line that names the JSON path, the same as in R."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


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


def load_json(path: str | Path) -> Any:
    """Parse a JSON file, refusing (in this order) a path that is not a readable
    regular file, one over MAX_FIXTURE_BYTES, bytes that are not UTF-8, text that
    is beyond strict JSON or nested deeper than MAX_DEPTH (a linear scan, before
    anything recursive runs), and text that is not JSON."""
    shown = escape(str(path))
    try:
        status = os.stat(path)
        if stat.S_ISDIR(status.st_mode):
            raise FixtureError("E_IO", f"{shown}: cannot read: Is a directory")
        if not stat.S_ISREG(status.st_mode):  # a FIFO would block, /dev/zero never end
            raise FixtureError("E_IO", f"{shown}: cannot read: not a regular file")
        if status.st_size > MAX_FIXTURE_BYTES:
            raise FixtureError("E_SIZE", f"{shown}: larger than {MAX_FIXTURE_BYTES} bytes")
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FIXTURE_BYTES + 1)
    except OSError as error:
        raise FixtureError("E_IO", f"{shown}: cannot read: {error.strerror}") from None
    if len(raw) > MAX_FIXTURE_BYTES:  # grew since the stat
        raise FixtureError("E_SIZE", f"{shown}: larger than {MAX_FIXTURE_BYTES} bytes")
    if raw.startswith(b"\xef\xbb\xbf") or b"\x00" in raw:
        raise FixtureError("E_ENCODING", f"{shown}: not UTF-8 text (a byte-order mark or a NUL byte)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FixtureError("E_ENCODING", f"{shown}: not UTF-8 text") from None
    refusal = scan_json(raw, text)
    if refusal is not None:
        raise FixtureError(refusal[0], f"{shown}: {refusal[1]}")
    try:
        return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except ValueError as error:
        raise FixtureError("E_JSON", f"{shown}: not valid JSON: {escape(str(error))}") from None


def scan_json(raw: bytes, text: str) -> tuple[str, str] | None:
    """What a linear scan finds wrong before any parser runs, as (code, words),
    or None: an escaped NUL or a lone surrogate escape (E_ENCODING: R's parser
    would cut or mangle the string), a comment, a backslash or a \\f or \\v
    outside strings (E_JSON: beyond RFC 8259, which R's parser accepts),
    nesting deeper than MAX_DEPTH (E_DEPTH: parsers recurse) and more than
    MAX_DIGITS digits in a row (E_JSON). No recursion, no quadratic step: the R
    twin does the same with the same vector operations. Offsets are 0-based bytes."""
    # Escaped backslashes first, left to right: every backslash left starts an escape.
    escapes = text.replace("\\\\", "..")
    if "\\u0000" in escapes:
        return "E_ENCODING", "not UTF-8 text (a byte-order mark or a NUL byte)"
    if re.search(LONE_SURROGATE, escapes):
        return "E_ENCODING", "not UTF-8 text (a lone surrogate escape)"
    data = np.frombuffer(raw, dtype=np.uint8)
    # Quotes that open or close strings: those not after an odd run of backslashes.
    backslashes = np.flatnonzero(data == 0x5C)
    quotes = np.flatnonzero(data == 0x22)
    if len(backslashes):
        breaks = np.flatnonzero(np.diff(backslashes) != 1)
        run_ends = np.append(backslashes[breaks], backslashes[-1])
        run_lengths = run_ends - np.insert(backslashes[breaks + 1], 0, backslashes[0]) + 1
        k = np.minimum(np.searchsorted(run_ends, quotes - 1), len(run_ends) - 1)
        quotes = quotes[(run_ends[k] != quotes - 1) | (run_lengths[k] % 2 == 0)]

    # not a quote: outside a string when an even number of quotes comes before
    def outside(positions: np.ndarray) -> np.ndarray:
        return positions[np.searchsorted(quotes, positions) % 2 == 0]

    foreign = outside(np.flatnonzero((data == 0x2F) | (data == 0x5C) | (data == 0x0B) | (data == 0x0C)))
    if len(foreign):
        return "E_JSON", (f"not valid JSON: unexpected character 0x{data[foreign[0]]:02x} at offset {foreign[0]} "
                          "(JSON has no comments; its only whitespace is space, tab, line feed and carriage return)")
    brackets = outside(np.flatnonzero((data == 0x5B) | (data == 0x7B) | (data == 0x5D) | (data == 0x7D)))
    depth = np.cumsum(np.where((data[brackets] == 0x5B) | (data[brackets] == 0x7B), 1, -1))
    deep = np.flatnonzero(depth > MAX_DEPTH)
    if len(deep):
        return "E_DEPTH", f"nested deeper than {MAX_DEPTH} levels at offset {brackets[deep[0]]}"
    digit = np.concatenate(([False], (data >= 0x30) & (data <= 0x39), [False]))
    edges = np.flatnonzero(digit[1:] != digit[:-1])  # starts and ends of runs of digits, in pairs
    starts, ends = edges[0::2], edges[1::2]
    long = outside(starts[ends - starts > MAX_DIGITS])
    if len(long):
        return "E_JSON", f"not valid JSON: a number of more than {MAX_DIGITS} digits at offset {long[0]}"
    return None


# An escape of a high surrogate not followed by a low one, or of a low one not
# after a high one (with escaped backslashes already blanked out).
LONE_SURROGATE = (r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
                  r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def escape(text: str) -> str:
    """Text for a one-line message: a line feed as \\n, every other control
    character, line separator or lone surrogate as \\u0007; the same in R."""
    return re.sub("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]",
                  lambda match: "\\n" if match.group() == "\n" else f"\\u{ord(match.group()):04x}", text)


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


def train_variant(variant: str, X: np.ndarray, y: np.ndarray, params: Params, hyper: dict[str, Any],
                  epochs: int, fast: bool = False) -> Trained:
    """(params, loss, output) from the variant's own training loop, or with
    ``fast=True`` from its fast path (``fast.py``: within the parity tolerance
    of the readable twin, not bit for bit)."""
    if variant == "layered":
        train_layered = fast_paths.train_layered_fast if fast else layered.train_layered
        return train_layered(X, y, params, hyper["activations"], epochs, hyper["lr"])
    if variant == "stepwise":
        train = fast_paths.train_stepwise_fast if fast else stepwise.train_stepwise
    else:
        train = fast_paths.train_fast if fast else article.train
    return train(X, y, params, epochs, hyper["lr"])


def train_fixture(path: str | Path, epochs: int | None = None, max_memory: float = MAX_MEMORY_GIB) -> dict[str, Any]:
    """Train the fixture's variant and return a ``twinnet-result/1`` dict.

    ``epochs`` overrides ``hyper.epochs`` (the fixture's ``expected`` values
    then no longer apply); ``max_memory`` is the budget in GiB (see
    :func:`check_budget`)."""
    fixture = read_fixture(path)
    hyper = fixture["hyper"]
    epochs = int(hyper["epochs"]) if epochs is None else epochs
    if isinstance(epochs, bool) or not isinstance(epochs, int) or not 0 <= epochs <= MAX_EPOCHS:
        raise FixtureError("E_HYPER", f"epochs: expected a whole number from 0 to {MAX_EPOCHS}")
    data = fixture["data"]
    n, d = data["X"].shape
    check_budget(fixture["variant"], n, d, hyper, epochs, max_memory)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below, once
        params, loss, output = train_variant(fixture["variant"], data["X"], data["y"], fixture["init"], hyper, epochs)
    _check_converging(loss, params)
    return {
        "schema": RESULT_SCHEMA,
        "fixture": fixture["name"],
        "language": "python",
        "params": params,
        "loss": loss,
        "output": output,
    }


def estimate_cost(variant: str, n: int, d: int, hyper: dict, epochs: int) -> tuple[float, float]:
    """(bytes, multiply-adds) a training run holds and does, roughly: the data
    (X twice, as some variants transpose it), the parameters three times (initial,
    current, gradient), eight n x units working arrays (pre-activations,
    activations, deltas, temporaries; units counts every layer's neurons, the
    output's too) and the loss; three passes over every parameter for each
    sample and epoch. The same formula in R, so both refuse the same runs."""
    parameters = sum(rows * columns for rows, columns in param_shapes(variant, d, hyper).values())
    units = sum(int(size) for size in hyper["neurons"]) if variant == "layered" else int(hyper["hidden"]) + 1
    doubles = 2.0 * n * d + 2.0 * n + 3.0 * parameters + 8.0 * n * units + epochs
    return 8.0 * doubles, 3.0 * epochs * n * parameters


def check_budget(variant: str, n: int, d: int, hyper: dict, epochs: int, max_memory: float = MAX_MEMORY_GIB) -> None:
    """Refuse (E_BUDGET), before training, a run whose :func:`estimate_cost`
    is past ``max_memory`` GiB or MAX_WORK multiply-adds."""
    if isinstance(max_memory, bool) or not _is_number(max_memory) or max_memory <= 0:
        raise FixtureError("E_HYPER", "max_memory: expected a finite number of GiB > 0")
    memory, work = estimate_cost(variant, n, d, hyper, epochs)
    if memory > max_memory * 2**30:
        raise FixtureError("E_BUDGET", f"training needs about {memory / 2**30:.1f} GiB; the limit is "
                                       f"{max_memory:g} GiB; raise it with --max-memory")
    if work > MAX_WORK:
        raise FixtureError("E_BUDGET", f"training needs about {work:.1e} multiply-adds, hours of computing; "
                                       f"the limit is {MAX_WORK:.0e}; lower the epochs")


def trace_fixture(path: str | Path, epoch: int = 1) -> dict[str, Any]:
    """Every named quantity of epoch ``epoch`` (from 1) of the fixture's
    variant, labelled with its step: a ``twinnet-trace/1`` dict whose
    ``quantities`` hold ``step``, ``title``, ``name``, ``shape`` and ``values``."""
    fixture = read_fixture(path)
    if isinstance(epoch, bool) or not isinstance(epoch, int) or not 1 <= epoch <= MAX_EPOCHS:
        raise FixtureError("E_HYPER", f"epoch: expected a whole number from 1 to {MAX_EPOCHS}")
    data = fixture["data"]
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below, once
        entries = trace.trace_variant(fixture["variant"], data["X"], data["y"], fixture["init"], fixture["hyper"],
                                      epoch)
    for entry in entries:
        if not np.isfinite(entry["value"]).all():
            raise FixtureError("E_DIVERGED", f"trace.{entry['name']}: not finite in epoch {epoch}: "
                                             "training diverged (try a smaller hyper.lr)")
    return {
        "schema": trace.TRACE_SCHEMA,
        "fixture": fixture["name"],
        "variant": fixture["variant"],
        "language": "python",
        "epoch": epoch,
        "quantities": [{"step": entry["step"], "title": entry["title"], "name": entry["name"],
                        "shape": list(entry["value"].shape), "values": entry["value"]} for entry in entries],
    }


def _check_converging(loss, params):
    """Refuse a run that diverged: name the first epoch whose loss is not
    finite, or the parameter that is not finite after the last epoch."""
    bad = np.flatnonzero(~np.isfinite(loss))
    if len(bad):
        raise FixtureError("E_DIVERGED", f"loss[{bad[0]}]: not finite: training diverged at epoch {bad[0] + 1} "
                                         "(try a smaller hyper.lr)")
    for name, value in params.items():
        if not np.isfinite(value).all():
            raise FixtureError("E_DIVERGED", f"params.{name}: not finite after epoch {len(loss)}: "
                                             "training diverged (try a smaller hyper.lr)")
    for name, value in params.items():  # finite but absurd: an lr of 1e308 moves nothing but the weights
        if value.size and np.abs(value).max() > MAX_MAGNITUDE:
            raise FixtureError("E_DIVERGED", f"params.{name}: larger than {MAX_MAGNITUDE:g} in magnitude after "
                                             f"epoch {len(loss)}: training diverged (try a smaller hyper.lr)")


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _unique_keys(pairs):
    document = dict(pairs)
    if len(document) < len(pairs):  # linear: a set of keys seen, not a count per key
        seen: set[str] = set()
        duplicates: set[str] = set()
        for key, _ in pairs:
            (duplicates if key in seen else seen).add(key)
        raise ValueError(f"duplicate key '{escape(min(duplicates))}'")
    return document


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
