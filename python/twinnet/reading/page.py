"""The twins side by side as one HTML page (``make docs``), and the errata as HTML beside it.

The steps are cut from the real source files by :mod:`twinnet.reading.steps`, with maths and porter's notes
from :mod:`twinnet.reading.stepmaths`.  One self-contained file: inline CSS (``page.css``, packaged), no
scripts, no network, printable.  Values traced and trained from packaged fixtures in both languages are
rounded to 6 significant digits and said to agree within the parity tolerance, so the page is the same on
every CPU (``twinnet trace`` prints full precision).  Text from a fixture or a file is escaped; both pages
are written with :func:`twinnet.results.write_atomic`.  The terminal view is :mod:`twinnet.reading.terminal`.
A little over 400 lines: the step page and the errata page share their HTML and escaping helpers.
"""

from __future__ import annotations

import html
import re
import textwrap
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

import numpy as np
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer, SLexer

from .. import fixtures, parity, rbridge, resources, results, trace
from . import mathml, numbers, stepmaths, steps
from .stepmaths import variant_view

LANGUAGE_NAMES = {"python": "Python (numpy)", "r": "R (base R)"}
LEXERS = {"python": PythonLexer, "r": SLexer}
PYGMENTS_STYLE = "default"
NUMBERS_FIXTURE = "article"  # the packaged fixture whose trained numbers close the page
LOSS_EPOCHS = (1, 2, 10, 100, 1000, 5000)
DIGITS = 6  # significant digits shown: enough to read, too few for a last-ULP difference between CPUs to show
FULL_MATRIX = 16  # a quantity with at most this many elements is shown in full, a larger one abbreviated
ABBREVIATED = (3, 4)  # the top-left rows × columns shown of a larger one
SHORT_STEP = 7  # a step with fewer code lines than this is kept on one printed page
EPOCH_HEADING = ("Each epoch", "the steps that follow, called in order")


def css() -> str:
    """The page's style sheet, ``page.css`` of the installed package."""
    return importlib_resources.files("twinnet.reading").joinpath("page.css").read_text(encoding="utf-8")


def page(numbers: bool = True) -> str:
    """The whole page as one HTML string; ``numbers=False`` leaves out the
    numbers (each step's epoch-1 values and the fixture-numbers section: they
    run both languages)."""
    formatter = HtmlFormatter(style=PYGMENTS_STYLE, cssclass="hl")
    body, shown_notes = [_intro()], set[str]()
    for index, variant in enumerate(steps.TWINS):
        values = example_values(variant) if numbers else None
        body.append(_variant_html(variant, formatter, first=index == 0, values=values, shown_notes=shown_notes))
    if numbers:
        body.append(numbers_html(fixture_numbers(), formatter))
    body.append(_rule_html())
    return _document("twinnet: Python and R side by side", css() + formatter.get_style_defs(".hl"), body)


def write_page(path: str | Path, numbers: bool = True) -> Path:
    """Write the page to ``path``, and the errata as HTML beside it (``errata.html``, which the page links
    to), each through :func:`twinnet.results.write_atomic`, both paths checked first; returns the page's path."""
    path, errata = Path(path), Path(path).parent / "errata.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    for target in (path, errata):
        results.check_output_path(target)
    root = resources.checkout("writing the side-by-side page")
    markdown = (root / "docs" / "errata.md").read_text(encoding="utf-8")
    results.write_atomic(path, page(numbers))
    results.write_atomic(errata, errata_page(markdown))
    return path


def example_values(variant: str) -> list[dict[str, Any]]:
    """Epoch 1 of the variant's packaged example fixture, traced in Python and
    in R: the rows of :func:`twinnet.reading.numbers.differences`."""
    path = resources.data_dir() / steps.TWINS[variant].example
    return numbers.differences(trace.trace_fixture(path), rbridge.trace_fixture(path))


def _document(title, style, body):
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{style}\n</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def _intro():
    links = "".join(f'<a href="#{name}">{html.escape(info.heading)}</a>' for name, info in steps.TWINS.items())
    return f"""<header>
<h1>twinnet: Python and R side by side</h1>
<p class="lead">Three small neural networks, each written twice, in Python (numpy) and in base R, and checked to
train to the same numbers. Every step below shows its maths (corrected where the source text is wrong; see the
<a href="errata.html">errata</a>), then the Python lines and the R lines that compute it, cut from the real source
files at their <code># Step N: title</code> markers, so this page cannot drift from the code, and then, folded, the
values the step computes in the first epoch of the variant's example fixture, in both languages. Generated by
<code>make docs</code>; regenerate it after changing the code.</p>
<nav>{links}<a href="#numbers">One fixture's numbers</a><a href="#rule">How the code is cut</a></nav>
</header>"""


