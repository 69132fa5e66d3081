"""Instructor overrides of autograded scores: set, drop and read them, each change one transaction with its event.

An override never touches the stored grade: the raw score stays what the autograder gave, and the ledger
(grader.course.ledger) applies the overrides in force on top of it. Rows are never deleted; a dropped override
keeps its row with dropped_at/dropped_by/dropped_reason set, and the events table tells the whole story.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

from ..errors import UsageError
from ..exercise import did_you_mean
from .gradebook import Gradebook, who

BATCH_DROP_REASON = "dropped by grade batch --drop-overrides"
SUPERSEDED_REASON = "replaced by override #{id}"


@dataclass(frozen=True)
class OverrideRow:
    """One override in force: `check` None sets the exercise's whole score, else that one check's score."""

    id: int
    student: str
    exercise: str
    check: str | None
    score: float
    reason: str
    who: str
    at: str  # ISO 8601 UTC


@dataclass(frozen=True)
class RegradeNotice:
    """A regraded (student, exercise) that had overrides in force, and what became of them."""

    student: str
    exercise: str
    overrides: tuple[OverrideRow, ...]
    score: float            # the new autograded score
    max_score: float
    before: float | None    # the autograded score it replaced
    dropped: bool           # True: --drop-overrides dropped them; False: they still apply
    check_max: dict[str, float]  # the new grade's checks and the points each is worth


_COLUMNS = "id, student, exercise, check_name, score, reason, who, at"


def active_overrides(gradebook: Gradebook) -> dict[tuple[str, str], list[OverrideRow]]:
    """Every override in force, by (student, exercise), each list oldest first (the newest wins, last)."""
    found: dict[tuple[str, str], list[OverrideRow]] = {}
    for row in gradebook._db.execute(f"SELECT {_COLUMNS} FROM overrides WHERE dropped_at IS NULL ORDER BY id"):
        override = OverrideRow(*row)
        found.setdefault((override.student, override.exercise), []).append(override)
    return found


def _active(gradebook: Gradebook, student: str, exercise: str) -> list[OverrideRow]:
    return [OverrideRow(*row) for row in gradebook._db.execute(
        f"SELECT {_COLUMNS} FROM overrides WHERE dropped_at IS NULL AND student = ? AND exercise = ? ORDER BY id",
        (student, exercise))]


def check_student(gradebook: Gradebook, student: str) -> None:
    """Refuse a student the gradebook has never seen, naming the closest one it has."""
    known = [s for (s,) in gradebook._db.execute(
        "SELECT student FROM grades UNION SELECT student FROM events ORDER BY 1")]
    if student not in known:
        hint = did_you_mean(student, known)
        raise UsageError(f"no student '{student}' in the gradebook {gradebook.path}{hint}")


def check_exercise(gradebook: Gradebook, exercise: str, course: list[str]) -> None:
    """Refuse an exercise the course does not have, naming the closest one it has.

    One the course has since removed still counts when the gradebook holds its grades or history.
    """
    stored = [e for (e,) in gradebook._db.execute("SELECT exercise FROM grades UNION SELECT exercise FROM events")]
    known = [*course, *(e for e in stored if e not in course)]
    if exercise not in known:
        hint = did_you_mean(exercise, known)
        raise UsageError(f"no exercise '{exercise}' in this course{hint}; run 'grade list' to see them")


def max_points(gradebook: Gradebook, student: str, exercise: str, check: str | None = None) -> float:
    """The most points `check` (or the whole exercise) can take in the stored grade; refuses what is not stored."""
    row = gradebook._db.execute("SELECT max_score FROM grades WHERE student = ? AND exercise = ?",
                                (student, exercise)).fetchone()
    if row is None:
        raise UsageError(f"{student} has no grade for {exercise} yet; run grade batch first")
    if check is None:
        return float(row[0])
    checks = dict(gradebook._db.execute("SELECT name, max_score FROM checks WHERE student = ? AND exercise = ? "
                                        "ORDER BY position", (student, exercise)).fetchall())
    if check not in checks:
        hint = did_you_mean(check, list(checks)) or f" (its checks: {', '.join(checks) or 'none'})"
        raise UsageError(f"{student}'s grade for {exercise} has no check '{check}'{hint}")
    return float(checks[check])


def _reason(reason: str | None, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise UsageError(f"{what} needs --reason \"...\": the history keeps why every score changed")
    return text


def _summary(override: OverrideRow | None) -> dict | None:
    if override is None:
        return None
    return {"override_id": override.id, "score": override.score, "check": override.check,
            "reason": override.reason, "by": override.who, "at": override.at}


def set_override(gradebook: Gradebook, student: str, exercise: str, *, score: float, reason: str | None,
                 check: str | None = None, by: str | None = None) -> OverrideRow:
    """Set `student`'s score for `exercise` (or one check of it) to `score`, replacing the override it had, if any.

    One transaction: the earlier override of the same exercise-or-check is marked dropped (never deleted), the new
    one stored, and an `override` event logged with the score, check, reason and the override it replaced.
    """
    reason = _reason(reason, "an override")
    by = by or who()
    top = max_points(gradebook, student, exercise, check)
    what = f"check {check}" if check is not None else exercise
    if not (math.isfinite(score) and 0 <= score <= top):
        raise UsageError(f"--score {score:g} is outside 0..{top:g}, the points {what} is worth")
    at = _now()
    with gradebook._transaction() as db:
        previous = next((o for o in reversed(_active(gradebook, student, exercise)) if o.check == check), None)
        cursor = db.execute("INSERT INTO overrides (student, exercise, check_name, score, reason, who, at) "
                            "VALUES (?,?,?,?,?,?,?)", (student, exercise, check, float(score), reason, by, at))
        new = OverrideRow(int(cursor.lastrowid), student, exercise, check, float(score), reason, by, at)
        if previous is not None:
            db.execute("UPDATE overrides SET dropped_at = ?, dropped_by = ?, dropped_reason = ? WHERE id = ?",
                       (at, by, SUPERSEDED_REASON.format(id=new.id), previous.id))
        raw = _raw_score(gradebook, student, exercise, check)
        _log_as(gradebook, by, at, student, exercise, "override", {
            "override_id": new.id, "score": new.score, "max_score": top, "check": check, "reason": reason,
            "autograded": raw, "previous": _summary(previous)})
    return new


def drop_overrides(gradebook: Gradebook, student: str, exercise: str, *, reason: str | None,
                   check: str | None = None, by: str | None = None) -> list[OverrideRow]:
    """Mark the overrides in force for `exercise` (all of them, or only `check`'s) dropped; rows are kept.

    One transaction, one `override_dropped` event per override dropped.
    """
    reason = _reason(reason, "dropping an override")
    by = by or who()
    with gradebook._transaction():  # read and drop together: what is dropped is what was in force
        in_force = _active(gradebook, student, exercise)
        active = [o for o in in_force if check is None or o.check == check]
        if not active:
            on = f" on check {check}" if check is not None else ""
            others = f" (in force: {', '.join(describe(o) for o in in_force)})" if in_force else ""
            raise UsageError(f"{student} {exercise} has no override in force{on} to drop{others}")
        _drop(gradebook, active, reason=reason, by=by)
    return active


def _drop(gradebook: Gradebook, overrides: list[OverrideRow], *, reason: str, by: str) -> None:
    """Mark `overrides` dropped and log each; call inside a transaction."""
    at = _now()
    for override in overrides:
        gradebook._db.execute(
            "UPDATE overrides SET dropped_at = ?, dropped_by = ?, dropped_reason = ? WHERE id = ? "
            "AND dropped_at IS NULL", (at, by, reason, override.id))
        _log_as(gradebook, by, at, override.student, override.exercise, "override_dropped", {
            "override_id": override.id, "score": override.score, "check": override.check, "reason": reason,
            "previous": _summary(override)})


def after_regrade(gradebook: Gradebook, student: str, exercise: str, *, drop: bool,
                  by: str | None = None) -> RegradeNotice | None:
    """Say what a new grade of (student, exercise) means for its overrides: kept, or dropped (--drop-overrides).

    Called right after the grade is stored; dropping is its own transaction, one per pair, immediately after the
    grade's, so a run killed in between leaves the grade stored and the override in force (never the reverse).
    """
    active = _active(gradebook, student, exercise)
    if not active:
        return None
    graded = gradebook._db.execute(
        "SELECT detail FROM events WHERE student = ? AND exercise = ? AND kind = 'graded' ORDER BY id DESC LIMIT 1",
        (student, exercise)).fetchone()
    detail = json.loads(graded[0]) if graded else {}
    check_max = dict(gradebook._db.execute("SELECT name, max_score FROM checks WHERE student = ? AND exercise = ?",
                                           (student, exercise)).fetchall())
    if drop:
        with gradebook._transaction():
            _drop(gradebook, active, reason=BATCH_DROP_REASON, by=by or who())
    return RegradeNotice(student, exercise, tuple(active), float(detail.get("score", 0.0)),
                         float(detail.get("max_score", 0.0)), detail.get("before"), drop, check_max)


def notice_line(notice: RegradeNotice) -> str:
    """The line `grade batch` prints for a regraded pair with overrides: what still applies, or what was dropped."""
    parts = []
    for override in notice.overrides:
        if override.check is None:
            parts.append(describe(override, notice.max_score))
        elif override.check in notice.check_max:
            parts.append(describe(override, notice.check_max[override.check]))
        else:
            parts.append(describe(override) + f" (the new grade has no check {override.check})")
    said = " and ".join(parts)
    was = f" (was {notice.before:g}/{notice.max_score:g})" if notice.before is not None else ""
    new = f"{notice.score:g}/{notice.max_score:g}{was}"
    head = f"{notice.student} {notice.exercise}: {said}"
    if notice.dropped:
        return f"{head} dropped (--drop-overrides); the new autograded score {new} counts."
    verb = "still applies" if len(parts) == 1 else "still apply"
    return (f"{head} {verb}; the new autograded score is {new}. "
            f"grade override {notice.student} {notice.exercise} --drop --reason ... removes "
            f"{'it' if len(parts) == 1 else 'them'}.")


def describe(override: OverrideRow, max_score: float | None = None) -> str:
    """One override in a few words: "override 8/10 by mo ('late medical note')"."""
    of = f"/{max_score:g}" if max_score is not None else ""
    target = f" of check {override.check}" if override.check is not None else ""
    return f"override{target} {override.score:g}{of} by {override.who} ({override.reason!r})"


def _raw_score(gradebook: Gradebook, student: str, exercise: str, check: str | None) -> float | None:
    if check is None:
        row = gradebook._db.execute("SELECT score FROM grades WHERE student = ? AND exercise = ?",
                                    (student, exercise)).fetchone()
    else:
        row = gradebook._db.execute("SELECT score FROM checks WHERE student = ? AND exercise = ? AND name = ?",
                                    (student, exercise, check)).fetchone()
    return row[0] if row else None


def _log_as(gradebook: Gradebook, by: str, at: str, student: str, exercise: str, kind: str, detail: dict) -> None:
    """Append one event in the name of `by` (the override's author, --who); call inside the change's transaction.

    Gradebook._log always names the user running the grader; an override entered for someone else names them.
    """
    gradebook._db.execute("INSERT INTO events (student, exercise, at, who, kind, detail) VALUES (?,?,?,?,?,?)",
                          (student, exercise, at, by, kind, json.dumps(detail, sort_keys=True)))


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
