"""The notebooks: one per variant, docs/notebooks/{article,stepwise,layered}.ipynb.

Each is generated from the twins' ``# Step N: title`` markers, like the
side-by-side page: for every step a markdown cell with its number, title, maths
(:mod:`stepmaths`) and both twins' code as cut by :mod:`steps`; a Python cell
and an ``%%R`` cell (rpy2's IPython extension, in the same process) that compute
the step on the same fixture; and a cell that compares the two.  They end with
training in both languages, the loss curves and the parity check.

``make notebooks`` (``python -m twinnet.reading.notebooks``) writes them and runs
them in a fresh kernel (nbclient), so they are saved with their outputs;
``--check`` only checks that the committed cells are a fresh generation.
The computing cells are :data:`CELLS`; a step of a twin without an entry there,
or an entry without a step, is an error, so the notebooks cannot drift from the
twins' steps.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .. import parity, rbridge
from . import stepmaths, steps

DIRECTORY = "docs/notebooks"
FIXTURE = {"article": "article", "stepwise": "stepwise", "layered": "layered-xor"}
TIMEOUT = 600
"""Seconds one notebook cell may take when it is run."""

# (python code, R code, names to compare) per (variant, step number, title).
CELLS: dict[str, dict[tuple[int, str], Any]] = {
    "article": {
        (0, "read input and output"): (
            'X, y = fixture["data"]["X"], fixture["data"]["y"]\n'
            "from twinnet.article import derivatives_sigmoid, sigmoid",
            "X <- fixture$data$X\ny <- fixture$data$y",
            ("X", "y")),
        (1, "initialize weights and biases"): (
            'params = {name: np.array(fixture["init"][name]) for name in ("wh", "bh", "wout", "bout")}\n'
            'lr = fixture["hyper"]["lr"]',
            'params <- fixture$init[c("wh", "bh", "wout", "bout")]\nlr <- fixture$hyper$lr',
            ()),
        (2, "hidden layer input"): (
            'hidden_layer_input = X @ params["wh"] + params["bh"]',
            "hidden_layer_input <- sweep(X %*% params$wh, 2, params$bh, `+`)",
            ("hidden_layer_input",)),
        (3, "non-linear transformation of the hidden layer input"): (
            "hiddenlayer_activations = H = sigmoid(hidden_layer_input)",
            "hiddenlayer_activations <- H <- sigmoid(hidden_layer_input)",
            ("hiddenlayer_activations",)),
        (4, "linear and non-linear transformation at the output layer"): (
            'output_layer_input = hiddenlayer_activations @ params["wout"] + params["bout"]\n'
            "output = sigmoid(output_layer_input)",
            "output_layer_input <- sweep(hiddenlayer_activations %*% params$wout, 2, params$bout, `+`)\n"
            "output <- sigmoid(output_layer_input)",
            ("output_layer_input", "output")),
        (5, "error at the output layer"): ("E = y - output", "E <- y - output", ("E",)),
        (6, "slopes at the output and hidden layers"): (
            "slope_output_layer = derivatives_sigmoid(output)\nslope_hidden_layer = derivatives_sigmoid(H)",
            "slope_output_layer <- derivatives_sigmoid(output)\nslope_hidden_layer <- derivatives_sigmoid(H)",
            ("slope_output_layer", "slope_hidden_layer")),
        (7, "delta at the output layer"): (
            "d_output = E * slope_output_layer", "d_output <- E * slope_output_layer", ("d_output",)),
        (8, "error at the hidden layer"): (
            'error_at_hidden_layer = d_output @ params["wout"].T',
            "error_at_hidden_layer <- tcrossprod(d_output, params$wout)",
            ("error_at_hidden_layer",)),
        (9, "delta at the hidden layer"): (
            "d_hiddenlayer = error_at_hidden_layer * slope_hidden_layer",
            "d_hiddenlayer <- error_at_hidden_layer * slope_hidden_layer",
            ("d_hiddenlayer",)),
        (10, "weight slopes"): (
            "wout_slope = H.T @ d_output\nwh_slope = X.T @ d_hiddenlayer",
            "wout_slope <- crossprod(H, d_output)\nwh_slope <- crossprod(X, d_hiddenlayer)",
            ("wout_slope", "wh_slope")),
        (11, "bias slopes"): (
            "bout_slope = d_output.sum(axis=0, keepdims=True)\nbh_slope = d_hiddenlayer.sum(axis=0, keepdims=True)\n"
            "# the update, θ ← θ + slope·lr (update_params)\n"
            'after_one_epoch = {"wh": params["wh"] + wh_slope * lr, "bh": params["bh"] + bh_slope * lr,\n'
            '                   "wout": params["wout"] + wout_slope * lr, "bout": params["bout"] + bout_slope * lr}',
            "bout_slope <- t(colSums(d_output))\nbh_slope <- t(colSums(d_hiddenlayer))\n"
            "# the update, theta <- theta + slope * lr (update_params)\n"
            "after_one_epoch <- list(wh = params$wh + wh_slope * lr, bh = params$bh + bh_slope * lr,\n"
            "                        wout = params$wout + wout_slope * lr, bout = params$bout + bout_slope * lr)",
            ("bout_slope", "bh_slope")),
    },
    "stepwise": {
        (0, "transpose the input and output"): (
            'X, y = fixture["data"]["X"].T, fixture["data"]["y"].T\nfrom twinnet.article import sigmoid',
            "X <- t(fixture$data$X)\ny <- t(fixture$data$y)",
            ("X", "y")),
        (1, "initialize the weights"): (
            'params = {name: np.array(fixture["init"][name]) for name in ("weights_input_hidden", '
            '"weights_hidden_output")}\nlr = fixture["hyper"]["lr"]',
            'params <- fixture$init[c("weights_input_hidden", "weights_hidden_output")]\nlr <- fixture$hyper$lr',
            ()),
        (2, "hidden layer linear transform"): (
            'hiddenLayer_linearTransform = params["weights_input_hidden"].T @ X',
            "hiddenLayer_linearTransform <- crossprod(params$weights_input_hidden, X)",
            ("hiddenLayer_linearTransform",)),
        (3, "hidden layer activations"): (
            "hiddenLayer_activations = H = sigmoid(hiddenLayer_linearTransform)",
            "hiddenLayer_activations <- H <- sigmoid(hiddenLayer_linearTransform)",
            ("hiddenLayer_activations",)),
        (4, "output layer linear transform and output"): (
            'outputLayer_linearTransform = params["weights_hidden_output"].T @ H\n'
            "output = sigmoid(outputLayer_linearTransform)",
            "outputLayer_linearTransform <- crossprod(params$weights_hidden_output, H)\n"
            "output <- sigmoid(outputLayer_linearTransform)",
            ("outputLayer_linearTransform", "output")),
        (5, "rate of change of error w.r.t. output"): (
            "error_wrt_output = -(y - output)", "error_wrt_output <- -(y - output)", ("error_wrt_output",)),
        (6, "rate of change of output w.r.t. Z2"): (
            "output_wrt_Z2 = output * (1 - output)", "output_wrt_Z2 <- output * (1 - output)", ("output_wrt_Z2",)),
        (7, "rate of change of Z2 w.r.t. weights between hidden and output layer"): (
            "Z2_wrt_who = H", "Z2_wrt_who <- H", ("Z2_wrt_who",)),
        (8, "rate of change of error w.r.t. weights between hidden and output layer"): (
            "error_wrt_who = Z2_wrt_who @ (error_wrt_output * output_wrt_Z2).T",
            "error_wrt_who <- tcrossprod(Z2_wrt_who, error_wrt_output * output_wrt_Z2)",
            ("error_wrt_who",)),
        (9, "rates of change of Z2 w.r.t. H"): (
            'Z2_wrt_H = params["weights_hidden_output"]\nH_wrt_Z1 = H * (1 - H)\nZ1_wrt_wih = X',
            "Z2_wrt_H <- params$weights_hidden_output\nH_wrt_Z1 <- H * (1 - H)\nZ1_wrt_wih <- X",
            ("Z2_wrt_H", "H_wrt_Z1")),
        (10, "rate of change of error w.r.t. weights between input and hidden layer"): (
            "error_wrt_wih = Z1_wrt_wih @ (H_wrt_Z1 * (Z2_wrt_H @ (output_wrt_Z2 * error_wrt_output))).T",
            "error_wrt_wih <- tcrossprod(Z1_wrt_wih, H_wrt_Z1 * (Z2_wrt_H %*% (output_wrt_Z2 * error_wrt_output)))",
            ("error_wrt_wih",)),
        (11, "update the weights"): (
            'who = params["weights_hidden_output"] - lr * error_wrt_who\n'
            'wih = params["weights_input_hidden"] - lr * error_wrt_wih',
            "who <- params$weights_hidden_output - lr * error_wrt_who\n"
            "wih <- params$weights_input_hidden - lr * error_wrt_wih",
            ("who", "wih")),
    },
    "layered": {
        (0, "the network"): [(
            "from twinnet.layered import ACTIVATION_FUNCTIONS, Layer, d_logloss, feedforward_all, logloss\n"
            'z = np.linspace(-3, 3, 7).reshape(1, 7)\ntanh_slope = ACTIVATION_FUNCTIONS["tanh"][1](z)',
            "z <- matrix(seq(-3, 3, length.out = 7), 1, 7)\ntanh_slope <- d_tanh(z)",
            ("tanh_slope",)), (
            'x, y = fixture["data"]["X"].T, fixture["data"]["y"].T\nm = x.shape[1]\nhyper = fixture["hyper"]\n'
            'lyr = [Layer(fixture["init"][f"W{i}"], fixture["init"][f"b{i}"], activation, hyper["lr"])\n'
            '       for i, activation in enumerate(hyper["activations"], start=1)]',
            "x <- t(fixture$data$X)\ny <- t(fixture$data$y)\nm <- ncol(x)\nhyper <- fixture$hyper\n"
            "lyr <- lapply(seq_along(hyper$activations), function(i) {\n"
            '  Layer$new(W = fixture$init[[paste0("W", i)]], b = fixture$init[[paste0("b", i)]],\n'
            "            activation = hyper$activations[[i]], learning_rate = hyper$lr)\n})",
            ("x", "y"))],
        (1, "feed forward through every layer"): (
            "A = feedforward_all(lyr, x)\nZ1 = lyr[0].Z",
            "A <- feedforward_all(lyr, x)\nZ1 <- lyr[[1]]$Z",
            ("Z1", "A")),
        (2, "cost"): ("cost = 1 / m * np.sum(logloss(y, A))", "cost <- 1 / m * sum(logloss(y, A))", ("cost",)),
        (3, "backpropagation"): [(
            "dA = d_logloss(y, A)", "dA <- d_logloss(y, A)", ("dA",)), (
            "for layer in reversed(lyr):  # each layer's backprop: dZ, dW, db, dA1, then its update\n"
            "    dA = layer.backprop(dA)\n"
            "dW1, db1, W1 = lyr[0].dW, lyr[0].db, lyr[0].W",
            "for (layer in rev(lyr)) dA <- layer$backprop(dA)  # each layer's backprop: dZ, dW, db, dA1, the update\n"
            "dW1 <- lyr[[1]]$dW\ndb1 <- lyr[[1]]$db\nW1 <- lyr[[1]]$W",
            ("dA", "dW1", "db1", "W1"))],
        (4, "predictions of the trained network"): (
            "output = feedforward_all(lyr, x).T", "output <- t(feedforward_all(lyr, x))", ("output",)),
    },
}

TRAINING = {
    "article": ("article.train(X, y, fixture['init'], fixture['hyper']['epochs'], fixture['hyper']['lr'])",
                "train(X, y, fixture$init, fixture$hyper$epochs, fixture$hyper$lr)"),
    "stepwise": ("stepwise.train_stepwise(fixture['data']['X'], fixture['data']['y'], fixture['init'], "
                 "fixture['hyper']['epochs'], fixture['hyper']['lr'])",
                 "train_stepwise(fixture$data$X, fixture$data$y, fixture$init, fixture$hyper$epochs, "
                 "fixture$hyper$lr)"),
    "layered": ("layered.train_layered(fixture['data']['X'], fixture['data']['y'], fixture['init'], "
                "fixture['hyper']['activations'], fixture['hyper']['epochs'], fixture['hyper']['lr'])",
                "train_layered(fixture$data$X, fixture$data$y, fixture$init, unlist(fixture$hyper$activations), "
                "fixture$hyper$epochs, fixture$hyper$lr)"),
}


# --- helpers the notebooks call ------------------------------------------------

def r_value(name: str) -> np.ndarray:
    """A value of R's global environment (where ``%%R`` cells assign) as a numpy array."""
    from rpy2 import robjects
    from rpy2.robjects import default_converter, numpy2ri
    from rpy2.robjects.conversion import localconverter

    with localconverter(default_converter + numpy2ri.converter):
        value = robjects.conversion.get_conversion().rpy2py(robjects.globalenv[name])
    return np.asarray(value, dtype=float)


