"""Shared pytest fixtures: the shipped fixture files, both languages' results
and the command line run in process.

R runs in process through rpy2, started once per worker at the first test that
needs it.  Every such test carries the ``needs_r`` marker (set here for the
``language``/``mode`` "r" cases, explicitly elsewhere, and enforced: a test
without it that reaches R fails), so ``pytest -m "not needs_r"`` runs the rest
where R is absent.  If R cannot be loaded, every selected ``needs_r`` test
fails loudly: a parity test that skips is a failed parity test.

The CLI is tested in process (:func:`run_cli`), and so are the ports conform
runs (tests/inprocess.py); tests marked ``process`` start a real
``python -m twinnet``, ``Rscript`` or port process because the process itself
is what they test.
"""

import contextlib
import dataclasses
import fcntl
import functools
import hashlib
import io
import json
import os
import pickle
import signal
import stat
import sys
import tempfile
import warnings
from pathlib import Path

import inprocess
import pytest

from twinnet import fixtures, parity, rbridge

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_DIR = ROOT / "shared_fixtures"
FIXTURE_PATHS = fixtures.fixture_paths(FIXTURE_DIR)
FIXTURE_NAMES = [path.stem for path in FIXTURE_PATHS]


def _quantities(path):
    expected = fixtures.read_fixture(path)["expected"]
    return [*expected["params"], "loss", "output"]


# (fixture, quantity) for every parameter, the loss and the output of every fixture
FIXTURE_QUANTITIES = [(path.stem, quantity) for path in FIXTURE_PATHS for quantity in _quantities(path)]


MARKERS = {
    "needs_r": "the test starts or calls R (rpy2 bridge, Rscript or --lang r); deselect with -m 'not needs_r'",
    "process": "the test starts a real process because the process is what it tests (wiring, signals, exit "
               "status, installed copies, ports)",
}
R_PARAMETERS = {"language": ("r",), "mode": ("r", "r-api")}  # parametrised cases that run the R twin


def pytest_configure(config):
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")


UNCACHED_R_PACKAGE = rbridge.r_package.__wrapped__  # what a process that has not started R yet runs


@functools.cache
def r_failure():
    """Why R cannot be loaded in this worker, or None once it is loaded (once per worker)."""
    try:
        rbridge.r_package()
    except rbridge.RUnavailable as error:
        return str(error)
    return None


@pytest.fixture(autouse=True)
def _r_only_where_marked(request, monkeypatch):
    """A ``needs_r`` test gets R (or fails, never skips); any other test that
    reaches the R bridge fails, so the marker stays true."""
    if request.node.get_closest_marker("needs_r"):
        failure = r_failure()
        if failure is not None:
            pytest.fail(f"this test needs R: {failure}", pytrace=False)
        return

    def unmarked(*args, **kwargs):
        pytest.fail(f"{request.node.nodeid} calls R but is not marked needs_r", pytrace=False)

    monkeypatch.setattr(rbridge, "r_package", unmarked)


@pytest.fixture(autouse=True)
def _ports_in_process(request, monkeypatch):
    """conform's ports run in this worker (tests/inprocess.py) unless the test is
    marked ``process``: the port's numbers are what most tests check, and a
    process per port run is most of their time."""
    if request.node.get_closest_marker("process"):
        return
    from twinnet.ports import exercises, run

    monkeypatch.setattr(run, "command_port", inprocess.command_port)
    monkeypatch.setattr(exercises, "command_port", inprocess.command_port)


@dataclasses.dataclass(frozen=True)
class Result:
    """What one ``twinnet`` command did: exit status, stdout, stderr."""
    code: int
    out: str
    err: str


# Python's default warning filters (python -W default minus the ones it hides)
HIDDEN_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


