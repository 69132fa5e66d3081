"""A course of one's own: grade init, grade new, check-exercises on a throwaway course, and what it must catch."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SPAWNER
from grader.cli import main
from grader.config import CONFIG_NAME, PACKAGE, load_settings, package_root
from grader.course.audit import mistake_problems
from grader.course.scaffold import slug
from grader.course.selfcheck import Expectation, read_expectation, verdict
from grader.errors import ExerciseError
from grader.exercise import exercise_files, parse_exercise
from grader.grade import expectations, grade_submission
from grader.inputs import make_trials
from grader.oracle import build_oracle
from grader.source import read_submission

WRONG_CUBE = """\
import torch


def square_sum(x):
    y = (x**3).sum()
    y.backward()
    return y
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def course(tmp_path, runner, monkeypatch) -> Path:
    """A new course made by `grade init`, with ex02 added by `grade new`; the current folder is the course's."""
    folder = tmp_path / "course"
    made = runner.invoke(main, ["init", str(folder)])
    assert made.exit_code == 0, made.output
    monkeypatch.chdir(folder)
    added = runner.invoke(main, ["new", "ex02", "Gradient of a sum of squares"])
    assert added.exit_code == 0, added.output
    return folder


def _yaml(course: Path, exercise_id: str) -> Path:
    return exercise_files(course / "exercises")[exercise_id]


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


# ------------------------------------------------------------------------------------------------ init and new


def test_init_writes_a_course_whose_files_are_all_there(course):
    for name in ("config.yaml", "fixtures.py", "README.md", "exercises", "solutions/wrong"):
        assert (course / name).exists(), name
    assert sorted(exercise_files(course / "exercises")) == ["ex01", "ex02"]
    assert _yaml(course, "ex02").name == "ex02_gradient_of_a_sum_of_squares.yaml"
    assert (course / "solutions" / "ex02.py").is_file()
    assert (course / "solutions" / "wrong" / "ex02_backward_twice.py").read_text().startswith("# expect: ")
    settings = load_settings(course / CONFIG_NAME)
    assert settings.exercises_dir == (course / "exercises").resolve()
    readme = (course / "README.md").read_text()
    for command in ("grade new", "grade check-exercises ex02", "grade bundle", "docs/authoring.md"):
        assert command in readme


def test_the_config_comments_every_key(course):
    for line in (course / CONFIG_NAME).read_text().splitlines():
        if re.match(r"^\s*\w+:", line):
            assert "#" in line, f"uncommented key: {line}"


def test_new_writes_every_section_present_or_commented(course):
    text = _yaml(course, "ex02").read_text()
    for key in ("contract", "dims", "inputs", "trials", "reference", "probes", "checks", "mistakes", "starter",
                "notebook"):
        assert re.search(rf"^(# )?{key}:", text, re.MULTILINE), key
        assert re.search(rf"^# {key}: \S", text, re.MULTILINE), f"no line on what {key} does"
    exercise = parse_exercise(_yaml(course, "ex02"))
    assert exercise.title == "Gradient of a sum of squares"
    assert "raise NotImplementedError" in exercise.starter


def test_check_exercises_passes_on_the_new_course_and_fails_a_broken_solution(course, runner):
    checked = runner.invoke(main, ["check-exercises"])
    assert checked.exit_code == 0, checked.output
    assert "  ok    ex02: solutions/ex02.py scores 10/10\n" in checked.stdout
    assert "  ok    ex02: ex02_backward_twice.py -> backward-twice\n" in checked.stdout
    assert "FAIL" not in checked.stdout and checked.stderr == ""  # a course was found: no notice

    (course / "solutions" / "ex02.py").write_text(WRONG_CUBE)
    broken = runner.invoke(main, ["check-exercises", "ex02"])
    assert broken.exit_code == 1, broken.output
    assert re.search(r"  FAIL  ex02: solutions/ex02\.py scores [0-9.]+/10 \(", broken.stdout), broken.stdout
    assert "ex01" not in broken.stdout  # only the exercise asked for


