"""The twins side by side in a terminal: ``twinnet side-by-side VARIANT``.

Each step's Python and R code in two plain-text columns, with its maths and
porter's notes, as :func:`twinnet.reading.stepmaths.sections` lists them (the
code cut from the real source files by :mod:`twinnet.reading.steps`).  The HTML
page is :mod:`twinnet.reading.page`.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from typing import Any

from . import steps
from .stepmaths import variant_view

EPOCH_HEADING = "Each epoch: the steps that follow, called in order"
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
    step_list, helpers = variant_view(variant)
    rule = "=" * (2 * column + 3)
    out = [paint(f"{info.heading} ({variant})", "heading")]
    out += _prose(f"follows {info.text}" + (f", {info.url}" if info.url else ""), width, "")
    out += [f"{paint('Python', 'python')}: {info.python}    {paint('R', 'r')}: {info.r}", ""]
    for section in step_list:
        out.append(paint(rule, "dim"))
        if section["loop"]:
            out.append(paint(EPOCH_HEADING, "heading"))
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
