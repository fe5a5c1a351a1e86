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
import shutil
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer, SLexer

from .. import fixtures, parity, rbridge
from . import steps
from .stepmaths import MATHS, NOTES, Maths

LANGUAGE_NAMES = {"python": "Python (numpy)", "r": "R (base R)"}
LEXERS = {"python": PythonLexer, "r": SLexer}
PYGMENTS_STYLE = "default"
NUMBERS_FIXTURE = "shared_fixtures/article.json"
LOSS_EPOCHS = (1, 2, 10, 100, 1000, 5000)


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

def terminal(variant: str, width: int | None = None) -> str:
    """The variant's steps as two plain-text columns, Python left and R right."""
    width = width or shutil.get_terminal_size((160, 40)).columns
    column = max(30, (width - 3) // 2)
    info = steps.TWINS[variant]
    step_list, helpers = _variant_view(variant)
    out = [f"{info.heading} ({variant}): {info.python}  |  {info.r}", f"follows {info.text}", ""]
    for section in step_list:
        out.append("=" * min(width, 2 * column + 3))
        for number, heading in section["headings"]:
            out.append(f"Step {number} · {heading}")
        for _, maths in section["maths"]:
            for line in maths.lines:
                out += _prose(line, width, "  ")
            if maths.text_says:
                out += _prose(f"the text says: {maths.text_says} (docs/errata.md {', '.join(maths.errata)})",
                              width, "  ")
        out += _columns(section["python"], section["r"], column)
        for note in section["notes"]:
            out += _prose(f"note: {note.text}", width, "  ")
    if helpers:
        out += ["=" * min(width, 2 * column + 3), "Outside the steps: definitions the steps call"]
    for helper in helpers:
        out += ["", f"{helper['name']}"] + _columns(helper["python"], helper["r"], column)
        for note in helper["notes"]:
            out += _prose(f"note: {note.text}", width, "  ")
    return "\n".join(out) + "\n"


def _prose(text, width, indent):
    """A paragraph wrapped to the terminal's width."""
    return textwrap.wrap(text, width=max(40, width), initial_indent=indent, subsequent_indent=indent + "  ")


def _columns(python, r, column):
    """Two pieces of code beside each other, each wrapped to ``column``."""
    left = [python.location if python else "(none)", "-" * column] + _wrap(python.code if python else "", column)
    right = [r.location if r else "(none)", "-" * column] + _wrap(r.code if r else "", column)
    rows = max(len(left), len(right))
    left += [""] * (rows - len(left))
    right += [""] * (rows - len(right))
    return [f"{a.ljust(column)} | {b}".rstrip() for a, b in zip(left, right, strict=True)]


def _wrap(code, column):
    """Code lines cut to ``column`` characters; a continuation starts with '↪ '."""
    out = []
    for line in code.splitlines():
        out.append(line[:column])
        rest = line[column:]
        while rest:
            out.append("↪ " + rest[: column - 2])
            rest = rest[column - 2:]
    return out


# The HTML page ---------------------------------------------------------------------------

CSS = """
:root { --py: #3572a5; --r: #1f65b7; --rule: #d0d7de; --muted: #57606a; --note: #fff8e1; --fix: #fdecea; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1f2328; margin: 0 auto; max-width: 1500px; padding: 1.5rem 2rem 4rem; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; }
h2 { font-size: 1.35rem; border-bottom: 2px solid var(--rule); padding-bottom: .3rem; margin-top: 2.5rem; }
h3 { font-size: 1.05rem; margin: 0 0 .4rem; }
h3 .n { display: inline-block; min-width: 4.8em; color: var(--muted); font-weight: 600; }
a { color: #0969da; }
nav { background: #f6f8fa; border: 1px solid var(--rule); border-radius: 6px; padding: .5rem 1rem; }
nav a { margin-right: 1.2rem; }
.lead { color: var(--muted); margin-top: 0; }
.step { border: 1px solid var(--rule); border-radius: 6px; padding: .8rem 1rem; margin: 1rem 0; }
.maths { font-family: "STIX Two Math", "Cambria Math", "Latin Modern Math", Georgia, serif; font-size: 1.05rem;
         margin: .2rem 0 .5rem; padding-left: .8rem; border-left: 3px solid #8250df; }
.maths p { margin: .1rem 0; }
.fix { background: var(--fix); border-radius: 4px; padding: .25rem .6rem; margin: .3rem 0 .6rem;
       font-size: .9rem; }
.pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: .8rem; }
figure { margin: 0; min-width: 0; }
figcaption { font-size: .8rem; color: var(--muted); margin-bottom: .2rem; }
figcaption b { color: #fff; border-radius: 3px; padding: 0 .4rem; margin-right: .4rem; font-weight: 600; }
figcaption b.python { background: var(--py); }
figcaption b.r { background: var(--r); }
.hl { background: #f6f8fa; border: 1px solid #e6e9ed; border-radius: 4px; }
.hl pre { margin: 0; padding: .55rem .7rem; white-space: pre-wrap; overflow-wrap: anywhere;
          font: 12.5px/1.45 ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
.hl pre .ln { display: block; min-height: 1.45em; padding-left: 4ch; text-indent: -4ch; }
ul.notes { margin: .6rem 0 0; padding: 0; list-style: none; }
ul.notes li { background: var(--note); border-radius: 4px; padding: .25rem .6rem; margin-top: .3rem;
              font-size: .9rem; }
ul.notes li::before { content: "porter's note: "; font-weight: 600; }
code { font: .9em ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; background: #eff1f3;
       padding: 0 .2em; border-radius: 3px; }
table { border-collapse: collapse; margin: .6rem 0 1.2rem; font-size: .88rem; }
th, td { border: 1px solid var(--rule); padding: .2rem .55rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; text-align: right;
         white-space: nowrap; }
.none { color: var(--muted); font-style: italic; padding: .5rem; }
@media screen and (max-width: 900px) { .pair { grid-template-columns: minmax(0, 1fr); } body { padding: 1rem; } }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  .pair { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
  figure, table, .maths, .fix, ul.notes li, h3 { break-inside: avoid; }
  h3 { break-after: avoid; }
  h2 { break-before: page; }
  h2.first { break-before: auto; }
  .hl pre { font-size: 7.5pt; }
  .maths { font-size: 10pt; }
}
"""


def page(numbers: bool = True) -> str:
    """The whole page as one HTML string; ``numbers=False`` leaves out the
    fixture-numbers section (it trains in both languages)."""
    formatter = HtmlFormatter(style=PYGMENTS_STYLE, cssclass="hl")
    body = [_intro()]
    for index, variant in enumerate(steps.TWINS):
        body.append(_variant_html(variant, formatter, first=index == 0))
    if numbers:
        body.append(_numbers_html(NUMBERS_FIXTURE, formatter))
    body.append(_rule_html())
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>twinnet: Python and R side by side</title>\n<style>" + CSS
            + formatter.get_style_defs(".hl") + "\n</style>\n</head>\n<body>\n" + "\n".join(body)
            + "\n</body>\n</html>\n")


