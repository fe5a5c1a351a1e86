"""The fixture generator: writes every ``shared_fixtures/*.json``, deterministically.

Run by ``make fixtures`` (``python -m twinnet generate``).  Each fixture's data
and initial weights are drawn from numpy's legacy ``RandomState``, whose streams
are frozen across numpy versions; ``expected`` is the Python reference's result.
Running it twice writes byte-identical files.  R draws different streams from
the same seed, so the R twin never draws: it reads ``init`` from the fixture.
"""

import csv
from pathlib import Path

import numpy as np

from . import fixtures

GENERATOR = "python -m twinnet generate"
INIT_DRAWS = ("wh", "bh", "wout", "bout")


def draw_init(seed, d, h):
    """The article's Step 1: uniform [0, 1) draws in the order wh, bh, wout, bout."""
    state = np.random.RandomState(seed)
    shapes = {"wh": (d, h), "bh": (1, h), "wout": (h, 1), "bout": (1, 1)}
    return {name: state.uniform(size=shapes[name]) for name in INIT_DRAWS}


def article_case():
    X = [[1, 0, 1, 0], [1, 0, 1, 1], [0, 1, 0, 1]]
    y = [[1], [1], [0]]
    description = ("The article's own example: its X (3 samples, 4 binary features) and y, "
                   "3 hidden units, 5000 epochs, lr 0.1, seed 42.")
    return "article", description, X, y, {"hidden": 3, "epochs": 5000, "lr": 0.1}, 42, None


def xor_case():
    X = [[0, 0], [0, 1], [1, 0], [1, 1]]
    y = [[0], [1], [1], [0]]
    description = ("The 4 XOR rows. 4 hidden units, 3000 epochs, lr 0.5, seed 42: "
                   "after training every rounded output equals y.")
    return "xor", description, X, y, {"hidden": 4, "epochs": 3000, "lr": 0.5}, 42, None


def iris_case(root):
    """Fisher's iris as R ships it (datasets::iris, exported by
    r/data-raw/export_iris.R), features min-max scaled to [0, 1]."""
    with open(root / "shared_fixtures" / "sources" / "iris.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    features = ["Sepal.Length", "Sepal.Width", "Petal.Length", "Petal.Width"]
    raw = np.array([[float(row[name]) for name in features] for row in rows])
    X = (raw - raw.min(axis=0)) / (raw.max(axis=0) - raw.min(axis=0))
    y = [[1.0 if row["Species"] == "virginica" else 0.0] for row in rows]
    description = ("Fisher's iris data (R's datasets::iris, 150 samples): the 4 measurements "
                   "scaled to [0, 1] per column by (x - min) / (max - min); target 1 for "
                   "virginica, 0 otherwise. 5 hidden units, 2000 epochs, lr 0.01, seed 42.")
    data_note = ("shared_fixtures/sources/iris.csv, written by r/data-raw/export_iris.R from "
                 "datasets::iris; columns Sepal.Length, Sepal.Width, Petal.Length, Petal.Width "
                 "scaled by (x - min) / (max - min); y = Species == virginica")
    return "iris", description, X, y, {"hidden": 5, "epochs": 2000, "lr": 0.01}, 42, data_note


def wide_case():
    n, d, data_seed = 256, 12, 2017
    state = np.random.RandomState(data_seed)
    X = state.randint(0, 2, size=(n, d))
    y = (X[:, :3].sum(axis=1, keepdims=True) >= 2).astype(int)
    description = (f"Random binary data, {n} samples by {d} features; y is the majority vote "
                   "of the first 3 features, the other 9 are noise. 8 hidden units, 1000 epochs, "
                   "lr 0.01, seed 42.")
    data_note = (f"X = RandomState({data_seed}).randint(0, 2, size=({n}, {d})); "
                 "y = 1 where X[:, 0] + X[:, 1] + X[:, 2] >= 2, else 0")
    return "wide", description, X, y, {"hidden": 8, "epochs": 1000, "lr": 0.01}, 42, data_note


def build(case):
    """One fixture document from a case tuple, with ``expected`` from Python."""
    name, description, X, y, hyper, seed, data_note = case
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    init = draw_init(seed, X.shape[1], hyper["hidden"])
    generator = {
        "program": GENERATOR,
        "seed": seed,
        "init": (f"numpy.random.RandomState({seed}).uniform(size=shape), drawn in the order "
                 "wh (d x h), bh (1 x h), wout (h x 1), bout (1 x 1)"),
        "data": data_note or "written out in the generator",
    }
    params, loss, output = fixtures.VARIANTS["article"].train(X, y, init, hyper["epochs"], hyper["lr"])
    return {
        "schema": fixtures.FIXTURE_SCHEMA,
        "name": name,
        "description": description,
        "variant": "article",
        "generator": generator,
        "data": {"X": X, "y": y},
        "hyper": hyper,
        "init": init,
        "expected": {"params": params, "loss": loss, "output": output},
    }


def all_fixtures(root):
    """Every shipped fixture, as {file name: JSON text}."""
    cases = [article_case(), xor_case(), iris_case(root), wide_case()]
    return {f"{case[0]}.json": fixtures.dumps(build(case)) for case in cases}


def generate(root):
    """Write every fixture under ``root/shared_fixtures``; returns the paths."""
    paths = []
    for file_name, text in all_fixtures(root).items():
        path = Path(root) / "shared_fixtures" / file_name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
