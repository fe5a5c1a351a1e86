"""conform: the Python and R twins' ports conform on every fixture, the broken
ports in tests/ports/ get the diagnosis of their mistake, and a port's bad
result is one clear line, not a traceback.

The ports run as a stranger's port runs: ``python -m twinnet conform -- COMMAND...``
in a subprocess from the repository root.  The other diagnoses are checked in
process, with ports that are Python functions changing the twin's result the
way a mistake would.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURE_DIR, FIXTURE_NAMES, ROOT, run_cli
from jsonschema import Draft202012Validator

from twinnet import fixtures, mistakes, parity, rbridge, results, training
from twinnet.ports import conform, diagnose, exercises, run

PORTS = ROOT / "tests" / "ports"
TWIN_PORTS = {
    "python": [sys.executable, "-m", "twinnet", "port"],
    "r": ["env", f"R_LIBS={rbridge.r_libs_path()}", "Rscript", str(ROOT / "r" / "inst" / "ports" / "port.R")],
}
TOLERANCE = parity.TOLERANCE


def run_conform(*args, report):
    """``twinnet conform --report REPORT ARGS...`` from the repository root, in
    process (the ports it runs are processes: that is what conform runs)."""
    return run_cli("conform", "--report", report, *args)


def read_fixture(name):
    return fixtures.read_fixture(FIXTURE_DIR / f"{name}.json")


# --- the twins' ports ---------------------------------------------------------

@pytest.mark.parametrize("language", sorted(TWIN_PORTS))
def test_twin_port_conforms_on_every_fixture(language, tmp_path):
    report = tmp_path / "conform.json"
    run = run_conform("--", *TWIN_PORTS[language], report=report)
    assert run.code == 0, run.out + run.err
    lines = run.out.splitlines()
    assert [line.split()[:2] for line in lines[:-1]] == [["pass", f"{name}:"] for name in FIXTURE_NAMES]
    count = len(FIXTURE_NAMES)
    assert lines[-1] == f"{count} of {count} fixtures conform; report: {report}"
    document = json.loads(report.read_text())
    assert (document["schema"], document["passed"], document["failed"]) == ("twinnet-conform/1", count, 0)
    assert document["command"] == TWIN_PORTS[language] and document["tolerance"] == TOLERANCE
    for verdict in document["fixtures"]:
        fixture = read_fixture(verdict["fixture"])
        runs = verdict["runs"]
        assert [run["epochs"] for run in runs] == [0, 1, 2, fixture["hyper"]["epochs"]]
        assert all(run["status"] == "pass" for run in runs)
        assert all(runs[0]["max_abs"][name] == 0.0 for name in fixture["init"])  # init read back bit for bit
        largest = max(value for run in runs for value in run["max_abs"].values())
        if language == "python":  # the same code in another process: bit-identical
            assert largest == 0.0, verdict["fixture"]
        else:
            assert largest <= TOLERANCE, verdict["fixture"]


@pytest.mark.process
@pytest.mark.needs_r
def test_the_r_twins_port_runs_as_a_command(tmp_path):
    """The other tests run port.R in this worker's R; here it is the Rscript process a porter runs."""
    report = tmp_path / "report.json"
    run = run_conform("--fixtures", FIXTURE_DIR / "layered-xor.json", "--", *TWIN_PORTS["r"], report=report)
    assert run.code == 0, run.out + run.err
    assert run.out.splitlines()[0] == "pass  layered-xor: after 0, 1, 2, 1500 epochs within 1e-12"
    runs = json.loads(report.read_text())["fixtures"][0]["runs"]
    assert [run["epochs"] for run in runs] == [0, 1, 2, 1500] and all(run["status"] == "pass" for run in runs)


