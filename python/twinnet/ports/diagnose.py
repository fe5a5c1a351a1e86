"""Diagnosing a port: what the pattern of its first failing run points to, in
one sentence.

Each rule looks at the first run of a fixture that disagrees with the
reference (``verdicts.Run``) and names the usual porting mistake that gives that
pattern.  A rule that names a mistake of the epoch first replays it: the
reference's epoch with that mistake switched on (``twinnet.mistakes``) must give
the port's numbers, and the diagnosis then says "confirmed by replay".
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from .. import article, layered, mistakes, parity, stepwise, training
from ..reading import steps
from .verdicts import Run

RATIO_TOLERANCE = 1e-6
"""How close two step ratios must be to count as one common factor."""

# The variant's parameters by role, for the diagnoses that name them.
OUTPUT_LAYER = {"article": ("wout", "bout"), "stepwise": ("weights_hidden_output",)}
BIAS_AXIS = {
    "article": ("sum each hidden unit's deltas over the samples, which are rows here "
                "(numpy sum(axis=0), R colSums); the article's published R code uses rowSums, "
                "which sums each sample's deltas over the units"),
    "layered": ("sum each neuron's dZ over the samples, which are columns here "
                "(numpy sum(axis=1), R rowSums)"),
}
HIDDEN_GRADIENT = {
    "article": ("the slope was taken of the pre-activation (derivatives_sigmoid takes the "
                "activation H = σ(X·wh + bh), not X·wh + bh), or the wrong transpose in d_out · woutᵀ, "
                "or wout updated before d_hid was computed"),
    "stepwise": ("the slope was taken of the pre-activation (H ∘ (1 − H) with H = σ(wihᵀ·X), "
                 "not of wihᵀ·X), or the wrong transpose in who · (dO ∘ E), or who updated before "
                 "g_wih was computed"),
    "layered": ("the slope was taken at the wrong point (g'(Z) takes the pre-activation Z: "
                "1 − tanh²(Z), σ(Z)(1 − σ(Z))), or the wrong transpose in Wᵀ · dZ, "
                "or W updated before dA was sent back"),
}
OUTPUT_DELTA = {
    "article": "d_out = (y − output) ∘ output ∘ (1 − output), added with +lr",
    "stepwise": "∂E/∂output = −(y − output) times output ∘ (1 − output), subtracted with −lr",
    "layered": "dA = (a − y) / (a ∘ (1 − a)) with the clipped a, then dZ = g'(Z) ∘ dA, subtracted with −lr",
}
LOSS = {
    "article": "the mean over the samples of ½(y − output)²",
    "stepwise": "the mean over the samples of ½(y − output)²",
    "layered": ("the mean over the samples of −(y log a + (1 − y) log(1 − a)), "
                "a = output clipped to [1e-15, 1 − 1e-15]"),
}


def diagnose(fixture: dict[str, Any], run: Run) -> str | None:
    """What the pattern of the first failing run points to, in one sentence
    (None when the port gave no result to compare)."""
    if run.error:
        return None
    rules = (precision_loss, reordered_init, untrained_output, step_factor, partial_factor, biases_only,
             hidden_layer_only, stale_output, loss_definition)
    for rule in rules:
        message = rule(fixture, run)
        if message:
            return message
    return fallback(fixture, run)


def differing_params(fixture: dict[str, Any], run: Run) -> list[str]:
    """The parameters out of tolerance, in the fixture's order."""
    return [name for name in fixture["init"] if name in run.differing()]


def precision_loss(fixture: dict[str, Any], run: Run) -> str | None:
    """After 0 epochs the parameters are init up to rounding: digits were lost
    when the port read or wrote its numbers."""
    if run.epochs != 0 or not differing_params(fixture, run):
        return None
    init = np.concatenate([value.ravel() for value in fixture["init"].values()])
    port = np.concatenate([run.result["params"][name].ravel() for name in fixture["init"]])
    relative = float(np.max(np.abs(port - init) / np.maximum(np.abs(init), np.finfo(float).tiny)))
    if relative > 1e-6:
        return None
    start = f"float precision loss: the parameters after 0 epochs differ from init by up to {relative:.1e} relative"
    fix = "write every double with 17 significant digits (%.17g) or the shortest round-trip form (see docs/porting.md)"
    digits = next((k for k in range(1, 17) if np.array_equal(port, [float(f"{value:.{k}g}") for value in init])),
                  None)
    if digits:
        return f"{start}: they are init rounded to {digits} significant digits; {fix}"
    if np.array_equal(port, init.astype(np.float32).astype(float)):
        return f"{start}: they are init in single precision (float32); compute and write in double precision"
    return f"{start}: numbers lose digits when they are read or written; read them as doubles and {fix}"


