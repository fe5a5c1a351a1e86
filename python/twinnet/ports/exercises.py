"""Find-the-bug exercises: ports with one classic mistake each, checked by conform.

Every exercise is one of the correct ports in ``ports/templates/`` (the article
network and the Layer-class network, in Python and in R) with one mistake
written into it by :data:`MISTAKES`: a few exact text edits.  Each mistake of an
epoch is one of ``twinnet.mistakes`` (``Mistake.replay``): the broken port trains
as the reference's epoch with that mistake switched on (tests/test_mistakes.py),
which is how conform confirms its diagnosis by replay.  ``make exercises``
(``python -m twinnet.ports.exercises``) writes them to ``docs/exercises/`` with
the sheet (``README.md``) and the answers (``answers.md``); a test fails when the
committed files differ from a fresh generation.  ``twinnet exercise N`` runs
conform on exercise N, or on a learner's fixed copy with ``--port FILE``.

The ports write their trace when ``TWINNET_TRACE`` is set, so conform names the
step where they first differ from the reference.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import resources
from . import conform, skeletons, verdicts
from .run import command_port

TEMPLATES = Path(__file__).parent / "templates"
EXTENSIONS = {"python": ".py", "r": ".R"}
DIRECTORY = "docs/exercises"


@dataclass(frozen=True)
class Mistake:
    """One classic mistake, as text edits of a template in each language it exists in."""

    key: str
    name: str
    variant: str
    edits: dict  # language -> ((old, new), ...): each old occurs once in the template
    step: tuple  # (number, title) of the first step whose traced value differs
    replay: str = ""  # the same mistake in twinnet.mistakes, whose epoch the broken port's equals ("": not an epoch's)


MISTAKES = {mistake.key: mistake for mistake in (
    Mistake("lr-twice", "the learning rate applied twice (η²)", "article", {
        "python": (("    d_output = E * slope_output_layer\n", "    d_output = E * slope_output_layer * lr\n"),),
        "r": (("  d_output <- E * slope_output_layer\n", "  d_output <- E * slope_output_layer * lr\n"),),
    }, (7, "delta at the output layer"), "lr-twice"),
    Mistake("rowsums-bias", "the bias gradient summed over the units (rowSums), not the samples", "article", {
        "python": (("np.sum(d_hiddenlayer, axis=0, keepdims=True)", "np.sum(d_hiddenlayer, axis=1, keepdims=True).T"),),
        "r": (("t(colSums(d_hiddenlayer))", "t(rowSums(d_hiddenlayer))"),),
    }, (11, "bias slopes"), "wrong-axis"),
    Mistake("sigmoid-misprint", "the text's misprinted sigmoid 1/(x(1 − e⁻ˣ))", "article", {
        "python": (("    return 1 / (1 + np.exp(-x))", "    return 1 / (x * (1 - np.exp(-x)))"),),
        "r": (("sigmoid <- function(x) 1 / (1 + exp(-x))", "sigmoid <- function(x) 1 / (x * (1 - exp(-x)))"),),
    }, (3, "non-linear transformation of the hidden layer input"), "sigmoid-misprint"),
    Mistake("transposed-init", "the initial weights read column by column", "article", {
        "python": (('params = {name: read_matrix(fixture["init"][name])',
                    'params = {name: np.reshape(np.ravel(fixture["init"][name]), np.shape(fixture["init"][name]), '
                    'order="F")'),),
        "r": (('params <- lapply(fixture$init[c("wh", "bh", "wout", "bout")], read_matrix)',
               'params <- lapply(fixture$init[c("wh", "bh", "wout", "bout")],\n'
               '                 function(rows) matrix(unlist(rows), nrow = length(rows)))'),),
    }, (1, "initialize weights and biases"), "transposed-init"),
    Mistake("preactivation-slope", "the hidden slope taken of the pre-activation", "article", {
        "python": (("derivatives_sigmoid(hiddenlayer_activations)", "derivatives_sigmoid(hidden_layer_input)"),),
        "r": (("derivatives_sigmoid(hiddenlayer_activations)", "derivatives_sigmoid(pass$hidden_layer_input)"),),
    }, (6, "slopes at the output and hidden layers"), "preactivation"),
    Mistake("stale-wout", "wout updated before the error is sent back through it", "article", {
        "python": (
            ("    descent_wout = hiddenlayer_activations.T @ d_output\n    descent_wh = X.T @ d_hiddenlayer\n"
             "    wout = params[\"wout\"] + descent_wout * lr\n",
             "    descent_wh = X.T @ d_hiddenlayer\n"),
            ("    # Step 8: error at the hidden layer\n    error_at_hidden_layer = d_output @ params[\"wout\"].T\n",
             "    descent_wout = hiddenlayer_activations.T @ d_output\n"
             "    wout = params[\"wout\"] + descent_wout * lr\n"
             "    # Step 8: error at the hidden layer\n    error_at_hidden_layer = d_output @ wout.T\n")),
        "r": (
            ("  descent_wout <- t(hiddenlayer_activations) %*% d_output\n  descent_wh <- t(X) %*% d_hiddenlayer\n"
             "  wout <- params$wout + descent_wout * lr\n",
             "  descent_wh <- t(X) %*% d_hiddenlayer\n"),
            ("  # Step 8: error at the hidden layer\n  error_at_hidden_layer <- d_output %*% t(params$wout)\n",
             "  descent_wout <- t(hiddenlayer_activations) %*% d_output\n  wout <- params$wout + descent_wout * lr\n"
             "  # Step 8: error at the hidden layer\n  error_at_hidden_layer <- d_output %*% t(wout)\n")),
    }, (8, "error at the hidden layer"), "stale"),
    Mistake("biases-never-updated", "the biases never updated", "article", {
        "python": (("bout = params[\"bout\"] + descent_bout * lr",
                    "bout = params[\"bout\"]\n    bout + descent_bout * lr"),
                   ("bh = params[\"bh\"] + descent_bh * lr", "bh = params[\"bh\"]\n    bh + descent_bh * lr")),
        "r": (("bout <- params$bout + descent_bout * lr", "bout <- params$bout\n  bout + descent_bout * lr"),
              ("bh <- params$bh + descent_bh * lr", "bh <- params$bh\n  bh + descent_bh * lr")),
    }, (11, "bias slopes"), "frozen-biases"),
    Mistake("fifteen-digits", "numbers written with 15 significant digits", "article", {
        "python": (('    return format(value, ".17g")', '    return format(value, ".15g")'),),
        "r": (('number <- function(x) sprintf("%.17g", x)', "number <- function(x) as.character(x)"),),
    }, (1, "initialize weights and biases")),
    Mistake("uphill", "the error's sign flipped: every step goes uphill", "article", {
        "python": (("    E = y - output\n", "    E = output - y\n"),),
        "r": (("  E <- y - output\n", "  E <- output - y\n"),),
    }, (5, "error at the output layer"), "uphill"),
    Mistake("missing-1/m", "the gradients summed over the samples: 1/m missing", "layered", {
        "python": (("dW = 1 / m * (dZ @ As[k - 1].T)", "dW = dZ @ As[k - 1].T"),
                   ("db = 1 / m * np.sum(dZ, axis=1, keepdims=True)", "db = np.sum(dZ, axis=1, keepdims=True)")),
        "r": (("dW <- 1 / m * (dZ %*% t(pass$A[[k]]))", "dW <- dZ %*% t(pass$A[[k]])"),
              ("db <- 1 / m * as.matrix(rowSums(dZ))", "db <- as.matrix(rowSums(dZ))")),
    }, (3, "backpropagation"), "missing-1/m"),
    Mistake("tanh-slope", "tanh's slope 1 − a² applied to the pre-activation Z", "layered", {
        "python": (('"tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2)', '"tanh": (np.tanh, lambda z: 1 - z ** 2)'),),
        "r": (("tanh = list(f = tanh, slope = function(z) 1 - tanh(z)^2)",
               "tanh = list(f = tanh, slope = function(z) 1 - z^2)"),),
    }, (3, "backpropagation"), "preactivation"),
)}


@dataclass(frozen=True)
class Exercise:
    """One exercise: a mistake in one language, the fixture it is checked on, the
    question, the answer, and what conform's diagnosis says about it."""

    number: int
    mistake: str
    language: str
    fixture: str
    question: str
    answer: str
    diagnosis: str  # a part of conform's diagnosis without a trace (the inferred one)
    errata: str = ""

    @property
    def file_name(self) -> str:
        return f"exercise-{self.number:02d}{EXTENSIONS[self.language]}"

    @property
    def step(self) -> tuple:
        return MISTAKES[self.mistake].step


