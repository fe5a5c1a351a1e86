"""``python -m twinnet doctor``: why the twins agree to 1e-12 but not bit for bit.

It prints the versions and the linear algebra each language runs on, probes
numpy's ``exp`` against the C library's on a grid, then trains the article
fixture in both languages epoch by epoch: in every epoch each operation that
can round differently is applied to the same inputs in both languages, and
the twins' updated parameters are compared, to find the epoch where they first
part and the operations that caused it.  It ends with the final difference in
ULP and a few sentences saying which causes explain it.

One command, read in the order its report runs (probes, replay, explanation):
a little past 400 lines, kept whole because each part feeds only the next.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import platform
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import article, fixtures, parity, rbridge, trace

FIXTURE = fixtures.example("article")
EXP_GRID = np.linspace(-40.0, 40.0, 200_001)  # every sigmoid input that does not saturate, and more
REPLAY_EPOCHS = 50
FIRST_DIFFERENCE_LIMIT = 500
WIDTH = 100  # the explanation's line width
READING = (
    "How to read the differences: |Δ| is the absolute difference between the Python and the R double, ULP "
    "the number of doubles between them (units in the last place). Rounding shows in ULP, not in |Δ|: one ULP "
    "is 2.2e-16 for values near 1 but 32 for exp(40) = 2.4e17, so the exp probe's large max |Δ| (up to 3.2e+01) "
    "is one rounding step of a large value, not an error. The 1e-12 tolerance is absolute and applies to the "
    "trained parameters, loss and output, whose values are near 1, where 1e-12 is about 4500 ULP.")

CAUSES = {
    "products": "matrix products (@ vs %*%, crossprod)",
    "exp": "sigmoid (numpy exp vs C exp)",
    "sums": "column sums (sum vs colSums)",
    "mean": "loss (np.mean vs mean)",
}


@dataclass
class Probe:
    """How often one kind of operation gives a different double in the two
    languages on the same inputs."""

    name: str
    differing: int = 0
    total: int = 0
    max_ulp: int = 0
    max_abs: float = 0.0
    first_epoch: int = 0  # the first epoch with a difference, 0 if none

    def add(self, epoch: int, python: ArrayLike, r: ArrayLike) -> bool:
        """Count one comparison; returns whether any element differs."""
        python = np.asarray(python, dtype=float)
        r = np.asarray(r, dtype=float).reshape(python.shape)
        ulps = parity.ulp_distance(python, r)
        self.differing += int(np.count_nonzero(ulps))
        self.total += ulps.size
        self.max_ulp = max(self.max_ulp, int(ulps.max(initial=0)))
        self.max_abs = max(self.max_abs, float(np.max(np.abs(python - r), initial=0.0)))
        if ulps.any() and not self.first_epoch:
            self.first_epoch = epoch
        return bool(ulps.any())

    @property
    def fraction(self) -> float:
        return self.differing / self.total if self.total else 0.0

    def line(self) -> str:
        first = f", first in epoch {self.first_epoch}" if self.first_epoch else ""
        return (f"{self.name:<38} {self.differing:>6} of {self.total:<6} differ ({self.fraction:6.2%}), "
                f"max {self.max_ulp} ULP, max |Δ| {self.max_abs:.1e}{first}")


@dataclass
class Parting:
    """Where the two twins' parameters first part, and why."""

    epoch: int = 0          # the first epoch after which they differ (0: not within the limit)
    params: tuple = ()      # the parameters that differ after it
    forward: tuple = ()     # forward-pass values that differ in it
    operations: tuple = ()  # operations that rounded differently in it
    quiet_epochs: int = 0   # earlier epochs where an operation differed but the update rounded it away


# Versions and linear algebra ----------------------------------------------------------------

def r_eval(expression: str) -> Any:
    """The value of a fixed R expression (never built from data)."""
    rbridge.r_package()
    from rpy2 import robjects

    return robjects.r(expression)


def r_base(function_name: str, *args: Any) -> np.ndarray:
    """Call a base-R function on numpy arrays; returns a numpy array."""
    rbridge.r_package()
    from rpy2.robjects import baseenv
    from rpy2.robjects.conversion import localconverter

    with localconverter(rbridge.converter()):
        return np.asarray(baseenv[function_name](*args), dtype=float)


