"""A port of the Layer-class network (docs/porting.md, `layered`), with json and numpy only.

    python PORT.py FIXTURE RESULT

It reads a twinnet-fixture/1 file, trains for hyper.epochs and writes a
twinnet-result/1 file.  With TWINNET_TRACE=PATH in its environment it also
writes PATH: every named quantity of its first epoch, labelled by step
(a twinnet-trace/1 document, docs/porting.md "Traces"), which `twinnet conform`
compares step by step.
"""

import json
import os
import sys
from typing import Any

import numpy as np

TRACE: list[tuple[int, str, str, np.ndarray]] = []  # (step, title, name, value) of the first epoch, in order
EPSILON = 1e-15


def record(step: int, title: str, name: str, value: Any) -> None:
    """Keep one quantity of the first epoch for the trace."""
    TRACE.append((step, title, name, np.array(value, dtype=float, ndmin=2)))


def number(value: float) -> str:
    """A double as text that reads back as the same double (17 significant digits)."""
    return format(value, ".17g")


def to_json(value: Any) -> str:
    """JSON text: matrices as lists of rows, numbers with number()."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(key)}: {to_json(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple, np.ndarray)):
        return "[" + ", ".join(to_json(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    return number(float(value))


def write_trace(path: str, fixture: dict) -> None:
    """The trace file: every quantity of the first epoch, step by step."""
    quantities = [{"step": step, "title": title, "name": name, "shape": list(value.shape), "values": value}
                  for step, title, name, value in TRACE]
    document = {"schema": "twinnet-trace/1", "fixture": fixture["name"], "variant": "layered",
                "language": "python", "epoch": 1, "quantities": quantities}
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(to_json(document) + "\n")


# Step 0: activation functions, the loss and its derivative
def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


ACTIVATIONS: dict[str, tuple] = {"sigmoid": (sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))),
               "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2)}


def clip(a: np.ndarray) -> np.ndarray:
    return np.clip(a, EPSILON, 1 - EPSILON)


def feedforward(layers: list, A: np.ndarray) -> tuple[list, list]:
    """Every layer's Z and A, in order; A0 is the input."""
    Zs, As = [], [A]
    for W, b, activation in layers:
        Zs.append(W @ As[-1] + b)
        As.append(ACTIVATIONS[activation][0](Zs[-1]))
    return Zs, As


def epoch(x: np.ndarray, y: np.ndarray, layers: list, lr: float, trace: bool) -> tuple[list, float]:
    """One epoch: forward, cost, backward with updates; the new layers and the cost."""
    m = x.shape[1]
    # Step 1: feed forward through every layer
    Zs, As = feedforward(layers, x)
    # Step 2: cost, the mean log-loss over the m samples
    a = clip(As[-1])
    cost = 1 / m * np.sum(-(y * np.log(a) + (1 - y) * np.log(1 - a)))
    if trace:
        for k in range(1, len(layers) + 1):
            record(1, "feed forward through every layer", f"layer{k}.Z", Zs[k - 1])
            record(1, "feed forward through every layer", f"layer{k}.A", As[k])
        record(2, "cost", "cost", cost)
    # Step 3: backpropagation, from the last layer to the first
    dA = (a - y) / (a * (1 - a))
    if trace:
        record(3, "backpropagation", "dA", dA)
    updated = list(layers)
    for k in range(len(layers), 0, -1):
        W, b, activation = layers[k - 1]
        dZ = ACTIVATIONS[activation][1](Zs[k - 1]) * dA
        dW = 1 / m * (dZ @ As[k - 1].T)
        db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
        dA = W.T @ dZ
        updated[k - 1] = (W - lr * dW, b - lr * db, activation)
        if trace:
            for name, value in ((f"layer{k}.dZ", dZ), (f"layer{k}.dW", dW), (f"layer{k}.db", db),
                                (f"layer{k}.dA1", dA), (f"updated.W{k}", updated[k - 1][0]),
                                (f"updated.b{k}", updated[k - 1][1])):
                record(3, "backpropagation", name, value)
    if trace:
        record(4, "predictions of the trained network", "output", feedforward(updated, x)[1][-1].T)
    return updated, cost


def main() -> None:
    fixture_path, result_path = sys.argv[1:3]
    with open(fixture_path, encoding="utf-8") as handle:
        fixture = json.load(handle)
    # Step 0: the network, a list of layers, and the data with samples as columns
    x, y = np.array(fixture["data"]["X"], dtype=float).T, np.array(fixture["data"]["y"], dtype=float).T
    hyper = fixture["hyper"]
    layers = [(np.array(fixture["init"][f"W{k}"], dtype=float), np.array(fixture["init"][f"b{k}"], dtype=float),
               activation) for k, activation in enumerate(hyper["activations"], start=1)]
    record(0, "the network", "x", x)
    record(0, "the network", "y", y)
    for k, (W, b, _) in enumerate(layers, start=1):
        record(0, "the network", f"W{k}", W)
        record(0, "the network", f"b{k}", b)
    loss = []
    for i in range(hyper["epochs"]):
        layers, cost = epoch(x, y, layers, hyper["lr"], trace=i == 0)
        loss.append(cost)
    # Step 4: predictions of the trained network
    output = feedforward(layers, x)[1][-1].T
    params = {}
    for k, (W, b, _) in enumerate(layers, start=1):
        params[f"W{k}"], params[f"b{k}"] = W, b
    result = {"schema": "twinnet-result/1", "fixture": fixture["name"], "language": "python",
              "params": params, "loss": loss, "output": output}
    with open(result_path, "w", encoding="utf-8") as handle:
        handle.write(to_json(result) + "\n")
    if os.environ.get("TWINNET_TRACE"):
        write_trace(os.environ["TWINNET_TRACE"], fixture)


if __name__ == "__main__":
    main()