@pytest.mark.process
def test_paths_with_spaces_and_quotes_reach_the_port_whole(tmp_path):
    """A fixture under a directory named with a space and quotes; the derived
    copies are kept with --work-dir, also a path with a space."""
    directory = tmp_path / "it's a \"dir\""
    directory.mkdir()
    shutil.copy(FIXTURE_DIR / "stepwise.json", directory / "stepwise.json")
    work = tmp_path / "work dir"
    report = tmp_path / "the report.json"
    run = run_conform("--fixtures", directory / "stepwise.json", "--work-dir", work, "--",
                      *TWIN_PORTS["python"], report=report)
    assert run.code == 0, run.out + run.err
    assert run.out.startswith("pass  stepwise: after 0, 1, 2, 2000 epochs within 1e-12\n")
    schema = Draft202012Validator(json.loads((FIXTURE_DIR / "schema.json").read_text()))
    for epochs in (0, 1, 2):
        derived = json.loads((work / "stepwise" / f"epochs-{epochs}" / "stepwise.json").read_text())
        schema.validate(derived)
        assert derived["hyper"]["epochs"] == epochs and len(derived["expected"]["loss"]) == epochs
        expected = training.train_fixture(directory / "stepwise.json", epochs)
        assert derived["expected"]["loss"] == expected["loss"].tolist()
        assert (work / "stepwise" / "results" / f"epochs-{epochs}" / "stepwise.json").is_file()
    assert json.loads(report.read_text())["fixtures"][0]["path"] == str(directory / "stepwise.json")


@pytest.mark.process
def test_a_port_written_from_the_docs_alone_conforms(tmp_path):
    run = run_conform("--fixtures", "shared_fixtures/xor.json", "--", sys.executable, PORTS / "article_port.py",
                      report=tmp_path / "report.json")
    assert run.code == 0, run.out + run.err
    assert run.out.splitlines() == ["pass  xor: after 0, 1, 2, 3000 epochs within 1e-12",
                                       f"1 of 1 fixtures conform; report: {tmp_path / 'report.json'}"]


# --- the broken ports ---------------------------------------------------------

def broken(port, fixture_name, tmp_path):
    """Run conform on a broken port and one fixture; returns (stdout lines, the fixture's report)."""
    command = ([sys.executable, PORTS / port] if port.endswith(".py")
               else ["env", f"R_LIBS={rbridge.r_libs_path()}", "Rscript", PORTS / port])
    report = tmp_path / "report.json"
    run = run_conform("--fixtures", f"shared_fixtures/{fixture_name}.json", "--", *command, report=report)
    assert run.code == 1, run.out + run.err
    assert run.err == ""
    document = json.loads(report.read_text())
    assert (document["passed"], document["failed"]) == (0, 1)
    lines = run.out.splitlines()
    assert lines[-1] == f"0 of 1 fixtures conform; report: {report}"
    verdict = document["fixtures"][0]
    assert lines[0] == verdict["line"]
    assert verdict["status"] == "fail" and verdict["error"] is None
    return lines[0], verdict


def divergence_at(verdict):
    first = verdict["first_divergence"]
    return first["quantity"], tuple(first["index"]), first["port"], first["reference"]


def epoch_one_deltas(fixture):
    """The article's d_out and d_hid of the first epoch, from the maths in docs/porting.md."""
    X, y, p = fixture["data"]["X"], fixture["data"]["y"], fixture["init"]
    H = 1 / (1 + np.exp(-(X @ p["wh"] + p["bh"])))
    output = 1 / (1 + np.exp(-(H @ p["wout"] + p["bout"])))
    d_out = (y - output) * output * (1 - output)
    return d_out, d_out @ p["wout"].T * H * (1 - H)


@pytest.mark.needs_r
@pytest.mark.process
def test_rowsums_bias_update_of_the_published_r_code(tmp_path):
    line, verdict = broken("rowsums_bias.R", "xor", tmp_path)
    assert line.startswith("FAIL  xor: epoch 1, bh[0, 0]: port=")
    assert verdict["diagnosis"].startswith("only the biases differ after epoch 1 (bh, bout): "
                                           "the bias gradient is summed over the wrong axis")
    assert "rowSums" in verdict["diagnosis"] and "colSums" in verdict["diagnosis"]
    epoch_one = verdict["runs"][1]["max_abs"]
    assert epoch_one["wh"] <= TOLERANCE and epoch_one["wout"] <= TOLERANCE
    assert epoch_one["bh"] > 1e-4 and epoch_one["bout"] > 1e-4
    fixture = read_fixture("xor")
    _, d_hid = epoch_one_deltas(fixture)
    lr, bh = fixture["hyper"]["lr"], fixture["init"]["bh"]
    quantity, index, port, reference = divergence_at(verdict)
    assert abs(port - (bh[0, 0] + lr * d_hid[0].sum())) <= TOLERANCE  # sample 0's deltas, summed over units
    assert abs(reference - (bh[0, 0] + lr * d_hid[:, 0].sum())) <= TOLERANCE  # unit 0's, summed over samples


