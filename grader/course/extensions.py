"""Per-student extensions of a due time (`grade extend`): the gradebook's extensions table and their history.

Each change is one transaction that also appends an `extension` event, so `grade history` shows who gave which
extension, when and why. The table and the transaction belong to the Gradebook; these are its queries for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError
from ..exercise import did_you_mean
from .gradebook import Gradebook, _now, who

ALL = "*"  # the exercise of an extension that applies to every exercise


@dataclass(frozen=True)
class Extension:
    """Days added to one student's due time for one exercise (or ALL), with who gave them, when and why."""

    student: str
    exercise: str
    days: float
    reason: str
    who: str
    at: str


def students(book: Gradebook) -> list[str]:
    """Every student the gradebook holds a grade for, sorted."""
    return [s for (s,) in book._db.execute("SELECT DISTINCT student FROM grades ORDER BY student")]  # noqa: SLF001


def known_student(book: Gradebook, wanted: str) -> str:
    """The gradebook's spelling of `wanted` (matched without regard to case); UsageError naming the closest."""
    names = students(book)
    exact = [s for s in names if s.casefold() == wanted.casefold()]
    if exact:
        return exact[0]
    hint = did_you_mean(wanted, names)
    listed = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "") if names else "none yet: run grade batch"
    raise UsageError(f"no student {wanted!r} in the gradebook{hint}; its students: {listed}")


def known_exercise(wanted: str, known: list[str]) -> str:
    """`wanted` if it is an exercise of the course or 'all' (-> ALL); UsageError naming the closest."""
    if wanted in (ALL, "all"):
        return ALL
    if wanted in known:
        return wanted
    hint = did_you_mean(wanted, known)
    raise UsageError(f"no exercise {wanted!r}{hint}; give one of {', '.join(known)}, or 'all'")


def extend(book: Gradebook, student: str, exercise: str, *, days: float, reason: str) -> Extension | None:
    """Give `student` `days` more for `exercise` (ALL: every exercise), replacing an earlier one; return the old one."""
    if not days > 0:
        raise UsageError(f"--days must be more than 0, not {days:g}; to take an extension back, use --remove")
    if not reason.strip():
        raise UsageError('--reason is required: say why, e.g. --reason "medical certificate"')
    before = extension(book, student, exercise)
    made = Extension(student, exercise, float(days), reason.strip(), who(), _now())
    with book._transaction() as db:  # noqa: SLF001
        db.execute("INSERT OR REPLACE INTO extensions VALUES (?,?,?,?,?,?)",
                   (made.student, made.exercise, made.days, made.reason, made.who, made.at))
        book._log(student, exercise, "extension", {  # noqa: SLF001
            "days": made.days, "reason": made.reason, "before": before.days if before else None})
    return before


def remove(book: Gradebook, student: str, exercise: str, *, reason: str = "") -> Extension:
    """Take back the student's extension of `exercise` (ALL: the one for every exercise); return it."""
    before = extension(book, student, exercise)
    if before is None:
        given = [e.exercise for e in extensions(book) if e.student == student]
        what = "every exercise" if exercise == ALL else exercise
        raise UsageError(f"{student} has no extension for {what}"
                         + (f"; their extensions: {', '.join('all' if e == ALL else e for e in given)}" if given else ""))
    with book._transaction() as db:  # noqa: SLF001
        db.execute("DELETE FROM extensions WHERE student = ? AND exercise = ?", (student, exercise))
        book._log(student, exercise, "extension_removed", {  # noqa: SLF001
            "days": 0, "before": before.days, "reason": reason.strip()})
    return before


def extension(book: Gradebook, student: str, exercise: str) -> Extension | None:
    """The student's extension row for exactly `exercise` (ALL for the one covering every exercise)."""
    row = book._db.execute("SELECT * FROM extensions WHERE student = ? AND exercise = ?",  # noqa: SLF001
                           (student, exercise)).fetchone()
    return Extension(*row) if row else None


def extensions(book: Gradebook) -> list[Extension]:
    """Every extension in force, by student then exercise."""
    return [Extension(*row) for row in book._db.execute(  # noqa: SLF001
        "SELECT * FROM extensions ORDER BY student, exercise")]


def days_for(granted: list[Extension], student: str, exercise: str) -> float:
    """The extension that applies: the exercise's own when the student has one, else their ALL one, else 0."""
    own = {e.exercise: e.days for e in granted if e.student == student}
    return own.get(exercise, own.get(ALL, 0.0))
