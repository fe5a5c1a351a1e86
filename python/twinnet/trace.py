"""Every named quantity of one epoch, step by step: what a learner checks their own code against.

Twin of ``r/R/trace.R``: the same functions in the same order, the same
tables.  A trace runs the fixture's own training for ``epoch - 1`` epochs, then
one more epoch through the variant's own functions (forward, loss, backward,
update), keeping the local variables of each call as it returns.  Nothing is
recomputed here, so a trace cannot drift from the twins' arithmetic: the
parameters after the traced update are the ones ``train`` gives after
``epoch`` epochs, bit for bit (the tests check it).

Each quantity is labelled with the step of the twins' ``# Step N: title``
markers whose code computes it; the tables below name them, in the order the
epoch computes them, and a test checks every number and title against the
markers of both twins.  The loss has no marker of its own in the article and
the walk-through: it is listed under Step 5, the error at the output, whose
half mean square it is.  The Layer-class network's Step 4 (predictions) is the
output of the network as this epoch's update leaves it.  Every value is a matrix (a number is 1×1), in the
twin's own layout: the walk-through and the Layer-class network hold samples
as columns.

:func:`trace_fixture` reads a fixture and traces its variant: a
``twinnet-trace/1`` dict, what ``python -m twinnet trace`` prints.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np

from . import article, layered, stepwise
from .fixtures import MAX_EPOCHS, read_fixture
from .safejson import FixtureError
from .types import Params

TRACE_SCHEMA = "twinnet-trace/1"

# (step, title, names): the quantities of each step in the order one epoch computes them.
# "updated.P" is parameter P after the epoch's update; "layerK.Q" is field or local Q of layer K.
ARTICLE_STEPS = (
    (0, "read input and output", ("X", "y")),
    (1, "initialize weights and biases", ("wh", "bh", "wout", "bout")),
    (2, "hidden layer input", ("hidden_layer_input",)),
    (3, "non-linear transformation of the hidden layer input", ("hiddenlayer_activations",)),
    (4, "linear and non-linear transformation at the output layer", ("output_layer_input", "output")),
    (5, "error at the output layer", ("loss", "E")),
    (6, "slopes at the output and hidden layers", ("slope_output_layer", "slope_hidden_layer")),
    (7, "delta at the output layer", ("d_output",)),
    (8, "error at the hidden layer", ("error_at_hidden_layer",)),
    (9, "delta at the hidden layer", ("d_hiddenlayer",)),
    (10, "weight slopes", ("descent.wh", "descent.wout", "updated.wh", "updated.wout")),
    (11, "bias slopes", ("descent.bh", "descent.bout", "updated.bh", "updated.bout")),
)
STEPWISE_STEPS = (
    (0, "transpose the input and output", ("X", "y")),
    (1, "initialize the weights", ("weights_input_hidden", "weights_hidden_output")),
    (2, "hidden layer linear transform", ("hiddenLayer_linearTransform",)),
    (3, "hidden layer activations", ("hiddenLayer_activations",)),
    (4, "output layer linear transform and output", ("outputLayer_linearTransform", "output")),
    (5, "rate of change of error w.r.t. output", ("loss", "error_wrt_output")),
    (6, "rate of change of output w.r.t. Z2", ("output_wrt_outputLayer_linearTransform",)),
    (7, "rate of change of Z2 w.r.t. weights between hidden and output layer",
     ("outputLayer_linearTransform_wrt_weights_hidden_output",)),
    (8, "rate of change of error w.r.t. weights between hidden and output layer",
     ("error_wrt_weights_hidden_output",)),
    (9, "rates of change of Z2 w.r.t. H", ("outputLayer_linearTransform_wrt_hiddenLayer_activations",
                                           "hiddenLayer_activations_wrt_hiddenLayer_linearTransform",
                                           "hiddenLayer_linearTransform_wrt_weights_input_hidden")),
    (10, "rate of change of error w.r.t. weights between input and hidden layer",
     ("error_wrt_weights_input_hidden",)),
    (11, "update the weights", ("updated.weights_hidden_output", "updated.weights_input_hidden")),
)
# The Layer-class network's quantities depend on its number of layers: "{k}" is a layer's number.
LAYERED_STEPS = (
    (0, "the network", ("x", "y", "W{k}", "b{k}")),
    (1, "feed forward through every layer", ("layer{k}.Z", "layer{k}.A")),
    (2, "cost", ("cost",)),
    (3, "backpropagation", ("dA", "layer{k}.dZ", "layer{k}.dW", "layer{k}.db", "layer{k}.dA1",
                            "updated.W{k}", "updated.b{k}")),
    (4, "predictions of the trained network", ("output",)),
)
STEP_TABLES = {"article": ARTICLE_STEPS, "stepwise": STEPWISE_STEPS, "layered": LAYERED_STEPS}


def trace_fixture(path: str | Path, epoch: int = 1) -> dict[str, Any]:
    """Every named quantity of epoch ``epoch`` (from 1) of the fixture's
    variant, labelled with its step: a ``twinnet-trace/1`` dict whose
    ``quantities`` hold ``step``, ``title``, ``name``, ``shape`` and ``values``."""
    fixture = read_fixture(path)
    if isinstance(epoch, bool) or not isinstance(epoch, int) or not 1 <= epoch <= MAX_EPOCHS:
        raise FixtureError("E_HYPER", f"epoch: expected a whole number from 1 to {MAX_EPOCHS}")
    data = fixture["data"]
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below, once
        entries = trace_variant(fixture["variant"], data["X"], data["y"], fixture["init"], fixture["hyper"], epoch)
    for entry in entries:
        if not np.isfinite(entry["value"]).all():
            raise FixtureError("E_DIVERGED", f"trace.{entry['name']}: not finite in epoch {epoch}: "
                                             "training diverged (try a smaller hyper.lr)")
    return {
        "schema": TRACE_SCHEMA,
        "fixture": fixture["name"],
        "variant": fixture["variant"],
        "language": "python",
        "epoch": epoch,
        "quantities": [{"step": entry["step"], "title": entry["title"], "name": entry["name"],
                        "shape": list(entry["value"].shape), "values": entry["value"]} for entry in entries],
    }


def trace_article(X: np.ndarray, y: np.ndarray, params: Params, lr: float, epoch: int) -> dict[str, Any]:
    """The article network's epoch ``epoch`` (from 1), as {name: matrix}."""
    params, _, _ = article.train(X, y, params, epoch - 1, lr)
    start = {name: value.copy() for name, value in params.items()}
    (H, output), forward_pass = call_keeping_locals(article.forward, X, params)
    mean_loss = article.loss(y, output)
    descent, backward_pass = call_keeping_locals(article.backward, X, y, params, H, output)
    article.update_params(params, descent, lr)
    return {"X": X, "y": y, **start, **forward_pass, "loss": mean_loss, **backward_pass,
            **{f"descent.{name}": value for name, value in descent.items()},
            **{f"updated.{name}": value for name, value in params.items()}}


