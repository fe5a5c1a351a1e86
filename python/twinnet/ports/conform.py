"""Conformance: check a port in any language against the Python twin, and say
which step is wrong.

A port is any command called as ``COMMAND... FIXTURE RESULT``: it reads a
``twinnet-fixture/1`` file, trains for ``hyper.epochs`` and writes a
``twinnet-result/1`` file (see ``docs/porting.md``).  For every fixture the port
runs on derived copies with ``hyper.epochs`` set to 0, 1 and 2, then on the
fixture itself.  Each result is compared with the Python twin's result for the
same fixture, computed in process: after 0 epochs the parameters must be
``init`` bit for bit (only reading and writing numbers touched them); every
other number must agree within ``parity.TOLERANCE``.  A fixture stops at its
first run that disagrees, and the pattern of what disagrees there first points
to the usual porting mistake (:func:`diagnose`).
"""

from __future__ import annotations

import contextlib
import functools
import glob
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import fixtures, parity, resources, results
from . import steptrace

DERIVED_EPOCHS = (0, 1, 2)
TRACED_EPOCHS = steptrace.TRACED_EPOCH
"""The run on which the port is asked for its trace (TWINNET_TRACE): its first epoch."""
TIMEOUT = 600
"""Seconds one run of the port may take."""
REPORT_SCHEMA = "twinnet-conform/1"
OUTPUT_TAIL = 8000
"""Characters of a port run's stdout and of its stderr kept (the last ones), in
the report and next to its result under the work directory."""
ERROR_LINE = re.compile(r"^(?:[\w.$]*(?:Error|Exception)\b|error\b|fatal\b|panic\b|Error in\b|thread '.*' panicked)"
                        r"|\bE_[A-Z]+: ", re.IGNORECASE)
"""A line of stderr that looks like the port's own error: ``Error: boom`` (Node.js),
``ValueError: x`` (Python), ``Error in f(): x`` (R), ``panic: x`` (Go), a twinnet code."""
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


# A port: called with a fixture path and a result path, returns None or one line saying why it failed.
Port = Callable[[Path, Path], str | None]


class ResultError(ValueError):
    """A port's result that cannot be compared; the message says why, in one line."""


@dataclass
class Divergence:
    """The first element of one quantity that is out of tolerance in one run."""

    epoch: int
    quantity: str
    index: tuple[int, ...]
    port: float
    reference: float

    def __str__(self) -> str:
        index = ", ".join(map(str, self.index))
        return f"epoch {self.epoch}, {self.quantity}[{index}]: port={self.port!r}, reference={self.reference!r}"

    def as_json(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "quantity": self.quantity, "index": list(self.index),
                "port": self.port, "reference": self.reference}


@dataclass
class Run:
    """One run of the port on one fixture file: a derived copy (``label``
    ``epochs-0``, ``epochs-1``, ``epochs-2``) or the fixture itself (``full``)."""

    label: str
    epochs: int
    fixture: Path
    reference: dict[str, Any]
    port: dict[str, Any] | None = None
    error: str | None = None
    divergences: list[Divergence] = field(default_factory=list)
    stdout: str | None = None
    stderr: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.divergences

    @property
    def status(self) -> str:
        return "error" if self.error else "fail" if self.divergences else "pass"

    @property
    def stage(self) -> str:
        """The run in words, for messages."""
        return f"full run ({self.epochs} epochs)" if self.label == "full" else f"run with {self.epochs} epochs"

    @property
    def result(self) -> dict[str, Any]:
        """The port's result, for the runs that have one (all that the diagnosis looks at)."""
        if self.port is None:
            raise ValueError(f"{self.label}: the port gave no result")
        return self.port

    def differing(self) -> set[str]:
        """The names of the quantities out of tolerance."""
        return {divergence.quantity for divergence in self.divergences}

    def as_json(self) -> dict[str, Any]:
        max_abs = None if self.port is None else {
            name: float(np.max(np.abs(parity.quantities(self.port)[name] - reference), initial=0.0))
            for name, reference in parity.quantities(self.reference).items()}
        return {"label": self.label, "epochs": self.epochs, "fixture": str(self.fixture), "status": self.status,
                "error": self.error, "max_abs": max_abs,
                "divergences": [divergence.as_json() for divergence in self.divergences],
                "stdout": self.stdout, "stderr": self.stderr}


