"""Exercises: find-the-bug ports with one classic mistake each, and fill-in
skeletons, checked by conform on at least two fixtures.

Every find-the-bug exercise is one of the correct ports in ``ports/templates/``
(the article network and the Layer-class network, in Python and in R) with one
mistake written into it by :data:`MISTAKES`: a few exact text edits.  Each
mistake of an epoch is one of ``twinnet.mistakes`` (``Mistake.replay``): the
broken port trains as the reference's epoch with that mistake switched on
(tests/test_mistakes.py), which is how conform confirms its diagnosis.  The
fill-in exercises are the skeletons of :mod:`.skeletons` (the article twin with
Steps 6-9 blank).  ``make exercises`` (``python -m twinnet.ports.exercises``)
writes them to ``docs/exercises/`` with the sheet (``README.md``) and the
answers (``answers.md``, every answer under a neutral heading and a fold); a
test fails when the committed files differ from a fresh generation.

``twinnet exercise`` lists the exercises; ``twinnet exercise N`` asks exercise
N's question and says nothing of the cause; ``--hint`` names the step,
``--hint 2`` runs conform on the exercise and prints its diagnosis;
``--check FILE`` checks a learner's copy on every fixture of the exercise (they
differ in learning rate, shapes and sample count, so a fix that only rescales,
hard-codes a shape or undoes the symptom on one fixture fails); ``--answer``
prints the answer.

The ports write their trace when ``TWINNET_TRACE`` is set, so conform names the
step where they first differ from the reference.

Over 400 lines: half of it is the exercises themselves, as data (each mistake's
text edits in both languages, each question with its symptoms, hints and
answer, the what-ifs), which the sheet, the answers and the command all read.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import fixtures, parity, resources, results, safejson, training
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
    """One exercise: a mistake in one language (none for a fill-in skeleton), the
    fixtures it is checked on (the first is the one the question describes), the
    question, the answer, and what conform's diagnosis says about it."""

    number: int
    mistake: str  # a key of MISTAKES, or "" for a fill-in skeleton
    language: str
    fixtures: tuple
    question: str
    answer: str
    diagnosis: str = ""  # a part of conform's diagnosis without a trace (the inferred one)
    errata: str = ""
    hints: tuple = ()  # for a fill-in skeleton; a mistake's hints come from conform

    @property
    def fill_in(self) -> bool:
        return not self.mistake

    @property
    def variant(self) -> str:
        return skeletons.VARIANT if self.fill_in else MISTAKES[self.mistake].variant

    @property
    def file_name(self) -> str:
        """The file a learner copies, relative to docs/exercises/."""
        if self.fill_in:
            return f"../skeletons/{skeletons.VARIANT}{skeletons.EXTENSIONS[self.language]}"
        return f"exercise-{self.number:02d}{EXTENSIONS[self.language]}"

    @property
    def path(self) -> str:
        """The file a learner copies, relative to the checkout."""
        if self.fill_in:
            return f"{skeletons.DIRECTORY}/{skeletons.VARIANT}{skeletons.EXTENSIONS[self.language]}"
        return f"{DIRECTORY}/{self.file_name}"

    @property
    def fixture(self) -> str:
        """The fixture the question describes."""
        return self.fixtures[0]

    @property
    def step(self) -> tuple:
        return MISTAKES[self.mistake].step

    @property
    def summary(self) -> str:
        """The question's first sentence."""
        for end, mark in enumerate(self.question):
            if mark in ".?" and (end + 1 == len(self.question) or self.question[end + 1] == " "):
                return self.question[:end + 1]
        return self.question


ARTICLE = ("article", "xor")  # lr 0.1 and 0.5; 3 samples of 4 features and 4 of 2; 3 hidden units and 4
LAYERED = ("layered-xor", "layered-xor-3")  # lr 0.1 and 0.3; 4 samples and 3
DERIVED_FIXTURES = {"layered-xor-3": ("layered-xor", 3, 0.3)}
"""Fixtures made for the exercises: name -> (packaged fixture, samples kept, learning rate)."""

