"""A port of the article network written from docs/porting.md alone, with
json and numpy and nothing of twinnet: ``python article_port.py FIXTURE RESULT``.

It conforms on the ``article`` fixtures.  Each broken port in this directory
imports it and changes one thing, the way a real port goes wrong.
"""

import json
import sys

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def slope(a):
    """σ'(z) written in terms of the activation a = σ(z)."""
    return a * (1 - a)


def rows(matrix):
    """A JSON list of rows as a matrix, row by row."""
    return np.array(matrix, dtype=float)


def forward(X, p):
    """The hidden pre-activation Z, the hidden activation H and the output."""
    Z = X @ p["wh"] + p["bh"]
    H = sigmoid(Z)
    return Z, H, sigmoid(H @ p["wout"] + p["bout"])


def step(X, y, p, lr):
    """One epoch's increments, lr times the descent direction of Σ ½(y − output)²,
    all from the parameters at the start of the epoch."""
    Z, H, output = forward(X, p)
    d_out = (y - output) * slope(output)
    d_hid = d_out @ p["wout"].T * slope(H)
    return {"wh": lr * (X.T @ d_hid), "bh": lr * d_hid.sum(axis=0, keepdims=True),
            "wout": lr * (H.T @ d_out), "bout": lr * d_out.sum(axis=0, keepdims=True)}


def train(X, y, p, epochs, lr, step=step):
    """(params, loss, output): loss[i] from epoch i's forward pass, output after the last update."""
    loss = []
    for _ in range(epochs):
        loss.append(float(np.mean((y - forward(X, p)[2]) ** 2 / 2)))
        p = {name: p[name] + increment for name, increment in step(X, y, p, lr).items()}
    return p, loss, forward(X, p)[2]


def dump(value, digits):
    """JSON text with every number written to ``digits`` significant digits."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(key)}: {dump(item, digits)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, np.ndarray)):
        return "[" + ", ".join(dump(item, digits) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return format(float(value), f".{digits}g")


def main(read_init=rows, step=step, digits=17):
    """Read the fixture named on the command line, train, write the result."""
    fixture_path, result_path = sys.argv[1:3]
    with open(fixture_path, encoding="utf-8") as handle:
        fixture = json.load(handle)
    X, y = rows(fixture["data"]["X"]), rows(fixture["data"]["y"])
    init = {name: read_init(fixture["init"][name]) for name in ("wh", "bh", "wout", "bout")}
    hyper = fixture["hyper"]
    params, loss, output = train(X, y, init, hyper["epochs"], hyper["lr"], step)
    result = {"schema": "twinnet-result/1", "fixture": fixture["name"], "language": "python_port",
              "params": params, "loss": loss, "output": output}
    with open(result_path, "w", encoding="utf-8") as handle:
        handle.write(dump(result, digits) + "\n")


if __name__ == "__main__":
    main()
