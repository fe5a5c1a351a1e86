"""Fast paths: the twins' training loops in cache-sized row blocks.

Twin of ``r/R/fast.R``: the same functions in the same order, the same step
markers.  The readable twins (``article.py``, ``stepwise.py``, ``layered.py``)
stay the reference.  A fast path computes the same quantities, reassociated:
it equals its reference within the parity tolerance, not bit for bit, and the
proof is epoch by epoch (``tests/test_fast.py``): from the same parameters,
one epoch of each agrees within 1e-12·max(1, |value|) on every shipped
fixture and on random problems.  ``python -m twinnet bench`` times both.

What makes them fast, in numpy:
- **Row blocks.**  The samples are processed ``block_rows`` at a time: the
  forward pass, the slopes and the deltas of one block, whose arrays (block ×
  h) stay in the L2 cache, then the block's contributions are added to the
  gradients.  The n×h arrays of the reference never exist whole, so memory
  stays at X, y, the parameters and one block per thread, and no pass over an
  n×h array goes out to main memory.
- **Fewer passes.**  The hidden delta is (H·(1 − H) ⊙ d_output) ⊙ woutᵀ; woutᵀ
  scales columns, so it is applied once per epoch to the d×h and 1×h column
  sums, not to every element; the minus of e^(−x) is folded into the weights
  (−wh, −bh are formed once per epoch, d×h).
- **Preallocated arrays**, overwritten in place (``out=``); the parameters are
  views into one flat vector and their descent into another, so the update is
  two calls.
- **Threads.**  numpy and OpenBLAS release the GIL, so at large n the blocks
  are shared among ``threads`` workers, each with its own buffers and
  accumulators, added at the end of the epoch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from . import article, layered, stepwise

ONE = np.array(1.0)
TWO = np.array(2.0)

BLOCK_ROWS = 512
"""Rows per block: 512×64 doubles is 256 KiB, so a block's two hidden arrays
stay in a 1 MiB L2 cache.  Measured on this machine (README, Benchmark): 256
to 1024 are within a few per cent at h = 64; smaller blocks pay numpy's
per-call overhead, larger ones spill to L3."""

THREAD_MIN_ELEMENTS = 1 << 18
"""Below this many hidden elements (n·h) per epoch one thread is faster: a
thread pool's hand-off costs tens of µs per epoch."""

_POOLS: dict[int, ThreadPoolExecutor] = {}


def threads_for(n: int, h: int) -> int:
    """The worker threads a fast path uses for n samples and h hidden units:
    every core (at most 2, set by ``TWINNET_THREADS``) when n·h is large, else 1."""
    wanted = int(os.environ.get("TWINNET_THREADS", min(2, os.cpu_count() or 1)))
    return max(1, wanted) if n * h >= THREAD_MIN_ELEMENTS else 1


