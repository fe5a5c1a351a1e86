"""Step-level conformance: the first step where a port's own trace of its first
epoch leaves the reference's.

A port that finds ``TWINNET_TRACE=PATH`` in its environment writes PATH, a
``twinnet-trace/1`` document (``shared_fixtures/trace.schema.json``, the format
of ``twinnet trace --format json``; docs/porting.md, "Traces") of its first
epoch.  conform compares it with the Python twin's trace of the same fixture
(:func:`twinnet.trace.trace_fixture`), quantity by quantity in the
reference's order, matching them by step and name: the first one that differs
is named with its step's number and title and both values.  The data and the
initial parameters (the steps up to the one that reads them) must be equal bit
for bit, every other value within ``parity.TOLERANCE``; a value of another shape
is named with both shapes.  Quantities a port does not trace are skipped; the
names it traces that the reference does not have are counted and named, with
the closest reference name (:func:`trace_use`), so that a port knows how much of
its trace conform uses.
"""

from __future__ import annotations

import difflib
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import parity, resources, safejson, trace

ENVIRONMENT = "TWINNET_TRACE"
TRACED_EPOCH = 1
INIT_STEPS = {"article": 1, "stepwise": 1, "layered": 0}
"""The step that reads the initial parameters: up to it, values must be equal bit for bit."""


class TraceError(ValueError):
    """A trace file that cannot be used; the message says why, in one line."""


@dataclass
class Entry:
    """One traced quantity."""

    step: int
    name: str
    value: np.ndarray
    title: str = ""


@dataclass
class StepDivergence:
    """The first traced quantity whose value differs from the reference's; when its
    shape differs, ``port`` is None and both shapes are named."""

    step: int
    title: str
    name: str
    index: tuple
    port: float | None
    reference: float
    port_shape: tuple = ()
    reference_shape: tuple = ()

    @property
    def shapes_differ(self) -> bool:
        return self.port_shape != self.reference_shape

    def __str__(self) -> str:
        if self.shapes_differ:
            return (f"Step {self.step}, {self.title}: {self.name}: expected {shape_words(self.reference_shape)}, "
                    f"got {shape_words(self.port_shape)}")
        index = ", ".join(map(str, self.index))
        return (f"Step {self.step}, {self.title}: {self.name}[{index}] port={self.port!r}, "
                f"reference={self.reference!r}")

    def as_json(self) -> dict:
        return {"step": self.step, "title": self.title, "name": self.name, "index": list(self.index),
                "port": self.port, "reference": self.reference,
                "port_shape": list(self.port_shape), "reference_shape": list(self.reference_shape)}


@dataclass
class TraceUse:
    """How much of a port's trace conform used: the reference's quantities it
    matched by step and name, and the port's names it does not know, each with
    a suggestion ("" when none is close)."""

    matched: int
    total: int
    unknown: list  # [(step, name, suggestion)]

    def __str__(self) -> str:
        line = f"trace: {self.matched} of {self.total} quantities matched"
        if self.unknown:
            named = [f"`{name}` (Step {step}" + (f"; did you mean {suggestion}?)" if suggestion else ")")
                     for step, name, suggestion in self.unknown]
            line += f"; unknown: {', '.join(named)}"
        return line

    def as_json(self) -> dict:
        return {"matched": self.matched, "total": self.total,
                "unknown": [{"step": step, "name": name, "suggestion": suggestion}
                            for step, name, suggestion in self.unknown]}


def shape_words(shape: tuple) -> str:
    """A shape as a porter writes it: 1×3."""
    return "×".join(map(str, shape))


