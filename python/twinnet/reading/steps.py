"""The step markers of the twins, and the code each step covers.

Every twin marks the article's steps with comments ``# Step N: title[, details]``,
in the same order in both languages.  This module finds the markers, checks
that the two twins of a variant have the same ones in the same order, and cuts
each twin into the code of its steps, so that the side-by-side page is made
from the real source files and cannot drift from them.

The module is over 400 lines because the rule below is one piece for two
languages (the page prints it from this docstring); split, it would be one
rule in two files.

The rule, the same for both languages:

- **Title.** The title of a marker is its text after ``Step N:`` up to the
  first ``,`` ``;`` ``:`` or ``(``.  Number and title must be identical in the
  two twins; the details after them may differ (each language writes its own
  notation: ``n×h`` against ``n x h``, ``Hᵀ`` against ``t(H)``).
- **Extent.** A step's code starts at its marker line and ends before the next
  marker, or at the end of the block the marker is in: the first following
  non-blank line indented less than the marker (the end of the enclosing
  function, or of the loop it is in).  A marker at the top level (not inside a
  function) covers the definitions that follow it, up to the next marker or to
  the definition that holds the next marker.
- **Signature.** The first step inside a function starts at the function's
  signature (``def forward(X, params):``, ``forward <- function(X, params) {``),
  so the lines between the signature and the first marker are shown with it.
- **Shared code.** Markers with no code between them share the code after the
  last of them (the article's Steps 10 and 11 are one ``return``).
- **Documentation left out.** Python docstrings and R's roxygen (``#'``) lines
  and Reference Class method docstrings are not shown; comments are.
- **The epoch loop.** Where a step's code goes on into the loop over the
  epochs (``for epoch``, at the step's own indentation, its body in the same
  block: the training loop after Step 1, which calls the later steps), the
  step ends before the loop, and the loop is shown on its own after it.
- **Definitions outside the steps.** Top-level definitions that no step covers
  (``loss``, ``update_params``, the ``Layer`` class, …) are paired by name,
  case-insensitively, in file order.  A step inside such a definition (the
  Layer-class Step 3 in ``Layer.backprop``) is shown with the steps, and one
  comment line in the definition points to it.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import resources

LANGUAGES = ("python", "r")

MARKER = re.compile(r"^(?P<indent>[ \t]*)# Step (?P<number>\d+): (?P<text>.*?)\s*$")
TITLE_END = re.compile(r"[,;:(]")
DEFINITION = {
    "python": re.compile(r"^\s*(?:def|class) (?P<name>\w+)"),
    "r": re.compile(r"^\s*(?P<name>[\w.]+)\s*(?:<-|=)\s*(?:function\s*\(|methods::setRefClass\(|setRefClass\()"),
}
SIGNATURE = {
    "python": re.compile(r"^\s*def \w+\("),
    "r": re.compile(r"^\s*[\w.]+\s*(?:<-|=)\s*function\s*\("),
}
R_TOP_LEVEL_NAME = re.compile(r"^(?P<name>[\w.]+)\s*<-")
EPOCH_LOOP = re.compile(r"^\s*for\s*\(?\s*epoch\b")  # Python's `for epoch in`, R's `for (epoch in`


@dataclass(frozen=True)
class Variant:
    """One network variant: its twins, the text it follows (title, author and date, or where the copy twinnet
    was written from was found when they are unknown) and that text's URL ("" when none is known)."""

    name: str
    heading: str
    text: str
    python: str
    r: str
    url: str = ""
    example: str = ""

    def source(self, language: str) -> str:
        """The twin's path, relative to the repository root."""
        return self.python if language == "python" else self.r


