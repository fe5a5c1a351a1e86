"""Reading a port's output: its result file, checked and compared with the
reference's, and what one run and one fixture came to (:class:`Run`,
:class:`Verdict`), as conform prints and reports them.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import parity, resources, safejson
from . import steptrace


class ResultError(ValueError):
    """A port's result that cannot be compared; the message says why, in one line."""


@dataclass
class Divergence:
    """The first element of one quantity that is out of tolerance in one run."""

    epoch: int
    quantity: str
    index: tuple[int, ...]
    port: float
    reference: float

    def __str__(self) -> str:
        index = ", ".join(map(str, self.index))
        return f"epoch {self.epoch}, {self.quantity}[{index}]: port={self.port!r}, reference={self.reference!r}"

    def as_json(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "quantity": self.quantity, "index": list(self.index),
                "port": self.port, "reference": self.reference}


@dataclass
class Run:
    """One run of the port on one fixture file: a derived copy (``label``
    ``epochs-0``, ``epochs-1``, ``epochs-2``) or the fixture itself (``full``)."""

    label: str
    epochs: int
    fixture: Path
    reference: dict[str, Any]
    port: dict[str, Any] | None = None
    error: str | None = None
    divergences: list[Divergence] = field(default_factory=list)
    stdout: str | None = None
    stderr: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.divergences

    @property
    def status(self) -> str:
        return "error" if self.error else "fail" if self.divergences else "pass"

    @property
    def stage(self) -> str:
        """The run in words, for messages."""
        return f"full run ({self.epochs} epochs)" if self.label == "full" else f"run with {self.epochs} epochs"

    @property
    def result(self) -> dict[str, Any]:
        """The port's result, for the runs that have one (all that the diagnosis looks at)."""
        if self.port is None:
            raise ValueError(f"{self.label}: the port gave no result")
        return self.port

    def differing(self) -> set[str]:
        """The names of the quantities out of tolerance."""
        return {divergence.quantity for divergence in self.divergences}

    def as_json(self) -> dict[str, Any]:
        max_abs = None if self.port is None else {
            name: float(np.max(np.abs(parity.quantities(self.port)[name] - reference), initial=0.0))
            for name, reference in parity.quantities(self.reference).items()}
        return {"label": self.label, "epochs": self.epochs, "fixture": str(self.fixture), "status": self.status,
                "error": self.error, "max_abs": max_abs,
                "divergences": [divergence.as_json() for divergence in self.divergences],
                "stdout": self.stdout, "stderr": self.stderr}


@dataclass
class Verdict:
    """Everything conform found out about one fixture."""

    fixture: dict[str, Any]
    path: Path
    runs: list[Run]
    diagnosis: str | None = None
    step: steptrace.StepDivergence | None = None
    trace: steptrace.TraceUse | None = None  # how much of the port's trace conform could use (None: no trace)

    @property
    def ok(self) -> bool:
        return all(run.ok for run in self.runs)

    @property
    def name(self) -> str:
        return self.fixture["name"]

    def line(self) -> str:
        """The fixture's one line: pass, or the first divergence and the diagnosis."""
        if self.ok:
            epochs = ", ".join(str(run.epochs) for run in self.runs)
            return f"pass  {self.name}: after {epochs} epochs within {parity.TOLERANCE:g}"
        run = self.runs[-1]
        if run.error:
            return f"FAIL  {self.name}: {run.stage}: {run.error}"
        return f"FAIL  {self.name}: {run.divergences[0]} -- {self.diagnosis}"

    def as_json(self) -> dict[str, Any]:
        failed = None if self.ok else self.runs[-1]
        return {
            "fixture": self.name,
            "path": str(self.path),
            "variant": self.fixture["variant"],
            "status": "pass" if self.ok else "fail",
            "line": self.line(),
            "first_divergence": failed.divergences[0].as_json() if failed and failed.divergences else None,
            "error": failed.error if failed else None,
            "diagnosis": self.diagnosis,
            "first_step": self.step.as_json() if self.step else None,
            "trace": self.trace.as_json() if self.trace else None,
            "runs": [run.as_json() for run in self.runs],
        }


