"""The exercises of docs/exercises/: generated from the templates and current;
conform fails every exercise on each of its fixtures, with the diagnosis its
answer gives, and passes every exercise once fixed, but not a copy fixed by
accident; ``twinnet exercise`` lists, ``exercise N`` asks without telling,
``--hint`` and ``--hint 2`` hint, ``--check FILE`` checks, ``--answer`` tells."""

import re

import pytest
from conftest import FIXTURE_DIR, ROOT

from twinnet import cli, fixtures, training
from twinnet.ports import conform, exercises

DIRECTORY = ROOT / "docs" / "exercises"
NUMBERS = [exercise.number for exercise in exercises.EXERCISES]
MISTAKES = [exercise.number for exercise in exercises.EXERCISES if not exercise.fill_in]
# the exercises' numbers, those of an R port marked needs_r (their checks run the port in R)
PORTS = [pytest.param(number, marks=[pytest.mark.needs_r] if exercises.find(number).language == "r" else [])
         for number in MISTAKES]
FIRST_R = next(number for number in MISTAKES if exercises.find(number).language == "r")
# one R exercise is checked as the Rscript process a learner's check starts (the others in this worker's R)
FAILING = [pytest.param(number, marks=[pytest.mark.needs_r, pytest.mark.process]) if number == FIRST_R else param
           for number, param in zip(MISTAKES, PORTS, strict=True)]
WHAT_IFS = [what_if.number for what_if in exercises.WHAT_IFS]
SHORT_EPOCHS = 40


@pytest.fixture
def short_fixtures(monkeypatch):
    """The verdicts below on the exercises' fixtures cut to SHORT_EPOCHS epochs (conform.derive: ``expected``
    recomputed by the Python twin). Every mistake shows in conform's 0-, 1- and 2-epoch runs, where these
    copies equal the shipped fixtures; a correct port's whole runs on the shipped fixtures are the twins'
    (test_conform.py), and the learner's ``--check`` below runs them too."""
    shipped = exercises.fixture_path

    def short(name, directory):
        path = shipped(name, directory)
        return conform.derive(path, min(SHORT_EPOCHS, fixtures.read_fixture(path)["hyper"]["epochs"]),
                              directory / "short")

    monkeypatch.setattr(exercises, "fixture_path", short)


def test_the_committed_exercises_are_a_fresh_generation():
    assert exercises.stale(ROOT) == [], "run make exercises"


def test_at_least_eight_exercises_in_both_languages_with_the_texts_own_mistakes():
    assert len(exercises.EXERCISES) >= 8
    assert {exercise.language for exercise in exercises.EXERCISES} == {"python", "r"}
    assert {"lr-twice", "rowsums-bias", "sigmoid-misprint"} <= {exercise.mistake for exercise in exercises.EXERCISES}
    names = [exercise.file_name for exercise in exercises.EXERCISES]
    assert len(set(names)) == len(names)
    for exercise in exercises.EXERCISES:  # the file name says nothing of the mistake
        if not exercise.fill_in:
            assert exercise.file_name == f"exercise-{exercise.number:02d}{exercises.EXTENSIONS[exercise.language]}"
            assert exercise.mistake.split("-")[0] not in exercise.file_name
        assert (DIRECTORY / exercise.file_name).resolve() == ROOT / exercise.path and (ROOT / exercise.path).is_file()
    sheet = (DIRECTORY / "README.md").read_text(encoding="utf-8")
    answers = (DIRECTORY / "answers.md").read_text(encoding="utf-8")
    headings = [line for line in answers.splitlines() if line.startswith("#")]
    assert headings == ["# Answers", *(f"## Exercise {number}" for number in NUMBERS + WHAT_IFS)]  # nothing told
    for exercise in exercises.EXERCISES:
        assert f"## Exercise {exercise.number}: `{exercise.file_name}`" in sheet
        assert exercise.question in sheet and exercise.answer not in sheet
        assert exercise.answer in answers and exercise.diagnosis in answers
        if not exercise.fill_in:
            assert exercises.MISTAKES[exercise.mistake].name not in sheet