EXERCISES = (
    Exercise(1, "lr-twice", "python", "article",
             "This port agrees after 0 epochs and fails after 1, with every parameter off in the same "
             "proportion. Which step is wrong, and by what factor does it shrink every update?",
             "Step 7 multiplies the output delta by the learning rate, and the update (Steps 10 and 11) "
             "multiplies by it again: `d_output` and, through Step 8, `d_hiddenlayer` carry η, so every step "
             "is η² times the gradient, 0.01 instead of 0.1 on the article fixture. The article's text does "
             "exactly this (its Step 7 reads δ = E·σ'·η). Fix: `d_output = E * slope_output_layer`.",
             "the learning rate is applied twice", "A7"),
    Exercise(2, "rowsums-bias", "r", "article",
             "Only the biases are wrong after one epoch; the weights agree to the last digit. "
             "What does the bias update sum, and over which axis should it sum?",
             "`rowSums(d_hiddenlayer)` sums each *sample's* deltas over the hidden units (one number per "
             "sample); the gradient of a unit's bias sums that unit's deltas over the *samples*: "
             "`colSums`. It runs at all only because the article fixture has as many samples as hidden "
             "units (3). The article's published R code updates its biases with `rowSums`. "
             "Fix: `t(colSums(d_hiddenlayer))`.",
             "the bias gradient is summed over the wrong axis", "A16"),
    Exercise(3, "sigmoid-misprint", "python", "xor",
             "The initial parameters come back right, but even the untrained network's output differs. "
             "Which function is wrong?",
             "The sigmoid is the text's misprint 1 / (x(1 − e⁻ˣ)), not σ(x) = 1 / (1 + e⁻ˣ): every forward "
             "pass is wrong from the start (σ(1) would be 1.58, not a probability). "
             "Fix: `return 1 / (1 + np.exp(-x))`.",
             "the forward pass differs", "A1"),
    Exercise(4, "transposed-init", "r", "xor",
             "With 0 epochs this port should write back the initial weights unchanged. It does not. Why?",
             "`matrix(unlist(rows), nrow = length(rows))` fills the matrix column by column, but JSON lists a "
             "matrix row by row: `wh` (2×4) comes out scrambled (a square one would come out transposed). "
             "Fix: `byrow = TRUE`, as `read_matrix` does.",
             "the initial weights were read transposed"),
    Exercise(5, "preactivation-slope", "python", "xor",
             "After one epoch the hidden weights and biases are wrong, the output layer's are right. "
             "Which quantity sent back to the hidden layer is wrong?",
             "The hidden slope is taken of the pre-activation `hidden_layer_input`. "
             "`derivatives_sigmoid(a) = a(1 − a)` is σ'(z) only when given the activation a = σ(z). "
             "Fix: `derivatives_sigmoid(hiddenlayer_activations)`.",
             "the slope was taken of the pre-activation X·wh + bh"),
    Exercise(6, "stale-wout", "r", "xor",
             "After one epoch the output layer is right and the hidden layer is not. Nothing in the "
             "formulas looks wrong. What is wrong with the order?",
             "`wout` is updated before the error is sent back through it (Step 8), so the hidden layer's "
             "gradient uses the new `wout`. Every gradient of an epoch must use the parameters from its "
             "start. Fix: compute `error_at_hidden_layer` with `params$wout` and update `wout` in Step 10.",
             "wout was updated before the error was sent back through it"),
    Exercise(7, "missing-1/m", "r", "layered-xor",
             "This Layer-class port steps in the right direction but too far: after one epoch every "
             "parameter has moved 4 times as far as it should. What is missing, and why 4?",
             "`dW` and `db` are sums over the m = 4 samples; the Layer-class text averages them: "
             "`dW <- 1 / m * (dZ %*% t(A_prev))`, `db <- 1 / m * rowSums(dZ)`.",
             "the gradients are summed over the samples, not averaged"),
    Exercise(8, "fifteen-digits", "r", "xor",
             "This port trains correctly (every number is within 1e-15 of the reference), yet conform "
             "fails it after 0 epochs. What does it lose, and where?",
             "`as.character` writes 15 significant digits; a double needs 17 to read back as the same "
             "number, so even the initial weights do not come back bit for bit. "
             "Fix: `sprintf(\"%.17g\", x)`.",
             "init rounded to 15 significant digits"),
    Exercise(9, "biases-never-updated", "r", "xor",
             "Only the biases are wrong after one epoch. Are they wrong, or just not there?",
             "The bias updates are computed and thrown away: `bout + …` on a line of its own changes "
             "nothing, so the biases stay at their initial values. Fix: `bout <- params$bout + "
             "descent_bout * lr` (and the same for `bh`).",
             "the biases are never updated"),
    Exercise(10, "tanh-slope", "python", "layered-xor",
             "After one epoch the last layer is right and the tanh layer is wrong. Which formula is "
             "applied to the wrong quantity?",
             "tanh'(z) = 1 − tanh²(z) = 1 − a² with a = tanh(z). The port writes `1 - z ** 2`, the "
             "activation formula applied to the pre-activation. Fix: `lambda z: 1 - np.tanh(z) ** 2`.",
             "slope formula was applied to the pre-activation Z"),
    Exercise(11, "uphill", "python", "xor",
             "After one epoch every parameter has moved exactly as far as it should, in the wrong "
             "direction. Which sign is wrong?",
             "`E = output - y` is ∂E/∂output, but the article's update *adds* `lr · Hᵀ·δ`: it expects "
             "E = y − output, minus the derivative. Fix: `E = y - output`.",
             "the step goes uphill"),
)


