"""The notebooks: one per variant, docs/notebooks/{article,stepwise,layered}.ipynb.

Each is cut from the twins' ``# Step N: title`` markers by :mod:`steps`, as the
side-by-side page is: for every step a markdown cell with its title and maths
(:mod:`stepmaths`, in LaTeX through :func:`mathml.line_latex`), then the step's
code as it stands in the Python twin and in the R twin, one cell each.  The
code cells hold the twins' source itself, so they cannot drift from it; they
run through the ``%%twin`` cell magic (:func:`load` registers it), which checks
that the cell is still the twin's code and prints the step's values in epoch
:data:`EPOCH` of the notebook's fixture: Python's from
:func:`twinnet.trace.trace_fixture`, R's printed by R from the R package's
``trace_fixture``.  Both traces run the twins' own functions and keep their
local variables, so the values are what this very code computed.  The
notebooks end with training in both languages, the loss curves and the trained
parameters compared.

Every value is printed at :data:`DIGITS` significant digits (``%.6g``, the
same in both languages), so last-ULP differences between CPUs never show; with
no timings, fixed cell ids and fixed metadata, a notebook generated on another
machine is the same file.  ``make notebooks`` (``python -m
twinnet.reading.notebooks``) writes them and runs them in a fresh kernel
(nbclient) in one process with R (rpy2), so they are saved with their outputs;
``--check`` only checks that the committed cells are a fresh generation.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .. import fixtures, parity, rbridge, resources, results, trace
from . import mathml, stepmaths, steps

DIRECTORY = "docs/notebooks"
FIXTURE = {"article": "article", "stepwise": "stepwise", "layered": "layered-xor"}
EPOCH = 1
"""The epoch whose values each step shows."""
DIGITS = 6
"""Significant digits of every value shown (both languages print ``%.6g``)."""
TIMEOUT = 600
"""Seconds one notebook cell may take when it is run."""

TRAINING = {
    "article": ("article.train(X, y, fixture['init'], hyper['epochs'], hyper['lr'])",
                "train(X, y, fixture$init, hyper$epochs, hyper$lr)"),
    "stepwise": ("stepwise.train_stepwise(X, y, fixture['init'], hyper['epochs'], hyper['lr'])",
                 "train_stepwise(X, y, fixture$init, hyper$epochs, hyper$lr)"),
    "layered": ("layered.train_layered(X, y, fixture['init'], hyper['activations'], hyper['epochs'], hyper['lr'])",
                "train_layered(X, y, fixture$init, unlist(hyper$activations), hyper$epochs, hyper$lr)"),
}

# What the R side of a notebook prints with: a matrix as R prints it, every value formatted as Python's.
R_HELPERS = """
show_matrix <- function(name, value) {
  value <- as.matrix(value)
  cat(sprintf("%s (%dx%d)\\n", name, nrow(value), ncol(value)))
  old <- options(width = 10000)
  on.exit(options(old))
  print(noquote(formatC(value, digits = DIGITS, format = "g")), right = TRUE)
}
show_steps <- function(trace, numbers) {
  for (entry in trace$quantities) if (entry$step %in% numbers) show_matrix(entry$name, entry$values)
  invisible(NULL)
}
"""


# --- what the notebooks call -----------------------------------------------------

def fixture_path(variant: str) -> Path:
    """The packaged fixture a variant's notebook runs on."""
    return resources.data_dir() / f"{FIXTURE[variant]}.json"


def display(value: Any) -> str:
    """A matrix as numpy prints it, every value at :data:`DIGITS` significant digits."""
    value = np.atleast_2d(np.asarray(value, dtype=float))
    width = max((len(f"{v:.{DIGITS}g}") for v in value.flat), default=1)
    return np.array2string(value, max_line_width=10_000, separator=" ",
                           formatter={"float_kind": lambda v: f"{v:.{DIGITS}g}".rjust(width)})


def show_matrix(name: str, value: Any) -> None:
    """Print ``name (rows x columns)`` and the matrix (:func:`display`)."""
    value = np.atleast_2d(np.asarray(value, dtype=float))
    print(f"{name} ({value.shape[0]}x{value.shape[1]})\n{display(value)}")