def _variant_html(variant: str, formatter: HtmlFormatter, first: bool = False, values: list[dict] | None = None,
                  shown_notes: set[str] | None = None) -> str:
    """One variant's section.  ``shown_notes``, the topics of the porter's notes shown in earlier sections, is
    updated: a note is written out once on the page, and later sections link to it."""
    shown_notes = set() if shown_notes is None else shown_notes
    info = steps.TWINS[variant]
    step_list, helpers = variant_view(variant)
    source = (f'<a href="{html.escape(info.url)}">{html.escape(info.text)}</a>' if info.url
              else html.escape(info.text))
    parts = [f'<section id="{html.escape(variant)}">',
             f'<h2{" class=first" if first else ""}>{html.escape(info.heading)} '
             f'<small>(<code>{html.escape(variant)}</code>)</small></h2>',
             f'<p class="lead">Follows {source}. Python: <code>{html.escape(info.python)}</code>; '
             f'R: <code>{html.escape(info.r)}</code>.</p>']
    if values is not None:
        parts.append(f'<p class="lead">Under each step, “Epoch 1 values” unfolds what the step computes in the first '
                     f'epoch of the packaged fixture <code>{html.escape(info.example)}</code> (the untrained '
                     'network’s pass and its first update) in each language, as matrices in the twin’s own layout, '
                     f'rounded to {DIGITS} significant digits; “agree” means within the parity tolerance '
                     f'{parity.TOLERANCE:g}. <code>python -m twinnet trace</code> prints every value at full '
                     'precision.</p>')
    last_block: dict[int, int] = {}
    for index, section in enumerate(step_list):
        for number, _ in section["headings"]:
            last_block[number] = index
    seen: list[int] = []
    for index, section in enumerate(step_list):
        if section["loop"]:
            parts.append(f'<article class="step epoch" id="{html.escape(variant)}-epoch"><h3><span class="n">'
                         f'{EPOCH_HEADING[0]}</span>{EPOCH_HEADING[1]}</h3>'
                         f'{_pair_html(section["python"], section["r"], formatter)}'
                         f'{_notes_html(section["notes"], shown_notes)}</article>')
            continue
        numbers_here = [number for number, _ in section["headings"]]
        part = seen.count(numbers_here[0]) + 1
        anchor = f"{variant}-step-{numbers_here[0]}" + (f"-part-{part}" if part > 1 else "")
        heads = "".join(f'<h3><span class="n">Step {number}</span>{html.escape(text)}'
                        + (" <small>(continued)</small>" if number in seen else "") + "</h3>"
                        for number, text in section["headings"])
        maths = "".join(_maths_html(item) for _, item in section["maths"])
        shown = "".join(_values_html(variant, number, values) for number in numbers_here
                        if values is not None and last_block[number] == index)
        seen += numbers_here
        notes = _notes_html(section["notes"], shown_notes) + "".join(_why_html(variant, number)
                                                                    for number in numbers_here)
        short = max(section["python"].code.count("\n"), section["r"].code.count("\n")) < SHORT_STEP
        parts.append(f'<article class="step{" short" if short else ""}" id="{html.escape(anchor)}">{heads}{maths}'
                     f'{_pair_html(section["python"], section["r"], formatter)}{notes}{shown}</article>')
    if helpers:
        parts.append(f'<h3 id="{variant}-outside">Outside the steps</h3><p>Definitions the steps use that hold no '
                     "step marker, paired by name.</p>")
    for helper in helpers:
        parts.append(f'<article class="step" id="{variant}-def-{html.escape(helper["name"].lower())}">'
                     f'<h3><code>{html.escape(helper["name"])}</code></h3>'
                     f'{_pair_html(helper["python"], helper["r"], formatter)}'
                     f'{_notes_html(helper["notes"], shown_notes)}</article>')
    parts.append("</section>")
    return "\n".join(parts)


def _why_html(variant: str, number: int) -> str:
    """The "Why" box of a step, or ""."""
    if (variant, number) not in stepmaths.WHY:
        return ""
    title, lines, note = stepmaths.WHY[variant, number]
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return (f'<details class="why" id="{variant}-why-{number}" open><summary>{html.escape(title)}</summary>'
            f"<ol>{items}</ol><p>{html.escape(note)}</p></details>")


