"""Shared pytest fixtures: the shipped fixture files and both languages' results.

R runs in process through rpy2.  If R cannot be loaded the session fails
loudly: a parity test that skips is a failed parity test.
"""

import functools
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