def compare(*names: str, namespace: dict) -> None:
    """Print, for each name, its shape and the largest |Python − R| of the value of that name."""
    for name in names:
        python, r = np.asarray(namespace[name], dtype=float), r_value(name)
        if r.size == python.size and r.ndim != python.ndim:  # R drops dimensions of 1 (a scalar is a vector)
            r = r.reshape(python.shape)
        if python.shape != r.shape:
            raise AssertionError(f"{name}: Python has shape {python.shape}, R {r.shape}")
        largest = float(np.max(np.abs(python - r), initial=0.0))
        verdict = "agree" if largest <= parity.TOLERANCE else "DIFFER"
        print(f"{name:<28} {'x'.join(map(str, python.shape)):>7}   max |Python − R| = {largest:.3g}   {verdict}")
        if largest > parity.TOLERANCE:
            raise AssertionError(f"{name}: Python and R differ by {largest:.3g}")


def start_r() -> None:
    """Start the embedded R and load rpy2's IPython extension's module without
    printing R's start-up notices (an empty site library, pandas missing)."""
    import warnings

    from rpy2.rinterface_lib import callbacks

    write = callbacks.consolewrite_warnerror
    callbacks.consolewrite_warnerror = lambda text: None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import rpy2.ipython  # noqa: F401  (the extension %load_ext loads)
            from rpy2 import robjects

            robjects.r("invisible(NULL)")  # flushes the deferred warnings
    finally:
        callbacks.consolewrite_warnerror = write


