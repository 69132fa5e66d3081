"""A class's grades -> a Canvas gradebook import CSV (Grades > Import).

Canvas matches a row to a student by the `ID` column (Canvas's own user id), else by `SIS User ID` or
`SIS Login ID`, else by name. The grader only knows each student's folder name, which courses usually make the
university login, so by default the folder name goes into `SIS Login ID` (and `Student`, shown in the import
preview) and `ID` stays empty; `match_on` moves it to another column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import UsageError
from ..result import StudentResult
from .columns import by_exercise, exercise_columns, points

INFO_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MATCH_COLUMNS = {"id": "ID", "sis_user_id": "SIS User ID", "sis_login_id": "SIS Login ID"}
_ID_SUFFIX = re.compile(r"\(\d+\)\s*$")


@dataclass(frozen=True)
class CanvasAssignment:
    """One Canvas assignment column: its title, the exercises whose points it sums, and Canvas's id if known."""

    title: str
    exercises: tuple[str, ...]
    canvas_id: int | None = None

    @property
    def header(self) -> str:
        """Write the column title the importer matches: `Title (123)` by id, else the exact title."""
        return f"{self.title} ({self.canvas_id})" if self.canvas_id is not None else self.title


def default_assignments(results: Sequence[StudentResult]) -> list[CanvasAssignment]:
    """One assignment per exercise, titled `<id> <title>`, e.g. `ex03 Gradients of Q`."""
    return [CanvasAssignment(f"{c.exercise} {c.title}", (c.exercise,)) for c in exercise_columns(results)]


def canvas_csv(results: Sequence[StudentResult], *, assignments: Sequence[CanvasAssignment] | None = None,
               match_on: str = "sis_login_id", section: str = "") -> str:
    """Render the header `Student,ID,SIS User ID,SIS Login ID,Section,<assignments>`, `Points Possible`, students.

    A cell sums the student's final scores (overrides and late penalties applied) on the assignment's exercises;
    it is empty (Canvas: no score, nothing changed) when the student has no grade for any of them, and 0 when they
    handed in nothing.
    """
    if match_on not in MATCH_COLUMNS:
        raise UsageError(f"canvas: match_on {match_on!r} is not one of {', '.join(MATCH_COLUMNS)}")
    columns = {c.exercise: c for c in exercise_columns(results)}
    chosen = list(assignments) if assignments is not None else default_assignments(results)
    _validate(chosen, columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*INFO_COLUMNS, *(a.header for a in chosen)])
    writer.writerow(["Points Possible", "", "", "", "",
                     *(points(sum(columns[e].max_score for e in a.exercises)) for a in chosen)])
    where = INFO_COLUMNS.index(MATCH_COLUMNS[match_on])
    for result in results:
        info = [result.student, "", "", "", section]
        info[where] = result.student
        grades = by_exercise(result)
        cells = []
        for assignment in chosen:
            graded = [result.final(grades[e]) for e in assignment.exercises if e in grades]  # after penalties
            cells.append(points(sum(graded)) if graded else "")
        writer.writerow([*info, *cells])
    return out.getvalue()


def _validate(assignments: list[CanvasAssignment], columns: dict) -> None:
    if not assignments:
        raise UsageError("canvas: no assignment columns (no student has a grade)")
    for assignment in assignments:
        if not assignment.title.strip() or "\n" in assignment.title:
            raise UsageError(f"canvas: assignment title {assignment.title!r} must be one non-empty line")
        if assignment.canvas_id is None and _ID_SUFFIX.search(assignment.title):
            raise UsageError(f"canvas: title {assignment.title!r} ends like an assignment id; Canvas would "
                             f"read it as one. Give canvas_id, or change the title")
        unknown = [e for e in assignment.exercises if e not in columns]
        if unknown or not assignment.exercises:
            raise UsageError(f"canvas: assignment {assignment.title!r} names exercises no student was graded on: "
                             f"{', '.join(unknown) or '(none)'}; graded: {', '.join(columns) or '(none)'}")
