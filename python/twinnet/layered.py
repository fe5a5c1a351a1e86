"""The Layer-class network: layers as objects, tanh or sigmoid, log-loss.

This is the network of "Writing Python Code for Neural Networks from Scratch"
(a blog post of 24 April 2020).  Its twin is ``r/R/layered.R``: the same functions in the same
order, with the steps numbered identically.

Inside, samples are columns, as in the article (the fixture stores X as n×d
rows and y as n×1):
    x  d×m     y  1×m     W  neurons×inputs     b  neurons×1

A layer's gradients are averaged over the m samples, and each layer updates
its own W and b as the backward pass reaches it.  The initial weights come
from the fixture: the generator draws ``RandomState(seed).randn(neurons,
inputs)`` layer by layer, and the biases start at zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .article import sigmoid
from .types import Params, Trained

LOG_LOSS_EPSILON = 1e-15
"""Outputs are clipped to [ε, 1 − ε] inside the log-loss and its derivative, so
an output of exactly 0 or 1 gives a large finite loss instead of inf or nan."""


# Step 0: the network: its activation functions, the loss and its derivative
def d_tanh(x: np.ndarray) -> np.ndarray:
    """tanh'(x) = 1 − tanh²(x), of the pre-activation x."""
    return 1 - np.square(np.tanh(x))


def d_sigmoid(x: np.ndarray) -> np.ndarray:
    """σ'(x) = (1 − σ(x))·σ(x), of the pre-activation x."""
    return (1 - sigmoid(x)) * sigmoid(x)


def logloss(y: np.ndarray, a: np.ndarray) -> np.ndarray:
    """−(y·log a + (1 − y)·log(1 − a)), elementwise."""
    a = np.clip(a, LOG_LOSS_EPSILON, 1 - LOG_LOSS_EPSILON)
    return -(y * np.log(a) + (1 - y) * np.log(1 - a))


def d_logloss(y: np.ndarray, a: np.ndarray) -> np.ndarray:
    """∂logloss/∂a = (a − y) / (a·(1 − a))."""
    a = np.clip(a, LOG_LOSS_EPSILON, 1 - LOG_LOSS_EPSILON)
    return (a - y) / (a * (1 - a))


ACTIVATION_FUNCTIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = {
    "tanh": (np.tanh, d_tanh), "sigmoid": (sigmoid, d_sigmoid)}


def train_layered(X: np.ndarray, y: np.ndarray, params: Params, activations: Sequence[str], epochs: int,
                  lr: float) -> Trained:
    """Train for ``epochs`` epochs; returns (params, loss, output), output as
    n×1 rows.  ``params`` holds W1, b1, W2, b2, … and ``activations`` names one
    activation per layer.  ``loss[i]`` is the mean log-loss of epoch i's
    forward pass, before its update."""
    # Step 0: the network, a list of layers, and the data with samples as columns
    x, y = X.T, y.T
    m = x.shape[1]
    lyr = [Layer(params[f"W{i}"], params[f"b{i}"], activation, lr)
           for i, activation in enumerate(activations, start=1)]
    costs = np.empty(epochs)
    for epoch in range(epochs):
        # Step 1: feed forward through every layer
        A = feedforward_all(lyr, x)
        # Step 2: cost, the mean log-loss over the m samples
        costs[epoch] = 1 / m * np.sum(logloss(y, A))
        # Step 3: backpropagation, from the last layer to the first
        dA = d_logloss(y, A)
        for layer in reversed(lyr):
            dA = layer.backprop(dA)
    # Step 4: predictions of the trained network
    output = feedforward_all(lyr, x).T
    trained = {}
    for i, layer in enumerate(lyr, start=1):
        trained[f"W{i}"], trained[f"b{i}"] = layer.W, layer.b
    return trained, costs, output


def feedforward_all(lyr: Sequence[Layer], A: np.ndarray) -> np.ndarray:
    """Pass A through every layer in order; returns the last layer's output."""
    for layer in lyr:
        A = layer.feedforward(A)
    return A


class Layer:
    """One layer: W (neurons×inputs), b (neurons×1), an activation and its
    derivative.  It keeps its input, Z and A from the forward pass for its
    backward pass, and updates its own W and b there; the gradients dW and db
    of its last backward pass stay readable (for the gradient check)."""

    def __init__(self, W: np.ndarray, b: np.ndarray, activation: str, learning_rate: float = 0.1) -> None:
        self.W = np.array(W, dtype=float)
        self.b = np.array(b, dtype=float)
        self.act, self.d_act = ACTIVATION_FUNCTIONS[activation]
        self.learning_rate = learning_rate

    def feedforward(self, A1: np.ndarray) -> np.ndarray:
        """Z = W·A1 + b, A = activation(Z); A1 is the previous layer's output."""
        self.A1 = A1
        self.Z = self.W @ self.A1 + self.b
        self.A = self.act(self.Z)
        return self.A

    def backprop(self, dA: np.ndarray) -> np.ndarray:
        """Given ∂cost/∂A, update W and b and return ∂cost/∂A1 for the layer before."""
        # Step 3: backpropagation, in one layer: dZ, then dW and db (means over the m samples), dA1, the update
        dZ = self.d_act(self.Z) * dA
        m = dZ.shape[1]
        self.dW = 1 / m * (dZ @ self.A1.T)
        self.db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
        dA1 = self.W.T @ dZ  # with W before its update, as in the article
        self.W = self.W - self.learning_rate * self.dW
        self.b = self.b - self.learning_rate * self.db
        return dA1
