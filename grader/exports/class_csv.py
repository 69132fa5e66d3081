"""A class's grades -> one CSV table: a row per student, a column per exercise, and the total."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from ..result import StudentResult
from .columns import by_exercise, exercise_columns, points

MAX_ROW = "(points possible)"  # first data row; parenthesised so no student folder name can be mistaken for it


def class_csv(results: Sequence[StudentResult]) -> str:
    """Render `student,<exercise ids>...,total`, a `(points possible)` row, then one row per student.

    A student with no grade at all for an exercise gets an empty cell; one who handed in nothing for an
    assigned exercise (error kind no_submission) has a Grade scoring 0, so the cell says 0.
    """
    columns = exercise_columns(results)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", *(c.exercise for c in columns), "total"])
    writer.writerow([MAX_ROW, *(points(c.max_score) for c in columns), points(sum(c.max_score for c in columns))])
    for result in results:
        grades = by_exercise(result)
        cells = [points(grades[c.exercise].score) if c.exercise in grades else "" for c in columns]
        writer.writerow([result.student, *cells, points(result.score)])
    return out.getvalue()
