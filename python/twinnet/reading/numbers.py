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