@dataclass
class Verdict:
    """Everything conform found out about one fixture."""

    fixture: dict[str, Any]
    path: Path
    runs: list[Run]
    diagnosis: str | None = None
    step: steptrace.StepDivergence | None = None

    @property
    def ok(self) -> bool:
        return all(run.ok for run in self.runs)

    @property
    def name(self) -> str:
        return self.fixture["name"]

    def line(self) -> str:
        """The fixture's one line: pass, or the first divergence and the diagnosis."""
        if self.ok:
            epochs = ", ".join(str(run.epochs) for run in self.runs)
            return f"pass  {self.name}: after {epochs} epochs within {parity.TOLERANCE:g}"
        run = self.runs[-1]
        if run.error:
            return f"FAIL  {self.name}: {run.stage}: {run.error}"
        return f"FAIL  {self.name}: {run.divergences[0]} -- {self.diagnosis}"

    def as_json(self) -> dict[str, Any]:
        failed = None if self.ok else self.runs[-1]
        return {
            "fixture": self.name,
            "path": str(self.path),
            "variant": self.fixture["variant"],
            "status": "pass" if self.ok else "fail",
            "line": self.line(),
            "first_divergence": failed.divergences[0].as_json() if failed and failed.divergences else None,
            "error": failed.error if failed else None,
            "diagnosis": self.diagnosis,
            "first_step": self.step.as_json() if self.step else None,
            "runs": [run.as_json() for run in self.runs],
        }


# --- running the port ---------------------------------------------------------

# The ports' processes running now, so that a signal to conform can stop them.
_RUNNING: set[subprocess.Popen[str]] = set()
_RUNNING_LOCK = threading.Lock()
_STOPPING = threading.Event()


class Interrupted(Exception):
    """SIGINT or SIGTERM reached conform: the ports are stopped, the run ends."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@dataclass
class CommandPort:
    """A port from a command line: ``port(fixture, result, trace=None)`` calls
    ``COMMAND... FIXTURE RESULT`` (with ``TWINNET_TRACE=trace`` in its environment
    when a trace path is given) and returns None, or one line saying why it failed.

    The port runs in a session of its own, so that a timeout or a signal to
    conform stops its whole process group; what it writes to stdout and stderr
    is kept (the last OUTPUT_TAIL characters) next to ``result``, as
    ``RESULT.stdout`` and ``RESULT.stderr``."""

    command: Sequence[str]
    timeout: float = TIMEOUT

    def __call__(self, fixture: Path, result: Path, trace: Path | None = None) -> str | None:
        command, timeout = self.command, self.timeout
        environment = None if trace is None else {**os.environ, steptrace.ENVIRONMENT: str(trace)}
        with _RUNNING_LOCK:
            if _STOPPING.is_set():
                return "conform was interrupted"
            try:
                process = subprocess.Popen([*command, str(fixture), str(result)], stdin=subprocess.DEVNULL,
                                           env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                           text=True, errors="replace", start_new_session=True)
            except OSError as error:
                return f"cannot run {command[0]!r}: {error.strerror}"
            _RUNNING.add(process)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
            failure = None if process.returncode == 0 else _exit_words(process.returncode) + _stderr_line(stderr)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            stdout, stderr = process.communicate()
            failure = f"the port did not finish within {timeout:g} s"
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(process)
        _keep_output(result, stdout, stderr)
        return failure


def command_port(command: Sequence[str], timeout: float = TIMEOUT) -> CommandPort:
    """The port ``COMMAND... FIXTURE RESULT``, which can be asked for its trace (see :class:`CommandPort`)."""
    return CommandPort(command, timeout)


def _exit_words(status: int) -> str:
    if status < 0:
        return f"the port was killed by signal {-status}"
    return f"the port exited with status {status}"


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL to the port's process group: the port and whatever it started."""
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)