def read_result(path: str | Path, reference: dict[str, Any]) -> dict[str, Any]:
    """The port's result as arrays, checked against ``result.schema.json`` and
    against the reference's fixture, names and shapes; raises :class:`ResultError`."""
    if not Path(path).exists():
        raise ResultError("the port wrote no result file")
    try:  # the fixture readers' rules: size cap, UTF-8, JSON without NaN, unique keys
        document = safejson.load_json(path)
    except safejson.FixtureError as error:
        detail = error.message.split(": ", 1)[-1]  # without the path
        raise ResultError(f"the result is {detail}" if error.code == "E_JSON"
                          else f"cannot read the result: {detail}") from None
    _check_structure(document, reference)
    params = {name: _array(document["params"][name], f"params.{name}") for name in reference["params"]}
    result = {**document, "params": params,
              "loss": _array(document["loss"], "loss"), "output": _array(document["output"], "output")}
    for name, want in parity.quantities(reference).items():
        where = f"params.{name}" if name in params else name
        _check_shape(parity.quantities(result)[name], np.shape(want), where)
    return result


def _check_structure(document, reference):
    """The result is an object, has the reference's parameter names, follows the
    result schema and names the fixture."""
    if not isinstance(document, dict):
        raise ResultError("the result is not a JSON object")
    params = document.get("params")
    if isinstance(params, dict) and sorted(params) != sorted(reference["params"]):
        raise ResultError(f"params: expected {', '.join(reference['params'])}, got {', '.join(params) or 'none'}")
    error = _schema_error(document)
    if error is not None:
        message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
        raise ResultError(f"the result does not follow result.schema.json at {error.json_path}: {message}")
    if document["fixture"] != reference["fixture"]:
        raise ResultError(f"fixture: expected {reference['fixture']!r}, got {document['fixture']!r}")


def _schema_error(document):
    """The most telling way the document breaks the result schema, or None:
    inside an anyOf, the error of the branch that got furthest.

    The loss's schema is "an array of numbers" (:data:`LOSS_SCHEMA`). When it
    is one, jsonschema sees only its first element: checking each one took
    93 ms for the article fixture's 5,000 epochs, most of the time conform
    spent reading a result."""
    from jsonschema.exceptions import best_match

    loss = document.get("loss")
    if isinstance(loss, list) and all(type(value) in (int, float) for value in loss):  # bool is no number
        document = {**document, "loss": loss[:1]}
    error = best_match(result_validator().iter_errors(document))
    while error is not None and error.context:
        error = max(error.context, key=lambda branch: len(branch.absolute_path))
    return error


# What result.schema.json asks of "loss", apart from its description (a test holds the file to it).
LOSS_SCHEMA = {"type": "array", "items": {"type": "number"}}


@functools.cache
def result_validator() -> Any:
    """A JSON Schema validator for ``shared_fixtures/result.schema.json``."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(resources.schema_path("result.schema.json").read_text(encoding="utf-8")))


def _array(value, where):
    try:
        array = np.array(value, dtype=float)
    except ValueError:
        raise ResultError(f"{where}: rows of different lengths") from None
    if not np.all(np.isfinite(array)):
        raise ResultError(f"{where}: expected finite numbers only")
    return array


def _check_shape(array, shape, where):
    if array.shape == shape:
        return
    if len(shape) == 1:
        raise ResultError(f"{where}: expected {shape[0]} numbers, one per epoch, got {array.size}")
    got = "x".join(map(str, array.shape))
    hint = " (transposed)" if array.shape == shape[::-1] else ""
    raise ResultError(f"{where}: expected {shape[0]}x{shape[1]}, got {got}{hint}")


def divergences(port: dict[str, Any], reference: dict[str, Any], exact_params: bool = False) -> list[Divergence]:
    """The first element out of tolerance of every quantity, earliest epoch first.

    With ``exact_params`` (after 0 epochs) the parameters must be equal."""
    found = []
    epochs = len(reference["loss"])
    for name, want in parity.quantities(reference).items():
        got = parity.quantities(port)[name]
        tolerance = 0.0 if exact_params and name in reference["params"] else parity.TOLERANCE
        index = parity.first_out_of_tolerance(got, want, tolerance)
        if index is not None:
            epoch = index[0] if name == "loss" else epochs
            found.append(Divergence(epoch, name, index, float(got[index]), float(want[index])))
    return sorted(found, key=lambda divergence: divergence.epoch)
