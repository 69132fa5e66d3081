"""`grade override`, `grade history` and what a regrade does with overrides, on a generated class."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.course import overrides
from grader.course.gradebook import Gradebook
from grader.course.overrides import OverrideRow, active_overrides, drop_overrides, set_override

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
NOTE = "late medical note"


def _grade(*args: str | Path) -> Done:
    """Run `grade override` or `grade history` in this process, from the repository's course folder."""
    here = os.getcwd()
    os.chdir(REPO)
    try:
        result = CliRunner().invoke(main, [str(a) for a in args])
    finally:
        os.chdir(here)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Done(result.exit_code, result.stdout, result.stderr)


@dataclasses.dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


def _batch(root: Path, book: Path, *more: str) -> subprocess.CompletedProcess:
    """Run `grade batch` as an instructor does, in a process of its own."""
    command = ["batch", str(root), "--gradebook", str(book), "--exercises", "ex03", "--timeout", "3", "--workers", "2"]
    done = subprocess.run([sys.executable, "-m", "grader", *command, *more], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return done


def _rows(book: Path, sql: str, *args: object) -> list[dict]:
    db = sqlite3.connect(book)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute(sql, args)]
    finally:
        db.close()


def _events(book: Path, kind: str) -> list[dict]:
    return [{**r, **json.loads(r["detail"])} for r in _rows(book, "SELECT * FROM events WHERE kind = ? ORDER BY id",
                                                           kind)]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A class graded once: alice 4/10 (gradients accumulated), bob 10/10; ex03 only."""
    root = tmp_path_factory.mktemp("class") / "submissions"
    for student, source in (("alice", SOLUTIONS / "wrong" / "ex03_accumulated.py"), ("bob", SOLUTIONS / "ex03.py")):
        (root / student).mkdir(parents=True)
        shutil.copy(source, root / student / "ex03.py")
    _batch(root, root.parent / "grades" / "gradebook.sqlite")
    return root


@pytest.fixture
def course(graded: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the graded class and its gradebook, for one test to change."""
    root = tmp_path / "submissions"
    shutil.copytree(graded, root)
    shutil.copytree(graded.parent / "grades", tmp_path / "grades")
    return root, tmp_path / "grades" / "gradebook.sqlite"


def test_the_generated_class_scores_as_expected(course) -> None:
    _, book = course
    scores = {r["student"]: (r["score"], r["max_score"]) for r in _rows(book, "SELECT * FROM grades")}
    assert scores == {"alice": (4.0, 10.0), "bob": (10.0, 10.0)}


def test_set_then_change_keeps_both_rows_and_logs_each(course) -> None:
    _, book = course
    done = _grade("override", "alice", "ex03", "--score", "8", "--reason", NOTE, "--who", "mo", "--gradebook", book)
    assert done.returncode == 0, done.stderr
    assert f"alice ex03: override 8/10 by mo ('{NOTE}') set (#1)" in done.stdout
    done = _grade("override", "alice", "ex03", "--score", "9", "--reason", "rechecked", "--gradebook", book)
    assert done.returncode == 0, done.stderr
    rows = _rows(book, "SELECT * FROM overrides ORDER BY id")
    assert [(r["score"], r["check_name"], r["reason"]) for r in rows] == [(8.0, None, NOTE), (9.0, None, "rechecked")]
    assert rows[0]["dropped_reason"] == "replaced by override #2" and rows[0]["dropped_by"] == rows[1]["who"]
    assert rows[1]["dropped_at"] is None and rows[0]["who"] == "mo"
    first, second = _events(book, "override")
    assert (first["score"], first["max_score"], first["autograded"], first["who"], first["previous"]) == \
        (8.0, 10.0, 4.0, "mo", None)
    assert second["previous"]["override_id"] == 1 and second["previous"]["score"] == 8.0
    assert second["previous"]["reason"] == NOTE and second["previous"]["by"] == "mo"
    assert _rows(book, "SELECT score FROM grades WHERE student = 'alice'") == [{"score": 4.0}]  # raw score kept


def test_a_check_override_is_validated_against_that_check(course) -> None:
    _, book = course
    done = _grade("override", "alice", "ex03", "--check", "a.grad", "--score", "3", "--reason", "sign only",
                  "--gradebook", book)
    assert done.returncode == 0, done.stderr
    (row,) = _rows(book, "SELECT * FROM overrides")
    assert (row["check_name"], row["score"], row["dropped_at"]) == ("a.grad", 3.0, None)
    (event,) = _events(book, "override")
    assert (event["check"], event["max_score"], event["autograded"]) == ("a.grad", 3.0, 0.0)
    done = _grade("override", "alice", "ex03", "--check", "a.grad", "--score", "4", "--reason", "x",
                  "--gradebook", book)
    assert done.returncode == 2 and "--score 4 is outside 0..3, the points check a.grad is worth" in done.stderr
    done = _grade("override", "alice", "ex03", "--check", "a.grd", "--score", "1", "--reason", "x",
                  "--gradebook", book)
    assert done.returncode == 2 and "no check 'a.grd' (did you mean a.grad?)" in done.stderr