# The twin pair of each of fixtures.VARIANTS, in that order (tests/test_sidebyside.py checks it).
TWINS = {
    "article": Variant(
        "article", "The article network",
        "Sunil Ray, “Understanding and coding Neural Networks From Scratch in Python and R”, Analytics Vidhya, "
        "29 May 2017",
        "python/twinnet/article.py", "r/R/article.R",
        "https://www.analyticsvidhya.com/blog/2017/05/neural-network-from-scratch-in-python-and-r/",
        "article.json"),
    "stepwise": Variant(
        "stepwise", "The bias-free walk-through",
        "“Understanding the implementation of Neural Networks from scratch in detail”, the step-by-step follow-up "
        "to that article (author and address unknown: found as an unsigned copy of its Jupyter notebook, "
        "000_cb55fe310ead068b.txt among the source texts twinnet was written from)",
        "python/twinnet/stepwise.py", "r/R/stepwise.R", "", "stepwise.json"),
    "layered": Variant(
        "layered", "The Layer-class network",
        "“Writing Python Code for Neural Networks from Scratch”, a blog post of 24 April 2020 (“5 min read”; author "
        "and address unknown: found as an unsigned copy, 001_42decb0bf9dedccf.txt among the source texts twinnet "
        "was written from)",
        "python/twinnet/layered.py", "r/R/layered.R", "", "layered-xor.json"),
}


@dataclass(frozen=True)
class Marker:
    """One ``# Step N: title`` comment; ``line`` counts from 1."""

    number: int
    title: str
    text: str
    line: int
    indent: int

    @property
    def key(self) -> tuple[int, str]:
        """What must be identical in both twins: the number and the title."""
        return (self.number, self.title)


@dataclass
class Block:
    """The code of one step (or of several steps sharing one piece of code)."""

    markers: list[Marker]
    path: str
    first: int
    last: int
    code: str
    context: str = ""

    @property
    def location(self) -> str:
        """``file:first–last``, plus the function it is in."""
        where = f"{self.path}:{self.first}" + (f"–{self.last}" if self.last > self.first else "")
        return f"{where}, in {self.context}()" if self.context else where


@dataclass
class Definition:
    """A top-level definition that no step covers."""

    name: str
    path: str
    first: int
    last: int
    code: str = field(repr=False)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.first}–{self.last}"


def title_of(text: str) -> str:
    """The title part of a marker's text: up to the first , ; : or (."""
    return TITLE_END.split(text, maxsplit=1)[0].strip()


def find_markers(lines: Sequence[str]) -> list[Marker]:
    """Every step marker in a file's lines, in order."""
    markers = []
    for index, line in enumerate(lines, start=1):
        match = MARKER.match(line)
        if match:
            text = match["text"]
            markers.append(Marker(int(match["number"]), title_of(text), text, index, _indent(match["indent"])))
    return markers


def marker_problems(python_markers: Sequence[Marker], r_markers: Sequence[Marker], python_path: str = "python",
                    r_path: str = "r") -> list[str]:
    """Why two twins' markers do not pair up, as lines; empty when they do.

    A marker in one twin and not the other is named with its line, and when
    both have the same markers in a different order the first difference is
    named."""
    python_keys = [marker.key for marker in python_markers]
    r_keys = [marker.key for marker in r_markers]
    problems = []
    for markers, path, other_keys, other in ((python_markers, python_path, r_keys, r_path),
                                             (r_markers, r_path, python_keys, python_path)):
        for marker in markers:
            if marker.key not in other_keys:
                problems.append(f"Step {marker.number}: {marker.title!r} is in {path}:{marker.line} "
                                f"but not in {other}")
    if not problems and python_keys != r_keys:
        # the lists may differ in length: report the first place where the order differs
        for python_marker, r_marker in zip(python_markers, r_markers, strict=False):
            if python_marker.key != r_marker.key:
                problems.append(f"order differs: {python_path}:{python_marker.line} has Step "
                                f"{python_marker.number} {python_marker.title!r} where {r_path}:{r_marker.line} "
                                f"has Step {r_marker.number} {r_marker.title!r}")
                break
    if not problems and len(python_keys) != len(r_keys):
        problems.append(f"{python_path} has {len(python_keys)} markers, {r_path} {len(r_keys)}")
    return problems


def check_variant(variant: str) -> list[str]:
    """The marker problems of one variant's twins (empty when they pair up)."""
    info = TWINS[variant]
    python, r = (find_markers(read_lines(info.source(language))) for language in LANGUAGES)
    return marker_problems(python, r, info.python, info.r)


def read_lines(relative_path: str) -> list[str]:
    """A twin's lines (no line endings), by its path relative to the repository root."""
    root = resources.checkout("reading the twins side by side (it cuts the R source files)")
    return (root / relative_path).read_text(encoding="utf-8").splitlines()


