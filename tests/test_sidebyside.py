"""The side-by-side page: step markers pair up across the twins, the code is
cut by the documented rule, and the page and the terminal view show every
step of every variant in both languages."""

import os
import re
from pathlib import Path

import numpy as np
import pytest

from twinnet import cli, fixtures, rbridge, resources, safejson
from twinnet.reading import page, stepmaths, steps, terminal
from twinnet.reading.stepmaths import MATHS, NOTES, Maths
from twinnet.trace import trace_fixture

VARIANTS = fixtures.VARIANTS
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("variant", VARIANTS)
def test_step_markers_pair_up_in_both_twins(variant):
    assert steps.check_variant(variant) == []
    python, r = (steps.find_markers(steps.read_lines(steps.TWINS[variant].source(language)))
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
                                 markers("2: hidden layer input, n x h (rep)")) == []


def test_extent_rule_on_the_article():
    blocks = dict((tuple(m.number for m in python.markers), (python, r))
                  for python, r in steps.paired_blocks("article"))
    python, r = blocks[(0,)]  # top level: the definitions up to the function holding Step 1
    assert "def sigmoid" in python.code and "def derivatives_sigmoid" in python.code
    assert "def train" not in python.code and "train <- function" not in r.code
    assert '"""' not in python.code and "#'" not in r.code  # documentation left out
    python, r = blocks[(10, 11)]  # markers with no code between them share it
    assert python.code.splitlines()[-1] == "}" and "colSums(d_output)" in r.code
    python, r = blocks[(2,)]  # the first step in a function starts at its signature, and ends at the next marker
    assert python.code.count("\n") == 2 and python.context == r.context == "forward"
    assert python.code.startswith("def forward(X") and r.code.startswith("forward <- function(X, params) {")
    python, r = blocks[(3,)]  # not the first in its function: no signature
    assert python.code.startswith("# Step 3") and r.code.startswith("# Step 3")
    assert python.location == "python/twinnet/article.py:" + python.location.split(":")[1]


def test_a_block_ends_with_its_function():
    python, r = steps.paired_blocks("stepwise")[-1]
    assert python.context == r.context == "update_weights"
    assert r.code.splitlines()[-1].strip() == "params" and "trace_stepwise" not in python.code


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
        step_list, helpers = stepmaths.variant_view(variant)
        shown.update(note.topic for section in step_list + helpers for note in section["notes"])
    assert shown == {note.topic for note in NOTES}
    assert {"broadcasting", "matmul", "indexing", "keepdims", "fixture layout"} <= shown


def test_page_has_every_step_of_every_variant_in_both_languages(tmp_path):
    text = page.write_page(tmp_path / "side-by-side.html", numbers=False).read_text(encoding="utf-8")
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
    text = page.page(numbers=False)
    assert not re.search(r"<script|<link|@import|url\(|src=", text)
    # the only outside addresses are links to the source texts, fetched only when followed
    urls = {info.url for info in steps.TWINS.values() if info.url}
    assert set(re.findall(r'href="(https?://[^"]+)"', text)) <= urls


@pytest.mark.needs_r
def test_page_shows_one_fixtures_numbers_in_both_languages():
    text = page.numbers_html(page.fixture_numbers(), page.HtmlFormatter(cssclass="hl"))
    assert "wout[0, 0]" in text and "wout[1, 1]" in text and "loss[4999]" in text and "loss[5000]" in text


def test_side_by_side_command_prints_two_columns(capsys):
    assert cli.main(["side-by-side", "article", "--width", "120"]) == 0
    out = capsys.readouterr().out
    assert "python/twinnet/article.py:" in out and "r/R/article.R:" in out
    assert "Step 11 · bias slopes" in out
    assert any(" | " in line and "+ rep(params$" in line for line in out.splitlines())
    assert max(len(line) for line in out.splitlines() if " | " in line) <= 120


def test_every_function_shows_its_signature_with_its_first_step():
    signatures = {"article": ["def train(", "def forward(", "def backward("],
                  "stepwise": ["def train_stepwise(", "def forward_propagation(", "def backward_propagation(",
                               "def update_weights("],
                  "layered": ["def train_layered(", "def backprop(self, dA"]}
    for variant, expected in signatures.items():
        shown = "\n".join(python.code for python, _ in steps.paired_blocks(variant))
        for signature in expected:
            assert shown.count(signature) == 1, f"{variant}: {signature}"