def _tail(text: str) -> str:
    return text if len(text) <= OUTPUT_TAIL else "..." + text[-OUTPUT_TAIL:]


def _keep_output(result: Path, stdout: str, stderr: str) -> None:
    result = Path(result)
    with contextlib.suppress(OSError):
        result.parent.mkdir(parents=True, exist_ok=True)
        Path(f"{result}.stdout").write_text(_tail(stdout or ""), encoding="utf-8")
        Path(f"{result}.stderr").write_text(_tail(stderr or ""), encoding="utf-8")


def _read_output(result: Path) -> tuple[str | None, str | None]:
    """The port run's kept (stdout, stderr), or (None, None) for a port that is a function."""
    def read(path: str) -> str | None:
        with contextlib.suppress(OSError):
            return Path(path).read_text(encoding="utf-8", errors="replace")
        return None
    return read(f"{result}.stdout"), read(f"{result}.stderr")


def _stderr_line(stderr: str) -> str:
    """': ' and the port's own error line from its stderr: the first line that
    looks like an error (ERROR_LINE), else the last line (R's closing 'Execution
    halted' is skipped); '' when it wrote nothing. Shown escaped, at most 300
    characters: the FAIL line stays one line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and line.strip() != "Execution halted"]
    if not lines:
        return ""
    line = next((line for line in lines if ERROR_LINE.search(line)), lines[-1])
    line = fixtures.escape(line)
    return f": {line[:300] + '...' if len(line) > 300 else line}"


def derive(path: str | Path, epochs: int, directory: str | Path) -> Path:
    """A copy of the fixture at ``path`` that trains for ``epochs`` epochs, with
    ``expected`` recomputed by the Python twin; returns the copy's path."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    reference = fixtures.train_fixture(path, epochs)
    document["hyper"]["epochs"] = epochs
    document["description"] = (f"{document.get('description', '')} Derived by twinnet conform from "
                               f"{Path(path).name}: hyper.epochs set to {epochs}, expected recomputed.").strip()
    document["expected"] = {key: reference[key] for key in ("params", "loss", "output")}
    copy = Path(directory) / f"epochs-{epochs}" / Path(path).name
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(results.dumps(document), encoding="utf-8")
    return copy


def run_port(port: Port, label: str, fixture_path: Path, result_path: Path, trace_path: Path | None = None) -> Run:
    """Run the port on one fixture file and compare its result with the Python twin's;
    with ``trace_path``, ask the port for its trace there."""
    reference = fixtures.train_fixture(fixture_path)
    run = Run(label, len(reference["loss"]), Path(fixture_path), reference)
    result_path.parent.mkdir(parents=True, exist_ok=True)
    result_path.unlink(missing_ok=True)
    if trace_path is None or not isinstance(port, CommandPort):  # an in-process port writes no trace
        run.error = port(fixture_path, result_path)
    else:
        trace_path.parent.mkdir(parents=True, exist_ok=True)
        trace_path.unlink(missing_ok=True)
        run.error = port(fixture_path, result_path, trace_path)
    run.stdout, run.stderr = _read_output(result_path)
    if run.error is None:
        try:
            run.port = read_result(result_path, reference)
        except ResultError as error:
            run.error = str(error)
    if run.port is not None:
        run.divergences = divergences(run.port, reference, exact_params=run.epochs == 0)
    return run