def _values_html(variant, number, rows):
    """A step's epoch-1 values in Python and R, as matrices, folded in a <details>."""
    entries = [row for row in rows if row["step"] == number]
    if not entries:
        return ""
    names = ", ".join(f"<code>{html.escape(row['name'])}</code>" for row in entries)
    verdict = "agree" if all(numbers.agrees(row) for row in entries) else "differ"
    body = "".join(_quantity_row(row) for row in entries)
    return (f'<details class="values" id="{variant}-values-{number}" data-step="{number}">'
            f"<summary>Epoch 1 values, Python and R: {names} "
            f'<span class="agree">{verdict}</span></summary>'
            '<div class="scroll"><table class="vals"><thead><tr><th>quantity</th><th>Python</th>'
            f"<th>R</th><th>Python − R</th></tr></thead><tbody>{body}</tbody></table></div></details>")


def _quantity_row(row):
    """One quantity: both languages' matrices (the top-left corner of a large one) and whether they agree."""
    python, r = row["python"], row["r"]
    rows, columns = python.shape
    corner = python.shape if python.size <= FULL_MATRIX else tuple(map(min, python.shape, ABBREVIATED))
    more = ("" if corner == (rows, columns) else
            f'<span class="more">the top-left {corner[0]}×{corner[1]} of {rows}×{columns}</span>')
    verdict = (f'<td class="ok">agree (within {parity.TOLERANCE:g})</td>' if numbers.agrees(row)
               else f'<td class="off">max |Δ| {row["max_abs"]:.1e}</td>')
    return (f'<tr><th scope="row"><code>{html.escape(row["name"])}</code><span class="shape">{rows}×{columns}'
            f"</span>{more}</th><td>{matrix_html(python[:corner[0], :corner[1]])}</td>"
            f"<td>{matrix_html(r[:corner[0], :corner[1]])}</td>{verdict}</tr>")