EXERCISES = (
    Exercise(1, "lr-twice", "python", ARTICLE,
             "This port agrees after 0 epochs and fails after 1, with every parameter off in the same "
             "proportion. Which step is wrong, and by what factor does it shrink every update?",
             "Step 7 multiplies the output delta by the learning rate, and the update (Steps 10 and 11) "
             "multiplies by it again: `d_output` and, through Step 8, `d_hiddenlayer` carry η, so every step "
             "is η² times the gradient, 0.01 instead of 0.1 on the article fixture. The article's text does "
             "exactly this (its Step 7 reads δ = E·σ'·η). Fix: `d_output = E * slope_output_layer`.",
             "the learning rate is applied twice", "A7"),
    Exercise(2, "rowsums-bias", "r", ARTICLE,
             "Only the biases are wrong after one epoch; the weights agree to the last digit. "
             "What does the bias update sum, and over which axis should it sum?",
             "`rowSums(d_hiddenlayer)` sums each *sample's* deltas over the hidden units (one number per "
             "sample); the gradient of a unit's bias sums that unit's deltas over the *samples*: "
             "`colSums`. It runs at all only because the article fixture has as many samples as hidden "
             "units (3). The article's published R code updates its biases with `rowSums`. "
             "Fix: `t(colSums(d_hiddenlayer))`.",
             "the bias gradient is summed over the wrong axis", "A16"),
    Exercise(3, "sigmoid-misprint", "python", ("xor", "article"),
             "The initial parameters come back right, but even the untrained network's output differs. "
             "Which function is wrong?",
             "The sigmoid is the text's misprint 1 / (x(1 − e⁻ˣ)), not σ(x) = 1 / (1 + e⁻ˣ): every forward "
             "pass is wrong from the start (σ(1) would be 1.58, not a probability). "
             "Fix: `return 1 / (1 + np.exp(-x))`.",
             "the forward pass differs", "A1"),
    Exercise(4, "transposed-init", "r", ("xor", "article"),
             "With 0 epochs this port should write back the initial weights unchanged. It does not. Why?",
             "`matrix(unlist(rows), nrow = length(rows))` fills the matrix column by column, but JSON lists a "
             "matrix row by row: `wh` (2×4) comes out scrambled (a square one would come out transposed). "
             "Fix: `byrow = TRUE`, as `read_matrix` does.",
             "the initial weights were read transposed"),
    Exercise(5, "preactivation-slope", "python", ("xor", "article"),
             "After one epoch the hidden weights and biases are wrong, the output layer's are right. "
             "Which quantity sent back to the hidden layer is wrong?",
             "The hidden slope is taken of the pre-activation `hidden_layer_input`. "
             "`derivatives_sigmoid(a) = a(1 − a)` is σ'(z) only when given the activation a = σ(z). "
             "Fix: `derivatives_sigmoid(hiddenlayer_activations)`.",
             "the slope was taken of the pre-activation X·wh + bh"),
    Exercise(6, "stale-wout", "r", ("xor", "article"),
             "After one epoch the output layer is right and the hidden layer is not. Nothing in the "
             "formulas looks wrong. What is wrong with the order?",
             "`wout` is updated before the error is sent back through it (Step 8), so the hidden layer's "
             "gradient uses the new `wout`. Every gradient of an epoch must use the parameters from its "
             "start. Fix: compute `error_at_hidden_layer` with `params$wout` and update `wout` in Step 10.",
             "wout was updated before the error was sent back through it"),
    Exercise(7, "missing-1/m", "r", LAYERED,
             "This Layer-class port steps in the right direction but too far: after one epoch every "
             "parameter has moved 4 times as far as it should. What is missing, and why 4?",
             "`dW` and `db` are sums over the m = 4 samples; the Layer-class text averages them: "
             "`dW <- 1 / m * (dZ %*% t(A_prev))`, `db <- 1 / m * rowSums(dZ)`.",
             "the gradients are summed over the samples, not averaged"),
    Exercise(8, "fifteen-digits", "r", ("xor", "article"),
             "This port trains correctly (every number is within 1e-15 of the reference), yet conform "
             "fails it after 0 epochs. What does it lose, and where?",
             "`as.character` writes 15 significant digits; a double needs 17 to read back as the same "
             "number, so even the initial weights do not come back bit for bit. "
             "Fix: `sprintf(\"%.17g\", x)`.",
             "init rounded to 15 significant digits"),
    Exercise(9, "biases-never-updated", "r", ("xor", "article"),
             "Only the biases are wrong after one epoch. Are they wrong, or just not there?",
             "The bias updates are computed and thrown away: `bout + …` on a line of its own changes "
             "nothing, so the biases stay at their initial values. Fix: `bout <- params$bout + "
             "descent_bout * lr` (and the same for `bh`).",
             "the biases are never updated"),
    Exercise(10, "tanh-slope", "python", LAYERED,
             "After one epoch the last layer is right and the tanh layer is wrong. Which formula is "
             "applied to the wrong quantity?",
             "tanh'(z) = 1 − tanh²(z) = 1 − a² with a = tanh(z). The port writes `1 - z ** 2`, the "
             "activation formula applied to the pre-activation. Fix: `lambda z: 1 - np.tanh(z) ** 2`.",
             "slope formula was applied to the pre-activation Z"),
    Exercise(11, "uphill", "python", ("xor", "article"),
             "After one epoch every parameter has moved exactly as far as it should, in the wrong "
             "direction. Which sign is wrong?",
             "`E = output - y` is ∂E/∂output, but the article's update *adds* `lr · Hᵀ·δ`: it expects "
             "E = y − output, minus the derivative. Fix: `E = y - output`.",
             "the step goes uphill"),
    *(Exercise(number, "", language, ("xor", "article"),
               f"Fill in Steps 6 to 9 of the article network in {name}: the slopes, the output delta, the error "
               "sent back to the hidden layer and the hidden delta. Every other step is written; each TODO names "
               "the value it must compute.",
               f"The twin's own code for Steps 6 to 9, in {twin} (`twinnet side-by-side article` shows it beside "
               "the maths): the slopes are σ′ of the activations, a(1 − a); the output delta is the error times "
               "the output slope; the error at the hidden layer is the output delta sent back through wout; the "
               "hidden delta is that error times the hidden slope.",
               hints=("Steps 6 to 9 are the backward pass. `twinnet side-by-side article` shows each step's maths "
                      "beside both languages' code, and `twinnet trace xor --lang both --step 7` the values a step "
                      "must produce on the first epoch.",
                      "derivatives_sigmoid takes an activation a = σ(z), not z. The delta of a layer is its error "
                      f"times its slope, elementwise; the error at the hidden layer is {send}."))
      for number, language, name, twin, send in (
          (12, "python", "Python", "python/twinnet/article.py", "`d_output @ wout.T` (n×1 times 1×h)"),
          (13, "r", "R", "r/R/article.R", "`d_output %*% t(wout)` (n×1 times 1×h)"))),
)


