"""The exercises a class was graded on, as table columns, and how a table writes a number of points."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..result import Grade, StudentResult


@dataclass(frozen=True)
class Column:
    """One exercise of the class: its id, title and the points it is worth."""

    exercise: str
    title: str
    max_score: float


def exercise_columns(results: Sequence[StudentResult]) -> list[Column]:
    """Every exercise any student was graded on, in the order the grades list them."""
    columns: dict[str, Column] = {}
    for result in results:
        for grade in result.grades:
            if grade.exercise not in columns:
                columns[grade.exercise] = Column(grade.exercise, grade.title, grade.max_score)
    return list(columns.values())


def by_exercise(result: StudentResult) -> dict[str, Grade]:
    """A student's grades keyed by exercise id."""
    return {grade.exercise: grade for grade in result.grades}


def points(value: float) -> str:
    """Write points with at most 4 decimals and no trailing zeros: 10, 2.5, 3.3333."""
    text = f"{round(value, 4):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