def load(variant: str) -> dict[str, Any]:
    """Set up a notebook: the embedded R with the twinnet R package (``TWINNET_R_LIBRARY``), both twins' traces
    of epoch :data:`EPOCH` of the variant's fixture, the R helpers and the ``%%twin`` cell magic.  Returns the
    fixture."""
    from IPython import get_ipython
    from rpy2 import robjects

    start_r()
    path = fixture_path(variant)
    python_trace = trace.trace_fixture(path, EPOCH)["quantities"]
    libraries = ", ".join(f'"{library}"' for library in r_library_paths())
    robjects.r(f".libPaths(c({libraries}, .libPaths()))\n"
               "suppressWarnings(suppressPackageStartupMessages(library(twinnet)))\n"
               + R_HELPERS.replace("DIGITS", str(DIGITS)))
    robjects.globalenv["FIXTURE"] = str(path)
    robjects.r(f"twin_trace <- trace_fixture(FIXTURE, {EPOCH})")
    pairs = steps.paired_blocks(variant)  # the twins' step code as they are now, like the traces above

    def twin(line: str, cell: str) -> None:
        """%%twin LANGUAGE [STEP …]: the cell is a twin's code; print the values of those steps."""
        language, *numbers = line.split()
        blocks = [pair[steps.LANGUAGES.index(language)] for pair in pairs]
        if cell.rstrip("\n") not in [block.code for block in blocks]:
            source = steps.TWINS[variant].source(language)
            raise ValueError(f"this cell is no longer the code of a step of {source}: the values come from "
                             "the twin, so change the twin (and run make notebooks), not the cell")
        if language == "python":
            for entry in python_trace:
                if str(entry["step"]) in numbers:
                    show_matrix(entry["name"], entry["values"])
        elif numbers:
            robjects.r(f"show_steps(twin_trace, c({', '.join(numbers)}))")

    get_ipython().register_magic_function(twin, magic_kind="cell", magic_name="twin")
    return fixtures.read_fixture(path)


def compare_trained(params: dict, loss: Any, output: Any) -> None:
    """Print, for every trained parameter, the loss history and the output: its shape and whether Python's and
    R's (``fit`` in R) agree within the parity tolerance; raise if they do not."""
    python = {**params, "loss": loss, "output": output}
    print(f"{'':<24}{'shape':>7}   max |Python − R|")
    for name, value in python.items():
        r = r_value(f"fit${name}" if name in ("loss", "output") else f"fit$params${name}")
        value = np.asarray(value, dtype=float)
        largest = float(np.max(np.abs(value - r.reshape(value.shape)), initial=0.0))
        verdict = f"≤ {parity.TOLERANCE:g}" if largest <= parity.TOLERANCE else f"{largest:.3g}: DIFFER"
        print(f"{name:<24}{'x'.join(map(str, value.shape)):>7}   {verdict}")
        if largest > parity.TOLERANCE:
            raise AssertionError(f"{name}: Python and R differ by {largest:.3g}")


def plot_loss(loss: Any, title: str) -> None:
    """The loss per epoch in both languages (R's from ``fit$loss``), at the display precision."""
    import matplotlib.pyplot as plt

    def rounded(values: Any) -> list[float]:
        return [float(f"{v:.{DIGITS}g}") for v in np.asarray(values, dtype=float)]

    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.plot(rounded(loss), label="Python", linewidth=3, alpha=0.5)
    axes.plot(rounded(r_value("fit$loss")), label="R", linestyle="--")
    axes.set(xlabel="epoch", ylabel="loss", yscale="log", title=title)
    axes.legend()
    plt.show()


def r_value(expression: str) -> np.ndarray:
    """An R expression, evaluated in R's global environment (where ``%%R`` cells assign), as a numpy array."""
    from rpy2 import robjects

    return np.array(robjects.r(expression), dtype=float)


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