@dataclass(frozen=True)
class WhatIf:
    """A what-if exercise: change one thing of a fixture's network, predict what training then does,
    and run it (``--run``: the Python twin trains the fixture as given and as changed)."""

    number: int
    fixture: str
    change: str  # what is changed, in words
    question: str
    answer: str
    hints: tuple

    @property
    def summary(self) -> str:
        """The question's what-if sentence."""
        start = self.question.index("What if")
        return self.question[start:self.question.index("?", start) + 1]


def _tenth_lr(fixture: dict) -> dict:
    return {**fixture, "hyper": {**fixture["hyper"], "lr": fixture["hyper"]["lr"] / 10}}


def _two_hidden(fixture: dict) -> dict:
    """The first two hidden units of the given initialisation (the article's shapes: wh d×h, bh 1×h, wout h×1)."""
    init = fixture["init"]
    return {**fixture, "hyper": {**fixture["hyper"], "hidden": 2},
            "init": {"wh": init["wh"][:, :2], "bh": init["bh"][:, :2], "wout": init["wout"][:2], "bout": init["bout"]}}


def _zero_init(fixture: dict) -> dict:
    return {**fixture, "init": {name: value * 0.0 for name, value in fixture["init"].items()}}


CHANGES = {14: _tenth_lr, 15: _two_hidden, 16: _zero_init}

