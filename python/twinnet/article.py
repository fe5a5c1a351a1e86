"""The article network: 2 layers, sigmoid on both, biases on both.

This is the network of "Understanding and coding Neural Networks From Scratch in
Python and R" (Sunil Ray, 2017), trained full-batch by the article's loop.  Its
twin is ``r/R/article.R``: the same functions in the same order, with the
article's steps numbered identically, so the two files can be read side by side.

Shapes (samples are rows):
    X    n×d      wh    d×h      bh    1×h
    y    n×1      wout  h×1      bout  1×1

Each epoch is one step of gradient descent on L = Σ ½(y − output)², a sum over
samples and not a mean.  ``backward`` returns the *descent direction* −∂L/∂θ,
which is what the article adds to each parameter (times lr).
"""

from __future__ import annotations

import numpy as np

from .types import Params, Trained

PARAM_NAMES = ("wh", "bh", "wout", "bout")


# Step 0: read input and output
# X and y arrive as arguments (the fixture readers load them).  The article
# defines its activation and its slope here.
def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^(−x)).  The article's text misprints this formula.

    Stable for every double: for x < −709, e^(−x) overflows to inf and σ is
    1/inf = 0, its limit, without numpy's overflow warning (R's exp is silent)."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def derivatives_sigmoid(activation: np.ndarray) -> np.ndarray:
    """σ'(z) written in terms of the activation a = σ(z): a·(1 − a)."""
    return activation * (1 - activation)


def train(X: np.ndarray, y: np.ndarray, params: Params, epochs: int, lr: float) -> Trained:
    """Train for ``epochs`` full-batch epochs and return (params, loss, output).

    ``loss[i]`` is the mean ½(y − output)² of epoch i's forward pass, taken
    before that epoch's update.  ``output`` is the forward pass after the last
    update (the untrained network's output when epochs is 0).  The caller's
    arrays are not modified.
    """
    # Step 1: initialize weights and biases
    # The initial values come from the fixture: the Python generator drew them
    # once with RandomState(seed).uniform in the order wh, bh, wout, bout.
    params = {name: np.array(params[name], dtype=float) for name in PARAM_NAMES}
    loss_history = np.empty(epochs)
    for epoch in range(epochs):
        H, output = forward(X, params)
        loss_history[epoch] = loss(y, output)
        descent = backward(X, y, params, H, output)
        update_params(params, descent, lr)
    _, output = forward(X, params)
    return params, loss_history, output


def forward(X: np.ndarray, params: Params) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass: hidden activations H (n×h) and output (n×1)."""
    # Step 2: hidden layer input, n×h (bh, 1×h, broadcasts over the rows)
    hidden_layer_input = X @ params["wh"] + params["bh"]
    # Step 3: non-linear transformation of the hidden layer input
    hiddenlayer_activations = sigmoid(hidden_layer_input)
    # Step 4: linear and non-linear transformation at the output layer, n×1
    output_layer_input = hiddenlayer_activations @ params["wout"] + params["bout"]
    output = sigmoid(output_layer_input)
    return hiddenlayer_activations, output


def backward(X: np.ndarray, y: np.ndarray, params: Params, H: np.ndarray, output: np.ndarray) -> Params:
    """Backpropagation: the descent direction −∂L/∂θ for every parameter."""
    # Step 5: error at the output layer, n×1 (this E is y − output, minus ∂L/∂output)
    E = y - output
    # Step 6: slopes at the output and hidden layers
    slope_output_layer = derivatives_sigmoid(output)
    slope_hidden_layer = derivatives_sigmoid(H)
    # Step 7: delta at the output layer, n×1 (lr is applied once, in the update)
    d_output = E * slope_output_layer
    # Step 8: error at the hidden layer, n×h
    error_at_hidden_layer = d_output @ params["wout"].T
    # Step 9: delta at the hidden layer, n×h
    d_hiddenlayer = error_at_hidden_layer * slope_hidden_layer
    # Step 10: weight slopes, Hᵀ·d_output (h×1) and Xᵀ·d_hiddenlayer (d×h)
    # Step 11: bias slopes, the column sums of the deltas (1×1 and 1×h)
    return {
        "wh": X.T @ d_hiddenlayer,
        "bh": d_hiddenlayer.sum(axis=0, keepdims=True),
        "wout": H.T @ d_output,
        "bout": d_output.sum(axis=0, keepdims=True),
    }


def update_params(params: Params, descent: Params, lr: float) -> None:
    """Apply Steps 10 and 11 in place: θ ← θ + descent·lr."""
    for name in PARAM_NAMES:
        params[name] += descent[name] * lr


def loss(y: np.ndarray, output: np.ndarray) -> float:
    """Mean over samples of ½(y − output)²: what the article calls E, averaged."""
    return np.mean((y - output) ** 2 / 2)
