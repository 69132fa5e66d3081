"""grader.duedates and grader.course.submitted: config.yaml's deadlines, the late arithmetic, submission times."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from grader.config import load_settings
from grader.course.roster import read_roster
from grader.course.submitted import git_time, read_csv_times, submission_times
from grader.duedates import Rule, lateness, local_time, zone
from grader.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent
BERLIN = zone("Europe/Berlin")
UTC = timezone.utc


def _config(tmp_path: Path, deadlines: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"schema: 1\nexercises_dir: {REPO / 'exercises'}\n" + textwrap.dedent(deadlines),
                    encoding="utf-8")
    return path


FULL = """\
deadlines:
  timezone: Europe/Berlin
  submitted: mtime
  default: {due: "2026-10-01 23:59", policy: {percent_per_day: 10}, grace: 15m, max_days: 5}
  exercises:
    ex03: {due: "2026-10-08 12:00", policy: cutoff}
    ex04: {due: "2026-10-08T12:00:00Z"}
  assignments:
    hw1: {exercises: [ex01, ex02], due: "2026-09-20 23:59", policy: none}
"""


def test_a_full_deadlines_section_is_read_with_inheritance_from_the_default(tmp_path: Path) -> None:
    rules = load_settings(_config(tmp_path, FULL)).deadlines
    assert rules is not None and rules.timezone == "Europe/Berlin" and rules.source == "mtime"
    default = rules.rule("ex05")
    assert default.due == datetime(2026, 10, 1, 21, 59, tzinfo=UTC)  # CEST: UTC+2
    assert (default.policy, default.percent_per_day, default.grace, default.max_days) == \
        ("percent_per_day", 10.0, timedelta(minutes=15), 5.0)
    assert rules.rule("ex03").policy == "cutoff" and rules.rule("ex03").max_days is None  # cutoff counts no days
    assert rules.rule("ex04").due == datetime(2026, 10, 8, 12, tzinfo=UTC)  # an offset wins over the time zone
    assert rules.rule("ex04").policy == "percent_per_day"  # inherited from the default
    assert rules.rule("ex01").policy == "none" and rules.rule("ex02").due == datetime(2026, 9, 20, 21, 59, tzinfo=UTC)


def test_a_csv_source_names_its_columns(tmp_path: Path) -> None:
    path = _config(tmp_path, """\
        deadlines:
          submitted: {csv: lms/times.csv, student: login, time: submitted, exercise: assignment}
        """)
    rules = load_settings(path).deadlines
    assert rules.source == "csv" and rules.timezone == "UTC"
    assert rules.csv.path == tmp_path / "lms" / "times.csv" and rules.csv.exercise == "assignment"


@pytest.mark.parametrize(("text", "line", "message"), [
    ("deadlines:\n  timezon: Europe/Berlin\n", 2, "unknown key 'timezon' in config.deadlines (did you mean 'timezone'?)"),
    ("deadlines:\n  timezone: Europe/Berln\n", 2, "unknown time zone 'Europe/Berln'"),
    ("deadlines:\n  submitted: svn\n", 2, "must be mtime, git or a mapping"),
    ("deadlines:\n  default:\n    due: 2026-10-01\n", 3, "has no time of day; write '2026-10-01 23:59'"),
    ("deadlines:\n  default:\n    due: tomorrow\n", 3, "'tomorrow' is not a time"),
    ("deadlines:\n  default:\n    due: '2026-10-01 23:59'\n    policy: percent\n", 4,
     "must be none, cutoff or {percent_per_day: 10}"),
    ("deadlines:\n  default:\n    policy: {percent_per_day: 150}\n", 3, "must be more than 0 and at most 100"),
    ("deadlines:\n  default:\n    policy: {per_day: 10}\n", 3, "missing the required key 'percent_per_day'"),
    ("deadlines:\n  default:\n    grace: 15\n", 3, "15 is not a duration: write a number and a unit"),
    ("deadlines:\n  default:\n    policy: cutoff\n    max_days: 3\n", 4, "applies only to policy {percent_per_day"),
    ("deadlines:\n  default:\n    deu: '2026-10-01 23:59'\n", 3, "(did you mean 'due'?)"),
    ("deadlines:\n  exercises:\n    ex03: {policy: cutoff}\n", 3, "has no due time"),
    ("deadlines:\n  default: {due: '2026-10-01 23:59'}\n  assignments:\n    hw1: {exercises: [ex01]}\n"
     "    hw2: {exercises: [ex01, ex02]}\n", 5, "ex01 is already in assignment 'hw1'"),
    # 2026-03-29 02:30 never happens in Berlin: the clocks jump from 02:00 to 03:00
    ("deadlines:\n  timezone: Europe/Berlin\n  default:\n    due: '2026-03-29 02:30'\n", 4, "does not exist"),
])
def test_each_mistake_names_the_file_the_line_and_the_fix(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = _config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert f"{path}:{line + 2}:" in caught.value.message and message in caught.value.message


def test_no_deadlines_section_means_none() -> None:
    assert load_settings(REPO / "config.yaml").deadlines is None


DUE = datetime(2026, 10, 1, 21, 59, tzinfo=UTC)


@pytest.mark.parametrize(("after", "days", "fraction"), [
    (timedelta(0), 0, 0.0),
    (timedelta(minutes=15), 0, 0.0),                 # inside the grace period
    (timedelta(minutes=15, seconds=1), 1, 0.1),      # one second past it: a started day counts whole
    (timedelta(days=1, minutes=15), 1, 0.1),
    (timedelta(days=1, minutes=16), 2, 0.2),
    (timedelta(days=5, minutes=15), 5, 0.5),         # max_days 5: still accepted
    (timedelta(days=5, minutes=16), 6, 1.0),         # past max_days: scores 0
    (timedelta(days=-3), 0, 0.0),
])
def test_percent_per_day_counts_started_days_after_the_grace(after: timedelta, days: int, fraction: float) -> None:
    rule = Rule(DUE, "percent_per_day", 10.0, timedelta(minutes=15), 5.0)
    late = lateness(rule, DUE + after)
    assert (late.days, late.fraction) == (days, pytest.approx(fraction))


def test_percent_per_day_stops_at_the_whole_score_without_max_days() -> None:
    rule = Rule(DUE, "percent_per_day", 30.0)
    assert [lateness(rule, DUE + timedelta(days=d, hours=1)).fraction for d in range(5)] == \
        pytest.approx([0.3, 0.6, 0.9, 1.0, 1.0])


def test_cutoff_takes_everything_past_the_grace_and_none_takes_nothing() -> None:
    cutoff = Rule(DUE, "cutoff", grace=timedelta(hours=1))
    assert lateness(cutoff, DUE + timedelta(minutes=59)).fraction == 0.0
    assert lateness(cutoff, DUE + timedelta(hours=1, seconds=1)).fraction == 1.0
    lenient = lateness(Rule(DUE, "none"), DUE + timedelta(days=3))
    assert (lenient.days, lenient.fraction) == (3, 0.0)  # late, and said so, but never penalised


def test_an_extension_moves_the_due_time_and_no_time_is_never_late() -> None:
    rule = Rule(DUE, "percent_per_day", 10.0)
    assert lateness(rule, DUE + timedelta(days=1, hours=12)).fraction == pytest.approx(0.2)
    moved = lateness(rule, DUE + timedelta(days=1, hours=12), extension_days=2)
    assert (moved.days, moved.fraction, moved.due) == (0, 0.0, DUE + timedelta(days=2))
    assert lateness(rule, None).fraction == 0.0 and lateness(Rule(None, "cutoff"), DUE).fraction == 0.0


def test_days_late_are_real_hours_across_a_daylight_saving_change() -> None:
    # due Saturday 12:00 CET (11:00 UTC); clocks go forward that night; Sunday 12:30 CEST is only 23.5 h later
    due = local_time("2026-03-28 12:00", BERLIN, later=True)
    assert due == datetime(2026, 3, 28, 11, tzinfo=UTC)
    sunday = local_time("2026-03-29 12:30", BERLIN, later=False)
    assert lateness(Rule(due, "percent_per_day", 10.0), sunday).days == 1
    assert lateness(Rule(due, "percent_per_day", 10.0), sunday + timedelta(hours=1)).days == 2


def test_a_wall_time_that_occurs_twice_is_read_in_the_students_favour() -> None:
    # 2026-10-25 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET)
    assert local_time("2026-10-25 02:30", BERLIN, later=True) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert local_time("2026-10-25 02:30", BERLIN, later=False) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert local_time("2026-10-25T02:30:00+01:00", BERLIN, later=False) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert local_time("2026-10-25T00:30:00Z", BERLIN, later=True) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def _class(tmp_path: Path) -> Path:
    root = tmp_path / "submissions"
    for name in ("alice/ex03.py", "bob/ex03.py", "bob/ex04.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x = 1\n", encoding="utf-8")
    return root


def test_mtime_is_the_newest_file_of_the_exercise(tmp_path: Path) -> None:
    root = _class(tmp_path)
    stamp = datetime(2026, 10, 2, 8, 30, tzinfo=UTC).timestamp()
    os.utime(root / "alice" / "ex03.py", (stamp, stamp))
    os.utime(root / "bob" / "ex03.py", (stamp + 3600, stamp + 3600))
    roster = read_roster(root, ["ex03", "ex04"], ("ex03", "ex04"))
    times = submission_times(roster, None, ["ex03", "ex04"])
    assert times["alice", "ex03"].at == "2026-10-02T08:30:00Z" and times["alice", "ex03"].source == "mtime"
    assert times["bob", "ex03"].at == "2026-10-02T09:30:00Z"
    assert times["alice", "ex04"].at is None  # nothing handed in


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_is_the_last_commit_of_the_students_own_repository(tmp_path: Path, monkeypatch) -> None:
    root = _class(tmp_path)
    alice = root / "alice"
    env = {**os.environ, "GIT_COMMITTER_DATE": "2026-10-02T23:10:00+02:00", "GIT_AUTHOR_DATE": "2026-09-01T10:00:00Z",
           "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@x"}
    for command in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "hand in"]):
        subprocess.run(["git", "-C", str(alice), *command], check=True, env=env, capture_output=True)
    # the caller's GIT_* settings must not redirect the look-up to another repository
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "nowhere"))
    assert git_time(alice) == "2026-10-02T21:10:00Z"  # the committer time, not the author's, in UTC
    assert git_time(root / "bob") is None  # no repository of its own (and none above the class folder)
    roster = read_roster(root, ["ex03", "ex04"], ("ex03", "ex04"))
    rules = load_settings(_config(tmp_path, "deadlines:\n  submitted: git\n")).deadlines
    times = submission_times(roster, rules, ["ex03", "ex04"])
    assert times["alice", "ex03"].at == "2026-10-02T21:10:00Z" and times["alice", "ex03"].source == "git"
    assert times["alice", "ex04"].at is None and times["bob", "ex03"].at is None


def _csv_rules(tmp_path: Path, text: str, exercise: str = ", exercise: assignment"):
    (tmp_path / "times.csv").write_bytes(text.encode("utf-8-sig"))  # with the BOM an LMS download has
    deadlines = ("deadlines:\n  timezone: Europe/Berlin\n"
                 f"  submitted: {{csv: times.csv, student: login, time: submitted{exercise}}}\n"
                 "  default: {due: '2026-10-01 23:59'}\n  assignments:\n    hw1: {exercises: [ex01, ex02]}\n")
    return load_settings(_config(tmp_path, deadlines)).deadlines


def test_a_csv_gives_the_latest_time_per_student_and_exercise_or_assignment(tmp_path: Path) -> None:
    rules = _csv_rules(tmp_path, "login,assignment,submitted\nAlice,ex03,2026-10-01 20:00\n"
                                 "alice,ex03,2026-10-02T08:00:00Z\nbob,hw1,2026-10-01 23:00:30\ncarol,ex03,\n")
    times = read_csv_times(rules, ["ex01", "ex02", "ex03"])
    assert times["alice", "ex03"] == "2026-10-02T08:00:00Z"  # the later row, student matched without case
    assert times["bob", "ex01"] == times["bob", "ex02"] == "2026-10-01T21:00:30Z"
    assert ("carol", "ex03") not in times  # an empty time cell: nothing handed in


@pytest.mark.parametrize(("text", "message"), [
    ("login,assignment,submitted\nalice,ex03,yesterday\n", "times.csv:2: column 'submitted': 'yesterday' is not"),
    ("login,assignment,submitted\nalice,ex3,2026-10-01 20:00\n", "times.csv:2: column 'assignment': 'ex3' is no "
                                                                 "exercise or assignment (did you mean ex03?)"),
    ("user,assignment,submitted\nalice,ex03,2026-10-01 20:00\n", "times.csv:1: no column 'login'"),
])
def test_bad_csv_rows_name_the_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    rules = _csv_rules(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        read_csv_times(rules, ["ex01", "ex02", "ex03"])
    assert message in caught.value.message


def test_a_csv_without_an_exercise_column_times_every_exercise(tmp_path: Path) -> None:
    rules = _csv_rules(tmp_path, "login,submitted\nalice,2026-10-01 20:00\n", exercise="")
    roster = read_roster(_class(tmp_path), ["ex03", "ex04"], ("ex03", "ex04"))
    times = submission_times(roster, rules, ["ex03", "ex04"])
    assert times["alice", "ex03"].at == times["alice", "ex04"].at == "2026-10-01T18:00:00Z"
    assert times["bob", "ex03"].at is None and times["bob", "ex03"].source == "csv"


def test_the_commented_deadlines_of_grade_init_parse_when_uncommented(tmp_path: Path) -> None:
    from grader.course.scaffold import init_course

    init_course(tmp_path / "course")
    config = tmp_path / "course" / "config.yaml"
    lines = config.read_text(encoding="utf-8").splitlines()
    start = lines.index(next(line for line in lines if line.startswith("# deadlines:")))
    block = [line[2:] for line in lines[start:] if line.startswith("# ") and not line.startswith("# Per-student")]
    (tmp_path / "course" / "times.csv").write_text("login,assignment,submitted\n", encoding="utf-8")
    config.write_text("\n".join(lines[:start] + block) + "\n", encoding="utf-8")
    rules = load_settings(config).deadlines
    assert rules.timezone == "Europe/Berlin" and rules.rule("ex01").policy == "cutoff"
    assert rules.default.max_days == 5 and rules.default.grace == timedelta(minutes=15)
