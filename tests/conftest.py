"""Shared pytest fixtures: the shipped fixture files and both languages' results.

R runs in process through rpy2.  If R cannot be loaded the session fails
loudly: a parity test that skips is a failed parity test.
"""

import fcntl
import functools
import json
import os
from pathlib import Path

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


def pytest_sessionstart(session):
    try:
        rbridge.r_package()
    except rbridge.RUnavailable as error:
        raise pytest.UsageError(f"the parity suite needs R: {error}") from None


@functools.cache
def trained(name, language):
    """Train a shipped fixture once per session in one language."""
    return parity.TRAINERS[language](FIXTURE_DIR / f"{name}.json")


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
    fixture (100 seeds x 1500 epochs, ~17 s), run once per test run.  Under
    pytest-xdist the first worker to ask runs it and the others read its
    result from the run's shared temporary directory, under a lock; a run
    without xdist calls it directly.  A new run always scans afresh."""
    from twinnet.maintain import generate

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return generate.layered_xor_learners()
    shared = tmp_path_factory.getbasetemp().parent / "layered-xor-learners.json"  # pytest-N/, this run's
    with open(shared.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not shared.exists():
            shared.write_text(json.dumps(generate.layered_xor_learners()))
        return tuple(json.loads(shared.read_text()))


# The slowest tests go first, so that pytest-xdist's two workers finish
# together (`make test-python` runs --dist worksteal: a worker that runs out
# takes half of what the other has left, from the end): a long test handed out
# last keeps one worker busy while the other idles.  The other users of the
# layered-xor seed scan go last: by then the first has scanned.  Order only.
SLOW_FIRST = (
    "test_fixtures.py::test_committed_fixtures_equal_a_fresh_generation",  # runs the seed scan
    "test_hostile.py::test_an_object_of_a_million_keys_is_read_in_linear_time",
    "test_conform.py::test_twin_port_conforms_on_every_fixture",
    "test_property.py::",
    "test_notebooks.py::",
    "test_bench.py::",
    "test_hostile.py::test_arrays_that_would_need_6_gib_are_refused_before_training",
    "test_cli.py::test_demo_prints_parity_and_writes_a_loss_plot",
    "test_safety.py::test_hostile_paths_are_plain_paths",
)
LAST = (
    "test_variants.py::test_layered_xor_description_reports_the_seed_scan",
    "test_fixtures.py::test_generation_is_deterministic",
)


def pytest_collection_modifyitems(items):
    def rank(item):
        if any(last in item.nodeid for last in LAST):
            return len(SLOW_FIRST) + 1
        return next((i for i, slow in enumerate(SLOW_FIRST) if slow in item.nodeid), len(SLOW_FIRST))

    items.sort(key=rank)  # stable: the rest keep their order