def versions() -> list[tuple[str, str]]:
    """(name, version) of Python, numpy, R, rpy2 (with its cffi mode) and jsonlite."""
    import rpy2
    from rpy2 import situation

    rbridge.r_package()
    from rpy2.rinterface_lib import openrlib

    module = openrlib._rinterface_cffi.__name__
    mode = "API" if module.endswith("_api") else "ABI" if module.endswith("_abi") else module
    return [
        ("Python", f"{platform.python_version()} ({platform.python_implementation()}, {sys.executable})"),
        ("numpy", np.__version__),
        ("R", str(r_eval("R.version.string")[0])),
        ("rpy2", f"{rpy2.__version__}, {mode} mode (cffi module {module}; requested: "
                 f"{situation.get_cffi_mode().name})"),
        ("jsonlite", str(r_eval("as.character(utils::packageVersion('jsonlite'))")[0])),
    ]


def numpy_linear_algebra() -> list[tuple[str, str]]:
    """What numpy was built with and runs on: BLAS, LAPACK, SIMD, OpenBLAS kernels."""
    config: Any = np.show_config(mode="dicts")  # nested dicts; numpy types them too narrowly to .get() into
    lines = []
    for part in ("blas", "lapack"):
        info = config.get("Build Dependencies", {}).get(part, {})
        detail = " ".join(info.get("openblas configuration", "").split())
        lines.append((f"numpy {part.upper()}", f"{info.get('name', '?')} {info.get('version', '')}"
                      + (f" ({detail})" if detail else "")))
    simd = config.get("SIMD Extensions", {})
    lines.append(("numpy SIMD", f"baseline {' '.join(simd.get('baseline', []))}; "
                                f"found {' '.join(simd.get('found', []))}"))
    lines.append(("numpy BLAS at run time", str(openblas_runtime() or "unknown (no bundled OpenBLAS was found)")))
    return lines


@dataclass(frozen=True)
class OpenBLAS:
    """What an OpenBLAS library picked on this machine, asked through ctypes."""

    library: str   # the shared library's path
    corename: str  # the kernels it chose for this CPU
    threads: int

    def __str__(self) -> str:
        return f"OpenBLAS, kernels for {self.corename}, {self.threads} threads ({os.path.basename(self.library)})"


def openblas_runtime(path: str | None = None) -> OpenBLAS | None:
    """Ask an OpenBLAS library which kernels and how many threads it uses: numpy's
    bundled one (``path`` None) or the library at ``path`` (R's BLAS, loaded as R's
    process loads it).  None when it is not an OpenBLAS or none is found."""
    candidates = [path] if path else sorted(glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs",
                                                                   "*openblas*")))
    for candidate in candidates:
        try:
            library = ctypes.CDLL(candidate)
        except OSError:
            continue
        corename, threads = _openblas_function(library, "get_corename"), _openblas_function(library, "get_num_threads")
        if corename is not None and threads is not None:
            corename.restype = ctypes.c_char_p
            return OpenBLAS(candidate, corename().decode(), int(threads()))
    return None


def _openblas_function(library: ctypes.CDLL, name: str) -> Any:
    """``openblas_<name>`` under the prefixes and suffixes numpy's and Debian's builds use."""
    for symbol in (f"scipy_openblas_{name}64_", f"openblas_{name}64_", f"openblas_{name}"):
        function = getattr(library, symbol, None)
        if function is not None:
            return function
    return None


def r_linear_algebra() -> list[tuple[str, str]]:
    """The BLAS and LAPACK R is linked to, resolved through symlinks."""
    blas = str(r_eval('extSoftVersion()["BLAS"]')[0])
    lapack = str(r_eval("La_library()")[0])
    return [("R BLAS", f"{_resolved(blas)} ({blas_kind(os.path.realpath(blas))})"),
            ("R LAPACK", f"{_resolved(lapack)} (LAPACK {r_eval('La_version()')[0]})")]


def _resolved(path: str) -> str:
    real = os.path.realpath(path)
    return path if real == path else f"{path} -> {real}"


