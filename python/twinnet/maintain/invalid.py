"""The invalid-fixture corpus: ``shared_fixtures/invalid/``, written by the generator.

Each file breaks one rule of the fixture format.  Its name starts with the
error code both readers must give (``E_SHAPE-wh-transposed.json``), since some
files cannot say anything inside (they are not JSON, or not UTF-8), and
``manifest.json`` lists every file with its code, a description and, where the
message does not depend on a JSON parser, the exact one-line message (``{path}``
stands for the path the reader was given).
The Python and the R tests both run every file: error parity, as the
parity of weights.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from .. import fixtures

RANGE = "expected a whole number from"


def base_fixture() -> dict[str, Any]:
    """A small valid article fixture (no ``expected``; readers do not need it)."""
    return {
        "schema": fixtures.FIXTURE_SCHEMA,
        "name": "invalid-base",
        "description": "A valid article fixture that each invalid file breaks in one place.",
        "variant": "article",
        "generator": {"program": "python -m twinnet generate", "seed": 42, "init": "written out",
                      "data": "the article's"},
        "data": {"X": [[1, 0, 1, 0], [1, 0, 1, 1], [0, 1, 0, 1]], "y": [[1], [1], [0]]},
        "hyper": {"hidden": 2, "epochs": 10, "lr": 0.1},
        "init": {"wh": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]], "bh": [[0.1, 0.2]],
                 "wout": [[0.3], [0.4]], "bout": [[0.5]]},
    }


def layered_base() -> dict[str, Any]:
    document = base_fixture()
    document.update(variant="layered", name="invalid-layered-base")
    document["hyper"] = {"neurons": [2, 1], "activations": ["tanh", "sigmoid"], "epochs": 10, "lr": 0.1}
    document["init"] = {"W1": [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8]], "b1": [[0], [0]],
                        "W2": [[0.3, 0.4]], "b2": [[0]]}
    return document


def edited(change: Callable[[dict[str, Any]], None], base: Callable[[], dict[str, Any]] = base_fixture) -> str:
    """The base fixture as JSON text after ``change(document)``."""
    document = copy.deepcopy(base())
    change(document)
    return json.dumps(document, indent=1)


def setter(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        *parents, key = path.split(".")
        for parent in parents:
            document = document[parent]
        if value is KeyError:
            del document[key]
        else:
            document[key] = value
    return change


def text_cases() -> list[tuple[str, str, bytes, str | None]]:
    """(file stem, description, content as bytes, message) for files broken
    below JSON; ``{path}`` in a message stands for the path the reader was given."""
    valid = edited(lambda doc: None)
    nul = "{path}: not UTF-8 text (a byte-order mark or a NUL byte)"
    return [
        ("E_ENCODING-latin1", "a Latin-1 byte (0xE9) in a string: not UTF-8",
         valid.replace("A valid", "A v\u00e9lid").encode("latin-1"), "{path}: not UTF-8 text"),
        ("E_ENCODING-bom", "a UTF-8 byte-order mark before the JSON", b"\xef\xbb\xbf" + valid.encode(), nul),
        ("E_ENCODING-nul", "a NUL byte inside the text", valid.encode().replace(b"A valid", b"A\x00valid"), nul),
        ("E_ENCODING-nul-escape", "an escaped NUL (\\u0000) inside a string, which some parsers cut at",
         valid.replace('"variant": "article"', '"variant": "article\\u0000deep"').encode(), nul),
        ("E_JSON-empty", "an empty file", b"", None),
        ("E_JSON-truncated", "the JSON stops half-way", valid.encode()[: len(valid) // 2], None),
        ("E_JSON-trailing", "a second value after the object", valid.encode() + b"\n{}", None),
        ("E_JSON-nan-token", "NaN is not a JSON value", valid.replace('"lr": 0.1', '"lr": NaN').encode(), None),
        ("E_JSON-infinity-token", "Infinity is not a JSON value",
         valid.replace('"lr": 0.1', '"lr": Infinity').encode(), None),
        ("E_JSON-single-quotes", "strings in single quotes", valid.replace('"name"', "'name'").encode(), None),
        ("E_JSON-duplicate-key", "the key lr twice in hyper",
         valid.replace('"lr": 0.1', '"lr": 0.1, "lr": 0.2').encode(), "{path}: not valid JSON: duplicate key 'lr'"),
        ("E_JSON-duplicate-nested", "duplicate keys at two depths (name, and lr in hyper): the inner one is named",
         valid.replace('"schema"', '"name": "z", "schema"', 1).replace('"lr": 0.1', '"lr": 0.1, "lr": 0.2').encode(),
         "{path}: not valid JSON: duplicate key 'lr'"),
        ("E_JSON-duplicate-key-newline", "a duplicate key with a line break in it: the message stays one line",
         valid.replace('"lr": 0.1', '"lr": 0.1, "a\\nE_OK: b": 1, "a\\nE_OK: b": 2').encode(),
         "{path}: not valid JSON: duplicate key 'a\\nE_OK: b'"),
        *hostile_text_cases(valid),
    ]


def hostile_text_cases(valid: str) -> list[tuple[str, str, bytes, str]]:
    """Text that R's parser (jsonlite) would take but JSON does not, nesting
    that parsers would recurse over, and numbers too long for Python's int:
    refused by the readers' linear scan, with a message that names the offset."""
    def at(content: bytes, marker: bytes, words: str) -> str:
        return f"{{path}}: {words}".replace("OFFSET", str(content.index(marker)))

    foreign = "not valid JSON: unexpected character 0x{:02x} at offset OFFSET (JSON has no comments; its only " \
              "whitespace is space, tab, line feed and carriage return)"
    cases = []
    for stem, description, old, new, marker in (
            ("E_JSON-comment-line", "a // comment, which jsonlite accepts", '"lr": 0.1', '"lr": 0.1 // the rate\n',
             b"//"),
            ("E_JSON-comment-block", "a /* */ comment, which jsonlite accepts", '"lr": 0.1', '"lr": /* rate */ 0.1',
             b"/*"),
            ("E_JSON-form-feed", "a form feed (\\f) as whitespace, which jsonlite accepts", '"lr": 0.1',
             '"lr":\f0.1', b"\f"),
            ("E_JSON-vertical-tab", "a vertical tab (\\v) as whitespace, which jsonlite accepts", '"lr": 0.1',
             '"lr":\v0.1', b"\v"),
            ("E_JSON-backslash-outside", "a backslash outside any string", '"lr": 0.1', '"lr": \\0.1', b"\\")):
        content = valid.replace(old, new).encode()
        cases.append((stem, description, content, at(content, marker, foreign.format(marker[0]))))
    digits = valid.replace('"epochs": 10', '"epochs": 1' + "0" * 4300).encode()
    cases.append(("E_JSON-long-integer", "an integer of 4301 digits (Python's parser refuses past 4300; R's "
                  "would read infinity)", digits,
                  at(digits, b"1" + b"0" * 4300, "not valid JSON: a number of more than 4300 digits at offset OFFSET")))
    lone = "{path}: not UTF-8 text (a lone surrogate escape)"
    cases.append(("E_ENCODING-lone-surrogate", "a lone high surrogate escape (\\ud800) in name",
                  valid.replace('"invalid-base"', '"x\\ud800or"').encode(), lone))
    cases.append(("E_ENCODING-lone-low-surrogate", "a lone low surrogate escape (\\udc00) in description",
                  valid.replace("A valid", "A \\udc00valid").encode(), lone))
    deep = edited(setter("data.y", "DEEP")).replace('"DEEP"', "[" * 100 + "]" * 100).encode()
    cases.append(("E_DEPTH-nested-100", "data.y nested 100 deep (a parser recursing over it, or a checker, "
                  "runs out of stack long before 1,000,000)", deep,
                  "{path}: nested deeper than 64 levels at offset " + str(deep.index(b"[" * 100) + 62)))
    extra = valid.replace('"schema"', '"padding": ' + "[" * 800 + "]" * 800 + ', "schema"', 1).encode()
    cases.append(("E_DEPTH-extra-key-800", "a valid fixture with one extra top-level key holding 800-deep arrays",
                  extra, "{path}: nested deeper than 64 levels at offset " + str(extra.index(b"[" * 800) + 63)))
    return cases


