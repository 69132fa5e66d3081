"""grader.course.ledger, `grade extend` and the exports and class report of a generated class with late,
extended and overridden submissions."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.config import load_settings
from grader.course import extensions as ext
from grader.course.gradebook import Gradebook, Stamp
from grader.course.ledger import adjusted_results, ledger
from grader.export import results_from_dict
from grader.exports import canvas_csv, class_csv, class_json
from grader.course.classreport import render_class_report
from grader.result import CheckResult, Grade, GradeError

REPO = Path(__file__).resolve().parent.parent
STAMP = Stamp("hash", 1, "exhash", "settings")

CONFIG = f"""\
schema: 1
exercises_dir: {REPO / 'exercises'}
solutions_dir: {REPO / 'solutions'}
deadlines:
  timezone: Europe/Berlin
  submitted: mtime
  default: {{due: "2026-10-01 23:59", policy: {{percent_per_day: 10}}, grace: 15m}}
  exercises:
    ex01: {{due: "2026-09-20 23:59", policy: cutoff}}
"""
# 2026-10-01 23:59 in Berlin (CEST) is 21:59 UTC
ON_TIME, LATE_2_DAYS, LATE_1_DAY = "2026-10-01T21:00:00Z", "2026-10-03T20:00:00Z", "2026-10-02T10:00:00Z"


def _grade(exercise: str, first: float, second: float, *, error: str | None = None) -> Grade:
    checks = (CheckResult("a.grad", "grad", first == 5, first, 5.0), CheckResult("b.grad", "grad", second == 5,
                                                                                 second, 5.0))
    return Grade(exercise=exercise, title=f"title of {exercise}", version=1, submission=f"{exercise}.py",
                 checks=checks, error=GradeError(error, "nothing handed in") if error else None)


# student -> (ex03 grade, its submission time); every student also has ex01, handed in on time
CLASS = {
    "ann": (_grade("ex03", 5, 5), ON_TIME),
    "bob": (_grade("ex03", 5, 5), LATE_2_DAYS),       # 2 days late: 20 %
    "cy": (_grade("ex03", 5, 5), LATE_2_DAYS),        # as late, but an extension of 3 days for ex03
    "dee": (_grade("ex03", 5, 5), LATE_2_DAYS),       # as late, an extension for every exercise
    "eve": (_grade("ex03", 5, 0), LATE_1_DAY),        # overridden to 8, then 1 day late: 10 % of 8
    "fay": (_grade("ex03", 5, 0), ON_TIME),           # a per-check override of b.grad to 4
    "gus": (_grade("ex03", 5, 5), None),              # handed in, but no time: reported, never penalised
    "hal": (_grade("ex03", 0, 0, error="no_submission"), None),  # nothing handed in: no warning
}


def _insert_override(book: Path, student: str, check: str | None, score: float, reason: str, at: str, *,
                     dropped: bool = False) -> None:
    db = sqlite3.connect(book)
    with db:
        db.execute("INSERT INTO overrides (student, exercise, check_name, score, reason, who, at, dropped_at, "
                   "dropped_by, dropped_reason) VALUES (?, 'ex03', ?, ?, ?, 'prof', ?, ?, ?, ?)",
                   (student, check, score, reason, at, "2026-10-05T00:00:00Z" if dropped else None,
                    "prof" if dropped else None, "regraded" if dropped else None))
    db.close()


@pytest.fixture()
def course(tmp_path: Path) -> tuple[Path, Path]:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    book = tmp_path / "grades" / "gradebook.sqlite"
    book.parent.mkdir()
    with Gradebook(book) as gradebook:
        for student, (grade, at) in CLASS.items():
            gradebook.record(student, _grade("ex01", 5, 5), files=["ex01.py"], stamp=STAMP, wall_seconds=0.1,
                             submitted_at="2026-09-20T10:00:00Z", submitted_source="mtime")
            gradebook.record(student, grade, files=[], stamp=STAMP, wall_seconds=0.1, submitted_at=at,
                             submitted_source="mtime" if at else None)
        ext.extend(gradebook, "cy", "ex03", days=3, reason="medical certificate")
        ext.extend(gradebook, "dee", ext.ALL, days=2.5, reason="family emergency")
    _insert_override(book, "eve", None, 6.0, "first look", "2026-10-04T10:00:00Z")
    _insert_override(book, "eve", None, 8.0, "b.grad is right up to a sign convention", "2026-10-04T11:00:00Z")
    _insert_override(book, "eve", None, 10.0, "a mistake, dropped", "2026-10-04T12:00:00Z", dropped=True)
    _insert_override(book, "fay", "b.grad", 4.0, "partial credit for b.grad", "2026-10-04T10:00:00Z")
    return config, book


def _results(course) -> dict:
    config, book = course
    with Gradebook(book) as gradebook:
        return {r.student: r for r in adjusted_results(gradebook, load_settings(config), ("ex01", "ex03"))}


def test_late_extended_and_overridden_students_get_the_right_raw_penalty_and_final(course) -> None:
    results = _results(course)
    expected = {  # student: (raw total, penalty, final total)
        "ann": (20, 0, 20), "bob": (20, 2, 18), "cy": (20, 0, 20), "dee": (20, 0, 20),
        "eve": (15, 0.8, 17.2), "fay": (15, 0, 19), "gus": (20, 0, 20), "hal": (10, 0, 10)}
    assert {s: (r.score, r.penalty, r.final_score) for s, r in results.items()} == expected
    bob = results["bob"].adjustment("ex03")
    assert (bob.late_days, bob.late_fraction, bob.source) == (2, pytest.approx(0.2), "mtime")
    assert bob.due == "2026-10-01T21:59:00Z" and bob.submitted_at == LATE_2_DAYS
    cy = results["cy"].adjustment("ex03")
    assert (cy.late_days, cy.extension_days, cy.due) == (0, 3.0, "2026-10-04T21:59:00Z")
    assert results["dee"].adjustment("ex01").extension_days == 2.5  # the extension for every exercise
    eve = results["eve"].adjustment("ex03")
    assert (eve.override, eve.override_reason) == (8.0, "b.grad is right up to a sign convention")  # newest active
    fay = results["fay"].adjustment("ex03")
    assert (fay.override, fay.override_reason) == (9.0, "b.grad: partial credit for b.grad")  # 5 + 4
    assert results["fay"].grades[1].score == 5  # the raw score never changes


def test_a_submission_without_a_time_is_reported_and_not_penalised(course) -> None:
    config, book = course
    with Gradebook(book) as gradebook:
        found = ledger(gradebook, load_settings(config), ("ex01", "ex03"))
    assert len(found.warnings) == 1
    assert "no submission time (mtime) for 1 submission(s), so no late penalty: gus ex03" in found.warnings[0]


def test_removing_an_extension_brings_the_penalty_back(course) -> None:
    config, book = course
    with Gradebook(book) as gradebook:
        ext.remove(gradebook, "cy", "ex03", reason="certificate withdrawn")
        cy = next(r for r in adjusted_results(gradebook, load_settings(config)) if r.student == "cy")
        events = [e["kind"] for e in gradebook.history("cy", "ex03")]
    assert cy.penalty == pytest.approx(2.0) and events == ["graded", "extension", "extension_removed"]


def test_a_check_name_the_grade_no_longer_has_is_named_and_ignored(course) -> None:
    config, book = course
    _insert_override(book, "ann", "c.grad", 1.0, "old check", "2026-10-04T10:00:00Z")
    with Gradebook(book) as gradebook:
        found = ledger(gradebook, load_settings(config))
    ann = next(r for r in found.results if r.student == "ann")
    assert ann.final_score == 20 and any("'c.grad'" in w and "ann ex03" in w for w in found.warnings)


def test_without_deadlines_only_overrides_adjust(course, tmp_path: Path) -> None:
    _, book = course
    plain = tmp_path / "plain.yaml"
    plain.write_text(f"schema: 1\nexercises_dir: {REPO / 'exercises'}\n", encoding="utf-8")
    with Gradebook(book) as gradebook:
        results = {r.student: r for r in adjusted_results(gradebook, load_settings(plain))}
    assert results["bob"].adjustments == () and results["bob"].final_score == 20
    assert [a.exercise for a in results["eve"].adjustments] == ["ex03"] and results["eve"].final_score == 18


def test_the_class_csv_shows_final_then_raw_override_penalty_and_late_days(course) -> None:
    rows = {row[0]: row for row in csv.reader(io.StringIO(class_csv(list(_results(course).values()))))}
    assert rows["student"] == ["student", "ex01", "ex01 raw", "ex01 override", "ex01 penalty", "ex01 late days",
                               "ex03", "ex03 raw", "ex03 override", "ex03 penalty", "ex03 late days",
                               "total raw", "total penalty", "total"]
    assert rows["(points possible)"] == ["(points possible)", "10", "10", "", "", "", "10", "10", "", "", "", "20",
                                         "", "20"]
    assert rows["bob"][6:] == ["8", "10", "", "2", "2", "20", "2", "18"]
    assert rows["cy"][6:] == ["10", "10", "", "0", "0", "20", "0", "20"]
    assert rows["eve"][6:] == ["7.2", "5", "8", "0.8", "1", "15", "0.8", "17.2"]
    assert rows["fay"][6:] == ["9", "5", "9", "0", "0", "15", "0", "19"]
    assert rows["gus"][6:] == ["10", "10", "", "0", "", "20", "0", "20"]  # no time: no late days, no penalty


def test_the_canvas_csv_posts_final_scores(course) -> None:
    rows = list(csv.reader(io.StringIO(canvas_csv(list(_results(course).values())))))
    scores = {row[0]: row[5:] for row in rows[2:]}
    assert rows[0][5:] == ["ex01 title of ex01", "ex03 title of ex03"]
    assert scores["bob"] == ["10", "8"] and scores["eve"] == ["10", "7.2"] and scores["cy"] == ["10", "10"]


def test_the_json_export_carries_raw_override_penalty_final_and_the_times(course) -> None:
    results = list(_results(course).values())
    data = json.loads(class_json(results))
    eve = next(s for s in data["students"] if s["student"] == "eve")
    ex03 = next(a for a in eve["adjustments"] if a["exercise"] == "ex03")
    assert (eve["score"], eve["penalty"], eve["final_score"]) == (15, pytest.approx(0.8), pytest.approx(17.2))
    assert {k: ex03[k] for k in ("raw", "override", "penalty", "final", "late_days", "submitted_at", "due")} == {
        "raw": 5, "override": 8, "penalty": pytest.approx(0.8), "final": pytest.approx(7.2), "late_days": 1,
        "submitted_at": LATE_1_DAY, "due": "2026-10-01T21:59:00Z"}
    assert results_from_dict(data) == results  # read back whole


def test_the_class_report_shows_raw_penalty_final_and_marks(course) -> None:
    page = render_class_report(list(_results(course).values()), title="HW")
    root = ET.fromstring(page.split("\n", 1)[1])  # well-formed XML after the doctype
    rows = {tr.get("data-student"): tr for tr in root.iter("tr") if tr.get("data-student")}
    assert {s: (tr.get("data-raw"), tr.get("data-penalty"), tr.get("data-final")) for s, tr in rows.items()} == {
        "ann": ("20", "0", "20"), "bob": ("20", "2", "18"), "cy": ("20", "0", "20"), "dee": ("20", "0", "20"),
        "eve": ("15", "0.8", "17.2"), "fay": ("15", "0", "19"), "gus": ("20", "0", "20"), "hal": ("10", "0", "10")}

    def marks(student: str) -> list[tuple[str, str]]:
        return [(span.get("data-mark"), span.get("data-exercise")) for span in rows[student].iter("span")]
    assert marks("bob") == [("late", "ex03")]
    assert marks("cy") == [("extended", "ex03")] and marks("ann") == []
    assert marks("dee") == [("extended", "ex01"), ("extended", "ex03")]
    assert marks("eve") == [("late", "ex03"), ("overridden", "ex03")] and marks("fay") == [("overridden", "ex03")]


def test_a_class_without_adjustments_keeps_its_old_exports(course, tmp_path: Path) -> None:
    _, book = course
    with Gradebook(book) as gradebook:
        plain = gradebook.results(exercises=("ex01", "ex03"))
    assert class_csv(plain).splitlines()[0] == "student,ex01,ex03,total"
    assert 'id="students"' not in render_class_report(plain, title="HW")
    assert "adjustments" not in json.loads(class_json(plain))["students"][0]


def _cli(*args: str | Path):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_grade_extend_writes_the_extension_and_its_event(course) -> None:
    config, book = course
    done = _cli("extend", "BOB", "ex03", "--days", "2", "--reason", "flu", "--gradebook", book, "--config", config)
    assert done.exit_code == 0, done.output
    assert "bob: 2 more day(s) for ex03; reason: flu" in done.output
    with Gradebook(book) as gradebook:
        assert ext.extension(gradebook, "bob", "ex03").days == 2
        event = gradebook.history("bob", "ex03")[-1]
        bob = next(r for r in adjusted_results(gradebook, load_settings(config)) if r.student == "bob")
    assert (event["kind"], event["days"], event["reason"], event["before"]) == ("extension", 2.0, "flu", None)
    assert bob.penalty == 0  # due 2 days later: on time
    again = _cli("extend", "bob", "all", "--remove", "--gradebook", book, "--config", config)
    assert again.exit_code == 2 and "bob has no extension for every exercise; their extensions: ex03" in again.output
    gone = _cli("extend", "bob", "ex03", "--remove", "--gradebook", book, "--config", config)
    assert gone.exit_code == 0 and "extension of 2 day(s) for ex03 removed" in gone.output
    every = _cli("extend", "bob", "all", "--days", "1", "--reason", "strike", "--gradebook", book, "--config", config)
    assert every.exit_code == 0, every.output
    with Gradebook(book) as gradebook:  # an extension of every exercise is part of each exercise's history
        assert [(e["exercise"], e["kind"]) for e in gradebook.history("bob", "ex03")[-2:]] == [
            ("ex03", "extension_removed"), ("*", "extension")]


@pytest.mark.parametrize(("args", "message"), [
    (("bobb", "ex03", "--days", "1", "--reason", "x"), "no student 'bobb' in the gradebook (did you mean bob?)"),
    (("bob", "ex3", "--days", "1", "--reason", "x"), "no exercise 'ex3' (did you mean ex03?)"),
    (("bob", "ex03", "--days", "1"), "--reason is required"),
    (("bob", "ex03", "--days", "-1", "--reason", "x"), "--days must be more than 0"),
    (("bob", "ex03", "--reason", "x"), "give --days N"),
])
def test_grade_extend_refuses_unknown_names_with_the_closest(course, args, message) -> None:
    config, book = course
    done = _cli("extend", *args, "--gradebook", book, "--config", config)
    assert done.exit_code == 2 and message in done.output


def test_grade_export_and_report_apply_the_ledger(course, tmp_path: Path) -> None:
    config, book = course
    table = _cli("export", "--format", "csv", "--exercises", "ex03", "--gradebook", book, "--config", config)
    assert table.exit_code == 0
    assert "bob,8,10,,2,2,10,2,8" in table.output and "warning: no submission time (mtime)" in table.output
    canvas = _cli("export", "--format", "canvas", "--gradebook", book, "--config", config)
    assert "eve,,,eve,,10,7.2" in canvas.output
    page = tmp_path / "report.html"
    assert _cli("report", "-o", page, "--gradebook", book, "--config", config).exit_code == 0
    assert 'data-student="bob" data-raw="20" data-penalty="2" data-final="18"' in page.read_text(encoding="utf-8")


def test_a_batch_stores_each_submission_time_and_the_export_penalises_late_work(tmp_path: Path) -> None:
    """A real `grade batch`: the mtime of each file is stored with its grade, and kept grades get theirs updated."""
    course = tmp_path / "course"
    course.mkdir()
    (course / "config.yaml").write_text(CONFIG, encoding="utf-8")
    root = tmp_path / "submissions"
    solution = (REPO / "solutions" / "ex01.py").read_text(encoding="utf-8")
    for student, when in (("ann", "2026-09-20T20:00:00Z"), ("bob", "2026-09-21T08:00:00Z")):
        (root / student).mkdir(parents=True)
        (root / student / "ex01.py").write_text(solution, encoding="utf-8")
        stamp = _epoch(when)
        os.utime(root / student / "ex01.py", (stamp, stamp))
    book = course / "grades" / "gradebook.sqlite"

    def grade(*args: str | Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True,
                              timeout=300, cwd=course, env={**os.environ, "PYTHONPATH": str(REPO)})
    done = grade("batch", root, "--workers", "1")
    assert done.returncode == 0, done.stderr
    stored = dict(sqlite3.connect(book).execute("SELECT student, submitted_at || ' ' || submitted_source FROM grades"))
    assert stored == {"ann": "2026-09-20T20:00:00Z mtime", "bob": "2026-09-21T08:00:00Z mtime"}
    table = grade("export", "--format", "csv")
    # ex01 is due 2026-09-20 23:59 Berlin (21:59 UTC) with a cutoff: bob's work, 10 h late, scores 0
    assert "ann,10,10,,0,0,10,0,10" in table.stdout and "bob,0,10,,10,1,10,10,0" in table.stdout, table.stdout
    stamp = _epoch("2026-09-20T21:00:00Z")
    os.utime(root / "bob" / "ex01.py", (stamp, stamp))  # an earlier time, the same content: not regraded
    again = grade("batch", root, "--workers", "1")
    assert "2 submission(s) unchanged" in again.stdout, again.stdout + again.stderr
    assert "bob,10,10,,0,0,10,0,10" in grade("export", "--format", "csv").stdout


def _epoch(iso: str) -> float:
    from grader.duedates import parse_utc

    return parse_utc(iso).timestamp()


def test_deadlines_for_an_exercise_the_course_lacks_name_the_line_and_the_closest(course) -> None:
    from grader.errors import ConfigError

    config, book = course
    config.write_text(CONFIG.replace("    ex01: {", "    ex1: {"), encoding="utf-8")
    with Gradebook(book) as gradebook, pytest.raises(ConfigError) as caught:
        ledger(gradebook, load_settings(config))
    assert f"{config}:9: deadlines name the exercise 'ex1', which the course does not have (did you mean ex01?)" \
        in caught.value.message


def test_times_stored_from_another_source_are_used_and_the_export_says_to_batch_again(course) -> None:
    config, book = course
    config.write_text(CONFIG.replace("submitted: mtime", "submitted: git"), encoding="utf-8")
    with Gradebook(book) as gradebook:
        found = ledger(gradebook, load_settings(config))
    bob = next(r for r in found.results if r.student == "bob")
    assert bob.penalty == 2 and any("came from mtime, but config.yaml's deadlines.submitted is git" in w
                                    for w in found.warnings)


def test_a_csv_source_is_read_again_at_export_time(course) -> None:
    config, book = course
    (config.parent / "times.csv").write_text("login,submitted\nbob,2026-10-01 20:00\n", encoding="utf-8")
    config.write_text(CONFIG.replace("submitted: mtime", "submitted: {csv: times.csv, student: login, "
                                                          "time: submitted}"), encoding="utf-8")
    with Gradebook(book) as gradebook:
        found = {r.student: r for r in ledger(gradebook, load_settings(config)).results}
    # bob's stored mtime was 2 days late; the LMS says on time; ann is not in the CSV: no time, no penalty
    bob = found["bob"].adjustment("ex03")
    assert (bob.late_fraction, bob.source, bob.submitted_at) == (0.0, "csv", "2026-10-01T18:00:00Z")
    assert found["bob"].adjustment("ex01").late_fraction == 1.0  # one time for every exercise: ex01's cutoff passed
    assert found["ann"].adjustment("ex03").submitted_at is None