def test_drop_marks_rows_dropped_and_never_deletes(course) -> None:
    _, book = course
    with Gradebook(book) as gradebook:
        whole = set_override(gradebook, "alice", "ex03", score=8, reason=NOTE, by="mo")
        check = set_override(gradebook, "alice", "ex03", score=3, reason="sign only", check="b.grad", by="mo")
        assert active_overrides(gradebook) == {("alice", "ex03"): [whole, check]}
    done = _grade("override", "alice", "ex03", "--drop", "--check", "b.grad", "--reason", "wrong check",
                  "--gradebook", book)
    assert done.returncode == 0, done.stderr
    assert "dropped override of check b.grad 3 by mo ('sign only') (#2)" in done.stdout
    with Gradebook(book) as gradebook:
        assert active_overrides(gradebook) == {("alice", "ex03"): [whole]}
    done = _grade("override", "alice", "ex03", "--drop", "--reason", "note withdrawn", "--who", "lee",
                  "--gradebook", book)
    assert done.returncode == 0, done.stderr
    rows = _rows(book, "SELECT * FROM overrides ORDER BY id")
    assert [(r["dropped_by"], r["dropped_reason"]) for r in rows] == [("lee", "note withdrawn"),
                                                                      (rows[1]["dropped_by"], "wrong check")]
    dropped = _events(book, "override_dropped")
    assert [(e["override_id"], e["reason"], e["previous"]["reason"]) for e in dropped] == \
        [(2, "wrong check", "sign only"), (1, "note withdrawn", NOTE)]
    assert dropped[1]["who"] == "lee"
    done = _grade("override", "alice", "ex03", "--drop", "--reason", "again", "--gradebook", book)
    assert done.returncode == 2 and "alice ex03 has no override in force to drop" in done.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("alice", "ex03", "--score", "11", "--reason", "x"), "--score 11 is outside 0..10, the points ex03 is worth"),
    (("alice", "ex03", "--score", "-1", "--reason", "x"), "--score -1 is outside 0..10"),
    (("alice", "ex03", "--score", "nan", "--reason", "x"), "--score nan is outside 0..10"),
    (("alice", "ex03", "--score", "8"), "an override needs --reason"),
    (("alice", "ex03", "--score", "8", "--reason", "  "), "an override needs --reason"),
    (("alice", "ex03", "--drop"), "dropping an override needs --reason"),
    (("alice", "ex03", "--reason", "x"), "give either --score X (set an override) or --drop"),
    (("alice", "ex03", "--drop", "--score", "3", "--reason", "x"), "give either --score X"),
    (("alcie", "ex03", "--score", "8", "--reason", "x"), "no student 'alcie' in the gradebook"),
    (("alcie", "ex03", "--score", "8", "--reason", "x"), "(did you mean alice?)"),
    (("alice", "ex3", "--score", "8", "--reason", "x"), "no exercise 'ex3' in this course (did you mean ex03?)"),
    (("alice", "ex01", "--score", "8", "--reason", "x"), "alice has no grade for ex01 yet; run grade batch first"),
])
def test_bad_overrides_are_refused_and_change_nothing(course, args, message) -> None:
    _, book = course
    done = _grade("override", *args, "--gradebook", book)
    assert done.returncode == 2, done.stdout
    assert message in done.stderr
    assert _rows(book, "SELECT * FROM overrides") == [] and _events(book, "override") == []


