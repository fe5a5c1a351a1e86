"""The command line's refusals and interruptions, in process (``cli.main``)
except where the process itself is what is tested: every usage error is one
``twinnet: E_USAGE:`` line and exit 2; data that would overflow is refused with
the same code in both languages; a long run shows a progress bar on a terminal
only, and trains to the same numbers; Ctrl-C (one line, exit 130) and SIGTERM
(exit 143) stop a training in either language at once, with nothing written."""

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from conftest import FIXTURE_DIR, ROOT

from twinnet import cli, parity, rbridge, safejson

LANGUAGES = ["python", "r"]


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self):
        return True


@pytest.mark.parametrize("argv", [
    ["train", "article", "--lang", "r", "--out", "OUT", "--epochs", "abc"],
    ["train", "article", "--lang", "r", "--out", "OUT", "--epochs", "1e3"],
    ["train", "article", "--out", "OUT"],
    ["train", "article", "--lang", "julia", "--out", "OUT"],
    ["trace", "article", "--lang", "python", "--format", "yaml"],
    ["exercise", "99"],
    ["errata", "A3"],
    ["no-such-command"],
    [],
], ids=lambda argv: " ".join(argv) or "nothing")
def test_a_usage_error_is_one_line_with_its_code_and_exit_2(argv, tmp_path, capsys):
    argv = [str(tmp_path / "out.json") if arg == "OUT" else arg for arg in argv]
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith("twinnet: E_USAGE: ") and captured.err.endswith("--help)\n"), captured.err
    assert list(tmp_path.iterdir()) == []


def test_the_usage_errors_name_what_is_wrong(capsys):
    assert cli.main(["train", "article", "--lang", "r", "--out", "x.json", "--epochs", "1e3"]) == 2
    assert capsys.readouterr().err == ("twinnet: E_USAGE: argument --epochs: invalid int value: '1e3' "
                                       "(twinnet train --help)\n")
    assert cli.main(["errata", "A3"]) == 2
    assert "'A3' does not run: the errata that run are A1, A2, A5, A6, A7, A16" in capsys.readouterr().err