def document_cases() -> list[tuple[str, str, Callable[[dict[str, Any]], None] | None, Any, str | None]]:
    """(file stem, description, change, base, message) for well-formed JSON
    that breaks a fixture rule."""
    article, layered = base_fixture, layered_base
    neurons = f"hyper.neurons: expected 1 to {fixtures.MAX_LAYERS} whole numbers from 1 to {fixtures.MAX_NEURONS}, " \
              "one per layer, the last 1"
    return [
        ("E_SCHEMA-top-level-array", "the top level is a list, not an object",
         None, [base_fixture()], "(top level): expected an object, got a list"),
        ("E_SCHEMA-unknown-schema", "schema names another format",
         setter("schema", "twinnet-fixture/2"), article,
         "schema: expected 'twinnet-fixture/1', got 'twinnet-fixture/2'"),
        ("E_SCHEMA-schema-missing", "no schema key", setter("schema", KeyError), article, "schema: missing"),
        ("E_SCHEMA-name-number", "name is a number", setter("name", 7), article,
         "name: expected a string, got a number"),
        ("E_SCHEMA-hyper-missing", "no hyper key", setter("hyper", KeyError), article, "hyper: missing"),
        ("E_SCHEMA-data-list", "data is a list", setter("data", [[1]]), article,
         "data: expected an object, got a list"),
        ("E_SCHEMA-init-missing", "no init key", setter("init", KeyError), article, "init: missing"),
        ("E_SCHEMA-bout-missing", "init has no bout", setter("init.bout", KeyError), article, "init.bout: missing"),
        ("E_SCHEMA-extra-init-key", "init has a layered parameter", setter("init.W1", [[1]]), article,
         "init.W1: not a key of variant 'article'"),
        ("E_SCHEMA-hidden-in-layered", "a layered fixture with hyper.hidden", setter("hyper.hidden", 2), layered,
         "hyper.hidden: not a key of variant 'layered'"),
        ("E_VARIANT-unknown", "an unknown variant", setter("variant", "perceptron"), article,
         "variant: expected 'article', 'stepwise' or 'layered', got 'perceptron'"),
        ("E_VARIANT-two-lines", "a variant name with a line break: the message stays one line",
         setter("variant", "deep\nE_OK: fine"), article,
         "variant: expected 'article', 'stepwise' or 'layered', got 'deep\\nE_OK: fine'"),
        ("E_VARIANT-bell", "a variant name with a control character, shown escaped", setter("variant", "x\a\x1b[2J"),
         article, "variant: expected 'article', 'stepwise' or 'layered', got 'x\\u0007\\u001b[2J'"),
        ("E_SCHEMA-top-level-unknown", "a top-level key schema.json does not allow (additionalProperties: false)",
         setter("comment", "x"), article, "comment: not a key of twinnet-fixture/1"),
        ("E_SCHEMA-top-level-newline", "an unknown top-level key with a line break: the message stays one line",
         setter("a\nE_OK: b", 1), article, "a\\nE_OK: b: not a key of twinnet-fixture/1"),
        ("E_HYPER-hidden-int-overflow", "hidden of 2^31, one past R's largest integer", setter("hyper.hidden", 2**31),
         article, f"hyper.hidden: {RANGE} 1 to {fixtures.MAX_NEURONS}"),
        ("E_HYPER-epochs-int-overflow", "epochs of 2^31, one past R's largest integer", setter("hyper.epochs", 2**31),
         article, f"hyper.epochs: {RANGE} 0 to {fixtures.MAX_EPOCHS}"),
        ("E_HYPER-neurons-int-overflow", "a layer of 2^31 neurons", setter("hyper.neurons", [2**31, 1]), layered,
         f"hyper.neurons: expected 1 to {fixtures.MAX_LAYERS} whole numbers from 1 to {fixtures.MAX_NEURONS}, "
         "one per layer, the last 1"),
        ("E_VARIANT-number", "variant is a number", setter("variant", 1), article,
         "variant: expected 'article', 'stepwise' or 'layered', got a number"),
        ("E_HYPER-epochs-negative", "epochs below 0", setter("hyper.epochs", -1), article,
         f"hyper.epochs: {RANGE} 0 to {fixtures.MAX_EPOCHS}"),
        ("E_HYPER-epochs-fraction", "epochs not whole", setter("hyper.epochs", 2.5), article,
         f"hyper.epochs: {RANGE} 0 to {fixtures.MAX_EPOCHS}"),
        ("E_HYPER-epochs-absurd", "epochs above the cap", setter("hyper.epochs", 10**12), article,
         f"hyper.epochs: {RANGE} 0 to {fixtures.MAX_EPOCHS}"),
        ("E_HYPER-epochs-string", "epochs as a string", setter("hyper.epochs", "10"), article,
         f"hyper.epochs: {RANGE} 0 to {fixtures.MAX_EPOCHS}"),
        ("E_HYPER-lr-zero", "lr of 0", setter("hyper.lr", 0), article, "hyper.lr: expected a finite number > 0"),
        ("E_HYPER-lr-negative", "a negative lr", setter("hyper.lr", -0.1), article,
         "hyper.lr: expected a finite number > 0"),
        ("E_HYPER-lr-overflow", "lr of 1e999, which parses to infinity", None,
         edited(setter("hyper.lr", 0.125)).replace('"lr": 0.125', '"lr": 1e999'),
         "hyper.lr: expected a finite number > 0"),
        ("E_HYPER-hidden-zero", "no hidden units", setter("hyper.hidden", 0), article,
         f"hyper.hidden: {RANGE} 1 to {fixtures.MAX_NEURONS}"),
        ("E_HYPER-hidden-absurd", "hidden units above the cap", setter("hyper.hidden", 10**6), article,
         f"hyper.hidden: {RANGE} 1 to {fixtures.MAX_NEURONS}"),
        ("E_HYPER-neurons-last", "the last layer has 2 neurons but y has 1 column", setter("hyper.neurons", [2, 2]),
         layered, neurons),
        ("E_HYPER-activation-unknown", "relu is not one of the activations",
         setter("hyper.activations", ["relu", "sigmoid"]), layered,
         "hyper.activations: expected 'sigmoid' or 'tanh' for each of the 2 layers"),
        ("E_HYPER-activation-last-tanh", "a tanh output layer: the log-loss needs a probability",
         setter("hyper.activations", ["sigmoid", "tanh"]), layered,
         "hyper.activations: the last layer feeds the log-loss, so it must be 'sigmoid'"),
        ("E_SHAPE-x-empty", "no samples at all", setter("data.X", []), article,
         "data.X: expected a non-empty list of rows, got a list"),
        ("E_SHAPE-x-ragged", "a short row", setter("data.X", [[1, 0, 1, 0], [1, 0, 1], [0, 1, 0, 1]]), article,
         "data.X[1]: expected 4 numbers, got 3"),
        ("E_SHAPE-x-empty-row", "an empty row", setter("data.X", [[1, 0, 1, 0], [], [0, 1, 0, 1]]), article,
         "data.X[1]: expected a non-empty list of numbers, got a list"),
        ("E_SHAPE-x-flat", "X as a flat list", setter("data.X", [1, 0, 1, 0]), article,
         "data.X[0]: expected a non-empty list of numbers, got a number"),
        ("E_SHAPE-y-rows", "y has 2 rows for 3 samples", setter("data.y", [[1], [1]]), article,
         "data.y: expected 3x1, got 2x1"),
        ("E_SHAPE-y-columns", "y has 2 columns", setter("data.y", [[1, 0], [1, 0], [0, 1]]), article,
         "data.y: expected 3x1, got 3x2"),
        ("E_SHAPE-wh-transposed", "wh written h x d", setter("init.wh", [[0.1, 0.3, 0.5, 0.7], [0.2, 0.4, 0.6, 0.8]]),
         article, "init.wh: expected 4x2, got 2x4"),
        ("E_SHAPE-bh-hidden", "bh does not fit hyper.hidden", setter("init.bh", [[0.1, 0.2, 0.3]]), article,
         "init.bh: expected 1x2, got 1x3"),
        ("E_SHAPE-w1-transposed", "W1 written inputs x neurons",
         setter("init.W1", [[0.1, 0.5], [0.2, 0.6], [0.3, 0.7], [0.4, 0.8]]), layered,
         "init.W1: expected 2x4, got 4x2"),
        ("E_VALUE-x-string", "a number written as a string",
         setter("data.X", [[1, 0, 1, 0], [1, 0, "1", 1], [0, 1, 0, 1]]),
         article, "data.X[1][2]: expected a finite number, got '1'"),
        ("E_VALUE-x-null", "a null in X", setter("data.X", [[1, 0, 1, 0], [1, 0, 1, 1], [0, None, 0, 1]]), article,
         "data.X[2][1]: expected a finite number, got null"),
        ("E_VALUE-x-boolean", "true in X", setter("data.X", [[1, 0, 1, 0], [1, 0, 1, True], [0, 1, 0, 1]]), article,
         "data.X[1][3]: expected a finite number, got true"),
        ("E_VALUE-x-nested", "a list inside a row", setter("data.X", [[1, 0, 1, 0], [1, 0, [1], 1], [0, 1, 0, 1]]),
         article, "data.X[1][2]: expected a finite number, got a list"),
        ("E_VALUE-x-overflow", "1e999 in X, which parses to infinity", None,
         edited(setter("data.X", [[1, 0, 1, 0], [1, 0, 1, 0.125], [0, 1, 0, 1]])).replace("0.125", "1e999"),
         "data.X[1][3]: expected a finite number, got a non-finite number"),
        ("E_VALUE-x-huge", "1e151 in X: past 1e150, X·W would overflow or not as the BLAS fuses",
         setter("data.X", [[1, 0, 1, 0], [1, 0, 1, 1e151], [0, 1, 0, 1]]), article,
         "data.X[1][3]: expected a magnitude of at most 1e+150"),
        ("E_VALUE-y-outside", "a target of 2", setter("data.y", [[1], [2], [0]]), article,
         "data.y[1][0]: expected a value from 0 to 1"),
        ("E_VALUE-y-negative", "a target of -1", setter("data.y", [[1], [1], [-1]]), article,
         "data.y[2][0]: expected a value from 0 to 1"),
        ("E_VALUE-init-object", "an object inside wh",
         setter("init.wh", [[0.1, 0.2], [0.3, {"a": 1}], [0.5, 0.6], [0.7, 0.8]]),
         article, "init.wh[1][1]: expected a finite number, got an object"),
    ]


def corpus() -> dict[str, bytes]:
    """{file name: bytes} for every invalid file, and the manifest."""
    files, manifest = {}, []
    for stem, description, content, message in text_cases():
        files[f"{stem}.json"] = content
        manifest.append({"file": f"{stem}.json", "code": stem.split("-")[0], "description": description,
                         "message": message})
    for stem, description, change, base, message in document_cases():
        if change is not None:
            text = edited(change, base)
        else:
            text = base if isinstance(base, str) else json.dumps(base, indent=1)
        files[f"{stem}.json"] = text.encode()
        manifest.append({"file": f"{stem}.json", "code": stem.split("-")[0], "description": description,
                         "message": message})
    files["manifest.json"] = (json.dumps({
        "schema": "twinnet-invalid-corpus/1",
        "generator": "python -m twinnet generate",
        "description": ("Fixtures that both readers must refuse, each with the error code it must get "
                        "(also the start of its file name) and, where it does not depend on a JSON parser, "
                        "the exact message; {path} stands for the path the reader was given."),
        "cases": manifest,
    }, indent=2, ensure_ascii=False) + "\n").encode()
    return files
