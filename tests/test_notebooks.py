"""The notebooks of docs/notebooks/: their code cells are the twins' own step code, every value they show for
a step is the trace's value of that step (both languages), they are a fresh generation saved with their
outputs, and a fresh kernel reproduces them byte for byte (one kernel, reset between the notebooks)."""

import copy
import json
import math
import re
import tempfile
from collections import Counter

import nbformat
import pytest
from conftest import ROOT

from twinnet.reading import notebooks, steps
from twinnet.trace import trace_fixture

VARIANTS = list(steps.TWINS)
HEADING = re.compile(r"^## Step (\d+): ", re.MULTILINE)
MATRIX_HEADER = re.compile(r"^(\S+) \((\d+)x(\d+)\)$")
R_LABEL = re.compile(r"\[\d*,\d*\]")
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:inf|nan)", re.IGNORECASE)
LANGUAGES = ("python", "r")


def committed_path(variant):
    return ROOT / notebooks.DIRECTORY / f"{variant}.ipynb"


def language_of(cell):
    return "r" if re.match(r"%%(R|twin r)\b", cell.source) else "python"


def printed(cell):
    return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")


def matrices(text):
    """(name, shape, values) of every ``name (RxC)`` header and the matrix printed under it."""
    found = []
    for line in text.splitlines():
        header = MATRIX_HEADER.match(line.strip())
        if header:
            found.append((header[1], (int(header[2]), int(header[3])), []))
        elif found:
            found[-1][2].extend(float(token) for token in NUMBER.findall(R_LABEL.sub(" ", line)))
    return found


def shown_step_values(document):
    """(language, steps of the section, name, shape, values) of every matrix a code cell prints under a
    ``## Step N`` heading."""
    shown, section = [], frozenset()
    for cell in document.cells:
        if cell.cell_type == "markdown":
            if cell.source.startswith("#"):
                section = frozenset(int(number) for number in HEADING.findall(cell.source))
        elif section:
            shown += [(language_of(cell), section, *matrix) for matrix in matrices(printed(cell))]
    return shown


def at_display_precision(shown, expected):
    """Whether ``shown`` is ``expected`` rounded to the notebooks' significant digits."""
    return math.isclose(shown, expected, rel_tol=0.5 * 10 ** (1 - notebooks.DIGITS) + 1e-12, abs_tol=0.0)


def step_value_problems(path, variant=None):
    """Why the notebook at ``path`` does not show the trace: every quantity of every step, in both languages,
    must be shown under its step's heading with the trace's shape and values (at the display precision), and
    nothing else may be shown under a step.  Empty when it does."""
    variant = variant or path.stem
    document = nbformat.read(path, as_version=4)
    trace = trace_fixture(notebooks.fixture_path(variant), notebooks.EPOCH)["quantities"]
    expected = {(entry["step"], entry["name"]): entry["values"] for entry in trace}
    shown = shown_step_values(document)
    problems = []
    for (step, name), values in expected.items():
        for language in LANGUAGES:
            matches = [row for row in shown if row[0] == language and step in row[1] and row[2] == name]
            if not matches:
                problems.append(f"Step {step} {name}: {language} shows no values")
            for _, _, _, shape, numbers in matches:
                if shape != values.shape or len(numbers) != values.size:
                    problems.append(f"Step {step} {name}: {language} shows {shape} ({len(numbers)} values), "
                                    f"the trace {values.shape}")
                elif not all(map(at_display_precision, numbers, values.flat)):
                    problems.append(f"Step {step} {name}: {language} shows {numbers}, the trace "
                                    f"{[float(f'{v:.6g}') for v in values.flat]}")
    for language, section, name, _, _ in shown:
        if not any((step, name) in expected for step in section):
            problems.append(f"Steps {sorted(section)}: {language} shows {name}, which the trace has in no such step")
    return problems


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_value_a_notebook_shows_for_a_step_is_the_trace_s_in_both_languages(variant):
    assert step_value_problems(committed_path(variant)) == []


