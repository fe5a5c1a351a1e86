"""The twins side by side: a static HTML page (``make docs``) and a terminal view.

Each variant's steps come from the real source files, cut at the step markers
by :mod:`twinnet.steps`; the maths and the porter notes come from
:mod:`twinnet.stepmaths`.  The page is one self-contained file: inline CSS,
no scripts, no network, printable.  Its last section shows the article
fixture's numbers as each language computes them, trained through
:mod:`twinnet.rbridge`.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer, SLexer

from .. import fixtures, parity, rbridge, resources, trace, training
from . import mathml, numbers, steps
from .stepmaths import MATHS, NOTES, Maths

LANGUAGE_NAMES = {"python": "Python (numpy)", "r": "R (base R)"}
LEXERS = {"python": PythonLexer, "r": SLexer}
PYGMENTS_STYLE = "default"
NUMBERS_FIXTURE = "shared_fixtures/article.json"
LOSS_EPOCHS = (1, 2, 10, 100, 1000, 5000)
FULL_MATRIX = 16  # a quantity with at most this many elements is shown in full, a larger one abbreviated
ABBREVIATED = (3, 4)  # the top-left rows × columns shown of a larger one
SHORT_STEP = 7  # a step with fewer code lines than this is kept on one printed page


def sections(variant: str) -> list[dict[str, Any]]:
    """The variant's steps for display: one dict per block of code, in order,
    with headings, maths, both languages' code and the notes that apply."""
    seen: list[int] = []
    shown_notes: set[str] = set()
    result: list[dict[str, Any]] = []
    for python, r in steps.paired_blocks(variant):
        headings, maths = [], []
        for python_marker, r_marker in zip(python.markers, r.markers, strict=True):
            number = python_marker.number
            text = python_marker.text if python_marker.text == r_marker.text else python_marker.title
            headings.append((number, text))
            maths.append((number, maths_of(variant, number, seen.count(number))))
            seen.append(number)
        result.append({"headings": headings, "maths": maths, "python": python, "r": r,
                       "notes": _new_notes(python.code, r.code, shown_notes)})
    return result


def maths_of(variant: str, number: int, occurrence: int = 0) -> Maths:
    """The Maths of a step: the entry for its number, or the entry for this
    occurrence when a number has several markers."""
    entry = MATHS[(variant, number)]
    return entry if isinstance(entry, Maths) else entry[occurrence]


def helper_sections(variant: str, shown_notes: set[str] | None = None) -> list[dict[str, Any]]:
    """The definitions outside the steps, paired by name, with their notes."""
    shown_notes = set() if shown_notes is None else shown_notes
    result = []
    for python, r in steps.paired_definitions(variant):
        name = next(side.name for side in (python, r) if side is not None)
        notes = _new_notes(python.code, r.code, shown_notes) if python and r else []
        result.append({"name": name, "python": python, "r": r, "notes": notes})
    return result


def _new_notes(python_code, r_code, shown):
    """The notes that apply to this code and were not shown earlier in the variant."""
    notes = [note for note in NOTES if note.topic not in shown and note.applies(python_code, r_code)]
    shown.update(note.topic for note in notes)
    return notes


def _variant_view(variant):
    """Steps and helpers of a variant, a note shown once per variant."""
    step_list = sections(variant)
    shown = {note.topic for section in step_list for note in section["notes"]}
    return step_list, helper_sections(variant, shown)


# The terminal view ------------------------------------------------------------------------

PIPED_WIDTH = 100  # columns when the output is not a terminal and COLUMNS is not set
ANSI = {"heading": "\033[1;36m", "dim": "\033[2m", "python": "\033[1;34m", "r": "\033[1;35m", "reset": "\033[0m"}


def terminal_width(width: int | None = None, stream: Any = None) -> int:
    """Columns for the terminal view: ``width`` when given, else ``COLUMNS``, else the terminal's width when
    ``stream`` is a terminal, else 100."""
    if width:
        return width
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    stream = sys.stdout if stream is None else stream
    if hasattr(stream, "isatty") and stream.isatty():
        return shutil.get_terminal_size((PIPED_WIDTH, 40)).columns
    return PIPED_WIDTH


