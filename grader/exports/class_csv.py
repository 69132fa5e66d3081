"""A class's grades -> one CSV table: a row per student, a column per exercise, and the total."""

from __future__ import annotations

import csv
import io
from typing import Any
from collections.abc import Sequence

from ..result import StudentResult
from .columns import Column, by_exercise, exercise_columns, points

MAX_ROW = "(points possible)"  # first data row; parenthesised so no student folder name can be mistaken for it


def class_csv(results: Sequence[StudentResult]) -> str:
    """Render `student,<exercise ids>...,total`, a `(points possible)` row, then one row per student.

    When any student has an adjustment (an override, or deadlines in config.yaml), each exercise's column holds
    the final score and is followed by its raw score, override, penalty and days late (see _adjusted).

    A student with no grade at all for an exercise gets an empty cell; one who handed in nothing for an
    assigned exercise (error kind no_submission) has a Grade scoring 0, so the cell says 0.
    """
    columns = exercise_columns(results)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if any(result.adjustments for result in results):
        _adjusted(writer, results, columns)
        return out.getvalue()
    writer.writerow(["student", *(c.exercise for c in columns), "total"])
    writer.writerow([MAX_ROW, *(points(c.max_score) for c in columns), points(sum(c.max_score for c in columns))])
    for result in results:
        grades = by_exercise(result)
        cells = [points(grades[c.exercise].score) if c.exercise in grades else "" for c in columns]
        writer.writerow([result.student, *cells, points(result.score)])
    return out.getvalue()


ADJUSTED = ("raw", "override", "penalty", "late days")  # the columns after each exercise's final score


def _adjusted(writer: Any, results: Sequence[StudentResult], columns: list[Column]) -> None:
    """With overrides or deadlines in force: per exercise the final score (under the exercise's own id, so a reader
    of the plain table gets final scores), then `<id> raw`, `<id> override`, `<id> penalty`, `<id> late days`; then
    `total raw`, `total penalty` and `total` (final)."""
    writer.writerow(["student", *(f"{c.exercise}{f' {part}' if part else ''}" for c in columns
                                  for part in ("", *ADJUSTED)), "total raw", "total penalty", "total"])
    most = sum(c.max_score for c in columns)
    writer.writerow([MAX_ROW, *(cell for c in columns for cell in (points(c.max_score), points(c.max_score), "", "",
                                                                    "")), points(most), "", points(most)])
    for result in results:
        grades = by_exercise(result)
        cells: list[str] = []
        for column in columns:
            grade = grades.get(column.exercise)
            if grade is None:
                cells += [""] * (1 + len(ADJUSTED))
                continue
            adjustment = result.adjustment(column.exercise)
            late = "" if adjustment.due is None or adjustment.submitted_at is None else f"{adjustment.late_days:g}"
            cells += [points(result.final(grade)), points(grade.score),
                      "" if adjustment.override is None else points(adjustment.override),
                      points(adjustment.penalty(grade.score)), late]
        writer.writerow([result.student, *cells, points(result.score), points(result.penalty),
                         points(result.final_score)])