@pytest.mark.parametrize("number", FAILING)
def test_conform_fails_the_exercise_on_every_fixture_with_the_answers_diagnosis(number, tmp_path, short_fixtures):
    exercise = exercises.find(number)
    verdicts = exercises.check_all(exercise, DIRECTORY / exercise.file_name, tmp_path)
    assert [verdict.name for verdict in verdicts] == list(exercise.fixtures) and len(verdicts) >= 2
    assert not any(verdict.ok for verdict in verdicts), [verdict.line() for verdict in verdicts]
    verdict = verdicts[0]  # the fixture the question describes
    assert verdict.runs[-1].error is None, verdict.line()
    assert exercise.diagnosis in verdict.diagnosis, verdict.diagnosis
    assert (verdict.step.step, verdict.step.title) == exercise.step, verdict.diagnosis  # named from the trace
    assert verdict.diagnosis.startswith(f"Step {exercise.step[0]}, {exercise.step[1]}: ")


# A fixed exercise is its template again, so the exercises of one template share its fixed text: conform runs
# each distinct (text, language, fixtures) once per worker, and every exercise still asserts its verdicts.
FIXED_VERDICTS: dict[tuple, list[bool]] = {}


@pytest.mark.parametrize("number", PORTS)
def test_conform_passes_the_fixed_exercise_on_every_fixture(number, tmp_path, short_fixtures):
    exercise = exercises.find(number)
    broken = (DIRECTORY / exercise.file_name).read_text(encoding="utf-8")
    fixed = broken
    for old, new in reversed(exercises.MISTAKES[exercise.mistake].edits[exercise.language]):
        fixed = fixed.replace(new, old, 1) if new else fixed
    if not all(new for _, new in exercises.MISTAKES[exercise.mistake].edits[exercise.language]):
        fixed = exercises.fixed_source(exercise)  # an edit that deletes a line cannot be undone by text alone
    assert fixed == exercises.fixed_source(exercise) and fixed != broken
    key = (fixed, exercise.language, exercise.fixtures)
    if key not in FIXED_VERDICTS:
        port = tmp_path / f"mine{exercises.EXTENSIONS[exercise.language]}"
        port.write_text(fixed, encoding="utf-8")
        FIXED_VERDICTS[key] = [verdict.ok for verdict in exercises.check_all(exercise, port, tmp_path / "work")]
    assert len(FIXED_VERDICTS[key]) == len(exercise.fixtures) >= 2 and all(FIXED_VERDICTS[key])