def test_layer_backprop_carries_step_3_in_both_twins():
    blocks = [(python, r) for python, r in steps.paired_blocks("layered") if python.markers[0].number == 3]
    assert len(blocks) == 2
    python, r = blocks[1]
    assert python.code.startswith("def backprop(self, dA") and r.code.startswith("backprop = function(dA) {")
    for name in ("dZ", "dW", "db", "dA1"):
        assert name in python.code and name in r.code
    layer = dict((python.name, (python, r)) for python, r in steps.paired_definitions("layered"))["Layer"]
    assert "def feedforward" in layer[0].code and "backprop" not in layer[0].code.replace("Step 3: backpropagation", "")
    pointer = "# … Step 3: backpropagation, above"
    assert pointer in layer[0].code and pointer in layer[1].code


@pytest.fixture(scope="module")
def full_page(tmp_path_factory):
    """The page with its numbers, as make docs writes it (both languages run)."""
    directory = tmp_path_factory.mktemp("docs")
    path = page.write_page(directory / "side-by-side.html")
    return path.read_text(encoding="utf-8"), (directory / "errata.html").read_text(encoding="utf-8")


@pytest.mark.needs_r
def test_page_ids_are_unique(full_page):
    ids = re.findall(r'\bid="([^"]+)"', full_page[0])
    assert len(ids) > 50 and len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


@pytest.mark.needs_r
def test_page_contains_mathml_for_every_steps_maths(full_page):
    text = full_page[0]
    assert text.count("<math>") > 60 and "<msub>" in text and "<msup>" in text
    for variant in VARIANTS:
        section = text.split(f'<section id="{variant}">', 1)[1].split("</section>", 1)[0]
        for card in re.split(r'<article class="step[^"]*" id="', section)[1:]:
            if "-def-" not in card.split('"', 1)[0] and not card.startswith(f"{variant}-epoch"):
                assert "<math>" in card.split('<div class="pair">')[0], card[:80]
    assert "e^(" not in text.split("<body>", 1)[1].split('<p class="fix">')[0]


@pytest.mark.needs_r
def test_every_step_of_every_variant_shows_epoch_1_values_in_both_languages(full_page):
    text = full_page[0]
    for variant in VARIANTS:
        section = text.split(f'<section id="{variant}">', 1)[1].split("</section>", 1)[0]
        example = resources.data_dir() / steps.TWINS[variant].example
        trace = trace_fixture(example)
        for python, _ in steps.paired_blocks(variant):
            for marker in python.markers:
                assert f'id="{variant}-values-{marker.number}" data-step="{marker.number}"' in section, \
                    f"{variant} > Step {marker.number}"
        # the values themselves: the first row of every traced quantity, as a matrix row, in each language
        r = rbridge.trace_fixture(example)
        for entry, r_entry in zip(trace["quantities"], r["quantities"], strict=True):
            block = section.split(f'id="{variant}-values-{entry["step"]}"', 1)[1].split("</details>", 1)[0]
            row = block.split(f"<code>{entry['name']}</code><span class=\"shape\">", 1)[1].split("</tr>", 1)[0]
            python_cells, r_cells = re.findall(r'<pre class="matrix">([^<]*)</pre>', row)
            assert python_cells.splitlines()[0].split()[0] == page.rounded(entry["values"][0, 0])
            assert r_cells.splitlines()[0].split()[0] == page.rounded(r_entry["values"][0, 0])
            assert len(python_cells.splitlines()) == min(entry["values"].shape[0], page.ABBREVIATED[0]) or \
                entry["values"].size <= page.FULL_MATRIX
    assert "<th>Python − R</th>" in text and "ULP</th>" not in text


def test_values_are_matrices_of_six_significant_digits(full_page):
    cells = [cell for block in re.findall(r'<pre class="matrix">([^<]*)</pre>', full_page[0]) for cell in block.split()]
    cells += re.findall(r"<td class=num>([^<]*)</td>", full_page[0])
    assert len(cells) > 200
    digits = [len(re.sub(r"e.*$", "", cell).lstrip("-").replace(".", "").lstrip("0")) for cell in cells]
    assert max(digits) == 6 and all(float(cell) == float(f"{float(cell):.6g}") for cell in cells)
    assert page.rounded(-0.0) == "0" and page.rounded(0.1 + 0.2) == "0.3" and page.rounded(1 / 3) == "0.333333"


@pytest.mark.needs_r
def test_a_last_ulp_difference_does_not_change_the_page():
    """What keeps make docs the same on every CPU: values rounded for display, agreement said in words."""
    rows = page.example_values("article")
    nudged = [{**row, "r": np.nextafter(row["python"], np.inf),
               "max_abs": float(np.max(np.abs(np.nextafter(row["python"], np.inf) - row["python"])))}
              for row in rows]
    same = [{**row, "r": row["python"], "max_abs": 0.0} for row in rows]
    for number in range(12):
        assert page._values_html("article", number, nudged) == page._values_html("article", number, same)


