"""What every name ``twinnet trace`` emits means, and its shape: the one table a porter reads.

``twinnet.trace`` decides which names are traced, in which step and in which
order (``STEP_TABLES``, ``step_names``); this module says, for each name, its
symbolic shape and its meaning.  ``docs/trace-reference.md`` is generated from
both (``python -m twinnet.maintain.refdocs``, run by ``make docs``), and
``tests/test_docs.py`` traces every packaged fixture and checks that every name
is described here with a shape that evaluates to the traced one.

Shapes are tuples of symbols: ``n`` samples, ``d`` features, ``h`` hidden units
(``article``, ``stepwise``), ``k`` and ``k-1`` the neurons of layer k and of the
layer before it (``layered``; layer 0 is the input, of d neurons), ``1`` one.
A layered name with ``{k}`` stands for every layer k = 1 … L.
"""

from __future__ import annotations

from collections.abc import Mapping

Shape = tuple[str, str]

# {variant: {name: (shape, meaning)}}, in the order of trace.STEP_TABLES.
TRACE_NAMES: dict[str, dict[str, tuple[Shape, str]]] = {
    "article": {
        "X": (("n", "d"), "the inputs, one sample per row"),
        "y": (("n", "1"), "the targets"),
        "wh": (("d", "h"), "hidden-layer weights at the start of the epoch"),
        "bh": (("1", "h"), "hidden-layer biases at the start of the epoch"),
        "wout": (("h", "1"), "output-layer weights at the start of the epoch"),
        "bout": (("1", "1"), "output-layer bias at the start of the epoch"),
        "hidden_layer_input": (("n", "h"), "X·wh + bh, the hidden layer's pre-activation"),
        "hiddenlayer_activations": (("n", "h"), "H = σ(hidden_layer_input)"),
        "output_layer_input": (("n", "1"), "H·wout + bout, the output's pre-activation"),
        "output": (("n", "1"), "σ(output_layer_input), the network's output before the update"),
        "loss": (("1", "1"), "mean over the samples of ½(y − output)²: this epoch's entry of `loss`"),
        "E": (("n", "1"), "y − output, the error at the output"),
        "slope_output_layer": (("n", "1"), "output ∘ (1 − output), σ' at the output"),
        "slope_hidden_layer": (("n", "h"), "H ∘ (1 − H), σ' at the hidden layer"),
        "d_output": (("n", "1"), "E ∘ slope_output_layer, the delta at the output"),
        "error_at_hidden_layer": (("n", "h"), "d_output·woutᵀ, the error sent back (with the old wout)"),
        "d_hiddenlayer": (("n", "h"), "error_at_hidden_layer ∘ slope_hidden_layer, the delta at the hidden layer"),
        "descent.wh": (("d", "h"), "Xᵀ·d_hiddenlayer, the descent direction −∂L/∂wh (L the sum over samples)"),
        "descent.wout": (("h", "1"), "Hᵀ·d_output, the descent direction −∂L/∂wout"),
        "updated.wh": (("d", "h"), "wh + lr · descent.wh, after the update"),
        "updated.wout": (("h", "1"), "wout + lr · descent.wout, after the update"),
        "descent.bh": (("1", "h"), "column sums of d_hiddenlayer, −∂L/∂bh"),
        "descent.bout": (("1", "1"), "sum of d_output, −∂L/∂bout"),
        "updated.bh": (("1", "h"), "bh + lr · descent.bh, after the update"),
        "updated.bout": (("1", "1"), "bout + lr · descent.bout, after the update"),
    },
    "stepwise": {
        "X": (("d", "n"), "the inputs, transposed: one sample per column"),
        "y": (("1", "n"), "the targets, transposed"),
        "weights_input_hidden": (("d", "h"), "input-to-hidden weights at the start of the epoch (wih)"),
        "weights_hidden_output": (("h", "1"), "hidden-to-output weights at the start of the epoch (who)"),
        "hiddenLayer_linearTransform": (("h", "n"), "Z1 = wihᵀ·X"),
        "hiddenLayer_activations": (("h", "n"), "H = σ(Z1)"),
        "outputLayer_linearTransform": (("1", "n"), "Z2 = whoᵀ·H"),
        "output": (("1", "n"), "σ(Z2), the network's output before the update"),
        "loss": (("1", "1"), "mean over the samples of ½(y − output)²: this epoch's entry of `loss`"),
        "error_wrt_output": (("1", "n"), "∂L/∂output = −(y − output)"),
        "output_wrt_outputLayer_linearTransform": (("1", "n"), "∂output/∂Z2 = output ∘ (1 − output)"),
        "outputLayer_linearTransform_wrt_weights_hidden_output": (("h", "n"), "∂Z2/∂who = H"),
        "error_wrt_weights_hidden_output": (("h", "1"), "∂L/∂who = H·(∂L/∂output ∘ ∂output/∂Z2)ᵀ"),
        "outputLayer_linearTransform_wrt_hiddenLayer_activations": (("h", "1"), "∂Z2/∂H = who (the old who)"),
        "hiddenLayer_activations_wrt_hiddenLayer_linearTransform": (("h", "n"), "∂H/∂Z1 = H ∘ (1 − H)"),
        "hiddenLayer_linearTransform_wrt_weights_input_hidden": (("d", "n"), "∂Z1/∂wih = X"),
        "error_wrt_weights_input_hidden": (("d", "h"), "∂L/∂wih = X·(∂H/∂Z1 ∘ who·(∂output/∂Z2 ∘ ∂L/∂output))ᵀ"),
        "updated.weights_hidden_output": (("h", "1"), "who − lr · ∂L/∂who, after the update"),
        "updated.weights_input_hidden": (("d", "h"), "wih − lr · ∂L/∂wih, after the update"),
    },
    "layered": {
        "x": (("d", "n"), "the inputs, transposed: one sample per column (A₀)"),
        "y": (("1", "n"), "the targets, transposed"),
        "W{k}": (("k", "k-1"), "layer k's weights at the start of the epoch"),
        "b{k}": (("k", "1"), "layer k's biases at the start of the epoch"),
        "layer{k}.Z": (("k", "n"), "Zₖ = Wₖ·Aₖ₋₁ + bₖ, layer k's pre-activation"),
        "layer{k}.A": (("k", "n"), "Aₖ = gₖ(Zₖ), layer k's activation (A_L is the output)"),
        "cost": (("1", "1"), "mean log-loss of A_L clipped to [1e-15, 1 − 1e-15]: this epoch's entry of `loss`"),
        "dA": (("1", "n"), "∂logloss/∂a = (a − y) / (a ∘ (1 − a)) per sample, a = A_L clipped to [1e-15, 1 − 1e-15]"),
        "layer{k}.dZ": (("k", "n"), "gₖ'(Zₖ) ∘ dA, the delta of layer k"),
        "layer{k}.dW": (("k", "k-1"), "(1/n) dZ·Aₖ₋₁ᵀ, the gradient of Wₖ (averaged over the samples)"),
        "layer{k}.db": (("k", "1"), "(1/n) row sums of dZ, the gradient of bₖ"),
        "layer{k}.dA1": (("k-1", "n"), "Wₖᵀ·dZ with the old Wₖ: the dA handed to layer k − 1"),
        "updated.W{k}": (("k", "k-1"), "Wₖ − lr · dW, after the update"),
        "updated.b{k}": (("k", "1"), "bₖ − lr · db, after the update"),
        "output": (("n", "1"), "A_L of a fresh forward pass with the updated parameters, back to n × 1"),
    },
}