def test_a_step_showing_another_epoch_s_values_is_caught(tmp_path):
    """The Layer-class network's Step 4 shows the trained network's output; the untrained one is refused."""
    document = nbformat.read(committed_path("layered"), as_version=4)
    untrained = "output (4x1)\n[[0.5]\n [0.387757]\n [0.882233]\n [0.801709]]\n"
    for cell in document.cells:
        if cell.cell_type == "code" and cell.source.startswith("%%twin python 4"):
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=untrained)]
    nbformat.write(document, tmp_path / "layered.ipynb")
    assert step_value_problems(tmp_path / "layered.ipynb") == [
        "Step 4 output: python shows [0.5, 0.387757, 0.882233, 0.801709], the trace "
        "[0.484559, 0.385536, 0.876657, 0.784136]"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_code_cells_are_the_twins_step_code_in_step_order(variant):
    document = nbformat.read(committed_path(variant), as_version=4)
    cells = [cell.source.split("\n", 1) for cell in document.cells if cell.source.startswith("%%twin ")]
    shown = [(first.split()[1], code) for first, code in cells]
    twins = [(language, pair[index].code) for pair in steps.paired_blocks(variant)
             for index, language in enumerate(LANGUAGES)]
    assert Counter(shown) == Counter(twins)
    first_steps = [steps.find_markers(code.splitlines())[0].number for _, code in shown]
    assert first_steps == sorted(first_steps)


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_committed_notebook_is_a_fresh_generation_with_nothing_machine_specific(variant):
    document = nbformat.read(committed_path(variant), as_version=4)
    assert notebooks.sources(document) == notebooks.sources(notebooks.notebook(variant)), "run make notebooks"
    text = committed_path(variant).read_text(encoding="utf-8")
    assert str(ROOT) not in text and "/home/" not in text and "/tmp/" not in text
    assert document.metadata == notebooks.METADATA
    code = [cell for cell in document.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    assert all(cell.metadata == {} for cell in code)
    assert [cell.id for cell in document.cells] == [f"{variant}-{index:02d}" for index in range(len(document.cells))]
    assert not [output for cell in code for output in cell.outputs if output.output_type == "error"
                or output.get("name") == "stderr"]
    plot = next(cell for cell in code if "plot_loss" in cell.source)
    assert any("image/png" in output.get("data", {}) for output in plot.outputs)
    comparison = printed(code[-1]).splitlines()
    assert len(comparison) > 3 and all(line.endswith("≤ 1e-12") for line in comparison[1:]), comparison


# Between two notebooks in one kernel: R's global names and Python's go, with the history; the execution
# count starts at 1 again; %load_ext will load rpy2's magics again (silently, as in a fresh kernel).
# AFTER_RESET: what is left, a fresh kernel's (its user names are only the three IPython puts there).
RESET = """
def _reset():
    import matplotlib.pyplot
    from rpy2 import robjects

    matplotlib.pyplot.close("all")
    robjects.r("rm(list = ls(globalenv(), all.names = TRUE), envir = globalenv())")
    shell = get_ipython()
    shell.extension_manager.loaded.discard("rpy2.ipython")
    shell.reset(new_session=True)


_reset()
"""
AFTER_RESET = {"count": "get_ipython().execution_count",
               "r_names": "list(__import__('rpy2.robjects').robjects.r('ls(globalenv(), all.names = TRUE)'))",
               "user_names": "sorted(set(get_ipython().user_ns) - set(get_ipython().user_ns_hidden))"}
FRESH_USER_NAMES = "['__builtin__', '__builtins__', '__name__']"


def reset(manager):
    """Run RESET in the kernel, silently; return what AFTER_RESET finds there then."""
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(RESET, silent=True, store_history=False, timeout=60,
                                           user_expressions=AFTER_RESET)
    finally:
        client.stop_channels()
    assert reply["content"]["status"] == "ok", reply["content"]
    found = reply["content"]["user_expressions"]
    assert all(value["status"] == "ok" for value in found.values()), found
    return {name: value["data"]["text/plain"] for name, value in found.items()}


def test_one_kernel_reset_between_notebooks_reproduces_every_committed_notebook_byte_for_byte():
    """The notebooks in one fresh kernel, reset between them (RESET): a kernel's start-up is most of a
    notebook's run, and what a notebook leaves behind is taken away before the next, so that each runs as in a
    kernel of its own (make notebooks runs each in one)."""
    with tempfile.TemporaryDirectory(prefix="twinnet-kernel-") as sockets:  # Unix sockets: no port listens
        manager = notebooks.kernel_manager(sockets)
        try:
            for index, variant in enumerate(VARIANTS):
                if index:
                    left = reset(manager)
                    assert left == {"count": "1", "r_names": "[]", "user_names": FRESH_USER_NAMES}, left
                committed = nbformat.read(committed_path(variant), as_version=4)
                document = copy.deepcopy(committed)
                for cell in document.cells:
                    if cell.cell_type == "code":
                        cell.outputs, cell.execution_count = [], None
                rerun = notebooks.execute(document, ROOT, manager=manager)
                assert json.loads(nbformat.writes(rerun)) == json.loads(nbformat.writes(committed)), variant
        finally:
            if manager.has_kernel:
                manager.shutdown_kernel(now=True)


@pytest.mark.needs_r
def test_a_twin_cell_whose_code_is_not_the_twin_s_is_refused():
    """The %%twin magic as the notebooks' set-up registers it, in an IPython shell in this worker (the
    fresh kernels above run it on every committed cell)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False  # nothing written to ~/.ipython
    shell = InteractiveShell.instance(config=config)
    notebooks.load("article")
    cell = next(cell.source for cell in notebooks.notebook("article").cells if cell.source.startswith("%%twin python"))
    line, code = cell.split("\n", 1)
    shell.run_cell_magic("twin", line.removeprefix("%%twin "), code)  # the twin's own code: accepted
    with pytest.raises(ValueError, match="no longer the code of a step of python/twinnet/article.py"):
        shell.run_cell_magic("twin", "python 2", "hidden_layer_input = 0\n")