def test_slope_of_the_pre_activation(tmp_path):
    line, verdict = broken("preactivation_slope.py", "article", tmp_path)
    assert line.startswith("FAIL  article: epoch 1, wh[0, 0]: port=")
    assert verdict["diagnosis"].startswith("the hidden weights differ but the output weights do not (wh, bh after "
                                           "epoch 1): the error sent back to the hidden layer is wrong: the slope "
                                           "was taken of the pre-activation")
    epoch_one = verdict["runs"][1]["max_abs"]
    assert epoch_one["wout"] <= TOLERANCE and epoch_one["bout"] <= TOLERANCE and epoch_one["wh"] > 1e-4


def test_missing_learning_rate(tmp_path):
    line, verdict = broken("missing_lr.py", "article", tmp_path)
    assert line.startswith("FAIL  article: epoch 1, wh[0, 0]: port=")
    assert verdict["diagnosis"] == ("every parameter is off by the same factor: each step after epoch 1 is 10 times "
                                    "the reference's: the learning rate is missing")
    assert line.endswith(" -- " + verdict["diagnosis"])
    init = read_fixture("article")["init"]["wh"][0, 0]
    _, _, port, reference = divergence_at(verdict)
    assert abs(port - (init + (reference - init) / 0.1)) <= TOLERANCE


def test_transposed_initial_weights(tmp_path):
    line, verdict = broken("transposed_init.py", "article", tmp_path)
    assert line.startswith("FAIL  article: epoch 0, wh[0, 1]: port=0.15601864044243652, reference=0.9507143064099162")
    assert verdict["diagnosis"].startswith("the initial weights were read transposed: wh after 0 epochs is init.wh "
                                           "filled column by column")
    init = read_fixture("article")["init"]["wh"]
    assert divergence_at(verdict) == ("wh", (0, 1), diagnose.column_major(init)[0, 1], init[0, 1])
    assert len(verdict["runs"]) == 1  # stopped at the first run that disagrees


def test_floats_written_with_15_significant_digits(tmp_path):
    line, verdict = broken("fifteen_digits.py", "xor", tmp_path)
    assert line.startswith("FAIL  xor: epoch 0, wh[0, 0]: port=0.374540118847362, reference=0.3745401188473625")
    assert verdict["diagnosis"].startswith("float precision loss: the parameters after 0 epochs differ from init by "
                                           "up to ")
    assert "they are init rounded to 15 significant digits; write every double with 17" in verdict["diagnosis"]
    _, _, port, reference = divergence_at(verdict)
    assert port == float(f"{reference:.15g}") and reference == read_fixture("xor")["init"]["wh"][0, 0]
    assert 0 < verdict["runs"][0]["max_abs"]["wh"] < 1e-15  # far inside 1e-12: only the exact check sees it


# --- the other diagnoses, with ports in process -------------------------------

def port_changing(change):
    """A port in process: the Python twin's result for the fixture it is given
    (conform's own reference, trained once per content), passed through
    ``change(fixture, result, epochs)``."""
    def port(fixture_path, result_path):
        fixture = fixtures.read_fixture(fixture_path)
        result = parity.trained(fixture_path, "python")
        change(fixture, result, len(result["loss"]))
        Path(result_path).write_text(results.dumps(result), encoding="utf-8")
    return port


def retrain(fixture, result, epochs, X=None, lr=None, **init):
    """Replace result's params, loss and output with a training on a changed X,
    lr or initial parameter."""
    hyper = {**fixture["hyper"], "lr": fixture["hyper"]["lr"] if lr is None else lr}
    X = fixture["data"]["X"] if X is None else X
    result["params"], result["loss"], result["output"] = training.train_variant(
        fixture["variant"], X, fixture["data"]["y"], {**fixture["init"], **init}, hyper, epochs)


def wh_column_by_column(fixture, result, epochs):
    """wh read column by column and written back the same way: init round-trips, the output does not."""
    retrain(fixture, result, epochs, wh=diagnose.column_major(fixture["init"]["wh"]))
    shape = result["params"]["wh"].shape
    result["params"]["wh"] = result["params"]["wh"].ravel(order="F").reshape(shape)


def after(first_epoch, change):
    """Apply ``change`` only to runs of at least ``first_epoch`` epochs."""
    return lambda fixture, result, epochs: change(fixture, result, epochs) if epochs >= first_epoch else None


