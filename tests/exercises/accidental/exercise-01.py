"""A port of the article network (docs/porting.md), with json and numpy only.

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
    document = {"schema": "twinnet-trace/1", "fixture": fixture["name"], "variant": "article",
                "language": "python", "epoch": 1, "quantities": quantities}
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(to_json(document) + "\n")


# Step 0: read input and output
def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def derivatives_sigmoid(activation: np.ndarray) -> np.ndarray:
    return activation * (1 - activation)


def read_matrix(rows: list) -> np.ndarray:
    """A JSON list of rows as a matrix."""
    return np.array(rows, dtype=float)


def forward(X: np.ndarray, params: dict) -> tuple:
    # Step 2: hidden layer input
    hidden_layer_input = X @ params["wh"] + params["bh"]
    # Step 3: non-linear transformation of the hidden layer input
    hiddenlayer_activations = sigmoid(hidden_layer_input)
    # Step 4: linear and non-linear transformation at the output layer
    output_layer_input = hiddenlayer_activations @ params["wout"] + params["bout"]
    output = sigmoid(output_layer_input)
    return hidden_layer_input, hiddenlayer_activations, output_layer_input, output


def epoch(X: np.ndarray, y: np.ndarray, params: dict, lr: float, trace: bool) -> tuple[dict, float]:
    """One epoch: forward, backward, update; returns the new parameters and the loss."""
    hidden_layer_input, hiddenlayer_activations, output_layer_input, output = forward(X, params)
    loss = float(np.mean((y - output) ** 2 / 2))
    # Step 5: error at the output layer
    E = y - output
    # Step 6: slopes at the output and hidden layers
    slope_output_layer = derivatives_sigmoid(output)
    slope_hidden_layer = derivatives_sigmoid(hiddenlayer_activations)
    # Step 7: delta at the output layer
    d_output = E * slope_output_layer * lr * 10
    # Step 8: error at the hidden layer
    error_at_hidden_layer = d_output @ params["wout"].T
    # Step 9: delta at the hidden layer
    d_hiddenlayer = error_at_hidden_layer * slope_hidden_layer
    # Step 10: weight slopes, and the update of the weights
    descent_wout = hiddenlayer_activations.T @ d_output
    descent_wh = X.T @ d_hiddenlayer
    wout = params["wout"] + descent_wout * lr
    wh = params["wh"] + descent_wh * lr
    # Step 11: bias slopes, and the update of the biases
    descent_bout = np.sum(d_output, axis=0, keepdims=True)
    descent_bh = np.sum(d_hiddenlayer, axis=0, keepdims=True)
    bout = params["bout"] + descent_bout * lr
    bh = params["bh"] + descent_bh * lr
    if trace:
        for step, title, name, value in (
                (2, "hidden layer input", "hidden_layer_input", hidden_layer_input),
                (3, "non-linear transformation of the hidden layer input", "hiddenlayer_activations",
                 hiddenlayer_activations),
                (4, "linear and non-linear transformation at the output layer", "output_layer_input",
                 output_layer_input),
                (4, "linear and non-linear transformation at the output layer", "output", output),
                (5, "error at the output layer", "loss", loss), (5, "error at the output layer", "E", E),
                (6, "slopes at the output and hidden layers", "slope_output_layer", slope_output_layer),
                (6, "slopes at the output and hidden layers", "slope_hidden_layer", slope_hidden_layer),
                (7, "delta at the output layer", "d_output", d_output),
                (8, "error at the hidden layer", "error_at_hidden_layer", error_at_hidden_layer),
                (9, "delta at the hidden layer", "d_hiddenlayer", d_hiddenlayer),
                (10, "weight slopes", "descent.wh", descent_wh), (10, "weight slopes", "descent.wout", descent_wout),
                (10, "weight slopes", "updated.wh", wh), (10, "weight slopes", "updated.wout", wout),
                (11, "bias slopes", "descent.bh", descent_bh), (11, "bias slopes", "descent.bout", descent_bout),
                (11, "bias slopes", "updated.bh", bh), (11, "bias slopes", "updated.bout", bout)):
            record(step, title, name, value)
    return {"wh": wh, "bh": bh, "wout": wout, "bout": bout}, loss


def main() -> None:
    fixture_path, result_path = sys.argv[1:3]
    with open(fixture_path, encoding="utf-8") as handle:
        fixture = json.load(handle)
    X, y = read_matrix(fixture["data"]["X"]), read_matrix(fixture["data"]["y"])
    record(0, "read input and output", "X", X)
    record(0, "read input and output", "y", y)
    epochs, lr = fixture["hyper"]["epochs"], fixture["hyper"]["lr"]
    # Step 1: initialize weights and biases
    params = {name: read_matrix(fixture["init"][name]) for name in ("wh", "bh", "wout", "bout")}
    for name in ("wh", "bh", "wout", "bout"):
        record(1, "initialize weights and biases", name, params[name])
    loss = []
    for i in range(epochs):
        params, value = epoch(X, y, params, lr, trace=i == 0)
        loss.append(value)
    output = forward(X, params)[3]
    result = {"schema": "twinnet-result/1", "fixture": fixture["name"], "language": "python",
              "params": params, "loss": loss, "output": output}
    with open(result_path, "w", encoding="utf-8") as handle:
        handle.write(to_json(result) + "\n")
    if os.environ.get("TWINNET_TRACE"):
        write_trace(os.environ["TWINNET_TRACE"], fixture)


if __name__ == "__main__":
    main()