@pytest.mark.needs_r
def test_final_values_table_has_every_parameter(full_page):
    numbers_section = full_page[0].split('<section id="numbers">', 1)[1]
    for name in ("wh", "bh", "wout", "bout"):
        assert f"<code>{name}[0, 0]</code>" in numbers_section


@pytest.mark.needs_r
def test_page_layout_does_not_scroll_sideways(full_page):
    """What keeps the page inside 390 px: every table in a box of its own that scrolls, code that scrolls in its
    box instead of wrapping (no split names, no lost indentation), one column under 900 px.  Checked in headless
    Chromium at 390 px when the page was last written (docs/teaching.md, docs/side-by-side-390.png)."""
    text = full_page[0]
    assert text.count("<table") == text.count('<div class="scroll"><table')
    css = page.css()
    assert re.search(r"\.hl pre \{[^}]*white-space: pre;[^}]*overflow-x: auto;", css)
    screen_css = css.split("@media print", 1)[0]
    assert "text-indent" not in screen_css and "overflow-wrap: anywhere" not in css and "word-break" not in css
    # on paper a wrapped line hangs inside its own indentation: each line carries it
    assert '<span class="ln" style="--i:4ch">' in text and "calc(var(--i, 0ch) + 4ch)" in css
    assert ".scroll { overflow-x: auto;" in css
    assert "@media screen and (max-width: 900px) { .pair { grid-template-columns: minmax(0, 1fr); }" in css
    print_css = css.split("@media print", 1)[1]
    assert ".step.short," in print_css and "break-inside: avoid" in print_css and "break-before: page" not in print_css
    sizes = set(re.findall(r"font-size: ([0-9.]+pt)", print_css))
    assert sizes == {"9pt", "8.5pt"}  # body text, and one size for code, notes, maths and tables


@pytest.mark.needs_r
def test_errata_links_reach_an_anchor_of_the_errata_page(full_page):
    text, errata = full_page
    links = set(re.findall(r'href="errata\.html#([AWL]\d+)"', text))
    anchors = set(re.findall(r'<p id="([AWL]\d+)">', errata))
    assert len(links) >= 20 and links <= anchors
    assert len(anchors) == 39 and 'href="errata.md"' not in text


def test_no_text_is_called_a_seed_text():
    for path in [*ROOT.glob("python/twinnet/**/*.py"), *ROOT.glob("r/R/*.R"), *ROOT.glob("docs/*.md"),
                 ROOT / "README.md", *ROOT.glob("shared_fixtures/*.json"), *ROOT.glob("tests/*.py")]:
        if path.name != "test_sidebyside.py":
            assert "seed text" not in path.read_text(encoding="utf-8"), path
    assert "Analytics Vidhya" in page.page(numbers=False)
    assert 'href="https://www.analyticsvidhya.com/blog/2017/05/' in page.page(numbers=False)


def test_terminal_view_pipes_at_100_columns_without_colour(monkeypatch, capsys):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert cli.main(["side-by-side", "stepwise"]) == 0
    out = capsys.readouterr().out
    assert "\033[" not in out
    assert max(len(line) for line in out.splitlines()) <= 100
    assert any(len(line) > 90 for line in out.splitlines())


def test_terminal_view_takes_columns_and_colours_a_terminal_only(monkeypatch):
    monkeypatch.setenv("COLUMNS", "90")
    assert terminal.terminal_width() == 90 and terminal.terminal_width(130) == 130

    class Terminal:
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert terminal.use_colour(Terminal()) and not terminal.use_colour(object())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not terminal.use_colour(Terminal())
    assert "\033[1;36mStep 2 · hidden layer input" in terminal.terminal("article", 100, colour=True)


def test_terminal_view_wraps_code_with_a_hanging_indent_never_inside_a_name():
    """At 124 columns every name of the walk-through fits in a column: lines wrap at spaces only (a name that
    does not fit after its indentation loses indentation, not letters)."""
    width = 124
    lines = terminal.terminal("stepwise", width).splitlines()
    assert max(len(line) for line in lines) <= width
    left = [line.split(" | ", 1)[0] for line in lines if " | " in line]
    # a continuation of a line indented by 4 starts at column 8
    index = next(i for i, line in enumerate(left) if line.startswith("    # Step 0: transpose the input"))
    assert left[index + 1].startswith("        ") and left[index + 1].strip()
    code = "\n".join(python.code for python, _ in steps.paired_blocks("stepwise"))
    names = set(re.findall(r"[A-Za-z_]\w+", code))
    shown = set(re.findall(r"[A-Za-z_]\w+", "\n".join(left[3:])))
    assert {name for name in shown if len(name) > 3} <= names | {"python", "twinnet", "stepwise"}