def use_colour(stream: Any = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    stream = sys.stdout if stream is None else stream
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def terminal(variant: str, width: int | None = None, colour: bool = False) -> str:
    """The variant's steps as two plain-text columns, Python left and R right, step by step: each step's two
    pieces of code side by side, the shorter padded with blank rows, long lines wrapped at spaces with a
    hanging indent.  ``width`` defaults to :func:`terminal_width`; ``colour`` adds ANSI colours."""
    width = max(40, terminal_width(width))
    column = (width - 3) // 2
    paint = (lambda text, kind: f"{ANSI[kind]}{text}{ANSI['reset']}") if colour else (lambda text, kind: text)
    info = steps.TWINS[variant]
    step_list, helpers = _variant_view(variant)
    rule = "=" * (2 * column + 3)
    out = [paint(f"{info.heading} ({variant})", "heading")]
    out += _prose(f"follows {info.text}" + (f", {info.url}" if info.url else ""), width, "")
    out += [f"{paint('Python', 'python')}: {info.python}    {paint('R', 'r')}: {info.r}", ""]
    for section in step_list:
        out.append(paint(rule, "dim"))
        for number, heading in section["headings"]:
            out.append(paint(f"Step {number} · {heading}", "heading"))
        for _, maths in section["maths"]:
            for line in maths.lines:
                out += _prose(line, width, "  ")
            if maths.text_says:
                out += _prose(f"the text says: {maths.text_says} (docs/errata.md {', '.join(maths.errata)})",
                              width, "  ")
        out += _columns(section["python"], section["r"], column, paint)
        for note in section["notes"]:
            out += _prose(f"note: {note.text}", width, "  ")
    if helpers:
        out += [paint(rule, "dim"), paint("Outside the steps: definitions the steps call", "heading")]
    for helper in helpers:
        out += ["", f"{helper['name']}"] + _columns(helper["python"], helper["r"], column, paint)
        for note in helper["notes"]:
            out += _prose(f"note: {note.text}", width, "  ")
    return "\n".join(out) + "\n"


def _prose(text, width, indent):
    """A paragraph wrapped to the terminal's width, with a hanging indent."""
    return textwrap.wrap(text, width=max(40, width), initial_indent=indent, subsequent_indent=indent + "  ",
                         break_long_words=False, break_on_hyphens=False)


def _columns(python, r, column, paint=lambda text, kind: text):
    """Two pieces of code beside each other, each wrapped to ``column``; the shorter is padded with blank rows."""
    heads = [[(line, "dim") for line in _wrap(block.location if block else "(none)", column)] for block in (python, r)]
    height = max(map(len, heads))
    left, right = ([*head, *[("", "")] * (height - len(head)), ("-" * column, "dim")] for head in heads)
    left += [(line, "") for line in _wrap(python.code if python else "", column)]
    right += [(line, "") for line in _wrap(r.code if r else "", column)]
    rows = max(len(left), len(right))
    left += [("", "")] * (rows - len(left))
    right += [("", "")] * (rows - len(right))

    def cell(text, kind, pad):
        shown = text[:column].ljust(column) if pad else text[:column]
        comment = text.lstrip().startswith(("#", "↪ #"))
        return paint(shown, kind or "dim") if kind or (comment and paint("", "dim")) else shown

    return [(cell(*a, True) + " " + paint("|", "dim") + " " + cell(*b, False)).rstrip()
            for a, b in zip(left, right, strict=True)]


def _wrap(code, column):
    """Code lines wrapped to ``column`` characters at spaces, never inside a name; a continuation keeps the
    line's indentation plus four spaces (a hanging indent).  Only a name longer than the column is cut."""
    out = []
    for line in code.splitlines():
        if len(line) <= column:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        hanging = indent + "    " if len(indent) + 4 < column // 2 else indent
        pieces = textwrap.wrap(line.strip(), width=column, initial_indent=indent, subsequent_indent=hanging,
                               break_long_words=False, break_on_hyphens=False, drop_whitespace=True)
        for piece in pieces:
            if len(piece) > column and len(piece.strip()) <= column:  # a long name: less indentation, not cut
                piece = piece.strip().rjust(column)
            while len(piece) > column:  # a single name wider than the column
                out.append(piece[:column])
                piece = hanging + piece[column:]
            out.append(piece)
    return out


# The HTML page ---------------------------------------------------------------------------

CSS = """
:root { --py: #3572a5; --r: #1f65b7; --rule: #d0d7de; --muted: #57606a; --note: #fff8e1; --fix: #fdecea;
        --mono: ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1f2328; margin: 0 auto; max-width: 1500px; padding: 1.5rem 2rem 4rem; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; }
h2 { font-size: 1.35rem; border-bottom: 2px solid var(--rule); padding-bottom: .3rem; margin-top: 2.5rem; }
h3 { font-size: 1.05rem; margin: 0 0 .4rem; }
h3 .n { display: inline-block; min-width: 4.8em; color: var(--muted); font-weight: 600; }
a { color: #0969da; }
nav { display: flex; flex-wrap: wrap; gap: .2rem 1.2rem; background: #f6f8fa; border: 1px solid var(--rule);
      border-radius: 6px; padding: .5rem 1rem; }
.lead { color: var(--muted); margin-top: 0; }
p code, li code, summary code, th code { overflow-wrap: break-word; }
.step { border: 1px solid var(--rule); border-radius: 6px; padding: .8rem 1rem; margin: 1rem 0; min-width: 0; }
.maths { font-size: 1.05rem; margin: .2rem 0 .5rem; padding-left: .8rem; border-left: 3px solid #8250df;
         overflow-x: auto; }
.maths p { margin: .15rem 0; }
math { font-family: "STIX Two Math", "Latin Modern Math", "Cambria Math", math; font-size: 1.1em; }
.fix { background: var(--fix); border-radius: 4px; padding: .25rem .6rem; margin: .3rem 0 .6rem;
       font-size: .9rem; }
.pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: .8rem; }
figure { margin: 0; min-width: 0; }
figcaption { font-size: .8rem; color: var(--muted); margin-bottom: .2rem; overflow-wrap: break-word; }
figcaption b { color: #fff; border-radius: 3px; padding: 0 .4rem; margin-right: .4rem; font-weight: 600; }
figcaption b.python { background: var(--py); }
figcaption b.r { background: var(--r); }
.hl { background: #f6f8fa; border: 1px solid #e6e9ed; border-radius: 4px; min-width: 0; }
/* code never wraps: a long line scrolls inside its own box, indentation and identifiers intact */
.hl pre { margin: 0; padding: .55rem .7rem; white-space: pre; overflow-x: auto;
          font: 12.5px/1.45 var(--mono); }
.hl pre .ln { display: block; min-height: 1.45em; }
ul.notes { margin: .6rem 0 0; padding: 0; list-style: none; }
ul.notes li { background: var(--note); border-radius: 4px; padding: .25rem .6rem; margin-top: .3rem;
              font-size: .9rem; }
ul.notes li::before { content: "porter's note: "; font-weight: 600; }
p.seen { font-size: .85rem; color: var(--muted); margin: .4rem 0 0; }
code { font: .9em var(--mono); background: #eff1f3; padding: 0 .2em; border-radius: 3px; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: .6rem 0 1.2rem; font-size: .88rem; }
th, td { border: 1px solid var(--rule); padding: .2rem .55rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { font-family: var(--mono); text-align: right; white-space: nowrap; }
details.values { margin-top: .6rem; border-top: 1px dashed var(--rule); padding-top: .4rem; }
details.values summary { cursor: pointer; font-size: .9rem; }
details.values .agree { color: var(--muted); white-space: nowrap; }
table.vals { font-size: .82rem; margin: .4rem 0 .2rem; }
table.vals th[scope=row] { font-weight: normal; background: #fbfbfc; }
table.vals .shape { display: block; color: var(--muted); font-size: .85em; }
table.vals .more { color: var(--muted); font-style: italic; }
.none { color: var(--muted); font-style: italic; padding: .5rem; }
@media screen and (max-width: 900px) { .pair { grid-template-columns: minmax(0, 1fr); } body { padding: 1rem; } }
@media screen and (max-width: 480px) {
  body { padding: .6rem; font-size: 14px; }
  .step { padding: .6rem .6rem; }
  h3 .n { min-width: 0; margin-right: .5em; }
}
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 9pt; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  .pair { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
  /* one size for code, notes, maths and tables; a step's heading, code and notes on one page */
  .hl pre, ul.notes li, p.seen, .fix, .maths, table, figcaption { font-size: 8.5pt; }
  /* paper cannot scroll: a long line wraps between words, its continuation 4 columns inside its indentation */
  .hl pre { white-space: pre-wrap; overflow: visible; }
  .hl pre .ln { padding-left: calc(var(--i, 0ch) + 4ch); text-indent: calc(-1 * var(--i, 0ch) - 4ch); }
  /* a short step stays on one page; a long one may continue on the next, but never splits a heading from its
     maths, a maths or note box, a table row or a line of code (whole steps kept together leave pages empty) */
  .step.short, .maths, .fix, ul.notes li, p.seen, h3, tr, .hl pre .ln { break-inside: avoid; }
  h2, h3, .maths, .fix, figcaption { break-after: avoid; }
  .scroll, .maths { overflow: visible; }
}
"""


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
        body.append(_numbers_html(NUMBERS_FIXTURE, formatter))
    body.append(_rule_html())
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>twinnet: Python and R side by side</title>\n<style>" + CSS
            + formatter.get_style_defs(".hl") + "\n</style>\n</head>\n<body>\n" + "\n".join(body)
            + "\n</body>\n</html>\n")


