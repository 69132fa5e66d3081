"""Feedback files: safe folder names from hostile student names, hidden-trial details only when asked."""

from __future__ import annotations

import os

import pytest

from grader.course.feedbackfiles import choose, folder_names, report_text, write_feedback
from grader.errors import UsageError
from grader.result import CheckResult, Grade, StudentResult

HIDDEN = "grad: got [7.25], expected [3.5].\nExactly 2x: gradients accumulated."


def _result(student: str) -> StudentResult:
    checks = (CheckResult("Q", "value", True, 4.0, 4.0),
              CheckResult("grad", "grad", False, 0.0, 3.0, HIDDEN, "scaled", "hidden trial 1 (seed 4242)"))
    grade = Grade("ex03", "Q", 1, "ex03.py", checks, output="print <script>\n", public_seeds=(0,),
                  hidden_seeds=(4242,), timeout_s=10.0)
    return StudentResult(student, (grade,))


def test_folder_names_are_safe_distinct_and_never_hidden_or_parent():
    names = folder_names(["../../etc", ".bashrc", "a/b", "Ann", "ann", "", "..", "José Núñez", "ok_name-1.2"])
    assert list(names.values()) == ["_.._etc", "bashrc", "a_b", "Ann", "ann-2", "student", "student-2",
                                    "Jos_N_ez", "ok_name-1.2"]
    assert all("/" not in n and not n.startswith(".") for n in names.values())


def test_an_unknown_student_is_refused_with_the_closest_name():
    results = [_result("alice"), _result("bob")]
    assert choose(results, None) == results and choose(results, "bob") == [results[1]]
    with pytest.raises(UsageError, match="'alise': not in the gradebook; did you mean 'alice'"):
        choose(results, "alise")


def test_hidden_trial_details_appear_only_when_asked(tmp_path):
    result = _result("../evil")
    [folder] = write_feedback([result], tmp_path / "out")
    assert folder == tmp_path / "out" / "_evil" and not (tmp_path / "evil").exists()
    text, page = (folder / "report.txt").read_text(), (folder / "report.html").read_text()
    for shown in (text, page):
        assert "7.25" not in shown and "4242" not in shown and "print" not in shown
        assert "correct on every public trial, wrong on hidden trial 1" in shown
    assert text == report_text(result, hidden_details=False)
    full = report_text(result, hidden_details=True)
    assert "7.25" in full and "hidden seeds 4242" in full and "print <script>" in full


def test_a_link_planted_in_the_output_folder_is_refused(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    (out / "bob").mkdir(parents=True)
    elsewhere.mkdir()
    os.symlink(elsewhere / "stolen.txt", out / "bob" / "report.txt")
    os.symlink(elsewhere, out / "alice")
    for student in ("alice", "bob"):
        with pytest.raises(UsageError, match="is a link that may lead outside"):
            write_feedback([_result(student)], out)
    assert list(elsewhere.iterdir()) == []