def write_page(path: str | Path, numbers: bool = True) -> Path:
    """Write the page to ``path``; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(numbers), encoding="utf-8")
    return path


def _intro():
    links = "".join(f'<a href="#{name}">{html.escape(info.heading)}</a>' for name, info in steps.TWINS.items())
    return f"""<header>
<h1>twinnet: Python and R side by side</h1>
<p class="lead">Three small neural networks, each written twice, in Python (numpy) and in base R, and checked to
train to the same numbers. Every step below shows its maths (corrected where the seed text is wrong; see
<a href="errata.md">errata.md</a>), then the Python lines and the R lines that compute it, cut from the real source
files at their <code># Step N: title</code> markers, so this page cannot drift from the code. Generated by
<code>make docs</code>; regenerate it after changing the code.</p>
<nav>{links}<a href="#numbers">One fixture's numbers</a><a href="#rule">How the code is cut</a></nav>
</header>"""


def _variant_html(variant, formatter, first=False):
    info = steps.TWINS[variant]
    step_list, helpers = _variant_view(variant)
    parts = [f'<section id="{variant}">',
             f'<h2{" class=first" if first else ""}>{html.escape(info.heading)} '
             f'<small>(<code>{variant}</code>)</small></h2>',
             f'<p class="lead">Follows {html.escape(info.text)}. Python: <code>{info.python}</code>; '
             f'R: <code>{info.r}</code>.</p>']
    for section in step_list:
        anchor = f"{variant}-step-{section['headings'][0][0]}"
        heads = "".join(f'<h3><span class="n">Step {number}</span>{html.escape(text)}</h3>'
                        for number, text in section["headings"])
        maths = "".join(_maths_html(item) for _, item in section["maths"])
        parts.append(f'<article class="step" id="{anchor}">{heads}{maths}'
                     f'{_pair_html(section["python"], section["r"], formatter)}{_notes_html(section["notes"])}'
                     "</article>")
    if helpers:
        parts.append(f'<h3 id="{variant}-outside">Outside the steps</h3><p>Definitions the steps use that hold no '
                     "step marker, paired by name.</p>")
    for helper in helpers:
        parts.append(f'<article class="step"><h3><code>{html.escape(helper["name"])}</code></h3>'
                     f'{_pair_html(helper["python"], helper["r"], formatter)}{_notes_html(helper["notes"])}'
                     "</article>")
    parts.append("</section>")
    return "\n".join(parts)


def _maths_html(maths):
    lines = "".join(f"<p>{_inline_code(line)}</p>" for line in maths.lines)
    fix = ""
    if maths.text_says or maths.errata:
        said = f"The text says {_inline_code(maths.text_says)}. " if maths.text_says else ""
        fix = (f'<p class="fix">{said}See <a href="errata.md">errata</a> '
               f'{html.escape(", ".join(maths.errata))}.</p>')
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
    """Pygments HTML with every source line in its own block-level span, so a
    line too long for its column wraps with a hanging indent."""
    out = highlight(code + "\n", LEXERS[language](), formatter)
    head, rest = out.split("<pre>", 1)
    body, tail = rest.rsplit("</pre>", 1)
    lines = body.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    return head + "<pre>" + "".join(f'<span class="ln">{line}</span>' for line in lines) + "</pre>" + tail


def _notes_html(notes):
    if not notes:
        return ""
    return '<ul class="notes">' + "".join(f"<li>{_inline_code(note.text)}</li>" for note in notes) + "</ul>"


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
    python, r = fixtures.train_fixture(path), rbridge.train_fixture(path)
    rows = []
    for name in ("wout", "bout", "bh"):
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
    python_code = ('from twinnet import fixtures\n'
                   f'result = fixtures.train_fixture("{path}")\n'
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
<table><tr><th>initial</th><th>shape</th><th>values, row by row</th></tr>{init}</table>
<p>After training, each language's numbers. The R values come back through rpy2: R stores matrices column by
column, and numpy2ri copies them into numpy arrays of the same shape, so the same element has Python's index in
the first column and R's, one higher, in the second. ULP counts the doubles between the two values.</p>
{pair}
<table><tr><th>Python</th><th>R</th><th>Python value</th><th>R value</th><th>|Δ|</th><th>ULP</th></tr>{rows}
</table>
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