def r_library_paths() -> list:
    """The R library paths that hold the twinnet R package this Python package uses."""
    return [path for path in rbridge.r_libs_path().split(":") if path]


# --- generation ------------------------------------------------------------------

def _markdown(text: str) -> dict:
    import nbformat

    return nbformat.v4.new_markdown_cell(text)


def _code(text: str) -> dict:
    import nbformat

    return nbformat.v4.new_code_cell(text)


def _maths_lines(variant: str, number: int, occurrence: int) -> list:
    """The step's maths (one entry per marker where the step has several, else under the first)."""
    entry: Any = stepmaths.MATHS.get((variant, number))
    if isinstance(entry, tuple) and entry and isinstance(entry[0], stepmaths.Maths):
        entry = entry[occurrence] if occurrence < len(entry) else None
    elif occurrence > 0:
        entry = None
    if entry is None:
        return []
    lines = [f"    {line}" for line in entry.lines]
    if entry.text_says:
        errata = ", ".join(entry.errata)
        lines += ["", f"The text says: {entry.text_says} (corrected; docs/errata.md {errata})."]
    return lines


def step_cells(variant: str) -> list:
    """(markers of one step block, python block, r block) for every block, and a check that
    every marker has computing cells and every computing cell a marker."""
    blocks = steps.paired_blocks(variant)
    keys = [marker.key for python, _ in blocks for marker in python.markers]
    counts = {key: len(spec) if isinstance(spec, list) else 1 for key, spec in CELLS[variant].items()}
    if set(keys) != set(CELLS[variant]) or any(keys.count(key) != counts[key] for key in counts):
        missing = sorted(set(keys) - set(CELLS[variant]))
        extra = sorted(set(CELLS[variant]) - set(keys))
        raise ValueError(f"{variant}: the notebook's cells and the twins' steps differ: "
                         f"steps without cells {missing}, cells without steps {extra}")
    return blocks