def test_each_porters_note_is_written_once_on_the_page_and_linked_after():
    text = page.page(numbers=False)
    for note in NOTES:
        body = page._inline_code(note.text)
        assert text.count(body) == 1, note.topic
    assert 'Porter’s notes above that apply here too: <a href="#note-' in text
    matmul = next(note.text for note in NOTES if note.topic == "matmul")
    assert "reference BLAS" not in matmul and "the system's OpenBLAS after `make setup`" in matmul


def test_mathml_typesets_formulas_and_leaves_prose_as_text():
    from twinnet.reading import mathml

    html = mathml.line_html("H_i = X·w_h + b_h   (n×h; b_h is added to every row)")
    assert html.startswith("<math><mrow><msub><mi>H</mi><mi>i</mi></msub><mo>=</mo><mi>X</mi><mo>·</mo>")
    assert html.endswith(" is added to every row)") and html.count("<math>") == 2
    html = mathml.line_html("σ(x) = 1 / (1 + e^(−x)),   σ′(x) = σ(x)·(1 − σ(x)).")
    assert "<msup><mi>e</mi><mrow><mo>−</mo><mi>x</mi></mrow></msup>" in html
    assert "<msup><mi>σ</mi><mo>′</mo></msup>" in html and '<mo stretchy="false">(</mo>' in html
    html = mathml.line_html("derivatives_sigmoid(a) = a·(1 − a) takes the activation a = σ(x), not x.")
    assert html.startswith("<code>derivatives_sigmoid(a)</code>") and " takes the activation <math>" in html
    assert mathml.line_html("e_h = δ_o·w_oᵀ").count("<msup><msub><mi>w</mi><mi>o</mi></msub><mi>T</mi></msup>") == 1


PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_from_a_fixture_is_escaped_on_the_page(payload):
    """A fixture's name and description reach the page only escaped (the schema refuses such a name, so the
    section is built from the fixture as if a reader had let it through)."""
    fixture = fixtures.read_fixture(fixtures.example("article"))
    numbers = {"fixture": {**fixture, "name": payload, "description": f"a description {payload}"},
               "rows": [(f"wout{payload}", "wout[1, 1]", 0.5, 0.5)]}
    text = page.numbers_html(numbers, page.HtmlFormatter(cssclass="hl"))
    assert payload not in text and "<script" not in text and "<img" not in text
    assert text.count("&lt;script&gt;" if "script" in payload else "&quot;&gt;&lt;img") >= 3


def test_the_errata_page_escapes_its_markdown():
    text = page.errata_page('# Errata <script>\n\nA [link](x"onmouseover=alert(1)) and <img src=x>.\n')
    body = text.split("<body>", 1)[1]
    assert "<script" not in body and "<img" not in body and '"onmouseover' not in body