def column_major(matrix: np.ndarray) -> np.ndarray:
    """A matrix refilled column by column from its row-by-row numbers: what R's
    matrix(unlist(rows), nrow = length(rows)) gives without byrow = TRUE.
    For a square matrix this is its transpose."""
    return matrix.ravel().reshape(matrix.shape, order="F")


def reordered_init(fixture: dict[str, Any], run: Run) -> str | None:
    """After 0 epochs a parameter holds init's numbers in other places."""
    if run.epochs != 0:
        return None
    for name in differing_params(fixture, run):
        got, init = run.result["params"][name], fixture["init"][name]
        if np.array_equal(got, column_major(init)):
            return (f"the initial weights were read transposed: {name} after 0 epochs is init.{name} filled "
                    "column by column; a matrix is a list of rows (R: matrix(unlist(rows), "
                    "nrow = length(rows), byrow = TRUE))")
        if np.array_equal(np.sort(got, axis=None), np.sort(init, axis=None)):
            return (f"the initial weights were read in the wrong order: {name} after 0 epochs holds "
                    f"init.{name}'s numbers in other places; a matrix is a list of rows")
    return None


def untrained_output(fixture: dict[str, Any], run: Run) -> str | None:
    """The output at epoch 0 differs although the parameters round-trip."""
    if run.epochs != 0 or "output" not in run.differing() or differing_params(fixture, run):
        return None
    start = "the outputs at epoch 0 already differ"
    data, hyper = fixture["data"], fixture["hyper"]
    for name in ["X", *fixture["init"]]:
        original = data["X"] if name == "X" else fixture["init"][name]
        misread = column_major(original)
        if np.array_equal(misread, original):
            continue
        X = misread if name == "X" else data["X"]
        init = fixture["init"] if name == "X" else {**fixture["init"], name: misread}
        _, _, output = training.train_variant(fixture["variant"], X, data["y"], init, hyper, 0)
        if np.max(np.abs(output - run.result["output"])) <= parity.TOLERANCE:
            mistake = "the data layout is wrong" if name == "X" else "the initial weights were read transposed"
            return (f"{start}: {mistake}: the reference with {name} filled column by column gives the port's "
                    "output; a matrix is a list of rows, and X has one sample per row")
    return (f"{start}: the initial weights were read transposed, or the data layout is wrong (X is n x d, "
            "one sample per row), or the forward pass differs (σ(z) = 1/(1 + e^(−z)), biases added to every sample)")


def step_factor(fixture: dict[str, Any], run: Run) -> str | None:
    """After epoch 1 every parameter's step is the reference's times one common factor."""
    if run.epochs != 1 or not differing_params(fixture, run):
        return None
    factor = common_factor(fixture, run, list(fixture["init"]))
    if factor is None:
        return None
    causes = [("1/lr", "the learning rate is missing"), ("lr", "the learning rate is applied twice"),
              ("−1", "the step goes uphill: the sign of the gradient or of the update is wrong"),
              ("m", "the gradients are summed over the samples, not averaged"),
              ("1/n", "the gradient of the mean is taken, not of the sum Σ ½(y − output)²")]
    symbols = factor_symbols(fixture, factor)
    cause = next((text for value, text in causes if value in symbols), "the step size is wrong")
    return (f"every parameter is off by the same factor: each step after epoch 1 is {factor:.6g} times "
            f"the reference's: {cause}")