def run_cli(*argv, stdin=None, env=None, cwd=None):
    """``twinnet ARGV...`` in this process, as a user runs it from ``cwd``
    (default: the repository root): ``twinnet.cli.main`` with stdout and stderr
    captured (Python's and the file descriptors' both, so nothing written
    beside ``sys.stdout`` goes unseen), warnings shown as a fresh process shows
    them, SystemExit as the exit status.  ``env`` changes the environment for
    the call (a value of None removes the name); the environment, the folder,
    stdin and the SIGTERM handler ``main`` installs are restored afterwards.
    An exception ``main`` does not handle propagates: it would be a traceback."""
    from twinnet import cli

    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_cwd, saved_stdin = dict(os.environ), os.getcwd(), sys.stdin
    saved_sigterm = signal.getsignal(signal.SIGTERM)
    with contextlib.ExitStack() as stack:
        raw = [stack.enter_context(tempfile.TemporaryFile()) for _ in range(2)]
        saved_fds = [os.dup(1), os.dup(2)]
        try:
            for name, value in (env or {}).items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = str(value)
            os.chdir(cwd if cwd is not None else ROOT)
            sys.stdin = io.StringIO(stdin or "")
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(raw[0].fileno(), 1)
            os.dup2(raw[1].fileno(), 2)
            with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out), \
                    contextlib.redirect_stderr(err):
                warnings.simplefilter("default")
                for category in HIDDEN_WARNINGS:
                    warnings.filterwarnings("ignore", category=category)
                try:
                    code = cli.main([str(arg) for arg in argv])
                except SystemExit as exit:
                    code = exit.code
                    if isinstance(code, str):  # sys.exit("message"): printed, status 1
                        print(code, file=err)
                        code = 1
                for warning in caught:
                    err.write(warnings.formatwarning(warning.message, warning.category, warning.filename,
                                                     warning.lineno, warning.line))
        finally:
            for fd, saved in zip((1, 2), saved_fds, strict=True):
                os.dup2(saved, fd)
                os.close(saved)
            sys.stdin = saved_stdin
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
            signal.signal(signal.SIGTERM, saved_sigterm)
        low = []
        for handle in raw:
            handle.seek(0)
            low.append(handle.read().decode("utf-8", "backslashreplace"))
    return Result(0 if code is None else int(code), out.getvalue() + low[0], err.getvalue() + low[1])


def trained(name, language):
    """A shipped fixture trained in one language, once per worker (:func:`parity.trained`), a copy each call."""
    return parity.trained(FIXTURE_DIR / f"{name}.json", language)


def assert_within_tolerance(where, name_a, a, name_b, b, tolerance=parity.TOLERANCE):
    """Fail with one line, without a traceback full of arrays, naming the first
    element out of tolerance (NaN included), both values, |Δ|, ULPs and the tolerance."""
    message = parity.describe_mismatch(where, name_a, a, name_b, b, tolerance)
    if message is not None:
        pytest.fail(message, pytrace=False)


@pytest.fixture(params=FIXTURE_NAMES)
def fixture_name(request):
    return request.param



@pytest.fixture(scope="session")
def layered_xor_learners(tmp_path_factory):
    """``generate.layered_xor_learners()``: the seed scan behind the layered-xor
    fixture (100 seeds x 1500 epochs on the fast path), run once per test run.  Under
    pytest-xdist the first worker to ask runs it and the others read its
    result from the run's shared temporary directory, under a lock; a run
    without xdist calls it directly.  A new run always scans afresh."""
    from twinnet.maintain import generate

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return generate.layered_xor_learners()
    return tuple(once_per_run(tmp_path_factory, "layered-xor-learners", generate.layered_xor_learners))


@pytest.fixture(scope="session")
def fresh_generation(tmp_path_factory, layered_xor_learners):
    """``generate.all_fixtures(ROOT)`` with this run's seed scan, {file name:
    JSON text}, generated once per test run (shared by the workers like the scan)."""
    from twinnet.maintain import generate

    def generation():
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(generate, "layered_xor_learners", lambda: layered_xor_learners)
            return generate.all_fixtures(ROOT)

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return generation()
    return once_per_run(tmp_path_factory, "fresh-generation", generation)