def template(variant: str, language: str) -> str:
    """The correct port of a variant in a language."""
    return (TEMPLATES / f"{variant}{EXTENSIONS[language]}").read_text(encoding="utf-8")


def broken_source(mistake: str, language: str) -> str:
    """The template of the mistake's variant with the mistake written into it."""
    found = MISTAKES[mistake]
    text = template(found.variant, language)
    for old, new in found.edits[language]:
        if text.count(old) != 1:
            raise ValueError(f"{mistake} ({language}): the edit's text occurs {text.count(old)} times: {old!r}")
        text = text.replace(old, new)
    return text


def fixed_source(exercise: Exercise) -> str:
    """The exercise's port with its mistake undone: the template."""
    return template(MISTAKES[exercise.mistake].variant, exercise.language)


def find(number: int) -> Exercise:
    for exercise in EXERCISES:
        if exercise.number == number:
            return exercise
    raise ValueError(f"no exercise {number}: there are {len(EXERCISES)} (docs/exercises/README.md)")


def conform_error(message: str) -> Exception:
    from ..safejson import FixtureError

    return FixtureError("E_IO", message)


def port_command(path: Path) -> list:
    """How to run a port file: Python with this interpreter, R with Rscript."""
    if path.suffix == ".py":
        return [sys.executable, str(path)]
    if path.suffix in (".R", ".r"):
        return ["Rscript", str(path)]
    raise conform_error(f"{path}: a port is a .py or .R file")


