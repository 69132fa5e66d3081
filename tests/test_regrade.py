"""Regrading on a generated class: `grade batch --student`, `--changed-exercise` after a test fix, and each run's
before/after diff, printed and read back by `grade regrades` from another process."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
CHECKS = "  - {name: Q, kind: value, target: Q, points: 4}\n  - {name: a.grad, kind: grad, target: a, points: 3}\n"
# the instructor's fix: Q is worth 2 and a.grad 5 (still 10 in all), so a wrong Q costs less and a wrong a.grad more
FIXED = "  - {name: Q, kind: value, target: Q, points: 2}\n  - {name: a.grad, kind: grad, target: a, points: 5}\n"


def grade(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=240,
                          cwd=folder)


def make_course(folder: Path) -> Path:
    """A copy of the repository's course (its exercises may be edited) with a class of five in submissions/."""
    folder.mkdir(parents=True)
    config = (REPO / "config.yaml").read_text(encoding="utf-8")
    (folder / "config.yaml").write_text(config.replace("  timeout_s: 10 ", "  timeout_s: 60 "), encoding="utf-8")
    shutil.copy(REPO / "fixtures.py", folder)
    for name in ("exercises", "solutions"):
        shutil.copytree(REPO / name, folder / name)
    files = {"alice/ex01.py": SOLUTIONS / "ex01.py", "alice/ex03.py": SOLUTIONS / "ex03.py",
             "bob/ex03.py": SOLUTIONS / "wrong" / "ex03_accumulated.py",  # Q right, both gradients wrong
             "carol/ex03.py": SOLUTIONS / "wrong" / "ex03_sign.py",  # only a.grad right
             "dave/ex01.py": SOLUTIONS / "ex01.py", "dave/ex03.py": SOLUTIONS / "ex03.py",
             "erin/ex01.py": SOLUTIONS / "ex01.py"}  # no ex03: a zero with the reason
    for name, source in files.items():
        (folder / "submissions" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, folder / "submissions" / name)
    return folder


def grades(book: Path) -> dict[tuple[str, str], tuple[float, float, str]]:
    db = sqlite3.connect(book)
    try:
        return {(s, e): (score, top, status) for s, e, score, top, status in
                db.execute("SELECT student, exercise, score, max_score, status FROM grades")}
    finally:
        db.close()


def graded_events(book: Path) -> dict[tuple[str, str], int]:
    """How many times each (student, exercise) has been graded, as the history says."""
    db = sqlite3.connect(book)
    try:
        return {(s, e): n for s, e, n in db.execute(
            "SELECT student, exercise, COUNT(*) FROM events WHERE kind = 'graded' GROUP BY student, exercise")}
    finally:
        db.close()