def write_page(path: str | Path, numbers: bool = True) -> Path:
    """Write the page to ``path``, and the errata as HTML beside it
    (``errata.html``, which the page links to); returns the page's path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(numbers), encoding="utf-8")
    root = resources.checkout("writing the side-by-side page")
    errata = (root / "docs" / "errata.md").read_text(encoding="utf-8")
    (path.parent / "errata.html").write_text(errata_page(errata), encoding="utf-8")
    return path


def example_values(variant: str) -> list[dict[str, Any]]:
    """Epoch 1 of the variant's example fixture, traced in Python and in R:
    the rows of :func:`twinnet.reading.numbers.differences`."""
    root = resources.checkout("writing the side-by-side page")
    path = root / "shared_fixtures" / steps.TWINS[variant].example
    return numbers.differences(trace.trace_fixture(path), rbridge.trace_fixture(path))


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
    step_list, helpers = _variant_view(variant)
    source = (f'<a href="{html.escape(info.url)}">{html.escape(info.text)}</a>' if info.url
              else html.escape(info.text))
    parts = [f'<section id="{variant}">',
             f'<h2{" class=first" if first else ""}>{html.escape(info.heading)} '
             f'<small>(<code>{variant}</code>)</small></h2>',
             f'<p class="lead">Follows {source}. Python: <code>{info.python}</code>; R: <code>{info.r}</code>.</p>']
    if values is not None:
        parts.append(f'<p class="lead">Under each step, “Epoch 1 values” unfolds what the step computes in the first '
                     f'epoch of <code>shared_fixtures/{info.example}</code> (the untrained network’s pass and its '
                     'first update), as <code>python -m twinnet trace</code> prints it, in each language: shortest '
                     'round-trip digits, |Δ| the absolute difference, ULP the number of doubles between the two. '
                     'Indices count from 0 as in Python (R’s are one higher); matrices are in the twin’s own '
                     'layout.</p>')
    last_block: dict[int, int] = {}
    for index, section in enumerate(step_list):
        for number, _ in section["headings"]:
            last_block[number] = index
    seen: list[int] = []
    for index, section in enumerate(step_list):
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
        notes = _notes_html(section["notes"], shown_notes)
        short = max(section["python"].code.count("\n"), section["r"].code.count("\n")) < SHORT_STEP
        parts.append(f'<article class="step{" short" if short else ""}" id="{anchor}">{heads}{maths}'
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


def _values_html(variant, number, rows):
    """A step's epoch-1 values in Python and R, folded in a <details>."""
    entries = [row for row in rows if row["step"] == number]
    if not entries:
        return ""
    worst = max(row["max_abs"] for row in entries)
    ulps = max(row["max_ulp"] for row in entries)
    names = ", ".join(f"<code>{html.escape(row['name'])}</code>" for row in entries)
    body = "".join(_quantity_rows(row) for row in entries)
    return (f'<details class="values" id="{variant}-values-{number}" data-step="{number}">'
            f"<summary>Epoch 1 values, Python and R: {names} "
            f'<span class="agree">max |Δ| {_difference_text(worst)}, {ulps} ULP</span></summary>'
            '<div class="scroll"><table class="vals"><thead><tr><th>quantity</th><th>[i, j]</th><th>Python</th>'
            f"<th>R</th><th>|Δ|</th><th>ULP</th></tr></thead><tbody>{body}</tbody></table></div></details>")