def blocks(variant: str, language: str) -> list[Block]:
    """The step blocks of one twin, in file order."""
    path = TWINS[variant].source(language)
    lines = read_lines(path)
    hidden = documentation_lines(lines, language)
    markers = find_markers(lines)
    result = []
    previous = 0
    for group, following in _groups(markers, lines):
        first, last = group[0].line, _block_end(lines, group[-1], following)
        first = _signature_line(lines, group[0], previous, language) or first
        previous = last
        last = _trim(lines, first, last, hidden)
        result.append(Block(group, path, first, last, _code(lines, first, last, hidden),
                            _context(lines, group[0], language)))
    return result


def paired_blocks(variant: str) -> list[tuple[Block, Block]]:
    """The step blocks of both twins, paired: [(python_block, r_block)].

    Raises ValueError when the markers do not pair up or the two twins group
    them into different blocks."""
    problems = check_variant(variant)
    if problems:
        raise ValueError(f"{variant}: " + "; ".join(problems))
    python, r = blocks(variant, "python"), blocks(variant, "r")
    groups = [[m.key for m in block.markers] for block in python]
    if groups != [[m.key for m in block.markers] for block in r]:
        raise ValueError(f"{variant}: the twins share code between different steps")
    return list(zip(python, r, strict=True))


def split_loop(block: Block, language: str) -> tuple[Block, Block | None]:
    """A step block cut before the epoch loop at its last marker's indentation (the training loop after
    Step 1): the step's own lines, and the loop to the block's end (a Block with no markers), or None when
    the block holds no such loop with its body."""
    lines = read_lines(block.path)
    marker = block.markers[-1]
    start = next((number for number in range(marker.line + 1, block.last)
                  if EPOCH_LOOP.match(lines[number - 1]) and _line_indent(lines[number - 1]) == marker.indent), None)
    if start is None:
        return block, None
    hidden = documentation_lines(lines, language)
    last = _trim(lines, block.first, start - 1, hidden)
    head = Block(block.markers, block.path, block.first, last, _code(lines, block.first, last, hidden),
                 block.context)
    return head, Block([], block.path, start, block.last, _code(lines, start, block.last, hidden), block.context)


def definitions_outside_steps(variant: str, language: str) -> list[Definition]:
    """Top-level definitions of a twin that no step block covers, in order."""
    path = TWINS[variant].source(language)
    lines = read_lines(path)
    hidden = documentation_lines(lines, language)
    covered: set[int] = set()
    starts: dict[int, Block] = {}
    for block in blocks(variant, language):
        covered.update(range(block.first, block.last + 1))
        starts[block.first] = block
    spans = _python_definitions(lines) if language == "python" else _r_definitions(lines)
    result = []
    for name, first, last in spans:
        inside = covered.intersection(range(first, last + 1))
        if inside == set(range(first, last + 1)) or first in covered:
            continue
        shown = list(lines)
        for number in sorted(inside):  # a step inside the definition (Layer.backprop): one line points to it
            if number in starts:
                block = starts[number]
                shown[number - 1] = (lines[number - 1][:_line_indent(lines[number - 1])]
                                     + f"# … Step {block.markers[0].number}: {block.markers[0].title}, above "
                                     f"(lines {block.first}–{block.last})")
        closing = {block.last + 1 for start, block in starts.items() if start in inside  # R's "}" of the method
                   and block.last < len(lines) and lines[block.last].strip() in ("}", "},")
                   and _line_indent(lines[block.last]) == _line_indent(lines[block.first - 1])}
        hidden_here = hidden | (inside - set(starts)) | closing
        result.append(Definition(name, path, first, last, _code(shown, first, last, hidden_here)))
    return result


def paired_definitions(variant: str) -> list[tuple[Definition | None, Definition | None]]:
    """Definitions outside the steps, paired by name: [(python_or_None, r_or_None)]."""
    python = definitions_outside_steps(variant, "python")
    r = {definition.name.lower(): definition for definition in definitions_outside_steps(variant, "r")}
    pairs: list[tuple[Definition | None, Definition | None]] = [
        (definition, r.pop(definition.name.lower(), None)) for definition in python]
    return pairs + [(None, definition) for definition in r.values()]


