"""Parity: train a fixture in both languages and measure how far apart they are.

Each quantity (every parameter, the per-epoch loss, the final output) is
compared three ways: Python against R, and each against the fixture's
``expected``.  All three must agree within ``TOLERANCE`` absolute.  The
difference is also reported in ULPs (units in the last place), because the two
twins are not bit-identical: numpy's ``exp`` and its OpenBLAS's FMA kernels round
differently from glibc's ``exp`` and the BLAS R is linked to.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import fixtures, rbridge, trace, training

TOLERANCE = 1e-12
# Each language's way to train a fixture (and to trace one pass of a stepwise fixture), by language name.
TRAINERS = {"python": training.train_fixture, "r": rbridge.train_fixture}
TRACERS = {"python": trace.trace_fixture, "r": rbridge.trace_fixture}

_TRAINED: dict[tuple[str, str], dict[str, Any]] = {}
_TRAINED_LOCK = threading.Lock()
TRAINED_KEPT = 64
"""Results :func:`trained` keeps in a process; the oldest goes first."""


def trained(path: str | Path, language: str) -> dict[str, Any]:
    """``TRAINERS[language](path)``, trained once per distinct file content and
    language in this process: the parity table, the page's numbers, the plots
    and ``conform`` ask for the same fixtures, and each training is the same
    pure function of the file's bytes.  The caller gets its own copy; an error
    is raised every time, never kept."""
    key = (language, hashlib.sha256(Path(path).read_bytes()).hexdigest())
    with _TRAINED_LOCK:
        known = _TRAINED.get(key)
    if known is None:
        known = TRAINERS[language](path)
        if hashlib.sha256(Path(path).read_bytes()).hexdigest() == key[1]:  # unchanged while it trained
            with _TRAINED_LOCK:
                _TRAINED[key] = known
                while len(_TRAINED) > TRAINED_KEPT:
                    del _TRAINED[next(iter(_TRAINED))]
    return deepcopy(known)


def ulp_distance(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """How many doubles lie between a and b, elementwise (0 when equal)."""
    def ordered(x: ArrayLike) -> np.ndarray:
        bits = np.asarray(x, dtype=np.float64).view(np.int64)
        return np.where(bits < 0, np.iinfo(np.int64).min - bits, bits)
    return np.abs(ordered(a) - ordered(b))


def out_of_tolerance(a: ArrayLike, b: ArrayLike, tolerance: float = TOLERANCE) -> np.ndarray:
    """Elementwise: True where a and b differ by more than ``tolerance``.  A NaN
    on either side is out of tolerance (``~(|a - b| <= tol)``, never ``> tol``)."""
    return ~(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)) <= tolerance)


def first_out_of_tolerance(a: ArrayLike, b: ArrayLike, tolerance: float = TOLERANCE) -> tuple[int, ...] | None:
    """The index of the first element (row-major) out of tolerance, or None when all agree."""
    bad = np.argwhere(out_of_tolerance(a, b, tolerance))
    return tuple(int(i) for i in bad[0]) if len(bad) else None


def describe_mismatch(where: str, name_a: str, a: ArrayLike, name_b: str, b: ArrayLike,
                      tolerance: float = TOLERANCE) -> str | None:
    """One line for the first element out of tolerance, or None when all agree:
    ``where > [i, j]: a=…, b=…, |Δ|=…, N ULPs, tolerance …``."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return f"{where}: shapes differ: {name_a} {a.shape}, {name_b} {b.shape}"
    index = first_out_of_tolerance(a, b, tolerance)
    if index is None:
        return None
    value_a, value_b = float(a[index]), float(b[index])
    place = f"{where} > {list(index)}" if index else where
    return (f"{place}: {name_a}={value_a!r}, {name_b}={value_b!r}, |Δ|={abs(value_a - value_b):.3g}, "
            f"{int(ulp_distance(value_a, value_b))} ULPs, tolerance {tolerance:g}")


@dataclass
class Comparison:
    """One quantity of one fixture, compared across languages and with ``expected``."""

    fixture: str
    quantity: str
    python: np.ndarray
    r: np.ndarray
    expected: np.ndarray

    @property
    def max_abs(self) -> float:
        return _max_abs(self.python, self.r)

    @property
    def max_ulp(self) -> int:
        return int(ulp_distance(self.python, self.r).max(initial=0))

    @property
    def python_vs_expected(self) -> float:
        return _max_abs(self.python, self.expected)

    @property
    def r_vs_expected(self) -> float:
        return _max_abs(self.r, self.expected)

    @property
    def same_shape(self) -> bool:
        return bool(self.python.shape == self.r.shape == self.expected.shape)

    @property
    def ok(self) -> bool:
        return self.first_mismatch() is None

    def first_mismatch(self) -> str | None:
        """``"fixture > quantity > [i, j]: python=…, r=…, |Δ|=…, N ULPs, tolerance …"``
        for the first element out of tolerance (NaN included), or None when all agree."""
        where = f"{self.fixture} > {self.quantity}"
        if not self.same_shape:
            return (f"{where}: shapes differ: python {self.python.shape}, "
                    f"r {self.r.shape}, expected {self.expected.shape}")
        pairs = (("python", self.python, "r", self.r),
                 ("python", self.python, "expected", self.expected),
                 ("r", self.r, "expected", self.expected))
        for name_a, a, name_b, b in pairs:
            message = describe_mismatch(where, name_a, a, name_b, b)
            if message is not None:
                return message
        return None


def _max_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b), initial=0.0))


def quantities(result: dict[str, Any]) -> dict[str, np.ndarray]:
    """Every compared quantity of a result (or of a fixture's ``expected``), by name."""
    return {**result["params"], "loss": result["loss"], "output": result["output"]}


def compare(fixture: dict[str, Any], python_result: dict[str, Any],
            r_result: dict[str, Any]) -> list[Comparison]:
    """One comparison per parameter, loss and output of one fixture.

    ``fixture`` is the fixture as read, with its ``expected``."""
    python, r, expected = (quantities(result) for result in (python_result, r_result, fixture["expected"]))
    return [Comparison(fixture["name"], name, *(np.asarray(side[name], dtype=float) for side in (python, r, expected)))
            for name in python]


def run(paths: Iterable[str | Path]) -> list[Comparison]:
    """Train every fixture in both languages; returns all comparisons."""
    rows = []
    for path in paths:
        fixture = fixtures.read_fixture(path)
        rows += compare(fixture, trained(path, "python"), trained(path, "r"))
    return rows


def table(rows: Sequence[Comparison]) -> str:
    """The parity table as text: one line per fixture and quantity."""
    header = ("fixture", "quantity", "max |py-R|", "max ULP", "py vs expected", "R vs expected", "verdict")
    lines = [(row.fixture, row.quantity, f"{row.max_abs:.3e}", str(row.max_ulp),
              f"{row.python_vs_expected:.3e}", f"{row.r_vs_expected:.3e}",
              "ok" if row.ok else "MISMATCH") for row in rows]
    widths = [max(len(cells[i]) for cells in [header] + lines) for i in range(len(header))]

    def render(cells: Sequence[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([render(header), render(["-" * w for w in widths])] + [render(cells) for cells in lines])