def notebook(variant: str) -> Any:
    """The notebook of one variant, without outputs."""
    import nbformat

    info = steps.TWINS[variant]
    fixture = FIXTURE[variant]
    cells = [_markdown(
        f"# {info.heading}: Python and R, step by step\n\n"
        f"{info.text}. The twins are `{info.python}` and `{info.r}`; this notebook computes each step "
        f"on the fixture `shared_fixtures/{fixture}.json` in both languages, in one process (R through rpy2's "
        "`%%R` cells), and compares the numbers.\n\n"
        "*Generated from the twins' step markers by `make notebooks` (python/twinnet/reading/notebooks.py); "
        "edit the generator, not this file.*"),
        _code("import numpy as np\n"
              "from twinnet import article, fixtures, layered, parity, resources, stepwise\n"
              "from twinnet.reading import notebooks\n\n"
              "notebooks.start_r()  # embedded R, without the notices of its start\n"
              "%load_ext rpy2.ipython\n"
              "%matplotlib inline\n"
              f'FIXTURE = str(resources.data_dir() / "{fixture}.json")\n'
              "R_LIBRARY = notebooks.r_library_paths()  # where the twinnet R package is (TWINNET_R_LIBRARY)\n"
              "fixture = fixtures.read_fixture(FIXTURE)\n\n\n"
              "def compare(*names):\n"
              "    notebooks.compare(*names, namespace=globals())"),
        _code("%%R -i FIXTURE,R_LIBRARY\n"
              ".libPaths(c(unlist(R_LIBRARY), .libPaths()))\n"
              "suppressWarnings(suppressPackageStartupMessages(library(twinnet)))\n"
              "fixture <- read_fixture(FIXTURE)")]
    seen: dict = {}
    for python_block, r_block in step_cells(variant):
        for index, marker in enumerate(python_block.markers):
            occurrence = seen[marker.number] = seen.get(marker.number, -1) + 1
            heading = [f"## Step {marker.number}: {marker.title}", ""]
            maths = _maths_lines(variant, marker.number, occurrence)
            code = ([] if index < len(python_block.markers) - 1 else
                    ["", f"Python (`{python_block.location}`):", "", "```python", python_block.code, "```", "",
                     f"R (`{r_block.location}`):", "", "```r", r_block.code, "```"])
            cells.append(_markdown("\n".join(heading + maths + code)))
            python_code, r_code, names = _spec(variant, marker.key, occurrence)
            cells += [_code(python_code), _code("%%R\n" + r_code)]
            if names:
                cells.append(_code(f"compare({', '.join(repr(name) for name in names)})"))
    python_train, r_train = TRAINING[variant]
    cells += [
        _markdown("## Training\n\nThe whole training loop of each twin, from the fixture's initial weights, "
                  "for the fixture's `hyper.epochs` epochs; then the loss curves of both languages."),
        _code(f"trained, loss, output = {python_train}\nprint(f'final loss: {{loss[-1]:.17g}}')"),
        _code(f"%%R\nfit <- {r_train}\nloss <- fit$loss\noutput <- fit$output\n"
              "cat(sprintf('final loss: %.17g\\n', loss[length(loss)]))"),
        _code("compare('loss', 'output')"),
        _code("import matplotlib.pyplot as plt\n"
              "figure, axes = plt.subplots(figsize=(6, 3.5))\n"
              "axes.plot(loss, label='Python', linewidth=3, alpha=0.5)\n"
              "axes.plot(notebooks.r_value('loss'), label='R', linestyle='--')\n"
              "axes.set(xlabel='epoch', ylabel='loss', yscale='log', title=fixture['name'])\n"
              "axes.legend()\nplt.show()"),
        _markdown("## Parity\n\nThe parity check of `make test`: every parameter, the loss history and the output, "
                  "Python against R and both against the fixture's `expected`, within 1e-12."),
        _code("rows = parity.run([FIXTURE])\nprint(parity.table(rows))\n"
              "assert all(row.ok for row in rows), 'the twins differ'"),
    ]
    document = nbformat.v4.new_notebook(cells=cells)
    document.metadata.update({"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                              "language_info": {"name": "python"}})
    return document


def _spec(variant: str, key: tuple, occurrence: int) -> tuple:
    """The computing cells of the ``occurrence``-th marker with this number (a list holds one per marker)."""
    spec = CELLS[variant][key]
    return spec[occurrence] if isinstance(spec, list) else spec


def execute(document: Any, root: Path, timeout: int = TIMEOUT) -> Any:
    """Run a notebook in a fresh kernel from the repository root; raises on any error."""
    from nbclient import NotebookClient

    NotebookClient(document, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(root)}}).execute()
    return document


