"""tests/inprocess.py: a port run in the worker gives what its process gives, the
failure line, the kept stdout and stderr and the trace, so that the tests that
run ports in process check what conform would say of the process."""

import sys

import inprocess
import pytest
from conftest import FIXTURE_DIR

from twinnet.ports import exercises, run

PYTHON_PORTS = {
    "exits with a message": "import sys\nprint('reading', sys.argv[1][-8:])\nsys.exit('boom: cannot train')\n",
    "exits 2 after an E_ line": "import sys\nsys.stderr.write('twinnet: E_VALUE: X: too large\\n')\nsys.exit(2)\n",
    "raises": "import json\njson.loads('{')\n",
}
R_PORTS = {
    "stops": "args <- commandArgs(trailingOnly = TRUE)\ncat('reading', basename(args[[1]]), '\\n')\n"
             "f <- function(x) stop('boom: cannot train ', x)\nf(basename(args[[1]]))\n",
    "quits 2 after a message": "message('twinnet: E_VALUE: X: too large')\nquit(status = 2)\n",
    "stops without a call": "stop('boom', call. = FALSE)\n",
}


def both(path, command, tmp_path):
    """(in process, as a process): each the failure line, stdout and stderr kept."""
    found = []
    for label, port in (("in", inprocess.command_port(command)), ("out", run.CommandPort(command))):
        result = tmp_path / label / "result.json"
        failure = port(FIXTURE_DIR / "xor.json", result)
        stdout, stderr = run.read_output(result)
        found.append((failure, stdout, stderr))
    return found


@pytest.mark.process
@pytest.mark.parametrize("name", sorted(PYTHON_PORTS))
def test_a_failing_python_port_fails_alike_in_and_out_of_process(name, tmp_path):
    path = tmp_path / "port.py"
    path.write_text(PYTHON_PORTS[name], encoding="utf-8")
    command = [sys.executable, str(path)]
    assert isinstance(inprocess.command_port(command), inprocess.InProcessPort)
    (failure, stdout, stderr), (want_failure, want_stdout, want_stderr) = both(path, command, tmp_path)
    assert failure == want_failure and failure is not None
    assert stdout == want_stdout
    if name == "raises":  # the same traceback's last line; the frames above differ (runpy's)
        assert stderr.splitlines()[-1] == want_stderr.splitlines()[-1]
    else:
        assert stderr == want_stderr


@pytest.mark.process
@pytest.mark.needs_r
@pytest.mark.parametrize("name", sorted(R_PORTS))
def test_a_failing_r_port_fails_alike_in_and_out_of_process(name, tmp_path):
    path = tmp_path / "port.R"
    path.write_text(R_PORTS[name], encoding="utf-8")
    command = ["Rscript", str(path)]
    assert isinstance(inprocess.command_port(command), inprocess.InProcessPort)
    (failure, stdout, stderr), (want_failure, want_stdout, want_stderr) = both(path, command, tmp_path)
    assert failure == want_failure and failure is not None
    assert (stdout, stderr) == (want_stdout, want_stderr)


@pytest.mark.process
@pytest.mark.needs_r
@pytest.mark.parametrize("language", ["python", "r"])
def test_a_template_port_writes_the_same_result_and_trace_in_and_out_of_process(language, tmp_path):
    path = tmp_path / f"port{exercises.EXTENSIONS[language]}"
    path.write_text(exercises.template("article", language), encoding="utf-8")
    command = exercises.port_command(path)
    texts = []
    for label, port in (("in", inprocess.command_port(command)), ("out", run.CommandPort(command))):
        result, trace = tmp_path / label / "result.json", tmp_path / label / "trace.json"
        result.parent.mkdir()
        assert port(FIXTURE_DIR / "xor.json", result, trace) is None
        texts.append((result.read_text(encoding="utf-8"), trace.read_text(encoding="utf-8")))
    assert texts[0] == texts[1]


def test_other_commands_stay_processes():
    for command in (["node", "port.js"], [sys.executable, "-c", "pass"], ["Rscript", "-e", "1"], ["./port"]):
        port = inprocess.command_port(command)
        assert type(port) is run.CommandPort and list(port.command) == command
