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
to the usual porting mistake.

This is the command; running a port is ``ports/run.py``, reading its results
``ports/verdicts.py``, its trace ``ports/steptrace.py``, and diagnosing a
failure ``ports/diagnose.py``.  conform prints its summary and writes a JSON
report only when asked to (``--report PATH``).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import signal
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .. import fixtures, parity, results, training
from . import diagnose, run, steptrace, verdicts

DERIVED_EPOCHS = (0, 1, 2)
TRACED_EPOCHS = steptrace.TRACED_EPOCH
"""The run on which the port is asked for its trace (TWINNET_TRACE): its first epoch."""
REPORT_SCHEMA = "twinnet-conform/1"


def derive(path: str | Path, epochs: int, directory: str | Path) -> Path:
    """A copy of the fixture at ``path`` that trains for ``epochs`` epochs, with
    ``expected`` recomputed by the Python twin; returns the copy's path."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    reference = training.train_fixture(path, epochs)
    document["hyper"]["epochs"] = epochs
    document["description"] = (f"{document.get('description', '')} Derived by twinnet conform from "
                               f"{Path(path).name}: hyper.epochs set to {epochs}, expected recomputed.").strip()
    document["expected"] = {key: reference[key] for key in ("params", "loss", "output")}
    copy = Path(directory) / f"epochs-{epochs}" / Path(path).name
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.unlink(missing_ok=True)  # a copy from an earlier run in --work-dir: the writer refuses to replace a fixture
    results.write_atomic(copy, results.dumps(document))
    return copy


def reference(fixture_path: Path) -> dict[str, Any]:
    """The Python twin's result for the fixture file (:func:`parity.trained`:
    once per distinct file content in this process, so a fixture checked again,
    by another port, an exercise's copy or the traced rerun of a failing run,
    is not retrained).  The caller gets its own copy."""
    return parity.trained(fixture_path, "python")


def run_port(port: run.Port, label: str, fixture_path: Path, result_path: Path,
             trace_path: Path | None = None) -> verdicts.Run:
    """Run the port on one fixture file and compare its result with the Python twin's;
    with ``trace_path``, ask the port for its trace there."""
    reference_result = reference(fixture_path)
    ran = verdicts.Run(label, len(reference_result["loss"]), Path(fixture_path), reference_result)
    result_path.parent.mkdir(parents=True, exist_ok=True)
    result_path.unlink(missing_ok=True)
    if trace_path is None or not isinstance(port, run.CommandPort):  # an in-process port writes no trace
        ran.error = port(fixture_path, result_path)
    else:
        trace_path.parent.mkdir(parents=True, exist_ok=True)
        trace_path.unlink(missing_ok=True)
        ran.error = port(fixture_path, result_path, trace_path)
    ran.stdout, ran.stderr = run.read_output(result_path)
    if ran.error is None:
        try:
            ran.port = verdicts.read_result(result_path, reference_result)
        except verdicts.ResultError as error:
            ran.error = str(error)
    if ran.port is not None:
        ran.divergences = verdicts.divergences(ran.port, reference_result, exact_params=ran.epochs == 0)
    return ran


def run_port_on_fixture(path: str | Path, port: run.Port, directory: str | Path) -> verdicts.Verdict:
    """Run the port on the fixture's derived copies (0, 1, 2 epochs), then on the
    fixture itself; stop at the first run that disagrees, and diagnose it.  The
    verdict says how much of the port's trace (asked for on the 1-epoch run) was used."""
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
    verdict = verdicts.Verdict(fixture, Path(path), runs)
    if not verdict.ok:
        verdict.diagnosis = diagnose.diagnose(fixture, runs[-1])
        if runs[-1].error is None:
            if runs[-1].epochs < TRACED_EPOCHS:  # the trace of the first epoch, for the step that differs
                run_port(port, "traced", derive(path, TRACED_EPOCHS, directory),
                         Path(directory) / "results" / "traced" / Path(path).name, trace_path)
            verdict.step = steptrace.traced_step(runs[0].fixture, fixture["variant"], trace_path)
            if verdict.step is not None:
                verdict.diagnosis = f"{verdict.step} is the first traced value that differs; {verdict.diagnosis}"
    verdict.trace = steptrace.read_trace_use(Path(path), trace_path)
    return verdict


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


def report(command: Sequence[str], verdicts: Sequence[verdicts.Verdict], passed: int) -> dict[str, Any]:
    """The JSON report of a conform run."""
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


def trace_lines(verdict: verdicts.Verdict, strict: bool) -> tuple[list[str], bool]:
    """The lines that say how much of the port's trace was used (none when it wrote no
    trace), and whether ``--strict-trace`` fails the fixture: a trace with an unknown
    name or no match, or no trace at all."""
    use = verdict.trace
    if use is None:
        return ([f"FAIL  {verdict.name}: --strict-trace: the port wrote no trace ({steptrace.ENVIRONMENT})"]
                if strict else []), strict
    lines = [f"      {use}"]
    if use.matched == 0:
        lines.append(f"warning: {verdict.name}: none of the trace's quantities matched the reference's "
                     "(docs/porting.md, Traces): conform cannot name the step that differs")
    failed = strict and (use.matched == 0 or bool(use.unknown))
    if failed:
        lines.append(f"FAIL  {verdict.name}: --strict-trace: the trace has "
                     f"{'unknown names' if use.unknown else 'no quantity the reference has'}")
    return lines, failed


def check_port(paths: Sequence[str | Path], command: Sequence[str], report_path: str | Path | None = None,
               work_dir: str | Path | None = None, timeout: float = run.TIMEOUT, jobs: int | None = None,
               strict_trace: bool = False) -> int:
    """Check the port ``command`` on every fixture, ``jobs`` fixtures at a time
    (default: one per CPU): print one line each, in order, with how much of the
    port's trace was used, and a summary; write the report only to ``report_path``.
    Returns the exit status, 0 only when all pass, 130 or 143 when SIGINT or
    SIGTERM stopped it."""
    if report_path is not None:  # before the port runs: a refused path costs nothing
        results.check_output_path(report_path)
    port = run.command_port(command, timeout)
    verdicts, failed_traces = [], 0
    try:
        with run.stopped_by_signals(), work_directory(work_dir) as directory:
            pool = ThreadPoolExecutor(max(1, jobs or os.cpu_count() or 1))
            try:
                checks = pool.map(lambda path, where: run_port_on_fixture(path, port, where),
                                  paths, fixture_directories(paths, directory))
                for verdict in checks:
                    print(verdict.line(), flush=True)
                    lines, failed = trace_lines(verdict, strict_trace)
                    for line in lines:
                        print(line, flush=True)
                    failed_traces += failed and verdict.ok
                    verdicts.append(verdict)
            finally:  # after a signal no port run starts: the checks left end at once
                pool.shutdown(wait=True, cancel_futures=True)
    except run.Interrupted as stop:
        kept = f"the work directory {work_dir} is kept" if work_dir else "its temporary directory is removed"
        print(f"twinnet: conform stopped by {signal.Signals(stop.signum).name}: the port's processes are killed, "
              f"{kept}", file=sys.stderr, flush=True)
        return 128 + stop.signum
    passed = sum(verdict.ok for verdict in verdicts) - failed_traces
    written = ""
    if report_path is not None:
        results.write_result(report(command, verdicts, passed), report_path)
        written = f"; report: {report_path}"
    print(f"{passed} of {len(verdicts)} fixtures conform{written}")
    return 0 if passed == len(verdicts) else 1
