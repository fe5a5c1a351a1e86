"""The twins' epochs with classic mistakes, switched on by name.

Every network of twinnet is trained here a second time, by its own twin's
functions, with named mistakes that can be switched on: the source texts' own
(docs/errata.md), the exercises' (docs/exercises/), and the porting mistakes
conform diagnoses by replaying them (twinnet.ports.diagnose).  Its twin is
``r/R/mistakes.R``: the same functions in the same order, with the twins' step
markers.  This is the one place outside the twins (and the fast paths) where
an epoch is written: the errata demonstrations, conform's replays and the
exercises' answers all call it.

A step that no mistake changes is the twin's own function (``article.forward``,
``stepwise.forward_propagation``, ``layered.Layer``, ``layered.feedforward_all``,
the losses and updates).  The backward passes, where most mistakes live, are
written out once more here, step for step as in the twins, with each mistake a
switch: with no mistake switched on every function here gives the twin's
numbers bit for bit (tests/test_mistakes.py checks it on every fixture).

A mistake a variant does not have, or a name no mistake has, is refused with
one line, ``E_USAGE: mistakes: ...``, the same in both languages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import article, layered, stepwise
from .fixtures import VARIANTS
from .types import Params, Trained


@dataclass(frozen=True)
class Mistake:
    """One mistake: the step where it enters, in each variant that can make it, and what it is."""

    steps: Mapping[str, int]
    says: str


MISTAKES = {
    "transposed-init": Mistake({"article": 1, "stepwise": 1, "layered": 0},
                               "the initial weights read column by column (R's matrix() without byrow = TRUE)"),
    "sigmoid-misprint": Mistake({"article": 3}, "the text's sigmoid 1/(x(1 − e⁻ˣ)) (errata A1)"),
    "slope-misprint": Mistake({"article": 6}, "the text's slope x(1 − e⁻ˣ), given the activations (errata A2)"),
    "uphill": Mistake({"article": 5}, "the error's sign flipped, E = output − y: every step goes uphill"),
    "slope-of-activation": Mistake({"article": 6}, "the slope σ′ taken at the activation, σ(a)(1 − σ(a)) (errata A6)"),
    "mse-gradient": Mistake({"article": 7}, "the gradient of the mean ½(y − output)², 1/n of the sum's (errata A5)"),
    "lr-twice": Mistake({"article": 7}, "the output delta multiplied by the learning rate, which the update "
                                        "applies again: every step is lr² times the gradient (errata A7)"),
    "preactivation": Mistake({"article": 6, "stepwise": 9, "layered": 3},
                             "the hidden slope formula applied to the pre-activation instead of the activation"),
    "stale": Mistake({"article": 8, "stepwise": 9, "layered": 3},
                     "the weights updated before the error is sent back through them"),
    "wrong-axis": Mistake({"article": 11}, "the hidden bias gradient summed over the units (rowSums), not the "
                                           "samples: 1×n, the shape of bh only when n = h"),
    "bias-per-sample": Mistake({"article": 11}, "the published R code's biases: one row per sample (n×h and "
                                                "n×1), updated with rowSums (errata A16)"),
    "bias-mean": Mistake({"article": 11}, "the bias steps take the mean of the deltas over the samples, not "
                                          "their sum: 1/n of the bias steps"),
    "bias-sum": Mistake({"layered": 3}, "the bias steps sum dZ over the samples, not its mean: m times the "
                                        "bias steps"),
    "missing-1/m": Mistake({"layered": 3}, "the gradients summed over the samples, not averaged: 1/m missing"),
    "hidden-lr-twice": Mistake({"article": 10, "stepwise": 10, "layered": 3},
                               "the learning rate applied twice to the hidden layers' parameters only"),
    "frozen-biases": Mistake({"article": 11, "layered": 3}, "the biases never updated"),
}
"""Every mistake by name, in the order of the step where it enters the article's epoch."""


class MistakeError(ValueError):
    """A mistake name that is unknown, or not one of the variant's; the message is one line."""