WHAT_IFS = (
    WhatIf(14, "xor", "the learning rate 10 times smaller",
           "The xor fixture's network (4 hidden units) learns XOR in 3000 epochs at lr = 0.5. What if the "
           "learning rate were 10 times smaller? Predict the final loss (about the same, 10 times larger, or "
           "something else) and whether the outputs still round to y; then run it.",
           "Each update is lr times the gradient, so at lr = 0.05 the 3000 epochs travel about as far as 300 "
           "epochs at 0.5: the network is still near its start, on the plateau where XOR is not yet learned; the "
           "loss is far more than 10 times larger and the outputs do not round to y yet. The loss is not linear "
           "in the distance travelled.",
           ("Each update is lr times the gradient: how far does a tenth of the learning rate get in 3000 epochs, "
            "compared with the given run after how many epochs?",
            "`twinnet train xor --lang python --epochs 300 --out r.json` shows the given network after 300 "
            "epochs: compare its loss with the given run's at 3000.")),
    WhatIf(15, "xor", "2 hidden units instead of 4",
           "The xor fixture's network has 4 hidden units. What if it had only 2 (the first two of the same "
           "initial weights)? XOR needs at least 2. Predict whether 3000 epochs still learn it; then run it.",
           "Two sigmoid units can separate XOR, but from a given start gradient descent may need far longer or "
           "settle in a poorer solution: fewer units give fewer ways down. Compare the two final losses and "
           "outputs; the capacity is there, the path is harder.",
           ("How many lines does XOR need to separate its two classes, and how many units draw a line each?",
            "With fewer units the loss surface has fewer downhill paths: watch the final loss, not just the "
            "rounded outputs.")),
    WhatIf(16, "xor", "every initial weight and bias set to 0",
           "What if every initial weight and bias of the xor fixture's network were 0 instead of random? "
           "Predict what the 4 hidden units learn, and whether the network learns XOR; then run it.",
           "With every weight 0 the hidden units compute the same value, receive the same delta (wout's entries "
           "are equal too) and get the same update, epoch after epoch: they stay identical, so the network has "
           "in effect one hidden unit, and one unit cannot separate XOR. Random initial weights break the "
           "symmetry.",
           ("Start with all weights 0 and follow one epoch: do the hidden units' values differ? Do their deltas?",
            "If two units start equal and get equal updates, can they ever differ?")),
)


def find_what_if(number: int) -> WhatIf | None:
    return next((item for item in WHAT_IFS if item.number == number), None)


def what_if_run(what_if: WhatIf) -> list:
    """``--run``: the fixture trained by the Python twin as given and as changed; final loss, outputs, and
    whether the hidden units are alike (every column of wh the same)."""
    import numpy as np

    path = resources.data_dir() / f"{what_if.fixture}.json"
    fixture = fixtures.read_fixture(path)
    y = fixture["data"]["y"].ravel()
    lines = [f"What if: {what_if.change} ({what_if.fixture}, {fixture['hyper']['epochs']} epochs, the Python twin; "
             f"y = {' '.join(f'{value:g}' for value in y)})"]
    given = parity.trained(path, "python")  # the packaged fixture's run, as parity and conform have it
    changed = CHANGES[what_if.number](fixture)
    with np.errstate(over="ignore", invalid="ignore"):
        changed_run = training.train_variant(changed["variant"], changed["data"]["X"], changed["data"]["y"],
                                             changed["init"], changed["hyper"], int(changed["hyper"]["epochs"]))
    for label, version, (params, loss, output) in (
            ("as given", fixture, (given["params"], given["loss"], given["output"])),
            ("changed", changed, changed_run)):
        hyper = version["hyper"]
        alike = bool(np.all(params["wh"] == params["wh"][:, :1]))
        lines.append(f"  {label:<8}  lr = {hyper['lr']:g}, {hyper['hidden']} hidden units: final loss "
                     f"{loss[-1]:.4g}, outputs {' '.join(f'{value:.2f}' for value in output.ravel())}"
                     + (", the hidden units all alike" if alike else ""))
    return [*lines, "", f"Why (twinnet exercise {what_if.number} --answer): compare with your prediction first."]


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
    """The exercise's port with its mistake undone: the template (or the skeleton solved)."""
    if exercise.fill_in:
        return skeletons.skeleton(exercise.language, solved=True)
    return template(MISTAKES[exercise.mistake].variant, exercise.language)