def shift(*names):
    def change(fixture, result, epochs):
        for name in names:
            result["params"][name] = result["params"][name] + 1e-6 * np.arange(1, result["params"][name].size + 1
                                                                                 ).reshape(result["params"][name].shape)
    return change


DIAGNOSES = {
    "lr applied twice": ("xor", lambda f, r, e: retrain(f, r, e, lr=f["hyper"]["lr"] ** 2),
                         "epoch 1, wh[0, 0]", "each step after epoch 1 is 0.5 times the reference's: "
                                              "the learning rate is applied twice"),
    "gradient of the mean": ("article", lambda f, r, e: retrain(f, r, e, lr=f["hyper"]["lr"] / 3),
                             "epoch 1, wh[0, 0]", "is 0.333333 times the reference's: the gradient of the mean "
                                                  "is taken, not of the sum"),
    "uphill": ("stepwise", lambda f, r, e: retrain(f, r, e, lr=-f["hyper"]["lr"]),
               "epoch 1, weights_input_hidden[0, 0]", "is -1 times the reference's: the step goes uphill"),
    "layered sum": ("layered-xor", lambda f, r, e: retrain(f, r, e, lr=4 * f["hyper"]["lr"]),
                    "epoch 1, W1[0, 0]", "is 4 times the reference's: the gradients are summed over the samples, "
                                         "not averaged"),
    "X column by column": ("article", lambda f, r, e: retrain(f, r, e, X=diagnose.column_major(f["data"]["X"])),
                           "epoch 0, output[0, 0]", "the outputs at epoch 0 already differ: the data layout is wrong: "
                                                    "the reference with X filled column by column gives the port's"),
    "wh column by column": ("wide", wh_column_by_column, "epoch 0, output[0, 0]",
                            "the outputs at epoch 0 already differ: the initial weights were read transposed: the "
                            "reference with wh filled column by column gives the port's output"),
    "forward pass": ("xor", lambda f, r, e: r.update(output=r["output"] * 0.9),
                     "epoch 0, output[0, 0]", "the outputs at epoch 0 already differ: the initial weights were read "
                                              "transposed, or the data layout is wrong"),
    "float32": ("layered-xor", lambda f, r, e: r["params"].update(
                    {name: value.astype(np.float32).astype(float) for name, value in r["params"].items()}),
                "epoch 0, W1[0, 0]", "they are init in single precision (float32)"),
    "init changed": ("xor", after(0, shift("bout")), "epoch 0, bout[0, 0]",
                     "the parameters after 0 epochs are not init: with 0 epochs nothing trains"),
    "layered biases": ("layered-xor", after(1, shift("b1", "b2")), "epoch 1, b1[0, 0]",
                       "only the biases differ after epoch 1 (b1, b2), not by one factor, and not summed over the "
                       "wrong axis, whose sum would be 1×4 where the biases are 3×1 and 1×1: check the bias step: "
                       "sum each neuron's dZ over the samples, which are columns here"),
    "stepwise hidden": ("stepwise", after(1, shift("weights_input_hidden")), "epoch 1, weights_input_hidden[0, 0]",
                        "the hidden weights differ but the output weights do not (weights_input_hidden after epoch 1)"
                        ": the error sent back to the hidden layer is wrong: the slope was taken of the "
                        "pre-activation (H ∘ (1 − H)"),
    "layered hidden": ("layered-xor", after(1, shift("W1")), "epoch 1, W1[0, 0]",
                       "the hidden weights differ but the output weights do not (W1 after epoch 1): the error sent "
                       "back to the hidden layer is wrong: the slope was taken at the wrong point"),
    "output layer": ("article", after(1, shift("wout", "wh")), "epoch 1, wh[0, 0]",
                     "after epoch 1, wh, wout differ, the output layer's among them: the output layer's step is "
                     "already wrong: check d_out = (y − output) ∘ output ∘ (1 − output)"),
    "stale output": ("xor", lambda f, r, e: r.update(output=training.train_variant(
                         f["variant"], f["data"]["X"], f["data"]["y"], f["init"], f["hyper"], max(e - 1, 0))[2]),
                     "epoch 1, output[0, 0]", "the parameters agree but the output is the last epoch's forward pass, "
                                              "before its update"),
    "loss summed": ("article", lambda f, r, e: r.update(loss=r["loss"] * 3), "epoch 0, loss[0]",
                    "only the loss differs: the loss is summed over the samples, not averaged; loss[i] is the mean "
                    "over the samples of ½(y − output)²"),
    "loss without ½": ("stepwise", lambda f, r, e: r.update(loss=r["loss"] * 2), "epoch 0, loss[0]",
                       "only the loss differs: the ½ is missing"),
    "loss after update": ("layered-xor", lambda f, r, e: r.update(loss=training.train_variant(
                              f["variant"], f["data"]["X"], f["data"]["y"], f["init"], f["hyper"], e + 1)[1][1:]),
                          "epoch 0, loss[0]", "only the loss differs: each loss is taken after the update"),
    "epoch 2": ("xor", after(2, shift("wh", "bh", "wout", "bout")), "epoch 2, wh[0, 0]",
                "epoch 1 agrees but epoch 2 does not: the second epoch does not start from the parameters"),
    "full run": ("iris", after(3, lambda f, r, e: r["loss"].__setitem__(slice(3, None), r["loss"][3:] + 1e-9)),
                 "epoch 3, loss[3]",
                 "epochs 0, 1 and 2 agree but the full run does not (loss)"),
}


