"""The class gradebook: one SQLite file, one transaction per graded submission, read back as StudentResults.

SQLite in WAL mode keeps every committed grade through a `kill -9` of the grading process; a run that starts
again skips each submission whose fingerprint (files, exercise, grader, settings) is unchanged.
"""

from __future__ import annotations

import getpass
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import GraderError
from ..export import grade_from_dict, grade_to_dict
from ..result import Grade, StudentResult

SCHEMA = 2
FILENAME = "gradebook.sqlite"
SQLITE_MAGIC = b"SQLite format 3\x00"

_TABLES_1 = """
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
    submitted_at TEXT, submitted_source TEXT,       -- ISO 8601 UTC and where it came from (mtime, git, csv)
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
_TABLES_2 = """
CREATE TABLE extensions (
    student TEXT NOT NULL, exercise TEXT NOT NULL,  -- exercise '*': every exercise
    days REAL NOT NULL, reason TEXT NOT NULL, who TEXT NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (student, exercise)
);
CREATE TABLE overrides (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    student TEXT NOT NULL, exercise TEXT NOT NULL,
    check_name TEXT,                -- NULL: the exercise's whole score; else that check's score
    score REAL NOT NULL, reason TEXT NOT NULL, who TEXT NOT NULL, at TEXT NOT NULL,
    dropped_at TEXT, dropped_by TEXT, dropped_reason TEXT  -- set once the override no longer applies
);
CREATE TABLE events (               -- the history of every (student, exercise): never updated, never deleted
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    student TEXT NOT NULL, exercise TEXT NOT NULL, at TEXT NOT NULL, who TEXT NOT NULL,
    kind TEXT NOT NULL,             -- graded, override, override_dropped, extension, ...
    detail TEXT NOT NULL            -- JSON; a grade's: score, max_score, status, before (the score it replaced)
);
CREATE TABLE similar (              -- the latest `grade similar` groups of each exercise
    exercise TEXT NOT NULL, student TEXT NOT NULL, grp INTEGER NOT NULL, similarity REAL NOT NULL,
    computed_at TEXT NOT NULL, detail TEXT NOT NULL,
    PRIMARY KEY (exercise, student)
);
"""
_TABLES = _TABLES_1 + _TABLES_2
_SCHEMA_1_TO_2 = ("ALTER TABLE grades ADD COLUMN submitted_at TEXT;"
                  "ALTER TABLE grades ADD COLUMN submitted_source TEXT;" + _TABLES_2)


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

    run: int | None = None  # the batch run this connection grades in (grader.course.regrade.start_run)

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
        if schema == "1":
            self._upgrade_from_1()
        elif schema != str(SCHEMA):
            raise _unusable(self.path, f"gradebook schema {schema}, this grader reads schema {SCHEMA}")

    def _upgrade_from_1(self) -> None:
        """Add schema 2's columns and tables to a schema-1 gradebook, in one transaction; every grade is kept."""
        self._db.executescript("BEGIN IMMEDIATE;" + _SCHEMA_1_TO_2)
        with _Commit(self._db):
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA),))

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

    def record(self, student: str, grade: Grade, *, files: list[str], stamp: Stamp, wall_seconds: float,
               submitted_at: str | None = None, submitted_source: str | None = None) -> None:
        """Store one grade and its checks in one transaction, replacing any earlier grade of that pair.

        The history keeps a `graded` event with the score and the score it replaced (`before`, None at first).
        """
        report = grade_to_dict(grade)
        with self._transaction():
            before = self._db.execute("SELECT score, status, max_score FROM grades WHERE student = ? AND exercise = ?",
                                      (student, grade.exercise)).fetchone()
            self._db.execute("DELETE FROM grades WHERE student = ? AND exercise = ?", (student, grade.exercise))
            self._db.execute(
                "INSERT INTO grades VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (student, grade.exercise, json.dumps(files), stamp.file_hash, stamp.exercise_version,
                 stamp.exercise_hash, stamp.grader_version, stamp.settings_hash, stamp.fingerprint,
                 json.dumps(report["seeds"]), grade.status, grade.score, grade.max_score,
                 grade.error.kind if grade.error else None, grade.seconds, wall_seconds, _now(),
                 json.dumps(report), submitted_at, submitted_source))
            self._db.executemany(
                "INSERT INTO checks VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [(student, grade.exercise, i, c.name, c.kind, int(c.passed), c.score, c.max_score, c.diagnosis,
                  c.message, c.trial, c.mistake) for i, c in enumerate(grade.checks)])
            self._log(student, grade.exercise, "graded", {
                "score": grade.score, "max_score": grade.max_score, "status": grade.status,
                "before": before[0] if before else None, "fingerprint": stamp.fingerprint,
                **({"before_status": before[1], "before_max": before[2]} if before else {}),
                **({"run": self.run} if self.run is not None else {})})

    def _log(self, student: str, exercise: str, kind: str, detail: dict) -> None:
        """Append one event to the history; call inside the transaction that makes the change."""
        self._db.execute("INSERT INTO events (student, exercise, at, who, kind, detail) VALUES (?,?,?,?,?,?)",
                         (student, exercise, _now(), who(), kind, json.dumps(detail, sort_keys=True)))

    def history(self, student: str, exercise: str | None = None) -> list[dict]:
        """Every event of a student (of one exercise if given, with those for all of them: an extension of '*'),
        oldest first, each a dict with its detail merged in."""
        rows = self._db.execute(
            "SELECT id, student, exercise, at, who, kind, detail FROM events WHERE student = ? "
            "AND (? IS NULL OR exercise IN (?, '*')) ORDER BY id", (student, exercise, exercise)).fetchall()
        return [{"id": i, "student": s, "exercise": e, "at": at, "who": w, "kind": k, **json.loads(d)}
                for i, s, e, at, w, k, d in rows]

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

    def replace_similar(self, exercise: str, rows: list[tuple[str, int, float, dict]]) -> None:
        """Store an exercise's `grade similar` groups (student, group, similarity, detail) in place of its last run.

        One transaction; a student whose flag changed (newly similar, to other students, or no longer) gets a
        `similar` event in the history, so a rerun with the same result adds nothing.
        """
        at = _now()
        with self._transaction():
            before = {s: set(json.loads(d).get("similar_to", {})) for s, d in self._db.execute(
                "SELECT student, detail FROM similar WHERE exercise = ?", (exercise,))}
            self._db.execute("DELETE FROM similar WHERE exercise = ?", (exercise,))
            self._db.executemany("INSERT INTO similar VALUES (?,?,?,?,?,?)", [
                (exercise, s, grp, sim, at, json.dumps(detail, sort_keys=True)) for s, grp, sim, detail in rows])
            now = {s: (grp, detail.get("similar_to", {})) for s, grp, _, detail in rows}
            for student in sorted(before.keys() | now.keys()):
                grp, similar_to = now.get(student, (None, {}))
                if before.get(student, set()) != set(similar_to):
                    self._log(student, exercise, "similar", {"group": grp, "similar_to": similar_to})

    def similar(self, exercise: str | None = None) -> list[dict]:
        """The stored `grade similar` rows (of one exercise if given), each with its detail merged in."""
        rows = self._db.execute("SELECT exercise, student, grp, similarity, computed_at, detail FROM similar "
                                "WHERE ? IS NULL OR exercise = ? ORDER BY exercise, grp, student",
                                (exercise, exercise)).fetchall()
        return [{**json.loads(d), "exercise": e, "student": s, "group": g, "similarity": sim, "computed_at": at}
                for e, s, g, sim, at, d in rows]

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


def who() -> str:
    """The name of the person running the grader, as the history records it."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER: a container's uid
        return "unknown"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