def sections(variant: str) -> list[list[tuple[steps.Block, steps.Block]]]:
    """The twins' step blocks in step order, those of one step number together: [[(python, r), …], …].
    (The Layer-class network's Step 3 continues in ``Layer.backprop``, defined after Step 4.)"""
    pairs = sorted(steps.paired_blocks(variant), key=lambda pair: pair[0].markers[0].number)
    grouped: list[list[tuple[steps.Block, steps.Block]]] = []
    for pair in pairs:
        if grouped and grouped[-1][-1][0].markers[0].number == pair[0].markers[0].number:
            grouped[-1].append(pair)
        else:
            grouped.append([pair])
    return grouped


def step_numbers(section: list) -> list[int]:
    """The step numbers of a section's markers, in order, each once."""
    return list(dict.fromkeys(marker.number for python, _ in section for marker in python.markers))


def _maths(variant: str, number: int) -> list[str]:
    """The maths of one step as Markdown lines (every entry, where a step number has several)."""
    entry: Any = stepmaths.MATHS.get((variant, number), ())
    lines = []
    for maths in entry if entry and isinstance(entry[0], stepmaths.Maths) else [entry] if entry else []:
        lines += [mathml.line_latex(line) + "  " for line in maths.lines]
        if maths.text_says:
            lines.append(f"*The text says* {mathml.line_latex(maths.text_says)} (corrected; "
                         f"[errata](../errata.md) {', '.join(maths.errata)}).")
    return lines


def _markdown(variant: str, section: list) -> str:
    """A section's markdown: each step's heading and maths, and where its code is in both twins."""
    text = []
    for number in step_numbers(section):
        title = next(marker.title for python, _ in section for marker in python.markers if marker.number == number)
        text += [f"## Step {number}: {title}", "", *_maths(variant, number), ""]
    where = {language: " and ".join(f"in `{block.context}`" if block.context else "at the top level"
                                    for block in (pair[index] for pair in section))
             for index, language in enumerate(steps.LANGUAGES)}
    info = steps.TWINS[variant]
    text.append(f"The code below is the twins' own: `{info.python}`, {where['python']}, then `{info.r}`, "
                f"{where['r']}. Each cell prints the step's values in epoch {EPOCH}.")
    return "\n".join(text)


def notebook(variant: str) -> Any:
    """The notebook of one variant, without outputs."""
    import nbformat

    new_markdown, new_code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    info = steps.TWINS[variant]
    fixture = FIXTURE[variant]
    cells = [new_markdown(
        f"# {info.heading}: Python and R, step by step\n\n"
        f"{info.text}. The twins are `{info.python}` and `{info.r}`. For every step this notebook shows its maths, "
        f"then its code as it stands in each twin, cut at the twins' `# Step N: title` markers, and under each "
        f"cell the step's values in epoch {EPOCH} of the fixture `{fixture}` (`shared_fixtures/{fixture}.json`), "
        f"as that twin computed them, at {DIGITS} significant digits (`twinnet trace {fixture} --lang python` or "
        "`--lang r` prints every digit).\n\n"
        "A code cell starting `%%twin python 2` is the Python twin's code of Step 2, and prints the values of "
        "Step 2; the cell refuses to run if its code is no longer the twin's. R runs in the same process, through "
        "rpy2. After the steps, both twins train for the fixture's epochs: the loss curves and the trained "
        "parameters, compared.\n\n"
        "Notation: $L$ the loss, $E = y - \\hat{y}$ the error at the output, $\\eta$ the learning rate, "
        "$\\sigma$ the sigmoid, $\\odot$ the elementwise product, $\\cdot$ the matrix product. "
        "Gradient descent adds the *descent* $-\\partial L/\\partial w$ (times $\\eta$) to each weight $w$; "
        "$\\partial L/\\partial w$ is the gradient.\n\n"
        "*Generated from the twins by `make notebooks` (python/twinnet/reading/notebooks.py); edit the twins or "
        "the generator, not this file.*"),
        new_code(f"from twinnet import {variant}\nfrom twinnet.reading import notebooks\n\n"
                 f'fixture = notebooks.load("{variant}")  # R through rpy2, both twins\' traces, the %%twin cells\n'
                 "%load_ext rpy2.ipython\n%matplotlib inline")]
    for section in sections(variant):
        cells.append(new_markdown(_markdown(variant, section)))
        for position, pair in enumerate(section):
            shown = " ".join(map(str, step_numbers(section))) if position == len(section) - 1 else ""
            cells += [new_code(f"%%twin {language} {shown}".rstrip() + "\n" + pair[index].code)
                      for index, language in enumerate(steps.LANGUAGES)]
    python_train, r_train = TRAINING[variant]
    cells += [
        new_markdown("## Training\n\nEach twin's whole training loop, from the fixture's initial weights for its "
                     "`hyper.epochs` epochs; then the loss of each epoch in both languages, and the trained "
                     "parameters, the loss history and the output compared."),
        new_code('X, y, hyper = fixture["data"]["X"], fixture["data"]["y"], fixture["hyper"]\n'
                 f"params, loss, output = {python_train}\n"
                 "for name, value in params.items():\n    notebooks.show_matrix(name, value)\n"
                 "notebooks.show_matrix('final loss', loss[-1])"),
        new_code("%%R\nfixture <- read_fixture(FIXTURE)\nX <- fixture$data$X\ny <- fixture$data$y\n"
                 f"hyper <- fixture$hyper\nfit <- {r_train}\n"
                 "for (name in names(fit$params)) show_matrix(name, fit$params[[name]])\n"
                 "show_matrix(\"final loss\", fit$loss[length(fit$loss)])"),
        new_code("notebooks.plot_loss(loss, fixture['name'])"),
        new_code("notebooks.compare_trained(params, loss, output)"),
    ]
    document = nbformat.v4.new_notebook(cells=cells, metadata=METADATA)
    for index, cell in enumerate(document.cells):
        cell.id = f"{variant}-{index:02d}"
    return document