@pytest.fixture(scope="module")
def semester(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The class graded, then each regrade of an instructor's week run in order, with the gradebook after each."""
    folder = make_course(tmp_path_factory.mktemp("regrade") / "course")
    book = folder / "grades" / "gradebook.sqlite"
    steps: dict = {}

    def step(name: str, *args: str) -> None:
        done = grade(folder, *args)
        steps[name] = (done, grades(book), graded_events(book))

    step("first", "batch", "submissions", "--workers", "2")
    step("student", "batch", "submissions", "--student", "bob")
    step("unchanged", "batch", "submissions", "--exercises", "ex03", "--changed-exercise")
    yaml = folder / "exercises" / "ex03_q_gradients.yaml"
    text = yaml.read_text(encoding="utf-8")
    assert CHECKS in text
    yaml.write_text(text.replace(CHECKS, FIXED), encoding="utf-8")
    step("changed", "batch", "submissions", "--exercise", "ex03", "--changed-exercise", "--workers", "2")
    step("after", "batch", "submissions")  # the default run: the targeted one left nothing stale behind
    step("regrades", "regrades")
    step("json", "regrades", "--format", "json", "--all")
    step("list", "regrades", "--list")
    steps["folder"], steps["book"] = folder, book
    return steps


def test_the_first_batch_grades_everyone(semester) -> None:
    done, scores, _ = semester["first"]
    assert done.returncode == 0, done.stderr
    assert scores["bob", "ex03"] == (4.0, 10.0, "failed") and scores["carol", "ex03"] == (3.0, 10.0, "failed")
    assert scores["alice", "ex03"] == (10.0, 10.0, "passed") and scores["erin", "ex03"][2] == "error"
    assert "graded for the first time" not in done.stdout  # a first run has nothing to compare with: no table


def test_student_regrades_only_that_student_even_unchanged(semester) -> None:
    done, scores, events = semester["student"]
    _, _, before = semester["first"]
    assert done.returncode == 0, done.stderr
    assert "1 students, 2 submissions" in done.stdout and "graded 2 submission(s)" in done.stdout
    assert {key: events[key] - before[key] for key in before if events[key] != before[key]} == {
        ("bob", "ex01"): 1, ("bob", "ex03"): 1}  # nobody else graded again
    # the same files, the same score: the diff says so in a count, not a table
    assert "regraded 2 submission(s), 0 changed" in done.stdout
    assert "2 regraded submission(s) unchanged" in done.stdout and "student  exercise" not in done.stdout


def test_an_unchanged_exercise_regrades_nothing_and_says_so(semester) -> None:
    done, _, events = semester["unchanged"]
    _, _, before = semester["student"]
    assert done.returncode == 0, done.stderr
    assert "ex03 has not changed since it was graded (hash " in done.stdout
    assert "); nothing to regrade" in done.stdout and "graded 0 submission(s)" in done.stdout
    assert events == before


def test_a_changed_exercise_regrades_only_its_pairs_with_the_diff(semester) -> None:
    done, scores, events = semester["changed"]
    _, old, before = semester["unchanged"]
    assert done.returncode == 0, done.stderr
    assert "ex03 changed since 5 of its grades (the exercise file or its fixtures: hash " in done.stdout
    assert {key for key in events if events[key] != before[key]} == {(s, "ex03") for s in
                                                                    ("alice", "bob", "carol", "dave", "erin")}
    assert {key for key in scores if key[1] == "ex01" and scores[key] != old[key]} == set()
    assert scores["bob", "ex03"] == (2.0, 10.0, "failed") and scores["carol", "ex03"] == (5.0, 10.0, "failed")
    table = done.stdout[done.stdout.index("student  exercise"):].splitlines()
    assert table[1].split() == ["bob", "ex03", "4/10", "2/10", "-2", "failed"]
    assert table[2].split() == ["carol", "ex03", "3/10", "5/10", "+2", "failed"]
    assert "regraded 5 submission(s), 2 changed" in done.stdout and "3 regraded submission(s) unchanged" in done.stdout


def test_after_a_targeted_regrade_the_default_run_finds_nothing_stale(semester) -> None:
    done, _, events = semester["after"]
    assert done.returncode == 0, done.stderr
    assert "graded 0 submission(s)" in done.stdout and events == semester["changed"][2]


def test_the_diff_is_stored_and_read_back_by_another_process(semester) -> None:
    changed = semester["changed"][0].stdout
    done = semester["regrades"][0]
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == changed[changed.index("\nrun "):].strip()
    data = json.loads(semester["json"][0].stdout)
    assert data["selection"] == "--exercises ex03 --changed-exercise" and data["regraded"] == 5
    rows = {row["student"]: (row["before"], row["after"], row["delta"], row["after_status"]) for row in data["rows"]}
    assert rows == {"alice": (10.0, 10.0, 0.0, "passed"), "bob": (4.0, 2.0, -2.0, "failed"),
                    "carol": (3.0, 5.0, 2.0, "failed"), "dave": (10.0, 10.0, 0.0, "passed"),
                    "erin": (0.0, 0.0, 0.0, "error")}
    listed = semester["list"][0].stdout.splitlines()
    assert len(listed) == 3 and "--exercises ex03 --changed-exercise: 5 submission(s)" in listed[0]
    assert "--student bob: 2 submission(s)" in listed[1]
    again = grade(semester["folder"], "regrades", "--run", listed[1].split()[1], "--all")
    assert again.returncode == 0 and "--student bob" in again.stdout and "bob      ex01" in again.stdout


def test_unknown_names_and_contradictions_are_refused(semester) -> None:
    folder = semester["folder"]
    before = graded_events(semester["book"])
    student = grade(folder, "batch", "submissions", "--student", "bob,carl")
    assert student.returncode == 2 and "--student: no student 'carl'" in student.stderr
    assert "(did you mean carol?)" in student.stderr
    exercise = grade(folder, "batch", "submissions", "--exercise", "ex3", "--changed-exercise")
    assert exercise.returncode == 2 and "no exercise 'ex3' (did you mean ex03?)" in exercise.stderr
    both = grade(folder, "batch", "submissions", "--force", "--changed-exercise")
    assert both.returncode == 2 and "give one of them" in both.stderr
    run = grade(folder, "regrades", "--run", "99999")
    assert run.returncode == 2 and "--run 99999: no such run" in run.stderr and "grade regrades --list" in run.stderr
    assert graded_events(semester["book"]) == before


def test_no_run_yet_is_said(tmp_path: Path) -> None:
    from grader.course.gradebook import Gradebook

    with Gradebook(tmp_path / "gb.sqlite"):
        pass
    done = grade(tmp_path, "regrades", "--gradebook", str(tmp_path / "gb.sqlite"))
    assert done.returncode == 2 and "no batch run has graded anything yet" in done.stderr


def test_the_table_names_a_status_change_and_counts_first_grades() -> None:
    from grader.course.regrade import Change, Run, render_run, run_to_dict

    changes = (Change("ann", "ex03", 7.0, 10.0, "failed", 10.0, 10.0, "passed"),
               Change("ben", "ex03", 10.0, 10.0, "passed", 10.0, 10.0, "passed"),
               Change("cas", "ex03", 10.0, 10.0, "passed", 10.0, 12.0, "failed"),  # the maximum moved: a change
               Change("dee", "ex03", None, None, None, 0.0, 10.0, "error"))  # graded for the first time
    run = Run(4, "2026-12-01T10:00:00Z", "prof", "changed submissions", pairs=6, changes=changes)
    lines = render_run(run).splitlines()
    assert lines[0] == ("run 4 (2026-12-01T10:00:00Z, prof; changed submissions): regraded 3 submission(s), "
                        "2 changed; 1 graded for the first time (no before); interrupted after 4 of 6")
    assert lines[2].split() == ["ann", "ex03", "7/10", "10/10", "+3", "failed", "->", "passed"]
    assert lines[3].split() == ["cas", "ex03", "10/10", "10/12", "0", "passed", "->", "failed"]
    assert lines[4].strip().startswith("1 regraded submission(s) unchanged")
    assert [row.split()[0] for row in render_run(run, everything=True).splitlines()[2:]] == ["ann", "ben", "cas"]
    data = run_to_dict(run)
    assert (data["regraded"], data["changed"], data["unchanged"], data["first_grades"]) == (3, 2, 1, 1)


def test_student_names_are_split_checked_and_kept_in_roster_order(tmp_path: Path) -> None:
    from grader.course.regrade import pick_students
    from grader.course.roster import read_roster
    from grader.errors import UsageError

    for name in ("zoe", "amy", "bob"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "ex03.py").write_text("x = 1\n", encoding="utf-8")
    roster = read_roster(tmp_path, ["ex01", "ex03"], None)
    picked = pick_students(roster, ("zoe, amy", "amy"))
    assert picked.students == ("amy", "zoe") and {job.student for job in picked.jobs} == {"amy", "zoe"}
    with pytest.raises(UsageError, match="--student is empty"):
        pick_students(roster, (" , ",))
    with pytest.raises(UsageError, match=r"no student 'qqq' in .*; the students are amy, bob, zoe"):
        pick_students(roster, ("qqq",))
