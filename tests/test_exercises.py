"""The exercises of docs/exercises/: generated from the templates and current;
conform fails every exercise with the diagnosis its answer gives, and passes
every exercise once fixed; ``twinnet exercise N [--port FILE]`` says so."""


import pytest
from conftest import ROOT, run_cli

from twinnet.ports import exercises

DIRECTORY = ROOT / "docs" / "exercises"
# an exercise in R runs Rscript: it needs R
NUMBERS = [pytest.param(exercise.number, marks=[pytest.mark.needs_r] if exercise.language == "r" else [])
           for exercise in exercises.EXERCISES]


def test_the_committed_exercises_are_a_fresh_generation():
    assert exercises.stale(ROOT) == [], "run make exercises"


def test_at_least_eight_exercises_in_both_languages_with_the_texts_own_mistakes():
    assert len(exercises.EXERCISES) >= 8
    assert {exercise.language for exercise in exercises.EXERCISES} == {"python", "r"}
    assert {"lr-twice", "rowsums-bias", "sigmoid-misprint"} <= {exercise.mistake for exercise in exercises.EXERCISES}
    names = [exercise.file_name for exercise in exercises.EXERCISES]
    assert len(set(names)) == len(names)
    for exercise in exercises.EXERCISES:  # the file name says nothing of the mistake
        assert exercise.file_name == f"exercise-{exercise.number:02d}{exercises.EXTENSIONS[exercise.language]}"
        assert exercise.mistake.split("-")[0] not in exercise.file_name
    sheet = (DIRECTORY / "README.md").read_text(encoding="utf-8")
    answers = (DIRECTORY / "answers.md").read_text(encoding="utf-8")
    for exercise in exercises.EXERCISES:
        assert f"## Exercise {exercise.number}: `{exercise.file_name}`" in sheet
        assert exercise.question in sheet and exercise.answer not in sheet
        assert exercise.answer in answers and exercise.diagnosis in answers


@pytest.mark.parametrize("number", NUMBERS)
def test_conform_fails_the_exercise_with_the_answers_diagnosis(number, tmp_path):
    exercise = exercises.find(number)
    verdict = exercises.check(exercise, DIRECTORY / exercise.file_name, tmp_path)
    assert not verdict.ok
    assert verdict.runs[-1].error is None, verdict.line()
    assert exercise.diagnosis in verdict.diagnosis, verdict.diagnosis
    assert (verdict.step.step, verdict.step.title) == exercise.step, verdict.diagnosis  # named from the trace
    assert verdict.diagnosis.startswith(f"Step {exercise.step[0]}, {exercise.step[1]}: ")


@pytest.mark.parametrize("number", NUMBERS)
def test_conform_passes_the_fixed_exercise(number, tmp_path):
    exercise = exercises.find(number)
    broken = (DIRECTORY / exercise.file_name).read_text(encoding="utf-8")
    fixed = broken
    for old, new in reversed(exercises.MISTAKES[exercise.mistake].edits[exercise.language]):
        fixed = fixed.replace(new, old, 1) if new else fixed
    if not all(new for _, new in exercises.MISTAKES[exercise.mistake].edits[exercise.language]):
        fixed = exercises.fixed_source(exercise)  # an edit that deletes a line cannot be undone by text alone
    assert fixed == exercises.fixed_source(exercise) and fixed != broken
    port = tmp_path / f"mine{exercises.EXTENSIONS[exercise.language]}"
    port.write_text(fixed, encoding="utf-8")
    verdict = exercises.check(exercise, port, tmp_path / "work")
    assert verdict.ok, verdict.line()


@pytest.mark.parametrize("number", [number for number in NUMBERS if number.values[0] in (1, 2)])
def test_a_learner_checks_an_exercise_and_a_fixed_copy_from_the_command_line(number, tmp_path):
    exercise = exercises.find(number)
    run = run_cli("exercise", number)
    assert run.code == 1, run.out + run.err
    first, second = run.out.splitlines()
    assert first.startswith(f"FAIL  {exercise.fixture}: ") and exercise.diagnosis in first
    assert second.startswith(f"Exercise {number}: ") and "does not conform yet" in second
    mine = tmp_path / f"mine{exercises.EXTENSIONS[exercise.language]}"
    mine.write_text(exercises.fixed_source(exercise), encoding="utf-8")
    run = run_cli("exercise", number, "--port", mine)
    assert run.code == 0, run.out + run.err
    assert run.out.splitlines() == [f"pass  {exercise.fixture}: after 0, 1, 2, "
                                       f"{'5000' if exercise.fixture == 'article' else '3000'} epochs within 1e-12",
                                       f"Exercise {number}: {mine} conforms. Well done."]


def test_an_unknown_exercise_or_a_missing_copy_exits_2(tmp_path):
    run = run_cli("exercise", "99")
    assert run.code == 2 and "invalid choice: 99" in run.err
    run = run_cli("exercise", "1", "--port", tmp_path / "none.py")
    assert run.code == 2 and run.err == f"twinnet: E_IO: {tmp_path / 'none.py'}: no such file\n"