def blas_kind(path: str) -> str:
    """A name for a BLAS library from its resolved path."""
    lowered = path.lower()
    for needle, kind in (("openblas", "OpenBLAS"), ("mkl", "Intel MKL"), ("atlas", "ATLAS"), ("blis", "BLIS"),
                         ("accelerate", "Apple Accelerate"), ("veclib", "Apple Accelerate")):
        if needle in lowered:
            return kind
    if "libblas" in lowered or "librblas" in lowered:
        return "the reference BLAS"
    return "an unknown BLAS"


# exp on a grid ----------------------------------------------------------------------------

def exp_agreement(grid: np.ndarray = EXP_GRID) -> tuple[Probe, Probe]:
    """Probes of numpy's exp and R's exp against the C library's exp, bitwise."""
    libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    libm.exp.restype, libm.exp.argtypes = ctypes.c_double, [ctypes.c_double]
    c = np.fromiter((libm.exp(x) for x in grid.tolist()), dtype=float, count=grid.size)
    numpy_probe, r_probe = Probe("numpy exp vs C library exp"), Probe("R exp vs C library exp")
    numpy_probe.add(0, np.exp(grid), c)
    r_probe.add(0, r_base("exp", grid), c)
    return numpy_probe, r_probe


# The article fixture, epoch by epoch --------------------------------------------------------

def replay(path: str | Path = FIXTURE, epochs: int = REPLAY_EPOCHS,
           limit: int = FIRST_DIFFERENCE_LIMIT) -> tuple[dict[str, Probe], Parting]:
    """Train a fixture of the article variant epoch by epoch.  In each epoch,
    apply every operation that can round differently to the same inputs in
    both languages, as the twins write them; until the twins' parameters first
    differ, also run one epoch of each twin and compare.  Runs ``epochs``
    epochs, or on to the first difference (at most ``limit``).  Returns
    (probes by cause, Parting)."""
    fixture = fixtures.read_fixture(path)
    X, y, lr = fixture["data"]["X"], fixture["data"]["y"], fixture["hyper"]["lr"]
    params = {name: value.copy() for name, value in fixture["init"].items()}
    probes = {cause: Probe(name) for cause, name in CAUSES.items()}
    found = Parting()
    for epoch in range(1, max(epochs, limit) + 1):
        if epoch > epochs and found.epoch:
            break
        operations = _operations(epoch, X, y, params, probes)
        if not found.epoch:
            found = _compare_epoch(epoch, X, y, lr, params, operations, found)
        article.update_params(params, article.backward(X, y, params, *article.forward(X, params)), lr)
    return probes, found


def _operations(epoch, X, y, params, probes):
    """Compare each operation of one epoch in both languages; returns the
    labels of those that differ."""
    # the twin's own intermediates (its functions' locals), each operation of which is probed below
    (H, output), forward_pass = trace.call_keeping_locals(article.forward, X, params)
    _, backward_pass = trace.call_keeping_locals(article.backward, X, y, params, H, output)
    d_output, d_hidden = backward_pass["d_output"], backward_pass["d_hiddenlayer"]
    hidden_input, output_input = forward_pass["hidden_layer_input"], forward_pass["output_layer_input"]
    comparisons = (
        ("products", "X·w_h", X @ params["wh"], r_base("%*%", X, params["wh"])),
        ("exp", "σ(H_i)", article.sigmoid(hidden_input), rbridge.call("sigmoid", hidden_input)),
        ("products", "H_o·w_o", H @ params["wout"], r_base("%*%", H, params["wout"])),
        ("exp", "σ(O_i)", article.sigmoid(output_input), rbridge.call("sigmoid", output_input)),
        ("mean", "mean ½(y − O_o)²", article.loss(y, output), rbridge.call("loss", y, output)),
        ("products", "δ_o·w_oᵀ", d_output @ params["wout"].T, r_base("tcrossprod", d_output, params["wout"])),
        ("products", "Xᵀ·δ_h", X.T @ d_hidden, r_base("crossprod", X, d_hidden)),
        ("products", "H_oᵀ·δ_o", H.T @ d_output, r_base("crossprod", H, d_output)),
        ("sums", "Σᵢ δ_h", d_hidden.sum(axis=0), r_base("colSums", d_hidden)),
        ("sums", "Σᵢ δ_o", d_output.sum(axis=0), r_base("colSums", d_output)),
    )
    return [label for cause, label, python, r in comparisons if probes[cause].add(epoch, python, r)]


