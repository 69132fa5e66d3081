"""Prove every exercise: it loads, its solution scores full marks, each known-wrong variant fails as it declares.

A variant is solutions/wrong/<id>_<what>.py and says what it must produce in header comments:
    # expect: accumulated        (a diagnosis code or an error kind)
    # check: a.grad              (optional: the check that must carry it)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..codes import DIAGNOSES, ERROR_KINDS
from ..config import Settings
from ..errors import ExerciseError
from ..exercise import Exercise, exercise_files, parse_exercise
from ..grade import grade_submission, hidden_seeds
from ..oracle import build_oracle
from ..result import Grade
from ..sandbox.spawner import Spawner, warm_up
from ..source import read_submission

HEADER = re.compile(r"^#\s*(expect|check):\s*(.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Line:
    ok: bool
    text: str


@dataclass(frozen=True)
class Expectation:
    diagnosis: str
    check: str | None


def read_expectation(path: Path) -> Expectation:
    """The `# expect:` (and optional `# check:`) header of a known-wrong variant."""
    head = path.read_text(encoding="utf-8")[:2000]
    found = dict(HEADER.findall(head))
    code = found.get("expect")
    if code not in DIAGNOSES and code not in ERROR_KINDS:
        raise ExerciseError(f"{path}:1: a known-wrong variant needs a header line '# expect: <diagnosis>' with one of "
                            f"{', '.join([*DIAGNOSES, *ERROR_KINDS])}; found {code!r}")
    return Expectation(code, found.get("check"))


def verdict(grade: Grade, expectation: Expectation) -> str | None:
    """None when the grade fails the way the variant declares; otherwise what went differently."""
    if grade.score >= grade.max_score and grade.error is None:
        return "scored full marks"
    if grade.error is not None and grade.error.kind == expectation.diagnosis and expectation.check is None:
        return None
    for check in grade.checks:
        if not check.passed and check.diagnosis == expectation.diagnosis and expectation.check in (None, check.name):
            return None
    got = sorted({f"{c.name}: {c.diagnosis}" for c in grade.checks if not c.passed})
    error = f"; error {grade.error.kind}: {grade.error.message}" if grade.error else ""
    return f"expected {expectation.diagnosis}{' on ' + expectation.check if expectation.check else ''}, got " \
           f"{', '.join(got) or 'no failed check'}{error}"


def check_all(settings: Settings) -> Iterator[Line]:
    """Check each exercise in turn, yielding one line per solution and variant."""
    warm_up()
    with Spawner() as spawner:  # before any exercise is read, so no child can find a reference in its memory
        yield from _check_each(settings, spawner)


def _check_each(settings: Settings, spawner: Spawner) -> Iterator[Line]:
    for exercise_id, path in exercise_files(settings.exercises_dir).items():
        try:
            exercise = parse_exercise(path, settings)
            oracle = build_oracle(exercise)
        except ExerciseError as error:
            yield Line(False, f"{exercise_id}: {error.message}")
            continue
        count = exercise.hidden_trials if exercise.hidden_trials is not None else settings.hidden_trials
        solution = settings.solutions_dir / f"{exercise_id}.py"
        if not solution.is_file():
            yield Line(False, f"{exercise_id}: no solution at {solution}")
        else:
            grade = grade_submission(exercise, read_submission(solution), settings, seeds=hidden_seeds(count),
                                     oracle=oracle, spawner=spawner)
            full = grade.status == "passed"
            failed = "; ".join(f"{c.name}: {c.message.splitlines()[0] if c.message else c.diagnosis}"
                               for c in grade.checks if not c.passed)
            yield Line(full, f"{exercise_id}: solution scores {grade.score:g}/{grade.max_score:g}"
                       + ("" if full else f" ({grade.error.message if grade.error else failed})"))
        for variant in variants(settings, exercise):
            try:
                expectation = read_expectation(variant)
            except ExerciseError as error:
                yield Line(False, error.message)
                continue
            grade = grade_submission(exercise, read_submission(variant), settings, seeds=hidden_seeds(count),
                                     oracle=oracle, spawner=spawner)
            problem = verdict(grade, expectation)
            yield Line(problem is None, f"{exercise_id}: {variant.name} -> "
                       + (expectation.diagnosis if problem is None else problem))


def variants(settings: Settings, exercise: Exercise) -> list[Path]:
    return sorted((settings.solutions_dir / "wrong").glob(f"{exercise.id}_*.py"))