@pytest.mark.needs_r  # exercise 2 is in R
def test_a_learner_checks_an_exercise_and_a_fixed_copy_from_the_command_line(tmp_path, capsys):
    exercise = exercises.find(2)
    mine = tmp_path / "mine.R"
    mine.write_text(exercises.fixed_source(exercise), encoding="utf-8")
    assert cli.main(["exercise", "2", "--check", str(mine)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "pass  article: after 0, 1, 2, 5000 epochs within 1e-12", "pass  xor: after 0, 1, 2, 3000 epochs within 1e-12",
        f"Exercise 2: {mine} passes on article and xor. Well done."]
    assert cli.main(["exercise", "2", "--check", str(DIRECTORY / exercise.file_name)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("FAIL  article: ") and exercise.diagnosis in out[0] and out[1].startswith("FAIL  xor: ")
    assert out[2].startswith("Exercise 2: ") and "does not pass yet on article and xor" in out[2]


@pytest.mark.parametrize("number", NUMBERS)
def test_an_exercise_asks_its_question_and_gives_nothing_away(number, capsys):
    exercise = exercises.find(number)
    assert cli.main(["exercise", str(number)]) == 0
    out = capsys.readouterr().out
    assert exercise.question in out and str(ROOT / exercise.path) in out
    assert f"twinnet exercise {number} --check YOUR_COPY" in out and "--hint" in out
    assert exercise.answer not in out and "Step" not in out.replace("Steps 6 to 9", "")
    if not exercise.fill_in:
        assert exercise.diagnosis not in out and exercises.MISTAKES[exercise.mistake].name not in out
    assert len(exercise.fixtures) >= 2


def test_the_list_has_one_line_per_exercise_with_its_question(capsys):
    assert cli.main(["exercise"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(exercises.EXERCISES) + len(exercises.WHAT_IFS) + 1
    for line, exercise in zip(lines, (*exercises.EXERCISES, *exercises.WHAT_IFS), strict=False):
        assert line.split()[0] == str(exercise.number) and line.endswith(exercise.summary)
        assert exercise.summary.endswith((".", "?")) and exercise.answer not in line


@pytest.mark.process  # --hint 2 runs the checker: the exercise's Python file as a process
def test_hints_come_in_order_and_the_answer_on_request(capsys):
    exercise = exercises.find(1)
    assert cli.main(["exercise", "1", "--hint"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("Hint 1: look at Step 7, delta at the output layer:")
    assert exercise.diagnosis not in first and "learning rate" not in first
    assert cli.main(["exercise", "1", "--hint", "2"]) == 0
    second = capsys.readouterr().out.splitlines()
    assert second[1].startswith("FAIL  article: ") and exercise.diagnosis in second[1]
    assert cli.main(["exercise", "1", "--answer"]) == 0
    assert exercise.answer in capsys.readouterr().out
    assert cli.main(["exercise", "12", "--hint", "2"]) == 0
    assert capsys.readouterr().out == f"Hint 2: {exercises.find(12).hints[1]}\n"


# Copies that cure the symptom on the exercise's first fixture without fixing the mistake, each written as
# edits of the committed exercise (the line as given, the line fixed by accident).
ACCIDENTAL_FIXES = {
    "exercise-01.py": [("    d_output = E * slope_output_layer * lr\n",  # a learning rate times a constant
                        "    d_output = E * slope_output_layer * lr * 10\n")],
    "exercise-02.R": [("  descent_bh <- t(rowSums(d_hiddenlayer))\n",  # a hard-coded shape
                       "  descent_bh <- matrix(colSums(d_hiddenlayer), nrow = 1, ncol = 3)\n")],
    "exercise-07.R": [("    dW <- dZ %*% t(pass$A[[k]])\n",  # a hard-coded 1/m
                       "    dW <- 0.25 * (dZ %*% t(pass$A[[k]]))\n"),
                      ("    db <- as.matrix(rowSums(dZ))\n", "    db <- 0.25 * as.matrix(rowSums(dZ))\n")],
    "exercise-09.R": [("  bout <- params$bout\n  bout + descent_bout * lr\n",  # a hard-coded learning rate
                       "  bout <- params$bout + descent_bout * 0.5\n"),
                      ("  bh <- params$bh\n  bh + descent_bh * lr\n", "  bh <- params$bh + descent_bh * 0.5\n")],
}


def accidental_copy(name, directory):
    """The committed exercise ``name`` with its ACCIDENTAL_FIXES edits, written into ``directory``."""
    text = (DIRECTORY / name).read_text(encoding="utf-8")
    for given, fixed in ACCIDENTAL_FIXES[name]:
        assert text.count(given) == 1, f"{name}: {given!r}"
        text = text.replace(given, fixed)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", [pytest.param(name, marks=[pytest.mark.needs_r] if name.endswith(".R") else [])
                                  for name in ACCIDENTAL_FIXES])
def test_a_copy_fixed_by_accident_passes_one_fixture_and_fails_the_check(name, tmp_path, short_fixtures):
    """A learning rate times a constant, a hard-coded shape, a hard-coded 1/m or learning rate: each passes
    the exercise's first fixture and fails the check."""
    path = accidental_copy(name, tmp_path)
    exercise = exercises.find(int(name.split("-")[1].split(".")[0]))
    lines, ok = exercises.check_lines(exercise, path)  # one verdict line per fixture, then the summary
    first, second = exercise.fixtures
    assert len(lines) == 3, lines
    assert lines[0].startswith(f"pass  {first}: ") and lines[1].startswith(f"FAIL  {second}: "), lines
    assert not ok and "a fix must be right on every fixture" in lines[-1]


def test_every_exercise_a_copy_could_be_fixed_by_accident_in_has_one():
    held_out = {int(name.split("-")[1].split(".")[0]) for name in ACCIDENTAL_FIXES}
    assert {1, 2, 7, 9} <= held_out


@pytest.mark.parametrize("language", ["python", "r"])
def test_the_skeletons_run_under_exercise(language, tmp_path, capsys, short_fixtures):
    exercise = next(item for item in exercises.EXERCISES if item.fill_in and item.language == language)
    assert cli.main(["exercise", str(exercise.number), "--check", str(ROOT / exercise.path)]) == 1
    out = capsys.readouterr().out
    assert "TODO Step 6, slopes at the output and hidden layers: fill in this step" in out
    mine = tmp_path / f"mine{exercises.EXTENSIONS[language]}"
    mine.write_text(exercises.fixed_source(exercise), encoding="utf-8")
    assert cli.main(["exercise", str(exercise.number), "--check", str(mine)]) == 0
    assert capsys.readouterr().out.endswith(f"{mine} passes on xor and article. Well done.\n")


def test_an_unknown_exercise_or_a_missing_copy_exits_2(tmp_path, capsys):
    assert cli.main(["exercise", "99"]) == 2
    assert capsys.readouterr().err.startswith("twinnet: E_USAGE: argument N: invalid choice: 99")
    assert cli.main(["exercise", "1", "--check", str(tmp_path / "none.py")]) == 2
    assert capsys.readouterr().err == f"twinnet: E_IO: {tmp_path / 'none.py'}: no such file\n"
    assert cli.main(["exercise", "--hint"]) == 2
    assert capsys.readouterr().err.startswith("twinnet: E_USAGE: --check, --hint, --answer and --run need")


@pytest.mark.parametrize("number", WHAT_IFS)
def test_a_what_if_asks_then_runs_the_network_as_given_and_as_changed(number, capsys):
    what_if = exercises.find_what_if(number)
    assert cli.main(["exercise", str(number)]) == 0
    out = capsys.readouterr().out
    assert what_if.question in out and f"twinnet exercise {number} --run" in out
    assert not re.search(r"final loss \d", out) and what_if.answer not in out
    assert cli.main(["exercise", str(number), "--run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    fixture = fixtures.read_fixture(FIXTURE_DIR / f"{what_if.fixture}.json")
    finals = []
    for line, version in zip(lines[1:3], (fixture, exercises.CHANGES[number](fixture)), strict=True):
        hyper = version["hyper"]  # the oracle: the fast path, another implementation, within 1e-12 of the twin
        _, loss, _ = training.train_variant(version["variant"], version["data"]["X"], version["data"]["y"],
                                            version["init"], hyper, hyper["epochs"], fast=True)
        assert f"lr = {hyper['lr']:g}, {hyper['hidden']} hidden units: final loss {loss[-1]:.4g}, " in line
        finals.append(float(line.split("final loss ")[1].split(",")[0]))
    # what the answers say: a tenth of the learning rate leaves xor unlearned; two hidden units learn it
    # worse; zero weights keep every hidden unit alike
    given, changed = finals
    assert changed > 10 * given
    assert lines[2].endswith(", the hidden units all alike") == (number == 16)
    assert cli.main(["exercise", str(number), "--answer"]) == 0
    assert what_if.answer in capsys.readouterr().out
    assert cli.main(["exercise", str(number), "--hint", "2"]) == 0
    assert capsys.readouterr().out == f"Hint 2: {what_if.hints[1]}\n"


def test_a_what_if_has_nothing_to_check_and_a_port_exercise_nothing_to_run(tmp_path, capsys):
    assert cli.main(["exercise", "14", "--check", str(tmp_path / "mine.py")]) == 2
    assert capsys.readouterr().err.startswith("twinnet: E_USAGE: --check: exercise 14 is a what-if")
    assert cli.main(["exercise", "3", "--run"]) == 2
    assert capsys.readouterr().err.startswith("twinnet: E_USAGE: --run: exercise 3 is not a what-if")
