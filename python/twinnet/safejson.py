"""Reading JSON that may be hostile: one linear scan, then the parser, then a duplicate-key check.

Twin of ``r/R/safejson.R``.  :func:`load_json` refuses, before anything
recursive runs, what strict JSON (RFC 8259) does not allow and what would make
a parser recurse deeply or run long: the file itself (not a regular file, too
large), its bytes (not UTF-8), and its text (comments, lone surrogate escapes,
nesting past MAX_DEPTH, numbers past MAX_DIGITS digits).  Duplicate keys are
refused after parsing.

Every refusal is a :class:`FixtureError`: a stable ``E_*`` code (listed in
``fixtures.ERROR_CODES``) and one line that names the file or the JSON field,
with the same words as the R twin.  :func:`escape` keeps such a line one line.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import numpy as np

# Limits of what is parsed at all, the same in both languages.
MAX_FIXTURE_BYTES = 16 * 1024 * 1024  # refused before parsing
MAX_DEPTH = 64  # nesting of arrays and objects, found by a linear scan before parsing
MAX_DIGITS = 4300  # digits in a row in a number (Python's int parsing limit)


class FixtureError(ValueError):
    """A fixture that cannot be trained: ``code`` is one of ERROR_CODES and
    ``message`` one line that names the JSON path, the same as in R."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


def load_json(path: str | Path) -> Any:
    """Parse a JSON file, refusing (in this order) a path that is not a readable
    regular file, one over MAX_FIXTURE_BYTES, bytes that are not UTF-8, text that
    is beyond strict JSON or nested deeper than MAX_DEPTH (a linear scan, before
    anything recursive runs), and text that is not JSON."""
    shown = escape(str(path))
    try:
        status = os.stat(path)
        if stat.S_ISDIR(status.st_mode):
            raise FixtureError("E_IO", f"{shown}: cannot read: Is a directory")
        if not stat.S_ISREG(status.st_mode):  # a FIFO would block, /dev/zero never end
            raise FixtureError("E_IO", f"{shown}: cannot read: not a regular file")
        if status.st_size > MAX_FIXTURE_BYTES:
            raise FixtureError("E_SIZE", f"{shown}: larger than {MAX_FIXTURE_BYTES} bytes")
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FIXTURE_BYTES + 1)
    except OSError as error:
        raise FixtureError("E_IO", f"{shown}: cannot read: {error.strerror}") from None
    if len(raw) > MAX_FIXTURE_BYTES:  # grew since the stat
        raise FixtureError("E_SIZE", f"{shown}: larger than {MAX_FIXTURE_BYTES} bytes")
    if raw.startswith(b"\xef\xbb\xbf") or b"\x00" in raw:
        raise FixtureError("E_ENCODING", f"{shown}: not UTF-8 text (a byte-order mark or a NUL byte)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FixtureError("E_ENCODING", f"{shown}: not UTF-8 text") from None
    refusal = scan_json(raw, text)
    if refusal is not None:
        raise FixtureError(refusal[0], f"{shown}: {refusal[1]}")
    try:
        return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except ValueError as error:
        raise FixtureError("E_JSON", f"{shown}: not valid JSON: {escape(str(error))}") from None


def scan_json(raw: bytes, text: str) -> tuple[str, str] | None:
    """What a linear scan finds wrong before any parser runs, as (code, words),
    or None: an escaped NUL or a lone surrogate escape (E_ENCODING: R's parser
    would cut or mangle the string), a comment, a backslash or a \\f or \\v
    outside strings (E_JSON: beyond RFC 8259, which R's parser accepts),
    nesting deeper than MAX_DEPTH (E_DEPTH: parsers recurse) and more than
    MAX_DIGITS digits in a row (E_JSON). No recursion, no quadratic step: the R
    twin does the same with the same vector operations. Offsets are 0-based bytes."""
    # Escaped backslashes first, left to right: every backslash left starts an escape.
    escapes = text.replace("\\\\", "..")
    if "\\u0000" in escapes:
        return "E_ENCODING", "not UTF-8 text (a byte-order mark or a NUL byte)"
    if re.search(LONE_SURROGATE, escapes):
        return "E_ENCODING", "not UTF-8 text (a lone surrogate escape)"
    data = np.frombuffer(raw, dtype=np.uint8)
    # Quotes that open or close strings: those not after an odd run of backslashes.
    backslashes = np.flatnonzero(data == 0x5C)
    quotes = np.flatnonzero(data == 0x22)
    if len(backslashes):
        breaks = np.flatnonzero(np.diff(backslashes) != 1)
        run_ends = np.append(backslashes[breaks], backslashes[-1])
        run_lengths = run_ends - np.insert(backslashes[breaks + 1], 0, backslashes[0]) + 1
        k = np.minimum(np.searchsorted(run_ends, quotes - 1), len(run_ends) - 1)
        quotes = quotes[(run_ends[k] != quotes - 1) | (run_lengths[k] % 2 == 0)]

    # not a quote: outside a string when an even number of quotes comes before
    def outside(positions: np.ndarray) -> np.ndarray:
        return positions[np.searchsorted(quotes, positions) % 2 == 0]

    foreign = outside(np.flatnonzero((data == 0x2F) | (data == 0x5C) | (data == 0x0B) | (data == 0x0C)))
    if len(foreign):
        return "E_JSON", (f"not valid JSON: unexpected character 0x{data[foreign[0]]:02x} at offset {foreign[0]} "
                          "(JSON has no comments; its only whitespace is space, tab, line feed and carriage return)")
    brackets = outside(np.flatnonzero((data == 0x5B) | (data == 0x7B) | (data == 0x5D) | (data == 0x7D)))
    depth = np.cumsum(np.where((data[brackets] == 0x5B) | (data[brackets] == 0x7B), 1, -1))
    deep = np.flatnonzero(depth > MAX_DEPTH)
    if len(deep):
        return "E_DEPTH", f"nested deeper than {MAX_DEPTH} levels at offset {brackets[deep[0]]}"
    digit = np.concatenate(([False], (data >= 0x30) & (data <= 0x39), [False]))
    edges = np.flatnonzero(digit[1:] != digit[:-1])  # starts and ends of runs of digits, in pairs
    starts, ends = edges[0::2], edges[1::2]
    long = outside(starts[ends - starts > MAX_DIGITS])
    if len(long):
        return "E_JSON", f"not valid JSON: a number of more than {MAX_DIGITS} digits at offset {long[0]}"
    return None


# An escape of a high surrogate not followed by a low one, or of a low one not
# after a high one (with escaped backslashes already blanked out). Every match
# starts with the literal \u, so the search jumps from one \u to the next (with
# the look-behind first, it tried every offset: 5 ms for the article fixture).
LONE_SURROGATE = (r"\\u(?:[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
                  r"|[dD][c-fC-F][0-9a-fA-F]{2}(?<!\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}))")


def escape(text: str) -> str:
    """Text for a one-line message: a line feed as \\n, every other control
    character, line separator or lone surrogate as \\u0007; the same in R."""
    return re.sub("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]",
                  lambda match: "\\n" if match.group() == "\n" else f"\\u{ord(match.group()):04x}", text)


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _unique_keys(pairs):
    document = dict(pairs)
    if len(document) < len(pairs):  # linear: a set of keys seen, not a count per key
        seen: set[str] = set()
        duplicates: set[str] = set()
        for key, _ in pairs:
            (duplicates if key in seen else seen).add(key)
        raise ValueError(f"duplicate key '{escape(min(duplicates))}'")
    return document
