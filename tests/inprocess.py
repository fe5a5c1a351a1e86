"""Ports run inside the test worker instead of as processes.

conform runs a port as ``COMMAND... FIXTURE RESULT``, one process per run, and
the exercises and skeletons are checked the same way.  Most tests check what
conform makes of a port's numbers, not the process: for them
(``conftest._ports_in_process``), a port that is

- a Python file run with this interpreter (``python PORT.py``),
- the Python twin (``python -m twinnet port``), or
- an R file run with Rscript (``[env R_LIBS=...] Rscript PORT.R``)

runs here: Python's with runpy, R's in this worker's R (rpy2, started once per
worker), with the same arguments, the same ``TWINNET_TRACE``, its stdout and
stderr kept next to the result, and the same failure line (exit status and the
port's own error line) that the process would give.  Any other command, and
every port of a test marked ``process``, is a real process: those tests are
where the process itself (exit status, signals, timeouts, quoting, an R or
Python start-up) is what is tested.

One port runs at a time (conform's threads queue on a lock): the arguments,
the environment and R are the worker's own.
"""

from __future__ import annotations

import contextlib
import io
import os
import runpy
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path

from twinnet.ports import run, steptrace

_LOCK = threading.Lock()

# An R script run as Rscript runs it: commandArgs() gives its arguments, quit()
# ends it with a status, what it prints and messages is kept, an error is the
# "Error in CALL : MESSAGE" that Rscript prints before "Execution halted".
R_RUNNER = r"""
function(path, args) {
  out <- character(); err <- character()
  saved_options <- options()  # a port's options() stay its own
  sink_to <- textConnection("out", "w", local = TRUE)
  sink(sink_to)
  on.exit({ sink(); close(sink_to); options(saved_options) })
  env <- new.env(parent = globalenv())
  env$commandArgs <- function(trailingOnly = FALSE) {
    if (trailingOnly) args else c("R", "--no-echo", "--no-restore", paste0("--file=", path), "--args", args)
  }
  env$quit <- env$q <- function(save = "default", status = 0, runLast = TRUE) {
    stop(structure(class = c("port_quit", "condition"), list(message = "quit", call = NULL, status = status)))
  }
  status <- tryCatch(withCallingHandlers({
    exprs <- parse(path, keep.source = FALSE)
    for (expr in exprs) eval(expr, env)
    0L
  }, message = function(m) {
    err <<- c(err, sub("\n$", "", conditionMessage(m)))
    invokeRestart("muffleMessage")
  }, warning = function(w) {
    err <<- c(err, paste("Warning message:", conditionMessage(w)))
    invokeRestart("muffleWarning")
  }), port_quit = function(q) as.integer(q$status), error = function(e) {
    call <- conditionCall(e)
    err <<- c(err, if (is.null(call)) paste("Error:", conditionMessage(e))
                   else paste0("Error in ", paste(deparse(call), collapse = " "), " : ", conditionMessage(e)),
              "Execution halted")
    1L
  })
  sink(); close(sink_to); options(saved_options); on.exit()
  list(status = status, stdout = paste(c(out, ""), collapse = "\n"), stderr = paste(c(err, ""), collapse = "\n"))
}
"""


