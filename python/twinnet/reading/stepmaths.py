"""What the side-by-side views say about each step: its maths, porter notes, and the steps in reading order.

``MATHS`` is keyed by (variant, step number).  Each entry is the step's maths
as twinnet computes it, corrected where the source text is wrong; ``text_says``
quotes the text where it differs, and ``errata`` names the entries of
docs/errata.md that explain the difference (A… the article, W… the
walk-through, L… the Layer-class text).  A step number that has two markers
(the Layer-class network's Step 0) may hold a tuple of them, one per marker.

``NOTES`` are one-line notes for porters.  A note is shown under the first
step of a variant whose Python code matches its ``python`` pattern and whose R
code matches its ``r`` pattern (comment lines ignored), so a note stands where
the difference first appears in the code, and moves with it.

:func:`sections` joins a variant's steps, cut by :mod:`twinnet.reading.steps`,
with their maths and notes, in step order; the page
(:mod:`twinnet.reading.page`) and the terminal view
(:mod:`twinnet.reading.terminal`) both show what it returns.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from . import steps


class Maths(NamedTuple):
    """One step's maths, what the source text says where it is wrong, and errata ids."""

    lines: tuple
    text_says: str = ""
    errata: tuple = ()


class Note(NamedTuple):
    """A porter's note, shown where both patterns match a step's code."""

    topic: str
    python: str
    r: str
    text: str

    def applies(self, python_code: str, r_code: str) -> bool:
        """Whether both patterns match the code (comment lines left out)."""
        return bool(re.search(self.python, _code_only(python_code)) and re.search(self.r, _code_only(r_code)))


