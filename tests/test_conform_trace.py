"""Step-level conformance from a port's own trace (TWINNET_TRACE, docs/porting.md
"Traces"): a correct port's trace equals the reference's quantity by quantity;
for each classic mistake, written into the Python and the R port, conform names
the exact step, the quantity and both values; a port without a trace, or with
an unusable one, keeps the inferred diagnosis."""

import json
import sys

import numpy as np
import pytest
from conftest import FIXTURE_DIR, ROOT, run_cli

from twinnet.ports import conform, exercises, run
from twinnet.ports import steptrace as trace

LANGUAGES = ("python", "r")
FIXTURE_OF = {"article": "xor", "layered": "layered-xor"}
# the mistakes the issue names, and the step each must be found at
NAMED = {
    "transposed-init": (1, "initialize weights and biases", "wh"),
    "lr-twice": (7, "delta at the output layer", "d_output"),
    "biases-never-updated": (11, "bias slopes", "updated.bh"),
    "stale-wout": (8, "error at the hidden layer", "error_at_hidden_layer"),
    "preactivation-slope": (6, "slopes at the output and hidden layers", "slope_hidden_layer"),
    "missing-1/m": (3, "backpropagation", "layer2.dW"),
    "fifteen-digits": (1, "initialize weights and biases", "wh"),
}


def port_file(tmp_path, text, language):
    path = tmp_path / f"port{exercises.EXTENSIONS[language]}"
    path.write_text(text, encoding="utf-8")
    return path


def write_trace(port, fixture_name, tmp_path):
    """Run a port on a fixture with TWINNET_TRACE set; returns the trace's entries."""
    target = tmp_path / "trace.json"
    failure = run.command_port(exercises.port_command(port))(FIXTURE_DIR / f"{fixture_name}.json",
                                                             tmp_path / "r.json", target)
    assert failure is None
    return trace.read_trace(target)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("variant", sorted(FIXTURE_OF))
def test_a_correct_ports_trace_is_the_reference_quantity_by_quantity(variant, language, tmp_path):
    port = port_file(tmp_path, exercises.template(variant, language), language)
    entries = write_trace(port, FIXTURE_OF[variant], tmp_path)
    reference = trace.reference_trace(FIXTURE_DIR / f"{FIXTURE_OF[variant]}.json")
    assert [(entry.step, entry.name) for entry in entries] == [(entry.step, entry.name) for entry in reference]
    assert trace.first_divergence(entries, reference, variant) is None
    for got, want in zip(entries, reference, strict=True):
        assert got.value.shape == want.value.shape
        assert np.max(np.abs(got.value - want.value)) <= 1e-12, (got.step, got.name)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("mistake", sorted(NAMED))
def test_conform_names_the_step_of_each_mistake_from_the_trace(mistake, language, tmp_path):
    step, title, name = NAMED[mistake]
    variant = exercises.MISTAKES[mistake].variant
    port = port_file(tmp_path, exercises.broken_source(mistake, language), language)
    report = tmp_path / "report.json"
    run = run_cli("conform", "--report", report, "--fixtures", f"shared_fixtures/{FIXTURE_OF[variant]}.json", "--",
                  *exercises.port_command(port))
    assert run.code == 1, run.out + run.err
    verdict = json.loads(report.read_text())["fixtures"][0]
    first = verdict["first_step"]
    assert (first["step"], first["title"], first["name"]) == (step, title, name), verdict["line"]
    reference = next(entry for entry in trace.reference_trace(FIXTURE_DIR / f"{FIXTURE_OF[variant]}.json")
                     if (entry.step, entry.name) == (step, name))
    assert first["reference"] == reference.value[tuple(first["index"])]
    assert first["port"] != first["reference"]
    index = ", ".join(map(str, first["index"]))
    expected = f"Step {step}, {title}: {name}[{index}] port={first['port']!r}, reference={first['reference']!r}"
    assert verdict["diagnosis"].startswith(f"{expected} is the first traced value that differs; ")
    assert f" -- {expected} is the first traced value" in run.out