def documentation_lines(lines: Sequence[str], language: str) -> set[int]:
    """Line numbers (from 1) of documentation: Python docstrings; R roxygen
    lines and Reference Class method docstrings."""
    if language == "python":
        hidden: set[int] = set()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str)):
                hidden.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        return hidden
    hidden = {index for index, line in enumerate(lines, start=1) if line.lstrip().startswith("#'")}
    for index in range(1, len(lines)):
        if re.match(r'^\s*"[^"]*"\s*$', lines[index]) and re.search(r"function\s*\(.*\{\s*$", lines[index - 1]):
            hidden.add(index + 1)
    return hidden


def _indent(prefix):
    return len(prefix.expandtabs(4))


def _line_indent(line):
    return _indent(line[: len(line) - len(line.lstrip())])


def _is_code(line):
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _groups(markers, lines):
    """Markers grouped when no code lies between them, each group with the
    marker that follows it (or None)."""
    groups: list[list[Marker]] = []
    for marker in markers:
        if groups and not any(_is_code(line) for line in lines[groups[-1][-1].line:marker.line - 1]):
            groups[-1].append(marker)
        else:
            groups.append([marker])
    following = [group[0] for group in groups[1:]] + [None]
    return list(zip(groups, following, strict=True))


def _block_end(lines, marker, following):
    """The last line (from 1) of the block that starts at ``marker``."""
    stop = following.line if following else len(lines) + 1
    if marker.indent > 0:
        for number in range(marker.line + 1, stop):
            line = lines[number - 1]
            if line.strip() and _line_indent(line) < marker.indent:
                stop = number
                break
    elif following is not None and following.indent > 0:
        stop = next(number for number in range(following.line - 1, marker.line, -1)
                    if lines[number - 1].strip() and _line_indent(lines[number - 1]) == 0)
    return stop - 1


def _signature_line(lines, marker, previous, language):
    """The line (from 1) of the signature of the function a marker is in, when
    the marker is the first in that function (no block ends after the
    signature); else None."""
    if marker.indent == 0:
        return None
    for number in range(marker.line - 1, previous, -1):
        line = lines[number - 1]
        if line.strip() and _line_indent(line) < marker.indent:
            return number if SIGNATURE[language].match(line) else None
    return None


def _trim(lines, first, last, hidden):
    """``last`` moved up past trailing blank and documentation lines."""
    while last > first and (last in hidden or not lines[last - 1].strip()):
        last -= 1
    return last


def _code(lines, first, last, hidden):
    """Lines first..last without documentation, dedented, blank runs collapsed."""
    kept: list[str] = []
    for number in range(first, last + 1):
        line = lines[number - 1]
        if number in hidden or (not line.strip() and (not kept or not kept[-1].strip())):
            continue
        kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    return textwrap.dedent("\n".join(kept))


def _context(lines, marker, language):
    """The name of the function a marker is in ("" at the top level)."""
    for number in range(marker.line - 1, 0, -1):
        line = lines[number - 1]
        if line.strip() and _line_indent(line) < marker.indent:
            match = DEFINITION[language].match(line)
            if match and _line_indent(line) == 0:
                return match["name"]
    return ""


def _python_definitions(lines):
    """(name, first, last) of every top-level def, class and assignment."""
    spans = []
    for node in ast.parse("\n".join(lines)).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            first = min([node.lineno] + [decorator.lineno for decorator in node.decorator_list])
            spans.append((node.name, first, node.end_lineno))
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            spans.append((node.targets[0].id, node.lineno, node.end_lineno))
    return spans


def _r_definitions(lines):
    """(name, first, last) of every top-level ``name <- …``: it runs to the
    line before the next top-level line that is not a closing bracket."""
    starts = [(number, match["name"]) for number, line in enumerate(lines, start=1)
              if (match := R_TOP_LEVEL_NAME.match(line))]
    spans = []
    for number, name in starts:
        last = number
        for following in range(number + 1, len(lines) + 1):
            line = lines[following - 1]
            if line.strip() and _line_indent(line) == 0 and not line.startswith(("}", ")")):
                break
            last = following
        spans.append((name, number, _trim(lines, number, last, set())))
    return spans