def train_fast(X: np.ndarray, y: np.ndarray, params: dict, epochs: int, lr: float,
               block_rows: int = BLOCK_ROWS, threads: int | None = None) -> tuple[dict, np.ndarray, np.ndarray]:
    """``article.train`` in row blocks: (params, loss, output), within the
    parity tolerance of the reference.  ``threads``: the workers sharing the
    blocks (default :func:`threads_for`)."""
    n, d = X.shape
    h = np.shape(params["wh"])[1]
    # Step 1: initialize weights and biases, as views into one flat vector
    theta, (wh, bh, wout, bout) = _flat_views(params, article.PARAM_NAMES)
    descent, (d_wh, d_bh, d_wout, d_bout) = _flat_views(params, article.PARAM_NAMES, copy=False)
    negated = np.empty(d * h + h)  # −wh and −bh, so the sigmoid's e^(−x) needs no negation
    neg_wh, neg_bh = negated[:d * h].reshape(d, h), negated[d * h:].reshape(1, h)
    blocks = _blocks(n, block_rows)
    workers = [_ArticleSums(min(block_rows, n), d, h) for _ in range(_worker_count(n, h, threads, blocks))]
    output = np.empty((n, 1))

    def block(sums: _ArticleSums, rows: slice, backward: bool = True) -> None:
        """One block's forward pass, and unless told otherwise its backward
        pass, its contributions added to ``sums``."""
        X_block, size = X[rows], rows.stop - rows.start
        H, delta = sums.H[:size], sums.delta[:size]
        o, E, d_output = sums.output[:size], sums.E[:size], sums.d_output[:size]
        # Step 2: hidden layer input, rows×h, negated: X·(−wh) + (−bh)
        np.matmul(X_block, neg_wh, out=H)
        np.add(H, neg_bh, out=H)
        # Step 3: sigmoid of the hidden layer input, in place: 1 / (1 + e^(−x))
        np.exp(H, out=H)
        np.add(H, ONE, out=H)
        np.reciprocal(H, out=H)
        # Step 4: output layer, rows×1
        np.matmul(H, wout, out=o)
        np.add(o, bout, out=o)
        _sigmoid_in_place(o)
        if not backward:
            np.copyto(output[rows], o)
            return
        # Step 5: error at the output layer, and the loss from it
        np.subtract(y[rows], o, out=E)
        sums.half_square += float(np.vdot(E, E))
        # Step 6: slopes at the output layer, o·(1 − o)
        np.subtract(ONE, o, out=d_output)
        np.multiply(o, d_output, out=d_output)
        # Step 7: delta at the output layer
        np.multiply(E, d_output, out=d_output)
        # Step 8: error at the hidden layer, d_output·woutᵀ: woutᵀ is applied to the sums, once per epoch
        # Step 9: delta at the hidden layer, without woutᵀ: H·(1 − H) ⊙ d_output, and the block's sums
        np.subtract(ONE, H, out=delta)
        np.multiply(delta, H, out=delta)
        np.multiply(delta, d_output, out=delta)
        sums.add_products(X_block, H, delta, d_output)

    loss_history = np.empty(epochs)
    with np.errstate(over="ignore"):
        for epoch in range(epochs):
            np.negative(theta[:d * h + h], out=negated)
            total = _run(workers, blocks, block)
            # Step 10: weight slopes, Xᵀ·(H(1 − H) ⊙ d_output) scaled by woutᵀ, and Hᵀ·d_output
            np.multiply(total.x_delta, wout.T, out=d_wh)
            np.copyto(d_wout, total.h_delta)
            # Step 11: bias slopes, then every parameter: θ ← θ + descent·lr
            np.multiply(total.delta_sum, wout.T, out=d_bh)
            d_bout[...] = total.output_delta_sum
            loss_history[epoch] = total.half_square / 2 / n
            np.multiply(descent, lr, out=descent)
            np.add(theta, descent, out=theta)
        np.negative(theta[:d * h + h], out=negated)
        _run(workers, blocks, lambda sums, rows: block(sums, rows, backward=False))
    params = {name: value.copy() for name, value in zip(article.PARAM_NAMES, (wh, bh, wout, bout), strict=True)}
    return params, loss_history, output


class _ArticleSums:
    """One worker's block buffers (rows×h, rows×1) and its share of the
    epoch's sums: Xᵀ·δ (d×h, before the woutᵀ scaling), Σδ (1×h), Hᵀ·d_output
    (h×1), Σ d_output and Σ (y − output)²."""

    def __init__(self, rows: int, d: int, h: int) -> None:
        self.H, self.delta = np.empty((rows, h)), np.empty((rows, h))
        self.output, self.E, self.d_output = np.empty((rows, 1)), np.empty((rows, 1)), np.empty((rows, 1))
        self.x_delta, self.x_delta_block = np.zeros((d, h)), np.empty((d, h))
        self.delta_sum, self.delta_sum_block = np.zeros((1, h)), np.empty((1, h))
        self.h_delta, self.h_delta_block = np.zeros((h, 1)), np.empty((h, 1))
        self.output_delta_sum = self.half_square = 0.0

    def add_products(self, X: np.ndarray, H: np.ndarray, delta: np.ndarray, d_output: np.ndarray) -> None:
        """Add one block's Xᵀ·δ, Σδ, Hᵀ·d_output and Σ d_output."""
        np.matmul(X.T, delta, out=self.x_delta_block)
        np.add(self.x_delta, self.x_delta_block, out=self.x_delta)
        np.add.reduce(delta, axis=0, keepdims=True, out=self.delta_sum_block)
        np.add(self.delta_sum, self.delta_sum_block, out=self.delta_sum)
        np.matmul(H.T, d_output, out=self.h_delta_block)
        np.add(self.h_delta, self.h_delta_block, out=self.h_delta)
        self.output_delta_sum += float(np.add.reduce(d_output, axis=None))

    def add(self, other: _ArticleSums) -> None:
        """Add another worker's sums to this one's."""
        self.x_delta += other.x_delta
        self.delta_sum += other.delta_sum
        self.h_delta += other.h_delta
        self.output_delta_sum += other.output_delta_sum
        self.half_square += other.half_square

    def reset(self) -> None:
        self.x_delta.fill(0.0)
        self.delta_sum.fill(0.0)
        self.h_delta.fill(0.0)
        self.output_delta_sum = self.half_square = 0.0