def test_help_and_version_still_exit_0(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("twinnet ")
    assert cli.main(["trace", "--help"]) == 0
    assert "example: twinnet trace article --lang both --step 7" in capsys.readouterr().out


def overflowing(tmp_path, name, rows):
    """The packaged fixture ``name`` with the rows ``rows`` of X set to ±1e308."""
    document = json.loads((FIXTURE_DIR / f"{name}.json").read_text())
    for i in rows:
        document["data"]["X"][i] = [1e308 if j % 2 else -1e308 for j in range(len(document["data"]["X"][i]))]
    path = tmp_path / f"{name}-1e308.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.needs_r
@pytest.mark.parametrize("name", ["article", "layered-xor", "stepwise"])
@pytest.mark.parametrize("epochs", [[], ["--epochs", "0"], ["--epochs", "1"]], ids=["full", "0", "1"])
def test_data_that_overflows_is_refused_alike_in_both_languages(name, epochs, tmp_path, capsys):
    """X·W overflows, or not, as the BLAS fuses its multiply-adds (numpy's does, R's reference BLAS
    does not): layered-xor with a row of X at 1e308 trained in Python and diverged in R. Refused first."""
    path = overflowing(tmp_path, name, [0])
    for language in LANGUAGES:
        out = tmp_path / f"{language}.json"
        assert cli.main(["train", str(path), "--lang", language, "--out", str(out), *epochs]) == 2
        assert capsys.readouterr().err == ("twinnet: E_VALUE: data.X[0][0]: expected a magnitude of at most "
                                           "1e+150\n")
        assert not out.exists()


@pytest.mark.needs_r
def test_the_overflow_refusal_names_the_first_value_row_by_row_in_both_languages(tmp_path):
    document = json.loads((FIXTURE_DIR / "xor.json").read_text())
    document["data"]["X"][2] = [0.0, 2e150]
    document["data"]["X"][3] = [-1e151, 0.0]
    path = tmp_path / "big.json"
    path.write_text(json.dumps(document))
    for language in LANGUAGES:
        with pytest.raises(safejson.FixtureError) as error:
            parity.TRAINERS[language](path, 0, 2)
        assert (error.value.code, error.value.message) == ("E_VALUE", "data.X[2][1]: expected a magnitude of at "
                                                                      "most 1e+150")
    document["data"]["X"][2] = [0.0, 1e150]  # at the bound: trained, to the same numbers in both
    document["data"]["X"][3] = [-1e150, 0.0]
    path.write_text(json.dumps(document))
    python, r = (parity.quantities(parity.TRAINERS[language](path, 3, 2)) for language in LANGUAGES)
    assert all(parity.first_out_of_tolerance(python[name], r[name]) is None for name in python)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", ["xor", "layered-xor", "stepwise"])
def test_a_long_run_on_a_terminal_shows_progress_and_trains_to_the_same_numbers(language, name, monkeypatch):
    monkeypatch.setattr(cli, "PROGRESS_WORK", 0)  # every run counts as long
    terminal = Terminal()
    path = str(FIXTURE_DIR / f"{name}.json")
    shown = cli.train(path, language, 250, 2, terminal)
    plain = parity.TRAINERS[language](path, 250, 2)
    assert shown.keys() == plain.keys() and shown["language"] == language
    for key in ("params", "loss", "output"):
        got, want = (parity.quantities(result)[key] if key != "params" else result["params"]
                     for result in (shown, plain))
        if key == "params":
            assert all(np.array_equal(got[param], want[param]) for param in want), key
        else:
            assert np.array_equal(got, want), key
    text = terminal.getvalue()
    assert text.startswith(f"\r{name} in {language} [") and text.endswith("epoch 250/250\r\033[K")
    assert text.count("epoch ") == 84  # chunks of 3 epochs: 250 / 100, rounded up


def test_a_short_run_on_a_terminal_and_any_run_elsewhere_show_nothing(tmp_path, monkeypatch, capsys):
    terminal = Terminal()
    cli.train(str(FIXTURE_DIR / "article.json"), "python", None, 2, terminal)  # 5000 epochs of 3 samples: short
    assert terminal.getvalue() == ""
    monkeypatch.setattr(cli, "PROGRESS_WORK", 0)  # every run counts as long, this one too
    assert cli.main(["train", "xor", "--lang", "python", "--out", str(tmp_path / "xor.json"), "--epochs", "30"]) == 0
    assert capsys.readouterr().err == ""  # pytest's stderr is not a terminal


@pytest.mark.needs_r
def test_a_run_that_diverges_on_a_terminal_is_refused_as_without_one(tmp_path, monkeypatch):
    layered = json.loads((FIXTURE_DIR / "layered-xor.json").read_text())
    layered["hyper"]["lr"] = 1e300
    path = tmp_path / "diverging.json"
    path.write_text(json.dumps(layered))
    monkeypatch.setattr(cli, "PROGRESS_WORK", 0)
    for language in LANGUAGES:
        outcomes = []
        for stream in (Terminal(), io.StringIO()):
            try:
                cli.train(str(path), language, 50, 2, stream)
                outcomes.append(None)
            except safejson.FixtureError as error:
                outcomes.append((error.code, error.message))
        assert outcomes[0] == outcomes[1] and outcomes[0] is not None and outcomes[0][0] == "E_DIVERGED", outcomes


INTERRUPTIBLE = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # as on a terminal, whatever the test runner ignores
from twinnet import cli, rbridge
if sys.argv[sys.argv.index("--lang") + 1] == "r":
    rbridge.r_package()  # R started: the Ctrl-C lands in R's training, not in R's start-up
print("ready", flush=True)
sys.exit(cli.main(sys.argv[1:]))
"""


# A process each: what is tested is a real signal reaching a real process; for R, one that arrives
# while R computes (rbridge.interruptible).
@pytest.mark.process
@pytest.mark.parametrize("signum, status, message", [(signal.SIGINT, 130, "twinnet: interrupted"),
                                                     (signal.SIGTERM, 143, "")], ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_ctrl_c_or_sigterm_stops_a_training_at_once_and_nothing_is_written(language, signum, status, message,
                                                                           tmp_path):
    out = tmp_path / "out" / "result.json"
    out.parent.mkdir()
    process = subprocess.Popen([sys.executable, "-c", INTERRUPTIBLE, "train", "wide", "--lang", language,
                                "--epochs", "1000000", "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                               env={**os.environ, "PYTHONPATH": str(ROOT / "python")})
    try:
        assert process.stdout.readline() == "ready\n"
        # into the training itself (reading the fixture takes milliseconds; a million epochs, minutes),
        # which burns a core until the signal comes
        time.sleep(0.5)
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == status, stderr
    assert stderr.strip() == message and stdout == ""
    assert list(out.parent.iterdir()) == []


@pytest.mark.needs_r
@pytest.mark.parametrize("signum, raised", [(signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, SystemExit)],
                         ids=["ctrl-c", "sigterm"])
def test_a_signal_while_r_computes_stops_r_and_raises_what_its_handler_raises(signum, raised):
    """In process: R sends itself the signal, then loops for seconds; without
    rbridge.interruptible the handler's exception is lost in rpy2's callback
    and the loop runs to its end."""
    from rpy2 import robjects

    assert threading.current_thread() is threading.main_thread()  # where Python runs signal handlers
    rbridge.r_package()
    busy = robjects.r("function(pid, signal) { tools::pskill(pid, signal); s <- 0; for (i in 1:1e8) s <- s + i; s }")
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as on a terminal
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))  # as cli.main sets it
    try:
        with pytest.raises(raised), rbridge.interruptible():
            busy(os.getpid(), int(signum))
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Python's handlers are back
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)
    assert list(robjects.r("1 + 1")) == [2]  # and R goes on


@pytest.mark.needs_r
def test_a_signal_after_r_returned_is_raised_once_and_does_not_stop_r_s_next_call():
    from rpy2 import robjects

    rbridge.r_package()
    saved = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt), rbridge.interruptible():
            os.kill(os.getpid(), signal.SIGINT)  # R is not running: Python's handler runs here
        busy = robjects.r("function() { s <- 0; for (i in 1:100000) s <- s + i; s }")
        assert list(busy()) == [5000050000]  # runs to its end: no interrupt left pending in R
    finally:
        signal.signal(signal.SIGINT, saved)
