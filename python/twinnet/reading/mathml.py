"""The steps' maths as MathML (the page: typeset by the browser, no scripts, no fonts to fetch) or as
Markdown with inline LaTeX (the notebooks).

The maths in :mod:`twinnet.reading.stepmaths` is plain text that also reads in
a terminal: ``H_i = X·w_h + b_h   (n×h; b_h is added to every row)``.  This
module turns the formulas in such a line into inline ``<math>`` elements and
leaves the prose around them as text:

- ``x_i`` and ``x_(i−1)`` are subscripts, ``e^(−x)`` a superscript, and the
  Unicode superscripts ``ᵀ ² ⁻¹⁵ ′`` attach to what precedes them;
- names (``w_h``, ``dZ``, ``tanh``, Greek letters) are ``<mi>``, numbers
  ``<mn>``, everything else ``<mo>``;
- English words (and code names such as ``derivatives_sigmoid(a)``, shown as
  ``<code>``) end a formula; single letters, numbers and brackets belong to
  the formula next to them; a bracket that holds prose is prose;
- three or more spaces separate two formulas, and a formula that lists
  several (``w_h (d×h), b_h (1×h)``) is split at its top-level commas, so a
  narrow screen can wrap the list between its items.

:func:`line_latex` reads a line the same way and writes each formula as ``$…$``.
"""

from __future__ import annotations

import html
import re

SUPERSCRIPTS = {"ᵀ": "T", "²": "2", "³": "3", "⁻": "−", "¹": "1", "⁰": "0", "⁵": "5", "′": "′", "ˣ": "x"}
TOKEN = re.compile(r"""
    (?P<code>`[^`]*`|\b[a-z]{2,}(?:_[a-z]{2,})+\b(?:\([^)]*\))?|\b\w+\(\))
  | (?P<space>\s+)
  | (?P<sup>[ᵀ²³⁻¹⁰⁵′ˣ]+)
  | (?P<number>\d+(?:\.\d+)?|½)
  | (?P<name>[A-Za-zα-ωΑ-Ωℓ][A-Za-z0-9α-ωℓ]*)
  | (?P<open>[(\[])
  | (?P<close>[)\]])
  | (?P<punct>[,.:;–])
  | (?P<quote>['’"“”])
  | (?P<op>.)
""", re.VERBOSE)
MATH_WORDS = {"log", "tanh", "exp", "max", "min", "dZ", "dW", "db", "dA", "lr", "σ"}
SHORT_PROSE = {"of", "to", "is", "on", "by", "at", "if", "or", "as", "be", "in", "an", "it", "no", "so", "we"}
PROSE, MATH, NEUTRAL = "prose", "math", "neutral"


def line_html(line: str) -> str:
    """One line of maths as HTML: formulas as inline MathML, prose escaped, `code` as <code>."""
    tokens = [(match.lastgroup, match.group()) for match in TOKEN.finditer(line)]
    kinds = _kinds(tokens)
    out, run = [], []
    for (kind, text), role in zip(tokens, kinds, strict=True):
        if role == MATH and not (kind == "space" and len(text) >= 3):
            run.append((kind, text))
            continue
        if run:
            out.append(_maths(run))
            run = []
        if kind == "code":
            out.append(f"<code>{html.escape(text.strip('`'))}</code>")
        elif kind == "space" and len(text) >= 3:
            out.append("&emsp;")
        else:
            out.append(html.escape(text))
    if run:
        out.append(_maths(run))
    return "".join(out)


def _maths(run) -> str:
    """A run of tokens as inline <math> elements, one per item of a top-level ", " list."""
    pieces, depth, start = [], 0, 0
    for index, (kind, text) in enumerate(run):
        depth += (kind == "open") - (kind == "close")
        if depth == 0 and text == "," and index + 1 < len(run) and run[index + 1][0] == "space":
            pieces.append(run[start:index])
            start = index + 2
    pieces.append(run[start:])
    return ", ".join(_math(piece) for piece in pieces if piece)