@pytest.mark.needs_r
def test_page_numbers_come_from_the_packaged_fixture(tmp_path, monkeypatch):
    """The numbers are the installed package's fixture whatever the current folder holds, and the page names
    no path of this machine."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shared_fixtures").mkdir()
    (tmp_path / "shared_fixtures" / "article.json").write_text("not a fixture", encoding="utf-8")
    numbers = page.fixture_numbers()
    assert numbers["fixture"]["name"] == "article" and len(numbers["rows"]) > 20
    text = page.numbers_html(numbers, page.HtmlFormatter(cssclass="hl"))
    assert 'fixtures.example(&quot;article&quot;)' in text or 'twinnet_example' in text
    assert str(ROOT) not in text and str(resources.data_dir()) not in text


def test_full_page_names_no_path_of_this_machine(full_page):
    for text in full_page:
        assert str(ROOT) not in text and str(resources.data_dir()) not in text and os.path.expanduser("~") not in text


@pytest.mark.parametrize("variant", VARIANTS)
def test_steps_appear_in_order_and_step_1_shows_only_the_initialisation(variant):
    text = page.page(numbers=False)
    section = text.split(f'<section id="{variant}">', 1)[1].split("</section>", 1)[0]
    shown = [int(number) for number in re.findall(r'<span class="n">Step (\d+)</span>', section)]
    assert shown == sorted(shown) and shown[0] == 0 and shown[-1] >= 4
    step_1 = section.split(f'id="{variant}-step-1"', 1)[1].split("</article>", 1)[0]
    code = re.sub(r"<[^>]+>", "", step_1.split('<div class="pair">', 1)[1])
    assert "for epoch" not in code and "for (epoch" not in code and ("params" in code or variant == "layered")
    if variant != "layered":  # the Layer-class loop holds its steps; the others' loop follows Step 1
        epoch = section.split(f'id="{variant}-epoch"', 1)[1].split("</article>", 1)[0]
        assert section.index(f'id="{variant}-epoch"') < section.index(f'id="{variant}-step-2"')
        assert "forward" in epoch and "for (epoch in seq_len(epochs))" in re.sub(r"<[^>]+>", "", epoch)


def test_every_source_text_names_its_author_and_address_or_where_it_was_found():
    text = page.page(numbers=False)
    for info in steps.TWINS.values():
        assert info.url or "unknown: found as" in info.text
        assert page.html.escape(info.text) in text
    assert "Sunil Ray" in text


def test_code_and_matrices_stay_inside_a_phone_screen():
    """At 390 px: code and matrices scroll inside their own boxes, maths lists wrap between items."""
    css = page.css()
    assert re.search(r"pre\.matrix \{[^}]*white-space: pre;", css)
    assert re.search(r"\.maths \{[^}]*overflow-x: auto;", css)
    from twinnet.reading import mathml
    assert mathml.line_html("w_h (d×h), b_h (1×h), w_o (h×1)").count("<math>") == 3


def write_fixture_link(directory, name):
    """A copy of a fixture, and a symbolic link ``name`` to it, in ``directory``."""
    fixture = directory / "fixture.json"
    fixture.write_bytes(fixtures.example("xor").read_bytes())
    (directory / name).symlink_to(fixture)
    return fixture, fixture.read_bytes()


def test_writing_the_page_at_a_link_to_a_fixture_is_refused(tmp_path):
    fixture, before = write_fixture_link(tmp_path, "side-by-side.html")
    with pytest.raises(safejson.FixtureError) as error:
        page.write_page(tmp_path / "side-by-side.html", numbers=False)
    assert error.value.code == "E_OUTPUT" and fixture.read_bytes() == before


def test_writing_the_errata_page_at_a_link_to_a_fixture_is_refused_and_nothing_is_written(tmp_path):
    fixture, before = write_fixture_link(tmp_path, "errata.html")
    with pytest.raises(safejson.FixtureError) as error:
        page.write_page(tmp_path / "side-by-side.html", numbers=False)
    assert error.value.code == "E_OUTPUT" and fixture.read_bytes() == before
    assert not (tmp_path / "side-by-side.html").exists()


def test_the_terminal_view_shows_the_epoch_loop_after_step_1():
    text = terminal.terminal("article", 120)
    assert text.index("Step 1 · initialize") < text.index(terminal.EPOCH_HEADING) < text.index("Step 2 · hidden")
    step_1 = text.split("Step 1 · initialize", 1)[1].split(terminal.EPOCH_HEADING, 1)[0]
    assert "for epoch" not in step_1 and "for (epoch" not in step_1


def test_writing_the_page_to_a_device_is_refused():
    with pytest.raises(safejson.FixtureError) as error:
        page.write_page("/dev/full", numbers=False)
    assert error.value.code == "E_OUTPUT"


def test_an_interrupted_page_write_leaves_the_old_page_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "side-by-side.html"
    target.write_text("the old page", encoding="utf-8")

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr("twinnet.results.os.fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        page.write_page(target, numbers=False)
    assert target.read_text(encoding="utf-8") == "the old page"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["side-by-side.html"]


@pytest.mark.needs_r
def test_the_committed_page_is_what_make_docs_writes(full_page):
    """The page rounds for display and says agreement in words, so make docs writes the same file on every
    CPU, and the committed one stays current."""
    assert full_page[0] == (ROOT / "docs" / "side-by-side.html").read_text(encoding="utf-8"), "run make docs"
    assert full_page[1] == (ROOT / "docs" / "errata.html").read_text(encoding="utf-8"), "run make docs"


def test_the_why_box_derives_the_hidden_delta_from_the_chain_rule():
    """Beside the article's Step 9, four lines of the chain rule and the sentence on descent and gradient."""
    text = page.page(numbers=False)
    box = text.split('id="article-why-9"', 1)[1].split("</details>", 1)[0]
    assert box.count("<li>") == 4 and "δₕ = (δₒ·wₒᵀ) ⊙ σ′(H)" in box
    assert "the descent −∂L/∂(·)" in box and "the gradient ∂L/∂(·) is its negative" in box
    assert text.index('id="article-step-9"') < text.index('id="article-why-9"') < text.index('id="article-step-10"')
