"""Port traces: every named quantity of a port's first epoch, labelled by step,
and the first step where a port's trace leaves the reference's.

A port that finds ``TWINNET_TRACE=PATH`` in its environment writes PATH, a
``twinnet-port-trace/1`` document (docs/porting.md, "Traces")::

    {"schema": "twinnet-port-trace/1", "fixture": "xor", "variant": "article",
     "quantities": [{"step": 1, "title": "initialize weights and biases", "name": "wh", "value": [[...], ...]},
                    ...]}

``value`` is a number or a matrix as a list of rows.  The names and steps are
those of :func:`reference_trace`, the Python twin's numbers of the same epoch;
the titles are the twin's ``# Step N: title`` markers.  Quantities a port does
not trace are skipped; names it adds are ignored.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import article, fixtures, layered, parity, stepwise
from ..reading.steps import find_markers

SCHEMA = "twinnet-port-trace/1"
ENVIRONMENT = "TWINNET_TRACE"
TWINS = {"article": article, "stepwise": stepwise, "layered": layered}
INIT_STEPS = {"article": 1, "stepwise": 1, "layered": 0}
"""The step that reads the initial parameters: its values must be init bit for bit."""


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
    """The first traced quantity whose value differs from the reference's."""

    step: int
    title: str
    name: str
    index: tuple
    port: float
    reference: float

    def __str__(self) -> str:
        index = ", ".join(map(str, self.index))
        return (f"Step {self.step}, {self.title}: {self.name}[{index}] port={self.port!r}, "
                f"reference={self.reference!r}")

    def as_json(self) -> dict:
        return {"step": self.step, "title": self.title, "name": self.name, "index": list(self.index),
                "port": self.port, "reference": self.reference}


@functools.cache
def step_titles(variant: str) -> dict:
    """Step number -> title, from the Python twin's markers (the last marker of a number wins:
    the layered twin's second Step 0 is the one that reads the parameters)."""
    lines = inspect.getsource(TWINS[variant]).splitlines()
    return {marker.number: marker.title for marker in find_markers(lines)}


def reference_trace(fixture: dict) -> list:
    """The Python twin's quantities of the fixture's first epoch, in step order."""
    data, hyper, variant = fixture["data"], fixture["hyper"], fixture["variant"]
    X, y, lr = data["X"], data["y"], hyper["lr"]
    params = {name: np.array(value, dtype=float) for name, value in fixture["init"].items()}
    entries = [(INIT_STEPS[variant], name, value) for name, value in params.items()]
    if variant == "article":
        hidden_layer_input = X @ params["wh"] + params["bh"]
        H, output = article.forward(X, params)
        descent = article.backward(X, y, params, H, output)
        E = y - output
        slope_output_layer, slope_hidden_layer = article.derivatives_sigmoid(output), article.derivatives_sigmoid(H)
        d_output = E * slope_output_layer
        error_at_hidden_layer = d_output @ params["wout"].T
        updated = {name: params[name] + descent[name] * lr for name in article.PARAM_NAMES}
        entries += [(2, "hidden_layer_input", hidden_layer_input), (3, "hiddenlayer_activations", H),
                    (4, "output_layer_input", H @ params["wout"] + params["bout"]), (4, "output", output),
                    (5, "E", E), (6, "slope_output_layer", slope_output_layer),
                    (6, "slope_hidden_layer", slope_hidden_layer), (7, "d_output", d_output),
                    (8, "error_at_hidden_layer", error_at_hidden_layer),
                    (9, "d_hiddenlayer", error_at_hidden_layer * slope_hidden_layer),
                    (10, "wout", updated["wout"]), (10, "wh", updated["wh"]),
                    (11, "bout", updated["bout"]), (11, "bh", updated["bh"])]
    elif variant == "stepwise":
        traced = stepwise.trace_stepwise(X, y, params)
        steps = {"hiddenLayer_linearTransform": 2, "hiddenLayer_activations": 3, "outputLayer_linearTransform": 4,
                 "output": 4}
        backward = [name for name in traced if name not in steps and name not in ("X", "y", *params)]
        numbers = (5, 6, 7, 8, 9, 9, 9, 10)
        entries += [(steps[name], name, traced[name]) for name in steps]
        entries += list(zip(numbers, backward, (traced[name] for name in backward), strict=True))
        who = params["weights_hidden_output"] - lr * traced["error_wrt_weights_hidden_output"]
        wih = params["weights_input_hidden"] - lr * traced["error_wrt_weights_input_hidden"]
        entries += [(11, "weights_hidden_output", who), (11, "weights_input_hidden", wih)]
    else:
        entries += _layered_entries(X, y, params, hyper)
    titles = step_titles(variant)
    return [Entry(step, name, np.array(value, dtype=float, ndmin=2), titles.get(step, ""))
            for step, name, value in entries]