def train_stepwise_fast(X: np.ndarray, y: np.ndarray, params: dict, epochs: int,
                        lr: float) -> tuple[dict, np.ndarray, np.ndarray]:
    """``stepwise.train_stepwise`` with preallocated arrays: (params, loss, output).
    The walk-through's fixtures are tiny, so it is not blocked."""
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


def train_layered_fast(X: np.ndarray, y: np.ndarray, params: dict, activations: Sequence[str], epochs: int,
                       lr: float, block_rows: int = BLOCK_ROWS,
                       threads: int | None = None) -> tuple[dict, np.ndarray, np.ndarray]:
    """``layered.train_layered`` in row blocks, without Layer objects: (params,
    loss, output), within the parity tolerance of the reference.  Inside,
    samples are rows (a block's activations are rows×neurons), so a layer's
    input is A·Wᵀ + bᵀ; every layer's gradient comes from the same forward
    pass, so updating them all at the end of the epoch is the reference's
    update."""
    n = X.shape[0]
    names = [name for layer in range(1, len(activations) + 1) for name in (f"W{layer}", f"b{layer}")]
    # Step 0: the layers, as views into one flat vector, and which use tanh
    theta, views = _flat_views(params, names)
    gradient, gradient_views = _flat_views(params, names, copy=False)
    W, b = views[0::2], views[1::2]
    is_tanh = [activation == "tanh" for activation in activations]
    neurons = [w.shape[0] for w in W]
    blocks = _blocks(n, block_rows)
    workers = [_LayeredSums(min(block_rows, n), X.shape[1], neurons)
               for _ in range(_worker_count(n, max(neurons), threads, blocks))]
    output = np.empty((n, 1))

    def block(sums: _LayeredSums, rows: slice, backward: bool = True) -> None:
        """One block's forward pass, and unless told otherwise its backward
        pass, its contributions added to ``sums``."""
        X_block, size = X[rows], rows.stop - rows.start
        A_in = X_block
        for layer, (w, bias) in enumerate(zip(W, b, strict=True)):
            # Step 1: feed forward: Z = A_in·Wᵀ + bᵀ, A = act(Z), in place
            A = sums.A[layer][:size]
            np.matmul(A_in, w.T, out=A)
            np.add(A, bias.T, out=A)
            if is_tanh[layer]:
                np.tanh(A, out=A)
            else:
                _sigmoid_in_place(A)
            A_in = A
        if not backward:
            np.copyto(output[rows], A_in)
            return
        # Step 2: cost: the log-loss of the clipped output, summed
        a, y_block = sums.clipped[:size], y[rows]
        np.clip(A_in, layered.LOG_LOSS_EPSILON, 1 - layered.LOG_LOSS_EPSILON, out=a)
        sums.cost -= float(np.sum(y_block * np.log(a) + (1 - y_block) * np.log(1 - a)))
        # Step 3: backpropagation: dA = ∂logloss/∂a, then per layer dZ = act'(A)⊙dA, from the activation
        dA = sums.dZ[-1][:size]
        np.divide(a - y_block, a * (1 - a), out=dA)
        for layer in range(len(W) - 1, -1, -1):
            A, dZ = sums.A[layer][:size], sums.dZ[layer][:size]
            slope = 1 - np.square(A) if is_tanh[layer] else (1 - A) * A  # tanh' = 1 − A², σ' = (1 − A)·A
            np.multiply(dZ, slope, out=dZ)
            sums.add_products(layer, dZ, X_block if layer == 0 else sums.A[layer - 1][:size])
            if layer > 0:  # dA of the layer before: dZ·W, with W before its update
                np.matmul(dZ, W[layer], out=sums.dZ[layer - 1][:size])

    costs = np.empty(epochs)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for epoch in range(epochs):
            total = _run(workers, blocks, block)
            costs[epoch] = total.cost / n  # the mean log-loss over the n samples
            # the gradients averaged over the samples; every layer updated
            for layer, (d_W, d_b) in enumerate(zip(total.d_W, total.d_b, strict=True)):
                np.copyto(gradient_views[2 * layer], d_W)
                np.copyto(gradient_views[2 * layer + 1], d_b.T)
            np.multiply(gradient, lr / n, out=gradient)
            np.subtract(theta, gradient, out=theta)
        # Step 4: predictions of the trained network
        _run(workers, blocks, lambda sums, rows: block(sums, rows, backward=False))
    trained = {name: value.copy() for name, value in zip(names, views, strict=True)}
    return trained, costs, output