def _quantity_rows(row):
    """Table rows for one quantity: every element of a small matrix, the top-left corner of a large one."""
    python, r = row["python"], row["r"]
    rows, columns = python.shape
    if python.size <= FULL_MATRIX:
        indices = list(np.ndindex(python.shape))
    else:
        indices = list(np.ndindex(min(rows, ABBREVIATED[0]), min(columns, ABBREVIATED[1])))
    more = python.size - len(indices)
    span = len(indices) + (1 if more else 0)
    head = (f'<th scope="row" rowspan="{span}"><code>{html.escape(row["name"])}</code>'
            f'<span class="shape">{rows}×{columns}</span></th>')
    out = []
    for position, index in enumerate(indices):
        a, b = float(python[index]), float(r[index])
        out.append(f"<tr>{head if position == 0 else ''}<td>[{index[0]}, {index[1]}]</td>"
                   f"<td class=num>{_number(a)}</td><td class=num>{_number(b)}</td>"
                   f"<td class=num>{_difference(a, b)}</td><td class=num>{int(parity.ulp_distance(a, b))}</td></tr>")
    if more:
        out.append(f'<tr><td colspan="5" class="more">… {more} more elements not shown (<code>twinnet trace</code> '
                   f"prints them all); over all {python.size}: max |Δ| {_difference_text(row['max_abs'])}, "
                   f"{row['max_ulp']} ULP</td></tr>")
    return "".join(out)


