"""Numbers for readers: a trace as text, and values formatted for the side-by-side page.

A trace (``twinnet-trace/1``, see ``shared_fixtures/trace.schema.json``) is
what :func:`twinnet.trace.trace_fixture` and its R twin return: every
named quantity of one epoch, labelled with its step.  Text shows every value
at full precision (``repr``, the shortest string that reads back as the same
double), so a learner can check their own code digit for digit.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def trace_text(document: dict) -> str:
    """A trace as text: a heading per step, then each quantity's name, shape and rows of values."""
    lines = [f"{document['fixture']}: epoch {document['epoch']} of the {document['variant']} network, "
             f"computed by the {document['language']} twin; every named quantity in step order, "
             "values at full precision"]
    current = None
    for entry in document["quantities"]:
        if (entry["step"], entry["title"]) != current:
            current = (entry["step"], entry["title"])
            lines += ["", f"Step {entry['step']}: {entry['title']}"]
        rows, columns = entry["shape"]
        lines.append(f"  {entry['name']}  {rows}×{columns}")
        lines += [f"    [{', '.join(map(full, row))}]" for row in np.asarray(entry["values"], float)]
    return "\n".join(lines) + "\n"


def full(value: float) -> str:
    """A double at full precision: repr, the shortest string that reads back bit for bit."""
    return repr(float(value))


def steps_of(document: dict) -> list[tuple[int, str]]:
    """The (step, title) pairs of a trace, in order, each once."""
    seen: list[tuple[int, str]] = []
    for entry in document["quantities"]:
        if (entry["step"], entry["title"]) not in seen:
            seen.append((entry["step"], entry["title"]))
    return seen


def by_step(document: dict, step: int) -> Iterable[dict]:
    """The entries of one step, in order."""
    return [entry for entry in document["quantities"] if entry["step"] == step]


def differences(python: dict, r: dict) -> list[dict]:
    """Quantity by quantity, how far two traces of the same fixture and epoch are apart: each entry has the
    Python entry's step, title, name and shape, ``python`` and ``r`` (the values), ``max_abs`` (max |Δ|),
    ``max_ulp`` and ``scale`` (the largest magnitude, at least 1, that the parity tolerance is scaled by).
    Raises ValueError when the two traces do not list the same quantities."""
    from .. import parity

    left, right = python["quantities"], r["quantities"]
    labels = [[(e["step"], e["title"], e["name"], list(e["shape"])) for e in side] for side in (left, right)]
    if labels[0] != labels[1]:
        raise ValueError("the traces list different quantities")
    rows = []
    for a, b in zip(left, right, strict=True):
        x, y = np.asarray(a["values"], float), np.asarray(b["values"], float)
        rows.append({**{key: a[key] for key in ("step", "title", "name", "shape")}, "python": x, "r": y,
                     "max_abs": float(np.max(np.abs(x - y), initial=0.0)),
                     "max_ulp": int(parity.ulp_distance(x, y).max(initial=0)),
                     "scale": float(max(1.0, np.max(np.abs(x), initial=0.0), np.max(np.abs(y), initial=0.0)))})
    return rows


def agrees(row: dict) -> bool:
    """Whether one row of :func:`differences` is within the parity tolerance, scaled by the values' magnitude."""
    from .. import parity

    return row["max_abs"] <= parity.TOLERANCE * row["scale"]


def shape_text(shape: Iterable[int]) -> str:
    """A shape as a reader writes it: 2×3."""
    return "×".join(map(str, shape))


def trace_both_text(python: dict, r: dict) -> str:
    """Two traces of the same fixture and epoch, the Python twin's values left and the R twin's right, row by
    row, each quantity with its largest |Δ|, in ULPs too, and whether it agrees within the parity tolerance
    (scaled by the values' magnitude); a quantity whose shapes differ names both shapes."""
    from .. import parity

    lines = [f"{python['fixture']}: epoch {python['epoch']} of the {python['variant']} network, the Python twin "
             "(left) beside the R twin (right); every named quantity in step order, values at full precision"]
    theirs = {(entry["step"], entry["name"]): entry for entry in r["quantities"]}
    current, agree, total = None, 0, 0
    for entry in python["quantities"]:
        if (entry["step"], entry["title"]) != current:
            current = (entry["step"], entry["title"])
            lines += ["", f"Step {entry['step']}: {entry['title']}"]
        total += 1
        other = theirs.get((entry["step"], entry["name"]))
        if other is None:
            lines.append(f"  {entry['name']}: not in the R twin's trace")
            continue
        x, y = np.asarray(entry["values"], float), np.asarray(other["values"], float)
        if x.shape != y.shape:
            lines.append(f"  {entry['name']}: shapes differ: Python {shape_text(x.shape)}, R {shape_text(y.shape)}")
            continue
        row = {"max_abs": float(np.max(np.abs(x - y), initial=0.0)),
               "scale": float(max(1.0, np.max(np.abs(x), initial=0.0), np.max(np.abs(y), initial=0.0)))}
        ulps = int(parity.ulp_distance(x, y).max(initial=0))
        agree += agrees(row)
        verdict = "agree" if agrees(row) else "DIFFER"
        lines.append(f"  {entry['name']}  {shape_text(x.shape)}  max |Python − R| = {row['max_abs']:.3g} "
                     f"({ulps} ULPs): {verdict}")
        left, right = ([f"[{', '.join(map(full, values))}]" for values in side] for side in (x, y))
        width = max(map(len, left))
        lines += [f"    {a:<{width}}   {b}" for a, b in zip(left, right, strict=True)]
    lines += ["", f"{agree} of {total} quantities agree within the parity tolerance"]
    return "\n".join(lines) + "\n"
