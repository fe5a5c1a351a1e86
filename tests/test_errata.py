"""The errata of docs/errata.md that change results, shown.

Each test models what a source text says, deliberately wrong, and shows that it
does not match twinnet's reference (the fixture's ``expected``, or the right
formula).  The ids (A…, W…, L…) are those of docs/errata.md.
"""

import re

import numpy as np
import pytest
from conftest import FIXTURE_DIR, ROOT

from twinnet import article, fixtures, layered, mistakes, rbridge
from twinnet.parity import TOLERANCE

ARTICLE = fixtures.read_fixture(FIXTURE_DIR / "article.json")
X, Y = ARTICLE["data"]["X"], ARTICLE["data"]["y"]
INIT, HYPER = ARTICLE["init"], ARTICLE["hyper"]
EXPECTED = {name: np.array(value) for name, value in ARTICLE["expected"]["params"].items()}

# The article's published R code (the copy of the article twinnet was written from quotes only its Python), as
# printed at the article's URL, with one change: the weights and biases come
# from the fixture instead of rnorm and runif, so it starts where twinnet starts.
# `byrow` and the bias update are parameters, to separate its two bias errors.
PUBLISHED_R = """
function(X, Y, wh, bias_in, wout, bias_out, epoch, lr, byrow, bias_update) {
  sigmoid <- function(x) 1 / (1 + exp(-x))
  derivatives_sigmoid <- function(x) x * (1 - x)
  bh <- matrix(rep(bias_in, nrow(X)), nrow = nrow(X), byrow = byrow)
  bout <- matrix(rep(bias_out, nrow(X)), nrow = nrow(X), byrow = byrow)
  for (i in 1:epoch) {
    hidden_layer_input1 = X %*% wh
    hidden_layer_input = hidden_layer_input1 + bh
    hidden_layer_activations = sigmoid(hidden_layer_input)
    output_layer_input1 = hidden_layer_activations %*% wout
    output_layer_input = output_layer_input1 + bout
    output = sigmoid(output_layer_input)
    E = Y - output
    slope_output_layer = derivatives_sigmoid(output)
    slope_hidden_layer = derivatives_sigmoid(hidden_layer_activations)
    d_output = E * slope_output_layer
    Error_at_hidden_layer = d_output %*% t(wout)
    d_hiddenlayer = Error_at_hidden_layer * slope_hidden_layer
    wout = wout + (t(hidden_layer_activations) %*% d_output) * lr
    if (bias_update == "rowSums") {
      bout = bout + rowSums(d_output) * lr
    } else {
      bout = bout + matrix(colSums(d_output), nrow(X), ncol(bout), byrow = TRUE) * lr
    }
    wh = wh + (t(X) %*% d_hiddenlayer) * lr
    if (bias_update == "rowSums") {
      bh = bh + rowSums(d_hiddenlayer) * lr
    } else {
      bh = bh + matrix(colSums(d_hiddenlayer), nrow(X), ncol(bh), byrow = TRUE) * lr
    }
  }
  list(wh = wh, bh = bh, wout = wout, bout = bout)
}
"""


def published_r(byrow, bias_update, epochs=HYPER["epochs"]):
    """Run the published R loop in R; returns its parameters as numpy arrays."""
    rbridge.r_package()
    from rpy2 import robjects
    from rpy2.robjects.conversion import localconverter

    with localconverter(rbridge.converter()):
        result = robjects.r(PUBLISHED_R)(X, Y, INIT["wh"], INIT["bh"].ravel(), INIT["wout"], INIT["bout"].ravel(),
                                         epochs, HYPER["lr"], byrow, bias_update)
        return {name: np.asarray(result[name]) for name in ("wh", "bh", "wout", "bout")}


def max_difference(a, b):
    return max(float(np.max(np.abs(a[name] - b[name]))) for name in ("wh", "wout"))


def train_article(**change):
    """The reference loop of article.train, with one step replaced."""
    params = {name: value.copy() for name, value in INIT.items()}
    lr = change.get("lr", HYPER["lr"])
    for _ in range(HYPER["epochs"]):
        H, output = article.forward(X, params)
        descent = article.backward(X, y=Y, params=params, H=H, output=output)
        article.update_params(params, descent, lr)
    return params


def test_reference_loop_reproduces_expected():
    assert max_difference(train_article(), EXPECTED) <= TOLERANCE


# The article (Sunil Ray, 2017) -------------------------------------------------------------

def text_sigmoid(x):
    """A1: the text's f(x) = 1 / (x (1 − e^(−x)))."""
    return 1 / (x * (1 - np.exp(-x)))