def once_per_run(tmp_path_factory, name, compute, arrays=False):
    """``compute()`` once per pytest-xdist run, as JSON (with ``arrays``, as a
    pickle, which keeps numpy arrays bit for bit): the first worker to ask
    computes it and the others read it from the run's shared temporary
    directory, under a lock.  A new run always computes afresh."""
    shared = tmp_path_factory.getbasetemp().parent / f"{name}.{'pickle' if arrays else 'json'}"  # pytest-N/
    with open(shared.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not shared.exists() and arrays:
            shared.write_bytes(pickle.dumps(compute()))
        elif not shared.exists():
            shared.write_text(json.dumps(compute()))
        return pickle.loads(shared.read_bytes()) if arrays else json.loads(shared.read_text())


@pytest.fixture(scope="session", autouse=True)
def _shipped_fixtures_trained_once_per_run(tmp_path_factory):
    """Under pytest-xdist, a shipped fixture is trained once per language for
    the whole run, not once per worker: ``parity.trained`` (the parity tests,
    conform's reference, the page's numbers, the plots) gets the result the
    first worker to ask computed.  Any other file trains as it would."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    shipped = {hashlib.sha256(path.read_bytes()).hexdigest(): path.stem for path in FIXTURE_PATHS}
    sizes = {path.stat().st_size for path in FIXTURE_PATHS}

    def shipped_name(path):
        """The shipped fixture whose bytes the file holds, or None (a FIFO or a device is never read)."""
        try:
            status = os.stat(path)
        except (OSError, TypeError, ValueError):
            return None
        if not stat.S_ISREG(status.st_mode) or status.st_size not in sizes:
            return None
        return shipped.get(hashlib.sha256(Path(path).read_bytes()).hexdigest())

    def shared(language, train):
        def train_shipped(path, *args, **kwargs):
            name = None if args or kwargs else shipped_name(path)  # epochs or a budget given: trained as asked
            if name is None:
                return train(path, *args, **kwargs)
            if language == "r":
                rbridge.r_package()  # fails a test not marked needs_r, as training in R would
            return once_per_run(tmp_path_factory, f"trained-{name}-{language}", lambda: train(path), arrays=True)
        return train_shipped

    with pytest.MonkeyPatch.context() as patch:
        for language, train in list(parity.TRAINERS.items()):
            patch.setitem(parity.TRAINERS, language, shared(language, train))
        yield


# The slowest tests go first, so that pytest-xdist's two workers finish
# together (`make test-python` runs --dist worksteal: a worker that runs out
# takes half of what the other has left, from the end): a long test handed out
# last keeps one worker busy while the other idles.  The tests that mostly wait
# (a port's timeout, a signal's delivery) go early too, while testthat and the
# smoke test still use the core a waiting worker leaves.  The other users of the
# layered-xor seed scan go last: by then the first has scanned.  Order only.
SLOW_FIRST = (
    "test_fixtures.py::test_committed_fixtures_equal_a_fresh_generation",  # runs the seed scan
    "test_conform.py::test_twin_port_conforms_on_every_fixture",
    "test_property.py::",
    "test_notebooks.py::test_one_kernel_reset_between_notebooks_reproduces_every_committed_notebook",
    "test_skeletons.py::test_the_skeleton_filled_in_conforms_and_writes_a_complete_trace",
    "test_bench.py::",
    "test_packaging.py::test_the_bridge_finds_the_r_package_on_r_libs",
    "test_cli.py::test_demo_prints_parity_and_writes_a_loss_plot",
    "test_conform.py::test_a_timeout_kills_the_ports_whole_process_group",  # 3 s of waiting
    "test_cli_errors.py::test_ctrl_c_or_sigterm_stops_a_training_at_once",
    "test_conform.py::test_a_signal_stops_the_ports_and_removes_the_temporary_directory",
)
LAST = (
    "test_variants.py::test_layered_xor_description_reports_the_seed_scan",
    "test_fixtures.py::test_generation_is_deterministic",
)


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items):
    for item in items:
        params = getattr(item, "callspec", None)
        if params is not None and any(params.params.get(name) in values for name, values in R_PARAMETERS.items()):
            item.add_marker("needs_r")

    def rank(item):
        if any(last in item.nodeid for last in LAST):
            return len(SLOW_FIRST) + 1
        return next((i for i, slow in enumerate(SLOW_FIRST) if slow in item.nodeid), len(SLOW_FIRST))

    items.sort(key=rank)  # stable: the rest keep their order
