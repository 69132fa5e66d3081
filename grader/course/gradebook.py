"""The class gradebook: one SQLite file, one transaction per graded submission, read back as StudentResults.

SQLite in WAL mode keeps every committed grade through a `kill -9` of the grading process; a run that starts
again skips each submission whose fingerprint (files, exercise, grader, settings) is unchanged.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import GraderError
from ..export import grade_from_dict, grade_to_dict
from ..result import Grade, StudentResult

SCHEMA = 1
FILENAME = "gradebook.sqlite"
SQLITE_MAGIC = b"SQLite format 3\x00"

_TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE grades (
    student TEXT NOT NULL, exercise TEXT NOT NULL,
    files TEXT NOT NULL,            -- JSON list of the files tried, relative to the submissions folder
    file_hash TEXT NOT NULL, exercise_version INTEGER NOT NULL, exercise_hash TEXT NOT NULL,
    grader_version TEXT NOT NULL, settings_hash TEXT NOT NULL, fingerprint TEXT NOT NULL,
    seeds TEXT NOT NULL,            -- JSON {"public": [...], "hidden": [...]}
    status TEXT NOT NULL, score REAL NOT NULL, max_score REAL NOT NULL, error_kind TEXT,
    seconds REAL NOT NULL,          -- the child's own run
    wall_seconds REAL NOT NULL,     -- from taking the job to the grade, in the grading process
    graded_at TEXT NOT NULL, report TEXT NOT NULL,  -- report: the Grade as JSON (grader.export.grade_to_dict)
    PRIMARY KEY (student, exercise)
);
CREATE TABLE checks (
    student TEXT NOT NULL, exercise TEXT NOT NULL, position INTEGER NOT NULL, name TEXT NOT NULL,
    kind TEXT NOT NULL, passed INTEGER NOT NULL, score REAL NOT NULL, max_score REAL NOT NULL,
    diagnosis TEXT, message TEXT NOT NULL, trial TEXT, mistake TEXT,
    PRIMARY KEY (student, exercise, position),
    FOREIGN KEY (student, exercise) REFERENCES grades (student, exercise) ON DELETE CASCADE
);
CREATE VIEW check_rows AS
    SELECT c.student, c.exercise, c.name AS "check", c.passed, c.score, c.max_score, c.diagnosis, c.message,
           g.file_hash, g.exercise_version, g.grader_version, g.seeds, g.seconds, g.graded_at
    FROM checks c JOIN grades g USING (student, exercise);
"""


class GradebookError(GraderError):
    """The gradebook file cannot be used; it is never overwritten."""


@dataclass(frozen=True)
class Stamp:
    """What a grade was computed from; equal stamps mean nothing to regrade."""

    file_hash: str
    exercise_version: int
    exercise_hash: str
    settings_hash: str
    grader_version: str = __version__

    @property
    def fingerprint(self) -> str:
        return "|".join((self.file_hash, str(self.exercise_version), self.exercise_hash, self.settings_hash,
                         self.grader_version))


class Gradebook:
    """An open gradebook; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fresh = not path.exists() or path.stat().st_size == 0  # an empty file holds nothing to lose
        if not fresh:
            _refuse_foreign(path)
        try:
            self._db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            self._db.execute("PRAGMA foreign_keys = ON")
            if fresh:
                self._create()
            self._check()
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")  # WAL: a killed process loses no committed grade
        except sqlite3.DatabaseError as exc:
            raise _unusable(path, str(exc)) from None

    def _create(self) -> None:
        self._db.executescript("BEGIN IMMEDIATE;" + _TABLES)  # one transaction: a gradebook or nothing
        with _Commit(self._db):
            self._db.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("schema", str(SCHEMA)), ("created_by", f"grade {__version__}"), ("created_at", _now())])

    def _check(self) -> None:
        problem = self._db.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise _unusable(self.path, f"integrity check failed: {problem}")
        try:
            schema = dict(self._db.execute("SELECT key, value FROM meta").fetchall()).get("schema")
        except sqlite3.DatabaseError:
            raise _unusable(self.path, "an SQLite file, but not a gradebook (no meta table)") from None
        if schema != str(SCHEMA):
            raise _unusable(self.path, f"gradebook schema {schema}, this grader reads schema {SCHEMA}")

    def _transaction(self) -> _Commit:
        self._db.execute("BEGIN IMMEDIATE")
        return _Commit(self._db)

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def fingerprints(self) -> dict[tuple[str, str], str]:
        """(student, exercise) -> the fingerprint of its stored grade."""
        return {(s, e): f for s, e, f in self._db.execute("SELECT student, exercise, fingerprint FROM grades")}

    def record(self, student: str, grade: Grade, *, files: list[str], stamp: Stamp, wall_seconds: float) -> None:
        """Store one grade and its checks in one transaction, replacing any earlier grade of that pair."""
        report = grade_to_dict(grade)
        with self._transaction():
            self._db.execute("DELETE FROM grades WHERE student = ? AND exercise = ?", (student, grade.exercise))
            self._db.execute(
                "INSERT INTO grades VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (student, grade.exercise, json.dumps(files), stamp.file_hash, stamp.exercise_version,
                 stamp.exercise_hash, stamp.grader_version, stamp.settings_hash, stamp.fingerprint,
                 json.dumps(report["seeds"]), grade.status, grade.score, grade.max_score,
                 grade.error.kind if grade.error else None, grade.seconds, wall_seconds, _now(),
                 json.dumps(report)))
            self._db.executemany(
                "INSERT INTO checks VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [(student, grade.exercise, i, c.name, c.kind, int(c.passed), c.score, c.max_score, c.diagnosis,
                  c.message, c.trial, c.mistake) for i, c in enumerate(grade.checks)])

    def answered(self) -> tuple[str, ...]:
        """The exercises at least one student handed something in for, sorted."""
        return tuple(e for (e,) in self._db.execute(
            "SELECT DISTINCT exercise FROM grades WHERE error_kind IS NOT 'no_submission' ORDER BY exercise"))

    def assigned(self) -> tuple[str, ...] | None:
        """The exercises of every batch so far (each one's --exercises, else those anyone answered); None before any."""
        stored = self.meta("exercises")
        return tuple(json.loads(stored)) if stored is not None else None

    def results(self, *, exercises: tuple[str, ...] | None = None) -> list[StudentResult]:
        """Every student's grades, students sorted, exercises in catalog order (only `exercises` if given)."""
        by_student: dict[str, dict[str, Grade]] = {}
        for student, exercise, report in self._db.execute("SELECT student, exercise, report FROM grades"):
            by_student.setdefault(student, {})[exercise] = grade_from_dict(json.loads(report))
        if exercises is None:
            exercises = tuple(sorted({e for grades in by_student.values() for e in grades}))
        return [StudentResult(student, tuple(grades[e] for e in exercises if e in grades))
                for student, grades in sorted(by_student.items())]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Commit:
    """Commit on success, roll back on any exception (KeyboardInterrupt included)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        return self._db

    def __exit__(self, kind: object, *rest: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")


def _refuse_foreign(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise _unusable(path, f"cannot read it: {exc.strerror or exc}") from None
    if head != SQLITE_MAGIC:
        raise _unusable(path, "not an SQLite file")


def _unusable(path: Path, reason: str) -> GradebookError:
    return GradebookError(
        f"{path}: cannot use this gradebook ({reason}). It was left untouched. To recover, move it aside "
        f"(mv {path.name} {path.name}.broken) and run `grade batch` again, which regrades every submission "
        f"into a new gradebook; or pass --gradebook to use another file.")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
