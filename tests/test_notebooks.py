"""The notebooks of docs/notebooks/: their cells are a fresh generation from the
twins' step markers, they were saved with their outputs, and each runs cleanly
in a fresh kernel (nbclient), both languages agreeing at every step."""

import copy

import nbformat
import pytest
from conftest import ROOT

from twinnet.reading import notebooks, steps

VARIANTS = list(steps.TWINS)


def committed(variant):
    return nbformat.read(ROOT / notebooks.DIRECTORY / f"{variant}.ipynb", as_version=4)


def text_of(cell):
    """Everything a code cell printed."""
    return "".join(output.get("text", "") or output.get("data", {}).get("text/plain", "") for output in cell.outputs)


def check_outputs(document, variant):
    """No error; every comparison printed 'agree' for each name; the loss plot is an image."""
    code = [cell for cell in document.cells if cell.cell_type == "code"]
    assert not [output for cell in code for output in cell.outputs if output.output_type == "error"]
    comparisons = [cell for cell in code if cell.source.startswith("compare(")]
    assert len(comparisons) >= len(notebooks.CELLS[variant]) - 1
    for cell in comparisons:
        names = cell.source[len("compare("):-1].split(", ")
        lines = text_of(cell).splitlines()
        assert len(lines) == len(names) and all(line.endswith("   agree") for line in lines), cell.source
    plot = next(cell for cell in code if "plt.show()" in cell.source)
    assert any("image/png" in output.get("data", {}) for output in plot.outputs)
    parity_cell = code[-1]
    assert "verdict" in text_of(parity_cell) and "MISMATCH" not in text_of(parity_cell)
    r_cells = [cell for cell in code if cell.source.startswith("%%R")]
    assert len(r_cells) >= len(notebooks.CELLS[variant])
    assert not [cell.source for cell in r_cells[:-1] if cell.outputs]  # R spoke only through compare()


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_committed_notebook_is_a_fresh_generation_saved_with_its_outputs(variant):
    document = committed(variant)
    assert notebooks.sources(document) == notebooks.sources(notebooks.notebook(variant)), "run make notebooks"
    check_outputs(document, variant)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_step_of_the_twins_has_a_markdown_python_r_and_comparison_cell(variant):
    document = notebooks.notebook(variant)
    markdown = [cell.source for cell in document.cells if cell.cell_type == "markdown"]
    for python, r in steps.paired_blocks(variant):
        for marker in python.markers:
            assert any(source.startswith(f"## Step {marker.number}: {marker.title}\n") for source in markdown)
        assert any(python.code in source and r.code in source for source in markdown)


@pytest.mark.needs_r
@pytest.mark.parametrize("variant", VARIANTS)
def test_the_notebook_runs_in_a_fresh_kernel(variant):
    document = copy.deepcopy(committed(variant))
    for cell in document.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    check_outputs(notebooks.execute(document, ROOT), variant)


def test_a_step_without_cells_is_refused(monkeypatch):
    cells = dict(notebooks.CELLS["article"])
    del cells[(5, "error at the output layer")]
    monkeypatch.setitem(notebooks.CELLS, "article", cells)
    with pytest.raises(ValueError, match=r"steps without cells \[\(5, 'error at the output layer'\)\]"):
        notebooks.notebook("article")