def common_factor(fixture: dict[str, Any], run: Run, names: list[str]) -> float | None:
    """The factor f such that each of the parameters ``names`` took f times the reference's
    step in the first epoch, or None when there is no one such factor."""
    init = fixture["init"]
    port = np.concatenate([(run.result["params"][name] - init[name]).ravel() for name in names])
    reference = np.concatenate([(run.reference["params"][name] - init[name]).ravel() for name in names])
    large = np.abs(reference) > parity.TOLERANCE
    if not large.any():
        return None
    factor = float(np.median(port[large] / reference[large]))
    if not np.allclose(port, factor * reference, rtol=RATIO_TOLERANCE, atol=parity.TOLERANCE):
        return None
    return factor


def factor_symbols(fixture: dict[str, Any], factor: float) -> list[str]:
    """The factor as the usual mistakes make it (lr, lr², 1/lr, −1, n, 1/n; m and 1/m in the
    Layer-class variant, whose samples are m): every one it equals (lr² = 1/n when lr = 0.5
    and n = 4), none when it is none of them."""
    lr, n = fixture["hyper"]["lr"], len(fixture["data"]["X"])
    count = "m" if fixture["variant"] == "layered" else "n"
    known = [("lr", lr), ("lr²", lr * lr), ("1/lr", 1 / lr), ("−1", -1.0), (count, n), (f"1/{count}", 1 / n)]
    return [symbol for symbol, value in known if np.isclose(factor, value, rtol=RATIO_TOLERANCE)]


FACTOR_MISTAKES = ("hidden-lr-twice", "bias-mean", "bias-sum")
"""The mistakes that put one factor on some parameters' steps only, replayed before one is named."""
FACTOR_GUESSES = {
    ("the biases", "1/n"): "the bias steps take the mean of the deltas over the samples, not their sum",
    ("the biases", "m"): "the bias steps sum dZ over the samples, not its mean",
    ("the biases", "n"): "the bias steps are n times too large: a sum where the mean is meant",
    ("the biases", "1/m"): "the bias steps are divided by m twice",
}
"""What a factor on one group of parameters points to, when no replay confirms a mistake."""


def parameter_group(fixture: dict[str, Any], names: list[str]) -> str:
    """The parameters ``names`` in words: the biases, the hidden layer's, one layer's, or some."""
    variant = fixture["variant"]
    if all(_is_bias(variant, name) for name in names):
        return "the biases"
    if variant == "layered" and len({name[1:] for name in names}) == 1:
        return f"layer {names[0][1:]}'s parameters"
    if not set(names) & set(output_layer(fixture)):
        return "the hidden layer's parameters"
    return "some parameters"


def partial_factor(fixture: dict[str, Any], run: Run) -> str | None:
    """After epoch 1 only some parameters differ, each step by one common factor: a
    layer's parameters, or the biases; the mistake is named when its replay confirms it."""
    names = differing_params(fixture, run)
    if run.epochs != 1 or not names or len(names) == len(fixture["init"]):
        return None
    factor = common_factor(fixture, run, names)
    if factor is None or abs(factor) < RATIO_TOLERANCE:  # no step at all: biases_only says so
        return None
    group, symbols = parameter_group(fixture, names), factor_symbols(fixture, factor)
    start = (f"only {group} differ after epoch 1 ({', '.join(names)}), each step "
             f"{' = '.join([f'{factor:.6g}', *symbols])} times the reference's")
    for mistake in FACTOR_MISTAKES:
        if replay_matches(fixture, run, mistake):
            return f"{start}: {confirmed(fixture, mistake)}"
    if group == "the hidden layer's parameters" and "lr" in symbols:
        return f"{start}: the learning rate is applied twice to the hidden layer's parameters only"
    guess = next((FACTOR_GUESSES[group, symbol] for symbol in symbols if (group, symbol) in FACTOR_GUESSES),
                 "a factor enters these parameters' steps only: check their gradients and updates")
    return f"{start}: {guess}"


