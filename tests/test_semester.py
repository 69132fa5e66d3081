"""An instructor's semester end to end, through the commands only: a class graded with deadlines, an extension, an
override and a disguised copy; the CSV and Canvas exports and the class report show each student's raw score,
penalty and final score, `grade similar` marks the copy, and `grade history` tells every change."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
DEADLINES = """
deadlines:
  timezone: Europe/Berlin
  submitted: mtime
  default: {due: "2026-10-01 23:59", policy: {percent_per_day: 10}, grace: 15m}
"""
ON_TIME, TWO_DAYS_LATE = "2026-10-01T20:00:00+00:00", "2026-10-03T20:00:00+00:00"  # due 21:59 UTC (CEST)
# dee's answer as a student who copied it would hand it in: names, comments and layout changed
DISGUISED = '''\
import torch


def q_backward(x, y):
    # my own work!!
    out = 3 * x ** 3 - y ** 2
    out.backward(torch.ones_like(out),
                 retain_graph=True)
    out.backward(torch.ones_like(out))  # twice to be sure
    return out
'''
# student: (the file handed in, when), and what the semester makes of ex03: (raw, penalty, final)
CLASS = {
    "ann": (SOLUTIONS / "ex03.py", ON_TIME),
    "bob": (SOLUTIONS / "ex03.py", TWO_DAYS_LATE),  # 10 % a day
    "cy": (SOLUTIONS / "ex03.py", TWO_DAYS_LATE),   # as late, with 3 more days
    "dee": (SOLUTIONS / "wrong" / "ex03_accumulated.py", ON_TIME),  # overridden to 7
    "eve": (DISGUISED, TWO_DAYS_LATE),              # copied dee's answer, handed in late
}


def grade(folder: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=300,
                          cwd=folder)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def semester(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("semester")
    config = (REPO / "config.yaml").read_text(encoding="utf-8").replace("  timeout_s: 10 ", "  timeout_s: 60 ")
    (folder / "config.yaml").write_text(config + DEADLINES, encoding="utf-8")
    shutil.copy(REPO / "fixtures.py", folder)
    for name in ("exercises", "solutions"):
        shutil.copytree(REPO / name, folder / name)
    for student, (source, when) in CLASS.items():
        path = folder / "submissions" / student / "ex03.py"
        path.parent.mkdir(parents=True)
        path.write_text(source if isinstance(source, str) else source.read_text(encoding="utf-8"), encoding="utf-8")
        stamp = datetime.fromisoformat(when).timestamp()
        os.utime(path, (stamp, stamp))
    grade(folder, "batch", "submissions", "--workers", "2")
    grade(folder, "extend", "cy", "ex03", "--days", "3", "--reason", "medical certificate")
    grade(folder, "override", "dee", "ex03", "--score", "7", "--reason", "right idea, graded by hand", "--who", "mo")
    grade(folder, "similar", "--exercise", "ex03", "submissions")
    return folder


def test_the_csv_export_shows_raw_penalty_and_final_for_each_student(semester: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(grade(semester, "export", "--format", "csv").stdout)))
    by_student = {row["student"]: row for row in rows}
    shown = {s: (by_student[s]["ex03 raw"], by_student[s]["ex03 penalty"], by_student[s]["ex03"]) for s in CLASS}
    assert shown == {"ann": ("10", "0", "10"), "bob": ("10", "2", "8"), "cy": ("10", "0", "10"),
                     "dee": ("4", "0", "7"), "eve": ("4", "0.8", "3.2")}
    assert by_student["dee"]["ex03 override"] == "7"
    assert (by_student["bob"]["total raw"], by_student["bob"]["total penalty"], by_student["bob"]["total"]) == (
        "10", "2", "8")


def test_canvas_gets_the_final_scores(semester: Path) -> None:
    rows = list(csv.reader(io.StringIO(grade(semester, "export", "--format", "canvas").stdout)))
    column = next(i for i, name in enumerate(rows[0]) if name.startswith("ex03"))
    finals = {row[0]: row[column] for row in rows[2:]}
    assert finals == {"ann": "10", "bob": "8", "cy": "10", "dee": "7", "eve": "3.2"}


def test_the_class_report_shows_the_scores_the_marks_and_the_copy(semester: Path, tmp_path: Path) -> None:
    page = grade(semester, "report", "-o", "-").stdout
    root = ET.fromstring(page.split("\n", 1)[1] if page.startswith("<!DOCTYPE") else page)
    rows = {tr.get("data-student"): tr for tr in root.iter("tr") if tr.get("data-student") and not tr.get("class")}
    assert {s: (rows[s].get("data-raw"), rows[s].get("data-penalty"), rows[s].get("data-final")) for s in CLASS} == {
        "ann": ("10", "0", "10"), "bob": ("10", "2", "8"), "cy": ("10", "0", "10"), "dee": ("4", "0", "7"),
        "eve": ("4", "0.8", "3.2")}
    marks = {s: sorted(span.get("data-mark") for span in rows[s].iter("span") if span.get("data-mark"))
             for s in CLASS}
    assert marks == {"ann": [], "bob": ["late"], "cy": ["extended"], "dee": ["overridden"], "eve": ["late"]}
    similar = {tr.get("data-student"): "".join(tr.itertext()) for tr in root.iter("tr")
               if tr.get("class") == "similar"}
    assert "similar to dee" in similar["eve"] and "similar to eve" in similar["dee"]


def test_the_history_tells_every_change(semester: Path) -> None:
    dee = grade(semester, "history", "dee", "ex03").stdout
    assert "graded" in dee and "override" in dee and "right idea, graded by hand" in dee and "mo" in dee
    cy = grade(semester, "history", "cy", "ex03").stdout
    assert "extension" in cy and "medical certificate" in cy
    unknown = subprocess.run([sys.executable, "-m", "grader", "history", "dea", "ex03"], capture_output=True,
                             text=True, cwd=semester, timeout=120)
    assert unknown.returncode == 2 and "dee" in unknown.stdout + unknown.stderr
