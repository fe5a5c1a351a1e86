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
  sums, not to every element; d_output scales rows, so it scales the rows of
  [X 1] (rows×(d+1)) before the product instead of the rows×h delta; the
  minus of e^(−x) is folded into the weights (−wh, −bh are formed once per
  epoch, d×h).
- **The Layer-class network**: when its second layer has one neuron, the
  first layer's delta is never formed (the same row and column scaling as the
  article's), and tanh is 2 / (1 + e^(−2z)) − 1, as in the R twin: without
  AVX-512 numpy's ``tanh`` is a scalar loop, twice as slow as its ``exp``.
- **Cheap calls**: ``np.dot`` where the output is contiguous (``np.matmul``
  costs about 4,000 more instructions per call on tiny arrays).
- **Preallocated arrays**, overwritten in place (``out=``); the parameters are
  views into one flat vector and their descent into another, so the update is
  two calls.
- **One block** (n ≤ ``block_rows``, the article's fixture among them): a
  loop of its own with no blocks, workers or closures, whose state is the negated parameters, so an epoch is a few
  numpy calls on small arrays (the per-call overhead is the whole cost
  there), samples as columns so that every product is an ``np.dot``.  It
  computes the blocked loop's sums, within the parity tolerance.
- **No numpy at all** for the smallest problems of the article's and the
  Layer-class networks (``SCALAR_MAX_PRODUCTS``: the article's, xor and
  layered-xor fixtures): an epoch is written out term by term as Python float
  arithmetic and compiled once per shape (about 7 µs an epoch for the
  article's fixture, against 25 µs for the one-block loop).  The R
  twin has no such loop: R's interpreter pays per operation what numpy pays
  per call.
- **One thread by default.**  numpy and OpenBLAS release the GIL, so the
  blocks can be shared among ``threads`` workers, each with its own buffers
  and accumulators, added at the end of the epoch; but measured on this
  2-core AMD EPYC (Zen 3, no AVX-512), one thread against two at d = 32,
  h = 64: n = 1e3 3.9 ms vs 4.4 ms an epoch, 1e4 30 ms vs 29 ms, 1e5 289 ms
  vs 413 ms; on a Xeon with AVX-512 the pool paid nowhere; on an AMD EPYC
  Zen 4 (family 25 model 17, AVX-512): 1e3 0.63 ms vs 0.91 ms, 1e4 6.1 ms vs
  5.3 ms, 1e5 64 ms vs 59 ms.  At best 14 % at n ≥ 1e4 on one CPU of three,
  and 45 % lost at 1e3 on it: so the pool is used only when
  ``TWINNET_THREADS`` asks for it (a positive integer, at most the number of
  cores) or a caller passes ``threads``.  While a fast
  path runs, numpy's OpenBLAS is held to one thread (and given back its
  count after): OpenBLAS's threads, woken for a block's product, spin
  against other processes (measured: 10× slower on a busy machine).

Length: past 400 lines on purpose.  The three loops, each with the step
markers the twin ``fast.R`` mirrors one for one, and the buffers of their
workers belong together; a second module would split a loop from its sums.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np

from . import article, layered, stepwise
from .safejson import FixtureError, escape

ONE = np.array(1.0)
TWO = np.array(2.0)
MINUS_TWO = np.array(-2.0)

BLOCK_ROWS = 256
"""Rows per block: 256×64 doubles is 128 KiB, so a block's two hidden arrays
stay in the 1 MiB L2 cache, and a block's products (256×32 by 32×64) are
small enough that OpenBLAS runs them on the calling thread.  Measured here
(README, Benchmark): at n = 1e4 and 1e5, 256 rows beat 128 (numpy's per-call
overhead) and were 10× faster than 512 or 1024 on a busy machine, where
OpenBLAS's own threads, woken for the larger products, spin against the
other processes."""

THREAD_MIN_ELEMENTS = 1 << 15
"""Below this many hidden elements (n·h) per epoch even an asked-for pool is
not used: its hand-off costs tens of µs per epoch."""

SCALAR_MAX_PRODUCTS = 96
"""Up to this many products per forward pass (n·Σ neurons·(inputs + 1) over
the layers: the article's fixture has 57, xor 68, layered-xor 52) an epoch
is straight-line Python float arithmetic (:func:`_train_scalar`,
:func:`_train_layered_scalar`), not numpy calls, whose ~1 µs each is the
whole cost of a problem this small.  Measured on an AMD EPYC (family/model
23/1, no AVX-512), the article network: 12 µs an epoch against 48 µs for the
one-block numpy loop at 57 products, 20 µs against 37 µs at 100, 34 µs
against 40 µs at 200, 129 µs against 43 µs at 776.  A fixed bound with a 2×
margin, not a timing at first use: the same problem takes the same path, so
gives the same bits, on every run."""

_POOLS: dict[int, ThreadPoolExecutor] = {}


def threads_for(n: int, h: int) -> int:
    """The worker threads a fast path uses for n samples and h hidden units:
    1, unless ``TWINNET_THREADS`` asks for more and n·h is large."""
    wanted = threads_setting()
    return wanted if wanted is not None and n * h >= THREAD_MIN_ELEMENTS else 1


def train_fast(X: np.ndarray, y: np.ndarray, params: dict, epochs: int, lr: float,
               block_rows: int = BLOCK_ROWS, threads: int | None = None) -> tuple[dict, np.ndarray, np.ndarray]:
    """``article.train`` in row blocks: (params, loss, output), within the
    parity tolerance of the reference.  ``threads``: the workers sharing the
    blocks (default :func:`threads_for`)."""
    wanted = threads_setting()  # checked on every call, so a wrong value is refused before anything runs
    n, d = X.shape
    h = np.shape(params["wh"])[1]
    if 0 < n <= block_rows and wanted != 0:  # one block: the one-block loop, no blocks, no workers
        if n * (h * (d + 1) + h + 1) <= SCALAR_MAX_PRODUCTS:
            return _train_scalar(X, y, params, epochs, lr)
        return _train_tiny(X, y, params, epochs, lr)
    # Step 1: initialize weights and biases, as views into one flat vector: [wh; bh] is (d+1)×h, [wout; bout] (h+1)×1
    theta, (wh, bh, wout, bout) = _flat_views(params, article.PARAM_NAMES)
    negated = np.empty_like(theta)  # −θ, so the sigmoids' e^(−x) need no negation
    neg_whb, neg_woutb = negated[:(d + 1) * h].reshape(d + 1, h), negated[(d + 1) * h:].reshape(h + 1, 1)
    blocks = _blocks(n, block_rows)
    count = _worker_count(n, h, threads, blocks)
    output = np.empty((n, 1))
    # one worker per thread; the first one sums straight into the descent vector
    workers = [_ArticleSums(X, y, output, blocks[index::count], h) for index in range(count)]
    sums = workers[0].sums
    descent = sums[:-1]  # the first worker's sums, but the last: Σ (y − output)²
    d_whb = descent[:(d + 1) * h].reshape(d + 1, h)  # the slopes of wh and, in its last row, of bh

    def block(worker: _ArticleSums, plan: tuple, first: bool, backward: bool) -> None:
        """One block's forward pass, and when ``backward`` its backward pass,
        its contributions added to the worker's sums (written, for its ``first`` block)."""
        X_block, X1_head, X1, XD, y_block, H1, H, delta, o, E, d_output, out = plan
        if X1_head is not None:  # the block's rows of X, beside the column of ones
            np.copyto(X1_head, X_block)
        # Step 2: hidden layer input, rows×h, negated: [X 1]·(−[wh; bh])
        np.matmul(X1, neg_whb, out=H)
        # Step 3: sigmoid of the hidden layer input, in place: 1 / (1 + e^(−x))
        np.exp(H, out=H)
        np.add(H, ONE, out=H)
        np.reciprocal(H, out=H)
        # Step 4: output layer, rows×1, its input negated too: [H 1]·(−[wout; bout])
        np.dot(H1, neg_woutb, out=o)
        np.exp(o, out=o)
        np.add(o, ONE, out=o)
        np.reciprocal(o, out=o)
        if not backward:
            np.copyto(out, o)
            return
        # Step 5: error at the output layer, and the loss from it
        np.subtract(y_block, o, out=E)
        # Step 6: slopes at the output layer, o·(1 − o)
        np.subtract(ONE, o, out=d_output)
        np.multiply(o, d_output, out=d_output)
        # Step 7: delta at the output layer
        np.multiply(E, d_output, out=d_output)
        # Step 8: error at the hidden layer, d_output·woutᵀ: woutᵀ is applied to the sums, once per epoch
        # Step 9: delta at the hidden layer, without woutᵀ: H·(1 − H) ⊙ d_output, and the block's sums;
        # d_output scales rows, so it scales the rows of [X 1] (rows×(d+1)), not every hidden element
        d_x1, d_h1, square = worker.views if first else worker.block_views
        np.dot(H1.T, d_output, out=d_h1)  # [Hᵀ·d_output; Σ d_output]
        np.dot(E.T, E, out=square)
        np.subtract(ONE, H, out=delta)
        np.multiply(delta, H, out=delta)
        np.multiply(X1, d_output, out=XD)
        np.dot(XD.T, delta, out=d_x1)  # [X 1]ᵀ·(H(1 − H) ⊙ d_output): its last row sums the deltas
        if not first:
            np.add(worker.sums, worker.block_sums, out=worker.sums)

    def share(index: int, backward: bool = True) -> None:
        worker = workers[index]
        if not worker.plans:
            worker.sums.fill(0.0)
        for number, plan in enumerate(worker.plans):
            block(worker, plan, number == 0, backward)

    loss_history = np.empty(epochs)
    with np.errstate(over="ignore"), _one_blas_thread():
        for epoch in range(epochs):
            np.negative(theta, out=negated)
            _share_out(count, share)
            for other in workers[1:]:
                np.add(sums, other.sums, out=sums)
            # Step 10: weight slopes, Xᵀ·(H(1 − H) ⊙ d_output) scaled by woutᵀ, and Hᵀ·d_output
            # Step 11: bias slopes (scaled by woutᵀ with the weight slopes), then every parameter: θ ← θ + descent·lr
            np.multiply(d_whb, wout.T, out=d_whb)
            loss_history[epoch] = sums[-1]
            np.multiply(descent, lr, out=descent)
            np.add(theta, descent, out=theta)
        np.divide(loss_history, 2 * n, out=loss_history)
        np.negative(theta, out=negated)
        _share_out(count, lambda index: share(index, backward=False))
    params = {name: value.copy() for name, value in zip(article.PARAM_NAMES, (wh, bh, wout, bout), strict=True)}
    return params, loss_history, output


def _train_tiny(X: np.ndarray, y: np.ndarray, params: dict, epochs: int,
                lr: float) -> tuple[dict, np.ndarray, np.ndarray]:
    """``train_fast`` for one block: the blocked loop's sums, samples as
    columns, with the negated parameters as the state (ν = −θ, exact), so an
    epoch is 22 numpy calls and no Python function call.  ν ← ν + S·λ, where S holds
    the hidden slopes scaled by −wout (= ν's wout) and the output slopes, and
    λ is +lr for the first part and −lr for the second: −(θ + descent·lr)."""
    n, d = X.shape
    theta, _ = _flat_views(params, article.PARAM_NAMES)
    h = (theta.size - 1) // (d + 2)
    negated = np.negative(theta)
    neg_whb, neg_woutb = negated[:(d + 1) * h].reshape(d + 1, h), negated[(d + 1) * h:].reshape(h + 1, 1)
    neg_wout_T = neg_woutb[:h].T
    signed_lr = np.full(theta.size, float(lr))
    signed_lr[(d + 1) * h:] = -lr
    # samples are columns here, so H (the first h rows of [H; 1]) is contiguous and every product is np.dot
    X1, H1 = np.ones((d + 1, n)), np.ones((h + 1, n))
    X1[:d] = X.T
    H = H1[:h]
    y_row = np.ascontiguousarray(y.T)
    XD, delta = np.empty((d + 1, n)), np.empty((h, n))
    o, E, d_output = np.empty((1, n)), np.empty((1, n)), np.empty((1, n))
    sums = np.empty(theta.size + 1)
    d_x1, d_h1, square = (sums[:(d + 1) * h].reshape(d + 1, h), sums[(d + 1) * h:-1].reshape(h + 1, 1),
                          sums[-1:].reshape(1, 1))
    descent = sums[:-1]
    # the transposed views made once, not every epoch
    neg_whb_T, neg_woutb_T, d_output_T, E_T, delta_T = neg_whb.T, neg_woutb.T, d_output.T, E.T, delta.T
    loss_history = np.empty(epochs)
    dot, exp, add, reciprocal, subtract, multiply = np.dot, np.exp, np.add, np.reciprocal, np.subtract, np.multiply
    with np.errstate(over="ignore"), _one_blas_thread():
        for epoch in range(epochs):
            dot(neg_whb_T, X1, H)
            exp(H, H)
            add(H, ONE, H)
            reciprocal(H, H)
            dot(neg_woutb_T, H1, o)
            exp(o, o)
            add(o, ONE, o)
            reciprocal(o, o)
            subtract(y_row, o, E)
            subtract(ONE, o, d_output)
            multiply(o, d_output, d_output)
            multiply(E, d_output, d_output)
            dot(H1, d_output_T, d_h1)
            dot(E, E_T, square)
            subtract(ONE, H, delta)
            multiply(delta, H, delta)
            multiply(X1, d_output, XD)
            dot(XD, delta_T, d_x1)
            multiply(d_x1, neg_wout_T, d_x1)
            loss_history[epoch] = sums[-1]
            multiply(descent, signed_lr, descent)
            add(negated, descent, negated)
        np.divide(loss_history, 2 * n, loss_history)
        dot(neg_whb_T, X1, H)
        _sigmoid_of_negated(H)
        dot(neg_woutb_T, H1, o)
        _sigmoid_of_negated(o)
    np.negative(negated, out=theta)
    _, views = _flat_views(params, article.PARAM_NAMES, copy=False)
    start = 0
    trained = {}
    for name, view in zip(article.PARAM_NAMES, views, strict=True):
        trained[name] = theta[start:start + view.size].reshape(view.shape).copy()
        start += view.size
    return trained, loss_history, o.T.copy()


def _train_scalar(X: np.ndarray, y: np.ndarray, params: dict, epochs: int,
                  lr: float) -> tuple[dict, np.ndarray, np.ndarray]:
    """``train_fast`` for the smallest problems: every parameter, sample and
    intermediate a Python float in a local variable of a loop compiled for
    this n, d and h (:func:`_scalar_epochs`), so an epoch has no numpy call.
    ``math.exp`` raises OverflowError where numpy's gives inf (a diverging
    run); the one-block numpy loop then trains from the start instead."""
    n, d = X.shape
    theta, views = _flat_views(params, article.PARAM_NAMES)
    h = (theta.size - 1) // (d + 2)
    loss_history = np.empty(epochs)
    try:
        state, output = _scalar_epochs(n, d, h)(theta.tolist(), X.ravel().tolist(), y.ravel().tolist(), epochs,
                                                float(lr), loss_history, math.exp)
    except OverflowError:
        return _train_tiny(X, y, params, epochs, lr)
    np.divide(loss_history, 2 * n, out=loss_history)
    theta[:] = state  # the views see the trained values
    trained = {name: view.copy() for name, view in zip(article.PARAM_NAMES, views, strict=True)}
    return trained, loss_history, np.array(output).reshape(n, 1)


@functools.cache
def _scalar_epochs(n: int, d: int, h: int) -> Callable:
    """The article's epoch for n samples, d features and h hidden units,
    written out term by term and compiled once per shape:
    ``run(theta, X, y, epochs, lr, loss, exp) -> (theta, output)``, with
    ``theta`` the flat [wh; bh; wout; bout] (wh row-major, d×h), X row-major
    and ``loss[epoch]`` set to Σ (y − output)².  The names follow the
    reference: ``wh_k_j``, ``bh_j``, ``wout_j``, ``bout``; per sample i the
    hidden activations ``H_i_j``, the output ``o_i``, the error ``E_i``,
    ``d_output_i`` and the hidden delta ``delta_i_j`` (built with wout before
    its update, as in the article).  The source holds only fixed text and
    names built from the integers n, d and h: no value or string of a fixture
    reaches it; the numbers arrive as arguments."""
    samples, features, units = range(n), range(d), range(h)
    wh = [f"wh_{k}_{j}" for k in features for j in units]
    theta = [*wh, *(f"bh_{j}" for j in units), *(f"wout_{j}" for j in units), "bout"]

    def forward(indent: str) -> list[str]:
        lines = []
        for i in samples:
            for j in units:
                terms = " + ".join(f"X_{i}_{k} * wh_{k}_{j}" for k in features)
                lines.append(f"{indent}H_{i}_{j} = 1.0 / (1.0 + exp(-({terms} + bh_{j})))")
            terms = " + ".join(f"H_{i}_{j} * wout_{j}" for j in units)
            lines.append(f"{indent}o_{i} = 1.0 / (1.0 + exp(-({terms} + bout)))")
        return lines

    def total(terms: Iterable[str]) -> str:
        return " + ".join(terms)

    body = "        "
    lines = [
        "def run(theta, X, y, epochs, lr, loss, exp):",
        f"    {', '.join(theta)}, = theta",
        f"    {', '.join(f'X_{i}_{k}' for i in samples for k in features)}, = X",
        f"    {', '.join(f'y_{i}' for i in samples)}, = y",
        "    for epoch in range(epochs):",
        # Steps 2 to 4: the forward pass
        *forward(body),
    ]
    for i in samples:
        # Steps 5 to 7: error, slope and delta at the output layer
        lines += [f"{body}E_{i} = y_{i} - o_{i}", f"{body}d_output_{i} = E_{i} * (o_{i} * (1.0 - o_{i}))"]
    lines.append(f"{body}loss[epoch] = {total(f'E_{i} * E_{i}' for i in samples)}")
    for i in samples:
        # Steps 8 and 9: error and delta at the hidden layer
        lines += [f"{body}delta_{i}_{j} = d_output_{i} * wout_{j} * (H_{i}_{j} * (1.0 - H_{i}_{j}))" for j in units]
    # Steps 10 and 11: the slopes and the update, θ ← θ + descent·lr
    for j in units:
        lines.append(f"{body}wout_{j} += ({total(f'H_{i}_{j} * d_output_{i}' for i in samples)}) * lr")
    lines.append(f"{body}bout += ({total(f'd_output_{i}' for i in samples)}) * lr")
    for k in features:
        lines += [f"{body}wh_{k}_{j} += ({total(f'X_{i}_{k} * delta_{i}_{j}' for i in samples)}) * lr" for j in units]
    lines += [f"{body}bh_{j} += ({total(f'delta_{i}_{j}' for i in samples)}) * lr" for j in units]
    lines += [*forward("    "), f"    return [{', '.join(theta)}], [{', '.join(f'o_{i}' for i in samples)}]"]
    return _compiled(lines, f"scalar epochs n={n} d={d} h={h}")


class _ArticleSums:
    """One worker: its blocks (views of X, y and the output) with its buffers
    (the block of X beside a column of ones, and its rows scaled by d_output,
    rows×(d+1); H beside a column of ones, rows×(h+1); the delta, rows×h;
    rows×1), and its share of the epoch's
    sums in one flat vector laid out like the parameters: [Xᵀ·δ; Σδ] ((d+1)×h,
    before the woutᵀ scaling), [Hᵀ·d_output; Σ d_output] ((h+1)×1), then
    Σ (y − output)²."""

    def __init__(self, X: np.ndarray, y: np.ndarray, output: np.ndarray, blocks: list[slice], h: int) -> None:
        d = X.shape[1]
        rows = max((block.stop - block.start for block in blocks), default=0)
        X1, XD, H1, delta = np.ones((rows, d + 1)), np.empty((rows, d + 1)), np.ones((rows, h + 1)), np.empty((rows, h))
        o, E, d_output = np.empty((rows, 1)), np.empty((rows, 1)), np.empty((rows, 1))
        self.plans: list[tuple[np.ndarray | None, ...]] = []
        for block in blocks:
            size = block.stop - block.start
            head: np.ndarray | None = X1[:size, :d]
            if len(blocks) == 1:  # one block: X is copied beside its column of ones once, not every epoch
                np.copyto(X1[:size, :d], X[block])
                head = None
            self.plans.append((X[block], head, X1[:size], XD[:size], y[block], H1[:size], H1[:size, :h], delta[:size],
                               o[:size], E[:size], d_output[:size], output[block]))
        size = (d + 1) * h + (h + 1) + 1
        self.sums, self.block_sums = np.empty(size), np.empty(size)
        self.views, self.block_views = (
            (flat[:(d + 1) * h].reshape(d + 1, h), flat[(d + 1) * h:-1].reshape(h + 1, 1), flat[-1:].reshape(1, 1))
            for flat in (self.sums, self.block_sums))


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
            np.dot(w_ih.T, X, out=H)
            # Step 3: hidden layer activations, in place
            _sigmoid_in_place(H)
            # Step 4: output layer linear transform and output, 1×n
            np.dot(w_ho.T, H, out=output)
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
            np.dot(H, delta_output.T, out=g_ho)
            # Step 9: rates of change of Z2 w.r.t. H, and of H w.r.t. Z1
            np.dot(w_ho, delta_output, out=delta_hidden)
            np.subtract(ONE, H, out=slope_hidden)
            np.multiply(H, slope_hidden, out=slope_hidden)
            np.multiply(slope_hidden, delta_hidden, out=delta_hidden)
            # Step 10: rate of change of error w.r.t. weights between input and hidden layer, d×h
            np.dot(X, delta_hidden.T, out=g_ih)
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
    update.  When the second layer has one neuron (the usual hidden layer and
    output), the first layer's delta (dZ₂·W₂) ⊙ act'(A₁) is never formed:
    dZ₂ scales rows, so it scales the rows of X, and W₂ scales columns, so it
    scales the first layer's sums once per epoch."""
    threads_setting()  # checked on every call, so a wrong value is refused before anything runs
    n = X.shape[0]
    shapes = [np.shape(params[f"W{layer}"]) for layer in range(1, len(activations) + 1)]
    if 0 < n <= block_rows and n * sum(size * (fan_in + 1) for size, fan_in in shapes) <= SCALAR_MAX_PRODUCTS:
        return _train_layered_scalar(X, y, params, activations, epochs, lr)
    return _train_layered_blocked(X, y, params, activations, epochs, lr, block_rows, threads)


def _train_layered_blocked(X: np.ndarray, y: np.ndarray, params: dict, activations: Sequence[str], epochs: int,
                           lr: float, block_rows: int, threads: int | None) -> tuple[dict, np.ndarray, np.ndarray]:
    """The blocked loop of :func:`train_layered_fast`."""
    n = X.shape[0]
    names = [name for layer in range(1, len(activations) + 1) for name in (f"W{layer}", f"b{layer}")]
    # Step 0: the layers, as views into one flat vector, and which use tanh
    theta, views = _flat_views(params, names)
    W, b = views[0::2], views[1::2]
    is_tanh = [activation == "tanh" for activation in activations]
    neurons = [w.shape[0] for w in W]
    blocks = _blocks(n, block_rows)
    count = _worker_count(n, max(neurons), threads, blocks)
    output = np.empty((n, 1))
    # one worker per thread; the first one sums straight into the gradient vector
    workers = [_LayeredSums(X, y, output, blocks[index::count], neurons) for index in range(count)]
    gradient = workers[0].sums[:-2]  # the first worker's sums, but the last two: the log-loss's two sums
    epsilon = layered.LOG_LOSS_EPSILON
    scaled_first = len(W) > 1 and neurons[1] == 1  # the first layer's sums are scaled by W₂ once per epoch

    def block(sums: _LayeredSums, plan: tuple, first: bool, backward: bool) -> None:
        """One block's forward pass, and when ``backward`` its backward pass,
        its contributions added to ``sums`` (written, for its ``first`` block)."""
        X_block, XD, y_block, y_complement, A, dZ, S, a, log_a, complement, log_complement, out = plan
        A_in = X_block
        for layer in range(len(W)):
            # Step 1: feed forward: Z = A_in·Wᵀ + bᵀ, A = act(Z), in place
            np.dot(A_in, W_T[layer], out=A[layer])
            np.add(A[layer], b_T[layer], out=A[layer])
            if is_tanh[layer]:  # 2 / (1 + e^(−2z)) − 1: without AVX-512 numpy's exp is twice as fast as its tanh
                _tanh_in_place(A[layer])
            else:
                _sigmoid_in_place(A[layer])
            A_in = A[layer]
        if not backward:
            np.copyto(out, A_in)
            return
        # Step 2: cost: the log-loss of the clipped output, yᵀ·log a + (1 − y)ᵀ·log(1 − a), summed with the sums
        cost = sums.cost_slots[0 if first else 1]
        np.clip(A_in, epsilon, 1 - epsilon, out=a)
        np.log(a, out=log_a)
        np.subtract(ONE, a, out=complement)
        np.log(complement, out=log_complement)
        np.dot(y_block.T, log_a, out=cost[0])
        np.dot(y_complement.T, log_complement, out=cost[1])
        # Step 3: backpropagation: dA = ∂logloss/∂a, then per layer dZ = act'(A)⊙dA, from the activation
        np.multiply(a, complement, out=complement)
        np.subtract(a, y_block, out=dZ[-1])
        np.divide(dZ[-1], complement, out=dZ[-1])
        for layer in range(len(W) - 1, -1, -1):
            slope = S[layer]
            if is_tanh[layer]:  # tanh' = 1 − A²
                np.square(A[layer], out=slope)
                np.subtract(ONE, slope, out=slope)
            else:  # σ' = (1 − A)·A
                np.subtract(ONE, A[layer], out=slope)
                np.multiply(slope, A[layer], out=slope)
            if layer == 0 and scaled_first:  # act'(A₁)ᵀ·(X ⊙ dZ₂) and dZ₂ᵀ·act'(A₁), scaled by W₂ after the epoch
                d_W, d_b = sums.views[0] if first else sums.block_views[0]
                np.multiply(X_block, dZ[1], out=XD)
                np.dot(slope.T, XD, out=d_W)
                np.dot(dZ[1].T, slope, out=d_b)
                break
            np.multiply(dZ[layer], slope, out=dZ[layer])
            sums.add_products(layer, dZ[layer], X_block if layer == 0 else A[layer - 1], first)
            if layer > 1 or (layer == 1 and not scaled_first):  # dA of the layer before: dZ·W, W before its update
                np.dot(dZ[layer], W[layer], out=dZ[layer - 1])
        if not first:
            np.add(sums.sums, sums.block_sums, out=sums.sums)

    def share(index: int, backward: bool = True) -> None:
        sums = workers[index]
        sums.start()
        for number, plan in enumerate(sums.plans):
            block(sums, plan, number == 0, backward)

    W_T = [w.T for w in W]
    b_T = [bias.T for bias in b]
    costs = np.empty(epochs)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"), _one_blas_thread():
        for epoch in range(epochs):
            _share_out(count, share)
            for other in workers[1:]:
                np.add(workers[0].sums, other.sums, out=workers[0].sums)
            costs[epoch] = -(workers[0].sums[-2] + workers[0].sums[-1]) / n  # the mean log-loss over the n samples
            if scaled_first:  # the first layer's delta, (dZ₂·W₂) ⊙ act'(A₁): W₂ scales its sums' rows and columns
                d_W, d_b = workers[0].views[0]
                np.multiply(d_W, W[1].T, out=d_W)
                np.multiply(d_b, W[1], out=d_b)
            # the gradients averaged over the samples; every layer updated
            np.multiply(gradient, lr / n, out=gradient)
            np.subtract(theta, gradient, out=theta)
        # Step 4: predictions of the trained network
        _share_out(count, lambda index: share(index, backward=False))
    trained = {name: value.copy() for name, value in zip(names, views, strict=True)}
    return trained, costs, output


def _train_layered_scalar(X: np.ndarray, y: np.ndarray, params: dict, activations: Sequence[str], epochs: int,
                          lr: float) -> tuple[dict, np.ndarray, np.ndarray]:
    """``train_layered_fast`` for the smallest problems, as :func:`_train_scalar`
    is for the article's: the epoch written out as Python float arithmetic
    (:func:`_layered_scalar_epochs`); on OverflowError (``math.exp`` of a
    diverging sigmoid) the blocked numpy loop trains from the start instead."""
    n, d = X.shape
    names = [name for layer in range(1, len(activations) + 1) for name in (f"W{layer}", f"b{layer}")]
    theta, views = _flat_views(params, names)
    neurons = tuple(view.shape[0] for view in views[0::2])
    loss_history = np.empty(epochs)
    try:
        state, output = _layered_scalar_epochs(n, d, neurons, tuple(activations))(
            theta.tolist(), X.ravel().tolist(), y.ravel().tolist(), epochs, float(lr), loss_history, math.exp,
            math.tanh, math.log)
    except OverflowError:
        return _train_layered_blocked(X, y, params, activations, epochs, lr, BLOCK_ROWS, None)
    theta[:] = state  # the views see the trained values
    trained = {name: view.copy() for name, view in zip(names, views, strict=True)}
    return trained, loss_history, np.array(output).reshape(n, 1)


@functools.cache
def _layered_scalar_epochs(n: int, d: int, neurons: tuple[int, ...], activations: tuple[str, ...]) -> Callable:
    """The Layer-class network's epoch for n samples, d features and these
    layers (the last of one neuron), written out term by term and compiled
    once per shape: ``run(theta, X, y, epochs, lr, loss, exp, tanh, log) ->
    (theta, output)``, ``theta`` the flat [W1; b1; W2; b2; …] (each W row-major,
    neurons×inputs) and ``loss[epoch]`` the mean log-loss.  Per layer l,
    neuron r and sample i: ``Z{l}_{i}_{r}``, ``A{l}_{i}_{r}`` (``A0`` is X),
    ``dZ{l}_{i}_{r}``, and ``dA{l}_{i}_{r}`` with W before its update, as in
    the reference's backprop.  As for :func:`_scalar_epochs`, the source holds
    only fixed text and names built from integers (the activations pick fixed
    text)."""
    samples, inputs = range(n), (d, *neurons[:-1])
    theta = [name for layer, (size, fan_in) in enumerate(zip(neurons, inputs, strict=True), start=1)
             for name in (*(f"W{layer}_{r}_{c}" for r in range(size) for c in range(fan_in)),
                          *(f"b{layer}_{r}" for r in range(size)))]
    last, body = len(neurons), "        "

    def forward(indent: str) -> list[str]:
        lines = []
        for i in samples:
            for layer, (size, fan_in) in enumerate(zip(neurons, inputs, strict=True), start=1):
                for r in range(size):
                    z = f"Z{layer}_{i}_{r}"
                    terms = " + ".join(f"W{layer}_{r}_{c} * A{layer - 1}_{i}_{c}" for c in range(fan_in))
                    lines.append(f"{indent}{z} = {terms} + b{layer}_{r}")
                    activation = f"tanh({z})" if activations[layer - 1] == "tanh" else f"1.0 / (1.0 + exp(-{z}))"
                    lines.append(f"{indent}A{layer}_{i}_{r} = {activation}")
        return lines

    lines = [
        "def run(theta, X, y, epochs, lr, loss, exp, tanh, log):",
        f"    {', '.join(theta)}, = theta",
        f"    {', '.join(f'A0_{i}_{k}' for i in samples for k in range(d))}, = X",
        f"    {', '.join(f'y_{i}' for i in samples)}, = y",
        f"    epsilon, inverse_m = {layered.LOG_LOSS_EPSILON!r}, 1 / {n}",
        "    for epoch in range(epochs):",
        *forward(body),
    ]
    for i in samples:  # the log-loss and its slope, of the output clipped to [ε, 1 − ε]
        lines += [f"{body}a_{i} = min(max(A{last}_{i}_0, epsilon), 1 - epsilon)",
                  f"{body}dA{last}_{i}_0 = (a_{i} - y_{i}) / (a_{i} * (1 - a_{i}))"]
    lines.append(f"{body}loss[epoch] = inverse_m * ("
                 + " + ".join(f"-(y_{i} * log(a_{i}) + (1 - y_{i}) * log(1 - a_{i}))" for i in samples) + ")")
    updates = []
    for layer in range(last, 0, -1):
        size, fan_in = neurons[layer - 1], inputs[layer - 1]
        for i in samples:
            for r in range(size):
                a = f"A{layer}_{i}_{r}"
                slope = f"(1 - {a} * {a})" if activations[layer - 1] == "tanh" else f"((1 - {a}) * {a})"
                lines.append(f"{body}dZ{layer}_{i}_{r} = {slope} * dA{layer}_{i}_{r}")
            if layer > 1:
                lines += [f"{body}dA{layer - 1}_{i}_{c} = "
                          + " + ".join(f"W{layer}_{r}_{c} * dZ{layer}_{i}_{r}" for r in range(size))
                          for c in range(fan_in)]
        for r in range(size):
            updates += [f"{body}W{layer}_{r}_{c} = W{layer}_{r}_{c} - lr * (inverse_m * ("
                        + " + ".join(f"dZ{layer}_{i}_{r} * A{layer - 1}_{i}_{c}" for i in samples) + "))"
                        for c in range(fan_in)]
            updates.append(f"{body}b{layer}_{r} = b{layer}_{r} - lr * (inverse_m * ("
                           + " + ".join(f"dZ{layer}_{i}_{r}" for i in samples) + "))")
    outputs = ", ".join(f"A{last}_{i}_0" for i in samples)
    lines += [*updates, *forward("    "), f"    return [{', '.join(theta)}], [{outputs}]"]
    return _compiled(lines, f"layered scalar epochs n={n} d={d} {neurons}")


def _compiled(lines: list[str], label: str) -> Callable:
    """The function ``run`` that ``lines`` define, compiled under ``label``
    (tracebacks show it as the file name)."""
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), f"<twinnet {label}>", "exec"), namespace)  # noqa: S102
    return namespace["run"]