def biases_only(fixture: dict[str, Any], run: Run) -> str | None:
    """After epoch 1 only bias parameters differ, not by one factor."""
    names = differing_params(fixture, run)
    variant = fixture["variant"]
    if run.epochs != 1 or not names or not all(_is_bias(variant, name) for name in names):
        return None
    start = f"only the biases differ after epoch 1 ({', '.join(names)})"
    port = run.port or {"params": {}}
    unchanged = [name for name in names if np.array_equal(port["params"].get(name), fixture["init"][name])]
    if unchanged == names:
        return (f"{start}, and they are still init, bit for bit: the biases are never updated (the update is "
                "computed and not assigned, or not computed)")
    axis = f"the bias gradient is summed over the wrong axis: {BIAS_AXIS[variant]}"
    for mistake in ("wrong-axis", "bias-per-sample"):
        if replay_matches(fixture, run, mistake):
            return f"{start}: {axis}; {confirmed(fixture, mistake)}"
    n = len(fixture["data"]["X"])
    if variant == "article":
        wrong, right = f"1×{n}", f"1×{fixture['init']['bh'].shape[1]}"
    else:
        wrong, right = f"1×{n}", " and ".join(f"{fixture['init'][name].shape[0]}×1" for name in names)
    if wrong == right:
        return f"{start}: {axis}"
    return (f"{start}, not by one factor, and not summed over the wrong axis, whose sum would be {wrong} where the "
            f"biases are {right}: check the bias step: {BIAS_AXIS[variant]}")


def _is_bias(variant, name):
    return (variant == "article" and name in ("bh", "bout")) or (variant == "layered" and name.startswith("b"))


def output_layer(fixture: dict[str, Any]) -> tuple[str, ...]:
    """The names of the output layer's parameters."""
    if fixture["variant"] == "layered":
        layers = len(fixture["hyper"]["neurons"])
        return (f"W{layers}", f"b{layers}")
    return OUTPUT_LAYER[fixture["variant"]]


def hidden_layer_only(fixture: dict[str, Any], run: Run) -> str | None:
    """After epoch 1 the hidden layers' parameters differ and the output layer's do not."""
    names = differing_params(fixture, run)
    if run.epochs != 1 or not names or set(names) & set(output_layer(fixture)):
        return None
    start = (f"the hidden weights differ but the output weights do not ({', '.join(names)} after epoch 1): "
             "the error sent back to the hidden layer is wrong")
    matched = [(key, text) for key, text in HIDDEN_MISTAKES[fixture["variant"]] if replay_matches(fixture, run, key)]
    if len(matched) == 1:
        key, text = matched[0]
        step = mistakes.MISTAKES[key].steps[fixture["variant"]]
        return (f"{start}: {text}, entering at Step {step}, {step_titles(fixture['variant'])[step]} (confirmed by "
                "replay: the reference's epoch with this mistake gives the port's numbers; the other usual causes "
                "do not)")
    return f"{start}: {HIDDEN_GRADIENT[fixture['variant']]}"


HIDDEN_MISTAKES = {
    "article": (("preactivation", "the slope was taken of the pre-activation X·wh + bh (derivatives_sigmoid "
                                  "takes the activation H = σ(X·wh + bh))"),
                ("stale", "wout was updated before the error was sent back through it (d_hid must use the "
                          "wout from the start of the epoch)")),
    "stepwise": (("preactivation", "the slope was taken of the pre-activation wihᵀ·X (H ∘ (1 − H) takes "
                                   "H = σ(wihᵀ·X))"),
                 ("stale", "who was updated before g_wih was computed (it must use the who from the start "
                           "of the epoch)")),
    "layered": (("preactivation", "a hidden layer's slope formula was applied to the pre-activation Z as if "
                                  "it were the activation (1 − Z² for tanh, Z(1 − Z) for the sigmoid)"),
                ("stale", "W was updated before dA was sent back through it (dA = Wᵀ·dZ with W from the start "
                          "of the epoch)")),
}
"""The hidden-gradient mistakes of ``twinnet.mistakes`` that :func:`hidden_layer_only` replays, with what to say
when one matches."""


def replay_epoch(fixture: dict[str, Any], mistake: str) -> dict[str, np.ndarray]:
    """The parameters after one epoch of the reference with ``mistake`` (a name of
    ``twinnet.mistakes.MISTAKES``) switched on."""
    data = fixture["data"]
    return mistakes.train_variant_with(fixture["variant"], data["X"], data["y"], fixture["init"], fixture["hyper"],
                                       1, [mistake])[0]