@functools.cache
def trace_validator() -> Any:
    """A JSON Schema validator for ``shared_fixtures/trace.schema.json``."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(resources.schema_path("trace.schema.json").read_text(encoding="utf-8")))


def entries(document: dict) -> list:
    """The quantities of a ``twinnet-trace/1`` dict as entries."""
    return [Entry(item["step"], item["name"], np.array(item["values"], dtype=float, ndmin=2), item["title"])
            for item in document["quantities"]]


def reference_trace(fixture_path: Path) -> list:
    """The Python twin's trace of the fixture's first epoch."""
    return entries(trace.trace_fixture(fixture_path, TRACED_EPOCH))


def read_trace(path: Path) -> list:
    """A port's trace file as entries, checked against the trace schema; raises :class:`TraceError`."""
    try:
        document = safejson.load_json(path)
    except safejson.FixtureError as error:
        detail = error.message.split(": ", 1)[-1]  # without the path
        raise TraceError(f"the trace is {detail}" if error.code == "E_JSON" else f"cannot read the trace: {detail}") \
            from None
    invalid = next(iter(trace_validator().iter_errors(document)), None)
    if invalid is not None:
        message = invalid.message if len(invalid.message) <= 120 else invalid.message[:117] + "..."
        raise TraceError(f"the trace does not follow trace.schema.json at {invalid.json_path}: {message}")
    try:
        return entries(document)
    except ValueError:
        raise TraceError("the trace has a matrix with rows of different lengths") from None


def first_divergence(port: list, reference: list, variant: str) -> StepDivergence | None:
    """The first reference quantity whose traced value differs in the port, or None."""
    traced = {(entry.step, entry.name): entry.value for entry in port}
    for entry in reference:
        got = traced.get((entry.step, entry.name))
        if got is None:
            continue
        exact = entry.step <= INIT_STEPS[variant]
        index = _first_difference(got, entry.value, 0.0 if exact else parity.TOLERANCE)
        if index is not None:
            return StepDivergence(entry.step, entry.title, entry.name, index,
                                  float(got[index]) if got.shape == entry.value.shape else None,
                                  float(entry.value[index]), got.shape, entry.value.shape)
    return None


def trace_use(port: list, reference: list) -> TraceUse:
    """Which of the reference's quantities the port's trace has (by step and name),
    and which of the port's names the reference does not have, each with the
    closest reference name (difflib), or the step where the reference has that name."""
    known = {(entry.step, entry.name) for entry in reference}
    names = list(dict.fromkeys(entry.name for entry in reference))
    traced = {(entry.step, entry.name) for entry in port}
    unknown = []
    for entry in port:
        if (entry.step, entry.name) in known:
            continue
        steps = [step for step, name in known if name == entry.name]
        if steps:
            suggestion = f"`{entry.name}` at Step {min(steps)}"
        else:
            close = difflib.get_close_matches(entry.name, names, n=1, cutoff=0.5)
            suggestion = f"`{close[0]}`" if close else ""
        unknown.append((entry.step, entry.name, suggestion))
    return TraceUse(len(known & traced), len(known), unknown)


def read_trace_use(fixture_path: Path, trace_path: Path) -> TraceUse | None:
    """How much of the port's trace at ``trace_path`` conform can use, or None when
    the port wrote no trace; an unusable trace uses nothing."""
    if not Path(trace_path).is_file():
        return None
    reference = reference_trace(fixture_path)
    try:
        port = read_trace(trace_path)
    except TraceError:
        return TraceUse(0, len(reference), [])
    return trace_use(port, reference)


def traced_step(fixture_path: Path, variant: str, trace_path: Path) -> StepDivergence | None:
    """The first step where the port's trace differs from the reference's, or None (no
    trace, an unusable one, or one that agrees)."""
    if not Path(trace_path).is_file():
        return None
    try:
        port = read_trace(trace_path)
    except TraceError:
        return None
    return first_divergence(port, reference_trace(fixture_path), variant)


def _first_difference(got: np.ndarray, want: np.ndarray, tolerance: float) -> tuple | None:
    if got.shape != want.shape:
        return (0,) * want.ndim
    bad = np.argwhere(~(np.abs(got - want) <= tolerance))
    return tuple(int(i) for i in bad[0]) if len(bad) else None
