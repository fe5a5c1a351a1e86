"""The side-by-side page: step markers pair up across the twins, the code is
cut by the documented rule, and the page and the terminal view show every
step of every variant in both languages."""

import re

import pytest

from twinnet import cli
from twinnet.reading import sidebyside, steps
from twinnet.reading.stepmaths import MATHS, NOTES, Maths

VARIANTS = list(steps.VARIANTS)


@pytest.mark.parametrize("variant", VARIANTS)
def test_step_markers_pair_up_in_both_twins(variant):
    assert steps.check_variant(variant) == []
    python, r = (steps.find_markers(steps.read_lines(steps.VARIANTS[variant].source(language)))
                 for language in steps.LANGUAGES)
    assert [m.key for m in python] == [m.key for m in r]
    # A step may continue elsewhere (the Layer-class Step 3 inside Layer.backprop): its later markers repeat
    # the same number and title.  First occurrences are in order, and one number has one title.
    first = list(dict.fromkeys(m.key for m in python))
    assert [number for number, _ in first] == sorted(number for number, _ in first)
    assert len({number for number, _ in first}) == len(first), f"{variant}: one step number with two titles"


def markers(*lines):
    return steps.find_markers([f"    # Step {line}" for line in lines])


def test_a_marker_missing_from_one_twin_is_named():
    problems = steps.marker_problems(markers("1: one", "2: two, n×h", "3: three"), markers("1: one", "3: three"),
                                     "a.py", "a.R")
    assert problems == ["Step 2: 'two' is in a.py:2 but not in a.R"]


def test_a_different_title_is_a_missing_marker_on_both_sides():
    problems = steps.marker_problems(markers("4: output layer, n×1"), markers("4: output layers, n x 1"))
    assert len(problems) == 2 and all("Step 4" in problem for problem in problems)


def test_markers_in_another_order_are_named():
    problems = steps.marker_problems(markers("1: one", "2: two"), markers("2: two", "1: one"), "a.py", "a.R")
    assert problems == ["order differs: a.py:1 has Step 1 'one' where a.R:1 has Step 2 'two'"]


def test_details_after_the_title_may_differ():
    assert steps.marker_problems(markers("2: hidden layer input, n×h (broadcasts)"),
                                 markers("2: hidden layer input, n x h (sweep)")) == []


def test_extent_rule_on_the_article():
    blocks = dict((tuple(m.number for m in python.markers), (python, r))
                  for python, r in steps.paired_blocks("article"))
    python, r = blocks[(0,)]  # top level: the definitions up to the function holding Step 1
    assert "def sigmoid" in python.code and "def derivatives_sigmoid" in python.code
    assert "def train" not in python.code and "train <- function" not in r.code
    assert '"""' not in python.code and "#'" not in r.code  # documentation left out
    python, r = blocks[(10, 11)]  # markers with no code between them share it
    assert python.code.splitlines()[-1] == "}" and "colSums(d_output)" in r.code
    python, r = blocks[(2,)]  # ends at the next marker
    assert python.code.count("\n") == 1 and python.context == r.context == "forward"
    assert python.location == "python/twinnet/article.py:" + python.location.split(":")[1]


def test_a_block_ends_with_its_function():
    python, r = steps.paired_blocks("stepwise")[-1]
    assert python.context == r.context == "update_weights"
    assert r.code.splitlines()[-1] == "params" and "trace_stepwise" not in python.code


@pytest.mark.parametrize("variant", VARIANTS)
def test_definitions_outside_the_steps_pair_by_name(variant):
    pairs = steps.paired_definitions(variant)
    assert pairs and all(python is not None and r is not None for python, r in pairs)


def test_every_marker_has_maths_and_every_maths_entry_a_marker():
    used = set()
    for variant in VARIANTS:
        for python, _ in steps.paired_blocks(variant):
            used.update((variant, marker.number) for marker in python.markers)
    assert used == set(MATHS)
    assert all(isinstance(entry, Maths) or len(entry) == 2 for entry in MATHS.values())


def test_every_note_stands_under_some_step():
    shown = set()
    for variant in VARIANTS:
        step_list, helpers = sidebyside._variant_view(variant)
        shown.update(note.topic for section in step_list + helpers for note in section["notes"])
    assert shown == {note.topic for note in NOTES}
    assert {"broadcasting", "matmul", "indexing", "keepdims", "fixture layout"} <= shown


def test_page_has_every_step_of_every_variant_in_both_languages(tmp_path):
    text = sidebyside.write_page(tmp_path / "side-by-side.html", numbers=False).read_text(encoding="utf-8")
    for variant in VARIANTS:
        assert f'<section id="{variant}">' in text
        section = text.split(f'<section id="{variant}">', 1)[1].split("</section>", 1)[0]
        step_count = len(steps.paired_blocks(variant))
        assert section.count('<figure class="code-python">') >= step_count
        assert section.count('<figure class="code-python">') == section.count('<figure class="code-r">')
        for python, _ in steps.paired_blocks(variant):
            for marker in python.markers:
                assert f'<span class="n">Step {marker.number}</span>' in section
    assert 'class="hl"' in text and "@media print" in text


def test_page_is_self_contained():
    text = sidebyside.page(numbers=False)
    assert not re.search(r"<script|<link|@import|url\(|src=", text)
    assert not re.search(r'href="https?://', text)


def test_page_shows_one_fixtures_numbers_in_both_languages():
    text = sidebyside._numbers_html(sidebyside.NUMBERS_FIXTURE, sidebyside.HtmlFormatter(cssclass="hl"))
    assert "wout[0, 0]" in text and "wout[1, 1]" in text and "loss[4999]" in text and "loss[5000]" in text


def test_side_by_side_command_prints_two_columns(capsys):
    assert cli.main(["side-by-side", "article", "--width", "120"]) == 0
    out = capsys.readouterr().out
    assert "python/twinnet/article.py:" in out and "r/R/article.R:" in out
    assert "Step 11 · bias slopes" in out
    assert any(" | " in line and "sweep(" in line for line in out.splitlines())
    assert max(len(line) for line in out.splitlines() if " | " in line) <= 120
