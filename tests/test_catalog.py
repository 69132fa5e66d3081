"""Every shipped exercise proves itself: its solution scores full marks, each known-wrong variant fails with the
diagnosis it declares, and its starter file is a placeholder that does not pass."""

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
    exercise = parse_exercise(exercise_files(SETTINGS.exercises_dir)[exercise_id])
    return exercise, grade_submission(exercise, read_submission(path), SETTINGS, seeds=SEEDS,
                                      oracle=build_oracle(exercise), spawner=SPAWNER)


def test_the_catalog_has_the_ten_exercises_of_the_unit():
    assert EXERCISES == [f"ex{n:02d}" for n in range(1, 11)]


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_solution_scores_full_marks(exercise_id):
    _, grade = _grade(exercise_id, SETTINGS.solutions_dir / f"{exercise_id}.py")
    assert grade.error is None, grade.error
    assert [c.name for c in grade.checks if not c.passed] == []
    assert grade.score == grade.max_score > 0


VARIANTS = sorted((SETTINGS.solutions_dir / "wrong").glob("ex*_*.py"))


def test_every_exercise_has_at_least_three_known_wrong_variants():
    counts = {exercise_id: sum(1 for v in VARIANTS if v.name.startswith(exercise_id + "_")) for exercise_id in EXERCISES}
    assert all(count >= 3 for count in counts.values()), counts


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda p: p.stem)
def test_known_wrong_variant_fails_with_its_declared_diagnosis(variant):
    expectation = read_expectation(variant)
    _, grade = _grade(variant.name.split("_", 1)[0], variant)
    assert grade.score < grade.max_score
    assert verdict(grade, expectation) is None, verdict(grade, expectation)


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_starter_is_a_placeholder_that_names_the_function(exercise_id, tmp_path):
    exercise = parse_exercise(exercise_files(SETTINGS.exercises_dir)[exercise_id])
    text = starter_text(exercise)
    assert f"def {exercise.contract.function}(" in text
    assert exercise.prompt.splitlines()[0][:40] in text
    path = tmp_path / f"{exercise_id}.py"
    path.write_text(text, encoding="utf-8")
    _, grade = _grade(exercise_id, path)
    assert grade.status != "passed"
    assert grade.score < grade.max_score