def sources(document: Any) -> list:
    """(cell type, source) of every cell: what a fresh generation must reproduce."""
    return [(cell.cell_type, cell.source) for cell in document.cells]


def stale(root: Path) -> list:
    """The notebooks whose cells differ from a fresh generation."""
    import nbformat

    found = []
    for variant in steps.TWINS:
        path = root / DIRECTORY / f"{variant}.ipynb"
        if not path.is_file() or sources(nbformat.read(path, as_version=4)) != sources(notebook(variant)):
            found.append(path)
    return found


def main(argv: list[str] | None = None) -> int:
    import nbformat

    from .. import resources

    parser = argparse.ArgumentParser(prog="python -m twinnet.reading.notebooks",
                                     description="write docs/notebooks/*.ipynb, run, with their outputs")
    parser.add_argument("--check", action="store_true", help="only check the committed cells are current")
    parser.add_argument("variants", nargs="*", choices=[[], *steps.TWINS], default=[])
    args = parser.parse_args(argv)
    root = resources.checkout("generating the notebooks")
    if args.check:
        for path in stale(root):
            print(f"{path.relative_to(root)} differs from a fresh generation (make notebooks)", file=sys.stderr)
        return 1 if stale(root) else 0
    (root / DIRECTORY).mkdir(parents=True, exist_ok=True)
    for variant in args.variants or steps.TWINS:
        path = root / DIRECTORY / f"{variant}.ipynb"
        nbformat.write(execute(notebook(variant), root), path)
        print(f"wrote {path.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