def find(number: int) -> Exercise:
    for exercise in EXERCISES:
        if exercise.number == number:
            return exercise
    raise ValueError(f"no exercise {number}: there are {len(EXERCISES)} (docs/exercises/README.md)")


def conform_error(message: str) -> Exception:
    return safejson.FixtureError("E_IO", message)


def port_command(path: Path) -> list:
    """How to run a port file: Python with this interpreter, R with Rscript."""
    if path.suffix == ".py":
        return [sys.executable, str(path)]
    if path.suffix in (".R", ".r"):
        return ["Rscript", str(path)]
    raise conform_error(f"{path}: a port is a .py or .R file")


def fixture_path(name: str, directory: Path) -> Path:
    """A packaged fixture, or one of DERIVED_FIXTURES written into ``directory`` with its
    ``expected`` computed by the Python twin."""
    if name not in DERIVED_FIXTURES:
        return resources.data_dir() / f"{name}.json"
    source, samples, lr = DERIVED_FIXTURES[name]
    document = json.loads((resources.data_dir() / f"{source}.json").read_text(encoding="utf-8"))
    document.update(name=name, description=f"The {source} fixture with its first {samples} samples and "
                                            f"lr = {lr:g}: made by twinnet exercise.")
    document["data"] = {key: rows[:samples] for key, rows in document["data"].items()}
    document["hyper"]["lr"] = lr
    document.pop("expected", None)
    path, draft = directory / "fixtures" / f"{name}.json", directory / "fixtures" / f"{name}.draft.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    results.write_result(document, draft)  # without expected, which the twin then computes
    reference = training.train_fixture(draft)
    draft.unlink()
    results.write_result({**document, "expected": {key: reference[key] for key in ("params", "loss", "output")}},
                         path)
    return path


def check(exercise: Exercise, port: Path, work_dir: Path | None = None, fixture: str | None = None) \
        -> verdicts.Verdict:
    """conform's verdict on ``port`` (the exercise, or a learner's copy) on one of the exercise's fixtures
    (the first unless named)."""
    return check_all(exercise, port, work_dir, (fixture or exercise.fixture,))[0]


def check_all(exercise: Exercise, port: Path, work_dir: Path | None = None, names: tuple | None = None) -> list:
    """conform's verdict on ``port`` on every fixture of the exercise, in order."""
    command = command_port(port_command(Path(port)))
    found = []
    with conform.work_directory(work_dir) as directory:
        for name in names or exercise.fixtures:
            found.append(conform.run_port_on_fixture(fixture_path(name, directory), command, directory / name))
    return found


# --- the documents ------------------------------------------------------------

def sheet() -> str:
    lines = ["# Exercises", "",
             "Exercises 1 to 11 are ports of one of twinnet's networks (docs/porting.md), each with **one** "
             "mistake in it: read the question, find the line, fix it in a copy, and check your copy. "
             "Exercises 12 and 13 are the article twin with Steps 6 to 9 left to fill in "
             "([docs/skeletons/](../skeletons/)). Every copy is checked on at least two fixtures that differ in "
             "learning rate, shapes and sample count: a fix must be right, not just make one fixture pass.", "",
             "```sh", "python -m twinnet exercise                            # the list",
             "python -m twinnet exercise 1                          # exercise 1's question",
             "cp docs/exercises/exercise-01.py mine.py               # fix mine.py, then",
             "python -m twinnet exercise 1 --check mine.py          # pass on every fixture when it is fixed",
             "python -m twinnet exercise 1 --hint                   # stuck? the step; --hint 2: the checker's "
             "diagnosis", "```", "",
             "The ports write a trace of their first epoch (every named quantity, by step) when "
             "`TWINNET_TRACE` is set, and the checker, which sets it, then names the first step whose value "
             "differs from the reference. Python ports need numpy; R ports need jsonlite. The answers are in "
             "[answers.md](answers.md); try first.", "",
             "| # | file | network | fixtures |", "|---|---|---|---|"]
    for exercise in EXERCISES:
        names = ", ".join(f"`{name}`" for name in exercise.fixtures)
        kind = f"{exercise.variant} (fill in)" if exercise.fill_in else exercise.variant
        lines.append(f"| {exercise.number} | [{exercise.file_name}]({exercise.file_name}) | {kind} | {names} |")
    lines.append("")
    for exercise in EXERCISES:
        lines += [f"## Exercise {exercise.number}: `{exercise.file_name}`", "", exercise.question, ""]
    lines += ["## What if", "", "Exercises 14 to 16 change one thing of a network: predict what training does, "
              "then run it (`twinnet exercise N --run` trains it as given and as changed).", ""]
    for what_if in WHAT_IFS:
        lines += [f"### Exercise {what_if.number}: {what_if.change}", "", what_if.question, ""]
    lines += ["These files are written by `make exercises` (python/twinnet/ports/exercises.py) from the correct "
              "ports in python/twinnet/ports/templates/ and the twins; do not edit them here. The fixture "
              "`layered-xor-3` is `layered-xor` with its first 3 samples and lr = 0.3, made by the checker.", ""]
    return "\n".join(lines)


