"""Your own data: initial parameters from a seed, and predictions for new inputs.

Twin of ``r/R/params.R``: the same functions in the same order, the same
names and the same numbers.  :func:`init_params` is the fixture generator's
rule (``maintain/generate.py`` calls it), so a user's network starts the way
the shipped fixtures start: ``numpy.random.RandomState(seed)``, uniform [0, 1)
for the article and stepwise variants in the order of
``fixtures.param_shapes``, standard normal ``W`` and zero ``b`` for layered.
The R twin draws the same numbers itself, bit for bit: it carries a base-R
port of numpy's legacy ``RandomState`` (MT19937, ``random_double``,
``legacy_gauss``); it reads nothing from Python.

:func:`predict_variant` runs each variant's own forward pass.  Its ``X`` has
samples as rows (n×d, as ``data.X`` in a fixture) for every variant, and so has
its output (n×1); the stepwise and layered variants work with samples as
columns inside, so ``X`` is transposed for them and their output transposed
back.  (Not ``predict``: in R that name would mask ``stats::predict``.)

Bad arguments raise :class:`~twinnet.safejson.FixtureError` with the same
``E_*`` codes and one-line messages as the R twin.
"""

from collections.abc import Mapping
from typing import Any

import numpy as np

from . import article, fixtures, layered, safejson, stepwise

MAX_SEED = 2**32 - 1  # numpy's RandomState takes a seed from 0 to 2**32 - 1

ArrayLike = Any  # anything np.asarray turns into a matrix of numbers


def init_params(variant: str, d: int, hyper: Mapping[str, Any], seed: int) -> dict[str, np.ndarray]:
    """Initial parameters of a ``variant`` network for ``d`` features, drawn
    from ``numpy.random.RandomState(seed)`` as the fixture generator draws them.

    ``hyper`` describes the network as in a fixture: ``hidden`` for the
    article and stepwise variants; ``neurons`` and ``activations`` for
    layered.  ``epochs`` and ``lr`` may be there too (they are checked, not
    used), so one ``hyper`` serves :func:`init_params`,
    :func:`~twinnet.training.train_variant` and :func:`predict_variant`.  ``seed`` is
    a whole number from 0 to 2**32 - 1.

    Returns {name: matrix} in the order and shapes of
    :func:`~twinnet.fixtures.param_shapes`: uniform [0, 1) draws, each matrix
    filled row by row, for "article" (wh, bh, wout, bout) and "stepwise"
    (weights_input_hidden, weights_hidden_output); for "layered", ``randn``
    draws for W1, W2, ... (the normal draws run on from one W to the next) and
    zeros for every b.
    """
    hyper = _checked_hyper(variant, hyper)
    if not fixtures._is_whole(_plain(d), 1, float("inf")):
        raise safejson.FixtureError("E_SHAPE", "d: expected a whole number of features >= 1")
    seed = _plain(seed)
    if not fixtures._is_whole(seed, 0, MAX_SEED):
        raise safejson.FixtureError("E_HYPER", f"seed: expected a whole number from 0 to {MAX_SEED}")
    state = np.random.RandomState(int(seed))
    params = {}
    for name, shape in fixtures.param_shapes(variant, int(d), hyper).items():
        if variant != "layered":
            params[name] = state.uniform(size=shape)
        elif name.startswith("W"):
            params[name] = state.randn(*shape)
        else:
            params[name] = np.zeros(shape)
    return params


