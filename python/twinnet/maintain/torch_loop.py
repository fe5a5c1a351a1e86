"""The article network's loop in PyTorch, for the benchmark's comparison only.

Not part of twinnet and never a dependency: it runs in a throwaway virtual
environment that has torch and numpy (``TWINNET_TORCH_PYTHON=/tmp/torchvenv/bin/python``,
see docs/benchmark.md), as a script, with no twinnet import:

    python torch_loop.py RESULT.json N [N ...]

For each n it builds the benchmark's synthetic problem (the same seed, shapes
and learning rate as ``bench.synthetic_case``, d = 32, h = 64), and times the
same hand-written gradient as ``article.py`` in float64 on the CPU with 2
threads (no autograd): the epochs calibrated to last 0.3 s, one warm-up run,
the median of five.  The result is {"torch": version, "threads": t,
"rows": [{"n", "epochs", "us_per_epoch"}]}.
"""

import json
import statistics
import sys
import time
from typing import Any

import numpy as np
import torch

SEED, D, H = 20170502, 32, 64


def problem(n: int) -> tuple[Any, Any, Any, Any, Any, Any, float]:
    """bench.synthetic_case(n), as float64 tensors."""
    random = np.random.RandomState(SEED)
    X = random.standard_normal((n, D))
    teacher = random.standard_normal((D, 1))
    y = (X @ teacher > 0).astype(float)
    wh = random.uniform(-1, 1, (D, H)) / np.sqrt(D)
    bh = random.uniform(-1, 1, (1, H)) / np.sqrt(D)
    wout = random.uniform(-1, 1, (H, 1)) / np.sqrt(H)
    bout = random.uniform(-1, 1, (1, 1)) / np.sqrt(H)
    return tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in (X, y, wh, bh, wout, bout)) + (0.5 / n,)


def train(X: Any, y: Any, wh: Any, bh: Any, wout: Any, bout: Any, lr: float, epochs: int) -> None:
    """article.train's loop, written as one writes it in PyTorch."""
    wh, bh, wout, bout = wh.clone(), bh.clone(), wout.clone(), bout.clone()
    for _ in range(epochs):
        H = torch.sigmoid(torch.addmm(bh, X, wh))
        output = torch.sigmoid(torch.addmm(bout, H, wout))
        E = y - output
        (E * E / 2).mean().item()  # the loss of the epoch, as the twins record it
        d_output = E * output * (1 - output)
        d_hidden = (d_output @ wout.T) * H * (1 - H)
        wh += X.T @ d_hidden * lr
        bh += d_hidden.sum(0, keepdim=True) * lr
        wout += H.T @ d_output * lr
        bout += d_output.sum(0, keepdim=True) * lr
    torch.sigmoid(torch.addmm(bout, torch.sigmoid(torch.addmm(bh, X, wh)), wout))


def main() -> None:
    torch.set_num_threads(2)
    rows = []
    for n in map(int, sys.argv[2:]):
        args = problem(n)
        epochs = 1
        while True:
            start = time.perf_counter()
            train(*args, epochs)
            seconds = time.perf_counter() - start
            if seconds >= 0.3:
                break
            epochs = max(2 * epochs, int(epochs * 1.2 * 0.3 / max(seconds, 1e-9)))
        train(*args, epochs)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            train(*args, epochs)
            times.append(time.perf_counter() - start)
        rows.append({"n": n, "epochs": epochs, "us_per_epoch": statistics.median(times) / epochs * 1e6})
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(), "rows": rows}
    with open(sys.argv[1], "w") as file:
        json.dump(result, file)


if __name__ == "__main__":
    main()