def test_check_exercises_invert_fails_a_starter_that_passes_a_check(course, runner):
    inverted = runner.invoke(main, ["check-exercises", "--invert", "ex02"])
    assert inverted.exit_code == 0, inverted.output
    assert "  ok    ex02: the starter fails every check (0/10)" in inverted.stdout

    path = _yaml(course, "ex02")
    path.write_text(path.read_text().replace("      raise NotImplementedError",
                                             "      return (x**2).sum()"))  # y right, x.grad never filled
    inverted = runner.invoke(main, ["check-exercises", "--invert", "ex02"])
    assert inverted.exit_code == 1, inverted.output
    assert f"  FAIL  ex02: {path}: starter: the starter passes y (4/4 points" in inverted.stdout
    assert "passes x.grad" not in inverted.stdout


def test_check_exercises_takes_several_ids_and_names_the_closest_for_an_unknown_one(course, runner):
    both = runner.invoke(main, ["check-exercises", "ex02", "ex01"])
    assert both.exit_code == 0 and "ex01: solutions/ex01.py" in both.stdout and "ex02:" in both.stdout
    unknown = runner.invoke(main, ["check-exercises", "ex2"])
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("error: no exercise 'ex2' in ") and "(did you mean ex02?)" in unknown.stderr
    assert unknown.stdout == ""


def test_new_refuses_an_existing_id_a_malformed_id_and_an_empty_title(course, runner):
    before = sorted(p.relative_to(course) for p in course.rglob("*"))
    taken = runner.invoke(main, ["new", "ex02", "Again"])
    assert taken.exit_code == 2 and "ex02 exists already" in taken.stderr
    for bad in ("ex2", "ex002", "Ex03", "03", "ex04\n"):
        malformed = runner.invoke(main, ["new", bad, "Title"])
        assert malformed.exit_code == 2 and f"'{bad}' is not an exercise id" in malformed.stderr
    empty = runner.invoke(main, ["new", "ex03", "  "])
    assert empty.exit_code == 2 and "the title of ex03 is empty" in empty.stderr
    assert sorted(p.relative_to(course) for p in course.rglob("*")) == before


def test_new_takes_any_title(course, runner):
    title = 'Quotes " and """, a \\ backslash, $x and ∂y/∂x: all kept'
    added = runner.invoke(main, ["new", "ex07", title])
    assert added.exit_code == 0, added.output
    path = _yaml(course, "ex07")
    assert path.name == "ex07_quotes_and_a_backslash_x_and_y_x_all.yaml"
    assert parse_exercise(path).title == title
    solution = (course / "solutions" / "ex07.py").read_text()
    assert title in compile(solution, "ex07.py", "exec").co_consts[0]  # the docstring, as a string


def test_new_outside_a_course_refuses(tmp_path, runner, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["new", "ex02", "Title"])
    assert result.exit_code == 2 and result.stderr.startswith("error: no course folder")
    assert list(tmp_path.iterdir()) == []


def test_init_refuses_a_course_folder_and_the_package(tmp_path, runner):
    for taken in ("config.yaml", "exercises"):
        folder = tmp_path / taken.split(".")[0]
        folder.mkdir()
        (folder / taken).mkdir() if taken == "exercises" else (folder / taken).write_text("schema: 1\n")
        result = runner.invoke(main, ["init", str(folder)])
        assert result.exit_code == 2 and f"already holds {taken}" in result.stderr
        assert len(list(folder.iterdir())) == 1
    inside = runner.invoke(main, ["init", str(PACKAGE / "mycourse")])
    assert inside.exit_code == 2 and "inside the grader package" in inside.stderr
    assert not (PACKAGE / "mycourse").exists()


