"""Parity: Python and R train every fixture to the same numbers.

For every fixture, every parameter, every per-epoch loss and every output:
Python and R agree within 1e-12 absolute, and each agrees with the fixture's
``expected`` (written by the generator from the Python reference) within
1e-12.  A failure names fixture > quantity > index and gives both values.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURE_DIR, FIXTURE_QUANTITIES, trained

from twinnet import fixtures, parity


def test_every_variant_has_a_fixture():
    shipped = {fixtures.read_fixture(FIXTURE_DIR / f"{name}.json")["variant"] for name, _ in FIXTURE_QUANTITIES}
    assert shipped == set(fixtures.VARIANTS)


@pytest.mark.needs_r
@pytest.mark.parametrize("name, quantity", FIXTURE_QUANTITIES)
def test_python_r_and_expected_agree(name, quantity):
    fixture = fixtures.read_fixture(FIXTURE_DIR / f"{name}.json")
    comparison = {row.quantity: row for row in parity.compare(
        fixture, trained(name, "python"), trained(name, "r"))}[quantity]
    mismatch = comparison.first_mismatch()
    if mismatch is not None:
        pytest.fail(mismatch, pytrace=False)
    assert comparison.ok and comparison.max_abs <= parity.TOLERANCE


@pytest.mark.needs_r
def test_results_are_not_trivially_equal():
    """Guard against a vacuous parity pass: training moved the weights away
    from the initial draw, and the loss fell."""
    fixture = fixtures.read_fixture(FIXTURE_DIR / "article.json")
    result = trained("article", "r")
    assert np.max(np.abs(result["params"]["wh"] - fixture["init"]["wh"])) > 0.5
    assert result["loss"][-1] < result["loss"][0] / 100


def test_first_mismatch_names_fixture_quantity_and_index():
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    r = expected.copy()
    r[1, 0] += 1e-9
    row = parity.Comparison("demo", "wh", expected, r, expected)
    assert not row.ok
    assert row.first_mismatch() == ("demo > wh > [1, 0]: python=3.0, r=3.000000001, |Δ|=1e-09, "
                                    "2251800 ULPs, tolerance 1e-12")


@pytest.mark.parametrize("side", ["python", "r", "expected"])
def test_a_nan_on_any_side_is_a_mismatch(side):
    values = {name: np.array([[0.5, 0.25]]) for name in ("python", "r", "expected")}
    values[side] = np.array([[0.5, np.nan]])
    row = parity.Comparison("demo", "output", values["python"], values["r"], values["expected"])
    assert not row.ok
    assert row.first_mismatch().startswith("demo > output > [0, 1]: ")
    assert "nan" in row.first_mismatch()
    assert parity.first_out_of_tolerance(values[side], values[side]) == (0, 1)  # NaN is not even equal to itself


def test_first_out_of_tolerance_is_row_major_and_none_when_all_agree():
    a = np.zeros((2, 3))
    b = a.copy()
    assert parity.first_out_of_tolerance(a, b) is None
    b[1, 0], b[0, 2] = 1e-11, 1e-11
    assert parity.first_out_of_tolerance(a, b) == (0, 2)
    assert parity.first_out_of_tolerance(a, b, tolerance=1e-10) is None
    assert parity.describe_mismatch("x", "a", a, "b", b[:1]) == "x: shapes differ: a (2, 3), b (1, 3)"


def test_a_wrongly_shaped_expected_is_a_mismatch_not_a_broadcast():
    values = np.zeros((3, 1))
    row = parity.Comparison("demo", "output", values, values, np.zeros((1, 3)))
    assert not row.ok
    assert row.first_mismatch() == "demo > output: shapes differ: python (3, 1), r (3, 1), expected (1, 3)"


def test_ulp_distance_counts_doubles_between():
    one = np.float64(1.0)
    assert parity.ulp_distance(one, np.nextafter(one, 2)) == 1
    assert parity.ulp_distance(-one, np.nextafter(-one, -2)) == 1
    assert parity.ulp_distance(0.0, -0.0) == 0
    assert parity.ulp_distance(np.nextafter(0.0, 1), np.nextafter(0.0, -1)) == 2


@pytest.mark.needs_r
def test_parity_table_lists_every_quantity():
    fixture = fixtures.read_fixture(FIXTURE_DIR / "xor.json")
    rows = parity.compare(fixture, trained("xor", "python"), trained("xor", "r"))
    text = parity.table(rows)
    assert [line.split()[1] for line in text.splitlines()[2:]] == ["wh", "bh", "wout", "bout", "loss", "output"]
    assert all(line.endswith("ok") for line in text.splitlines()[2:])


def test_a_fixture_is_trained_once_per_content_and_language(tmp_path, monkeypatch):
    """parity.trained: the same bytes train once in a process (a copy each
    time, so a caller cannot spoil the next one's); changed bytes train again;
    an error is raised every time, never kept."""
    calls, train = [], parity.TRAINERS["python"]

    def counting(path):
        calls.append(Path(path).read_bytes())
        return train(path)

    monkeypatch.setitem(parity.TRAINERS, "python", counting)
    monkeypatch.setattr(parity, "_TRAINED", {})  # what this worker's earlier tests trained is not seen
    path = tmp_path / "xor.json"
    path.write_bytes((FIXTURE_DIR / "xor.json").read_bytes())
    first = parity.trained(path, "python")
    first["params"]["wh"][0, 0] = 1e9
    second = parity.trained(path, "python")
    assert len(calls) == 1 and second["params"]["wh"][0, 0] != 1e9
    copied = tmp_path / "copy.json"  # the same content under another name: not trained again
    copied.write_bytes(path.read_bytes())
    assert np.array_equal(parity.trained(copied, "python")["loss"], second["loss"]) and len(calls) == 1
    document = json.loads(path.read_text())
    document["hyper"]["epochs"] = 3
    path.write_text(json.dumps(document))
    assert len(parity.trained(path, "python")["loss"]) == 3 and len(calls) == 2
    path.write_text("{}")
    for _ in range(2):
        with pytest.raises(fixtures.FixtureError):
            parity.trained(path, "python")
    assert len(calls) == 4