@pytest.mark.parametrize("case", sorted(DIAGNOSES))
def test_diagnosis(case, tmp_path):
    name, change, where, diagnosis = DIAGNOSES[case]
    verdict = conform.run_port_on_fixture(FIXTURE_DIR / f"{name}.json", port_changing(change), tmp_path)
    assert not verdict.ok
    assert verdict.line().startswith(f"FAIL  {name}: {where}: port=")
    assert diagnosis in verdict.diagnosis
    assert verdict.line().endswith(f" -- {verdict.diagnosis}")


def writing(text_of):
    """A port in process that writes ``text_of(result document)`` (None: writes nothing), the document
    being the Python twin's result (conform's own reference, trained once per content)."""
    def port(fixture_path, result_path):
        document = json.loads(results.dumps(parity.trained(fixture_path, "python")))
        text = text_of(document)
        if text is not None:
            Path(result_path).write_text(text, encoding="utf-8")
    return port


def edited(edit):
    """A port in process that writes the result document after ``edit(document)``."""
    def text_of(document):
        edit(document)
        return json.dumps(document)
    return writing(text_of)


BAD_RESULTS = {
    "no file": (writing(lambda document: None), "the port wrote no result file"),
    "not JSON": (writing(lambda document: "{'schema': 1}"), "the result is not valid JSON: Expecting property name"),
    "NaN": (writing(lambda document: json.dumps(document).replace("[]", "[NaN]")),
            "the result is not valid JSON: NaN is not a JSON number"),
    "array": (writing(lambda document: "[1, 2]"), "the result is not a JSON object"),
    "extra key": (edited(lambda document: document.update(variant="article")),
                  "the result does not follow result.schema.json at $: Additional properties are not allowed "
                  "('variant' was unexpected)"),
    "language": (edited(lambda document: document.update(language="Python 3")),
                 "the result does not follow result.schema.json at $.language: 'Python 3' does not match"),
    "string number": (edited(lambda document: document["params"]["bout"][0].__setitem__(0, "0.5")),
                      "the result does not follow result.schema.json at $.params.bout[0][0]: '0.5' is not of type "
                      "'number'"),
    "loss string": (edited(lambda document: document.update(loss=[0.5, "0.5"])),
                    "the result does not follow result.schema.json at $.loss[1]: '0.5' is not of type 'number'"),
    "loss true": (edited(lambda document: document.update(loss=[0.5, True])),
                  "the result does not follow result.schema.json at $.loss[1]: True is not of type 'number'"),
    "params names": (edited(lambda document: document["params"].pop("bout")),
                     "params: expected wh, bh, wout, bout, got wh, bh, wout"),
    "fixture name": (edited(lambda document: document.update(fixture="xor")),
                     "fixture: expected 'article', got 'xor'"),
    "transposed": (edited(lambda document: document["params"].update(wh=np.array(document["params"]["wh"]).T.tolist())),
                   "params.wh: expected 4x3, got 3x4 (transposed)"),
    "ragged": (edited(lambda document: document["params"]["wh"][1].pop()), "params.wh: rows of different lengths"),
    "loss length": (edited(lambda document: document["loss"].append(0.5)),
                    "loss: expected 0 numbers, one per epoch, got 1"),
    "overflow": (writing(lambda document: json.dumps(document).replace(str(document["output"][0][0]), "1e400")),
                 "output: expected finite numbers only"),
}


