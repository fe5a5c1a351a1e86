"""The R twin, in process, through rpy2.

R functions are called as objects with arguments; no R code is built from
data.  Every conversion sits inside ``localconverter(converter())`` (rpy2's
default conversion plus numpy's), and every matrix that
comes back has its shape checked against what the Python side expects.

The R package is looked up where R looks (``.libPaths()``: ``R_LIBS``,
``R_LIBS_USER``, the site library), then in ``<venv>/R-library`` where
``make setup`` installs it; ``TWINNET_R_LIBRARY`` overrides both.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .types import Params, Trained

if TYPE_CHECKING:
    from .safejson import FixtureError

INSTALL_HINT = ("install R with `make setup` (Debian: apt-get install r-base-core r-base-dev "
                "r-cran-jsonlite r-cran-testthat), then `.venv/bin/pip install 'rpy2>=3.5.17,<3.6'`")


logger = logging.getLogger(__name__)


class RUnavailable(RuntimeError):
    """R, rpy2 or the twinnet R package cannot be loaded; the message says what to install."""


def r_library() -> Path:
    """The project's own library, where ``make setup`` installs the twinnet R
    package (``<venv>/R-library``), or ``TWINNET_R_LIBRARY`` when it is set."""
    return Path(os.environ.get("TWINNET_R_LIBRARY") or Path(sys.prefix) / "R-library")


def r_libs_path() -> str:
    """``R_LIBS`` for an R subprocess that must find the same twinnet package as
    :func:`r_package`: ``TWINNET_R_LIBRARY`` alone when set, else R's own
    ``R_LIBS`` followed by the project's library."""
    if os.environ.get("TWINNET_R_LIBRARY"):
        return os.environ["TWINNET_R_LIBRARY"]
    return os.pathsep.join(part for part in (os.environ.get("R_LIBS", ""), str(r_library())) if part)


def r_home() -> str | None:
    """R's home directory, the way rpy2 finds it, or None when R is not there.

    Checked before rpy2 starts R: embedded R with a bad home exits the process."""
    home = os.environ.get("R_HOME")
    if not home and shutil.which("R"):
        home = subprocess.run(["R", "RHOME"], capture_output=True, text=True).stdout.strip()
    return home if home and (Path(home) / "library" / "base").is_dir() else None


@functools.cache
def r_package() -> Any:
    """Start R once and load the twinnet R package; returns the rpy2 package object."""
    if r_home() is None:
        raise RUnavailable(f"R was not found: {INSTALL_HINT}")
    try:
        from rpy2.rinterface_lib import callbacks
        from rpy2.robjects.packages import importr
    except Exception as error:  # ImportError, or R's shared library not found
        raise RUnavailable(f"cannot load R through rpy2 ({_first_line(error)}): {INSTALL_HINT}") from None
    # R's own "Error: ..." console echo is redundant: the message travels in
    # the RRuntimeError, and the CLI prints it as one line.
    callbacks.consolewrite_warnerror = lambda text: logger.debug("R: %s", text.rstrip())
    from rpy2 import robjects

    # Found the way R finds packages: R's own .libPaths() (R_LIBS, R_LIBS_USER,
    # the site library), then the project's library; TWINNET_R_LIBRARY alone
    # when it is set.
    override = os.environ.get("TWINNET_R_LIBRARY")
    libraries = [override] if override else [*robjects.r[".libPaths"](), str(r_library())]
    found = robjects.r["find.package"]("twinnet", lib_loc=robjects.StrVector(libraries), quiet=True)
    if len(found) == 0:
        raise RUnavailable("the twinnet R package is not installed in any of " + ", ".join(libraries)
                           + ": run `make setup` in a clone, or install it with `R CMD INSTALL twinnet_*.tar.gz` "
                           "(or `R CMD INSTALL r` in a clone) into a library on R_LIBS")
    library = str(Path(found[0]).parent)
    try:
        return importr("twinnet", lib_loc=library)
    except Exception as error:
        raise RUnavailable(f"cannot load the twinnet R package from {library} ({_first_line(error)}): "
                           "reinstall it (`make setup`, or `R CMD INSTALL twinnet_*.tar.gz`)") from None