def threads_setting() -> int | None:
    """``TWINNET_THREADS``: None when unset or empty; a positive integer,
    capped at the number of cores; anything else is E_USAGE, with the same
    message as the R twin's ``threads_setting()``, whose error the CLI prints as one line with exit status 2."""
    value = os.environ.get("TWINNET_THREADS", "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise FixtureError("E_USAGE", "TWINNET_THREADS: must be a positive integer (at most the number of cores), "
                                      f"got '{escape(value)}'")
    return min(int(value), os.cpu_count() or 1)


class _LayeredSums:
    """One worker: its blocks (views of X, y and the output, 1 − y, with its
    buffers: rows×d for X scaled by dZ₂, rows×neurons per layer for A, dZ and
    the slope, rows×1 for the log-loss), and its share of the epoch's sums in one flat vector laid out
    like the parameters: dZᵀ·A_in and Σ dZ per layer, then yᵀ·log a and
    (1 − y)ᵀ·log(1 − a)."""

    def __init__(self, X: np.ndarray, y: np.ndarray, output: np.ndarray, blocks: list[slice],
                 neurons: list[int]) -> None:
        rows = max((block.stop - block.start for block in blocks), default=0)
        A, dZ, S = ([np.empty((rows, size)) for size in neurons] for _ in range(3))
        a, log_a, complement, log_complement = (np.empty((rows, 1)) for _ in range(4))
        XD = np.empty((rows, X.shape[1]))
        self.plans = []
        for block in blocks:
            size = block.stop - block.start
            self.plans.append((X[block], XD[:size], y[block], 1 - y[block], [each[:size] for each in A],
                               [each[:size] for each in dZ], [each[:size] for each in S], a[:size], log_a[:size],
                               complement[:size], log_complement[:size], output[block]))
        inputs = [X.shape[1], *neurons[:-1]]
        total = sum(size * fan_in + size for size, fan_in in zip(neurons, inputs, strict=True)) + 2
        self.sums, self.block_sums = np.empty(total), np.empty(total)
        self.views, self.block_views = (_layered_views(flat, neurons, inputs) for flat in (self.sums, self.block_sums))
        self.cost_slots = [(flat[-2:-1].reshape(1, 1), flat[-1:].reshape(1, 1))
                           for flat in (self.sums, self.block_sums)]

    def start(self) -> None:
        """Before an epoch: zero sums for a worker without blocks."""
        if not self.plans:
            self.sums.fill(0.0)

    def add_products(self, layer: int, dZ: np.ndarray, A_in: np.ndarray, first: bool) -> None:
        """One block's dZᵀ·A_in and Σ dZ of one layer, written into the sums
        (first block) or into the block's sums, added after its last layer."""
        d_W, d_b = (self.views if first else self.block_views)[layer]
        np.dot(dZ.T, A_in, out=d_W)
        np.add.reduce(dZ, axis=0, keepdims=True, out=d_b)