def _kinds(tokens):
    """Each token's role: prose or math (neutral tokens take the role of their neighbours)."""
    roles = []
    for index, (kind, text) in enumerate(tokens):
        if kind in ("code",):
            roles.append(PROSE)
        elif kind == "name":
            is_prose = text not in MATH_WORDS and (
                (len(text) >= 3 and re.fullmatch(r"[A-Za-z][a-z]+", text) is not None) or text in SHORT_PROSE)
            if (len(text) == 1 and text == "a" and _next_name_is_prose(tokens, index)):
                is_prose = True
            roles.append(PROSE if is_prose else (NEUTRAL if len(text) == 1 else MATH))
        elif kind in ("op", "sup"):
            roles.append(MATH)
        elif kind == "quote":
            roles.append(PROSE)
        else:
            roles.append(NEUTRAL)
    for index, (kind, text) in enumerate(tokens):  # a single Greek letter is maths
        if kind == "name" and len(text) == 1 and not text.isascii():
            roles[index] = MATH
    _prose_brackets(tokens, roles)
    resolved = list(roles)
    for index, role in enumerate(roles):  # letters, numbers and brackets: maths next to maths
        if role == NEUTRAL and tokens[index][0] not in ("punct", "space"):
            resolved[index] = MATH if MATH in (_nearest(roles, index, -1), _nearest(roles, index, 1)) else PROSE
    final = list(resolved)
    for index, role in enumerate(resolved):  # spaces and punctuation: maths between maths
        if role == NEUTRAL:
            left, right = _nearest(resolved, index, -1), _nearest(resolved, index, 1)
            final[index] = MATH if left == MATH and right == MATH else PROSE
    return final


def _next_name_is_prose(tokens, index):
    for kind, text in tokens[index + 1:]:
        if kind == "space":
            continue
        return kind == "name" and len(text) >= 3 and text not in MATH_WORDS
    return False


def _nearest(roles, index, step):
    index += step
    while 0 <= index < len(roles):
        if roles[index] != NEUTRAL:
            return roles[index]
        index += step
    return None


def _prose_brackets(tokens, roles):
    """A pair of brackets that holds prose is prose itself."""
    stack = []
    for index, (kind, _) in enumerate(tokens):
        if kind == "open":
            stack.append(index)
        elif kind == "close" and stack:
            start = stack.pop()
            if PROSE in roles[start + 1:index]:
                roles[start] = roles[index] = PROSE


def _math(run) -> str:
    """A run of tokens as one inline <math> element."""
    items: list[str] = []
    tokens = [(kind, text) for kind, text in run if kind != "space" or text]
    index, spaced, last_kind = 0, False, ""
    while index < len(tokens):
        kind, text = tokens[index]
        if kind == "space":
            spaced, index = True, index + 1
            continue
        if spaced and kind in ("name", "number") and last_kind in ("name", "number", "close"):
            items.append('<mspace width="0.3em"></mspace>')  # "lr 0.1": two names apart
        spaced, last_kind = False, kind
        if kind == "op" and text in "_^" and items and index + 1 < len(tokens):
            script, index = _script(tokens, index + 1)
            tag = "msub" if text == "_" else "msup"
            items.append(f"<{tag}>{items.pop()}{script}</{tag}>")
            continue
        if kind == "sup" and items:
            value = "".join(SUPERSCRIPTS.get(char, char) for char in text)
            inner = "<mo>′</mo>" if value == "′" else (f"<mn>{value}</mn>" if re.fullmatch(r"−?\d+", value)
                                                      else f"<mi>{html.escape(value)}</mi>")
            items.append(f"<msup>{items.pop()}{inner}</msup>")
        elif kind == "number":
            items.append(f"<mn>{text}</mn>")
        elif kind == "name" and text in ("Σ", "∏"):
            items.append(f"<mo>{text}</mo>")
        elif kind == "name":
            items.append(f"<mi>{html.escape(text)}</mi>")
        elif kind in ("open", "close"):  # brackets hug what they enclose (a stretchy one is set apart)
            items.append(f'<mo stretchy="false">{html.escape(text)}</mo>')
        elif kind == "code":
            items.append(f"<mtext>{html.escape(text.strip('`'))}</mtext>")
        else:
            items.append(f"<mo>{html.escape(text)}</mo>")
        index += 1
    return "<math><mrow>" + "".join(items) + "</mrow></math>"