def run_port_on_fixture(path: str | Path, port: Port, directory: str | Path) -> Verdict:
    """Run the port on the fixture's derived copies (0, 1, 2 epochs), then on the
    fixture itself; stop at the first run that disagrees, and diagnose it."""
    fixture = fixtures.read_fixture(path)
    runs = []
    trace_path = Path(directory) / "traces" / Path(path).name
    for epochs in (*DERIVED_EPOCHS, None):
        label = "full" if epochs is None else f"epochs-{epochs}"
        fixture_path = Path(path) if epochs is None else derive(path, epochs, directory)
        runs.append(run_port(port, label, fixture_path, Path(directory) / "results" / label / Path(path).name,
                             trace_path if epochs == TRACED_EPOCHS else None))
        if not runs[-1].ok:
            break
    verdict = Verdict(fixture, Path(path), runs)
    if not verdict.ok:
        verdict.diagnosis = diagnose(fixture, runs[-1])
        if runs[-1].error is None:
            if runs[-1].epochs < TRACED_EPOCHS:  # the trace of the first epoch, for the step that differs
                run_port(port, "traced", derive(path, TRACED_EPOCHS, directory),
                         Path(directory) / "results" / "traced" / Path(path).name, trace_path)
            verdict.step = steptrace.traced_step(runs[0].fixture, fixture["variant"], trace_path)
            if verdict.step is not None:
                verdict.diagnosis = f"{verdict.step} is the first traced value that differs; {verdict.diagnosis}"
    return verdict


# --- reading and comparing results --------------------------------------------

def read_result(path: str | Path, reference: dict[str, Any]) -> dict[str, Any]:
    """The port's result as arrays, checked against ``result.schema.json`` and
    against the reference's fixture, names and shapes; raises :class:`ResultError`."""
    if not Path(path).exists():
        raise ResultError("the port wrote no result file")
    try:  # the fixture readers' rules: size cap, UTF-8, JSON without NaN, unique keys
        document = fixtures.load_json(path)
    except fixtures.FixtureError as error:
        detail = error.message.split(": ", 1)[-1]  # without the path
        raise ResultError(f"the result is {detail}" if error.code == "E_JSON"
                          else f"cannot read the result: {detail}") from None
    _check_structure(document, reference)
    params = {name: _array(document["params"][name], f"params.{name}") for name in reference["params"]}
    result = {**document, "params": params,
              "loss": _array(document["loss"], "loss"), "output": _array(document["output"], "output")}
    for name, want in parity.quantities(reference).items():
        where = f"params.{name}" if name in params else name
        _check_shape(parity.quantities(result)[name], np.shape(want), where)
    return result


def _check_structure(document, reference):
    """The result is an object, has the reference's parameter names, follows the
    result schema and names the fixture."""
    if not isinstance(document, dict):
        raise ResultError("the result is not a JSON object")
    params = document.get("params")
    if isinstance(params, dict) and sorted(params) != sorted(reference["params"]):
        raise ResultError(f"params: expected {', '.join(reference['params'])}, got {', '.join(params) or 'none'}")
    error = _schema_error(document)
    if error is not None:
        message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
        raise ResultError(f"the result does not follow result.schema.json at {error.json_path}: {message}")
    if document["fixture"] != reference["fixture"]:
        raise ResultError(f"fixture: expected {reference['fixture']!r}, got {document['fixture']!r}")


def _schema_error(document):
    """The most telling way the document breaks the result schema, or None:
    inside an anyOf, the error of the branch that got furthest."""
    from jsonschema.exceptions import best_match

    error = best_match(result_validator().iter_errors(document))
    while error is not None and error.context:
        error = max(error.context, key=lambda branch: len(branch.absolute_path))
    return error