def check_mistakes(variant: str, mistakes: Iterable[str]) -> tuple[str, ...]:
    """The mistakes as a tuple, each checked to be a mistake of ``variant``; raises :class:`MistakeError`."""
    mistakes = tuple(mistakes)
    known = [name for name, mistake in MISTAKES.items() if variant in mistake.steps]
    for name in mistakes:
        if name not in known:
            what = "is not a mistake of the " + variant + " variant" if name in MISTAKES else "is not a known mistake"
            raise MistakeError(f"E_USAGE: mistakes: {name!r} {what}; {variant}'s are {', '.join(known)}")
    return mistakes


def initial_params(params: Params, names: Sequence[str], mistakes: Sequence[str]) -> Params:
    """Copies of the initial parameters, as the twins take them; with ``transposed-init``
    each refilled column by column from its row-by-row numbers."""
    params = {name: np.array(params[name], dtype=float) for name in names}
    if "transposed-init" in mistakes:
        params = {name: np.reshape(np.ravel(value), np.shape(value), order="F") for name, value in params.items()}
    return params


# --- the article network (article.py) ----------------------------------------

# Step 0: read input and output
# The text's own formulas, which its code does not use (docs/errata.md A1, A2, A6).
def text_sigmoid(x: np.ndarray) -> np.ndarray:
    """The text's misprinted sigmoid, f(x) = 1 / (x(1 − e⁻ˣ)) (errata A1)."""
    with np.errstate(all="ignore"):
        return 1 / (x * (1 - np.exp(-x)))


def text_slope(activation: np.ndarray) -> np.ndarray:
    """The text's slope, f′(x) = x(1 − e⁻ˣ), given the activation as the code's is (errata A2)."""
    with np.errstate(all="ignore"):
        return activation * (1 - np.exp(-activation))


def slope_of_activation(activation: np.ndarray) -> np.ndarray:
    """σ′ read literally at the activation: σ(a)(1 − σ(a)) (errata A6)."""
    return article.sigmoid(activation) * (1 - article.sigmoid(activation))


def train_with(X: np.ndarray, y: np.ndarray, params: Params, epochs: int, lr: float,
               mistakes: Iterable[str] = ()) -> Trained:
    """``article.train`` with the mistakes switched on: (params, loss, output)."""
    mistakes = check_mistakes("article", mistakes)
    # Step 1: initialize weights and biases
    params = initial_params(params, article.PARAM_NAMES, mistakes)
    if "bias-per-sample" in mistakes:  # the published R code: bh n×h and bout n×1, one row per sample
        for name in ("bh", "bout"):
            params[name] = np.repeat(params[name], len(X), axis=0)
    loss_history = np.empty(epochs)
    with np.errstate(all="ignore"):  # a mistaken network may overflow, as R does silently
        for epoch in range(epochs):
            H, output = forward_with(X, params, mistakes)
            loss_history[epoch] = article.loss(y, output)
            descent = backward_with(X, y, params, H, output, lr, mistakes)
            update_with(params, descent, lr, mistakes)
        _, output = forward_with(X, params, mistakes)
    if "bias-per-sample" in mistakes:  # read as the published R code's results are: the first row
        params["bh"], params["bout"] = params["bh"][:1], params["bout"][:1]
    return params, loss_history, output


def forward_with(X: np.ndarray, params: Params, mistakes: Sequence[str] = ()) -> tuple[np.ndarray, np.ndarray]:
    """``article.forward`` (also for the per-sample bias matrices, which broadcast as they are), or
    with the text's sigmoid."""
    if "sigmoid-misprint" not in mistakes:
        return article.forward(X, params)
    # Step 2: hidden layer input, n×h
    hidden_layer_input = X @ params["wh"] + params["bh"]
    # Step 3: non-linear transformation of the hidden layer input, by the text's sigmoid
    hiddenlayer_activations = text_sigmoid(hidden_layer_input)
    # Step 4: linear and non-linear transformation at the output layer, n×1
    output = text_sigmoid(hiddenlayer_activations @ params["wout"] + params["bout"])
    return hiddenlayer_activations, output