# (variant, step number) -> its Maths, or one Maths per marker when a number has several.
MATHS: dict[tuple[str, int], Maths | tuple[Maths, ...]] = {
    # The article: samples are rows.  X n×d, y n×1, w_h d×h, b_h 1×h, w_o h×1, b_o 1×1.
    ("article", 0): Maths(
        ("X (n×d) and y (n×1): samples are rows.",
         "σ(x) = 1 / (1 + e^(−x)),   σ′(x) = σ(x)·(1 − σ(x)).",
         "derivatives_sigmoid(a) = a·(1 − a) takes the activation a = σ(x), not x."),
        "f(x) = 1 / (x(1 − e^(−x))) and f′(x) = x·(1 − e^(−x))", ("A1", "A2")),
    ("article", 1): Maths(
        ("w_h (d×h), b_h (1×h), w_o (h×1), b_o (1×1): uniform on [0, 1), drawn once with a seed and "
         "read from the fixture.",
         "Then, each epoch: Steps 2–11 on all n samples at once (full batch), and loss = (1/n)·Σ ½(y − O_o)², "
         "taken before the update."),
        "np.random.uniform without a seed; the published R code draws rnorm weights", ("A13", "A14")),
    ("article", 2): Maths(
        ("H_i = X·w_h + b_h   (n×h; b_h is added to every row)",),
        "H_i = w_h·X + b_h", ("A3",)),
    ("article", 3): Maths(("H_o = σ(H_i)   (n×h, elementwise)",)),
    ("article", 4): Maths(
        ("O_i = H_o·w_o + b_o   (n×1)", "O_o = σ(O_i)"),
        "O_i = w_o·H_o + b_o, and `hiddenlayer_activations * wout` (an elementwise *)", ("A4",)),
    ("article", 5): Maths(
        ("E = y − O_o = −∂L/∂O_o   for L = Σ ½(y − O_o)², a sum over samples",
         "E is the error that the update adds, not the loss."),
        "E = (O_o − y)²/2, “the MSE value”", ("A5", "A11")),
    ("article", 6): Maths(
        ("σ′_o = σ′(O_i) = O_o ⊙ (1 − O_o)", "σ′_h = σ′(H_i) = H_o ⊙ (1 − H_o)"),
        "σ_o = f′(O_o) and σ_h = f′(H_o)", ("A6",)),
    ("article", 7): Maths(
        ("δ_o = E ⊙ σ′_o   (n×1; η is applied once, in Steps 10 and 11)",),
        "δ_o = E·σ_o·η, so that η is applied twice", ("A7",)),
    ("article", 8): Maths(
        ("e_h = δ_o·w_oᵀ   (n×h): the error at the hidden layer",),
        "e_h = w_oᵀ·δ_o, “error at the output layer”", ("A8",)),
    ("article", 9): Maths(("δ_h = e_h ⊙ σ′_h   (n×h)",)),
    ("article", 10): Maths(
        ("w_o ← w_o + η·H_oᵀ·δ_o   (h×1)", "w_h ← w_h + η·Xᵀ·δ_h   (d×h)",
         "backward() returns the slopes; update_params() adds them times η."),
        "w_o = w_o + δ_o·δ_hᵀ·η and w_h = w_h + δ_h·Xᵀ·η", ("A9",)),
    ("article", 11): Maths(
        ("b_o ← b_o + η·Σᵢ δ_o[i, ·]   (1×1)", "b_h ← b_h + η·Σᵢ δ_h[i, ·]   (1×h): sums over the samples, "
         "one bias per unit"),
        "b_h = b_h + Σ(δ_h)·η, without the axis; the published R code sums rows (one value per sample)",
        ("A10", "A16")),
    # The walk-through: samples are columns.  X d×n, y 1×n, W_ih d×h, W_ho h×1, no biases.
    ("stepwise", 0): Maths(
        ("X ← Xᵀ (d×n), y ← yᵀ (1×n): samples become columns.",),
        "", ("W1",)),
    ("stepwise", 1): Maths(
        ("W_ih (d×h), W_ho (h×1): uniform on [0, 1) with seed 42, read from the fixture.",
         "Each epoch: Steps 2–11, and loss = (1/n)·Σ ½(y − o)² before the update; lr 0.1 and 2000 epochs "
         "are twinnet's choice."),
        "no learning rate and no number of epochs", ("W2",)),
    ("stepwise", 2): Maths(("Z1 = W_ihᵀ·X   (h×n)",)),
    ("stepwise", 3): Maths(("H = σ(Z1)   (h×n)",)),
    ("stepwise", 4): Maths(("Z2 = W_hoᵀ·H   (1×n)", "o = σ(Z2)   (1×n)"),
                           "Z1 and Z2 only in figures it does not include", ("W7",)),
    ("stepwise", 5): Maths(
        ("∂L/∂o = −(y − o)   (1×n), for L = Σ ½(y − o)², a sum over samples",),
        "the derivative without saying of what", ("W3",)),
    ("stepwise", 6): Maths(("∂o/∂Z2 = o ⊙ (1 − o)   (1×n)",)),
    ("stepwise", 7): Maths(
        ("∂Z2/∂W_ho = H   (h×n)",),
        "its shape (3, 3), which with h = n = 3 does not say which is which", ("W6",)),
    ("stepwise", 8): Maths(("∂L/∂W_ho = H·(∂L/∂o ⊙ ∂o/∂Z2)ᵀ   (h×1)",)),
    ("stepwise", 9): Maths(
        ("∂Z2/∂H = W_ho (h×1),   ∂H/∂Z1 = H ⊙ (1 − H) (h×n),   ∂Z1/∂W_ih = X (d×n)",
         "The text stops at Step 8; Steps 9–11 continue its chain rule in its names."),
        "", ("W2",)),
    ("stepwise", 10): Maths(("∂L/∂W_ih = X·(∂H/∂Z1 ⊙ (W_ho·(∂o/∂Z2 ⊙ ∂L/∂o)))ᵀ   (d×h)",)),
    ("stepwise", 11): Maths(("W_ho ← W_ho − η·∂L/∂W_ho,   W_ih ← W_ih − η·∂L/∂W_ih",
                             "∂L/∂W is the gradient; the update adds the descent −η·∂L/∂W.")),
    # The Layer-class network: samples are columns.  x d×m, y 1×m; layer ℓ: W neurons×inputs, b neurons×1.
    ("layered", 0): (
        Maths(("tanh′(z) = 1 − tanh²(z),   σ′(z) = σ(z)·(1 − σ(z))   (of the pre-activation z)",
               "L(y, a) = −(y·log a + (1 − y)·log(1 − a)),   ∂L/∂a = (a − y) / (a·(1 − a)),   a clipped to "
               "[ε, 1 − ε], ε = 10⁻¹⁵"),
              "`1 — np.square(...)` with em dashes, `activationFns` read as `activationFunctions`, and "
              "log a unguarded at a = 0 or 1",
              ("L1", "L2", "L3", "L6")),
        Maths(("x = Xᵀ (d×m), y ← yᵀ (1×m): samples become columns.",
               "Layer ℓ has W_ℓ (neurons×inputs, randn with a seed) and b_ℓ = 0 (neurons×1), read from the "
               "fixture; η = lr from the fixture."),
              "np.random.randn without a seed, and a class-level learning_rate = 0.1", ("L7", "L8"))),
    ("layered", 1): Maths(
        ("A_0 = x;   Z_ℓ = W_ℓ·A_(ℓ−1) + b_ℓ,   A_ℓ = g_ℓ(Z_ℓ)   (b_ℓ added to every column)",),
        "“the output of this layer is A1”", ("L4",)),
    ("layered", 2): Maths(("J = (1/m)·Σⱼ L(y_j, A_j), the mean log-loss over the m samples",),
                          "“The cost can be calculated as :” with the formula missing", ("L10",)),
    ("layered", 3): Maths(
        ("dA = ∂L/∂A of the last layer; then for each layer from the last:",
         "dZ = g′(Z) ⊙ dA,  dW = (1/m)·dZ·A_(ℓ−1)ᵀ,  db = (1/m)·Σⱼ dZ[·, j],  dA_(ℓ−1) = Wᵀ·dZ (W before "
         "its update),",
         "W ← W − η·dW,  b ← b − η·db   (in Layer.backprop, below)"),
        "“this derivative value is the update”", ("L5",)),
    ("layered", 4): Maths(("ŷ = A_L of one more forward pass with the trained weights",)),
}