def _layered_entries(X, y, params, hyper) -> list:
    """The Layer-class twin's first epoch: Z and A of every layer, the cost, then
    dZ, dW, db, dA and the updated W and b of every layer from the last."""
    layers = [layered.Layer(params[f"W{k}"], params[f"b{k}"], name, hyper["lr"])
              for k, name in enumerate(hyper["activations"], start=1)]
    x, y = X.T, y.T
    A = layered.feedforward_all(layers, x)
    entries = []
    for k, layer in enumerate(layers, start=1):
        entries += [(1, f"Z{k}", layer.Z), (1, f"A{k}", layer.A)]
    entries.append((2, "cost", 1 / x.shape[1] * np.sum(layered.logloss(y, A))))
    dA = layered.d_logloss(y, A)
    for k in range(len(layers), 0, -1):
        layer = layers[k - 1]
        dZ = layer.d_act(layer.Z) * dA
        dA = layer.backprop(dA)
        entries += [(3, f"dZ{k}", dZ), (3, f"dW{k}", layer.dW), (3, f"db{k}", layer.db), (3, f"dA{k - 1}", dA),
                    (3, f"W{k}", layer.W), (3, f"b{k}", layer.b)]
    return entries


def read_trace(path: Path) -> list:
    """A port's trace file as entries; raises :class:`TraceError`."""
    try:
        document = fixtures.load_json(path)
    except fixtures.FixtureError as error:
        detail = error.message.split(": ", 1)[-1]  # without the path
        raise TraceError(f"the trace is {detail}" if error.code == "E_JSON" else f"cannot read the trace: {detail}") \
            from None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise TraceError(f"the trace is not a {SCHEMA} document")
    quantities = document.get("quantities")
    if not isinstance(quantities, list):
        raise TraceError("the trace has no list of quantities")
    entries = []
    for number, item in enumerate(quantities):
        try:
            value = np.array(item["value"], dtype=float, ndmin=2)
            step = item["step"]
            if isinstance(step, bool) or not isinstance(step, int) or not isinstance(item["name"], str):
                raise TypeError
        except (KeyError, TypeError, ValueError):
            raise TraceError(f"the trace's quantities[{number}] is not {{step, title, name, value}} with a whole "
                             "step and a number or a list of rows") from None
        entries.append(Entry(step, item["name"], value, str(item.get("title", ""))))
    return entries


def first_divergence(port: list, reference: list, variant: str) -> StepDivergence | None:
    """The first reference quantity, in step order, whose traced value differs in the
    port: the initial parameters must be equal, the rest within parity.TOLERANCE."""
    traced = {(entry.step, entry.name): entry.value for entry in port}
    for entry in reference:
        got = traced.get((entry.step, entry.name))
        if got is None:
            continue
        index = _first_difference(got, entry.value, 0.0 if entry.step == INIT_STEPS[variant] else parity.TOLERANCE)
        if index is not None:
            return StepDivergence(entry.step, entry.title, entry.name, index,
                                  float(got[index]) if got.shape == entry.value.shape else float("nan"),
                                  float(entry.value[index]))
    return None


def common(port: list, reference: list) -> int:
    """How many of the reference's quantities the port traced."""
    names = {(entry.step, entry.name) for entry in port}
    return sum((entry.step, entry.name) in names for entry in reference)


def _first_difference(got: np.ndarray, want: np.ndarray, tolerance: float) -> tuple | None:
    if got.shape != want.shape:
        return (0,) * want.ndim
    bad = np.argwhere(~(np.abs(got - want) <= tolerance))
    return tuple(int(i) for i in bad[0]) if len(bad) else None