@dataclass
class InProcessPort(run.CommandPort):
    """A :class:`twinnet.ports.run.CommandPort` whose command runs in this
    worker (see the module's docstring); ``kind`` is "python", "twin" or "r"
    and ``script`` the file it runs."""

    kind: str = "python"
    script: str = ""

    def __call__(self, fixture: Path, result: Path, trace: Path | None = None) -> str | None:
        with _LOCK, _environment(steptrace.ENVIRONMENT, None if trace is None else str(trace)):
            status, stdout, stderr = getattr(self, f"_run_{self.kind}")(str(fixture), str(result))
        run.keep_output(result, stdout, stderr)
        return None if status == 0 else run.exit_words(status) + run.stderr_line(stderr)

    def _run_python(self, fixture: str, result: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        saved_argv, saved_path, saved_modules = sys.argv, sys.path[:], set(sys.modules)
        sys.argv = [self.script, fixture, result]
        sys.path.insert(0, str(Path(self.script).resolve().parent))  # as `python PORT.py` finds its neighbours
        try:
            with _ThreadOutput(out, err):
                try:
                    runpy.run_path(self.script, run_name="__main__")
                    status = 0
                except SystemExit as stop:
                    status = _exit_status(stop, err)
                except Exception:  # what the interpreter prints, status 1
                    err.write(traceback.format_exc())
                    status = 1
        finally:
            sys.argv, sys.path[:] = saved_argv, saved_path
            for name in set(sys.modules) - saved_modules:  # a neighbour it imported is imported afresh next time
                del sys.modules[name]
        return status, out.getvalue(), err.getvalue()

    def _run_twin(self, fixture: str, result: str) -> tuple[int, str, str]:
        from twinnet import cli

        out, err = io.StringIO(), io.StringIO()
        with _ThreadOutput(out, err):
            try:
                status = cli.main(["port", fixture, result])
            except SystemExit as stop:
                status = _exit_status(stop, err)
        return status, out.getvalue(), err.getvalue()

    def _run_r(self, fixture: str, result: str) -> tuple[int, str, str]:
        from rpy2 import robjects
        from rpy2.robjects.conversion import localconverter

        runner = _r_runner()
        with localconverter(robjects.default_converter):  # conform's threads do not inherit the context's
            done = runner(self.script, robjects.StrVector([fixture, result]))
            return int(done.rx2("status")[0]), str(done.rx2("stdout")[0]), str(done.rx2("stderr")[0])


def command_port(command, timeout: float = run.TIMEOUT) -> run.CommandPort:
    """``run.command_port``, but a port this module recognises runs in process."""
    command = [str(part) for part in command]
    python_file = len(command) == 2 and command[0] == sys.executable and command[1].endswith(".py")
    if python_file:
        return InProcessPort(command, timeout, "python", command[1])
    if command == [sys.executable, "-m", "twinnet", "port"]:
        return InProcessPort(command, timeout, "twin")
    rest = command[2:] if command[:1] == ["env"] and command[1].startswith("R_LIBS=") else command
    if len(rest) == 2 and rest[0] == "Rscript" and rest[1].endswith(".R"):
        return InProcessPort(command, timeout, "r", rest[1])
    return run.CommandPort(command, timeout)


def _exit_status(stop: SystemExit, err: io.StringIO) -> int:
    if stop.code is None:
        return 0
    if isinstance(stop.code, int):
        return stop.code
    err.write(f"{stop.code}\n")  # sys.exit("message"): printed, status 1
    return 1


@contextlib.contextmanager
def _environment(name: str, value: str | None):
    saved = os.environ.get(name)
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = saved


class _ThreadOutput:
    """sys.stdout and sys.stderr of this thread go to ``out`` and ``err`` while
    inside; other threads (conform's, printing its verdicts) write as before."""

    def __init__(self, out: io.StringIO, err: io.StringIO) -> None:
        self.thread = threading.get_ident()
        self.targets = {"stdout": out, "stderr": err}

    def __enter__(self):
        self.saved = {name: getattr(sys, name) for name in self.targets}
        for name, target in self.targets.items():
            setattr(sys, name, _Dispatch(self.thread, target, self.saved[name]))
        return self

    def __exit__(self, *exc):
        for name, saved in self.saved.items():
            setattr(sys, name, saved)


class _Dispatch(io.TextIOBase):
    def __init__(self, thread: int, target: io.StringIO, other) -> None:
        self.thread, self.target, self.other = thread, target, other

    def _stream(self):
        return self.target if threading.get_ident() == self.thread else self.other

    def write(self, text: str) -> int:
        return self._stream().write(text)

    def flush(self) -> None:
        self._stream().flush()

    def isatty(self) -> bool:
        return False


_R_RUNNER = None


def _r_runner():
    global _R_RUNNER
    from twinnet import rbridge

    rbridge.r_package()  # R as the tests start it: every time, so that a test not marked needs_r fails
    if _R_RUNNER is None:
        from rpy2 import robjects
        from rpy2.robjects.conversion import localconverter

        with localconverter(robjects.default_converter):
            _R_RUNNER = robjects.r(R_RUNNER)
    return _R_RUNNER