NOTES = (
    Note("indexing", r"\brange\(|\benumerate\(", r"\bseq_len\(|\bseq_along\(",
         "Python counts from 0, R from 1: `range(epochs)` is 0…epochs−1 where `seq_len(epochs)` is 1…epochs "
         "(`enumerate(…, start=1)` counts from 1 like `seq_along`). `seq_len(0)` is empty; `1:0` would loop twice."),
    Note("mutation", r"[-+]=|update_\w+\(params", r"params <- update_|params\$\w+ <- ",
         "numpy updates arrays in place (`+=`, `-=`) and the caller sees the change; R copies on modify, so "
         "the R function returns the new params and the caller reassigns them."),
    Note("containers", r"\{\s*$|\{\w+:|\breturn \w+, ", r"\blist\(",
         "A Python dict is an R named list (`params[\"wh\"]` is `params$wh`); several return values are a "
         "tuple in Python, one named list in R."),
    Note("fixture layout", r"np\.array\(params|Layer\(params", r"params\[",
         "The fixture's matrices are JSON lists of rows. numpy keeps them row-major (C order); R fills its "
         "column-major matrices with `byrow = TRUE`. rpy2's numpy2ri copies R's column-major data into an "
         "array of the same shape, so `wh[i, j]` is the same number on both sides, R's indices one higher."),
    Note("exp", r"np\.exp\(", r"\bexp\(",
         "numpy's `exp` can run its own SIMD kernel (AVX-512 on x86-64) where R's `exp` is the C library's; "
         "then they differ by 1 ULP on a few percent of inputs (`python -m twinnet doctor` measures it here)."),
    Note("matmul", r"@", r"%\*%|crossprod\(",
         "`A @ B` is `A %*% B`; `*` is elementwise in both. numpy's `@` runs on the OpenBLAS bundled with "
         "numpy, R's `%*%` on the BLAS R is linked to: the system's OpenBLAS after `make setup`, another build "
         "with its own kernels and summation order, so the sums can round differently "
         "(`python -m twinnet doctor` names both)."),
    Note("broadcasting", r"\+ (params\[|self\.b)", r"\+ (rep|as\.vector)\(",
         "Broadcasting against recycling: numpy stretches a 1×h (or h×1) bias over the samples; R recycles a "
         "vector down the columns whatever its shape, silently wrong for a row of biases (and refuses a 1×h "
         "matrix as non-conformable). The twins spell the recycling out: `M + rep(bh, each = nrow(M))` adds "
         "bh[j] to column j, `M + as.vector(b)` adds b[i] to row i."),
    Note("transpose", r"\.T\b", r"\bt\(|crossprod\(",
         "`X.T` is a view in numpy (no copy); R's `t(X)` copies. R's `crossprod(A, B)` is `t(A) %*% B` and "
         "`tcrossprod(A, B)` is `A %*% t(B)`, without forming the transpose."),
    Note("keepdims", r"keepdims=True", r"colSums\(|rowSums\(",
         "`keepdims` against `drop`: `sum(axis=…, keepdims=True)` keeps a matrix; R's `colSums`/`rowSums` "
         "drop to a plain vector (as `M[1, ]` drops unless `drop = FALSE`), and `t()` or `as.matrix()` makes "
         "it a row or a column again."),
    Note("sums", r"\.sum\(|np\.sum\(", r"colSums\(|\bsum\(",
         "R's `sum`, `colSums` and `mean` accumulate in long double; numpy adds in double: the last bit of a "
         "sum can differ."),
    Note("clip", r"np\.clip\(", r"pmin\(pmax\(",
         "`np.clip(a, lo, hi)` is `pmin(pmax(a, lo), hi)` in R."),
    Note("objects", r"\bLayer\(|class Layer", r"Layer\$new\(|setRefClass\(",
         "A Python object is a reference, and `layer.backprop` changes its W in place. An R list would be "
         "copied; a Reference Class (`setRefClass`, fields set with `<<-`) behaves like the Python object."),
    Note("reversed", r"\breversed\(", r"\brev\(",
         "`reversed(lyr)` is `rev(lyr)`: both walk the layers from the last to the first."),
)