def test_init_writes_into_a_folder_that_holds_other_files(tmp_path, runner):
    (tmp_path / "notes.txt").write_text("mine")
    result = runner.invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "notes.txt").read_text() == "mine" and (tmp_path / CONFIG_NAME).is_file()


@pytest.mark.parametrize(("title", "expected"), [
    ("Gradient of a sum of squares", "gradient_of_a_sum_of_squares"), ("∂y/∂x", "y_x"), ("√", "exercise"),
    ("A " * 40, "a_" * 19 + "a"), ("x" * 50, "x" * 40),
    ("Second derivatives with create_graph", "second_derivatives_with_create_graph")])
def test_slug(title, expected):
    assert slug(title) == expected


# ------------------------------------------------------------------------------------------------ the course used


def test_without_a_course_reading_commands_name_the_bundled_course_on_stderr(tmp_path, runner, monkeypatch):
    monkeypatch.chdir(tmp_path)
    listed = runner.invoke(main, ["list"])
    assert listed.exit_code == 0
    assert listed.stderr == (f"grade: no course folder here (no config.yaml at or above {tmp_path}); using the "
                             f"bundled example course {package_root()}\n")
    given = runner.invoke(main, ["list", "--config", str(package_root() / CONFIG_NAME)])
    assert given.exit_code == 0 and given.stderr == "" and given.stdout == listed.stdout
    shown = runner.invoke(main, ["show", "ex03"])
    assert shown.exit_code == 0 and shown.stderr.count("\n") == 1 and "bundled example course" in shown.stderr


def test_a_config_holding_only_the_schema_is_a_course(tmp_path, runner, monkeypatch):
    (tmp_path / CONFIG_NAME).write_text("schema: 1\n")
    (tmp_path / "exercises").mkdir()
    sub = tmp_path / "work"
    sub.mkdir()
    monkeypatch.chdir(sub)
    listed = runner.invoke(main, ["list"])
    assert listed.exit_code == 0 and listed.stdout == "" and listed.stderr == ""  # its own (empty) course
    added = runner.invoke(main, ["new", "ex01", "First"])
    assert added.exit_code == 0, added.output
    assert sorted(exercise_files(tmp_path / "exercises")) == ["ex01"]


# ------------------------------------------------------------------------------------------------ what it catches


def test_expect_a_mistake_id_requires_that_mistake(course, runner):
    exercise = parse_exercise(_yaml(course, "ex02"))
    variant = course / "solutions" / "wrong" / "ex02_cube.py"
    variant.write_text("# expect: backward-twice\n" + WRONG_CUBE)
    assert read_expectation(variant, exercise) == Expectation("backward-twice", None, mistake=True)
    grade = grade_submission(exercise, read_submission(variant), load_settings(course / CONFIG_NAME),
                             seeds=(7,), spawner=SPAWNER)
    assert "expected mistake backward-twice, got " in verdict(grade, read_expectation(variant, exercise))
    twice = course / "solutions" / "wrong" / "ex02_backward_twice.py"
    graded = grade_submission(exercise, read_submission(twice), load_settings(course / CONFIG_NAME), seeds=(7,),
                              spawner=SPAWNER)
    assert [c.mistake for c in graded.checks if not c.passed] == ["backward-twice"]
    assert verdict(graded, read_expectation(twice, exercise)) is None
    # the same diagnosis without the mistake does not pass for it
    assert verdict(graded, Expectation("backward-twice", None, mistake=True)) is None
    assert verdict(graded, Expectation("other-mistake", None, mistake=True)).startswith("expected mistake other")

    result = runner.invoke(main, ["check-exercises", "ex02"])
    assert result.exit_code == 1
    assert "  FAIL  ex02: ex02_cube.py -> expected mistake backward-twice, got " in result.stdout