def text_sigmoid_slope(x):
    """A2: the text's f'(x) = x (1 − e^(−x))."""
    return x * (1 - np.exp(-x))


def test_a1_the_texts_sigmoid_is_not_the_sigmoid():
    x = np.array([-2.0, -0.5, 0.5, 1.0, 2.0])
    assert not np.allclose(text_sigmoid(x), article.sigmoid(x))
    assert text_sigmoid(1.0) > 1  # not a probability: 1.582
    with np.errstate(divide="ignore", invalid="ignore"):
        assert not np.isfinite(text_sigmoid(0.0))  # and undefined at 0, where σ(0) = 0.5
    assert article.sigmoid(0.0) == 0.5


def test_a2_the_texts_slope_is_not_the_sigmoids_slope():
    x = np.array([-2.0, -0.5, 0.5, 1.0, 2.0])
    slope = article.sigmoid(x) * (1 - article.sigmoid(x))
    assert not np.allclose(text_sigmoid_slope(x), slope)
    # the code's derivatives_sigmoid is right only given the activation, not x
    assert np.allclose(article.derivatives_sigmoid(article.sigmoid(x)), slope)
    assert not np.allclose(article.derivatives_sigmoid(x), slope)


def test_a3_a4_a8_the_texts_product_orders_give_wrong_shapes():
    H, output = article.forward(X, INIT)
    n, h = len(X), INIT["wh"].shape[1]
    assert (INIT["wh"].T @ X.T).T.shape == (n, h)  # what is meant: X·w_h, n×h
    assert (INIT["wh"] @ X).shape == (4, 4)  # A3, w_h·X as written: d×d here, not n×h
    assert (H * INIT["wout"]).shape == (n, h)  # A4, `*` is elementwise: n×h, not the n×1 product
    d_output = (Y - output) * article.derivatives_sigmoid(output)
    assert (INIT["wout"].T @ d_output).shape == (1, 1)  # A8, w_oᵀ·δ_o: 1×1, not the n×h error
    assert (d_output @ INIT["wout"].T).shape == (n, h)


def test_a9_the_texts_update_formulas_do_not_compute():
    H, output = article.forward(X, INIT)
    descent = article.backward(X, Y, INIT, H, output)
    d_output = (Y - output) * article.derivatives_sigmoid(output)
    d_hidden = (d_output @ INIT["wout"].T) * article.derivatives_sigmoid(H)
    with pytest.raises(ValueError):
        d_output @ d_hidden.T  # w_o + δ_o·δ_hᵀ·η: (n×1)·(h×n) does not multiply
    with pytest.raises(ValueError):
        d_hidden @ X.T  # w_h + δ_h·Xᵀ·η: (n×h)·(d×n) does not multiply (h = 3, d = 4)
    assert np.array_equal(H.T @ d_output, descent["wout"]) and np.array_equal(X.T @ d_hidden, descent["wh"])


def test_a5_the_mse_reading_trains_a_different_network():
    # "E is the MSE": descending on the mean divides the gradient by n, which
    # is training at lr/n; the loop descends on the sum.
    assert max_difference(train_article(lr=HYPER["lr"] / len(X)), EXPECTED) > 1e-3


def test_a6_the_slope_is_the_sigmoids_at_the_input_not_at_the_output():
    _, output = article.forward(X, INIT)
    text = article.sigmoid(output) * (1 - article.sigmoid(output))  # f'(O_o), read literally
    assert not np.allclose(text, output * (1 - output))


def test_a7_learning_rate_applied_twice_trains_at_lr_squared():
    # Step 7 as printed: d_output = E * slope_output_layer * lr, which carries lr
    # into d_hiddenlayer too; Steps 10 and 11 multiply by lr again.
    twice = mistakes.train_with(X, Y, INIT, HYPER["epochs"], HYPER["lr"], ["lr-twice"])[0]
    assert max_difference(twice, EXPECTED) > 1e-2
    at_lr_squared = train_article(lr=HYPER["lr"] ** 2)
    assert max_difference(twice, at_lr_squared) <= 1e-12


def test_a12_the_sigmoid_is_not_additive():
    # "Mathematical practice": H_o = f(W_i·X) + f(b_h)
    hidden_product = X @ INIT["wh"]
    assert not np.allclose(article.sigmoid(hidden_product) + article.sigmoid(INIT["bh"]),
                           article.sigmoid(hidden_product + INIT["bh"]))


