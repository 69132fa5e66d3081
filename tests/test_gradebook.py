"""The gradebook: grades stored and read back whole, and a file that is not a gradebook never overwritten."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from grader.course.gradebook import Gradebook, GradebookError, Stamp
from grader.result import CheckResult, Grade, GradeError

STAMP = Stamp(file_hash="f" * 64, exercise_version=1, exercise_hash="e" * 64, settings_hash="s" * 16)


def _grade(exercise: str = "ex03", score: float = 3.0, error: GradeError | None = None) -> Grade:
    checks = (CheckResult("Q", "value", True, 4.0, 4.0),
              CheckResult("a.grad", "grad", score == 3.0, score, 3.0, message="got 2x", diagnosis="accumulated",
                          trial="hidden trial 1 (seed 7)"))
    return Grade(exercise=exercise, title="Q", version=1, submission="alice/ex03.py", checks=checks, error=error,
                 public_seeds=(0, 1), hidden_seeds=(7,), seconds=0.25, notes=("a note",), sandbox="namespaces")


def test_grades_round_trip_and_replace_earlier_ones(tmp_path: Path) -> None:
    path = tmp_path / "gb.sqlite"
    with Gradebook(path) as book:
        book.record("alice", _grade(score=0.0), files=["alice/ex03.py"], stamp=STAMP, wall_seconds=0.3)
        book.record("alice", _grade(), files=["alice/ex03.py"], stamp=STAMP, wall_seconds=0.3)
        book.record("bob", _grade("ex01", error=GradeError("no_submission", "nothing")), files=[], stamp=STAMP,
                    wall_seconds=0.0)
    with Gradebook(path) as book:
        results = book.results()
        assert [r.student for r in results] == ["alice", "bob"]
        assert results[0].grades == (_grade(),)
        assert results[1].grades[0].error == GradeError("no_submission", "nothing")
        assert book.fingerprints() == {("alice", "ex03"): STAMP.fingerprint, ("bob", "ex01"): STAMP.fingerprint}
        assert [r.student for r in book.results(exercises=("ex03",))] == ["alice", "bob"]
        assert book.results(exercises=("ex03",))[1].grades == ()
    rows = sqlite3.connect(path).execute(
        'SELECT student, exercise, "check", score, diagnosis, file_hash, exercise_version, grader_version, seeds '
        "FROM check_rows ORDER BY student, exercise, \"check\"").fetchall()
    assert len(rows) == 4  # one row per student x exercise x check; the first alice grade was replaced
    assert rows[0][:7] == ("alice", "ex03", "Q", 4.0, None, "f" * 64, 1)
    assert rows[1][2:5] == ("a.grad", 3.0, "accumulated")


@pytest.mark.parametrize(("content", "reason"), [
    (b"not a database at all, just text", "not an SQLite file"),
    (b"SQLite format 3\x00" + b"\x13" * 4000, "file is not a database"),
])
def test_a_corrupt_gradebook_is_refused_and_left_untouched(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "gb.sqlite"
    path.write_bytes(content)
    with pytest.raises(GradebookError) as caught:
        Gradebook(path)
    message = caught.value.message
    assert str(path) in message and reason in message
    assert "left untouched" in message and "mv gb.sqlite gb.sqlite.broken" in message
    assert path.read_bytes() == content


def test_another_programs_database_is_not_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (x)")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(GradebookError, match="not a gradebook"):
        Gradebook(path)
    assert path.read_bytes() == before


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gb.sqlite"
    Gradebook(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    db.commit()
    db.close()
    with pytest.raises(GradebookError, match="schema 99"):
        Gradebook(path)


def test_an_empty_file_becomes_a_gradebook(tmp_path: Path) -> None:
    path = tmp_path / "gb.sqlite"
    path.touch()
    with Gradebook(path) as book:
        assert book.meta("schema") == "2"


def test_a_schema_1_gradebook_is_upgraded_in_place_keeping_every_grade(tmp_path: Path) -> None:
    path = tmp_path / "gb.sqlite"
    with Gradebook(path) as book:
        book.record("alice", _grade(), files=["alice/ex03.py"], stamp=STAMP, wall_seconds=0.3)
    db = sqlite3.connect(path)  # turn it into what a schema-1 grader wrote
    db.executescript("ALTER TABLE grades DROP COLUMN submitted_at; ALTER TABLE grades DROP COLUMN submitted_source;"
                     "DROP TABLE extensions; DROP TABLE overrides; DROP TABLE events; DROP TABLE similar;"
                     "UPDATE meta SET value = '1' WHERE key = 'schema';")
    db.close()
    with Gradebook(path) as book:
        assert book.meta("schema") == "2"
        assert book.results()[0].grades == (_grade(),)
        assert book.history("alice") == []  # schema 1 kept no history; nothing is invented
        book.record("alice", _grade(score=0.0), files=["alice/ex03.py"], stamp=STAMP, wall_seconds=0.3,
                    submitted_at="2026-12-01T10:00:00Z", submitted_source="mtime")
        [event] = book.history("alice", "ex03")
        assert (event["kind"], event["score"], event["before"]) == ("graded", 4.0, 7.0)


def test_every_grade_is_kept_in_the_history_with_the_score_it_replaced(tmp_path: Path) -> None:
    with Gradebook(tmp_path / "gb.sqlite") as book:
        book.record("alice", _grade(score=0.0), files=[], stamp=STAMP, wall_seconds=0.1)
        book.record("alice", _grade(), files=[], stamp=STAMP, wall_seconds=0.1)
        book.record("alice", _grade("ex01"), files=[], stamp=STAMP, wall_seconds=0.1)
        assert [(e["exercise"], e["score"], e["before"]) for e in book.history("alice")] == [
            ("ex03", 4.0, None), ("ex03", 7.0, 4.0), ("ex01", 7.0, None)]
        assert [e["exercise"] for e in book.history("alice", "ex01")] == ["ex01"]
        assert book.history("bob") == []


def test_a_stored_row_is_bounded_however_large_the_grade_was_made(tmp_path: Path) -> None:
    """BUG (nothing was capped): a grade with a thousand notes of a megabyte each was stored whole, a gigabyte."""
    from grader.result import MAX_NOTES, MAX_TEXT

    huge = "m" * 10**6
    grade = Grade(exercise="ex03", title="Q", version=1, submission="alice/ex03.py",
                  checks=(CheckResult("Q", "value", False, 0.0, 4.0, message=huge, diagnosis="value"),),
                  error=GradeError("exception", huge, code=huge), notes=(huge,) * 1000)
    path = tmp_path / "gb.sqlite"
    with Gradebook(path) as book:
        book.record("alice", grade, files=["alice/ex03.py"], stamp=STAMP, wall_seconds=0.3)
        assert book.results()[0].grades == (grade,)
    report, = sqlite3.connect(path).execute("SELECT report FROM grades").fetchone()
    message, = sqlite3.connect(path).execute("SELECT message FROM checks").fetchone()
    assert len(report) < (MAX_NOTES + 4) * (MAX_TEXT + 100) and len(message) == MAX_TEXT
