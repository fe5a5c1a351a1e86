"""The bias-free walk-through: the article network without biases, step by step.

This is the network of "Understanding the implementation of Neural Networks
from scratch in detail" (the follow-up to the article), in its own layout and
names.  Its twin is ``r/R/stepwise.R``: the same functions in the same order,
with the steps numbered identically.

Inside, X is transposed as the article does, so features are rows and samples
are columns (the fixture still stores X as n×d rows):
    X  d×n     y  1×n     weights_input_hidden  d×h     weights_hidden_output  h×1

The backward pass keeps the article's chain-rule factors as named values, and
each update is ``w ← w − lr · ∂E/∂w`` for E = Σ ½(y − output)², a sum over
samples.  The function names are unique across the package because the R twin
shares one namespace with the other variants.
"""

from __future__ import annotations

import numpy as np

from .article import loss, sigmoid
from .types import Params, Trained

WEIGHT_NAMES = ("weights_input_hidden", "weights_hidden_output")


def train_stepwise(X: np.ndarray, y: np.ndarray, params: Params, epochs: int, lr: float) -> Trained:
    """Train for ``epochs`` epochs; returns (params, loss, output) with output
    as n×1 rows, like the other variants.  X is n×d and y n×1, as stored."""
    # Step 0: transpose the input and output, so samples are columns
    X, y = X.T, y.T
    # Step 1: initialize the weights (drawn by the generator, read from the fixture)
    params = {name: np.array(params[name], dtype=float) for name in WEIGHT_NAMES}
    loss_history = np.empty(epochs)
    for epoch in range(epochs):
        forward_pass = forward_propagation(X, params)
        loss_history[epoch] = loss(y, forward_pass["output"])
        backward_pass = backward_propagation(X, y, params, forward_pass)
        update_weights(params, backward_pass, lr)
    return params, loss_history, forward_propagation(X, params)["output"].T


def forward_propagation(X: np.ndarray, params: Params) -> Params:
    """The forward pass; every intermediate, by the article's names."""
    # Step 2: hidden layer linear transform, h×n
    hiddenLayer_linearTransform = params["weights_input_hidden"].T @ X
    # Step 3: hidden layer activations, h×n
    hiddenLayer_activations = sigmoid(hiddenLayer_linearTransform)
    # Step 4: output layer linear transform and output, 1×n
    outputLayer_linearTransform = params["weights_hidden_output"].T @ hiddenLayer_activations
    output = sigmoid(outputLayer_linearTransform)
    return {
        "hiddenLayer_linearTransform": hiddenLayer_linearTransform,
        "hiddenLayer_activations": hiddenLayer_activations,
        "outputLayer_linearTransform": outputLayer_linearTransform,
        "output": output,
    }


def backward_propagation(X: np.ndarray, y: np.ndarray, params: Params, forward_pass: Params) -> Params:
    """The backward pass: the article's chain-rule factors and both gradients."""
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
    outputLayer_linearTransform_wrt_hiddenLayer_activations = params["weights_hidden_output"]
    hiddenLayer_activations_wrt_hiddenLayer_linearTransform = H * (1 - H)
    hiddenLayer_linearTransform_wrt_weights_input_hidden = X
    # Step 10: rate of change of error w.r.t. weights between input and hidden layer, d×h
    error_wrt_weights_input_hidden = hiddenLayer_linearTransform_wrt_weights_input_hidden @ (
        hiddenLayer_activations_wrt_hiddenLayer_linearTransform
        * (outputLayer_linearTransform_wrt_hiddenLayer_activations
           @ (output_wrt_outputLayer_linearTransform * error_wrt_output))
    ).T
    return {
        "error_wrt_output": error_wrt_output,
        "output_wrt_outputLayer_linearTransform": output_wrt_outputLayer_linearTransform,
        "outputLayer_linearTransform_wrt_weights_hidden_output": outputLayer_linearTransform_wrt_weights_hidden_output,
        "error_wrt_weights_hidden_output": error_wrt_weights_hidden_output,
        "outputLayer_linearTransform_wrt_hiddenLayer_activations":
            outputLayer_linearTransform_wrt_hiddenLayer_activations,
        "hiddenLayer_activations_wrt_hiddenLayer_linearTransform":
            hiddenLayer_activations_wrt_hiddenLayer_linearTransform,
        "hiddenLayer_linearTransform_wrt_weights_input_hidden": hiddenLayer_linearTransform_wrt_weights_input_hidden,
        "error_wrt_weights_input_hidden": error_wrt_weights_input_hidden,
    }


def update_weights(params: Params, backward_pass: Params, lr: float) -> None:
    """Step 11, in place: gradient descent, w ← w − lr · ∂E/∂w."""
    # Step 11: update the weights
    params["weights_hidden_output"] -= lr * backward_pass["error_wrt_weights_hidden_output"]
    params["weights_input_hidden"] -= lr * backward_pass["error_wrt_weights_input_hidden"]