def check(exercise: Exercise, port: Path, work_dir: Path | None = None) -> verdicts.Verdict:
    """conform's verdict on ``port`` (the exercise, or a learner's copy) on the exercise's fixture."""
    fixture = resources.data_dir() / f"{exercise.fixture}.json"
    with conform.work_directory(work_dir) as directory:
        return conform.run_port_on_fixture(fixture, command_port(port_command(Path(port))), directory)


# --- the documents ------------------------------------------------------------

def sheet() -> str:
    lines = ["# Exercises: find the mistake", "",
             "Each file here is a port of one of twinnet's networks (docs/porting.md) with **one** classic "
             "mistake in it. Run it through the checker, read what it says, find the line, fix it in a copy, "
             "and check your copy:", "",
             "```sh", "python -m twinnet exercise 1                          # conform on exercise 1: what is wrong",
             "cp docs/exercises/exercise-01.py mine.py               # fix mine.py, then",
             "python -m twinnet exercise 1 --port mine.py           # pass when it is fixed", "```", "",
             "The ports write a trace of their first epoch (every named quantity, by step) when "
             "`TWINNET_TRACE` is set, and conform, which sets it, then names the first step whose value "
             "differs from the reference. Python ports need numpy; R ports need jsonlite. The answers are in "
             "[answers.md](answers.md); try first.", "",
             "| # | file | network | fixture |", "|---|---|---|---|"]
    for exercise in EXERCISES:
        variant = MISTAKES[exercise.mistake].variant
        lines.append(f"| {exercise.number} | [{exercise.file_name}]({exercise.file_name}) | {variant} | "
                     f"`{exercise.fixture}` |")
    lines.append("")
    for exercise in EXERCISES:
        lines += [f"## Exercise {exercise.number}: `{exercise.file_name}`", "", exercise.question, ""]
    lines += ["These files are written by `make exercises` (python/twinnet/ports/exercises.py) from the correct "
              "ports in python/twinnet/ports/templates/; do not edit them here.", ""]
    return "\n".join(lines)


