"""The result model bounds what a submission can make a report carry: texts cut, notes counted, on construction."""

from __future__ import annotations

import dataclasses
import json

from grader.export import grade_from_dict, grade_to_dict
from grader.result import MAX_NOTES, MAX_TEXT, CheckResult, Grade, GradeError, cut


def test_cut_keeps_short_text_and_marks_what_it_cut():
    assert cut("short") == "short"
    assert cut("x" * MAX_TEXT) == "x" * MAX_TEXT
    long = cut("y" * (MAX_TEXT + 1))
    assert len(long) == MAX_TEXT and long.endswith(f"[... cut by the grader: {MAX_TEXT + 1} characters in all]")
    assert cut(long) == long  # a grade read back from a gradebook is cut again: nothing changes
    assert cut("z" * 100, 60) == "z" * 14 + "[... cut by the grader: 100 characters in all]"


def _huge_grade() -> Grade:
    """BUG (nothing was capped): every text and note of a grade as long as the submission made it."""
    huge = "m" * 10**6
    error = GradeError("exception", huge, line=3, code=huge)
    checks = (CheckResult("Q", "value", False, 0.0, 4.0, message=huge, diagnosis="value"),)
    return Grade(exercise="ex03", title="Q", version=1, submission="s.py", checks=checks, error=error,
                 notes=tuple(f"note {i}: {huge}" for i in range(1000)))


def test_a_grade_bounds_its_texts_and_notes_as_it_is_made():
    grade = _huge_grade()
    assert len(grade.notes) == MAX_NOTES
    assert grade.notes[-1] == f"... and {1000 - MAX_NOTES + 1} more notes, left out by the grader"
    assert all(len(note) <= MAX_TEXT for note in grade.notes) and grade.notes[0].startswith("note 0: mmm")
    assert len(grade.error.message) == len(grade.error.code) == len(grade.checks[0].message) == MAX_TEXT
    assert len(json.dumps(grade_to_dict(grade))) < (MAX_NOTES + 4) * (MAX_TEXT + 100)


def test_bounding_is_stable_through_replace_and_a_round_trip():
    grade = _huge_grade()
    assert dataclasses.replace(grade, submission="other.py").notes == grade.notes
    assert grade_from_dict(json.loads(json.dumps(grade_to_dict(grade)))) == grade


def test_an_honest_grade_is_left_as_it_is():
    notes = tuple(f"cell {i} failed" for i in range(MAX_NOTES))
    grade = Grade(exercise="ex03", title="Q", version=1, submission="s.py", checks=(), notes=notes)
    assert grade.notes == notes


def test_an_adjustment_keeps_the_raw_score_and_applies_override_then_late_share():
    from grader.result import Adjustment, StudentResult

    late = Adjustment("ex03", late_fraction=0.2, late_days=2)
    assert (late.base(8.0), late.penalty(8.0), late.final(8.0)) == (8.0, 1.6, 6.4)
    overridden = Adjustment("ex03", override=10.0, late_fraction=0.2)
    assert (overridden.penalty(3.0), overridden.final(3.0)) == (2.0, 8.0)
    assert Adjustment("ex03", late_fraction=1.0).final(7.0) == 0.0  # past a cutoff
    grade = Grade(exercise="ex03", title="t", version=1, submission="s", checks=(
        CheckResult("Q", "value", False, 3.0, 10.0),))
    other = Grade(exercise="ex01", title="t", version=1, submission="s", checks=(
        CheckResult("Q", "value", True, 5.0, 5.0),))
    result = StudentResult("alice", (grade, other), adjustments=(late,))
    assert (result.score, result.penalty, result.final_score) == (8.0, 0.6, 7.4)
    assert result.adjustment("ex01") == Adjustment("ex01")