def _layered_views(flat: np.ndarray, neurons: list[int], inputs: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per layer, (neurons×inputs, 1×neurons) views of a flat vector laid out
    like the Layer-class parameters (W1, b1, W2, b2, …; a neurons×1 b is a 1×neurons row)."""
    views, start = [], 0
    for size, fan_in in zip(neurons, inputs, strict=True):
        views.append((flat[start:start + size * fan_in].reshape(size, fan_in),
                      flat[start + size * fan_in:start + size * fan_in + size].reshape(1, size)))
        start += size * fan_in + size
    return views


def _blocks(n: int, block_rows: int) -> list[slice]:
    """The row blocks of n samples, ``block_rows`` each (the last one shorter)."""
    if block_rows < 1:
        raise ValueError("block_rows must be at least 1")
    return [slice(start, min(start + block_rows, n)) for start in range(0, n, block_rows)]


def _worker_count(n: int, h: int, threads: int | None, blocks: list[slice]) -> int:
    """How many workers share the blocks: ``threads`` or the default, never more than the blocks."""
    wanted = threads_for(n, h) if threads is None else threads
    return max(1, min(wanted, len(blocks)))


def _share_out(count: int, task: Callable[[int], None]) -> None:
    """Run ``task(index)`` for every worker index: inline for one worker, in
    the thread pool for several (numpy and OpenBLAS release the GIL)."""
    if count == 1:
        task(0)
        return
    pool = _POOLS.get(count)
    if pool is None:
        pool = _POOLS[count] = ThreadPoolExecutor(count, thread_name_prefix="twinnet-fast")
    for future in [pool.submit(task, index) for index in range(count)]:
        future.result()


@functools.cache
def _openblas_thread_functions() -> tuple[Callable, Callable] | None:
    """(get, set) of the thread count of numpy's bundled OpenBLAS, through
    ctypes, or None when numpy is built otherwise."""
    for path in sorted(glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs", "*openblas*"))):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "64_"),
                               ("openblas", "")):
            get = getattr(library, f"{prefix}_get_num_threads{suffix}", None)
            set_ = getattr(library, f"{prefix}_set_num_threads{suffix}", None)
            if get is not None and set_ is not None:
                get.restype, set_.argtypes = ctypes.c_int, [ctypes.c_int]
                return get, set_
    return None


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """numpy's OpenBLAS on one thread inside, its own count restored after."""
    functions = _openblas_thread_functions()
    if functions is None:
        yield
        return
    get, set_ = functions
    before = get()
    set_(1)
    try:
        yield
    finally:
        set_(before)


def _sigmoid_of_negated(a: np.ndarray) -> None:
    """a ← 1 / (1 + e^a): the sigmoid of −a, with no new array."""
    np.exp(a, out=a)
    np.add(a, ONE, out=a)
    np.reciprocal(a, out=a)


def _tanh_in_place(a: np.ndarray) -> None:
    """a ← 2 / (1 + e^(−2a)) − 1 = tanh(a), with no new array (within 4e-16 of ``np.tanh``)."""
    np.multiply(a, MINUS_TWO, out=a)
    np.exp(a, out=a)
    np.add(a, ONE, out=a)
    np.divide(TWO, a, out=a)
    np.subtract(a, ONE, out=a)


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