def predict_variant(variant: str, X: ArrayLike, params: Mapping[str, ArrayLike],
                    hyper: Mapping[str, Any]) -> np.ndarray:
    """The network's output for new inputs: an n×1 matrix for ``X`` n×d,
    samples as rows for every variant.

    ``params`` are the variant's parameters (from :func:`init_params`, or
    trained by :func:`~twinnet.training.train_variant`), checked against
    :func:`~twinnet.fixtures.param_shapes` for ``d`` = the columns of ``X``.
    ``hyper`` is the network's description, as for :func:`init_params`; the
    layered variant takes its activations from it.  Each variant's own forward
    pass computes the output: ``article.forward`` (samples as rows),
    ``stepwise.forward_propagation`` and the layered ``Layer`` objects
    (samples as columns: ``X`` is transposed in, the output back out).
    """
    hyper = _checked_hyper(variant, hyper)
    X = _checked_matrix(X, "X")
    if not isinstance(params, Mapping):
        raise safejson.FixtureError("E_SCHEMA", f"params: expected an object, got {fixtures._kind(params)}")
    shapes = fixtures.param_shapes(variant, X.shape[1], hyper)
    fixtures._check_no_extra(params, "params", shapes, variant)
    params = {name: _checked_matrix(fixtures._field(params, name, f"params.{name}"), f"params.{name}", shape)
              for name, shape in shapes.items()}
    if variant == "article":
        return article.forward(X, params)[1]
    if variant == "stepwise":
        return stepwise.forward_propagation(X.T, params)["output"].T
    lyr = [layered.Layer(params[f"W{i}"], params[f"b{i}"], activation)
           for i, activation in enumerate(hyper["activations"], start=1)]
    return layered.feedforward_all(lyr, X.T).T


def _checked_hyper(variant: str, hyper: Mapping[str, Any]) -> dict[str, Any]:
    """``variant`` and ``hyper`` checked by the fixture rules (E_VARIANT,
    E_HYPER, E_SCHEMA), with ``epochs`` and ``lr`` optional; returns ``hyper``
    with numpy scalars and arrays as plain numbers and lists, and the sizes as ints."""
    if not isinstance(variant, str) or variant not in fixtures.VARIANTS:
        raise safejson.FixtureError("E_VARIANT", "variant: expected 'article', 'stepwise' or 'layered', "
                                                 f"got {fixtures._kind(variant)}")
    if not isinstance(hyper, Mapping):
        raise safejson.FixtureError("E_HYPER", f"hyper: expected an object, got {fixtures._kind(hyper)}")
    hyper = {name: _plain(value) for name, value in hyper.items()}
    fixtures._check_hyper(variant, {"epochs": 0, "lr": 1.0, **hyper})  # placeholders: init and predict use neither
    if variant == "layered":  # whole numbers, maybe written 3.0: the sizes of numpy's draws must be ints
        hyper["neurons"] = [int(size) for size in hyper["neurons"]]
    else:
        hyper["hidden"] = int(hyper["hidden"])
    return hyper


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers, arrays and tuples as lists: what the
    fixture checks expect from parsed JSON."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.ndarray, tuple)):
        return [_plain(item) for item in value]
    return value


def _checked_matrix(value: ArrayLike, field: str, shape: tuple[int, int] | None = None) -> np.ndarray:
    """A non-empty 2-dimensional matrix of finite numbers, as floats (a copy);
    ``shape`` when given.  The first non-finite value, row by row, is named."""
    matrix = np.array(value)
    if matrix.dtype.kind not in "iuf":
        raise safejson.FixtureError("E_VALUE", f"{field}: expected a matrix of numbers")
    if matrix.ndim != 2 or matrix.size == 0:
        raise safejson.FixtureError("E_SHAPE", f"{field}: expected a non-empty 2-dimensional matrix")
    matrix = matrix.astype(float)
    bad = np.argwhere(~np.isfinite(matrix))
    if len(bad):
        raise safejson.FixtureError("E_VALUE", f"{field}[{bad[0][0]}][{bad[0][1]}]: expected a finite number")
    if shape is not None and matrix.shape != tuple(shape):
        raise safejson.FixtureError("E_SHAPE", f"{field}: expected {shape[0]}x{shape[1]}, "
                                               f"got {matrix.shape[0]}x{matrix.shape[1]}")
    return matrix