def trace_stepwise(X: np.ndarray, y: np.ndarray, params: Params, lr: float, epoch: int) -> dict[str, Any]:
    """The walk-through's epoch ``epoch`` (from 1), as {name: matrix}; X and y transposed, as it holds them."""
    params, _, _ = stepwise.train_stepwise(X, y, params, epoch - 1, lr)
    X, y = X.T, y.T
    start = {name: value.copy() for name, value in params.items()}
    forward = stepwise.forward_propagation(X, params)
    mean_loss = stepwise.loss(y, forward["output"])
    backward = stepwise.backward_propagation(X, y, params, forward)
    # copied before the update, which changes params in place: backward holds weights_hidden_output itself (Step 9)
    before = {name: np.copy(value) for name, value in {**forward, **backward}.items()}
    stepwise.update_weights(params, backward, lr)
    return {"X": X, "y": y, **start, **before, "loss": mean_loss,
            **{f"updated.{name}": value for name, value in params.items()}}


def trace_layered(X: np.ndarray, y: np.ndarray, params: Params, activations: Sequence[str], lr: float,
                  epoch: int) -> dict[str, Any]:
    """The Layer-class network's epoch ``epoch`` (from 1), as {name: matrix}; x and y with samples as columns."""
    params, _, _ = layered.train_layered(X, y, params, activations, epoch - 1, lr)
    x, y = X.T, y.T
    m = x.shape[1]
    lyr = [layered.Layer(params[f"W{k}"], params[f"b{k}"], activation, lr)
           for k, activation in enumerate(activations, start=1)]
    quantities: dict[str, Any] = {"x": x, "y": y, **params}
    A = layered.feedforward_all(lyr, x)
    for k, layer in enumerate(lyr, start=1):
        quantities.update({f"layer{k}.Z": layer.Z, f"layer{k}.A": layer.A})
    quantities["cost"] = 1 / m * np.sum(layered.logloss(y, A))
    dA = quantities["dA"] = layered.d_logloss(y, A)
    for k in range(len(lyr), 0, -1):
        layer = lyr[k - 1]
        dA, local = call_keeping_locals(layer.backprop, dA)
        quantities.update({f"layer{k}.dZ": local["dZ"], f"layer{k}.dW": layer.dW, f"layer{k}.db": layer.db,
                           f"layer{k}.dA1": dA, f"updated.W{k}": layer.W, f"updated.b{k}": layer.b})
    quantities["output"] = layered.feedforward_all(lyr, x).T
    return quantities


def trace_variant(variant: str, X: np.ndarray, y: np.ndarray, params: Params, hyper: Mapping[str, Any],
                  epoch: int) -> list[dict[str, Any]]:
    """Epoch ``epoch`` of the variant as a list of {step, title, name, value}, in step order."""
    if variant == "layered":
        values = trace_layered(X, y, params, hyper["activations"], hyper["lr"], epoch)
    else:
        trace = trace_article if variant == "article" else trace_stepwise
        values = trace(X, y, params, hyper["lr"], epoch)
    layers = len(hyper["neurons"]) if variant == "layered" else 0
    return [{"step": step, "title": title, "name": name, "value": np.atleast_2d(np.asarray(values[name], float))}
            for step, title, name in step_names(variant, layers)]


def step_names(variant: str, layers: int = 0) -> list[tuple[int, str, str]]:
    """(step, title, name) of every traced quantity, in order; ``layers`` counts the Layer-class network's layers
    (the backward pass goes from the last layer to the first)."""
    rows = []
    for step, title, names in STEP_TABLES[variant]:
        for name in names:
            if "{k}" not in name:
                rows.append((step, title, name))
        layer_names = [name for name in names if "{k}" in name]
        order = range(layers, 0, -1) if step == 3 and variant == "layered" else range(1, layers + 1)
        rows += [(step, title, name.format(k=k)) for k in order for name in layer_names]
    return rows


def call_keeping_locals(function: Callable[..., Any], *args: Any) -> tuple[Any, dict[str, np.ndarray]]:
    """Call ``function(*args)``; returns its result and its local variables as they were when it returned."""
    code = getattr(function, "__func__", function).__code__
    kept: dict[str, Any] = {}

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "return" and frame.f_code is code:
            kept.update(frame.f_locals)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        result = function(*args)
    finally:
        sys.setprofile(previous)
    return result, {name: np.copy(value) for name, value in kept.items() if isinstance(value, np.ndarray)}