def answers() -> str:
    lines = ["# Answers", "", "Try first: `twinnet exercise N --hint` names the step, `--hint 2` gives the "
             "checker's diagnosis. Each answer is folded; the fixed file is the correct port in "
             "python/twinnet/ports/templates/ (for 12 and 13, the twin).", ""]
    for exercise in EXERCISES:
        lines += [f"## Exercise {exercise.number}", "", "<details><summary>The answer</summary>", ""]
        if exercise.fill_in:
            lines += [exercise.answer, "", "</details>", ""]
            continue
        mistake = MISTAKES[exercise.mistake]
        step, title = mistake.step
        errata = (f" The text's own mistake: [{exercise.errata}](../errata.md)." if exercise.errata else "")
        lines += [f"**{mistake.name[0].upper()}{mistake.name[1:]}.** {exercise.answer}{errata}", "",
                  f"conform names the step from the trace: **Step {step}, {title}**. Without a trace it "
                  f"infers: “…{exercise.diagnosis}…”.", ""]
        lines += ["```diff"] + [f"-{line}" for old, new in mistake.edits[exercise.language]
                                for line in new.splitlines() or [""]]
        lines += [f"+{line}" for old, new in mistake.edits[exercise.language] for line in old.splitlines()]
        lines += ["```", "", "</details>", ""]
    for what_if in WHAT_IFS:
        lines += [f"## Exercise {what_if.number}", "", "<details><summary>The answer</summary>", "",
                  what_if.answer, "", "</details>", ""]
    return "\n".join(lines)


def all_files() -> dict:
    """Every generated file of docs/exercises/, by name."""
    files = {exercise.file_name: broken_source(exercise.mistake, exercise.language)
             for exercise in EXERCISES if not exercise.fill_in}
    files["README.md"] = sheet()
    files["answers.md"] = answers()
    return files


def stale(root: Path) -> list:
    """The generated files that differ from a fresh generation."""
    return [name for name, text in all_files().items()
            if not (root / DIRECTORY / name).is_file()
            or (root / DIRECTORY / name).read_text(encoding="utf-8") != text]


def generate(root: Path) -> list:
    directory = root / DIRECTORY
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in all_files().items():
        results.write_atomic(directory / name, text)
        written.append(directory / name)
    return written


# --- twinnet exercise -----------------------------------------------------------

def listing() -> list:
    """``twinnet exercise``: one line per exercise, its question's first sentence."""
    rows = [(str(exercise.number), Path(exercise.path).name, exercise.variant + (" (fill in)" * exercise.fill_in),
             exercise.summary) for exercise in EXERCISES]
    rows += [(str(what_if.number), "", "article (what if)", what_if.summary) for what_if in WHAT_IFS]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = [f"{number:>{widths[0]}}  {name:<{widths[1]}}  {variant:<{widths[2]}}  {summary}"
             for number, name, variant, summary in rows]
    return [*lines, "twinnet exercise N asks exercise N's question (docs/exercises/README.md has them all)."]