def backward_with(X: np.ndarray, y: np.ndarray, params: Params, H: np.ndarray, output: np.ndarray, lr: float,
                  mistakes: Sequence[str] = ()) -> Params:
    """``article.backward`` step for step, with its mistakes: the descent direction."""
    # Step 5: error at the output layer, n×1
    E = output - y if "uphill" in mistakes else y - output
    # Step 6: slopes at the output and hidden layers
    slope = (text_slope if "slope-misprint" in mistakes else slope_of_activation
             if "slope-of-activation" in mistakes else article.derivatives_sigmoid)
    slope_output_layer = slope(output)
    slope_hidden_layer = slope(H)
    if "preactivation" in mistakes:  # the formula a(1 − a) given z = X·wh + bh, not a = σ(z)
        slope_hidden_layer = article.derivatives_sigmoid(X @ params["wh"] + params["bh"])
    # Step 7: delta at the output layer, n×1
    d_output = E * slope_output_layer
    if "lr-twice" in mistakes:
        d_output = d_output * lr
    if "mse-gradient" in mistakes:
        d_output = d_output / len(X)
    # Step 8: error at the hidden layer, n×h (stale: through wout already updated)
    wout = params["wout"] + (H.T @ d_output) * lr if "stale" in mistakes else params["wout"]
    error_at_hidden_layer = d_output @ wout.T
    # Step 9: delta at the hidden layer, n×h
    d_hiddenlayer = error_at_hidden_layer * slope_hidden_layer
    # Step 10: weight slopes, Hᵀ·d_output (h×1) and Xᵀ·d_hiddenlayer (d×h)
    # Step 11: bias slopes, the column sums of the deltas (1×1 and 1×h)
    if "bias-per-sample" in mistakes:  # rowSums: each sample's deltas summed over the units, n×1
        bh, bout = d_hiddenlayer.sum(axis=1, keepdims=True), d_output.sum(axis=1, keepdims=True)
    elif "bias-mean" in mistakes:
        bh, bout = d_hiddenlayer.mean(axis=0, keepdims=True), d_output.mean(axis=0, keepdims=True)
    else:
        bh, bout = d_hiddenlayer.sum(axis=0, keepdims=True), d_output.sum(axis=0, keepdims=True)
    if "wrong-axis" in mistakes:  # 1×n: each sample's deltas summed over the units
        bh = d_hiddenlayer.sum(axis=1, keepdims=True).T
        if bh.shape != params["bh"].shape:
            raise MistakeError(f"E_USAGE: mistakes: 'wrong-axis' gives a 1×{bh.shape[1]} bias step for the "
                               f"1×{params['bh'].shape[1]} bh: it runs only when n = h")
    return {"wh": X.T @ d_hiddenlayer, "bh": bh, "wout": H.T @ d_output, "bout": bout}


def update_with(params: Params, descent: Params, lr: float, mistakes: Sequence[str] = ()) -> None:
    """``article.update_params`` (Steps 10 and 11, θ ← θ + descent·lr) with the update's mistakes, in place."""
    if "hidden-lr-twice" in mistakes:
        descent = {**descent, "wh": descent["wh"] * lr, "bh": descent["bh"] * lr}
    if "frozen-biases" in mistakes:
        descent = {**descent, "bh": np.zeros_like(params["bh"]), "bout": np.zeros_like(params["bout"])}
    article.update_params(params, descent, lr)


# --- the bias-free walk-through (stepwise.py) ----------------------------------

