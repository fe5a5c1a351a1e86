"""Running a port: one process per run, in a session of its own, with a timeout,
its output kept, and stopped with conform when conform is stopped.

A port is any command called as ``COMMAND... FIXTURE RESULT`` (docs/porting.md).
Here it runs once; conform (``ports/conform.py``) decides on what, and
``ports/verdicts.py`` reads what it wrote.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import results, safejson
from . import steptrace

TIMEOUT = 600
"""Seconds one run of the port may take."""
OUTPUT_TAIL = 8000
"""Characters of a port run's stdout and of its stderr kept (the last ones), in
the report and next to its result under the work directory."""
ERROR_LINE = re.compile(r"^(?:[\w.$]*(?:Error|Exception)\b|error\b|fatal\b|panic\b|Error in\b|thread '.*' panicked)"
                        r"|\bE_[A-Z]+: ", re.IGNORECASE)
"""A line of stderr that looks like the port's own error: ``Error: boom`` (Node.js),
``ValueError: x`` (Python), ``Error in f(): x`` (R), ``panic: x`` (Go), a twinnet code."""
SIGNAL_MEANINGS = {"SIGSEGV": "segmentation fault", "SIGABRT": "abort", "SIGKILL": "out of memory?",
                   "SIGBUS": "bus error", "SIGFPE": "arithmetic error", "SIGILL": "illegal instruction",
                   "SIGTERM": "terminated", "SIGINT": "interrupted", "SIGPIPE": "broken pipe"}
"""What a port killed by a signal most likely met, in words."""

# A port: called with a fixture path and a result path, returns None or one line saying why it failed.
Port = Callable[[Path, Path], str | None]

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
            failure = None if process.returncode == 0 else exit_words(process.returncode) + stderr_line(stderr)
        except subprocess.TimeoutExpired:
            kill_group(process)
            stdout, stderr = process.communicate()
            failure = f"the port did not finish within {timeout:g} s"
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(process)
        keep_output(result, stdout, stderr)
        return failure


def command_port(command: Sequence[str], timeout: float = TIMEOUT) -> CommandPort:
    """The port ``COMMAND... FIXTURE RESULT``, which can be asked for its trace (see :class:`CommandPort`)."""
    return CommandPort(command, timeout)


def exit_words(status: int) -> str:
    """How the port ended, in words: its exit status, or the signal that killed it by name
    (``subprocess`` gives −N for signal N)."""
    if status >= 0:
        return f"the port exited with status {status}"
    try:
        name = signal.Signals(-status).name
    except ValueError:
        return f"the port was killed by signal {-status}"
    meaning = SIGNAL_MEANINGS.get(name)
    return f"the port was killed by {name}" + (f" ({meaning})" if meaning else "")


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL to the port's process group: the port and whatever it started."""
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)


def tail(text: str) -> str:
    """The last OUTPUT_TAIL characters of ``text``, after "..." when it was longer."""
    return text if len(text) <= OUTPUT_TAIL else "..." + text[-OUTPUT_TAIL:]


def keep_output(result: Path, stdout: str, stderr: str) -> None:
    """The port run's stdout and stderr (their tails), next to its result."""
    result = Path(result)
    with contextlib.suppress(OSError, safejson.FixtureError):  # keeping them is a courtesy, never a failure
        result.parent.mkdir(parents=True, exist_ok=True)
        results.write_atomic(f"{result}.stdout", tail(stdout or ""))
        results.write_atomic(f"{result}.stderr", tail(stderr or ""))


def read_output(result: Path) -> tuple[str | None, str | None]:
    """The port run's kept (stdout, stderr), or (None, None) for a port that is a function."""
    def read(path: str) -> str | None:
        with contextlib.suppress(OSError):
            return Path(path).read_text(encoding="utf-8", errors="replace")
        return None
    return read(f"{result}.stdout"), read(f"{result}.stderr")


def stderr_line(stderr: str) -> str:
    """': ' and the port's own error line from its stderr: the first line that
    looks like an error (ERROR_LINE), else the last line (R's closing 'Execution
    halted' is skipped); '' when it wrote nothing. Shown escaped, at most 300
    characters: the FAIL line stays one line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and line.strip() != "Execution halted"]
    if not lines:
        return ""
    line = next((line for line in lines if ERROR_LINE.search(line)), lines[-1])
    line = safejson.escape(line)
    return f": {line[:300] + '...' if len(line) > 300 else line}"


def _stop(signum: int, frame: Any) -> None:
    """On SIGINT or SIGTERM: no new port run starts, the running ones are killed
    with their process groups, and the main thread unwinds (removing the
    temporary work directory)."""
    _STOPPING.set()
    with _RUNNING_LOCK:
        for process in list(_RUNNING):
            kill_group(process)
    raise Interrupted(signum)


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[None]:
    """While inside, SIGINT and SIGTERM (in the main thread) kill the running ports
    and raise :class:`Interrupted`; the previous handlers are restored afterwards."""
    handled = (signal.SIGINT, signal.SIGTERM) if threading.current_thread() is threading.main_thread() else ()
    previous = {signum: signal.signal(signum, _stop) for signum in handled}
    _STOPPING.clear()
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _STOPPING.clear()