def _script(tokens, index):
    """The sub- or superscript that starts at tokens[index]: a bracketed group or one token."""
    kind, text = tokens[index]
    if kind == "open" and text == "(":
        depth, end = 0, index
        while end < len(tokens):
            if tokens[end][0] == "open":
                depth += 1
            elif tokens[end][0] == "close":
                depth -= 1
                if depth == 0:
                    break
            end += 1
        inner = _math(tokens[index + 1:end])[len("<math>"):-len("</math>")]
        return inner, end + 1
    return _math([tokens[index]])[len("<math><mrow>"):-len("</mrow></math>")], index + 1


LATEX = {"σ": r"\sigma", "η": r"\eta", "α": r"\alpha", "δ": r"\delta", "ε": r"\varepsilon", "Σ": r"\sum",
         "∂": r"\partial", "ℓ": r"\ell", "⊙": r"\odot", "·": r"\cdot", "×": r"\times", "←": r"\leftarrow",
         "−": "-", "–": "-", "…": r"\ldots", "½": r"\tfrac{1}{2}", "ŷ": r"\hat{y}", "ᵢ": "_{i}", "ⱼ": "_{j}",
         "{": r"\{", "}": r"\}", "%": r"\%", "#": r"\#", "&": r"\&", "$": r"\$"}
LATEX_FUNCTIONS = {"log", "tanh", "exp", "max", "min"}


def line_latex(line: str) -> str:
    """One line of maths as Markdown: formulas as inline LaTeX (``$…$``), prose as it is, `code` kept."""
    tokens = [(match.lastgroup, match.group()) for match in TOKEN.finditer(line)]
    out, run = [], []
    for (kind, text), role in zip(tokens, _kinds(tokens), strict=True):
        if role == MATH and not (kind == "space" and len(text) >= 3):
            run.append((kind, text))
            continue
        if run:
            out.append(_latex(run))
            run = []
        if kind == "code":
            out.append(f"`{text.strip('`')}`")
        else:
            out.append(" &emsp; " if kind == "space" and len(text) >= 3 else text)
    if run:
        out.append(_latex(run))
    return "".join(out)


def _latex(run) -> str:
    """A run of tokens as one inline formula; spaces around it stay outside the dollars.  A run of
    operators alone (the hyphen of "pre-activation", the × of "neurons×inputs") stays text."""
    if not any(kind in ("name", "number", "sup") for kind, _ in run):
        return "".join(text for _, text in run)
    lead = " " if run[0][0] == "space" else ""
    trail = " " if run[-1][0] == "space" and len(run) > 1 else ""
    return f"{lead}${_latex_items(run)}${trail}"


def _latex_items(tokens) -> str:
    items: list[str] = []
    index = 0
    while index < len(tokens):
        kind, text = tokens[index]
        index += 1
        if kind == "space":
            continue
        if kind == "op" and text in "_^" and items and index < len(tokens):
            if tokens[index] == ("open", "("):  # x_(i−1): the bracket's content is the script
                depth, end = 0, index
                while end < len(tokens):
                    depth += {"open": 1, "close": -1}.get(tokens[end][0], 0)
                    if depth == 0:
                        break
                    end += 1
                script, index = _latex_items(tokens[index + 1:end]), end + 1
            else:
                script, index = _latex_items(tokens[index:index + 1]), index + 1
            items[-1] += f"{text}{{{script}}}"
        elif kind == "sup" and items:
            value = "".join(SUPERSCRIPTS.get(char, char) for char in text).replace("−", "-")
            items[-1] += "'" if value == "′" else ("^{\\top}" if value == "T" else f"^{{{value}}}")
        elif kind == "name" and len(text) > 1 and text.isascii():
            items.append(f"\\{text}" if text in LATEX_FUNCTIONS else f"\\mathrm{{{text}}}")
        elif kind == "code":
            items.append(f"\\texttt{{{text.strip('`').replace('_', chr(92) + '_')}}}")
        else:
            items.append("".join(LATEX.get(char, char) for char in text))
    return " ".join(items)