def train_stepwise_with(X: np.ndarray, y: np.ndarray, params: Params, epochs: int, lr: float,
                        mistakes: Iterable[str] = ()) -> Trained:
    """``stepwise.train_stepwise`` with the mistakes switched on: (params, loss, output)."""
    mistakes = check_mistakes("stepwise", mistakes)
    # Step 0: transpose the input and output, so samples are columns
    X, y = X.T, y.T
    # Step 1: initialize the weights (drawn by the generator, read from the fixture)
    params = initial_params(params, stepwise.WEIGHT_NAMES, mistakes)
    loss_history = np.empty(epochs)
    with np.errstate(all="ignore"):
        for epoch in range(epochs):
            # Step 2: hidden layer linear transform (Steps 2 to 4 are the twin's forward_propagation)
            # Step 3: hidden layer activations
            # Step 4: output layer linear transform and output
            forward_pass = stepwise.forward_propagation(X, params)
            loss_history[epoch] = article.loss(y, forward_pass["output"])
            backward_pass = backward_propagation_with(X, y, params, forward_pass, lr, mistakes)
            update_weights_with(params, backward_pass, lr, mistakes)
    return params, loss_history, stepwise.forward_propagation(X, params)["output"].T


def backward_propagation_with(X: np.ndarray, y: np.ndarray, params: Params, forward_pass: Params, lr: float,
                              mistakes: Sequence[str] = ()) -> Params:
    """``stepwise.backward_propagation`` step for step, with its mistakes: both gradients."""
    H, output = forward_pass["hiddenLayer_activations"], forward_pass["output"]
    # Step 5: rate of change of error w.r.t. output, 1×n
    error_wrt_output = -(y - output)
    # Step 6: rate of change of output w.r.t. Z2, 1×n
    output_wrt_outputLayer_linearTransform = output * (1 - output)
    # Step 7: rate of change of Z2 w.r.t. weights between hidden and output layer, h×n
    outputLayer_linearTransform_wrt_weights_hidden_output = H
    # Step 8: rate of change of error w.r.t. weights between hidden and output layer, h×1
    error_wrt_weights_hidden_output = (
        outputLayer_linearTransform_wrt_weights_hidden_output
        @ (error_wrt_output * output_wrt_outputLayer_linearTransform).T
    )
    # Step 9: rates of change of Z2 w.r.t. H (h×1), H w.r.t. Z1 (h×n), Z1 w.r.t. weights (d×n)
    outputLayer_linearTransform_wrt_hiddenLayer_activations = (
        params["weights_hidden_output"] - lr * error_wrt_weights_hidden_output if "stale" in mistakes
        else params["weights_hidden_output"])
    if "preactivation" in mistakes:  # H ∘ (1 − H) given Z1 = wihᵀ·X, not H = σ(Z1)
        Z1 = forward_pass["hiddenLayer_linearTransform"]
        hiddenLayer_activations_wrt_hiddenLayer_linearTransform = Z1 * (1 - Z1)
    else:
        hiddenLayer_activations_wrt_hiddenLayer_linearTransform = H * (1 - H)
    hiddenLayer_linearTransform_wrt_weights_input_hidden = X
    # Step 10: rate of change of error w.r.t. weights between input and hidden layer, d×h
    error_wrt_weights_input_hidden = hiddenLayer_linearTransform_wrt_weights_input_hidden @ (
        hiddenLayer_activations_wrt_hiddenLayer_linearTransform
        * (outputLayer_linearTransform_wrt_hiddenLayer_activations
           @ (output_wrt_outputLayer_linearTransform * error_wrt_output))
    ).T
    return {"error_wrt_weights_hidden_output": error_wrt_weights_hidden_output,
            "error_wrt_weights_input_hidden": error_wrt_weights_input_hidden}


def update_weights_with(params: Params, backward_pass: Params, lr: float, mistakes: Sequence[str] = ()) -> None:
    """``stepwise.update_weights`` (Step 11) with the update's mistakes, in place."""
    # Step 11: update the weights (the twin's update_weights, hidden-lr-twice scaling the hidden gradient first)
    if "hidden-lr-twice" in mistakes:
        backward_pass = {**backward_pass,
                         "error_wrt_weights_input_hidden": backward_pass["error_wrt_weights_input_hidden"] * lr}
    stepwise.update_weights(params, backward_pass, lr)


# --- the Layer-class network (layered.py) --------------------------------------