def answers() -> str:
    lines = ["# Answers", "", "For each exercise: the mistake, what conform says about it, and the fix. The "
             "fixed file is the correct port in python/twinnet/ports/templates/.", ""]
    for exercise in EXERCISES:
        mistake = MISTAKES[exercise.mistake]
        step, title = mistake.step
        errata = (f" The text's own mistake: [{exercise.errata}](../errata.md)." if exercise.errata else "")
        lines += [f"## Exercise {exercise.number}: {mistake.name}", "",
                  f"{exercise.answer}{errata}", "",
                  f"conform names the step from the trace: **Step {step}, {title}**. Without a trace it "
                  f"infers: “…{exercise.diagnosis}…”.", ""]
        lines += ["```diff"] + [f"-{line}" for old, new in mistake.edits[exercise.language]
                                for line in new.splitlines() or [""]]
        lines += [f"+{line}" for old, new in mistake.edits[exercise.language] for line in old.splitlines()]
        lines += ["```", ""]
    return "\n".join(lines)


def all_files() -> dict:
    """Every generated file of docs/exercises/, by name."""
    files = {exercise.file_name: broken_source(exercise.mistake, exercise.language) for exercise in EXERCISES}
    files["README.md"] = sheet()
    files["answers.md"] = answers()
    return files


def stale(root: Path) -> list:
    """The generated files that differ from a fresh generation."""
    return [name for name, text in all_files().items()
            if not (root / DIRECTORY / name).is_file()
            or (root / DIRECTORY / name).read_text(encoding="utf-8") != text]


def generate(root: Path) -> list:
    from ..results import write_atomic

    directory = root / DIRECTORY
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in all_files().items():
        write_atomic(directory / name, text)
        written.append(directory / name)
    return written


def run(number: int, port: Path | None = None) -> int:
    """``twinnet exercise N [--port FILE]``: conform's verdict, printed; 0 when it passes."""
    exercise = find(number)
    root = resources.checkout("exercise (the exercises live in docs/exercises/)")
    if port is None:
        port = root / DIRECTORY / exercise.file_name
    elif not Path(port).is_file():
        raise conform_error(f"{port}: no such file")
    verdict = check(exercise, Path(port))
    print(verdict.line())
    if verdict.ok:
        print(f"Exercise {number}: {port} conforms. Well done." if port != root / DIRECTORY / exercise.file_name
              else f"Exercise {number}: this port conforms: the exercise is broken (report it).")
        return 0
    print(f"Exercise {number}: {port} does not conform yet. Copy it, fix it, and check your copy with "
          f"`twinnet exercise {number} --port YOUR_COPY`.")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m twinnet.ports.exercises",
                                     description="write (or check) docs/exercises/ and docs/skeletons/")
    parser.add_argument("--check", action="store_true", help="only check the committed files are current")
    args = parser.parse_args(argv)
    root = resources.checkout("generating the exercises")
    if args.check:
        names = [f"{DIRECTORY}/{name}" for name in stale(root)]
        names += [f"{skeletons.DIRECTORY}/{name}" for name in skeletons.stale(root)]
        for name in names:
            print(f"{name} differs from a fresh generation (make exercises)", file=sys.stderr)
        return 1 if names else 0
    for path in [*generate(root), *skeletons.generate(root)]:
        print(f"wrote {path.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