def matrix_html(values: np.ndarray) -> str:
    """A matrix as rows of numbers rounded to :data:`DIGITS` significant digits, each column aligned; an
    entry within the parity tolerance of 0 (scaled by the matrix's largest) is 0, as one CPU may leave a
    residue where another finds 0."""
    matrix = np.atleast_2d(np.asarray(values, dtype=float))
    floor = parity.TOLERANCE * max(1.0, float(np.max(np.abs(matrix), initial=0.0)))
    cells = [[rounded(0.0 if abs(value) <= floor else value) for value in row] for row in matrix]
    widths = [max(len(cell) for cell in column) for column in zip(*cells, strict=True)]
    lines = ("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in cells)
    return f'<pre class="matrix">{html.escape(chr(10).join(lines))}</pre>'


def rounded(value: float) -> str:
    """A double rounded to :data:`DIGITS` significant digits for display (``-0`` shown as ``0``)."""
    return "0" if float(value) == 0 else f"{float(value):.{DIGITS}g}"


def _maths_html(maths):
    lines = "".join(f"<p>{mathml.line_html(line)}</p>" for line in maths.lines)
    fix = ""
    if maths.text_says or maths.errata:
        said = f"The text says {_inline_code(maths.text_says)}. " if maths.text_says else ""
        links = ", ".join(f'<a href="errata.html#{item}">{item}</a>' for item in maths.errata)
        fix = f'<p class="fix">{said}See errata {links}.</p>'
    return f'<div class="maths">{lines}</div>{fix}'


def _pair_html(python, r, formatter):
    return f'<div class="pair">{_code_html(python, "python", formatter)}{_code_html(r, "r", formatter)}</div>'


def _code_html(block, language, formatter):
    label = f'<b class="{language}">{LANGUAGE_NAMES[language]}</b>'
    if block is None:
        return f'<figure><figcaption>{label}</figcaption><div class="none">no counterpart</div></figure>'
    code = _highlight(block.code, language, formatter)
    return (f'<figure class="code-{language}"><figcaption>{label}{html.escape(block.location)}</figcaption>'
            f"{code}</figure>")


def _highlight(code, language, formatter):
    """Pygments HTML with every source line in its own block-level span that
    knows its indentation (``--i``), so that where a line must wrap (on paper)
    its continuation hangs 4 columns inside the line's own indentation."""
    out = highlight(code + "\n", LEXERS[language](), formatter)
    head, rest = out.split("<pre>", 1)
    body, tail = rest.rsplit("</pre>", 1)
    lines = body.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    indents = [len(line) - len(line.lstrip(" ")) for line in code.splitlines()]
    indents += [0] * (len(lines) - len(indents))
    return head + "<pre>" + "".join(f'<span class="ln" style="--i:{indent}ch">{line}</span>'
                                    for line, indent in zip(lines, indents, strict=True)) + "</pre>" + tail


def _notes_html(notes, shown=None):
    """The porter's notes of a step: written out the first time on the page, linked to after that."""
    shown = set() if shown is None else shown
    if not notes:
        return ""
    new = [note for note in notes if note.topic not in shown]
    seen = [note for note in notes if note.topic in shown]
    shown.update(note.topic for note in new)
    out = ""
    if new:
        out += '<ul class="notes">' + "".join(f'<li id="note-{_slug(note.topic)}">{_inline_code(note.text)}</li>'
                                              for note in new) + "</ul>"
    if seen:
        links = ", ".join(f'<a href="#note-{_slug(note.topic)}">{html.escape(note.topic)}</a>' for note in seen)
        out += f'<p class="seen">Porter’s notes above that apply here too: {links}.</p>'
    return out


def _slug(text):  # a note's topic as an id
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _inline_code(text):
    """Escape text, turning `backquoted` spans into <code>."""
    pieces = html.escape(text).split("`")
    return "".join(f"<code>{piece}</code>" if index % 2 else piece for index, piece in enumerate(pieces))


# The numbers section ---------------------------------------------------------------------

def fixture_numbers(name: str = NUMBERS_FIXTURE) -> dict[str, Any]:
    """Initial parameters and a few trained values of a packaged fixture, in
    both languages: {"fixture", "rows"} where each row is (python_name,
    r_name, python_value, r_value)."""
    path = fixtures.example(name)
    fixture = fixtures.read_fixture(path)
    python, r = parity.trained(path, "python"), parity.trained(path, "r")
    rows = []
    matrices = [(key, python["params"][key], r["params"][key]) for key in python["params"]]
    for key, left, right in [*matrices, ("output", python["output"], r["output"])]:
        rows += [(f"{key}[{index[0]}, {index[1]}]", f"{key}[{index[0] + 1}, {index[1] + 1}]", left[index],
                  right[index]) for index in np.ndindex(left.shape)]
        if key == matrices[-1][0]:
            rows += [(f"loss[{epoch - 1}]", f"loss[{epoch}]", python["loss"][epoch - 1], r["loss"][epoch - 1])
                     for epoch in LOSS_EPOCHS if epoch <= len(python["loss"])]
    return {"fixture": fixture, "rows": rows}


def _agreement(a, b):
    gap = abs(float(a) - float(b))
    ok = numbers.agrees({"max_abs": gap, "scale": max(1.0, abs(float(a)), abs(float(b)))})
    return '<td class="ok">agree</td>' if ok else f'<td class="off">|Δ| {gap:.1e}</td>'


def numbers_html(numbers: dict[str, Any], formatter: HtmlFormatter) -> str:
    """The section of one fixture's numbers (:func:`fixture_numbers`); every text from the fixture escaped."""
    fixture = numbers["fixture"]
    hyper, name = fixture["hyper"], html.escape(str(fixture["name"]))
    init = "".join(f"<tr><td><code>{html.escape(str(key))}</code></td><td>{value.shape[0]}×{value.shape[1]}</td>"
                   f"<td>{matrix_html(value)}</td></tr>" for key, value in fixture["init"].items())
    rows = "".join(
        f"<tr><td><code>{html.escape(python_name)}</code></td><td><code>{html.escape(r_name)}</code></td>"
        f"<td class=num>{rounded(python_value)}</td><td class=num>{rounded(r_value)}</td>"
        f"{_agreement(python_value, r_value)}</tr>"
        for python_name, r_name, python_value, r_value in numbers["rows"])
    quoted = repr(str(fixture["name"])).replace("'", '"')
    python_code = ('import twinnet\n'
                   f'result = twinnet.train_fixture(twinnet.example({quoted}))\n'
                   'result["params"]["wout"][0, 0]   # indices from 0\n'
                   'result["loss"][-1]               # the last epoch')
    r_code = ('library(twinnet)\n'
              f'fit <- train_fixture(twinnet_example({quoted}))\n'
              'fit$params$wout[1, 1]              # indices from 1\n'
              'fit$loss[length(fit$loss)]         # the last epoch')
    pair = (f'<div class="pair"><figure><figcaption><b class="python">{LANGUAGE_NAMES["python"]}</b></figcaption>'
            f'{_highlight(python_code, "python", formatter)}</figure><figure><figcaption><b class="r">'
            f'{LANGUAGE_NAMES["r"]}</b></figcaption>{_highlight(r_code, "r", formatter)}</figure></div>')
    return f"""<section id="numbers">
<h2>One fixture's numbers: <code>{name}</code></h2>
<p>The fixture <code>{name}</code>, packaged with twinnet: {html.escape(str(fixture.get("description", "")))}</p>
<p>n = {len(fixture["data"]["X"])} samples, d = {fixture["data"]["X"].shape[1]} features,
h = {html.escape(str(hyper["hidden"]))}, lr = {html.escape(str(hyper["lr"]))}, {html.escape(str(hyper["epochs"]))}
epochs. Both languages read these initial parameters from the same JSON file and get the same doubles (a test
checks it). Values are rounded to {DIGITS} significant digits (<code>twinnet trace</code>: full precision).</p>
<div class="scroll"><table><tr><th>initial</th><th>shape</th><th>values</th></tr>{init}</table></div>
<p>After training, each language's numbers. The R values come back through rpy2, which copies R's column-major
matrices into numpy arrays of the same shape: one element has Python's index first and R's, one higher, second.</p>
{pair}
<div class="scroll"><table><tr><th>Python</th><th>R</th><th>Python value</th><th>R value</th><th>Python − R</th>
</tr>{rows}</table></div>
<p>“agree” means within {parity.TOLERANCE:g} of each other, not bit-identical: <code>python -m twinnet parity</code>
shows the differences and their ULPs on this machine, <code>python -m twinnet doctor</code> says why.</p>
</section>"""


def _rule_html():
    rule = textwrap.dedent((steps.__doc__ or "").split("The rule, the same for both languages:", 1)[1]).strip()
    items = [" ".join(item.split()) for item in rule.split("\n- ") if item.strip()]
    lis = "".join(f"<li>{_inline_code(item.lstrip('- ').replace('**', '').replace('``', '`'))}</li>"
                  for item in items)
    return f"""<section id="rule">
<h2>How the code is cut</h2>
<p>The code of a step is taken from the twins by <code>python/twinnet/reading/steps.py</code> with one rule for
both languages. A test fails when a marker is in one twin and not the other, or when the order differs.</p>
<ul>{lis}</ul>
</section>"""


# The errata as HTML ------------------------------------------------------------------------

def errata_page(markdown: str) -> str:
    """docs/errata.md as one HTML page, with its item anchors (``<a id="A1">``), so that the side-by-side page
    can link to an item from file:// too.  Knows what errata.md uses: headings, tables, paragraphs, `code`,
    **bold**, *italics* and [links](url)."""
    blocks, out = re.split(r"\n\s*\n", markdown.strip()), []
    for block in blocks:
        lines = block.splitlines()
        anchors = [re.fullmatch(r'<a id="([AWL]\d+)"></a>', line) for line in lines]
        ids = [match.group(1) for match in anchors if match]
        lines = [line for line, match in zip(lines, anchors, strict=True) if not match]
        if not lines:
            continue
        heading = re.match(r"(#+) (.*)", lines[0])
        if heading:
            level = len(heading.group(1))
            out.append(f"<h{level}>{_markdown_inline(heading.group(2))}</h{level}>")
        elif lines[0].startswith("|"):
            rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines
                    if not re.fullmatch(r"\|[-| :]+\|", line.strip())]
            head = "".join(f"<th>{_markdown_inline(cell)}</th>" for cell in rows[0])
            body = "".join("<tr>" + "".join(f"<td>{_markdown_inline(cell)}</td>" for cell in row) + "</tr>"
                           for row in rows[1:])
            out.append(f'<div class="scroll"><table><tr>{head}</tr>{body}</table></div>')
        else:
            attribute = f' id="{ids[0]}"' if ids else ""
            out.append(f"<p{attribute}>{_markdown_inline(' '.join(lines))}</p>")
    lead = ('<p class="lead">Generated from <code>docs/errata.md</code> by <code>make docs</code>; back to '
            '<a href="side-by-side.html">the twins side by side</a>.</p>')
    return _document("twinnet: errata of the three source texts", css() + "p[id]:target { background: var(--note); }",
                     [lead, *out])


def _markdown_inline(text):
    pieces = html.escape(text).split("`")
    out = []
    for index, piece in enumerate(pieces):
        if index % 2:
            out.append(f"<code>{piece}</code>")
            continue
        piece = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", piece)
        piece = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", piece)
        piece = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r'<a href="\2">\1</a>', piece)
        out.append(piece)
    return "".join(out)
