"""Fast paths: the twins' training loops, bit for bit, without their overhead.

Twin of ``r/R/fast.R``: the same functions in the same order.  The readable
twins (``article.py``, ``stepwise.py``) stay the reference; each function here
computes exactly what its reference computes, the same operations on the same
values in the same order, so the results are bit-identical, not merely close
(``tests/test_fast.py`` checks every shipped fixture).  ``python -m twinnet
bench`` times both.

What makes them fast, in numpy:
- every array the loop writes is allocated once, before the loop, and
  overwritten in place (``out=``): no temporaries, so memory stays at the
  arrays the loop needs and a large n pays no page faults;
- the parameters are views into one flat vector and their descent into
  another, so the whole update is two calls;
- numpy's overflow warning of ``exp`` is silenced once around the loop, not
  in every sigmoid;
- the constants are 0-d arrays, which numpy combines with an array faster
  than Python numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import article, layered, stepwise
from .types import Params, Trained

ONE = np.array(1.0)
TWO = np.array(2.0)


def train_variant_fast(variant: str, X: np.ndarray, y: np.ndarray, params: Params, hyper: dict[str, Any],
                       epochs: int) -> Trained:
    """(params, loss, output) from the variant's fast path; like
    ``fixtures.train_variant``.  The layered variant has no fast path: its
    reference loop is returned."""
    if variant == "layered":
        return layered.train_layered(X, y, params, hyper["activations"], epochs, hyper["lr"])
    train = train_stepwise_fast if variant == "stepwise" else train_fast
    return train(X, y, params, epochs, hyper["lr"])


def train_fast(X: np.ndarray, y: np.ndarray, params: Params, epochs: int, lr: float) -> Trained:
    """``article.train``, bit for bit: (params, loss, output)."""
    n, h = X.shape[0], params["wh"].shape[1]
    # Step 1: initialize weights and biases, as views into one flat vector
    theta, (wh, bh, wout, bout) = _flat_views(params, article.PARAM_NAMES)
    descent, (d_wh, d_bh, d_wout, d_bout) = _flat_views(params, article.PARAM_NAMES, copy=False)
    bout_scalar = bout.reshape(())  # the 1×1 bout as a 0-d view: numpy adds it faster than broadcasting
    H, slope_hidden_layer, d_hiddenlayer = np.empty((n, h)), np.empty((n, h)), np.empty((n, h))
    output, E, d_output, half_square = np.empty((n, 1)), np.empty((n, 1)), np.empty((n, 1)), np.empty((n, 1))
    loss_history = np.empty(epochs)
    with np.errstate(over="ignore"):
        for epoch in range(epochs):
            # Step 2: hidden layer input, n×h: X·wh + bh
            np.matmul(X, wh, out=H)
            np.add(H, bh, out=H)
            # Step 3: sigmoid of the hidden layer input, in place: 1 / (1 + e^(−x))
            _sigmoid_in_place(H)
            # Step 4: output layer, n×1
            np.matmul(H, wout, out=output)
            np.add(output, bout_scalar, out=output)
            _sigmoid_in_place(output)
            # Step 5: error at the output layer, and the loss from it
            np.subtract(y, output, out=E)
            np.multiply(E, E, out=half_square)
            np.divide(half_square, TWO, out=half_square)
            loss_history[epoch] = np.add.reduce(half_square, axis=None) / n
            # Step 6: slopes at the output layer, o·(1 − o)
            np.subtract(ONE, output, out=d_output)
            np.multiply(output, d_output, out=d_output)
            # Step 7: delta at the output layer
            np.multiply(E, d_output, out=d_output)
            # Step 8: error at the hidden layer, n×h
            np.matmul(d_output, wout.T, out=d_hiddenlayer)
            # Step 9: delta at the hidden layer, with the slope H·(1 − H)
            np.subtract(ONE, H, out=slope_hidden_layer)
            np.multiply(H, slope_hidden_layer, out=slope_hidden_layer)
            np.multiply(d_hiddenlayer, slope_hidden_layer, out=d_hiddenlayer)
            # Step 10: weight slopes
            np.matmul(X.T, d_hiddenlayer, out=d_wh)
            np.matmul(H.T, d_output, out=d_wout)
            # Step 11: bias slopes, then every parameter: θ ← θ + descent·lr
            np.add.reduce(d_hiddenlayer, axis=0, keepdims=True, out=d_bh)
            np.add.reduce(d_output, axis=0, keepdims=True, out=d_bout)
            np.multiply(descent, lr, out=descent)
            np.add(theta, descent, out=theta)
    params = {name: value.copy() for name, value in zip(article.PARAM_NAMES, (wh, bh, wout, bout), strict=True)}
    del H, slope_hidden_layer, d_hiddenlayer  # freed before the last forward pass allocates its own
    _, output = article.forward(X, params)
    return params, loss_history, output


def train_stepwise_fast(X: np.ndarray, y: np.ndarray, params: Params, epochs: int, lr: float) -> Trained:
    """``stepwise.train_stepwise``, bit for bit: (params, loss, output)."""
    # Step 0: transpose the input and output, so samples are columns
    X, y = X.T, y.T
    d, n = X.shape
    h = params["weights_input_hidden"].shape[1]
    # Step 1: initialize the weights, as views into one flat vector
    weights, (w_ih, w_ho) = _flat_views(params, stepwise.WEIGHT_NAMES)
    gradient, (g_ih, g_ho) = _flat_views(params, stepwise.WEIGHT_NAMES, copy=False)
    H, slope_hidden, delta_hidden = np.empty((h, n)), np.empty((h, n)), np.empty((h, n))
    output, error, slope_output, delta_output = np.empty((1, n)), np.empty((1, n)), np.empty((1, n)), np.empty((1, n))
    loss_history = np.empty(epochs)
    with np.errstate(over="ignore"):
        for epoch in range(epochs):
            # Step 2: hidden layer linear transform, h×n
            np.matmul(w_ih.T, X, out=H)
            # Step 3: hidden layer activations, in place
            _sigmoid_in_place(H)
            # Step 4: output layer linear transform and output, 1×n
            np.matmul(w_ho.T, H, out=output)
            _sigmoid_in_place(output)
            # Step 5: rate of change of error w.r.t. output, and the loss from y − output
            np.subtract(y, output, out=error)
            np.multiply(error, error, out=slope_output)
            np.divide(slope_output, TWO, out=slope_output)
            loss_history[epoch] = np.add.reduce(slope_output, axis=None) / n
            np.negative(error, out=error)
            # Step 6: rate of change of output w.r.t. Z2
            np.subtract(ONE, output, out=slope_output)
            np.multiply(output, slope_output, out=slope_output)
            # Step 7: rate of change of Z2 w.r.t. weights between hidden and output layer (H itself)
            np.multiply(error, slope_output, out=delta_output)
            # Step 8: rate of change of error w.r.t. weights between hidden and output layer, h×1
            np.matmul(H, delta_output.T, out=g_ho)
            # Step 9: rates of change of Z2 w.r.t. H, and of H w.r.t. Z1
            np.matmul(w_ho, delta_output, out=delta_hidden)
            np.subtract(ONE, H, out=slope_hidden)
            np.multiply(H, slope_hidden, out=slope_hidden)
            np.multiply(slope_hidden, delta_hidden, out=delta_hidden)
            # Step 10: rate of change of error w.r.t. weights between input and hidden layer, d×h
            np.matmul(X, delta_hidden.T, out=g_ih)
            # Step 11: update the weights, w ← w − lr·∂E/∂w
            np.multiply(gradient, lr, out=gradient)
            np.subtract(weights, gradient, out=weights)
    params = {name: value.copy() for name, value in zip(stepwise.WEIGHT_NAMES, (w_ih, w_ho), strict=True)}
    del H, slope_hidden, delta_hidden  # freed before the last forward pass allocates its own
    return params, loss_history, stepwise.forward_propagation(X, params)["output"].T


def _sigmoid_in_place(a):
    """a ← 1 / (1 + e^(−a)), the reference's operations in its order, with no new array."""
    np.negative(a, out=a)
    np.exp(a, out=a)
    np.add(a, ONE, out=a)
    np.reciprocal(a, out=a)


def _flat_views(params, names, copy=True):
    """One flat float vector and, in ``names`` order, a view of it shaped like
    each parameter; filled with the parameters' values, or left unset."""
    shapes = [np.shape(params[name]) for name in names]
    sizes = [int(np.prod(shape)) for shape in shapes]
    flat = np.empty(sum(sizes))
    views, start = [], 0
    for name, shape, size in zip(names, shapes, sizes, strict=True):
        view = flat[start:start + size].reshape(shape)
        if copy:
            view[...] = params[name]
        views.append(view)
        start += size
    return flat, views
