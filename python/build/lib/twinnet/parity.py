"""Parity: train a fixture in both languages and measure how far apart they are.

Each quantity (every parameter, the per-epoch loss, the final output) is
compared three ways: Python against R, and each against the fixture's
``expected``.  All three must agree within ``TOLERANCE`` absolute.  The
difference is also reported in ULPs (units in the last place), because the two
twins are not bit-identical: numpy's ``exp`` and its OpenBLAS's FMA kernels round
differently from glibc's ``exp`` and the BLAS R is linked to.
"""

from dataclasses import dataclass

import numpy as np

from . import fixtures, rbridge

TOLERANCE = 1e-12


def ulp_distance(a, b):
    """How many doubles lie between a and b, elementwise (0 when equal)."""
    def ordered(x):
        bits = np.asarray(x, dtype=np.float64).view(np.int64)
        return np.where(bits < 0, np.iinfo(np.int64).min - bits, bits)
    return np.abs(ordered(a) - ordered(b))


@dataclass
class Comparison:
    """One quantity of one fixture, compared across languages and with ``expected``."""

    fixture: str
    quantity: str
    python: np.ndarray
    r: np.ndarray
    expected: np.ndarray

    @property
    def max_abs(self):
        return _max_abs(self.python, self.r)

    @property
    def max_ulp(self):
        return int(ulp_distance(self.python, self.r).max(initial=0))

    @property
    def python_vs_expected(self):
        return _max_abs(self.python, self.expected)

    @property
    def r_vs_expected(self):
        return _max_abs(self.r, self.expected)

    @property
    def same_shape(self):
        return self.python.shape == self.r.shape == self.expected.shape

    @property
    def ok(self):
        return self.same_shape and max(self.max_abs, self.python_vs_expected, self.r_vs_expected) <= TOLERANCE

    def first_mismatch(self):
        """``"fixture > quantity > index: a=…, b=…"`` for the first element out
        of tolerance, or None when all agree."""
        if not self.same_shape:
            return (f"{self.fixture} > {self.quantity}: shapes differ: python {self.python.shape}, "
                    f"r {self.r.shape}, expected {self.expected.shape}")
        pairs = (("python", self.python, "r", self.r),
                 ("python", self.python, "expected", self.expected),
                 ("r", self.r, "expected", self.expected))
        for name_a, a, name_b, b in pairs:
            bad = np.argwhere(np.abs(a - b) > TOLERANCE)
            if len(bad):
                index = tuple(int(i) for i in bad[0])
                return (f"{self.fixture} > {self.quantity} > {list(index)}: "
                        f"{name_a}={float(a[index])!r}, {name_b}={float(b[index])!r}")
        return None


def _max_abs(a, b):
    return float(np.max(np.abs(a - b), initial=0.0))


def quantities(result):
    """Every compared quantity of a result (or of a fixture's ``expected``), by name."""
    return {**result["params"], "loss": result["loss"], "output": result["output"]}


def compare(fixture, python_result, r_result):
    """One comparison per parameter, loss and output of one fixture.

    ``fixture`` is the fixture as read, with its ``expected``."""
    python, r, expected = (quantities(result) for result in (python_result, r_result, fixture["expected"]))
    return [Comparison(fixture["name"], name, *(np.asarray(side[name], dtype=float) for side in (python, r, expected)))
            for name in python]


def run(paths):
    """Train every fixture in both languages; returns all comparisons."""
    rows = []
    for path in paths:
        fixture = fixtures.read_fixture(path)
        rows += compare(fixture, fixtures.train_fixture(path), rbridge.train_fixture(path))
    return rows


def table(rows):
    """The parity table as text: one line per fixture and quantity."""
    header = ("fixture", "quantity", "max |py-R|", "max ULP", "py vs expected", "R vs expected", "verdict")
    lines = [(row.fixture, row.quantity, f"{row.max_abs:.3e}", str(row.max_ulp),
              f"{row.python_vs_expected:.3e}", f"{row.r_vs_expected:.3e}",
              "ok" if row.ok else "MISMATCH") for row in rows]
    widths = [max(len(cells[i]) for cells in [header] + lines) for i in range(len(header))]
    render = lambda cells: "  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()
    return "\n".join([render(header), render(["-" * w for w in widths])] + [render(cells) for cells in lines])