@pytest.mark.parametrize("case", sorted(BAD_RESULTS))
def test_a_bad_result_is_one_clear_line(case, tmp_path):
    port, message = BAD_RESULTS[case]
    verdict = conform.run_port_on_fixture(FIXTURE_DIR / "article.json", port, tmp_path)
    assert not verdict.ok and verdict.diagnosis is None and len(verdict.runs) == 1
    assert verdict.line().startswith(f"FAIL  article: run with 0 epochs: {message}")
    assert "\n" not in verdict.line()


# --- the command --------------------------------------------------------------

FAILING_PORT = "import sys, pathlib; sys.exit('boom: cannot train ' + pathlib.Path(sys.argv[1]).name)"


@pytest.mark.process
def test_a_port_that_fails_or_cannot_start_is_a_failure_line(tmp_path):
    report = tmp_path / "report.json"
    run = run_conform("--fixtures", "shared_fixtures/xor.json", "--fixtures", "shared_fixtures/stepwise.json",
                      "--", sys.executable, "-c", FAILING_PORT, report=report)
    assert run.code == 1 and run.err == ""
    failure = "run with 0 epochs: the port exited with status 1: boom: cannot train"
    assert run.out.splitlines() == [f"FAIL  stepwise: {failure} stepwise.json", f"FAIL  xor: {failure} xor.json",
                                       f"0 of 2 fixtures conform; report: {report}"]
    verdict = json.loads(report.read_text())["fixtures"][1]
    assert verdict["error"] == "the port exited with status 1: boom: cannot train xor.json"
    assert verdict["diagnosis"] is None and [run["status"] for run in verdict["runs"]] == ["error"]
    run = run_conform("--fixtures", "shared_fixtures/xor.json", "--", "no-such-port", "--flag", report=report)
    assert run.code == 1
    assert run.out.splitlines()[0] == ("FAIL  xor: run with 0 epochs: cannot run 'no-such-port': "
                                          "No such file or directory")


def test_no_matching_fixture_exits_2(tmp_path):
    run = run_conform("--fixtures", "shared_fixtures/nothing*.json", "--", "true", report=tmp_path / "report.json")
    assert (run.code, run.out) == (2, "")
    assert run.err == ("twinnet: E_USAGE: --fixtures shared_fixtures/nothing*.json: no fixture file matches "
                       "(packaged: article, iris, layered-xor, stepwise, wide, xor)\n")
    assert not (tmp_path / "report.json").exists()


# --- process hygiene ------------------------------------------------------------

NODE_LIKE_PORT = """
import sys
print("training", sys.argv[1])
sys.stderr.write("/ports/port.js:10\\n    throw new Error('boom');\\n    ^\\n\\nError: boom: cannot parse hyper.lr\\n"
                 "    at Object.<anonymous> (/ports/port.js:10:11)\\n\\nNode.js v20.20.2\\n")
sys.exit(1)
"""


@pytest.mark.process
def test_the_ports_own_error_line_is_shown_and_its_output_kept(tmp_path):
    report, work = tmp_path / "report.json", tmp_path / "work"
    run = run_conform("--fixtures", "shared_fixtures/xor.json", "--work-dir", work, "--",
                      sys.executable, "-c", NODE_LIKE_PORT, report=report)
    assert run.code == 1
    assert run.out.splitlines()[0] == ("FAIL  xor: run with 0 epochs: the port exited with status 1: "
                                          "Error: boom: cannot parse hyper.lr")
    failed = json.loads(report.read_text())["fixtures"][0]["runs"][0]
    assert failed["stdout"].startswith("training ") and failed["stderr"].endswith("Node.js v20.20.2\n")
    kept = work / "xor" / "results" / "epochs-0"
    assert (kept / "xor.json.stderr").read_text() == failed["stderr"]
    assert (kept / "xor.json.stdout").read_text() == failed["stdout"]


def test_long_output_is_tail_capped():
    assert len(run.tail("x" * (run.OUTPUT_TAIL * 3))) == run.OUTPUT_TAIL + 3
    assert run.stderr_line("a\nb\nExecution halted\n") == ": b"
    assert run.stderr_line("Traceback (most recent call last):\n  x\nValueError: bad\n") == ": ValueError: bad"
    assert run.stderr_line("noise\ntwinnet: E_JSON: x.json: not valid JSON\nmore") == \
        ": twinnet: E_JSON: x.json: not valid JSON"