METADATA = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"}}
"""The notebooks' metadata, the same on every machine (the kernel's would name its Python version)."""


def kernel_manager(sockets: str) -> Any:
    """A manager for a python3 kernel that talks over Unix sockets in the folder ``sockets``: no port listens."""
    from jupyter_client.manager import KernelManager

    return KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets, "kernel"))


def execute(document: Any, root: Path, timeout: int = TIMEOUT, manager: Any = None) -> Any:
    """Run a notebook in a fresh kernel from the repository root (raises on any error), then drop what differs
    from one run or machine to the next: timings, the kernel's metadata, how output streams were split.  With
    ``manager`` (a :func:`kernel_manager`), the notebook runs in its kernel, started if need be, which is left
    running for the caller to reuse and stop."""
    from nbclient import NotebookClient

    with contextlib.ExitStack() as stack:
        own = manager is None
        if own:
            manager = kernel_manager(stack.enter_context(tempfile.TemporaryDirectory(prefix="twinnet-kernel-")))
        try:
            NotebookClient(document, km=manager, timeout=timeout, record_timing=False,
                           resources={"metadata": {"path": str(root)}}).execute()
        finally:  # a kernel manager passed in is the caller's to stop
            if own and manager.has_kernel:
                manager.shutdown_kernel(now=True)
    document.metadata = METADATA
    for cell in document.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata = {}
        merged: list = []
        for output in cell.outputs:
            if (output.output_type == "stream" and merged and merged[-1].output_type == "stream"
                    and merged[-1].name == output.name):
                merged[-1].text += output.text
            else:
                merged.append(output)
        cell.outputs = merged
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

    parser = argparse.ArgumentParser(prog="python -m twinnet.reading.notebooks",
                                     description="write docs/notebooks/*.ipynb, run, with their outputs",
                                     epilog="example: python -m twinnet.reading.notebooks layered")
    parser.add_argument("--check", action="store_true", help="only check the committed cells are current")
    parser.add_argument("variants", nargs="*", choices=[[], *steps.TWINS], default=[])
    args = parser.parse_args(argv)
    root = resources.checkout("generating the notebooks")
    if args.check:
        found = stale(root)
        for path in found:
            print(f"{path.relative_to(root)} differs from a fresh generation (make notebooks)", file=sys.stderr)
        return 1 if found else 0
    (root / DIRECTORY).mkdir(parents=True, exist_ok=True)
    for variant in args.variants or steps.TWINS:
        path = root / DIRECTORY / f"{variant}.ipynb"
        results.write_atomic(path, nbformat.writes(execute(notebook(variant), root)) + "\n")
        print(f"wrote {path.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
