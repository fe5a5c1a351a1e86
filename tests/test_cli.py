"""The command line, run as a user runs it from the repository root: in process
(``run_cli``), and as ``python -m twinnet`` in a real process where the process
is what is tested (every subcommand's wiring, training in both languages end to
end, the exit status)."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import FIXTURE_DIR, ROOT, UNCACHED_R_PACKAGE, run_cli, trained

from twinnet import article, cli, fixtures, rbridge, training

twinnet = run_cli


def process(*args):
    """``python -m twinnet ARGS...`` in a process of its own, from the repository root."""
    return subprocess.run([sys.executable, "-m", "twinnet", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True)


@pytest.mark.parametrize("language", ["python", "r"])
def test_train_writes_a_result_equal_to_expected(language, tmp_path):
    out = tmp_path / f"{language}.json"
    run = twinnet("train", "shared_fixtures/article.json", "--lang", language, "--out", out)
    assert run.code == 0, run.err
    result = json.loads(out.read_text())
    assert list(result) == ["schema", "fixture", "language", "params", "loss", "output"]
    assert (result["schema"], result["fixture"], result["language"]) == ("twinnet-result/1", "article", language)
    expected = json.loads((FIXTURE_DIR / "article.json").read_text())["expected"]
    for name, value in expected["params"].items():
        assert np.array(result["params"][name]).shape == np.array(value).shape
        assert np.max(np.abs(np.array(result["params"][name]) - value)) <= 1e-12, name
    assert len(result["loss"]) == 5000
    if language == "python":  # the CLI writes what the API computes, bit for bit (expected itself
        # may differ from this machine's run in the last ULPs: another CPU, another exp kernel)
        in_process = trained("article", "python")  # training.train_fixture's, once per worker
        assert result["params"] == {name: value.tolist() for name, value in in_process["params"].items()}
        assert result["loss"] == in_process["loss"].tolist()


@pytest.mark.parametrize("language", ["python", "r"])
def test_zero_epochs_gives_the_untrained_output(language, tmp_path):
    out = tmp_path / "zero.json"
    run = twinnet("train", "shared_fixtures/xor.json", "--lang", language, "--out", out, "--epochs", 0)
    assert run.code == 0, run.err
    result = json.loads(out.read_text())
    fixture = fixtures.read_fixture(FIXTURE_DIR / "xor.json")
    _, untrained = article.forward(fixture["data"]["X"], fixture["init"])
    assert result["loss"] == []
    assert np.max(np.abs(np.array(result["output"]) - untrained)) <= 1e-15
    assert result["params"] == {name: value.tolist() for name, value in fixture["init"].items()}


@pytest.mark.needs_r
def test_parity_command_prints_the_table_and_exits_0():
    run = twinnet("parity", "shared_fixtures/article.json", "shared_fixtures/xor.json")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].split()[:4] == ["fixture", "quantity", "max", "|py-R|"]
    assert sum(line.endswith(" ok") for line in lines) == 12
    assert "12 of 12 quantities agree within 1e-12" in run.out


@pytest.mark.needs_r
def test_parity_command_exits_1_on_a_mismatch(tmp_path):
    document = json.loads((FIXTURE_DIR / "xor.json").read_text())
    document["expected"]["params"]["bout"][0][0] += 1e-6
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))
    run = twinnet("parity", broken)
    assert run.code == 1
    assert "MISMATCH xor > bout > [0, 0]: python=" in run.err


@pytest.mark.parametrize("language", ["python", "r"])
def test_bad_fixture_exits_2_with_one_line_and_writes_nothing(language, tmp_path):
    document = json.loads((FIXTURE_DIR / "article.json").read_text())
    document["init"]["wh"] = np.array(document["init"]["wh"]).T.tolist()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    out = tmp_path / "out.json"
    run = twinnet("train", bad, "--lang", language, "--out", out)
    assert run.code == 2
    assert run.err == "twinnet: E_SHAPE: init.wh: expected 4x3, got 3x4\n"
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]


def test_missing_r_says_what_to_install(tmp_path, monkeypatch):
    # the bridge uncached, as in a process that has not started R yet
    monkeypatch.setattr(rbridge, "r_package", UNCACHED_R_PACKAGE)
    env = {"R_HOME": str(tmp_path / "no-R-here")}
    run = twinnet("train", "shared_fixtures/article.json", "--lang", "r", "--out", tmp_path / "r.json", env=env)
    assert run.code == 3
    assert "Traceback" not in run.err and len(run.err.strip().splitlines()) == 1
    assert "apt-get install r-base-core" in run.err


def test_help_lists_the_commands():
    run = twinnet("--help")
    assert run.code == 0
    for command in ("train", "parity", "demo", "generate"):
        assert command in run.out


@pytest.mark.needs_r
def test_demo_prints_parity_and_writes_a_loss_plot(tmp_path):
    # xor for 50 epochs, not 3000: every step of the demo (parity, plots, drift) at a fraction of the cost
    # (its expected the Python reference's, as generation writes it)
    document = json.loads((FIXTURE_DIR / "xor.json").read_text())
    document["hyper"]["epochs"] = 50
    short = tmp_path / "xor.json"
    short.write_text(json.dumps(document))
    reference = training.train_fixture(short)
    document["expected"] = {"params": {name: value.tolist() for name, value in reference["params"].items()},
                            "loss": reference["loss"].tolist(), "output": reference["output"].tolist()}
    short.write_text(json.dumps(document))
    run = twinnet("demo", short, "--out-dir", tmp_path)
    assert run.code == 0, run.err
    assert "6 of 6 quantities agree" in run.out
    plot = tmp_path / "loss-xor.png"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 10_000


def test_every_subcommand_and_argument_says_what_it_is_with_an_example():
    import argparse

    from twinnet import cli

    top = cli.parser()
    commands = next(action for action in top._actions if isinstance(action, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in commands._choices_actions}
    for name, command in commands.choices.items():
        assert helps.get(name), f"{name}: no help"
        assert (command.epilog or "").startswith("example: "), f"{name}: no example"
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"{name} {action.dest}: no help"
            assert "e.g." in action.help, f"{name} {action.dest}: no example in its help"


@pytest.mark.process
@pytest.mark.parametrize("language", ["python", "r"])
def test_python_m_twinnet_trains_end_to_end(language, tmp_path):
    """The real process: ``python -m twinnet train`` writes the same result as in process (R started by it)."""
    out = tmp_path / "process.json"
    run = process("train", "shared_fixtures/xor.json", "--lang", language, "--out", out, "--epochs", 3)
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout == f"wrote {out}: xor trained in {language} for 3 epochs\n"
    in_process = tmp_path / "in-process.json"
    again = twinnet("train", "shared_fixtures/xor.json", "--lang", language, "--out", in_process, "--epochs", 3)
    assert (again.code, again.out) == (0, run.stdout.replace(str(out), str(in_process)))
    assert json.loads(out.read_text()) == json.loads(in_process.read_text())


@pytest.mark.process
def test_python_m_twinnet_exit_status_2():
    """Exit statuses as the shell sees them: 2 for bad input (one line), 2 for a bad option."""
    bad = process("train", "no-such-fixture.json", "--lang", "python", "--out", "/nonexistent/x.json")
    assert bad.returncode == 2 and bad.stderr.startswith("twinnet: E_") and bad.stderr.count("\n") == 1
    usage = process("train")
    assert usage.returncode == 2 and usage.stderr.startswith("twinnet: E_USAGE: ") and usage.stderr.count("\n") == 1


def subcommands():
    import argparse

    top = cli.parser()
    return list(next(action for action in top._actions if isinstance(action, argparse._SubParsersAction)).choices)


@pytest.mark.process
@pytest.mark.parametrize("command", subcommands())
def test_every_subcommand_is_wired_to_python_m_twinnet(command):
    """Each subcommand reaches its parser through ``python -m twinnet`` (the in-process tests call ``cli.main``)."""
    run = process(command, "--help")
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout.startswith(f"usage: twinnet {command}")
    assert run.stdout == run_cli(command, "--help").out