@pytest.mark.needs_r
def test_a15_published_r_bias_matrix_fills_by_column():
    # bh = matrix(rep(bias_in, nrow(X)), nrow = nrow(X), byrow = FALSE): with
    # n = h = 3, row i holds bias_in[i] in every column, not bias_in.
    rbridge.r_package()
    from rpy2 import robjects
    from rpy2.robjects.conversion import localconverter

    with localconverter(rbridge.converter()):
        bh = np.asarray(robjects.r("function(b, n) matrix(rep(b, n), nrow = n, byrow = FALSE)")(
            INIT["bh"].ravel(), len(X)))
    assert np.array_equal(bh, np.repeat(INIT["bh"].T, 3, axis=1))  # each row constant
    assert not np.array_equal(bh, np.repeat(INIT["bh"], 3, axis=0))  # not bh on every row


@pytest.mark.needs_r
def test_a16_published_r_rowsums_bias_update_does_not_match():
    as_published = published_r(byrow=False, bias_update="rowSums")
    assert max_difference(as_published, EXPECTED) > 1e-2
    # with the biases laid out right, rowSums alone still trains another model:
    # one bias per sample, the same for every hidden unit
    row_sums = published_r(byrow=True, bias_update="rowSums")
    assert max_difference(row_sums, EXPECTED) > 1e-2
    assert not np.allclose(row_sums["bh"], row_sums["bh"][0])
    # and with colSums (one bias per unit, twinnet's R) it is the reference
    col_sums = published_r(byrow=True, bias_update="colSums")
    assert max_difference(col_sums, EXPECTED) <= TOLERANCE
    assert np.allclose(col_sums["bh"], EXPECTED["bh"], rtol=0, atol=TOLERANCE)


# The Layer-class text (24 April 2020) -----------------------------------------------------

# The text's layer class with its em dashes and curly quotes made ASCII, and
# nothing else changed: the constructor still reads `activationFunctions`.
PUBLISHED_LAYER = """
import numpy as np
def tanh(x):
    return np.tanh(x)
def d_tanh(x):
    return 1 - np.square(np.tanh(x))
def sigmoid(x):
    return 1/(1 + np.exp(-x))
def d_sigmoid(x):
    return (1 - sigmoid(x)) * sigmoid(x)
class Layer:
    activationFns = {
        'tanh': (tanh, d_tanh),
        'sigmoid': (sigmoid, d_sigmoid)
    }
    learning_rate = 0.1
    def __init__(self, inputs, neurons, activation):
        self.W = np.random.randn(neurons, inputs)
        self.b = np.zeros((neurons, 1))
        self.act, self.d_act = self.activationFunctions.get(activation)
"""


def test_l1_the_published_layer_cannot_be_constructed():
    namespace = {}
    exec(PUBLISHED_LAYER, namespace)
    with pytest.raises(AttributeError, match="activationFunctions"):
        namespace["Layer"](2, 3, "tanh")
    # with the name fixed, an unknown activation is a TypeError, not a message
    exec(PUBLISHED_LAYER.replace("activationFunctions", "activationFns"), namespace)
    with pytest.raises(TypeError):
        namespace["Layer"](2, 3, "relu")


def test_l2_em_dashes_do_not_parse():
    for line in ("return 1 — np.square(np.tanh(x))", "return (a — y)/(a*(1 — a))",
                 "activationFns = {‘tanh’: (tanh, d_tanh)}"):
        with pytest.raises(SyntaxError):
            compile(line.replace("return ", "x = "), "<layer-class text>", "exec")


def test_l6_unclipped_log_loss_is_infinite_at_a_saturated_output():
    y, a = np.array([[0.0]]), np.array([[1.0]])
    with np.errstate(divide="ignore", invalid="ignore"):
        text_loss = -(y * np.log(a) + (1 - y) * np.log(1 - a))
        text_slope = (a - y) / (a * (1 - a))
    assert np.isinf(text_loss).all() and np.isinf(text_slope).all()
    assert np.isfinite(layered.logloss(y, a)).all() and np.isfinite(layered.d_logloss(y, a)).all()


def test_errata_ids_in_the_page_exist_in_errata_md():
    from twinnet.reading.stepmaths import MATHS, Maths

    text = (ROOT / "docs" / "errata.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\*\*([AWL]\d+)\.", text, flags=re.MULTILINE))
    used = {erratum for entry in MATHS.values()
            for maths in ([entry] if isinstance(entry, Maths) else entry) for erratum in maths.errata}
    assert used <= listed, sorted(used - listed)
    assert {"A1", "A7", "A16", "W1", "L1"} <= listed
