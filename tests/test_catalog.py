"""Every shipped exercise proves itself: its solution and each answer in another style score full marks, each
known-wrong variant fails with the diagnosis it declares, and its starter file is a placeholder that does not pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SPAWNER
from grader.config import load_settings
from grader.exercise import exercise_files, parse_exercise
from grader.grade import grade_submission
from grader.oracle import build_oracle
from grader.course.selfcheck import read_expectation, verdict
from grader.source import read_submission
from grader.starter import starter_text

REPO = Path(__file__).resolve().parent.parent
SETTINGS = load_settings(REPO / "config.yaml")
EXERCISES = sorted(exercise_files(SETTINGS.exercises_dir))
SEEDS = (9001, 9002, 9003)


def _grade(exercise_id: str, path: Path):
    exercise = parse_exercise(exercise_files(SETTINGS.exercises_dir)[exercise_id], SETTINGS)
    return exercise, grade_submission(exercise, read_submission(path), SETTINGS, seeds=SEEDS,
                                      oracle=build_oracle(exercise), spawner=SPAWNER)


def test_the_course_holds_exercises_each_with_a_solution():
    """Whatever exercises the course holds (the tests test the grader, not the size of the catalog)."""
    assert EXERCISES, f"no exercise in {SETTINGS.exercises_dir}"
    assert [e for e in EXERCISES if not (SETTINGS.solutions_dir / f"{e}.py").is_file()] == []


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_solution_scores_full_marks(exercise_id):
    _, grade = _grade(exercise_id, SETTINGS.solutions_dir / f"{exercise_id}.py")
    assert grade.error is None, grade.error
    assert [c.name for c in grade.checks if not c.passed] == []
    assert grade.score == grade.max_score > 0


RIGHT = sorted((SETTINGS.solutions_dir / "right").glob("ex*_*.py"))


@pytest.mark.parametrize("answer", RIGHT, ids=lambda p: p.stem)
def test_answer_in_another_style_scores_full_marks(answer):
    """solutions/right/exNN_<style>.py: a correct answer written another way (grad vs backward, optim vs by hand)."""
    exercise_id = answer.name.split("_", 1)[0]
    assert exercise_id in EXERCISES, f"{answer.name} answers no exercise of the course"
    _, grade = _grade(exercise_id, answer)
    assert grade.error is None, grade.error
    assert [c.name for c in grade.checks if not c.passed] == []
    assert grade.score == grade.max_score > 0


VARIANTS = sorted((SETTINGS.solutions_dir / "wrong").glob("ex*_*.py"))


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_every_exercise_has_at_least_three_known_wrong_variants(exercise_id):
    found = [v.name for v in VARIANTS if v.name.startswith(exercise_id + "_")]
    assert len(found) >= 3, f"{exercise_id} has {len(found)} known-wrong variant(s) in solutions/wrong: {found}"


def test_every_variant_answers_an_exercise_of_the_course():
    assert [v.name for v in VARIANTS if v.name.split("_", 1)[0] not in EXERCISES] == []


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda p: p.stem)
def test_known_wrong_variant_fails_with_its_declared_diagnosis(variant):
    exercise_id = variant.name.split("_", 1)[0]
    expectation = read_expectation(variant, parse_exercise(exercise_files(SETTINGS.exercises_dir)[exercise_id], SETTINGS))
    _, grade = _grade(exercise_id, variant)
    assert grade.score < grade.max_score
    assert verdict(grade, expectation) is None, verdict(grade, expectation)


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_starter_is_a_placeholder_that_names_the_function(exercise_id, tmp_path):
    exercise = parse_exercise(exercise_files(SETTINGS.exercises_dir)[exercise_id], SETTINGS)
    text = starter_text(exercise)
    defined = "class" if exercise.contract.base else "def"  # a class contract's starter is a class skeleton
    assert f"{defined} {exercise.contract.function}(" in text
    assert exercise.prompt.splitlines()[0][:40] in text
    path = tmp_path / f"{exercise_id}.py"
    path.write_text(text, encoding="utf-8")
    _, grade = _grade(exercise_id, path)
    assert grade.status != "passed"
    assert grade.score < grade.max_score
