"""Type aliases shared by the twins' Python side (annotations only; R has no counterpart)."""

from typing import TypeAlias

import numpy as np

Params: TypeAlias = dict[str, np.ndarray]  # parameter name -> matrix, e.g. {"wh": d×h, "bh": 1×h, ...}
Trained: TypeAlias = tuple[Params, np.ndarray, np.ndarray]  # (params, loss per epoch, output n×1)