def _code_only(code):
    """The code without its comment lines."""
    return "\n".join(line for line in code.splitlines() if not line.lstrip().startswith("#"))


def sections(variant: str) -> list[dict[str, Any]]:
    """The variant's steps for display: one dict per block of code, in step order (a step continued elsewhere,
    the Layer-class Step 3 in ``Layer.backprop``, comes before the next step), with "headings" [(number,
    text)], "maths" [(number, Maths)], both languages' code ("python", "r") and the "notes" that apply.  A
    step that goes on into the training loop ends before it; the loop follows as a section with no headings
    and ``"loop": True`` (:func:`twinnet.reading.steps.split_loop`)."""
    pairs = sorted(steps.paired_blocks(variant), key=lambda pair: pair[0].markers[0].number)
    seen: list[int] = []
    shown_notes: set[str] = set()
    result: list[dict[str, Any]] = []
    for python_block, r_block in pairs:
        (python, python_loop), (r, r_loop) = (steps.split_loop(python_block, "python"),
                                              steps.split_loop(r_block, "r"))
        headings, maths = [], []
        for python_marker, r_marker in zip(python.markers, r.markers, strict=True):
            number = python_marker.number
            text = python_marker.text if python_marker.text == r_marker.text else python_marker.title
            headings.append((number, text))
            maths.append((number, maths_of(variant, number, seen.count(number))))
            seen.append(number)
        result.append({"headings": headings, "maths": maths, "python": python, "r": r, "loop": False,
                       "notes": _new_notes(python.code, r.code, shown_notes)})
        if python_loop is not None and r_loop is not None:
            result.append({"headings": [], "maths": [], "python": python_loop, "r": r_loop, "loop": True,
                           "notes": _new_notes(python_loop.code, r_loop.code, shown_notes)})
    return result


def maths_of(variant: str, number: int, occurrence: int = 0) -> Maths:
    """The Maths of a step: the entry for its number, or the entry for this occurrence when a number has
    several markers."""
    entry = MATHS[(variant, number)]
    return entry if isinstance(entry, Maths) else entry[occurrence]


def helper_sections(variant: str, shown_notes: set[str] | None = None) -> list[dict[str, Any]]:
    """The definitions outside the steps, paired by name, with their notes (those not in ``shown_notes``)."""
    shown_notes = set() if shown_notes is None else shown_notes
    result = []
    for python, r in steps.paired_definitions(variant):
        name = next(side.name for side in (python, r) if side is not None)
        notes = _new_notes(python.code, r.code, shown_notes) if python and r else []
        result.append({"name": name, "python": python, "r": r, "notes": notes})
    return result


def variant_view(variant: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The steps and the helpers of a variant, each porter's note under the first place it applies."""
    step_list = sections(variant)
    shown = {note.topic for section in step_list for note in section["notes"]}
    return step_list, helper_sections(variant, shown)


def _new_notes(python_code, r_code, shown):
    """The notes that apply to this code and were not shown earlier in the variant."""
    notes = [note for note in NOTES if note.topic not in shown and note.applies(python_code, r_code)]
    shown.update(note.topic for note in notes)
    return notes


WHY = {("article", 9): (
    "Why δₕ = (δₒ·wₒᵀ) ⊙ σ′(H)? The chain rule, one layer back",
    ["The loss is L = Σ ½(y − ŷ)² with ŷ = σ(O), O = H·wₒ + bₒ, H = σ(Z), Z = X·wₕ + bₕ.",
     "At the output, the descent is δₒ = −∂L/∂O = (y − ŷ) ⊙ σ′(O) = (y − ŷ) ⊙ ŷ ⊙ (1 − ŷ) (Steps 5 to 7).",
     "Back through O = H·wₒ: −∂L/∂H = δₒ·wₒᵀ, each hidden unit getting the output's delta times the weight "
     "it feeds it through (Step 8).",
     "Back through H = σ(Z): δₕ = −∂L/∂Z = (δₒ·wₒᵀ) ⊙ σ′(Z) = (δₒ·wₒᵀ) ⊙ H ⊙ (1 − H) (Step 9); then "
     "−∂L/∂wₕ = Xᵀ·δₕ (Step 10)."],
    "δ here is the descent −∂L/∂(·), which the article adds, times lr; the gradient ∂L/∂(·) is its negative, "
    "which the walk-through and the Layer-class text subtract.")}
"""Derivations shown beside a step, by (variant, step number): a title, numbered lines and a closing note."""