_SYMBOLS = {"k": "nₖ", "k-1": "nₖ₋₁"}


def shape_text(shape: Shape) -> str:
    """A symbolic shape for reading: ``n×h``, ``nₖ×nₖ₋₁``."""
    return "×".join(_SYMBOLS.get(symbol, symbol) for symbol in shape)


def template(name: str) -> tuple[str, int | None]:
    """The table's key for a traced name, and its layer number: ``layer2.dW`` is (``layer{k}.dW``, 2)."""
    for key in ("layer", "updated.W", "updated.b", "W", "b"):
        rest = name[len(key):]
        if name.startswith(key) and rest[:1].isdigit():
            digits = rest.split(".", 1)[0]
            return key + "{k}" + rest[len(digits):], int(digits)
    return name, None


def numeric_shape(variant: str, name: str, sizes: Mapping[str, int], neurons: tuple[int, ...] = ()) -> tuple[int, int]:
    """The shape a traced ``name`` has for a fixture of ``sizes`` (``n``, ``d``, ``h``) and, for the layered
    variant, layer sizes ``neurons``; KeyError for a name the table does not describe."""
    key, layer = template(name)
    shape, _ = TRACE_NAMES[variant][key]
    widths = (sizes["d"], *neurons)
    values = dict(sizes, **{"1": 1})
    if layer is not None:
        values.update({"k": widths[layer], "k-1": widths[layer - 1]})
    return values[shape[0]], values[shape[1]]