def test_each_change_is_one_transaction(course, monkeypatch) -> None:
    _, book = course
    with Gradebook(book) as gradebook:
        first = set_override(gradebook, "alice", "ex03", score=8, reason=NOTE, by="mo")

    def broken(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(overrides, "_log_as", broken)  # the event fails after the rows were written
    with Gradebook(book) as gradebook:
        with pytest.raises(RuntimeError):
            set_override(gradebook, "alice", "ex03", score=9, reason="rechecked")
        with pytest.raises(RuntimeError):
            drop_overrides(gradebook, "alice", "ex03", reason="withdrawn")
        with pytest.raises(RuntimeError):
            overrides.after_regrade(gradebook, "alice", "ex03", drop=True)
        assert active_overrides(gradebook) == {("alice", "ex03"): [first]}
    rows = _rows(book, "SELECT * FROM overrides")
    assert len(rows) == 1 and rows[0]["dropped_at"] is None  # neither the new row nor the drop of the old one
    assert len(_events(book, "override")) == 1 and _events(book, "override_dropped") == []


def test_override_rows_are_frozen() -> None:
    row = OverrideRow(1, "alice", "ex03", None, 8.0, NOTE, "mo", "2026-01-01T00:00:00Z")
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.score = 9.0  # type: ignore[misc]


def test_a_regrade_keeps_the_override_and_says_so_then_drop_overrides_drops_it(course) -> None:
    root, book = course
    with Gradebook(book) as gradebook:
        set_override(gradebook, "alice", "ex03", score=8, reason=NOTE, by="mo")
    shutil.copy(SOLUTIONS / "wrong" / "ex03_sign.py", root / "alice" / "ex03.py")
    done = _batch(root, book)
    (score,) = [r["score"] for r in _rows(book, "SELECT score FROM grades WHERE student = 'alice'")]
    assert score not in (4.0, 10.0)
    line = (f"alice ex03: override 8/10 by mo ('{NOTE}') still applies; the new autograded score is {score:g}/10 "
            f"(was 4/10). grade override alice ex03 --drop --reason ... removes it.")
    assert line in done.stdout.splitlines()
    assert not any(line.startswith("bob ") for line in done.stdout.splitlines())  # bob has no override
    with Gradebook(book) as gradebook:
        assert [o.score for o in active_overrides(gradebook)[("alice", "ex03")]] == [8.0]

    shutil.copy(SOLUTIONS / "ex03.py", root / "alice" / "ex03.py")
    done = _batch(root, book, "--drop-overrides")
    assert (f"alice ex03: override 8/10 by mo ('{NOTE}') dropped (--drop-overrides); the new autograded score "
            f"10/10 (was {score:g}/10) counts.") in done.stdout.splitlines()
    (row,) = _rows(book, "SELECT * FROM overrides")
    assert row["dropped_reason"] == "dropped by grade batch --drop-overrides" and row["dropped_at"] is not None
    (event,) = _events(book, "override_dropped")
    assert event["reason"] == "dropped by grade batch --drop-overrides" and event["previous"]["score"] == 8.0
    graded = [e["id"] for e in _events(book, "graded") if e["student"] == "alice"]
    assert graded[-1] < event["id"]  # dropped right after the new grade was stored


def test_history_shows_grades_and_overrides_oldest_first(course) -> None:
    root, book = course
    with Gradebook(book) as gradebook:
        set_override(gradebook, "alice", "ex03", score=8, reason=NOTE, by="mo")
        set_override(gradebook, "alice", "ex03", score=2, reason="sign only", check="a.grad", by="mo")
        drop_overrides(gradebook, "alice", "ex03", check="a.grad", reason="typo", by="lee")
    shutil.copy(SOLUTIONS / "ex03.py", root / "alice" / "ex03.py")
    _batch(root, book)
    done = _grade("history", "alice", "ex03", "--gradebook", book)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "history of alice ex03 (5 event(s), oldest first)"
    table = lines[2:8]
    assert table[0].split() == ["when", "exercise", "event", "by", "what"]
    assert "graded" in table[1] and table[1].endswith("4/10 (first grade), failed")
    assert "override set" in table[2] and "mo" in table[2] and \
        table[2].endswith(f"set to 8/10 (autograded 4): '{NOTE}'")
    assert table[3].endswith("check a.grad: set to 2/3 (autograded 0): 'sign only'")
    assert "override dropped" in table[4] and " lee " in table[4]
    assert table[4].endswith("check a.grad: override #2 (2, 'sign only', by mo) dropped: 'typo'")
    assert table[5].endswith("10/10 (was 4/10)")
    assert lines[-2:] == ["in force now:", f"  ex03: override 8 by mo ('{NOTE}') (#1, since "
                          + _rows(book, "SELECT at FROM overrides WHERE id = 1")[0]["at"] + ")"]

    done = _grade("history", "alice", "--format", "json", "--gradebook", book)
    assert done.returncode == 0, done.stderr
    story = json.loads(done.stdout)
    assert [e["kind"] for e in story["events"]] == ["graded", "override", "override", "override_dropped", "graded"]
    assert [(e.get("score"), e.get("before")) for e in story["events"] if e["kind"] == "graded"] == \
        [(4.0, None), (10.0, 4.0)]
    assert story["overrides_in_force"] == [{"id": 1, "exercise": "ex03", "check": None, "score": 8.0, "reason": NOTE,
                                            "who": "mo", "at": story["events"][1]["at"]}]


def test_history_renders_kinds_it_does_not_know(course) -> None:
    _, book = course
    with Gradebook(book) as gradebook, gradebook._transaction():
        gradebook._log("bob", "ex03", "extension", {"days": 2, "reason": "flu"})
        gradebook._log("bob", "ex03", "regraded", {"before": 10.0, "after": 7.5, "why": "exercise changed"})
    done = _grade("history", "bob", "--gradebook", book)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[4].endswith("2 day(s) more: 'flu'")
    regraded = done.stdout.splitlines()[5]
    assert " regraded " in regraded and regraded.endswith("after=7.5, before=10.0, why='exercise changed'")


def test_history_names_the_closest_student_and_exercise(course) -> None:
    _, book = course
    done = _grade("history", "bobb", "--gradebook", book)
    assert done.returncode == 2 and "no student 'bobb' in the gradebook" in done.stderr and "(did you mean bob?)" \
        in done.stderr
    done = _grade("history", "bob", "ex033", "--gradebook", book)
    assert done.returncode == 2 and "no exercise 'ex033' in this course (did you mean ex03?)" in done.stderr
    done = _grade("history", "bob", "ex01", "--gradebook", book)
    assert done.returncode == 0 and done.stdout == "no history for bob ex01 in the gradebook yet\n"