def _compare_epoch(epoch, X, y, lr, params, operations, found):
    """One epoch of both twins from the same parameters: a Parting whose
    epoch is set when their updated parameters differ."""
    H, output = article.forward(X, params)
    descent = article.backward(X, y, params, H, output)
    r_params = rbridge.to_r_list(params)
    r_forward = rbridge.call("forward", X, r_params)
    r_descent = rbridge.call("backward", X, y, r_params, r_forward["H"], r_forward["output"])
    r_updated = rbridge.call("update_params", r_params, rbridge.to_r_list(r_descent), lr)
    differing = tuple(name for name in params
                      if not np.array_equal(params[name] + descent[name] * lr,
                                            np.asarray(r_updated[name]).reshape(params[name].shape)))
    if not differing:
        return Parting(quiet_epochs=found.quiet_epochs + bool(operations))
    forward = tuple(name for name, python, r in (("H_o", H, r_forward["H"]), ("O_o", output, r_forward["output"]))
                    if not np.array_equal(python, np.asarray(r).reshape(python.shape)))
    return Parting(epoch, differing, forward, tuple(operations), found.quiet_epochs)


def final_difference(path: str | Path = FIXTURE) -> list[parity.Comparison]:
    """The parity comparisons of a full training run of the fixture."""
    return parity.run([path])


# The explanation --------------------------------------------------------------------------

def explanation(numpy_exp: Probe, r_exp: Probe, probes: dict[str, Probe], parting: Parting,
                rows: list[parity.Comparison], r_blas: str) -> list[str]:
    """A few plain sentences: which of the measured causes explain the difference."""
    products, sigmoid, sums, mean = (probes[cause] for cause in CAUSES)
    sentences = [_exp_sentence(numpy_exp, r_exp, sigmoid)]
    if products.differing:
        r_side = ("the system's OpenBLAS, another build with kernels and blocking of its own" if r_blas == "OpenBLAS"
                  else r_blas)
        sentences.append(
            f"The matrix products give a different double on {products.fraction:.1%} of elements (at most "
            f"{products.max_ulp} ULP): numpy's @ calls its bundled OpenBLAS, whose optimised kernels may fuse "
            f"multiply-adds and add in another order, while R's %*% and crossprod call {r_side}.")
    else:
        sentences.append("The matrix products agree bit for bit on these numbers: the two BLAS libraries are "
                         "not a cause here.")
    if sums.differing or mean.differing:
        sentences.append(
            f"R's colSums and mean add in long double and round once; numpy adds in double. Column sums differ "
            f"on {sums.fraction:.1%} of values and the loss on {mean.fraction:.1%} of epochs (the loss is only "
            "reported; it does not feed the training). Where the terms cancel the sum is tiny, so a tiny absolute "
            f"difference ({sums.max_abs:.0e}) is many ULPs of it.")
    sentences.append(_parting_sentence(parting))
    params = [row for row in rows if row.quantity not in ("loss", "output")]
    worst = max(params, key=lambda row: row.max_ulp)
    epochs = next(len(row.python) for row in rows if row.quantity == "loss")
    sentences.append(
        f"From there gradient descent carries the roundings along without amplifying them: after {epochs} epochs "
        f"the parameters differ by at most {max(row.max_abs for row in params):.1e} ({worst.max_ulp} ULP, in "
        f"{worst.quantity}), far inside the {parity.TOLERANCE:g} tolerance.")
    return sentences