def train_layered_with(X: np.ndarray, y: np.ndarray, params: Params, activations: Sequence[str], epochs: int,
                       lr: float, mistakes: Iterable[str] = ()) -> Trained:
    """``layered.train_layered`` with the mistakes switched on: (params, loss, output)."""
    mistakes = check_mistakes("layered", mistakes)
    # Step 0: the network, a list of layers, and the data with samples as columns
    x, y = X.T, y.T
    m = x.shape[1]
    names = [f"{kind}{i}" for i in range(1, len(activations) + 1) for kind in ("W", "b")]
    params = initial_params(params, names, mistakes)
    lyr = [layered.Layer(params[f"W{i}"], params[f"b{i}"], activation, lr)
           for i, activation in enumerate(activations, start=1)]
    costs = np.empty(epochs)
    with np.errstate(all="ignore"):
        for epoch in range(epochs):
            # Step 1: feed forward through every layer
            A = layered.feedforward_all(lyr, x)
            # Step 2: cost, the mean log-loss over the m samples
            costs[epoch] = 1 / m * np.sum(layered.logloss(y, A))
            # Step 3: backpropagation, from the last layer to the first
            dA = layered.d_logloss(y, A)
            for k in reversed(range(len(lyr))):
                dA = backprop_with(lyr[k], dA, activations[k], k < len(lyr) - 1, mistakes)
    # Step 4: predictions of the trained network
    output = layered.feedforward_all(lyr, x).T
    trained = {}
    for i, layer in enumerate(lyr, start=1):
        trained[f"W{i}"], trained[f"b{i}"] = layer.W, layer.b
    return trained, costs, output


def backprop_with(layer: layered.Layer, dA: np.ndarray, activation: str, hidden: bool,
                  mistakes: Sequence[str] = ()) -> np.ndarray:
    """``Layer.backprop`` step for step, with the mistakes of one layer's backward pass
    (``hidden``: the layer is not the last); updates the layer and returns dA1."""
    # Step 3: backpropagation, in one layer: dZ, then dW and db (means over the m samples), dA1, the update
    if "preactivation" in mistakes and hidden:  # the slope formula of the activation, given Z
        slope = 1 - layer.Z ** 2 if activation == "tanh" else article.derivatives_sigmoid(layer.Z)
    else:
        slope = layer.d_act(layer.Z)
    dZ = slope * dA
    m = dZ.shape[1]
    layer.dW = dZ @ layer.A1.T if "missing-1/m" in mistakes else 1 / m * (dZ @ layer.A1.T)
    summed = np.sum(dZ, axis=1, keepdims=True)
    layer.db = summed if "missing-1/m" in mistakes or "bias-sum" in mistakes else 1 / m * summed
    W = layer.W
    lr = layer.learning_rate * layer.learning_rate if "hidden-lr-twice" in mistakes and hidden \
        else layer.learning_rate
    layer.W = layer.W - lr * layer.dW
    if "frozen-biases" not in mistakes:
        layer.b = layer.b - lr * layer.db
    # with W before its update, as in the article; stale: after it
    return (layer.W if "stale" in mistakes else W).T @ dZ


# --- any variant -----------------------------------------------------------------

def train_variant_with(variant: str, X: np.ndarray, y: np.ndarray, params: Params, hyper: Mapping[str, Any],
                       epochs: int, mistakes: Iterable[str] = ()) -> Trained:
    """(params, loss, output) of the variant's epoch with the mistakes, as ``training.train_variant``."""
    if variant == "layered":
        return train_layered_with(X, y, params, hyper["activations"], epochs, hyper["lr"], mistakes)
    if variant == "stepwise":
        return train_stepwise_with(X, y, params, epochs, hyper["lr"], mistakes)
    if variant == "article":
        return train_with(X, y, params, epochs, hyper["lr"], mistakes)
    raise MistakeError(f"E_USAGE: mistakes: {variant!r} is not a variant; the variants are {', '.join(VARIANTS)}")