SLEEPING_PORT = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
with open(os.path.join(sys.argv[1], f"pids-{os.getpid()}"), "w") as handle:
    handle.write(f"{os.getpid()} {child.pid}")
time.sleep(120)
"""


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.process
def test_a_signal_stops_the_ports_and_removes_the_temporary_directory(signum, tmp_path):
    marks, temp = tmp_path / "marks", tmp_path / "tmp"
    marks.mkdir()
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    conform_run = subprocess.Popen([sys.executable, "-m", "twinnet", "conform", "--report", str(tmp_path / "r.json"),
                                    "--fixtures", "shared_fixtures/xor.json", "--fixtures",
                                    "shared_fixtures/article.json", "--jobs", "2", "--", sys.executable, "-c",
                                    SLEEPING_PORT, str(marks)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(list(marks.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    pids = [int(pid) for mark in marks.iterdir() for pid in mark.read_text().split()]
    assert len(pids) == 4 and all(map(_alive, pids))
    conform_run.send_signal(signum)
    stdout, stderr = conform_run.communicate(timeout=60)
    assert conform_run.returncode == 128 + signum
    assert stderr == (f"twinnet: conform stopped by {signal.Signals(signum).name}: the port's processes are killed, "
                      "its temporary directory is removed\n")
    assert "Traceback" not in stderr and stdout == ""
    time.sleep(0.5)
    assert not any(map(_alive, pids))
    assert list(temp.iterdir()) == [] and not (tmp_path / "r.json").exists()


@pytest.mark.process
def test_a_timeout_kills_the_ports_whole_process_group(tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    report = tmp_path / "report.json"
    run = run_conform("--fixtures", "shared_fixtures/xor.json", "--timeout", "3", "--", sys.executable, "-c",
                      SLEEPING_PORT, marks, report=report)
    assert run.code == 1
    assert run.out.splitlines()[0] == "FAIL  xor: run with 0 epochs: the port did not finish within 3 s"
    pids = [int(pid) for mark in marks.iterdir() for pid in mark.read_text().split()]
    time.sleep(0.5)
    assert len(pids) == 2 and not any(map(_alive, pids))


# --- what a porter should not have to guess -------------------------------------

def port_with(mistake):
    """A port in process: the reference's training with ``mistake`` of twinnet.mistakes switched on."""
    def change(fixture, result, epochs):
        data = fixture["data"]
        result["params"], result["loss"], result["output"] = mistakes.train_variant_with(
            fixture["variant"], data["X"], data["y"], fixture["init"], fixture["hyper"], epochs, [mistake])
    return port_changing(change)


FACTOR_MISTAKES = {
    ("xor", "hidden-lr-twice"): "only the hidden layer's parameters differ after epoch 1 (wh, bh), each step 0.5 = lr",
    ("iris", "hidden-lr-twice"): "only the hidden layer's parameters differ after epoch 1 (wh, bh), each step 0.01",
    ("stepwise", "hidden-lr-twice"): "only the hidden layer's parameters differ after epoch 1 (weights_input_hidden)",
    ("layered-xor", "hidden-lr-twice"): "only layer 1's parameters differ after epoch 1 (W1, b1), each step 0.1 = lr",
    ("xor", "bias-mean"): "only the biases differ after epoch 1 (bh, bout), each step 0.25 = lr² = 1/n times",
    ("iris", "bias-mean"): "only the biases differ after epoch 1 (bh, bout), each step 0.00666667 = 1/n times",
    ("wide", "bias-mean"): "only the biases differ after epoch 1 (bh, bout), each step 0.00390625 = 1/n times",
    ("layered-xor", "bias-sum"): "only the biases differ after epoch 1 (b1, b2), each step 4 = m times",
}


@pytest.mark.parametrize("name, mistake", sorted(FACTOR_MISTAKES))
def test_a_factor_on_one_layer_or_on_the_biases_is_named_and_confirmed_by_replay(name, mistake, tmp_path):
    verdict = conform.run_port_on_fixture(FIXTURE_DIR / f"{name}.json", port_with(mistake), tmp_path)
    assert not verdict.ok and verdict.runs[-1].label == "epochs-1"
    assert verdict.diagnosis.startswith(FACTOR_MISTAKES[name, mistake]), verdict.diagnosis
    says = mistakes.MISTAKES[mistake].says
    assert f": {says}, entering at Step " in verdict.diagnosis
    assert "(confirmed by replay: the reference's epoch with mistake " in verdict.diagnosis
    assert "wrong axis" not in verdict.diagnosis and "pre-activation" not in verdict.diagnosis