def test_expect_an_unknown_id_names_the_variant_line_1_and_the_known_ids(course):
    exercise = parse_exercise(_yaml(course, "ex02"))
    variant = course / "solutions" / "wrong" / "ex02_typo.py"
    variant.write_text("# expect: backward-twise\n" + WRONG_CUBE)
    with pytest.raises(ExerciseError) as info:
        read_expectation(variant, exercise)
    message = info.value.message
    assert message.startswith(f"{variant}:1: ") and "'backward-twise'" in message
    assert "accumulated" in message and "a mistake of ex02: backward-twice" in message


RAISING = """\
  - id: indexes-past-the-end
    diagnosis: value
    message: >-
      Never shown: this mistake's code raises.
    code: |
      def square_sum(x):
          return x[len(x) + 3]
  - id: same-as-reference
    diagnosis: value
    message: >-
      Never shown: this mistake computes what the reference does.
    code: |
      def square_sum(x):
          y = (x * x).sum()
          y.backward()
          return y
"""


def test_check_exercises_fails_a_mistake_that_raises_and_one_that_cannot_be_diagnosed(course, runner):
    path = _yaml(course, "ex02")
    path.write_text(path.read_text().replace("\n# starter:", "\n" + RAISING.rstrip("\n") + "\n\n# starter:", 1))
    raising = _line_of(path, "return x[len(x) + 3]") - 1  # a code block starts on the line after its key
    same = _line_of(path, "y = (x * x).sum()") - 1
    exercise = parse_exercise(path)
    assert [m.id for m in exercise.mistakes] == ["backward-twice", "indexes-past-the-end", "same-as-reference"]

    oracle = build_oracle(exercise)
    settings = load_settings(course / CONFIG_NAME)
    trials = make_trials(exercise.public_seeds, (5,))
    problems = mistake_problems(oracle, trials, expectations(oracle, trials, settings), settings)
    assert len(problems) == 2, problems
    assert problems[0].startswith(f"{path}:{raising}: the known mistake 'indexes-past-the-end' raised IndexError: ")
    assert "on public trial 1 (seed 0)" in problems[0] and "with raises: IndexError" in problems[0]
    assert problems[1].startswith(f"{path}:{same}: the known mistake 'same-as-reference' can never be diagnosed: "
                                  f"on every trial its results pass every check")

    result = runner.invoke(main, ["check-exercises", "ex02"])
    assert result.exit_code == 1
    assert f"  FAIL  ex02: {path}:{raising}: the known mistake 'indexes-past-the-end' raised" in result.stdout
    assert f"  FAIL  ex02: {path}:{same}: the known mistake 'same-as-reference' can never" in result.stdout
    assert "  ok    ex02: solutions/ex02.py scores 10/10" in result.stdout
    assert result.stdout.rstrip().endswith("2 problem(s)")


def test_a_mistake_limited_to_checks_that_cannot_tell_it_apart_is_undiagnosable(course):
    path = _yaml(course, "ex02")
    path.write_text(path.read_text().replace("    checks: [x.grad]\n", "    checks: [y]\n", 1))
    exercise = parse_exercise(path)
    oracle = build_oracle(exercise)
    settings = load_settings(course / CONFIG_NAME)
    trials = make_trials(exercise.public_seeds, ())
    problems = mistake_problems(oracle, trials, expectations(oracle, trials, settings), settings)
    assert len(problems) == 1 and "'backward-twice' can never be diagnosed" in problems[0]
    assert "the checks it is limited to (y)" in problems[0]


def test_check_exercises_of_one_exercise_that_steps_an_optimizer(runner, repo):
    """ex05 steps torch.optim: the launcher, forked cold, is asked to warm the optimizers before its first child."""
    result = runner.invoke(main, ["check-exercises", "ex05", "--config", str(repo / CONFIG_NAME)])
    assert result.exit_code == 0, result.output
    assert "  ok    ex05: solutions/ex05.py scores 10/10\n" in result.stdout
    assert result.stdout.count("  ok    ex05: ex05_") >= 3 and "FAIL" not in result.stdout