def replay_matches(fixture: dict[str, Any], run: Run, mistake: str) -> bool:
    """Whether the reference's first epoch, replayed with ``mistake``, gives the port's
    parameters (False when the variant has no such mistake, or it cannot run here)."""
    if run.port is None or fixture["variant"] not in mistakes.MISTAKES[mistake].steps:
        return False
    try:
        replayed = replay_epoch(fixture, mistake)
    except mistakes.MistakeError:
        return False
    params = run.port["params"]
    return all(replayed[name].shape == params[name].shape
               and np.max(np.abs(replayed[name] - params[name])) <= parity.TOLERANCE for name in fixture["init"])


@functools.cache
def step_titles(variant: str) -> dict[int, str]:
    """The twin's step titles by number, from its step markers."""
    module = {"article": article, "stepwise": stepwise, "layered": layered}[variant]
    lines = Path(str(module.__file__)).read_text(encoding="utf-8").splitlines()
    return {marker.number: marker.title for marker in steps.find_markers(lines)}


def confirmed(fixture: dict[str, Any], mistake: str) -> str:
    """What a replayed mistake is, where it enters, and that the replay confirms it."""
    step = mistakes.MISTAKES[mistake].steps[fixture["variant"]]
    return (f"{mistakes.MISTAKES[mistake].says}, entering at Step {step}, {step_titles(fixture['variant'])[step]} "
            f"(confirmed by replay: the reference's epoch with mistake {mistake!r} gives the port's numbers)")


def stale_output(fixture: dict[str, Any], run: Run) -> str | None:
    """The parameters agree but the output does not."""
    if run.epochs == 0 or differing_params(fixture, run) or "output" not in run.differing():
        return None
    data = fixture["data"]
    _, _, before = training.train_variant(fixture["variant"], data["X"], data["y"], fixture["init"],
                                          fixture["hyper"], run.epochs - 1)
    if np.max(np.abs(before - run.result["output"])) <= parity.TOLERANCE:
        return ("the parameters agree but the output is the last epoch's forward pass, before its update: "
                "output must be a fresh forward pass after the last update")
    return "the parameters agree but the output does not: output is a forward pass with the final parameters"


def loss_definition(fixture: dict[str, Any], run: Run) -> str | None:
    """Parameters and output agree; only the loss differs, from epoch 0 on."""
    if run.differing() != {"loss"} or run.divergences[0].epoch != 0:
        return None
    port, reference = run.result["loss"], run.reference["loss"]
    data = fixture["data"]
    _, later, _ = training.train_variant(fixture["variant"], data["X"], data["y"], fixture["init"],
                                         fixture["hyper"], run.epochs + 1)
    if np.max(np.abs(port - later[1:])) <= parity.TOLERANCE:
        return ("only the loss differs: each loss is taken after the update; loss[i] is computed from "
                "epoch i's forward pass, before that epoch's update")
    n = len(data["X"])
    factors = [(n, "the loss is summed over the samples, not averaged"), (2.0, "the ½ is missing")]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = port / reference
    cause = next((text for value, text in factors if np.allclose(ratio, value, rtol=RATIO_TOLERANCE)), None)
    definition = f"loss[i] is {LOSS[fixture['variant']]}, from epoch i's forward pass"
    return f"only the loss differs: {cause + '; ' if cause else 'it is defined differently: '}{definition}"


def fallback(fixture: dict[str, Any], run: Run) -> str:
    """The stage's general message, when no pattern fits."""
    names = differing_params(fixture, run)
    if run.epochs == 0:
        return ("the parameters after 0 epochs are not init: with 0 epochs nothing trains, and the port "
                "must write init back unchanged, bit for bit")
    if run.label == "epochs-1":
        return (f"after epoch 1, {', '.join(names)} differ, the output layer's among them: the output layer's "
                f"step is already wrong: check {OUTPUT_DELTA[fixture['variant']]}, and that every gradient "
                "uses the parameters from the start of the epoch")
    if run.label == "epochs-2":
        return ("epoch 1 agrees but epoch 2 does not: the second epoch does not start from the parameters "
                "the first one ended with (a copy updated instead of the parameters, a bias kept per "
                "sample, or a value kept from the first epoch)")
    return (f"epochs 0, 1 and 2 agree but the full run does not ({', '.join(sorted(run.differing()))}): "
            "something depends on the epoch number or grows over the epochs: the loop count, or an "
            "inaccurate exp or sum whose error accumulates")
