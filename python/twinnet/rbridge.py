"""The R twin, in process, through rpy2.

R functions are called as objects with arguments; no R code is built from
data.  Every conversion sits inside
``localconverter(default_converter + numpy2ri.converter)``, and every matrix that
comes back has its shape checked against what the Python side expects.

The R package is looked up where R looks (``.libPaths()``: ``R_LIBS``,
``R_LIBS_USER``, the site library), then in ``<venv>/R-library`` where
``make setup`` installs it; ``TWINNET_R_LIBRARY`` overrides both.
"""

import functools
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

INSTALL_HINT = ("install R with `make setup` (Debian: apt-get install r-base-core r-base-dev "
                "r-cran-jsonlite r-cran-testthat), then `.venv/bin/pip install 'rpy2>=3.5.17,<3.6'`")


logger = logging.getLogger(__name__)


class RUnavailable(RuntimeError):
    """R, rpy2 or the twinnet R package cannot be loaded; the message says what to install."""


def r_library():
    """The project's own library, where ``make setup`` installs the twinnet R
    package (``<venv>/R-library``), or ``TWINNET_R_LIBRARY`` when it is set."""
    return Path(os.environ.get("TWINNET_R_LIBRARY") or Path(sys.prefix) / "R-library")


def r_libs_path():
    """``R_LIBS`` for an R subprocess that must find the same twinnet package as
    :func:`r_package`: ``TWINNET_R_LIBRARY`` alone when set, else R's own
    ``R_LIBS`` followed by the project's library."""
    if os.environ.get("TWINNET_R_LIBRARY"):
        return os.environ["TWINNET_R_LIBRARY"]
    return os.pathsep.join(part for part in (os.environ.get("R_LIBS", ""), str(r_library())) if part)


def r_home():
    """R's home directory, the way rpy2 finds it, or None when R is not there.

    Checked before rpy2 starts R: embedded R with a bad home exits the process."""
    home = os.environ.get("R_HOME")
    if not home and shutil.which("R"):
        home = subprocess.run(["R", "RHOME"], capture_output=True, text=True).stdout.strip()
    return home if home and (Path(home) / "library" / "base").is_dir() else None


@functools.lru_cache(maxsize=None)
def r_package():
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


def call(function_name, *args, **kwargs):
    """Call an exported R function with numpy/Python arguments; numeric results
    come back as numpy arrays (lists as dicts)."""
    function = getattr(r_package(), function_name)
    from rpy2.robjects import default_converter, numpy2ri
    from rpy2.robjects.conversion import localconverter

    with localconverter(default_converter + numpy2ri.converter):
        return _plain(function(*args, **kwargs))


def to_r_list(mapping):
    """A dict of arrays, numbers and lists of strings as an R named list (for
    calling R functions that take params or hyper lists)."""
    r_package()
    from rpy2.robjects import ListVector, StrVector, default_converter, numpy2ri
    from rpy2.robjects.conversion import localconverter

    def convert(value):
        if isinstance(value, (list, tuple)):
            return StrVector(value) if all(isinstance(item, str) for item in value) else np.asarray(value)
        return value

    with localconverter(default_converter + numpy2ri.converter):
        return ListVector({name: convert(value) for name, value in mapping.items()})


def _plain(value):
    """OrdDict -> dict, recursively, so results look like the Python side's."""
    if hasattr(value, "items"):
        return {key: _plain(item) for key, item in value.items()}
    return value


def fixture_error_from_r(error):
    """The R twin's twinnet_fixture_error, raised through rpy2 as
    "Error: E_CODE: message", as a FixtureError with the same code and message;
    any other R error is re-raised unchanged."""
    from . import fixtures

    lines = str(error).strip().splitlines() or [""]
    match = re.match(r"Error[^:]*: (E_[A-Z]+): (.*)", lines[0])
    if match is None:
        raise error
    return fixtures.FixtureError(match.group(1), match.group(2).strip())


def train_fixture(path, epochs=None, max_memory=None):
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


def _r_path(path):
    """The path as an R string; a path that is not UTF-8 (bytes kept by Python
    as lone surrogates) is refused in one line rather than failing in rpy2."""
    from . import fixtures

    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise fixtures.FixtureError("E_IO", f"{fixtures.escape(text)}: cannot read: the path is not UTF-8, "
                                            "which R needs") from None
    return text


def _as_double(value):
    """A number as a Python float for R; one too large for a double as infinity,
    which R refuses as it refuses any other number out of range."""
    try:
        return float(value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


def trace_fixture(path):
    """The R twin's trace of a stepwise fixture, as {name: matrix}, with every
    name, order and shape checked against the Python trace."""
    from . import fixtures

    r_package()
    from rpy2.rinterface_lib.embedded import RRuntimeError

    try:
        trace = call("trace_fixture", _r_path(path))
    except RRuntimeError as error:
        raise fixture_error_from_r(error) from None
    expected = fixtures.trace_fixture(path)
    if list(trace) != list(expected):
        raise AssertionError(f"R trace names {list(trace)} differ from Python's {list(expected)}")
    return {name: _shaped(trace[name], expected[name].shape, name) for name in expected}


def _shaped(value, shape, name):
    """Check a matrix that came back from R has the shape Python expects."""
    array = np.asarray(value, dtype=float)
    if array.shape != tuple(shape):
        raise AssertionError(f"R returned {name} with shape {array.shape}, expected {tuple(shape)}")
    return array