def test_a_port_without_a_trace_keeps_the_inferred_diagnosis(tmp_path):
    verdict = conform.run_port_on_fixture(FIXTURE_DIR / "xor.json",
                                    run.command_port([sys.executable, str(ROOT / "tests/ports/missing_lr.py")]),
                                    tmp_path)
    assert verdict.step is None
    assert verdict.diagnosis.startswith("every parameter is off by the same factor")


@pytest.mark.parametrize("content, message", [
    ("not json", "the trace is not valid JSON"),
    ('{"schema": "other"}', "the trace does not follow trace.schema.json at $"),
    ('{"schema": "twinnet-trace/1", "fixture": "xor", "variant": "article", "language": "c", "epoch": 1, '
     '"quantities": [{"step": "7", "title": "t", "name": "E", "shape": [1, 1], "values": [[1]]}]}',
     "the trace does not follow trace.schema.json at $.quantities[0].step: '7' is not of type 'integer'"),
    ('{"schema": "twinnet-trace/1", "fixture": "xor", "variant": "article", "language": "c", "epoch": 1, '
     '"quantities": [{"step": 7, "title": "t", "name": "E", "shape": [2, 2], "values": [[1], [1, 2]]}]}',
     "the trace has a matrix with rows of different lengths"),
])
def test_an_unusable_trace_is_refused_in_one_line_and_ignored(content, message, tmp_path):
    path = tmp_path / "trace.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(trace.TraceError) as caught:
        trace.read_trace(path)
    assert str(caught.value).startswith(message)
    assert trace.traced_step(FIXTURE_DIR / "xor.json", "article", path) is None


@pytest.mark.needs_r
def test_the_twins_own_traces_are_a_ports_trace(tmp_path):
    """twinnet trace --format json writes what a port writes: conform's reference is the Python twin's."""
    target = tmp_path / "trace.json"
    run = run_cli("trace", FIXTURE_DIR / "xor.json", "--lang", "r", "--format", "json")
    assert run.code == 0, run.err
    target.write_text(run.out, encoding="utf-8")
    entries = trace.read_trace(target)
    assert len(entries) == len(trace.reference_trace(FIXTURE_DIR / "xor.json"))
    assert trace.traced_step(FIXTURE_DIR / "xor.json", "article", target) is None


def test_a_wrongly_shaped_traced_value_is_named_at_its_step():
    reference = trace.reference_trace(FIXTURE_DIR / "xor.json")
    port = [trace.Entry(entry.step, entry.name, entry.value.T if entry.name == "E" else entry.value)
            for entry in reference]
    found = trace.first_divergence(port, reference, "article")
    assert (found.step, found.title, found.name, found.index) == (5, "error at the output layer", "E", (0, 0))
    assert str(found) == "Step 5, error at the output layer: E: expected 4×1, got 1×4"


def test_the_trace_use_counts_matches_and_names_each_unknown_name_with_a_suggestion():
    reference = trace.reference_trace(FIXTURE_DIR / "xor.json")
    renamed = {(7, "d_output"): (7, "d_outptu"), (5, "E"): (6, "E")}
    port = [trace.Entry(*renamed.get((entry.step, entry.name), (entry.step, entry.name)), entry.value)
            for entry in reference]
    use = trace.trace_use(port, reference)
    assert (use.matched, use.total) == (len(reference) - 2, len(reference))
    assert use.unknown == [(6, "E", "`E` at Step 5"), (7, "d_outptu", "`d_output`")]
    assert str(use) == (f"trace: {len(reference) - 2} of {len(reference)} quantities matched; unknown: "
                        "`E` (Step 6; did you mean `E` at Step 5?), `d_outptu` (Step 7; did you mean `d_output`?)")
    nothing = trace.trace_use([trace.Entry(99, "zz", entry.value) for entry in reference[:1]], reference)
    assert (nothing.matched, str(nothing)) == (0, f"trace: 0 of {len(reference)} quantities matched; unknown: "
                                                  "`zz` (Step 99)")