def _first_line(error):
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Ctrl-C (or SIGTERM, which the CLI handles too) while R computes: R
    stops at its next interrupt check, and the call raises what the signal's
    Python handler raises (KeyboardInterrupt; the CLI's SystemExit for SIGTERM).

    Python runs a signal's handler only when it next runs Python code: during
    an R call, that is inside one of rpy2's callbacks from R (R asks for
    events every thousand or so evaluations), and an exception raised there
    is printed and lost: the training goes on.  So while R runs, the handlers
    raise nothing; they tell R an interrupt is pending
    (``R_interrupts_pending``, as rpy2's own event callback does) and remember
    the signal, and once R has stopped, the signal's own handler runs.  Only
    Python handlers are deferred (SIG_IGN and SIG_DFL act in C and need no
    help), and only in the main thread, where Python runs them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handlers: dict[int, Callable[[int, Any], Any]] = {}
    for number in (int(signal.SIGINT), int(signal.SIGTERM)):
        handler = signal.getsignal(number)
        if callable(handler) and not getattr(handler, "defers_to_r", False):  # not inside another call
            handlers[number] = handler
    if not handlers:
        yield
        return
    from rpy2.rinterface_lib import openrlib

    received: list[int] = []

    def defer(signum: int, frame: Any) -> None:
        received.append(signum)
        openrlib.rlib.R_interrupts_pending = 1

    defer.defers_to_r = True  # type: ignore[attr-defined]
    for number in handlers:
        signal.signal(number, defer)
    try:
        yield
    except Exception:
        if received:  # R stopped because of the signal: its handler's exception, not R's
            try:
                handlers[received[0]](received[0], None)
            except BaseException as stop:
                raise stop from None
        raise
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
        if received:  # R has stopped: an interrupt it did not take must not stop its next call
            openrlib.rlib.R_interrupts_pending = 0
    if received:  # the signal came as R returned: its handler runs now
        handlers[received[0]](received[0], None)


def call(function_name: str, *args: Any, **kwargs: Any) -> Any:
    """Call an R function of the twinnet package, exported or internal, with
    numpy/Python arguments; numeric results come back as numpy arrays (lists as
    dicts). rpy2's ``importr`` maps every object of the package's namespace,
    not only its exports, so ``call("escape", ...)`` reaches what R spells
    ``twinnet:::escape``."""
    return apply(getattr(r_package(), function_name), *args, **kwargs)


def apply(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call an R function object (one of the package's, or one made with
    ``robjects.r``) as :func:`call` does: numpy/Python arguments in, numpy
    arrays and dicts out; Ctrl-C stops it (:func:`interruptible`)."""
    from rpy2.robjects.conversion import localconverter

    with localconverter(converter()), interruptible():
        return _plain(function(*args, **kwargs))


@functools.cache
def converter() -> Any:
    """rpy2's default conversion with numpy's on top (arrays in, arrays out),
    built once: building it costs as much as entering it, 0.3 ms a call."""
    from rpy2.robjects import default_converter, numpy2ri

    return default_converter + numpy2ri.converter


def to_r_list(mapping: Mapping[str, Any]) -> Any:
    """A dict of arrays, numbers and lists of strings as an R named list (for
    calling R functions that take params or hyper lists)."""
    r_package()
    from rpy2.robjects import ListVector, StrVector
    from rpy2.robjects.conversion import localconverter

    def convert(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return StrVector(value) if all(isinstance(item, str) for item in value) else np.asarray(value)
        return value

    with localconverter(converter()):
        return ListVector({name: convert(value) for name, value in mapping.items()})


def train_variant(variant: str, X: np.ndarray, y: np.ndarray, params: Params, hyper: Mapping[str, Any],
                  epochs: int) -> Trained:
    """The R twin's ``train_variant``: (params, loss, output) as
    ``training.train_variant`` returns them, every shape checked."""
    result = call("train_variant", variant, X, y, to_r_list(params), to_r_list(hyper), int(epochs))
    trained = {name: _shaped(result["params"][name], np.shape(params[name]), name) for name in params}
    return trained, _shaped(result["loss"], (int(epochs),), "loss"), _shaped(result["output"], (len(X), 1), "output")


def _plain(value):
    """OrdDict -> dict (an R list without names -> list), recursively, so
    results look like the Python side's."""
    if hasattr(value, "items"):
        items = list(value.items())
        if items and all(key is None for key, _ in items):
            return [_plain(item) for _, item in items]
        return {key: _plain(item) for key, item in items}
    return value


def fixture_error_from_r(error: Exception) -> FixtureError:
    """The R twin's twinnet_fixture_error, raised through rpy2 as
    "Error: E_CODE: message", as a FixtureError with the same code and message;
    any other R error is re-raised unchanged."""
    from . import safejson

    lines = str(error).strip().splitlines() or [""]
    match = re.match(r"Error[^:]*: (E_[A-Z]+): (.*)", lines[0])
    if match is None:
        raise error
    return safejson.FixtureError(match.group(1), match.group(2).strip())


def train_fixture(path: str | Path, epochs: int | None = None, max_memory: float | None = None) -> dict[str, Any]:
    """Train a fixture with the R twin; returns a result dict like the Python one.

    ``epochs`` goes to R as a double, which R checks as a whole number: an R
    integer would overflow past 2^31 - 1 before R could refuse it."""
    from . import fixtures

    r_package()  # before any rpy2 import: says what to install when R is missing
    from rpy2.rinterface_lib.embedded import RRuntimeError

    kwargs = {}
    if epochs is not None:
        kwargs["epochs"] = _as_double(epochs)
    if max_memory is not None:
        kwargs["max_memory"] = _as_double(max_memory)
    try:
        result = call("train_fixture", _r_path(path), **kwargs)
    except RRuntimeError as error:
        raise fixture_error_from_r(error) from None
    fixture = fixtures.read_fixture(path)
    shapes = {name: value.shape for name, value in fixture["init"].items()}
    shapes["output"] = fixture["data"]["y"].shape
    shapes["loss"] = (fixture["hyper"]["epochs"] if epochs is None else epochs,)
    return {
        "schema": str(result["schema"][0]),
        "fixture": str(result["fixture"][0]),
        "language": str(result["language"][0]),
        "params": {name: _shaped(result["params"][name], shapes[name], name) for name in fixture["init"]},
        "loss": _shaped(result["loss"], shapes["loss"], "loss"),
        "output": _shaped(result["output"], shapes["output"], "output"),
    }


def _r_path(path: str | Path) -> str:
    """The path as an R string; a path that is not UTF-8 (bytes kept by Python
    as lone surrogates) is refused in one line rather than failing in rpy2."""
    from . import safejson

    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise safejson.FixtureError("E_IO", f"{safejson.escape(text)}: cannot read: the path is not UTF-8, "
                                    "which R needs") from None
    return text


def _as_double(value: float) -> float:
    """A number as a Python float for R; one too large for a double as infinity,
    which R refuses as it refuses any other number out of range."""
    try:
        return float(value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


def trace_fixture(path: str | Path, epoch: int = 1) -> dict[str, Any]:
    """The R twin's trace of one epoch of a fixture, as a dict like
    :func:`twinnet.trace.trace_fixture`'s, with every step, title, name and
    shape checked against the Python trace's."""
    from .trace import trace_fixture as python_trace

    r_package()
    from rpy2.rinterface_lib.embedded import RRuntimeError

    try:
        trace = call("trace_fixture", _r_path(path), epoch if isinstance(epoch, bool) else _as_double(epoch))
    except RRuntimeError as error:
        raise fixture_error_from_r(error) from None
    expected = python_trace(path, epoch)
    entries = trace["quantities"]
    quantities = []
    for index, (entry, want) in enumerate(zip(entries, expected["quantities"], strict=False)):
        label = (int(entry["step"][0]), str(entry["title"][0]), str(entry["name"][0]))
        if label != (want["step"], want["title"], want["name"]):
            raise AssertionError(f"R trace entry {index} is {label}, Python's is "
                                 f"{(want['step'], want['title'], want['name'])}")
        values = _shaped(entry["values"], want["shape"], want["name"])
        quantities.append({**{key: want[key] for key in ("step", "title", "name", "shape")}, "values": values})
    if len(entries) != len(expected["quantities"]):
        raise AssertionError(f"R traced {len(entries)} quantities, Python {len(expected['quantities'])}")
    return {**{key: expected[key] for key in ("schema", "fixture", "variant")}, "language": "r",
            "epoch": int(trace["epoch"][0]), "quantities": quantities}


def _shaped(value, shape, name):
    """Check a matrix that came back from R has the shape Python expects."""
    array = np.asarray(value, dtype=float)
    if array.shape != tuple(shape):
        raise AssertionError(f"R returned {name} with shape {array.shape}, expected {tuple(shape)}")
    return array