def _difference_text(value):
    return "0" if value == 0 else f"{value:.1e}"


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


def _slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _inline_code(text):
    """Escape text, turning `backquoted` spans into <code>."""
    pieces = html.escape(text).split("`")
    return "".join(f"<code>{piece}</code>" if index % 2 else piece for index, piece in enumerate(pieces))


# The numbers section ---------------------------------------------------------------------

def fixture_numbers(path: str | Path = NUMBERS_FIXTURE) -> dict[str, Any]:
    """Initial parameters and a few trained values of a fixture, in both
    languages: {"fixture", "init", "rows"} where each row is
    (python_name, r_name, python_value, r_value)."""
    fixture = fixtures.read_fixture(path)
    python, r = training.train_fixture(path), rbridge.train_fixture(path)
    rows = []
    for name in python["params"]:
        for index in np.ndindex(python["params"][name].shape):
            rows.append((_index(name, index, 0), _index(name, index, 1),
                         python["params"][name][index], r["params"][name][index]))
    for epoch in LOSS_EPOCHS:
        if epoch <= len(python["loss"]):
            rows.append((f"loss[{epoch - 1}]", f"loss[{epoch}]", python["loss"][epoch - 1], r["loss"][epoch - 1]))
    for index in np.ndindex(python["output"].shape):
        rows.append((_index("output", index, 0), _index("output", index, 1),
                     python["output"][index], r["output"][index]))
    return {"fixture": fixture, "rows": rows}


def _number(value):
    """A double with the fewest digits that read back as the same double."""
    return repr(float(value))


def _difference(a, b):
    return "0" if a == b else f"{abs(float(a) - float(b)):.1e}"


def _index(name, index, base):
    return f"{name}[{', '.join(str(i + base) for i in index)}]"