def _exp_sentence(numpy_exp, r_exp, sigmoid):
    if numpy_exp.differing and not r_exp.differing:
        return (f"numpy's exp gives a different double from the C library's on {numpy_exp.fraction:.1%} of the "
                f"grid (by at most {numpy_exp.max_ulp} ULP): numpy runs its own SIMD exp, while R's exp is the C "
                f"library's. On the article's numbers {sigmoid.fraction:.1%} of sigmoid values differ because "
                "of it.")
    if not numpy_exp.differing:
        return ("numpy's exp agrees with the C library's on the whole grid here, so exp is not a cause on this "
                "machine.")
    return (f"numpy's exp and R's exp both differ from the C library's ({numpy_exp.fraction:.1%} and "
            f"{r_exp.fraction:.1%} of the grid).")


def _parting_sentence(parting):
    if not parting.epoch:
        return (f"The parameters stay bit-identical for the first {FIRST_DIFFERENCE_LIMIT} epochs: the roundings "
                "above never survive the update that long.")
    quiet = (f"In {parting.quiet_epochs} earlier epochs some operation already differed, but adding lr·Δ to "
             "the parameters rounded the difference away. " if parting.quiet_epochs else "")
    forward = (f"the forward passes already differ in {', '.join(parting.forward)}"
               if parting.forward else "the forward passes agree")
    operations = parting.operations
    chain = (f"; the operations that round differently on the same inputs, in the order they run, are "
             f"{', '.join(operations)}, so the chain starts at {operations[0]}" if operations
             else "; none of the probed operations differs")
    return (f"{quiet}The parameters first differ after epoch {parting.epoch}, in "
            f"{', '.join(parting.params)}. In that epoch {forward}{chain}.")


# The report -------------------------------------------------------------------------------

def report(path: str | Path = FIXTURE) -> list[str]:
    """The whole doctor report, as lines."""
    lines = ["twinnet doctor: why Python and R agree to 1e-12 but not bit for bit", ""]
    lines += textwrap.wrap(READING, width=WIDTH) + [""]
    lines += _section("Versions", versions())
    r_algebra = r_linear_algebra()
    lines += _section("Linear algebra", numpy_linear_algebra() + r_algebra)
    numpy_exp, r_exp = exp_agreement()
    lines += ["== exp, probed on a grid",
              f"{EXP_GRID.size} points evenly spaced in [{EXP_GRID[0]:g}, {EXP_GRID[-1]:g}], compared bitwise "
              "with the C library's exp called through ctypes",
              numpy_exp.line(), r_exp.line(), ""]
    probes, parting = replay(path)
    epochs = max(REPLAY_EPOCHS, parting.epoch)
    lines += [f"== {path}, operation by operation (first {epochs} epochs, the same inputs in both languages)"]
    lines += [probe.line() for probe in probes.values()]
    lines += [f"parameters first differ after epoch {parting.epoch} ({', '.join(parting.params)})"
              if parting.epoch else f"parameters bit-identical for {FIRST_DIFFERENCE_LIMIT} epochs", ""]
    rows = final_difference(path)
    lines += _final_lines(path, rows) + ["== Why"]
    blas = r_algebra[0][1].rsplit("(", 1)[-1].rstrip(")")
    for sentence in explanation(numpy_exp, r_exp, probes, parting, rows, blas):
        lines += textwrap.wrap(sentence, width=WIDTH, subsequent_indent="  ")
    return lines


def _final_lines(path, rows):
    loss = next(row for row in rows if row.quantity == "loss")
    others = [row for row in rows if row.quantity != "loss"]
    identical = sum(int(np.count_nonzero(parity.ulp_distance(row.python, row.r) == 0)) for row in rows)
    total = sum(row.python.size for row in rows)
    return [f"== Python vs R on {path}, trained in full ({len(loss.python)} epochs)",
            f"max |Δ| {max(row.max_abs for row in rows):.1e}; max ULP: parameters and output "
            f"{max(row.max_ulp for row in others)}, loss {loss.max_ulp}; bit-identical values: {identical} of {total}",
            ""]


def _section(title: str, pairs: list[tuple[str, str]]) -> list[str]:
    width = max(len(name) for name, _ in pairs)
    return [f"== {title}"] + [f"{name:<{width}}  {value}" for name, value in pairs] + [""]


def main(path: str | Path = FIXTURE) -> int:
    """Print the report; returns the exit status."""
    print("\n".join(report(path)))
    return 0
