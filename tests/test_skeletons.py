"""Fill-in skeletons (docs/skeletons/): the article twin with the code of chosen
steps replaced by TODO, plus a port harness.  They are a fresh generation;
outside the TODO lines they are the twin; with the twin's code put back they
conform and write a complete trace; with TODOs left conform says which step is
still TODO; with a mistake filled in conform names its step from the trace."""

import sys

import pytest
from conftest import FIXTURE_DIR, ROOT

from twinnet.ports import conform, run, skeletons, steptrace

LANGUAGES = ("python", "r")


def command(path):
    return [sys.executable, str(path)] if path.suffix == ".py" else ["Rscript", str(path)]


def test_the_committed_skeletons_are_a_fresh_generation():
    assert skeletons.stale(ROOT) == [], "run make exercises"


@pytest.mark.parametrize("language", LANGUAGES)
def test_outside_the_todo_lines_the_skeleton_is_the_twin(language):
    twin = skeletons.twin_source(language).splitlines()
    filled = skeletons.with_todos(language).splitlines()
    changed = [(old, new) for old, new in zip(twin, filled, strict=True) if old != new]
    assert len(changed) == 5  # Step 6: two slopes; Steps 7, 8, 9: one each
    assert all('TODO("Step ' in new for _, new in changed)
    assert [new.split('TODO("')[1].split(",")[0] for _, new in changed] == ["Step 6", "Step 6", "Step 7", "Step 8",
                                                                            "Step 9"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_skeleton_with_todos_left_fails_naming_the_todo_step(language, tmp_path):
    path = ROOT / skeletons.DIRECTORY / f"article{skeletons.EXTENSIONS[language]}"
    verdict = conform.run_port_on_fixture(FIXTURE_DIR / "xor.json", run.command_port(command(path)), tmp_path)
    assert [run.status for run in verdict.runs] == ["pass", "error"]
    assert verdict.runs[-1].error.endswith("TODO Step 6, slopes at the output and hidden layers: fill in this step")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_skeleton_filled_in_conforms_and_writes_a_complete_trace(language, tmp_path):
    path = tmp_path / f"mine{skeletons.EXTENSIONS[language]}"
    path.write_text(skeletons.skeleton(language, solved=True), encoding="utf-8")
    verdict = conform.run_port_on_fixture(FIXTURE_DIR / "xor.json", run.command_port(command(path)), tmp_path / "w")
    assert verdict.ok, verdict.line()
    # the trace is of the first epoch: asked for on article cut to that epoch, as conform asks for it
    article = conform.derive(FIXTURE_DIR / "article.json", steptrace.TRACED_EPOCH, tmp_path / "traced")
    trace = tmp_path / "trace.json"
    assert run.command_port(command(path))(article, tmp_path / "result.json", trace) is None
    entries = steptrace.read_trace(trace)
    reference = steptrace.reference_trace(FIXTURE_DIR / "article.json")
    assert [(entry.step, entry.title, entry.name) for entry in entries] == [
        (entry.step, entry.title, entry.name) for entry in reference]
    assert steptrace.first_divergence(entries, reference, "article") is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_mistake_filled_in_is_named_at_its_step(language, tmp_path):
    right = {"python": "    d_output = E * slope_output_layer\n",
             "r": "  d_output <- E * slope_output_layer\n"}[language]
    text = skeletons.skeleton(language, solved=True)
    assert text.count(right) == 1
    path = tmp_path / f"mine{skeletons.EXTENSIONS[language]}"
    path.write_text(text.replace(right, right.replace(" * slope_output_layer", "")), encoding="utf-8")
    verdict = conform.run_port_on_fixture(FIXTURE_DIR / "xor.json", run.command_port(command(path)), tmp_path / "w")
    assert (verdict.step.step, verdict.step.title, verdict.step.name) == (7, "delta at the output layer", "d_output")