class _LayeredSums:
    """One worker's block buffers (rows×neurons per layer: A and dZ) and its
    share of the epoch's sums: dZᵀ·A_in and Σ dZ per layer, Σ log-loss."""

    def __init__(self, rows: int, d: int, neurons: list[int]) -> None:
        self.A = [np.empty((rows, size)) for size in neurons]
        self.dZ = [np.empty((rows, size)) for size in neurons]
        self.clipped = np.empty((rows, 1))
        inputs = [d, *neurons[:-1]]
        self.d_W = [np.zeros((size, fan_in)) for size, fan_in in zip(neurons, inputs, strict=True)]
        self.d_W_block = [np.empty((size, fan_in)) for size, fan_in in zip(neurons, inputs, strict=True)]
        self.d_b = [np.zeros((1, size)) for size in neurons]
        self.d_b_block = [np.empty((1, size)) for size in neurons]
        self.cost = 0.0

    def add_products(self, layer: int, dZ: np.ndarray, A_in: np.ndarray) -> None:
        """Add one block's dZᵀ·A_in and Σ dZ of one layer."""
        np.matmul(dZ.T, A_in, out=self.d_W_block[layer])
        np.add(self.d_W[layer], self.d_W_block[layer], out=self.d_W[layer])
        np.add.reduce(dZ, axis=0, keepdims=True, out=self.d_b_block[layer])
        np.add(self.d_b[layer], self.d_b_block[layer], out=self.d_b[layer])

    def add(self, other: _LayeredSums) -> None:
        """Add another worker's sums to this one's."""
        for mine, theirs in zip(self.d_W + self.d_b, other.d_W + other.d_b, strict=True):
            mine += theirs
        self.cost += other.cost

    def reset(self) -> None:
        for total in self.d_W + self.d_b:
            total.fill(0.0)
        self.cost = 0.0


def _blocks(n: int, block_rows: int) -> list[slice]:
    """The row blocks of n samples, ``block_rows`` each (the last one shorter)."""
    if block_rows < 1:
        raise ValueError("block_rows must be at least 1")
    return [slice(start, min(start + block_rows, n)) for start in range(0, n, block_rows)]


def _worker_count(n: int, h: int, threads: int | None, blocks: list[slice]) -> int:
    """How many workers share the blocks: ``threads`` or the default, never more than the blocks."""
    wanted = threads_for(n, h) if threads is None else threads
    return max(1, min(wanted, len(blocks)))


def _run(workers: list, blocks: list[slice], task: Callable) -> Any:
    """Reset every worker's sums, run ``task(worker, rows)`` for every block,
    the blocks dealt to the workers in turn (threads when there are several);
    returns the first worker, holding every worker's sums."""
    for worker in workers:
        worker.reset()
    if len(workers) == 1:
        for rows in blocks:
            task(workers[0], rows)
        return workers[0]

    def share(index: int) -> None:
        for rows in blocks[index::len(workers)]:
            task(workers[index], rows)

    pool = _POOLS.get(len(workers))
    if pool is None:
        pool = _POOLS[len(workers)] = ThreadPoolExecutor(len(workers), thread_name_prefix="twinnet-fast")
    for future in [pool.submit(share, index) for index in range(len(workers))]:
        future.result()
    first, *others = workers
    for other in others:
        first.add(other)
    return first


def _sigmoid_in_place(a: np.ndarray) -> None:
    """a ← 1 / (1 + e^(−a)), with no new array."""
    np.negative(a, out=a)
    np.exp(a, out=a)
    np.add(a, ONE, out=a)
    np.reciprocal(a, out=a)


def _flat_views(params: dict, names: Sequence[str], copy: bool = True) -> tuple[np.ndarray, list[np.ndarray]]:
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