def ask(exercise: Exercise, root: Path) -> list:
    """``twinnet exercise N``: the question and what to do; nothing of the cause."""
    language = {"python": "Python", "r": "R"}[exercise.language]
    kind = "fill in" if exercise.fill_in else "find the mistake"
    return [f"Exercise {exercise.number} ({kind}; the {exercise.variant} network in {language}): "
            f"{root / exercise.path}", "", exercise.question, "",
            f"Your copy is checked on the fixtures {' and '.join(exercise.fixtures)}.",
            f"Copy the file, edit your copy, and check it: twinnet exercise {exercise.number} --check YOUR_COPY",
            f"Stuck? twinnet exercise {exercise.number} --hint (then --hint 2; --answer gives it away)."]


def hint(exercise: Exercise, level: int, root: Path) -> list:
    """Hint 1 names the step; hint 2 is the checker's diagnosis of the exercise (a run of conform)."""
    if exercise.fill_in:
        return [f"Hint {level}: {exercise.hints[level - 1]}"]
    if level == 1:
        step, title = exercise.step
        return [f"Hint 1: look at Step {step}, {title}: it is the first step whose value differs from the "
                "reference's (on the side-by-side page, and in twinnet trace).",
                f"twinnet exercise {exercise.number} --hint 2 runs the checker on the exercise."]
    verdict = check(exercise, root / exercise.path)
    return [f"Hint 2, what the checker says of {exercise.path}:", verdict.line()]


def check_lines(exercise: Exercise, port: Path) -> tuple:
    """``--check FILE``: one line per fixture, then the verdict; and whether it passed everywhere."""
    verdicts = check_all(exercise, port)
    lines = [verdict.line() for verdict in verdicts]
    failed = [verdict.name for verdict in verdicts if not verdict.ok]
    if not failed:
        return [*lines, f"Exercise {exercise.number}: {port} passes on {' and '.join(exercise.fixtures)}. "
                        "Well done."], True
    passed = [verdict.name for verdict in verdicts if verdict.ok]
    also = (f" It passes on {' and '.join(passed)}: a fix must be right on every fixture, not just one."
            if passed else "")
    return [*lines, f"Exercise {exercise.number}: {port} does not pass yet on {' and '.join(failed)}.{also}"], False


def run(number: int | None = None, port: Path | None = None, hint_level: int | None = None,
        answer: bool = False, run_it: bool = False) -> int:
    """``twinnet exercise [N] [--check FILE | --hint [2] | --answer | --run]``: 0 unless a check fails."""
    if number is None:
        print("\n".join(listing()))
        return 0
    what_if = find_what_if(number)
    if what_if is not None:
        return run_what_if(what_if, port, hint_level, answer, run_it)
    if run_it:
        return usage_error(f"--run: exercise {number} is not a what-if (14 to 16); check your copy with --check FILE")
    exercise = find(number)
    root = resources.checkout("exercise (the exercises live in docs/exercises/)")
    if port is not None:
        if not Path(port).is_file():
            raise conform_error(f"{port}: no such file")
        lines, ok = check_lines(exercise, Path(port))
        print("\n".join(lines))
        return 0 if ok else 1
    if answer:
        print(f"Exercise {number}, the answer (docs/exercises/answers.md):\n")
        print(exercise.answer)
        return 0
    print("\n".join(hint(exercise, hint_level, root) if hint_level else ask(exercise, root)))
    return 0


def usage_error(message: str) -> int:
    """A usage error as the command line words it: one line, exit status 2."""
    print(f"twinnet: E_USAGE: {message} (twinnet exercise --help)", file=sys.stderr)
    return 2


def run_what_if(what_if: WhatIf, port: Path | None, hint_level: int | None, answer: bool, run_it: bool) -> int:
    if port is not None:
        return usage_error(f"--check: exercise {what_if.number} is a what-if, with nothing to check: predict, "
                           "then --run")
    if run_it:
        print("\n".join(what_if_run(what_if)))
    elif answer:
        print(f"Exercise {what_if.number}, the answer (docs/exercises/answers.md):\n\n{what_if.answer}")
    elif hint_level:
        print(f"Hint {hint_level}: {what_if.hints[hint_level - 1]}")
    else:
        print("\n".join([f"Exercise {what_if.number} (what if; the article network): {what_if.change}", "",
                         what_if.question, "", f"Predict first, then: twinnet exercise {what_if.number} --run",
                         f"Stuck? twinnet exercise {what_if.number} --hint (then --hint 2; --answer explains)."]))
    return 0


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