def _numbers_html(path, formatter):
    numbers = fixture_numbers(path)
    fixture = numbers["fixture"]
    hyper = fixture["hyper"]
    init = "".join(
        f"<tr><td><code>{name}</code></td><td>{value.shape[0]}×{value.shape[1]}</td><td class=num>"
        + "<br>".join("&nbsp;&nbsp;".join(_number(v) for v in row) for row in value) + "</td></tr>"
        for name, value in fixture["init"].items())
    rows = "".join(
        f"<tr><td><code>{python_name}</code></td><td><code>{r_name}</code></td>"
        f"<td class=num>{_number(python_value)}</td><td class=num>{_number(r_value)}</td>"
        f"<td class=num>{_difference(python_value, r_value)}</td>"
        f"<td class=num>{int(parity.ulp_distance(python_value, r_value))}</td></tr>"
        for python_name, r_name, python_value, r_value in numbers["rows"])
    python_code = ('from twinnet import training\n'
                   f'result = training.train_fixture("{path}")\n'
                   'result["params"]["wout"][0, 0]   # indices from 0\n'
                   'result["loss"][-1]               # the last epoch')
    r_code = ('library(twinnet)\n'
              f'fit <- train_fixture("{path}")\n'
              'fit$params$wout[1, 1]              # indices from 1\n'
              'fit$loss[length(fit$loss)]         # the last epoch')
    pair = (f'<div class="pair"><figure><figcaption><b class="python">{LANGUAGE_NAMES["python"]}</b></figcaption>'
            f'{_highlight(python_code, "python", formatter)}</figure><figure><figcaption><b class="r">'
            f'{LANGUAGE_NAMES["r"]}</b></figcaption>{_highlight(r_code, "r", formatter)}</figure></div>')
    return f"""<section id="numbers">
<h2>One fixture's numbers: <code>{fixture["name"]}</code></h2>
<p>The fixture <code>{path}</code>: n = {len(fixture["data"]["X"])} samples, d = {fixture["data"]["X"].shape[1]}
features, h = {hyper["hidden"]}, lr = {hyper["lr"]}, {hyper["epochs"]} epochs. Both languages read these initial
parameters from the same JSON file and get the same doubles (a test checks it). Values are printed with 17
significant digits, enough to tell any two doubles apart.</p>
<div class="scroll"><table><tr><th>initial</th><th>shape</th><th>values, row by row</th></tr>{init}</table></div>
<p>After training, each language's numbers. The R values come back through rpy2: R stores matrices column by
column, and numpy2ri copies them into numpy arrays of the same shape, so the same element has Python's index in
the first column and R's, one higher, in the second. ULP counts the doubles between the two values.</p>
{pair}
<div class="scroll"><table><tr><th>Python</th><th>R</th><th>Python value</th><th>R value</th><th>|Δ|</th>
<th>ULP</th></tr>{rows}</table></div>
<p>The two are within {parity.TOLERANCE:g} of each other, not bit-identical: <code>python -m twinnet doctor</code>
says why on this machine.</p>
</section>"""


def _rule_html():
    rule = textwrap.dedent(steps.__doc__.split("The rule, the same for both languages:", 1)[1]).strip()
    items = [" ".join(item.split()) for item in rule.split("\n- ") if item.strip()]
    lis = "".join(f"<li>{_inline_code(item.lstrip('- ').replace('**', '').replace('``', '`'))}</li>"
                  for item in items)
    return f"""<section id="rule">
<h2>How the code is cut</h2>
<p>The code of a step is taken from the twins by <code>twinnet/steps.py</code> with one rule for both languages.
A test fails when a marker is in one twin and not the other, or when the order differs.</p>
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
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>twinnet: errata of the three source texts</title>\n<style>" + CSS
            + "p[id]:target { background: var(--note); }\n</style>\n</head>\n<body>\n"
            + '<p class="lead">Generated from <code>docs/errata.md</code> by <code>make docs</code>; back to '
            '<a href="side-by-side.html">the twins side by side</a>.</p>\n' + "\n".join(out) + "\n</body>\n</html>\n")


def _markdown_inline(text):
    pieces = html.escape(text, quote=False).split("`")
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