@functools.cache
def result_validator() -> Any:
    """A JSON Schema validator for ``shared_fixtures/result.schema.json``."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(resources.schema_path("result.schema.json").read_text(encoding="utf-8")))


def _array(value, where):
    try:
        array = np.array(value, dtype=float)
    except ValueError:
        raise ResultError(f"{where}: rows of different lengths") from None
    if not np.all(np.isfinite(array)):
        raise ResultError(f"{where}: expected finite numbers only")
    return array


def _check_shape(array, shape, where):
    if array.shape == shape:
        return
    if len(shape) == 1:
        raise ResultError(f"{where}: expected {shape[0]} numbers, one per epoch, got {array.size}")
    got = "x".join(map(str, array.shape))
    hint = " (transposed)" if array.shape == shape[::-1] else ""
    raise ResultError(f"{where}: expected {shape[0]}x{shape[1]}, got {got}{hint}")


def divergences(port: dict[str, Any], reference: dict[str, Any], exact_params: bool = False) -> list[Divergence]:
    """The first element out of tolerance of every quantity, earliest epoch first.

    With ``exact_params`` (after 0 epochs) the parameters must be equal."""
    found = []
    epochs = len(reference["loss"])
    for name, want in parity.quantities(reference).items():
        got = parity.quantities(port)[name]
        tolerance = 0.0 if exact_params and name in reference["params"] else parity.TOLERANCE
        index = parity.first_out_of_tolerance(got, want, tolerance)
        if index is not None:
            epoch = index[0] if name == "loss" else epochs
            found.append(Divergence(epoch, name, index, float(got[index]), float(want[index])))
    return sorted(found, key=lambda divergence: divergence.epoch)


# --- diagnosis ----------------------------------------------------------------

def diagnose(fixture: dict[str, Any], run: Run) -> str | None:
    """What the pattern of the first failing run points to, in one sentence
    (None when the port gave no result to compare)."""
    if run.error:
        return None
    rules = (precision_loss, reordered_init, untrained_output, step_factor, biases_only,
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
        _, _, output = fixtures.train_variant(fixture["variant"], X, data["y"], init, hyper, 0)
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
    init = fixture["init"]
    port = np.concatenate([(run.result["params"][name] - init[name]).ravel() for name in init])
    reference = np.concatenate([(run.reference["params"][name] - init[name]).ravel() for name in init])
    large = np.abs(reference) > parity.TOLERANCE
    if not large.any():
        return None
    factor = float(np.median(port[large] / reference[large]))
    if not np.allclose(port, factor * reference, rtol=RATIO_TOLERANCE, atol=parity.TOLERANCE):
        return None
    lr, n = fixture["hyper"]["lr"], len(fixture["data"]["X"])
    causes = [(1 / lr, "the learning rate is missing"), (lr, "the learning rate is applied twice"),
              (-1.0, "the step goes uphill: the sign of the gradient or of the update is wrong")]
    if fixture["variant"] == "layered":
        causes.append((n, "the gradients are summed over the samples, not averaged"))
    else:
        causes.append((1 / n, "the gradient of the mean is taken, not of the sum Σ ½(y − output)²"))
    cause = next((text for value, text in causes if np.isclose(factor, value, rtol=RATIO_TOLERANCE)),
                 "the step size is wrong")
    return (f"every parameter is off by the same factor: each step after epoch 1 is {factor:.6g} times "
            f"the reference's: {cause}")


def biases_only(fixture: dict[str, Any], run: Run) -> str | None:
    """After epoch 1 only bias parameters differ."""
    names = differing_params(fixture, run)
    if run.epochs != 1 or not names or not all(_is_bias(fixture["variant"], name) for name in names):
        return None
    port = run.port or {"params": {}}
    unchanged = [name for name in names if np.array_equal(port["params"].get(name), fixture["init"][name])]
    if unchanged == names:
        return (f"only the biases differ after epoch 1 ({', '.join(names)}), and they are still init, bit for "
                "bit: the biases are never updated (the update is computed and not assigned, or not computed)")
    return (f"only the biases differ after epoch 1 ({', '.join(names)}): the bias gradient is summed over "
            f"the wrong axis: {BIAS_AXIS[fixture['variant']]}")


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
    matched = [text for key, text in HIDDEN_MISTAKES.get(fixture["variant"], ())
               if _replay_matches(fixture, run, key)]
    if len(matched) == 1:
        return (f"{start}: {matched[0]} (the reference replayed with this mistake gives the port's numbers "
                "after epoch 1; the other usual causes do not)")
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
"""The hidden-gradient mistakes that :func:`replay_epoch` can replay, with what to say when one matches."""


def _replay_matches(fixture: dict[str, Any], run: Run, mistake: str) -> bool:
    """Whether the reference's first epoch, replayed with ``mistake``, gives the port's parameters."""
    if run.port is None:
        return False
    replayed, params = replay_epoch(fixture, mistake), run.port["params"]
    return all(np.max(np.abs(replayed[name] - params[name])) <= parity.TOLERANCE for name in fixture["init"])


def replay_epoch(fixture: dict[str, Any], mistake: str) -> dict[str, np.ndarray]:
    """The parameters after one epoch of the reference with one mistake made on purpose:
    ``preactivation`` (a hidden slope of the pre-activation) or ``stale`` (the output
    layer's weights updated before the error is sent back through them)."""
    from .. import article, layered

    data, hyper = fixture["data"], fixture["hyper"]
    p = {name: np.array(value, dtype=float) for name, value in fixture["init"].items()}
    X, y, lr, variant = data["X"], data["y"], hyper["lr"], fixture["variant"]
    if variant in ("article", "stepwise"):
        wh, wout = ("wh", "wout") if variant == "article" else ("weights_input_hidden", "weights_hidden_output")
        bh, bout = (p["bh"], p["bout"]) if variant == "article" else (0.0, 0.0)
        Z = X @ p[wh] + bh
        H = article.sigmoid(Z)
        output = article.sigmoid(H @ p[wout] + bout)
        d_out = (y - output) * output * (1 - output)
        new = {wout: p[wout] + lr * (H.T @ d_out)}
        through = new[wout] if mistake == "stale" else p[wout]
        slope = Z * (1 - Z) if mistake == "preactivation" else H * (1 - H)
        d_hid = d_out @ through.T * slope
        new[wh] = p[wh] + lr * (X.T @ d_hid)
        if variant == "article":
            new["bout"] = p["bout"] + lr * d_out.sum(axis=0, keepdims=True)
            new["bh"] = p["bh"] + lr * d_hid.sum(axis=0, keepdims=True)
        return new
    activations = hyper["activations"]
    A, Zs, As = X.T, [], [X.T]
    for k, name in enumerate(activations, start=1):
        Zs.append(p[f"W{k}"] @ A + p[f"b{k}"])
        A = layered.ACTIVATION_FUNCTIONS[name][0](Zs[-1])
        As.append(A)
    m = X.shape[0]
    a = np.clip(A, layered.LOG_LOSS_EPSILON, 1 - layered.LOG_LOSS_EPSILON)
    dA = (a - y.T) / (a * (1 - a))
    new = {}
    for k in range(len(activations), 0, -1):
        Z = Zs[k - 1]
        if mistake == "preactivation" and k < len(activations):
            slope = 1 - Z ** 2 if activations[k - 1] == "tanh" else Z * (1 - Z)
        else:
            slope = layered.ACTIVATION_FUNCTIONS[activations[k - 1]][1](Z)
        dZ = slope * dA
        new[f"W{k}"] = p[f"W{k}"] - lr * (dZ @ As[k - 1].T) / m
        new[f"b{k}"] = p[f"b{k}"] - lr * dZ.sum(axis=1, keepdims=True) / m
        dA = (new[f"W{k}"] if mistake == "stale" else p[f"W{k}"]).T @ dZ
    return new


def stale_output(fixture: dict[str, Any], run: Run) -> str | None:
    """The parameters agree but the output does not."""
    if run.epochs == 0 or differing_params(fixture, run) or "output" not in run.differing():
        return None
    data = fixture["data"]
    _, _, before = fixtures.train_variant(fixture["variant"], data["X"], data["y"], fixture["init"],
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
    _, later, _ = fixtures.train_variant(fixture["variant"], data["X"], data["y"], fixture["init"],
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


# --- the command --------------------------------------------------------------

def expand_fixture_globs(patterns: Iterable[str]) -> list[Path]:
    """The fixture files matching any of the glob patterns, sorted, without the schemas."""
    return sorted({Path(match) for pattern in patterns for match in glob.glob(pattern, recursive=True)
                   if not match.endswith("schema.json")})


@contextlib.contextmanager
def work_directory(path: str | Path | None = None) -> Iterator[Path]:
    """``path`` (created, kept), or a temporary directory whose name has a space
    in it, removed afterwards: a port must take its paths as given."""
    if path is not None:
        Path(path).mkdir(parents=True, exist_ok=True)
        yield Path(path)
        return
    with tempfile.TemporaryDirectory(prefix="twinnet conform ") as directory:
        yield Path(directory)


def report(command: Sequence[str], verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """The JSON report of a conform run."""
    passed = sum(verdict.ok for verdict in verdicts)
    return {
        "schema": REPORT_SCHEMA,
        "command": list(command),
        "tolerance": parity.TOLERANCE,
        "passed": passed,
        "failed": len(verdicts) - passed,
        "fixtures": [verdict.as_json() for verdict in verdicts],
    }


def fixture_directories(paths: Sequence[str | Path], directory: str | Path) -> list[Path]:
    """One work subdirectory per fixture, named after its file (numbered when
    two files share a name), so that fixtures can be checked side by side."""
    stems = [Path(path).stem for path in paths]
    return [Path(directory) / (stem if stems.count(stem) == 1 else f"{stem}-{number}")
            for number, stem in enumerate(stems, start=1)]


def _stop(signum: int, frame: Any) -> None:
    """On SIGINT or SIGTERM: no new port run starts, the running ones are killed
    with their process groups, and the main thread unwinds (removing the
    temporary work directory)."""
    _STOPPING.set()
    with _RUNNING_LOCK:
        for process in list(_RUNNING):
            _kill_group(process)
    raise Interrupted(signum)


def check_port(paths: Sequence[str | Path], command: Sequence[str], report_path: str | Path,
               work_dir: str | Path | None = None, timeout: float = TIMEOUT, jobs: int | None = None) -> int:
    """Check the port ``command`` on every fixture, ``jobs`` fixtures at a time
    (default: one per CPU): print one line each, in order, and a summary, and
    write the report; returns the exit status, 0 only when all pass, 130 or 143
    when SIGINT or SIGTERM stopped it."""
    port = command_port(command, timeout)
    verdicts = []
    handled = (signal.SIGINT, signal.SIGTERM) if threading.current_thread() is threading.main_thread() else ()
    previous = {signum: signal.signal(signum, _stop) for signum in handled}
    _STOPPING.clear()
    try:
        with work_directory(work_dir) as directory:
            pool = ThreadPoolExecutor(max(1, jobs or os.cpu_count() or 1))
            try:
                checks = pool.map(lambda path, where: run_port_on_fixture(path, port, where),
                                  paths, fixture_directories(paths, directory))
                for verdict in checks:
                    print(verdict.line(), flush=True)
                    verdicts.append(verdict)
            finally:  # after a signal, _stop has set _STOPPING: the checks left end at once
                pool.shutdown(wait=True, cancel_futures=True)
    except Interrupted as stop:
        kept = f"the work directory {work_dir} is kept" if work_dir else "its temporary directory is removed"
        print(f"twinnet: conform stopped by {signal.Signals(stop.signum).name}: the port's processes are killed, "
              f"{kept}", file=sys.stderr, flush=True)
        return 128 + stop.signum
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _STOPPING.clear()
    report_path = Path(report_path)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(report(command, verdicts), indent=2, ensure_ascii=False) + "\n",
                           encoding="utf-8")
    passed = sum(verdict.ok for verdict in verdicts)
    print(f"{passed} of {len(verdicts)} fixtures conform; report: {report_path}")
    return 0 if passed == len(verdicts) else 1