@pytest.mark.parametrize("signum, words", [(signal.SIGSEGV, "SIGSEGV (segmentation fault)"),
                                           (signal.SIGABRT, "SIGABRT (abort)"),
                                           (signal.SIGKILL, "SIGKILL (out of memory?)")])
@pytest.mark.process
def test_a_port_killed_by_a_signal_is_named_by_the_signal(signum, words, tmp_path):
    port = run.command_port([sys.executable, "-c", f"import os; os.kill(os.getpid(), {int(signum)})"])
    assert port(FIXTURE_DIR / "xor.json", tmp_path / "result.json") == f"the port was killed by {words}"
    assert run.exit_words(-200) == "the port was killed by signal 200"


def conform_in_process(tmp_path, *argv):
    """``twinnet conform ARGV...`` in process, in an empty current folder; returns (status, stdout lines)."""
    folder = tmp_path / "cwd"
    folder.mkdir(exist_ok=True)
    run = run_cli("conform", *argv, cwd=folder)
    assert list(folder.iterdir()) == [], "conform wrote into the current folder"
    return run.code, run.out.splitlines()


def test_conform_writes_no_report_unless_asked(tmp_path):
    status, lines = conform_in_process(tmp_path, "--fixtures", FIXTURE_DIR / "xor.json", "--",
                                       sys.executable, PORTS / "article_port.py")
    assert status == 0 and lines == ["pass  xor: after 0, 1, 2, 3000 epochs within 1e-12", "1 of 1 fixtures conform"]


def test_conform_counts_the_trace_it_used_and_suggests_names(tmp_path):
    port = tmp_path / "port.py"
    template = exercises.template("article", "python")
    assert template.count('"d_output", d_output)') == 1
    port.write_text(template.replace('"d_output", d_output)', '"d_out", d_output)'), encoding="utf-8")
    args = ("--fixtures", FIXTURE_DIR / "xor.json", "--", sys.executable, port)
    status, lines = conform_in_process(tmp_path, *args)
    trace_line = "      trace: 24 of 25 quantities matched; unknown: `d_out` (Step 7; did you mean `d_output`?)"
    assert status == 0 and lines[1:] == [trace_line, "1 of 1 fixtures conform"]
    status, lines = conform_in_process(tmp_path, "--strict-trace", *args)
    assert status == 1 and lines[1:] == [trace_line, "FAIL  xor: --strict-trace: the trace has unknown names",
                                         "0 of 1 fixtures conform"]


def test_conform_report_refuses_a_symlink_to_a_fixture_and_leaves_it_alone(tmp_path):
    fixture = tmp_path / "xor.json"
    fixture.write_bytes((FIXTURE_DIR / "xor.json").read_bytes())
    before = fixture.read_bytes()
    link = tmp_path / "report.json"
    link.symlink_to(fixture)
    result = run_conform("--fixtures", str(fixture), "--", sys.executable, str(PORTS / "article_port.py"),
                         report=str(link))
    assert result.code == 2 and result.err.count("\n") == 1  # refused before the port runs
    assert f"{link}: refusing to overwrite a fixture" in result.err and "E_OUTPUT" in result.err
    assert fixture.read_bytes() == before and link.is_symlink()


def test_conform_report_refuses_a_device(tmp_path):
    result = run_conform("--fixtures", str(FIXTURE_DIR / "xor.json"), "--", sys.executable,
                         str(PORTS / "article_port.py"), report="/dev/full")
    assert result.code == 2 and "E_OUTPUT" in result.err
    assert "/dev/full: refusing to replace something that is not a regular file" in result.err


def test_fixtures_may_be_named_as_elsewhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no file called xor here: the packaged fixture is meant
    run = run_cli("conform", "--fixtures", "xor", "--", sys.executable, str(PORTS / "article_port.py"))
    assert run.code == 0 and run.out.splitlines() == ["pass  xor: after 0, 1, 2, 3000 epochs within 1e-12",
                                                      "1 of 1 fixtures conform"]
